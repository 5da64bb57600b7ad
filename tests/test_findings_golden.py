"""Golden findings: a transcript in, the exact findings.json out, for a dozen visits.

They run without spaCy's model and without the embedder (a blank English pipeline and
word-overlap matching, the fallback every install has), so any change in what the analyzer
finds shows up here as a diff to read. After a deliberate change, rewrite them with

    VISIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_findings_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import spacy

from extract.analyze import analyze
from extract.questionset import load_question_set
from testkit.corpus import read_consultation

CORPUS = Path(__file__).parent / "corpus"
GOLDEN = Path(__file__).parent / "golden" / "findings"
VISITS = ("01-verbatim-equipped", "02-paraphrased", "04-fusion-first", "05-out-of-order-interrupted",
          "06-vague-answers", "07-companion-asks", "12-not-candidate-no-reason", "14-repeated-question",
          "17-treatments-no-rates", "19-refusals", "22-all-in-one-breath",
          "27-knee-answered", "34-unrelated-numbers", "38-late-answer-after-next-question")


@pytest.fixture(scope="module")
def blank():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@pytest.mark.parametrize("name", VISITS)
def test_findings_are_exactly_the_golden_file(name, blank):
    consultation = read_consultation(CORPUS / f"{name}.txt")
    question_set = load_question_set(CORPUS.parent.parent / "extract" / consultation.gold.question_set
                                     if consultation.gold.question_set else None)
    found = analyze(consultation.transcript, question_set, blank).to_json()
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("VISIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(found, encoding="utf-8")
    assert found == golden.read_text(encoding="utf-8")


def test_the_golden_visits_exist():
    assert all((CORPUS / f"{name}.txt").is_file() for name in VISITS)
