"""The golden report cases in tests/golden/: fixed Findings, Transcript and visit facts.

Each folder holds the inputs (findings.json, transcript.json when there is one, visit.json:
the audio file name, markers, visit date and tool version) and the exact expected outputs
(report.md, report.txt, followup.txt). `UPDATE_GOLDEN=1 pytest tests/test_report_golden.py`
writes the outputs again; read the diff before committing it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from extract.findings import Findings
from extract.questionset import QuestionSet, load_question_set_named
from extract.transcript import Transcript
from recorder.storage.visit import create_visit
from reports.followup import draft_followup, open_requests
from reports.render import ReportInput
from testkit.paths import GOLDEN_DIR

GOLDEN = GOLDEN_DIR
CASES = sorted(folder for folder in GOLDEN.iterdir() if (folder / "findings.json").is_file())


def _facts(case: Path) -> dict:
    return json.loads((case / "visit.json").read_text(encoding="utf-8"))


def findings_of(case: Path) -> Findings:
    return Findings.from_json((case / "findings.json").read_text(encoding="utf-8"))


def question_set_of(case: Path) -> QuestionSet:
    return load_question_set_named(findings_of(case).question_set_file)


def visit_date_of(case: Path) -> date | None:
    day = _facts(case)["visit_date"]
    return date.fromisoformat(day) if day else None


def report_input(case: Path) -> ReportInput:
    facts = _facts(case)
    transcript_file = case / "transcript.json"
    transcript = (Transcript.from_dict(json.loads(transcript_file.read_text(encoding="utf-8")))
                  if transcript_file.is_file() else None)
    findings, question_set = findings_of(case), question_set_of(case)
    email = (draft_followup(findings, question_set, visit_date=visit_date_of(case))
             if not open_requests(findings, question_set).empty else None)
    return ReportInput(findings=findings, question_set=question_set, transcript=transcript,
                       audio_name=facts["audio_file"], markers=tuple(facts["markers"]),
                       tool_version=facts["tool_version"], visit_date=visit_date_of(case),
                       followup_email=email)


def make_visit(case: Path, folder: Path) -> Path:
    """A visit folder holding the case's findings and transcript, as `visit analyze` leaves
    it; a case with a visit date gets a consent record of that day, as `visit record` would."""
    facts = _facts(case)
    visit = create_visit(folder)
    consent = ({"given_by": ["Dr. Brandt", "Jane Doe"],
                "time": f"{facts['visit_date']}T09:30:00+00:00"} if facts["visit_date"] else None)
    visit.write_manifest(replace(visit.read_manifest(), audio_file=facts["audio_file"],
                                 markers=tuple(facts["markers"]), consent=consent))
    for name in ("findings.json", "transcript.json"):
        if (case / name).is_file():
            visit.write(name, (case / name).read_text(encoding="utf-8"))
    return folder
