"""Findings + Transcript -> the report a patient reads: HTML, Markdown and plain text.

Pure: these functions take objects and return strings; the command line writes the files.
Escaping belongs to the environment, never to a template: HTML templates are autoescaped,
every value in Markdown has its Markdown and HTML characters backslash-escaped, and every
value in plain text loses terminal control characters. So words from a transcript, even
`<script>` or `{{ ... }}`, are only ever shown as words.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from extract.findings import Findings, Span
from extract.transcript import Transcript, clock

STATUS_LABELS = {
    "answered": "Answered",
    "partial": "Partly answered",
    "unanswered": "Not answered",
    "not_asked": "Not asked",
}
# Shown beside each label so a status never depends on colour (print, colour blindness).
STATUS_SYMBOLS = {"answered": "✓", "partial": "◐", "unanswered": "✗", "not_asked": "–"}
VERDICT_HEADLINES = {"equipped": "Yes", "partial": "Partly",
                     "second_consultation_warranted": "Not yet"}
VERDICT_LABELS = {
    "equipped": "You have what you need to make an informed decision.",
    "partial": "You got some of what you came for. A few things are still missing.",
    "second_consultation_warranted": "The visit did not give you enough information. "
                                     "Get a second consultation before scheduling any surgery.",
}
RED_FLAG_LABELS = {
    "dismissal": "Non-surgical options dismissed",
    "not_candidate_no_reason": "\"Not a candidate\" without a reason",
    "same_day_pressure": "Pressure to decide today",
    "refused_comparison": "Written comparison refused",
    "refused_referral": "Referral refused",
}
OUTCOME_LABELS = {
    "agreed": "Agreed",
    "refused": "Refused",
    "other_surgeon": "Only a referral to another surgeon, not to a non-surgical specialist",
    "said": "Answered",
    "not_discussed": "Not discussed",
}
FOLLOWUP_FILE = "followup.txt"  # written beside the report; the next steps point to it
MACHINE_NOTE = ("This transcript was made by a computer and may contain errors: it can miss a "
                "word, even a \"not\". The audio recording is the true record of what was said.")


@dataclass(frozen=True)
class Artifact:
    """One of the five things a visit like this should give the patient (questions.md)."""

    key: str  # the field of extract.findings.Artifacts
    label: str
    todo: str  # what to do when it is missing


ARTIFACTS = (
    Artifact("written_comparison", "A written comparison of surgery and non-surgical options",
             "Ask the practice to put the comparison (the surgery and two non-surgical "
             "alternatives, with the expected outcome of each) on your after-visit summary."),
    Artifact("five_answers", "Clear answers to all five of your questions",
             "Ask the practice to answer the open questions in writing; practices usually "
             "answer in 3-5 business days."),
    Artifact("volume_and_revision", "The surgeon's own numbers: fusions per year and revision rate",
             "Ask the office, in writing, for the surgeon's number of fusions at your level "
             "each year and their personal revision rate at 5 years."),
    Artifact("referral", "A referral to a non-surgical spine specialist",
             "Ask for a referral to a physiatrist, an interventional pain specialist or a "
             "regenerative spine practice: not to another surgeon."),
    Artifact("delay_risk_understood", "A number for the risk of waiting six months",
             "Ask again, in writing, for the realistic risk of permanent damage if you wait six "
             "months: a number or a range, such as \"under 1 in 100\"."),
)


@dataclass(frozen=True)
class SurgeonNumber:
    item: str  # the id of the question-set item where it is asked
    field: str  # the field of extract.findings.SurgeonNumbers
    label: str
    unit: str
    meaning: str  # what the number tells a patient (questions.md)


SURGEON_NUMBERS = (
    SurgeonNumber("volume", "fusions_per_year", "Fusions per year", " a year",
                  "More than 50 a year counts as high volume."),
    SurgeonNumber("revision", "revision_rate_5yr_pct", "Revision rate at 5 years", "%",
                  "How often this surgeon's fusions needed another operation within 5 years."),
    SurgeonNumber("not_fused", "pct_not_fused", "Patients evaluated who are not fused", "%",
                  "\"Almost none\" marks a practice that leans to fusion; 30-40% one that "
                  "refers patients to other treatments."),
)
OTHER_REQUESTS = {"cost": "Cost and prior authorization", "comparison": "Written comparison",
                  "referral": "Referral for a second opinion"}
REQUEST_MET = {"cost": ("said",), "comparison": ("agreed",), "referral": ("agreed",)}


@dataclass(frozen=True)
class ReportInput:
    findings: Findings
    transcript: Transcript | None
    audio_name: str | None  # the recording's file name, relative to the report
    markers: tuple[dict, ...] = ()  # {"time": seconds, "note": str} from the manifest
    tool_version: str = ""
    visit_date: date | None = None  # known when the visit was recorded with this tool
    followup_email: str | None = None  # the text of followup.txt; None: nothing to ask for


@dataclass(frozen=True)
class NumberRow:
    label: str
    value: str | None  # None: not said
    meaning: str
    quote: Span | None


@dataclass(frozen=True)
class RequestRow:
    id: str
    label: str
    outcome: str
    met: bool
    quote: Span | None


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _number(value: float) -> str:
    return f"{value:g}"


def number_rows(findings: Findings) -> tuple[NumberRow, ...]:
    items = {i.id: i for i in findings.items}
    rows = []
    for number in SURGEON_NUMBERS:
        value = getattr(findings.surgeon_numbers, number.field)
        item = items.get(number.item)
        rows.append(NumberRow(label=number.label, meaning=number.meaning,
                              value=None if value is None else _number(value) + number.unit,
                              quote=item.quote if item else None))
    return tuple(rows)


def request_rows(findings: Findings) -> tuple[RequestRow, ...]:
    return tuple(
        RequestRow(id=i.id, label=OTHER_REQUESTS[i.id],
                   outcome=OUTCOME_LABELS.get(i.outcome, i.outcome.replace("_", " ")),
                   met=i.outcome in REQUEST_MET[i.id], quote=i.quote)
        for i in findings.items if i.id in OTHER_REQUESTS)


def next_steps(findings: Findings, *, email_on_page: bool = False) -> tuple[str, ...]:
    """What the patient does now, most important first, in plain words."""
    steps = []
    if findings.artifacts.count < len(ARTIFACTS):
        email = (f"the email further down this page to the practice (it is also saved as "
                 f"{FOLLOWUP_FILE})" if email_on_page
                 else f"the email in {FOLLOWUP_FILE} (in this folder) to the practice")
        steps.append(f"Send {email}. It asks, politely and in writing, for everything marked "
                     "Missing below.")
    if findings.verdict == "second_consultation_warranted":
        steps.append("Do not schedule surgery yet: get a second consultation first.")
    if findings.red_flags:
        steps.append("Read the warning signs below before you decide anything. Elective spine "
                     "surgery never has to be decided on the same day.")
    steps.append("Bring this report and the recording to your second opinion.")
    return tuple(steps)


def said_by(transcript: Transcript | None, span: Span | None) -> str:
    """Who said the words of `span`, as a report sentence names them: "the surgeon",
    "the patient", "Speaker 2"; "" when the transcript has no speaker labels there. The
    speaker is the one whose segments cover most of the span's time."""
    if transcript is None or span is None:
        return ""
    covered: dict[str, float] = {}
    for segment in transcript.segments:
        overlap = min(segment.end, span.end) - max(segment.start, span.start)
        if segment.speaker and (overlap > 0 or segment.start <= span.start < segment.end):
            covered[segment.speaker] = covered.get(segment.speaker, 0.0) + max(overlap, 0.0)
    if not covered:
        return ""
    label = max(covered, key=covered.get)
    roles = {s.label: s.role for s in transcript.speakers}
    return f"the {label.lower()}" if roles.get(label) else label


