"""The transcription benchmark's scoring: deleted words told apart by kind, and
substitutions compared on the same words (benchmarks/transcribe.py), a visit cut to a
length, and the speech a transcript has no words for (testkit/heard.py, shared with the
live recording test)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.transcribe import (
    SAMPLE_RATE,
    TRIM_PAUSE_S,
    Part,
    Score,
    hypothesis_between,
    per_consultation_table,
    score,
    substitutions_where_heard,
    term_counts,
    trimmed,
)
from testkit.heard import sample_turns, speech_lost_s


class Turn:
    def __init__(self, text: str, start: float = 0.0, end: float = 10.0):
        self.text, self.start, self.end = text, start, end


def _scored(said: str, heard: str) -> Score:
    return score([Turn(said)], heard, 0, (), str.lower)


@pytest.mark.parametrize("said, heard, dropped, repeats, merged", [
    # two words heard as one wrong word: merged, not dropped
    ("your main complaint is leg pain from a protrusion",
     "your main complaint is legbain from a protrusion", 0, 0, 1),
    # nothing written where three words were said: dropped
    ("and you will laugh since you just told me", "and since you just told me", 3, 0, 0),
    # a word said twice in a row written once
    ("what is the risk of of permanent damage", "what is the risk of permanent damage",
     0, 1, 0),
    # three words lost beside a single wrong word: more lost than a merge explains
    ("on my sheet and you will laugh since", "on my sheet annular since", 3, 0, 0),
])
def test_deleted_words_are_told_apart_by_kind(said, heard, dropped, repeats, merged):
    scored = _scored(said, heard)
    assert (scored.dropped, scored.repeats, scored.merged) == (dropped, repeats, merged)
    assert scored.deletions == dropped + repeats + merged


def test_substitutions_are_compared_on_the_words_the_baseline_wrote():
    said = "the surgeon said the tear at L five is small and will heal"
    baseline = _scored(said, "the surgeon said the tear at L five")  # lost the end
    recovered = _scored(said, "the surgeon said the tear at L five is mall and bill heal")
    # Recovering the end with two words wrong adds substitutions overall...
    assert recovered.substitutions > baseline.substitutions
    # ...but not on the words both wrote.
    assert substitutions_where_heard(recovered, baseline) == 0.0
    worse = _scored(said, "the surgeon said a tear at L five")
    assert substitutions_where_heard(worse, baseline) == pytest.approx(1 / 8)


def test_a_domain_term_written_where_none_was_said_is_counted_apart_from_recall():
    vocabulary = ("annular tear", "fusion", "L5-S1")
    said = "How many fusions a year? And on 0-10, maybe five. The tear is at L5-S1."
    # The hotword written over other words is counted; "fusion" for "fusions" is not.
    heard = "How many fusion a year? annular tear, maybe five. The tear is at L5-S1."
    assert term_counts(said, heard, vocabulary) == (1, 1, 1)
    assert term_counts(said, said, vocabulary) == (1, 1, 0)
    scored = score([Turn(said)], heard, 0, vocabulary, str.lower)
    assert (scored.terms_heard, scored.terms_said, scored.terms_unsaid) == (1, 1, 1)
    assert Score.pooled([scored, scored]).terms_unsaid == 2


def test_a_consultations_share_of_a_saved_run_is_the_words_timed_inside_it():
    # A saved run's words carry their probability and their segment's low-confidence mark.
    run = {"words": [[0.0, 0.4, "Hello", 0.91, False], [0.5, 1.0, "there.", 0.5, True],
                     [1.9, 2.4, "Next", 0.8, False]],
           "unclear": [[0.6, 1.2], [2.5, 3.0]]}
    assert hypothesis_between(run, 0.0, 2.0) == ("Hello there.", 1)
    assert hypothesis_between(run, 2.0, 4.0) == ("Next", 1)  # its middle, 2.15 s, is inside


def test_speech_lost_is_what_has_no_words_written_for_it():
    turns = sample_turns()
    script = [turn.text for turn in turns]
    assert speech_lost_s(turns, " ".join(script)) == 0.0
    # A turn left out is lost for as long as it is said (the last one: "Thank you, doctor.").
    last = turns[-1]
    assert speech_lost_s(turns, " ".join(script[:-1])) == pytest.approx(last.end - last.start)
    # Words written wrong in its place are heard, not lost; numbers may be written as figures.
    wrong = script[:-1] + ["Tank ewe, dock tour."]
    assert speech_lost_s(turns, " ".join(wrong).replace("one hundred and twenty", "120")) \
        == 0.0


def test_a_visit_cut_to_a_length_ends_after_a_whole_turn_and_scores_what_was_said_before():
    parts = [Part("a1-01-x", "espeak", 0.0, 100.0, [Turn("one", 0, 50), Turn("two", 51, 100)]),
             Part("a2-02-y", "espeak", 103.0, 300.0,
                  [Turn("three", 103, 170), Turn("four", 171, 250), Turn("five", 251, 300)])]
    audio = np.zeros(310 * SAMPLE_RATE, np.float32)
    cut, kept = trimmed(audio, parts, minutes=3)  # 180 s falls inside "four"
    assert len(cut) == int((250 + TRIM_PAUSE_S) * SAMPLE_RATE)  # "four" is said to its end
    assert [[t.text for t in p.turns] for p in kept] == [["one", "two"], ["three", "four"]]
    assert kept[1].end == pytest.approx(250 + TRIM_PAUSE_S)
    cut, kept = trimmed(audio, parts, minutes=60)  # longer than the visit: all of it
    assert len(kept) == 2 and len(cut) == int((300 + TRIM_PAUSE_S) * SAMPLE_RATE)


def test_a_consultation_heard_twice_in_a_long_visit_has_a_row_each_time():
    # one word of four lost (a 10 s turn: 2.5 s of speech), the second time only
    first, second = _scored("a b c d", "a b c d"), _scored("a b c d", "a b d")
    again = [("default", Part("a1-08-rushed", "espeak", start, start + 60, []), one)
             for start, one in ((0.0, first), (500.0, second))]
    rows = [line for line in per_consultation_table(again).splitlines() if "a1-08" in line]
    assert rows == ["| a1-08 | espeak | 0.0% (0.0% dropped), 0.0 s |",
                    "| a1-08 (again) | espeak | 25.0% (25.0% dropped), 2.5 s * |"]
