"""The whole chain on one corpus consultation spoken aloud: espeak-ng audio (testkit.speech)
-> real Whisper -> the analyzer, compared with the consultation's labels (about 15 s).

One recogniser pass, compared with fixed labels: the safety property (never more confident
than the labels) is exact; a status may come out one step more cautious where a few short
words are heard differently on another machine's CPU."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rapidfuzz import fuzz, utils

from extract.findings import Findings
from recorder.app.cli import main
from testkit.corpus import question_set_of, read_consultation, score_consultation
from testkit.paths import CORPUS_DIR
from testkit.speech import speak

pytestmark = pytest.mark.whisper

# Short, and hard where it matters: a bare "not a candidate" that must stay unanswered.
SPOKEN = CORPUS_DIR / "12-not-candidate-no-reason.txt"
STAFF = ("SURGEON", "NURSE", "PA")  # anyone answering for the practice speaks as the surgeon
# A question counts as heard when its wording is in the transcript this closely (rapidfuzz
# partial ratio, 0-100): a word or two misheard.
HEARD_RATIO = 85
STATUS_RANK = {"not_asked": 0, "unanswered": 1, "partial": 2, "answered": 3}
VERDICT_RANK = {"second_consultation_warranted": 0, "partial": 1, "equipped": 2}


def test_a_spoken_consultation_gets_its_labelled_statuses(tmp_path):
    consultation = read_consultation(SPOKEN)
    audio = speak([("surgeon" if speaker in STAFF else "patient", words)
                   for speaker, words in consultation.turns]).write(tmp_path / "spoken.wav")
    out = tmp_path / "visit"
    result = CliRunner().invoke(main, ["process", str(audio), "--out", str(out)])
    assert result.exit_code == 0, result.output
    findings = Findings.from_json((out / "findings.json").read_text())
    scores = score_consultation(consultation, findings, question_set_of(consultation))
    assert scores["all"].overclaims == 0
    found = {q.id: q.status for q in findings.questions}
    gold = consultation.gold.statuses
    # Never more confident than the label, whatever the recogniser made of the audio.
    assert all(STATUS_RANK[found[qid]] <= STATUS_RANK[gold[qid]] for qid in gold), found
    # The questions the recogniser wrote down recognisably (their wording in the transcript,
    # a few words off at most): all but one of them. On an AVX2-only CPU (int8 arithmetic
    # differs from AVX-512's) Whisper base wrote Q3 as "Have you removed where I am disc
    # repair, ..." (70.8 against the wording; the others 94.8-100), which no analyzer should
    # take for the question; the transcription benchmark measures such losses.
    transcript = json.loads((out / "transcript.json").read_text())
    text = utils.default_process(" ".join(s["text"] for s in transcript["segments"]))
    heard = {q.id for q in question_set_of(consultation).questions
             if fuzz.partial_ratio(utils.default_process(q.text), text) >= HEARD_RATIO}
    assert len(heard & set(gold)) >= len(gold) - 1, heard
    # Which questions were asked is found exactly among those heard: they are long sentences.
    assert {qid for qid in heard & set(gold) if found[qid] == "not_asked"} == {
        qid for qid in heard & set(gold) if gold[qid] == "not_asked"}, found
    # ...and all but one of their statuses exactly right (seen once in four runs on another
    # machine: Q5's number missed).
    assert sum(found[qid] == gold[qid] for qid in heard & set(gold)) >= len(
        heard & set(gold)) - 1, found
    # The written comparison and the referral hang on a few short words of the surgeon's:
    # the verdict may come out lower than the truth, never higher.
    assert VERDICT_RANK[findings.verdict] <= VERDICT_RANK[consultation.gold.verdict]
    assert findings.artifact("delay_risk_understood") <= consultation.gold.artifacts[
        "delay_risk_understood"]
    assert transcript["engine"] == "faster-whisper"
