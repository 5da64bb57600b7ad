"""`visit followup`: the polite email asking the practice, in writing, for what is open."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

from click.testing import CliRunner

from extract.questionset import load_question_set
from recorder.app.cli import main
from recorder.storage.visit import VisitFolder
from reports.followup import draft_followup
from testkit.report_cases import GOLDEN, findings_of, make_visit

OPEN = ("unanswered", "partial", "not_asked")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_followup_prints_and_saves_the_email_for_the_open_questions(tmp_path):
    case = GOLDEN / "red-flags"
    visit = make_visit(case, tmp_path / "visit")
    result = CliRunner().invoke(main, ["followup", str(visit)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (case / "followup.txt").read_text()  # the golden email
    assert (visit / "followup.txt").read_text() == result.stdout
    assert "fill in your name" in result.stderr
    email = _flat(result.stdout)
    for question in findings_of(case).questions:
        assert (f"“{question.text}”" in email) == (question.status in OPEN)
    assert "written comparison" in email and "referral to a non-surgical spine specialist" in email


def test_followup_on_the_sample_visit_asks_only_for_what_is_missing(processed_sample):
    findings = json.loads((processed_sample / "findings.json").read_text())
    result = CliRunner().invoke(main, ["followup", str(processed_sample)])
    assert result.exit_code == 0, result.output
    email = _flat(result.output)
    for question in findings["questions"]:
        assert (question["text"] in email) == (question["status"] in OPEN)
    present = {a["id"]: a["present"] for a in findings["artifacts"]}
    assert ("written comparison" in email) != present["written_comparison"]
    assert ("referral" in email) != present["referral"]


def test_followup_says_so_when_nothing_is_open(tmp_path):
    visit = make_visit(GOLDEN / "complete", tmp_path / "visit")
    result = CliRunner().invoke(main, ["followup", str(visit)])
    assert result.exit_code == 0
    assert result.output == load_question_set().wording.nothing_to_follow_up + "\n"
    assert "Dear" not in result.output


def test_the_email_names_the_day_of_a_recorded_visit(tmp_path):
    visit = VisitFolder(make_visit(GOLDEN / "red-flags", tmp_path / "visit"))
    consent = {"given_by": ["Jane Doe"], "time": "2026-11-20T09:30:00+00:00"}
    visit.write_manifest(replace(visit.read_manifest(), consent=consent))
    result = CliRunner().invoke(main, ["followup", str(visit.path)])
    assert result.output.startswith(
        "Subject: Follow-up questions from my consultation on 20 November 2026\n")
    assert draft_followup(findings_of(GOLDEN / "red-flags"), load_question_set(),
                          visit_date=date(2026, 1, 5)) \
        .startswith("Subject: Follow-up questions from my consultation on 5 January 2026\n")


def test_followup_before_analysis_says_what_to_run(tmp_path):
    visit = make_visit(GOLDEN / "red-flags", tmp_path / "visit")
    (visit / "findings.json").unlink()
    result = CliRunner().invoke(main, ["followup", str(visit)])
    assert result.exit_code == 1 and "run `visit analyze" in result.output
    assert not (visit / "followup.txt").exists()
