"""Words found as whole words, by lemma: "chances" is "chance", "waiting" is "wait".

The question set's word lists (concepts, evidence, deflections) are matched against the
normalised text of a sentence as sequences of whole words, after both sides are reduced to
a crude lemma by suffix rules. spaCy's lemmatizer would need its tagger, which the fast
sentence-only pipeline and the blank fallback pipeline do not run; these rules give the same
answer for the inflections that matter here (plurals, -ing, -ed, 's) and never match inside
a word ("some" is not in "someone's", "most" not in "mostly").

An entry ending in "*" matches any word starting with it: "herniat*" is "herniated" and
"herniation". Entries are lists of words: "without surgery" is two words in a row.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*%?|%")
_KEEP = {"this", "his", "is", "was", "has", "does", "yes", "us", "its", "less", "unless", "as",
         "thus", "plus", "bus", "gas", "its", "always", "perhaps", "news", "series", "species",
         "physics", "diagnosis", "stenosis", "analysis", "basis", "sciatica", "ages"}
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman",
              "better": "better", "worse": "worse", "did": "do", "done": "do", "does": "do",
              "went": "go", "gone": "go", "got": "get", "gotten": "get", "had": "have",
              "has": "have", "was": "be", "were": "be", "is": "be", "are": "be", "am": "be",
              "been": "be", "'s": "be", "ca": "can", "wo": "will", "n't": "not", "won't": "will not",
              "can't": "can not", "don't": "do not", "doesn't": "do not", "didn't": "do not",
              "isn't": "be not", "aren't": "be not", "wasn't": "be not", "wouldn't": "would not",
              "shouldn't": "should not", "couldn't": "could not", "haven't": "have not",
              "hasn't": "have not", "i'm": "i be", "you're": "you be", "it's": "it be",
              "that's": "that be", "there's": "there be", "what's": "what be",
              "i'd": "i would", "you'd": "you would", "i'll": "i will", "you'll": "you will",
              "we'll": "we will", "i've": "i have", "you've": "you have", "we're": "we be",
              "they're": "they be", "she's": "she be", "he's": "he be", "let's": "let us",
              # A recogniser that writes no apostrophes: "i dont keep track of those numbers".
              "dont": "do not", "doesnt": "do not", "didnt": "do not", "isnt": "be not",
              "arent": "be not", "wasnt": "be not", "wont": "will not", "cant": "can not",
              "wouldnt": "would not", "couldnt": "could not", "shouldnt": "should not",
              "havent": "have not", "hasnt": "have not", "youre": "you be", "thats": "that be",
              "theres": "there be", "whats": "what be", "ive": "i have", "youve": "you have"}


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """A crude lemma: the same for a word's inflections, and never a different word's."""
    word = word.lower().replace("’", "'")
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word in _KEEP or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ches", "ch"),
                                ("shes", "sh"), ("xes", "x"), ("ing", ""), ("ed", ""),
                                ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]  # "improve" and "improv(ed)" alike; "chance" and "chanc(es)"
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]  # "stopp(ed)" -> "stop"
    return word


def words(text: str) -> list[str]:
    """The words of normalised text, as lemmas (a contraction may become two)."""
    out: list[str] = []
    for token in _WORD.findall(text.lower().replace("’", "'")):
        out += lemma(token).split()
    return out


class Terms:
    """A list of words or phrases, found in a text as whole words by lemma; compiled once."""

    def __init__(self, entries: tuple[str, ...] | list[str]):
        self.entries = tuple(e for e in entries if e.strip())
        self._patterns: list[tuple[str, tuple[tuple[str, bool], ...]]] = []
        for entry in self.entries:
            parts = entry.strip().split()
            pattern = []
            for part in parts:
                prefix = part.endswith("*")
                part = part.rstrip("*")
                if prefix:
                    pattern += [(w, False) for w in words(part)[:-1]]
                    pattern.append((_WORD.findall(part.lower())[-1] if _WORD.findall(part.lower())
                                    else part, True))
                else:
                    pattern += [(w, False) for w in words(part)]
            if pattern:
                self._patterns.append((entry, tuple(pattern)))

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def found(self, text: str | list[str]) -> list[str]:
        """Every entry present in the text (normalised text, or its `words`), in list order."""
        lemmas = words(text) if isinstance(text, str) else text
        present = set(lemmas)
        return [entry for entry, pattern in self._patterns
                if (pattern[0][1] or pattern[0][0] in present)
                and self._at(lemmas, pattern, None) is not None]

    def any(self, lemmas: list[str], present: set[str] | None = None) -> bool:
        """Whether any entry is present: the same as bool(found(...)), stopping at the first."""
        present = set(lemmas) if present is None else present
        return any((pattern[0][1] or pattern[0][0] in present)
                   and self._at(lemmas, pattern, None) is not None
                   for _, pattern in self._patterns)

    def first(self, text: str | list[str]) -> str | None:
        found = self.found(text)
        return found[0] if found else None

    def positions(self, lemmas: list[str]) -> list[tuple[int, int, str]]:
        """(first word, word after the last, entry) of every occurrence."""
        out = []
        present = set(lemmas)
        for order, (entry, pattern) in enumerate(self._patterns):
            if not (pattern[0][1] or pattern[0][0] in present):
                continue
            n = len(pattern)
            for i in range(len(lemmas) - n + 1):
                if all(_same(lemmas[i + k], pattern[k]) for k in range(n)):
                    out.append((i, order, i + n, entry))
        return [(first, last, entry) for first, _, last, entry in sorted(out)]

    @staticmethod
    def _at(lemmas: list[str], pattern, raw) -> int | None:
        n = len(pattern)
        first = pattern[0]
        for i in range(len(lemmas) - n + 1):
            if _same(lemmas[i], first) and all(_same(lemmas[i + k], pattern[k])
                                               for k in range(1, n)):
                return i
        return None


def _same(word: str, part: tuple[str, bool]) -> bool:
    text, prefix = part
    return word.startswith(text) if prefix else word == text
