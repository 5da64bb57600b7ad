"""Phrases said, not negated or hypothetical: NegEx-style triggers before a phrase.

"Those don't work" is a dismissal; "if those don't work, we talk about surgery" is not.
"Decide today" is pressure; "you don't have to decide today" is its opposite. A phrase
counts only when no negation (for phrases that hold none themselves) and no conditional
trigger comes before it in the same clause, within TRIGGER_WINDOW_WORDS.
"""

from __future__ import annotations

import re

from extract.lexicon import Terms, words

TRIGGER_WINDOW_WORDS = 6  # NegEx looks this many words back, within the clause
_CLAUSES = re.compile(r"[,;:()]|\s-\s|\s--\s|\b(?:but|though|although|however|whereas)\b")
NEGATIONS = {"not", "no", "never", "nobody", "without", "nothing", "neither", "nor", "none"}
CONDITIONALS = {"if", "unless", "whether", "when", "in case", "suppose", "say"}
_NEGATED_PHRASE = {"not", "no", "never", "nothing", "none", "without"}


def asserted(terms: Terms, text: str, *, conditionals: bool = True) -> str | None:
    """The first phrase of `terms` said plainly in normalised `text`, or None.
    `conditionals=False`: a conditional before the phrase does not undo it."""
    for clause in _CLAUSES.split(text):
        lemmas = words(clause)
        for first, last, entry in terms.positions(lemmas):
            before = lemmas[max(0, first - TRIGGER_WINDOW_WORDS):first]
            phrase = lemmas[first:last]
            if conditionals and any(word in CONDITIONALS for word in before):
                continue
            if not _NEGATED_PHRASE & set(phrase) and NEGATIONS & set(before):
                continue
            return entry
    return None


def denied(terms: Terms, text: str) -> str | None:
    """The first phrase of `terms` said negated in normalised `text` ("I won't be referring
    her", "I don't write up options"), not as a conditional; or None."""
    for clause in _CLAUSES.split(text):
        lemmas = words(clause)
        for first, last, entry in terms.positions(lemmas):
            before = lemmas[max(0, first - TRIGGER_WINDOW_WORDS):first]
            if any(word in CONDITIONALS for word in before):
                continue
            if not _NEGATED_PHRASE & set(lemmas[first:last]) and NEGATIONS & set(before):
                return entry
    return None


QUANTITIES = {"number", "numbers", "odds", "percentage", "percent", "figure", "statistic", "stat",
              "data", "rate", "track", "percentages", "figures", "statistics", "stats"}
# Compared as lemmas, like the words they are looked for among ("figures" is "figur").
_QUANTITY_LEMMAS = frozenset(lemma for q in QUANTITIES for lemma in words(q))
REFUSAL_WINDOW_WORDS = 8  # "I'm not going to quote you odds": negation, then the quantity


def refuses_to_quantify(text: str) -> str | None:
    """A negated offer of a number ("I don't keep track of those numbers", "I'm not going to
    quote you odds", "I don't deal in percentages"): the words, or None. A question back
    ("don't you have the numbers?") or a conditional is none."""
    if text.rstrip().endswith("?"):
        return None
    for clause in _CLAUSES.split(text):
        lemmas = words(clause)
        for position, word in enumerate(lemmas):
            if word not in NEGATIONS - {"without"}:
                continue
            if any(w in CONDITIONALS for w in lemmas[max(0, position - TRIGGER_WINDOW_WORDS):position]):
                continue
            after = lemmas[position + 1:position + 1 + REFUSAL_WINDOW_WORDS]
            if any(w in _QUANTITY_LEMMAS for w in after):
                return clause.strip()
    return None
