"""The other question sets on their own labelled visits (tests/visits): a knee replacement
consultation and a first oncology consultation after a new cancer diagnosis.

The labels must follow each set's own rules, and the analyzer must never say a question was
answered when the label says it was not (an overclaim), with or without speaker labels.
benchmarks/extract.py prints the full tables.
"""

from __future__ import annotations

import pytest

from extract.analyze import analyze, verdict_for
from extract.questionset import load_question_set_named
from testkit.paths import REPO
from testkit.scoring import total
from testkit.shared_corpus import read_cases, render, score_case

VISITS = REPO / "tests" / "visits"
CORPORA = sorted(p for p in VISITS.iterdir() if (p / "cases").is_dir())


@pytest.mark.parametrize("folder", CORPORA, ids=[p.name for p in CORPORA])
def test_the_labels_follow_the_rules_of_their_question_set(folder):
    cases = read_cases(folder)
    assert len(cases) >= 5
    for case in cases:
        question_set = load_question_set_named(case.question_set)
        labels = case.labels
        assert set(labels.questions) == {q.id for q in question_set.questions}, case.id
        assert set(labels.artifacts) == {a.id for a in question_set.artifacts}, case.id
        assert verdict_for(sum(labels.artifacts.values()), question_set) == labels.verdict
        assert labels.labelled_procedures == {p.id for p in question_set.procedures}
        assert {i.item for i in labels.items} <= {i.id for i in question_set.items}
        assert {n for _, n, _ in labels.numbers} == {n.id for n in question_set.numbers}
        assert labels.red_flags <= {r.kind for r in question_set.red_flags}, case.id


@pytest.mark.parametrize("folder", CORPORA, ids=[p.name for p in CORPORA])
def test_each_corpus_holds_the_hard_kinds_of_visit(folder):
    cases = read_cases(folder)
    statuses = [q.status for c in cases for q in c.labels.questions.values()]
    assert {"answered", "partial", "unanswered", "not_asked"} <= set(statuses)
    assert any(all(s.status == "not_asked" for s in c.labels.questions.values()) for c in cases)
    assert any(t.speaker == "companion" for c in cases for t in c.turns)
    assert any(i.truth == "refused" for c in cases for i in c.labels.items)
    assert any(c.labels.red_flags for c in cases)


@pytest.mark.parametrize("mode", ["labels", "no-labels"])
@pytest.mark.parametrize("folder", CORPORA, ids=[p.name for p in CORPORA])
def test_the_analyzer_never_overclaims_on_the_other_sets(folder, mode, nlp):
    cases = read_cases(folder)
    scores = []
    for case in cases:
        rendered = render(case, mode)
        findings = analyze(rendered.transcript, load_question_set_named(case.question_set), nlp)
        assert findings.question_set_file == case.question_set
        scores.append(score_case(case, findings, rendered))
    totals = total(scores)
    assert totals.status_total == 5 * len(cases)
    assert totals.overclaims == 0, [m for m in totals.mistakes if "OVERCLAIM" in m]
