"""The Transcript contract: what the recogniser heard, with times and confidences.

Its JSON form (documented in docs/formats.md) is versioned so other tools can read it:

    {"format": "appointment-recorder/transcript", "version": 1,
     "engine": "faster-whisper", "model": "base", "language": "en",
     "duration_s": 136.1, "audio_sha256": "...",
     "segments": [{"start": 0.1, "end": 6.2, "text": "...", "confidence": 0.83,
                   "low_confidence": false, "speaker": null,
                   "words": [{"start": 0.1, "end": 0.4, "text": "Good", "probability": 0.97}]}],
     "speakers": [{"label": "Patient", "role": "patient", "evidence": "read the consent script"}]}

`speakers` (the voices told apart, recorder/transcription/speakers.py) came later in version 1
with a default: a file without it reads as no speakers known.

This is the contract between transcription (recorder/transcription) and matching (extract/):
both import it, and it imports nothing of theirs. Reading and writing files (WebVTT, SRT,
plain text, our JSON) lives in recorder/storage/transcript_files.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace

from extract.errors import BadInput

TRANSCRIPT_FORMAT = "appointment-recorder/transcript"
TRANSCRIPT_VERSION = 1
# How text outputs show speech the recogniser heard but could not write down (a segment
# with no text and `low_confidence`, left by the coverage guard): someone should listen.
UNCLEAR_SPEECH = "[unclear speech]"


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the start of the recording
    end: float
    text: str
    probability: float  # the recogniser's own probability for this word, 0-1


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float
    text: str  # verbatim, exactly as recognised
    words: tuple[Word, ...] = ()
    confidence: float = 1.0  # 0-1; exp(mean log-probability) for Whisper
    low_confidence: bool = False  # the matcher and report treat these with care
    speaker: str | None = None  # a label from `Transcript.speakers`, or another tool's name

    @property
    def shown_text(self) -> str:
        """The text as outputs show it: UNCLEAR_SPEECH for speech no one could write down."""
        return self.text.strip() or (UNCLEAR_SPEECH if self.low_confidence else "")


@dataclass(frozen=True)
class Speaker:
    """A voice told apart in the recording, and the role it was given, if any."""

    label: str  # as segments carry it: "Patient", "Surgeon", "Companion", "Speaker 2"
    role: str | None = None  # "patient", "surgeon", "companion"; None: not known
    evidence: str = ""  # why this role, e.g. "read the consent script"


@dataclass(frozen=True)
class Transcript:
    engine: str  # "faster-whisper", "openai-whisper", or "import:vtt" and the like
    model: str
    language: str
    duration_s: float
    segments: tuple[Segment, ...]
    audio_sha256: str | None = None
    speakers: tuple[Speaker, ...] = ()  # empty: no speaker labels made (or none kept)
    format: str = field(default=TRANSCRIPT_FORMAT)
    version: int = field(default=TRANSCRIPT_VERSION)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def to_dict(self) -> dict:
        data = asdict(self)
        # The header first, segments last, so the file reads well; `speakers` only when
        # labels were made, so files without them are as they always were.
        return {key: data[key] for key in (
            "format", "version", "engine", "model", "language", "duration_s",
            "audio_sha256", "speakers", "segments") if key != "speakers" or self.speakers}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> "Transcript":
        if data.get("format") != TRANSCRIPT_FORMAT:
            raise BadInput("This JSON file is not an appointment-recorder transcript; "
                           "give a transcript.json written by `visit transcribe`.")
        if data.get("version") != TRANSCRIPT_VERSION:
            raise BadInput(f"This transcript has version {data.get('version')}, but this tool "
                           f"reads version {TRANSCRIPT_VERSION}; transcribe the audio again.")
        segments = tuple(
            replace(Segment(**{k: v for k, v in seg.items() if k != "words"}),
                    words=tuple(Word(**word) for word in seg.get("words", ())))
            for seg in data["segments"]
        )
        return cls(engine=data["engine"], model=data["model"], language=data["language"],
                   duration_s=float(data["duration_s"]), segments=segments,
                   audio_sha256=data.get("audio_sha256"),
                   speakers=tuple(Speaker(**speaker) for speaker in data.get("speakers", ())))


# A written word ends a sentence when it ends with one of these; but a title before a name
# ("Dr. Mbeki", as Whisper writes the colleague a surgeon refers to) and letters with stops
# ("M.R.I.", "e.g.") end with "." inside one.
SENTENCE_ENDS = (".", "?", "!")
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "st"})
_LETTERS_WITH_STOPS = re.compile(r"(?:[a-z]\.){2,}", re.IGNORECASE)


def ends_sentence(word: str) -> bool:
    """Whether the written `word` ends a sentence: "now." and "right?" do, "Dr." does not."""
    word = word.strip()
    if word.endswith("."):
        return word[:-1].lower() not in TITLES and not _LETTERS_WITH_STOPS.fullmatch(word)
    return word.endswith(SENTENCE_ENDS)


# Whisper splits some words into pieces ("L5" "-S1", "60" "%"): glue those back.
_NO_SPACE_BEFORE = tuple("-'%,.?!:;)")


def join_words(texts: list[str]) -> tuple[str, list[int]]:
    """Recognised words as text, and the character offset where each word starts."""
    text, starts = "", []
    for word in texts:
        if text and not word.startswith(_NO_SPACE_BEFORE) and not text.endswith("-"):
            text += " "
        starts.append(len(text))
        text += word
    return text, starts


def with_words(segment: Segment, words: tuple[Word, ...]) -> Segment:
    """`segment` cut down to `words` (at least one of its own, in order), timed and written
    by them."""
    if words == segment.words:
        return segment
    return replace(segment, start=words[0].start, end=words[-1].end, words=words,
                   text=join_words([w.text for w in words])[0])


def shifted(segment: Segment, offset_s: float) -> Segment:
    """`segment` with its times (and its words') moved by `offset_s` seconds."""
    return replace(segment, start=round(float(segment.start) + offset_s, 2),
                   end=round(float(segment.end) + offset_s, 2),
                   words=tuple(replace(word, start=round(float(word.start) + offset_s, 2),
                                       end=round(float(word.end) + offset_s, 2))
                               for word in segment.words))


def clock(seconds: float, *, fixed_width: bool = False) -> str:
    """12.3 -> '0:12', 3725 -> '1:02:05': how a person reads a time in a recording.

    `fixed_width` gives '00:00:12' always, for a status line that must not jump about.
    """
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if fixed_width:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
