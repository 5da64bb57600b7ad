"""Golden files: fixed findings in, the exact Markdown, plain text and follow-up email out.

Regenerate after an intended change with `UPDATE_GOLDEN=1 .venv/bin/python -m pytest
tests/test_report_golden.py`, then read `git diff tests/golden/` before committing.
"""

from __future__ import annotations

import os

import pytest

from reports.followup import draft_followup
from reports.render import render_markdown, render_text
from testkit.report_cases import (
    CASES,
    findings_of,
    question_set_of,
    report_input,
    visit_date_of,
)

OUTPUTS = {
    "report.md": lambda case: render_markdown(report_input(case)),
    "report.txt": lambda case: render_text(report_input(case)),
    "followup.txt": lambda case: draft_followup(findings_of(case), question_set_of(case),
                                                visit_date=visit_date_of(case)),
}


def test_the_golden_cases_cover_complete_empty_and_hostile_visits():
    assert {case.name for case in CASES} >= {"complete", "nothing", "red-flags"}


@pytest.mark.parametrize("name", OUTPUTS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_output_matches_its_golden_file(case, name):
    produced = OUTPUTS[name](case)
    expected = case / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_text(produced, encoding="utf-8")
    assert produced == expected.read_text(encoding="utf-8")
