"""Whether a transcript holds what was said: words compared without case or punctuation,
which the recogniser chooses differently on every pass ("Thank you, doctor." / "Thank you
doctor.")."""

from __future__ import annotations

import re

# Said in the first, a middle and the last turn of the sample visit.
SAMPLE_PHRASES = ("good morning", "structural problem", "revision rate", "second opinion",
                  "thank you doctor")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def phrases_missing(text: str, phrases: tuple[str, ...] = SAMPLE_PHRASES) -> list[str]:
    """The phrases whose words do not stand, in order, in `text`."""
    heard = f" {_words(text)} "
    return [phrase for phrase in phrases if f" {_words(phrase)} " not in heard]
