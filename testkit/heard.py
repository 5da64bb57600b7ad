"""Whether a transcript holds what was said: words compared without case or punctuation,
which the recogniser chooses differently on every pass ("Thank you, doctor." / "Thank you
doctor.")."""

from __future__ import annotations

import json
import re
from typing import Callable

from testkit.paths import SAMPLE_DIR

# Said in the first, a middle and the last turn of the sample visit.
SAMPLE_PHRASES = ("good morning", "structural problem", "revision rate", "second opinion",
                  "thank you doctor")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def phrases_missing(text: str, phrases: tuple[str, ...] = SAMPLE_PHRASES) -> list[str]:
    """The phrases whose words do not stand, in order, in `text`."""
    heard = f" {_words(text)} "
    return [phrase for phrase in phrases if f" {_words(phrase)} " not in heard]


# --- Speech lost: what was said and nothing was written for --------------------------------

# A number range read "fifty to sixty percent" is written "50-60%" by Whisper, which its
# normalizer turns into "50 60%": one "to" deleted for a faithful transcript. Both sides
# read a dash between two numbers as "to" first.
NUMBER_RANGE = re.compile(r"(\d)\s*[-\u2013]\s*(\d)")


def normalizer() -> Callable[[str], str]:
    """Whisper's English normaliser ("one hundred and twenty" and "120" alike), for
    comparing what was said with what was written."""
    from whisper.normalizers import EnglishTextNormalizer

    whisper_normalize = EnglishTextNormalizer()
    return lambda text: whisper_normalize(NUMBER_RANGE.sub(r"\1 to \2", text))


def sample_turns():
    """The sample visit's script, turn by turn, with when each turn is said in visit.mp3."""
    from testkit.speech import SpokenTurn

    turns = json.loads((SAMPLE_DIR / "turns.json").read_text(encoding="utf-8"))
    return [SpokenTurn(t.get("speaker", ""), t["start"], t["end"], t["text"]) for t in turns]


def reference_words(turns, normalize) -> tuple[list[str], list[float]]:
    """The words said in `turns`, and each one's seconds of speech (its turn spread evenly)."""
    words, seconds = [], []
    for turn in turns:
        said = normalize(turn.text).split()
        words += said
        seconds += [(turn.end - turn.start) / max(1, len(said))] * len(said)
    return words, seconds


def longest_lost_s(seconds: list[float], chunks) -> float:
    """The longest run of said words deleted in jiwer's alignment `chunks`, in seconds of
    speech (`seconds`: each said word's, from `reference_words`)."""
    return max((sum(seconds[chunk.ref_start_idx:chunk.ref_end_idx])
                for chunk in chunks if chunk.type == "delete"), default=0.0)


# The longest stretch of the sample's speech a live transcript may have no words for:
# shorter than its shortest turn ("Thank you, doctor.", 1.7 s), so a turn left out fails.
# Live runs here lose 0.5 s ("MRI" said as "M R I"). Words heard wrong are not lost: where
# a live window ends decides how Whisper hears the words near it ("a second opinion" once
# came out as "outer seconder billion" in a window ending 3 s later), so exact words are
# asserted on a fixed feed only (tests/test_live.py).
MAX_SPEECH_LOST_S = 1.5
# Times in transcript.json are rounded to 10 ms.
ROUNDING_S = 0.01


def speech_lost_s(turns, written: str) -> float:
    """The longest stretch of `turns` the transcript text `written` has no words for,
    seconds: words written wrong are not lost, words missing are."""
    import jiwer

    normalize = normalizer()
    words, seconds = reference_words(turns, normalize)
    out = jiwer.process_words(" ".join(words), normalize(written) or "-")
    return longest_lost_s(seconds, out.alignments[0])


def overlapping(segments: list[dict]) -> list[tuple[dict, dict]]:
    """The pairs of `segments` (as transcript.json has them) whose times overlap, past
    rounding: two words, two segments with words, or a mark of unclear speech and a word
    not inside it (a mark may span the few words heard inside it)."""
    words = [w for s in segments for w in s["words"]]
    said = [s for s in segments if s["words"]]
    found = [(a, b) for pair in (words, said) for a, b in zip(pair, pair[1:])
             if a["end"] > b["start"] + ROUNDING_S]
    for mark in (s for s in segments if not s["words"]):
        found += [(mark, w) for w in words
                  if not mark["start"] <= (w["start"] + w["end"]) / 2 <= mark["end"]
                  and w["start"] + ROUNDING_S < mark["end"]
                  and mark["start"] + ROUNDING_S < w["end"]]
    return found
