"""The Transcript and Findings contracts: documented, versioned JSON that round-trips."""

from __future__ import annotations

import json

import pytest

from extract.errors import BadInput
from extract.findings import FINDINGS_FORMAT, Findings
from extract.transcript import Segment, Transcript, Word, ends_sentence
from recorder.storage.transcript_files import read_transcript
from testkit.report_cases import GOLDEN

FINDINGS_FIELDS = {"format", "version", "question_set", "question_set_file", "questions",
                   "procedures", "numbers", "items", "red_flags", "artifacts", "verdict"}
QUESTION_FIELDS = {"id", "text", "status", "asked", "answer", "evidence"}
ARTIFACT_IDS = ["written_comparison", "five_answers", "volume_and_revision", "referral",
                "delay_risk_understood"]


def _transcript() -> Transcript:
    words = (Word(0.5, 0.9, "Hello", 0.91), Word(0.9, 1.3, "doctor.", 0.88))
    return Transcript(engine="faster-whisper", model="base", language="en", duration_s=2.0,
                      segments=(Segment(0.5, 1.3, "Hello doctor.", words, 0.8, False, None),),
                      audio_sha256="ab" * 32)


def test_transcript_json_round_trip(tmp_path):
    original = _transcript()
    path = tmp_path / "transcript.json"
    path.write_text(original.to_json())
    assert read_transcript(path) == original
    data = json.loads(original.to_json())
    assert data["format"] == "appointment-recorder/transcript" and data["version"] == 1
    assert data["segments"][0]["words"][1] == {"start": 0.9, "end": 1.3, "text": "doctor.",
                                               "probability": 0.88}


def test_a_transcript_of_another_version_is_refused_with_the_fix(tmp_path):
    data = json.loads(_transcript().to_json())
    data["version"] = 99
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadInput, match="version 99.*transcribe the audio again"):
        read_transcript(path)


def test_findings_json_has_the_documented_fields_and_round_trips(processed_sample):
    text = (processed_sample / "findings.json").read_text()
    data = json.loads(text)
    assert FINDINGS_FIELDS <= set(data)
    assert data["format"] == FINDINGS_FORMAT and data["version"] == 2
    assert data["question_set_file"] == "spine_fusion.toml"
    assert [q["id"] for q in data["questions"]] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    for question in data["questions"]:
        assert QUESTION_FIELDS <= set(question)
        assert question["status"] in {"answered", "partial", "unanswered", "not_asked"}
        for span in (question["asked"], question["answer"]):
            assert span is None or {"start", "end", "text"} <= set(span)
    assert [a["id"] for a in data["artifacts"]] == ARTIFACT_IDS
    assert all(isinstance(a["present"], bool) for a in data["artifacts"])
    assert [n["id"] for n in data["numbers"]] == ["volume", "revision", "not_fused"]
    assert {p["id"] for p in data["procedures"]} == {"fibrin", "prp", "decompression", "rehab"}
    assert data["verdict"] in {"equipped", "partial", "second_consultation_warranted"}
    findings = Findings.from_json(text)
    assert findings.to_json() == text


def test_a_version_1_findings_file_is_read_through_the_documented_mapping():
    """tests/golden/red-flags/findings.json was written by version 1 (spine fields): its
    numbers and artifacts become the spine set's ids, `other_surgeon` is `not_counting`."""
    text = (GOLDEN / "red-flags" / "findings.json").read_text()
    old = json.loads(text)
    assert old["version"] == 1
    findings = Findings.from_json(text)
    assert findings.version == 2 and findings.question_set_file == "spine_fusion.toml"
    assert [(n.id, n.value) for n in findings.numbers] == [
        ("volume", old["surgeon_numbers"]["fusions_per_year"]),
        ("revision", old["surgeon_numbers"]["revision_rate_5yr_pct"]),
        ("not_fused", old["surgeon_numbers"]["pct_not_fused"])]
    assert {a.id: a.present for a in findings.artifacts} == old["artifacts"]
    outcomes = {i["id"]: i["outcome"] for i in old["items"]}
    assert outcomes["referral"] == "other_surgeon"
    assert next(i for i in findings.items if i.id == "referral").outcome == "not_counting"
    assert json.loads(findings.to_json())["version"] == 2  # written back as version 2


def test_findings_of_a_version_no_reader_knows_are_refused():
    data = json.loads((GOLDEN / "complete" / "findings.json").read_text())
    data["version"] = 3
    with pytest.raises(ValueError, match="version 1 or 2"):
        Findings.from_json(json.dumps(data))


@pytest.mark.parametrize("word, ends", [
    ("now.", True), ("right?", True), ("No!", True), ("A.", True), ("L5-S1.", True),
    ("Mbeki,", False), ("so", False),
    # A title before a name, and letters with stops, end with "." inside a sentence.
    ("Dr.", False), ("dr.", False), ("Mrs.", False), ("M.R.I.", False), ("e.g.", False),
])
def test_a_word_ends_a_sentence_by_its_stop_but_a_title_or_letters_with_stops_do_not(word, ends):
    assert ends_sentence(word) is ends

