"""The analyzer on ../shared/corpus: 36 consultations by six writers who never saw it.

Floors a little under what the analyzer reaches (benchmarks/extract.py prints the full
tables, with leave-one-writer-out cross-validation); overclaims, answered or partial where
the label is lower, may not exceed the one the analyzer still makes. The corpus is not in
this repository: CI lays shared/ beside the clone, and a missing corpus fails here rather
than skipping.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from extract.analyze import analyze
from testkit.scoring import Totals, fact_form, total
from testkit.shared_corpus import (
    MODES,
    SHARED_CORPUS,
    read_cases,
    render,
    score_case,
    to_webvtt,
)


@dataclass(frozen=True)
class Floor:
    status_accuracy: float
    asked_f1: float
    key_facts: float
    verdicts: int  # of 36
    overclaims: int  # at most
    items: int = 0  # of 108: cost discussed, written comparison agreed, referral given
    numbers: int = 0  # of 108: the surgeon's three numbers
    red_flags: int = 0  # of 36: cases whose set of labelled red-flag kinds is exactly right


# Measured with benchmarks/extract.py at 00:03 UTC on 2 December 2026 (README, "Matching
# benchmark"): no labels 0.911 status, 1 overclaim, asked F1 0.972, key facts 0.836, 18
# verdicts; labels 0.922, 1, 0.968, 0.874, 20; at 00:20, after the analyzer's last commits,
# no labels 0.906, 1, 0.961, 0.836, 18 and labels 0.906, 1, 0.961, 0.845, 19. Floors a few
# statuses lower. The one overclaim left is a ceiling, not the goal: the target is 0.
# At 01:50, after the verdict's items, numbers and red flags (wt-verdict): no labels 0 overclaims,
# 26 verdicts, items 106/108, numbers 101/108, red flags 35/36; labels 0, 27, 107, 103, 36.
# Floors a case or two lower. At 02:00, with the replies of timed words without labels (a
# question asked back, and what its asker says around it, is never the reply): 0 overclaims in
# every form; recogniser-like timed words 0.883, asked F1 0.954, key facts
# 0.812, 24 verdicts, items 107, numbers 98, red flags 36 (0.856 and 5 overclaims before).
# After the numbers' phrases in normalised form: numbers no labels 105, labels 107.
# At 02:05, with questions finished by a fragment ("What exactly is wrong in there? On the
# pictures.") and read out in quotes: no labels 0.939, asked F1 0.976, key facts 0.903, 27
# verdicts; labels 0.933, 0.976, 0.903, 27; recogniser 0.900, 0.965, 0.855, 24.
# At 02:15, with the comparison's acts in the practice's words: no labels 27 verdicts, items
# 107; labels 28, 108; recogniser-like timed words 24, 106, numbers 102. At 02:20, with a
# question's every concept group outranking a closer partial reading: no labels 0.950, asked
# F1 0.983, key facts 0.918, 30 verdicts; labels 0.944, 0.983, 0.918, 30; recogniser 0.917,
# 0.972, 0.870, 26. At 02:30, with a proportion up to two sentences after one on topic
# (topic_carry_sentences): no labels 0.956, 30 verdicts; labels 0.950, 31; recogniser 0.922, 26.
# With a number item named "your ..." and answered in the next turn: no labels 31 verdicts,
# numbers 106; recogniser 27, numbers 103. At 02:40, with a question leaning on the two
# sentences before it: no labels 0.967, asked F1 0.990, key facts 0.928, 32 verdicts;
# labels 0.961, 0.990, 0.928, 32; recogniser 0.933, 0.979, 0.879, 28.
# With a majority beside a deflection partial (Q2): no labels 0.972, labels 0.967,
# recogniser 0.939; 32 verdicts with and without labels, 28 recogniser.
# With 'come back for another' asking for the revision rate: 33 verdicts with and without
# labels, numbers 108 and 107, recogniser 105.
FLOORS = {
    "no-labels": Floor(status_accuracy=0.95, asked_f1=0.98, key_facts=0.91, verdicts=31,
                       overclaims=0, items=106, numbers=105, red_flags=34),
    "labels": Floor(status_accuracy=0.95, asked_f1=0.98, key_facts=0.91, verdicts=31,
                    overclaims=0, items=106, numbers=106, red_flags=34),
    "recogniser": Floor(status_accuracy=0.91, asked_f1=0.97, key_facts=0.86, verdicts=26,
                        overclaims=0, items=105, numbers=103, red_flags=34),
}


@pytest.fixture(scope="module")
def cases():
    return read_cases(SHARED_CORPUS)


@pytest.fixture(scope="module")
def embedder():
    from extract.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="module")
def measured(cases, nlp, question_set, embedder) -> dict[str, Totals]:
    results = {}
    for mode in FLOORS:
        scores = []
        for case in cases:
            rendered = render(case, mode)
            findings = analyze(rendered.transcript, question_set, nlp, embedder=embedder)
            scores.append(score_case(case, findings, rendered))
        results[mode] = total(scores)
    return results


@pytest.mark.slow  # 72 analyses with the embedding model: a minute or two on 2 busy cores
@pytest.mark.parametrize("mode", sorted(FLOORS))
def test_the_analyzer_holds_its_floor_on_consultations_written_by_others(measured, mode):
    floor, got = FLOORS[mode], measured[mode]
    mistakes = "\n".join(line for line in got.mistakes if " Q" in line)
    assert got.cases == 36
    assert got.overclaims <= floor.overclaims, mistakes
    assert got.status_accuracy >= floor.status_accuracy, mistakes
    assert got.asked_f1 >= floor.asked_f1, mistakes
    assert got.key_facts >= floor.key_facts, mistakes
    everything = "\n".join(got.mistakes)
    assert got.verdicts_right >= floor.verdicts, everything
    assert got.items_right >= floor.items, everything
    assert got.numbers_right >= floor.numbers, everything
    assert got.red_flags_right >= floor.red_flags, everything


# --- The corpus and its scoring, without the analyzer ----------------------------------

def test_every_case_is_read_with_its_labels(cases):
    assert len(cases) == 36
    assert {c.writer for c in cases} == {"a1", "a2", "a3", "a4", "a5", "a6"}
    for case in cases:
        assert set(case.labels.questions) == {"Q1", "Q2", "Q3", "Q4", "Q5"}
        for qid, label in case.labels.questions.items():
            assert label.asked == (label.status != "not_asked"), (case.id, qid)
            if label.asked:
                assert case.turns[label.ask_turn].speaker in ("patient", "companion")


def test_key_facts_compare_as_the_corpus_readme_says():
    assert fact_form("L five S one") == fact_form("L5-S1") == "l5s1"
    assert fact_form("thirty six point eight percent") == fact_form("36.8%")
    assert fact_form("Sixty to seventy per cent.") == "60percentto70percent"
    assert fact_form("disc height's still mostly preserved") in fact_form(
        "The disc height’s still mostly preserved, the fissure is contained.")


def test_a_case_becomes_a_transcript_in_every_mode(cases):
    case = cases[0]
    for mode in MODES:
        rendered = render(case, mode)
        assert len(rendered.turn_times) == len(case.turns)
        starts = [start for start, _ in rendered.turn_times]
        assert starts == sorted(starts)
        assert " ".join(case.turns[-1].text.split()[-3:]) in rendered.transcript.text
    labelled, bare = render(case, "labels").transcript, render(case, "no-labels").transcript
    assert [s.speaker for s in labelled.segments] == [t.speaker for t in case.turns]
    assert {s.speaker for s in bare.segments} == {None}
    assert [s.text for s in labelled.segments] == [s.text for s in bare.segments]
    # One turn of 25 words lasts 10 s at the plain-text reader's 2.5 words a second.
    plain = render(case, "plain-text").transcript.segments
    assert all(a.end == b.start for a, b in zip(plain, plain[1:]))
    assert plain[0].end - plain[0].start == pytest.approx(
        max(1.0, len(case.turns[0].text.split()) / 2.5), abs=0.01)


def test_the_labels_transcript_is_what_the_webvtt_reader_gives(cases, tmp_path):
    from recorder.storage.transcript_files import read_transcript

    case = cases[0]
    path = tmp_path / "visit.vtt"
    path.write_text(to_webvtt(case), encoding="utf-8")
    assert "<v patient>" in path.read_text()
    read = read_transcript(path).segments
    made = render(case, "labels").transcript.segments
    assert [(s.start, s.end, s.text, s.speaker) for s in read] == [
        (s.start, s.end, s.text, s.speaker) for s in made]
    anonymous = render(case, "anonymous-labels").transcript.segments
    names = dict(zip((t.speaker for t in case.turns), (s.speaker for s in anonymous)))
    assert names[case.turns[0].speaker] == "Speaker 1" and len(set(names.values())) == len(names)


def test_scoring_counts_overclaims_and_missed_questions(cases, nlp, question_set):
    """The scorer, checked by swapping analyses: a negative control's findings (nothing
    asked) against a case where everything is answered miss five questions; that case's
    findings against the negative control overclaim every answered or partial status."""
    silent = next(c for c in cases if c.id.startswith("a3-07"))
    full = next(c for c in cases if c.id.startswith("a3-05"))
    nothing = analyze(render(silent, "no-labels").transcript, question_set, nlp)
    assert all(q.status == "not_asked" for q in nothing.questions)
    right = score_case(silent, nothing)
    assert (right.status_right, right.overclaims, right.asked_fp) == (5, 0, 0)
    missed = score_case(full, nothing)
    assert (missed.status_right, missed.overclaims, missed.asked_fn) == (0, 0, 5)
    assert missed.facts_found == 0 and missed.facts_total > 0
    assert len([m for m in missed.mistakes if "predicted not_asked, label answered" in m]) == 5
    found = analyze(render(full, "no-labels").transcript, question_set, nlp)
    claimed = [q.id for q in found.questions if q.status in ("answered", "partial")]
    assert claimed
    assert score_case(silent, found).overclaims == len(claimed)
