"""A transcript the live checklist really made of the sample visit (faster-whisper base,
short windows, no pauses between its segments, no speaker labels): the surgeon's reply must
not be taken for a re-asking because the next sentence is someone else's question.

The file is recogniser output kept as it was (tests/data/live/), so this runs in a second
and holds whatever the recogniser does on the next run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract.analyze import analyze
from extract.transcript import Transcript

LIVE = Path(__file__).parent / "data" / "live" / "sample-visit-live-transcript.json"


@pytest.fixture(scope="module")
def live_transcript() -> Transcript:
    return Transcript.from_dict(json.loads(LIVE.read_text()))


@pytest.mark.parametrize("by_meaning", [False, True], ids=["words", "meaning"])
def test_a_reply_run_into_the_next_question_is_the_reply_not_a_re_asking(
        live_transcript, question_set, nlp, embedder, sample_truth, by_meaning):
    findings = analyze(live_transcript, question_set, nlp,
                       embedder=embedder if by_meaning else None)
    assert {q.id: q.status for q in findings.questions} == sample_truth["questions"]
    q3 = next(q for q in findings.questions if q.id == "Q3")
    # Asked once, where the patient asked it; answered by the reply that follows.
    assert q3.asked.text.startswith("Have you reviewed whether I am a candidate")
    assert "you are a good candidate for fibrin injection" in q3.answer.text
    assert "fusion" not in q3.answer.text