def _without_controls(text: str) -> str:
    """Terminal escape sequences and other control characters removed; tabs, newlines kept."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


# Characters that make Markdown or HTML anywhere in a line, and those that do at its start.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|&~])")
MARKDOWN_LINE_START = re.compile(r"^(\d*)([-+.)])(?=\s)")  # "- x", "+ x", "1. x", "1) x"


def _markdown_value(value) -> str:
    """A value as literal Markdown text: one line, every special character escaped."""
    text = re.sub(r"\s+", " ", _without_controls(str(value)))
    return MARKDOWN_LINE_START.sub(r"\1\\\2", MARKDOWN_SPECIAL.sub(r"\\\1", text))


def _text_value(value) -> str:
    return _without_controls(str(value))


def _wrap(text: str, width: int = 78, indent: str = "", hang: str | None = None) -> str:
    """A paragraph filled to `width` columns; `hang` indents its following lines."""
    return textwrap.fill(" ".join(str(text).split()), width=width, initial_indent=indent,
                         subsequent_indent=indent if hang is None else hang,
                         break_long_words=False, break_on_hyphens=False)


@lru_cache(maxsize=None)
def environment(kind: str) -> Environment:
    """`html`: autoescaped. `md`: every value escaped for Markdown. `txt`: plain text.
    In all three, values lose terminal control characters (a report may be printed to one)."""
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=kind == "html", undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=_markdown_value if kind == "md" else _text_value)
    env.filters.update(clock=clock, wrap=_wrap, long_date=long_date)
    env.tests["same_words_as"] = same_words
    env.globals.update(status_labels=STATUS_LABELS, status_symbols=STATUS_SYMBOLS,
                       red_flag_labels=RED_FLAG_LABELS, machine_note=MACHINE_NOTE)
    return env


def same_words(said: str, written: str) -> bool:
    """Whether a question was asked exactly as written, ignoring case and punctuation."""
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    return words(said) == words(written)


def _context(data: ReportInput, kind: str) -> dict:
    findings = data.findings
    present = findings.artifacts
    return dict(
        f=findings, transcript=data.transcript, audio=data.audio_name,
        said_by=lambda span: said_by(data.transcript, span),
        markers=data.markers, tool_version=data.tool_version, visit_date=data.visit_date,
        verdict_headline=VERDICT_HEADLINES[findings.verdict],
        verdict_label=VERDICT_LABELS[findings.verdict],
        artifacts=[(a, getattr(present, a.key)) for a in ARTIFACTS],
        artifact_count=present.count, artifact_total=len(ARTIFACTS),
        question_statuses=", ".join(f"{q.id} {STATUS_LABELS[q.status]}"
                                    for q in findings.questions),
        next_steps=next_steps(findings, email_on_page=kind == "html"
                              and data.followup_email is not None),
        followup_email=data.followup_email, followup_file=FOLLOWUP_FILE,
        numbers=number_rows(findings),
        requests=request_rows(findings),
        discussed=[p for p in findings.procedures if p.discussed],
        not_discussed=[p for p in findings.procedures if not p.discussed],
    )


def render(data: ReportInput, template: str) -> str:
    kind = template.rsplit(".", 1)[-1]
    return environment(kind).get_template(template).render(**_context(data, kind))


def render_html(data: ReportInput) -> str:
    return render(data, "report.html")


def render_markdown(data: ReportInput) -> str:
    return render(data, "report.md")


def render_text(data: ReportInput) -> str:
    return render(data, "report.txt")
