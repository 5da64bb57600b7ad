"""The report shows who spoke: each quoted reply and each line of the transcript."""

from __future__ import annotations

from dataclasses import replace

from extract.findings import Span
from extract.transcript import Segment, Speaker, Transcript
from reports.render import render_html, render_markdown, render_text, said_by
from testkit.report_cases import GOLDEN, report_input


def test_said_by_names_the_role_or_the_number():
    transcript = Transcript(
        engine="e", model="m", language="en", duration_s=20.0,
        segments=(Segment(0.0, 4.0, "What is the problem?", speaker="Patient"),
                  Segment(4.5, 9.0, "A disc protrusion.", speaker="Surgeon"),
                  Segment(9.5, 12.0, "Shall I book it?", speaker="Speaker 3"),
                  Segment(12.5, 14.0, "Yes.")),
        speakers=(Speaker("Patient", "patient"), Speaker("Surgeon", "surgeon"),
                  Speaker("Speaker 3")))
    assert said_by(transcript, Span(4.6, 8.0, "A disc protrusion.")) == "the surgeon"
    assert said_by(transcript, Span(3.0, 8.0, "problem? A disc")) == "the surgeon"  # most time
    assert said_by(transcript, Span(9.5, 12.0, "Shall I book it?")) == "Speaker 3"
    assert said_by(transcript, Span(12.6, 13.0, "Yes.")) == ""
    assert said_by(None, Span(0.0, 1.0, "x")) == ""


def test_quoted_replies_and_transcript_lines_carry_the_speaker():
    data = report_input(GOLDEN / "complete")
    answers = [q.answer for q in data.findings.questions if q.answer]
    assert answers

    def speaker(segment: Segment) -> str:
        replying = any(segment.start < a.end and a.start < segment.end for a in answers)
        return "Surgeon" if replying else "Patient"

    transcript = replace(data.transcript,
                         segments=tuple(replace(s, speaker=speaker(s))
                                        for s in data.transcript.segments),
                         speakers=(Speaker("Patient", "patient"), Speaker("Surgeon", "surgeon")))
    labelled = replace(data, transcript=transcript)
    for render in (render_text, render_markdown, render_html):
        report = render(labelled)
        assert report.count("The reply from the surgeon, word for word") == len(answers)
        assert "Patient:" in report and "Surgeon:" in report
        assert "The reply from the surgeon" not in render(data)  # no labels: as before
