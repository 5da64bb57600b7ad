"""A knee replacement visit and a visit that is not surgery at all (a new cancer diagnosis),
end to end: findings, the report, the follow-up email, the terminal summary and the prep
sheet, each from its own question set, compared with golden files in tests/golden/sets/.

The point is that a user's own TOML gives a correct report without touching Python: no spine
word reaches these outputs, and in the oncology visit nobody is called a surgeon. They run
with a blank spaCy pipeline and no embedder, like tests/test_findings_golden.py. After a
deliberate change, rewrite the golden files with

    VISIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_other_sets_end_to_end.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import spacy
from markupsafe import escape

from extract.questionset import load_question_set_named
from recorder.app.pipeline import analyze_visit, report_visit
from recorder.storage.visit import create_visit
from reports.prep import PrepInput, render_prep_html
from reports.summary import summary_lines
from testkit.paths import REPO
from testkit.shared_corpus import read_case, render

GOLDEN = REPO / "tests" / "golden" / "sets"
VISITS = REPO / "tests" / "visits"
# (a labelled visit, the words its outputs must never hold)
CASES = {
    "knee": (VISITS / "knee" / "cases" / "k1-03-pressure-and-surgeon-referral.json",
             ("fusion", "spine", "spinal")),
    "cancer": (VISITS / "cancer" / "cases" / "c1-05-son-interprets-plan-refused.json",
               ("fusion", "spine", "spinal", "surgeon")),
}
OUTPUTS = ("findings.json", "report.md", "report.txt", "followup.txt")


@pytest.fixture(scope="module")
def blank():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _processed(name: str, folder: Path, nlp):
    """The visit analysed and reported as `visit analyze --questions` and `visit report` do."""
    case = read_case(CASES[name][0])
    question_set = load_question_set_named(case.question_set)
    visit = create_visit(folder)
    transcript = render(case, "labels").transcript
    visit.write("transcript.json", transcript.to_json())
    findings = analyze_visit(visit, transcript, question_set, nlp)
    files = report_visit(visit)
    return case, question_set, findings, files


def _matches_golden(name: str, file_name: str, produced: str) -> None:
    golden = GOLDEN / name / file_name
    if os.environ.get("VISIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8"), f"{name}/{file_name}"


@pytest.mark.parametrize("name", CASES)
def test_the_visit_end_to_end_matches_its_golden_files(name, blank, tmp_path):
    case, question_set, findings, files = _processed(name, tmp_path / "visit", blank)
    assert findings.question_set_file == case.question_set
    for file_name in OUTPUTS:
        _matches_golden(name, file_name, (tmp_path / "visit" / file_name).read_text("utf-8"))
    prep = render_prep_html(PrepInput(question_set))
    _matches_golden(name, "prep-body.html", prep[prep.index("<body>"):])  # the page's words
    _matches_golden(name, "summary.txt", "\n".join(summary_lines(findings, question_set)) + "\n")


@pytest.mark.parametrize("name", CASES)
def test_no_spine_word_reaches_another_set_s_outputs(name, blank, tmp_path):
    case, question_set, findings, files = _processed(name, tmp_path / "visit", blank)
    outputs = {path.name: path.read_text("utf-8") for path in
               (files.html, files.markdown, files.text, files.followup)}
    outputs["prep.html"] = render_prep_html(PrepInput(question_set))
    outputs["summary"] = "\n".join(summary_lines(findings, question_set))
    for output, text in outputs.items():
        for word in CASES[name][1]:
            assert not re.search(rf"\b{word}", text, flags=re.IGNORECASE), (output, word)
    # ...and the set's own wording is what they say instead.
    assert question_set.wording.questions_heading in outputs["report.md"]
    assert all(escape(a.name) in outputs["prep.html"] for a in question_set.artifacts)
    verdict = question_set.verdict(findings.verdict)
    assert verdict.label in " ".join(outputs["summary"].split())
