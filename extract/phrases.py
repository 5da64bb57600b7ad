"""Phrases found exactly as whole words, or nearly when long enough (recogniser errors).

Used for names that a recogniser garbles ("intra annular fiber injection" for the fibrin
injection): procedure aliases, an item's agreeing and refusing words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from extract.normalize import normalize
from extract.sentences import Sentence, plain

PHRASE_CUTOFF = 90  # rapidfuzz ratio (0-100) to a run of whole words of about the length
FUZZY_MIN_CHARS = 7  # shorter phrases must appear exactly ("mri", "prp")
ALIAS_FUZZY_MIN_CHARS = 10  # procedure aliases this long may match fuzzily
PREFIX_CHARS = 4  # fuzzy matching is tried only where half a phrase's words start alike:
#                   recognisers garble word endings ("fiber" for "fibrin") far more than starts


@lru_cache(maxsize=4096)
def _word_starts(flat: str) -> frozenset[str]:
    return frozenset(word[:PREFIX_CHARS] for word in flat.split())


class Phrases:
    """Phrases found in a sentence exactly, or nearly (recogniser errors) when long enough.

    Compiled once: one regular expression for the exact matches, and per long phrase the
    word starts that must be present before the (costlier) fuzzy comparison is tried. The
    fuzzy comparison is made against runs of whole words of about the phrase's length, so a
    phrase never matches part of a longer word ("physiotherapy" is not "physiotherapist").
    """

    def __init__(self, phrases: tuple[str, ...], cutoff: float = PHRASE_CUTOFF,
                 min_chars: int = FUZZY_MIN_CHARS):
        self.phrases = tuple(p for p in phrases if p.strip())
        # Matched on normalised text, where spoken numbers are digits: "don't have one" is
        # also "don't have 1".
        forms = {form for p in self.phrases for form in (p, normalize(p)) if form}
        alternatives = "|".join(re.escape(p) for p in sorted(forms, key=len, reverse=True))
        self._exact = (re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")
                       if self.phrases else None)
        self._cutoff = cutoff
        self._fuzzy = []
        for phrase in self.phrases:
            if len(phrase) < min_chars:
                continue
            starts = {w[:PREFIX_CHARS] for w in plain(phrase).split() if len(w) >= PREFIX_CHARS}
            self._fuzzy.append((phrase, plain(phrase), starts, (len(starts) + 1) // 2))

    def first(self, sentence: Sentence | str) -> str | None:
        """The first phrase found (exactly first, then nearly), or None."""
        if self._exact is None:
            return None
        norm, flat = ((sentence.norm, sentence.plain) if isinstance(sentence, Sentence)
                      else (sentence, plain(sentence)))
        found = self._exact.search(norm)
        if found:
            return found.group(0)
        prefixes = _word_starts(flat)
        for phrase, flat_phrase, starts, needed in self._fuzzy:
            if len(flat_phrase) > len(flat) or len(starts & prefixes) < needed:
                continue
            words = flat.split()
            length = flat_phrase.count(" ") + 1
            runs = [" ".join(words[i:i + n]) for n in (length - 1, length, length + 1) if n > 0
                    for i in range(len(words) - n + 1)]
            if process.extractOne(flat_phrase, runs, scorer=fuzz.ratio, processor=None,
                                  score_cutoff=self._cutoff):
                return phrase
        return None


