"""The analyzer over the labelled corpus (tests/corpus), scored as benchmarks/extract.py does.

The floors sit a little below the targets (status accuracy 0.97, verdict accuracy 0.96) so
that a regression fails CI; overclaims (answered or partial where the truth is lower) must
be zero, always.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.analyze import verdict_for
from extract.errors import BadInput
from extract.questionset import load_question_set
from testkit.corpus import evaluate, read_consultation, read_corpus
from testkit.paths import REPO

CORPUS = REPO / "tests" / "corpus"
STATUS_FLOOR = 0.95
VERDICT_FLOOR = 0.93
ASKED_FLOOR = 0.95  # precision and recall of "was this question asked"
FINDING_FLOOR = 0.95  # procedures, artifacts, the surgeon's numbers, items
RED_FLAG_FLOOR = 0.9  # per visit, the exact set of kinds
FACT_RECALL_FLOOR = 0.85


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(CORPUS)


@pytest.fixture(scope="module")
def rows(corpus, nlp):
    return evaluate(corpus, nlp)


def _set_for(consultation):
    name = consultation.gold.question_set
    return load_question_set(REPO / "extract" / name if name else None)


def test_the_corpus_is_large_and_its_labels_agree_with_the_rules(corpus):
    assert len(corpus) >= 25
    for consultation in corpus:
        gold, question_set = consultation.gold, _set_for(consultation)
        assert set(gold.statuses) == {q.id for q in question_set.questions}, consultation.name
        artifacts = gold.artifacts
        assert verdict_for(sum(artifacts.values()), question_set) == gold.verdict
        assert artifacts["five_answers"] == all(s == "answered" for s in gold.statuses.values())
        critical = [q.id for q in question_set.questions if q.critical]
        assert artifacts["delay_risk_understood"] == all(gold.statuses[c] == "answered"
                                                         for c in critical), consultation.name
        assert set(gold.procedures) <= {p.id for p in question_set.procedures}
        assert set(gold.red_flags) <= {r.kind for r in question_set.red_flags}
        assert set(gold.facts) <= {q for q, s in gold.statuses.items()
                                   if s in ("answered", "partial")}, consultation.name


def test_the_corpus_covers_the_hard_kinds_of_visit(corpus):
    speakers = {speaker for c in corpus for speaker, _ in c.turns}
    assert {"PATIENT", "SURGEON", "COMPANION", "NURSE"} <= speakers
    statuses = [s for c in corpus for s in c.gold.statuses.values()]
    assert {statuses.count(s) > 10 for s in ("answered", "partial", "unanswered",
                                              "not_asked")} == {True}
    assert sum(all(s == "not_asked" for s in c.gold.statuses.values()) for c in corpus) >= 2
    assert {k for c in corpus for k in c.gold.red_flags} == {
        r.kind for r in load_question_set().red_flags}
    assert {c.gold.items.get("referral") for c in corpus} >= {"agreed", "refused",
                                                                "not_counting"}
    assert len({c.gold.question_set for c in corpus}) >= 2


def test_speaker_labels_never_reach_the_analyzer(corpus):
    for consultation in corpus:
        text = consultation.transcript.text
        for speaker in {s for s, _ in consultation.turns}:
            assert f"{speaker}:" not in text
        assert len(text.split()) == consultation.words
        assert all(s.speaker is None for s in consultation.transcript.segments)
        starts = [w.start for s in consultation.transcript.segments for w in s.words]
        assert starts == sorted(starts)


def test_no_answer_is_ever_claimed_that_was_not_given(rows):
    assert rows["all"].overclaims == 0, rows["all"].mistakes


def test_status_accuracy_and_finding_the_questions(rows):
    every = rows["all"]
    assert every.status_accuracy >= STATUS_FLOOR, every.mistakes
    assert every.asked_precision >= ASKED_FLOOR and every.asked_recall >= ASKED_FLOOR, \
        every.mistakes
    assert every.key_facts >= FACT_RECALL_FLOOR


@pytest.mark.parametrize("row, floor", [
    ("verdict", VERDICT_FLOOR), ("artifacts", FINDING_FLOOR), ("procedures", FINDING_FLOOR),
    ("numbers", FINDING_FLOOR), ("items", FINDING_FLOOR), ("red flags", RED_FLAG_FLOOR)])
def test_everything_else_the_report_says(rows, row, floor):
    right, checked = rows["all"].row(row)
    assert checked and right / checked >= floor, rows["all"].mistakes


def test_the_blank_fallback_pipeline_never_overclaims_either(corpus):
    import spacy

    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    every = evaluate(corpus, blank)["all"]
    assert every.overclaims == 0
    assert every.status_accuracy >= STATUS_FLOOR
    right, checked = every.row("verdict")
    assert right / checked >= VERDICT_FLOOR


def test_a_consultation_without_front_matter_or_with_a_bad_line_is_refused(tmp_path: Path):
    bare = tmp_path / "bare.txt"
    bare.write_text("PATIENT: hello\n")
    with pytest.raises(BadInput, match="front matter"):
        read_consultation(bare)
    labelled = (CORPUS / "03-rushed.txt").read_text()
    broken = tmp_path / "broken.txt"
    broken.write_text(labelled + "this line has no speaker\n")
    with pytest.raises(BadInput, match="SPEAKER: words"):
        read_consultation(broken)
    unlabelled = tmp_path / "unlabelled.txt"
    unlabelled.write_text(labelled.replace('Q1 = "answered"', 'Q1 = "sort of"'))
    with pytest.raises(BadInput, match="sort of"):
        read_consultation(unlabelled)
