"""Every threshold of the analyzer, in one frozen object passed to `analyze(settings=...)`.

No module of extract/ keeps a threshold of its own: a benchmark can try other values without
patching globals, and a reader finds every number that shapes a finding here, with its unit
and why it has its value. Values chosen from data were chosen by leave-one-writer-out
cross-validation on ../shared/corpus (benchmarks/extract.py), over the grid in TUNABLE.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalyzerSettings:
    # --- Asking: which sentences ask a prepared question (extract/asking.py) ---------------
    # Cosine similarity (0-1) of a sentence's embedding to a question's closest wording.
    ask_similarity: float = 0.50  # shortlist: a question-shaped sentence this close may ask it
    verbatim_similarity: float = 0.85  # read (nearly) verbatim: no question form needed
    ask_margin: float = 0.0  # ...and closer to this question than to any look-alike wording
    every_concept_similarity: float = 0.15  # ...or this close, with a word of every concept
    #                                         group
    # Concept groups of the question present, by lemma (the guard): all of them, or all but
    # `concept_slack` when the question has three or more.
    concept_slack: int = 1
    # Without an embedder, rapidfuzz token_sort_ratio / 100 stands in for the similarity.
    lexical_ask_similarity: float = 0.45
    lexical_verbatim_similarity: float = 0.78
    lexical_ask_margin: float = 0.02  # word overlap is a weak ranking: beat every other target

    # --- Replies: which practice-side sentences answer an asking (extract/replies.py) ------
    reply_window_sentences: int = 12  # the immediate reply: at most this many sentences
    #                                   (the practice's back-channels, "Okay.", not counted)...
    reply_window_s: float = 120.0  # ...within this many seconds of the asking
    late_reply_similarity: float = 0.55  # a later sentence this close to the question, with
    #                                      what it asks for, is a late answer
    new_question_min_words: int = 8  # "Fifty-five to sixty?" checks the reply; a question
    #                                  this long from the patient's side opens a new topic
    topic_similarity: float = 0.30  # in a reply to several questions asked together, a
    #                                 sentence this close to one of them is about it
    topic_shift_similarity: float = 0.55  # a sentence this close to another question...
    topic_shift_margin: float = 0.25  # ...and this much closer to it than to the one asked
    #                                   ends the reply: the talk has moved on ("I've been
    #                                   reading about a biologic option..." after Q1)
    asker_tail_sentences: int = 2  # without turns, the asker may say this many more
    #                                sentences before the reply starts

    # --- Requirements: what the reply contains (extract/requirements.py) --------------------
    topic_carry_sentences: int = 2  # a proportion this many sentences after one on the
    #                                 question's topic is about it: "around 70 of them are
    #                                 better without an operation. Some studies say 60. So I
    #                                 tell people 60 to 70%." (until a sentence about
    #                                 something else)

    # --- Turns without speaker labels (extract/turns.py) -----------------------------------
    turn_pause_s: float = 0.6  # a silence this long may be a change of speaker
    chain_max_gap_s: float = 2.0  # questions read one after another in one go, answered
    #                               together; an unanswered one is followed by a longer wait


DEFAULT_SETTINGS = AnalyzerSettings()

# The grid benchmarks/extract.py searches by leave-one-writer-out cross-validation: a few
# fields, a few values each. Every other field keeps its default.
TUNABLE: dict[str, tuple] = {
    "ask_similarity": (0.35, 0.40, 0.45, 0.50),
    "every_concept_similarity": (0.15, 0.25),
    "new_question_min_words": (5, 8),
    "topic_carry_sentences": (1, 2, 3),
}
