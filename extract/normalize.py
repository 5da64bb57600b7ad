"""Text as the matcher reads it: lower case, spoken numbers as digits, spine levels joined.

Recognisers write what they hear: "thirty six point eight percent", "L five S one",
"sixty per cent". The matcher compares against one canonical form: "36.8%", "l5-s1", "60%".
"""

from __future__ import annotations

import re

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
_SCALES = {"hundred": 100, "thousand": 1000}
# Longest first, so that "sixty" is not read as "six" followed by "ty".
_STARTS = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES, "a", "and", "point"], key=len,
                               reverse=True))
_NUMBER_RUN = re.compile(
    rf"\b(?:{_STARTS}|a(?= hundred| thousand))\b(?:[\s-]+(?:{_NUMBER_WORD})\b)*",
    re.IGNORECASE)


def _value(words: list[str]) -> str | None:
    """'thirty six point eight' -> '36.8'; None when the words are not one number."""
    total, current, decimals, in_decimals = 0, 0, "", False
    seen_number = False
    for word in words:
        if word == "point":
            if in_decimals or not seen_number:
                return None
            in_decimals = True
        elif in_decimals:
            if word not in _UNITS or _UNITS[word] > 9:
                return None
            decimals += str(_UNITS[word])
        elif word in _UNITS:
            current += _UNITS[word]
            seen_number = True
        elif word in _TENS:
            current += _TENS[word]
            seen_number = True
        elif word == "hundred":
            current = max(current, 1) * 100
            seen_number = True
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
            seen_number = True
        elif word in ("and", "a"):
            continue
        else:
            return None
    if not seen_number or (in_decimals and not decimals):
        return None
    number = str(total + current)
    return f"{number}.{decimals}" if decimals else number


def _replace_number(words: list[str]) -> str | None:
    # A trailing "and"/"a"/"point" belongs to the following words, not to the number.
    words, trail = list(words), []
    while words and words[-1] in ("and", "a", "point"):
        trail.insert(0, words.pop())
    value = _value(words) if words else None
    return None if value is None else " ".join([value, *trail])


def _continues(previous: str | None, word: str, in_decimals: bool) -> bool:
    """Whether `word` goes on saying the number `previous` belongs to. Two tens, a unit after
    a unit, or a tens after a unit start a new number: "seventy eighty percent" is 70 and
    80%, "fifty-fifty" 50 50 and "nineteen ninety" 19 90, never their sum."""
    if previous is None or word in _SCALES or word in ("and", "a", "point"):
        return True
    if in_decimals:
        return word in _UNITS and _UNITS[word] <= 9
    if previous in _SCALES or previous in ("and", "a"):
        return True
    return word in _UNITS and _UNITS[word] <= 9 and previous in _TENS


def _numbers_in(words: list[str]) -> list[list[str]]:
    """Words of one run split where one number ends and the next begins."""
    groups: list[list[str]] = []
    previous, in_decimals = None, False
    for word in words:
        if not groups or not _continues(previous, word, in_decimals):
            groups.append([])
            in_decimals = False
        groups[-1].append(word)
        in_decimals = in_decimals or word == "point"
        previous = word
    return groups


def _replace_part(words: list[str]) -> str | None:
    """One part of a run (no joining "and"), as digits: several numbers joined by spaces."""
    replaced = [_replace_number(group) for group in _numbers_in(words)]
    return None if any(r is None for r in replaced) else " ".join(replaced)


def _replace_run(match: re.Match) -> str:
    """One run of number words -> digits. "and" joins parts of one number only after a
    scale ("one hundred and twenty" is 120); elsewhere it separates two numbers
    ("between sixty and seventy percent" is 60 and 70, never 130)."""
    text = match.group(0)
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w]
    parts: list[list[str]] = [[]]
    for position, word in enumerate(words):
        if word == "and" and position and words[position - 1] not in _SCALES:
            parts.append([])
        else:
            parts[-1].append(word)
    replaced = [_replace_part(part) for part in parts]
    if any(r is None for r in replaced):
        return text if len(parts) == 1 else " and ".join(
            r if r is not None else " ".join(part) for r, part in zip(replaced, parts))
    return " and ".join(replaced)


_SPELLED = re.compile(r"\b(?![ai]\b)[a-z](?: [a-z]\b)+(?![a-z0-9'])")
_LEVEL = re.compile(
    r"\b([lstc])\s*-?\s*(\d{1,2})\s*(?:-|to|through|/)?\s*([lst])\s*-?\s*(\d{1,2})\b")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:percent|per cent|%)")
# The shorthand for two neighbouring vertebrae: "L4-5" or "l four five" is l4-l5, "C5 6" c5-c6.
_NEXT_LEVEL = re.compile(r"\b([lct])(\d{1,2})[ -](\d{1,2})\b(?![.\d%-])")


def _next_level(match: re.Match) -> str:
    letter, upper, lower = match[1], int(match[2]), int(match[3])
    return f"{letter}{upper}-{letter}{lower}" if lower == upper + 1 else match[0]


def normalize(text: str) -> str:
    """Lower-cased text with numbers as digits, percentages as '%', levels as 'l5-s1'."""
    text = text.lower().replace("’", "'")
    text = _NUMBER_RUN.sub(_replace_run, text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,200 -> 1200
    # Recognisers mix digits and words: "100 and 20" is 120.
    text = re.sub(r"\b(\d+00) and (\d{1,2})\b", lambda m: str(int(m[1]) + int(m[2])), text)
    text = re.sub(r"\b(\d+) and a half\b", r"\1.5", text)  # "8 and a half percent"
    text = re.sub(r"\b([lstc])\s+(\d)\b", r"\1\2", text)  # "l 5" -> "l5"
    # Initialisms spoken letter by letter: "p r p" -> "prp", "m r i" -> "mri".
    text = _SPELLED.sub(lambda m: m[0].replace(" ", ""), text)
    text = _LEVEL.sub(lambda m: f"{m[1]}{m[2]}-{m[3]}{m[4]}", text)
    text = _NEXT_LEVEL.sub(_next_level, text)
    text = _PERCENT.sub(r"\1%", text)
    # A range of percentages says "percent" once: "between 60 and 70%" is 60% and 70%.
    text = re.sub(r"\b(\d+(?:\.\d+)?) (and|to|or) (?=\d+(?:\.\d+)?%)", r"\1% \2 ", text)
    return re.sub(r"\s+", " ", text).strip()


def percentages(text: str) -> list[float]:
    """Every percentage in normalised text, in order."""
    return [float(value) for value in re.findall(r"(\d+(?:\.\d+)?)%", text)]


_RATIO = re.compile(r"\b(\d+(?:\.\d+)?)\s+(?:in|out of)\s+(\d+)\b")
# Spoken fractions, after normalize() turned their numbers into digits ("2 thirds").
_FRACTIONS = ("half", "a third", "1 third", "2 thirds", "a quarter", "3 quarters",
              "majority of patients")


def proportions(text: str) -> list[str]:
    """Percentages, 'n in m' / 'n out of m' ratios and spoken fractions in normalised text."""
    found = [f"{value:g}%" for value in percentages(text)]
    found += [f"{a} in {b}" for a, b in _RATIO.findall(text)]
    found += [word for word in _FRACTIONS if re.search(rf"\b{word}\b", text)]
    return found


def numbers(text: str) -> list[float]:
    """Every plain number in normalised text, skipping spine levels such as l5-s1."""
    return [float(n) for n in re.findall(r"(?<![a-z\d.])(\d+(?:\.\d+)?)(?![\d-]*[a-z]\d)", text)]
