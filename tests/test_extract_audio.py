"""The whole chain on one corpus consultation spoken aloud: espeak-ng audio -> real Whisper ->
the analyzer, compared with the consultation's labels (about 15 s)."""

from __future__ import annotations

import importlib.util
import json

from click.testing import CliRunner

from extract.findings import Findings
from recorder.app.cli import main
from testkit.corpus import read_consultation, score
from tests.conftest import REPO

# Short, and hard where it matters: a bare "not a candidate" that must stay unanswered.
SPOKEN = REPO / "tests" / "corpus" / "12-not-candidate-no-reason.txt"
STATUS_RANK = {"not_asked": 0, "unanswered": 1, "partial": 2, "answered": 3}
VERDICT_RANK = {"second_consultation_warranted": 0, "partial": 1, "equipped": 2}


def _benchmark():
    spec = importlib.util.spec_from_file_location("extract_benchmark",
                                                  REPO / "benchmarks" / "extract.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_spoken_consultation_gets_its_labelled_statuses(tmp_path):
    consultation = read_consultation(SPOKEN)
    audio = _benchmark().render_consultation(consultation, tmp_path / "spoken")
    out = tmp_path / "visit"
    result = CliRunner().invoke(main, ["process", str(audio), "--out", str(out)])
    assert result.exit_code == 0, result.output
    findings = Findings.from_json((out / "findings.json").read_text())
    tallies = {}
    score(consultation.name, findings, consultation.gold, tallies)
    assert tallies["all questions"].overclaims == 0
    # Spoken through a real recogniser, a question may come out one step more cautious than
    # its label when a few words are heard differently from one run to the next (seen once in
    # four runs: Q5's number missed); never more confident, and all but one exactly right.
    found = {q.id: q.status for q in findings.questions}
    gold = consultation.gold.statuses
    assert all(STATUS_RANK[found[qid]] <= STATUS_RANK[gold[qid]] for qid in gold), found
    assert sum(found[qid] == gold[qid] for qid in gold) >= len(gold) - 1, found
    # The written comparison and the referral hang on a few short words of the surgeon's that
    # the recogniser does not always write the same way from one run to the next: the verdict
    # may come out lower than the truth, never higher.
    assert VERDICT_RANK[findings.verdict] <= VERDICT_RANK[consultation.gold.verdict]
    assert findings.artifacts.delay_risk_understood <= consultation.gold.artifacts[
        "delay_risk_understood"]
    transcript = json.loads((out / "transcript.json").read_text())
    assert transcript["engine"] == "faster-whisper"
