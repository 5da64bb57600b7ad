"""The Transcript contract: what the recogniser heard, with times and confidences.

Its JSON form (documented in docs/formats.md) is versioned so other tools can read it:

    {"format": "appointment-recorder/transcript", "version": 1,
     "engine": "faster-whisper", "model": "base", "language": "en",
     "duration_s": 136.1, "audio_sha256": "...",
     "segments": [{"start": 0.1, "end": 6.2, "text": "...", "confidence": 0.83,
                   "low_confidence": false, "speaker": null,
                   "words": [{"start": 0.1, "end": 0.4, "text": "Good", "probability": 0.97}]}]}

Transcripts made by other tools (WebVTT, SRT, plain text) are read into the same object.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from recorder.errors import BadInput

TRANSCRIPT_FORMAT = "appointment-recorder/transcript"
TRANSCRIPT_VERSION = 1


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
    speaker: str | None = None


@dataclass(frozen=True)
class Transcript:
    engine: str  # "faster-whisper", "openai-whisper", or "import:vtt" and the like
    model: str
    language: str
    duration_s: float
    segments: tuple[Segment, ...]
    audio_sha256: str | None = None
    format: str = field(default=TRANSCRIPT_FORMAT)
    version: int = field(default=TRANSCRIPT_VERSION)

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments).strip()

    def to_dict(self) -> dict:
        data = asdict(self)
        # The header first, segments last, so the file reads well.
        return {key: data[key] for key in (
            "format", "version", "engine", "model", "language", "duration_s",
            "audio_sha256", "segments")}

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
                   audio_sha256=data.get("audio_sha256"))


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


# --- Subtitle and text formats -------------------------------------------------------

_CUE_TIME = re.compile(
    r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})\s*-->\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
)


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _parse_cues(text: str) -> list[Segment]:
    """Cues of WebVTT or SRT: a timing line, then text lines up to a blank line."""
    segments: list[Segment] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        match = _CUE_TIME.search(lines[i])
        i += 1
        if not match:
            continue
        g = match.groups()
        start, end = _seconds(*g[0:4]), _seconds(*g[4:8])
        body = []
        while i < len(lines) and lines[i].strip():
            body.append(re.sub(r"<[^>]+>", "", lines[i]).strip())  # drop <v Speaker> tags
            i += 1
        cue_text = " ".join(part for part in body if part)
        if cue_text:
            segments.append(Segment(start=start, end=end, text=cue_text))
    return segments


def read_subtitles(path: Path, kind: str) -> Transcript:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if kind == "vtt" and not text.lstrip().startswith("WEBVTT"):
        raise BadInput(f"{path.name} does not start with WEBVTT, so it is not a WebVTT file; "
                       "check the file or rename it to .txt to read it as plain text.")
    segments = _parse_cues(text)
    if not segments:
        raise BadInput(f"{path.name} holds no timed cues; give a WebVTT or SRT file with "
                       "at least one cue, or a plain .txt transcript.")
    segments.sort(key=lambda s: s.start)
    return Transcript(engine=f"import:{kind}", model="none", language="en",
                      duration_s=max(s.end for s in segments), segments=tuple(segments))


PLAIN_TEXT_WORDS_PER_S = 2.5  # a typical speaking rate, to give imported text rough times


def read_plain_text(path: Path) -> Transcript:
    """Plain text has no times: give each line times at a typical speaking rate."""
    segments = []
    cursor = 0.0
    for line in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        duration = max(1.0, len(line.split()) / PLAIN_TEXT_WORDS_PER_S)
        segments.append(Segment(start=round(cursor, 2), end=round(cursor + duration, 2), text=line))
        cursor += duration
    if not segments:
        raise BadInput(f"{path.name} is empty; give a transcript with some text in it.")
    return Transcript(engine="import:text", model="none", language="en",
                      duration_s=round(cursor, 2), segments=tuple(segments))


def read_transcript(path: Path) -> Transcript:
    """Read our transcript JSON, WebVTT, SRT or plain text, chosen by the file's suffix."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise BadInput(f"{path.name} is empty; give a transcript with some text in it.")
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise BadInput(f"{path.name} is not valid JSON ({error}); give a transcript.json "
                           "written by `visit transcribe`.") from None
        if not isinstance(data, dict):
            raise BadInput(f"{path.name} is not an appointment-recorder transcript; give a "
                           "transcript.json written by `visit transcribe`.")
        try:
            return Transcript.from_dict(data)
        except (KeyError, TypeError, ValueError) as error:
            raise BadInput(f"{path.name} is a damaged transcript ({error!r} is wrong or "
                           "missing); transcribe the audio again.") from None
    if suffix in (".vtt", ".srt"):
        return read_subtitles(path, suffix[1:])
    if suffix in (".txt", ".text", ".md"):
        return read_plain_text(path)
    raise BadInput(f"{path.name} is not a transcript this tool reads; give a .json, .vtt, "
                   ".srt or .txt file, or an audio file to transcribe.")


def _timestamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_vtt(transcript: Transcript) -> str:
    cues = ["WEBVTT", ""]
    for segment in transcript.segments:
        cues += [f"{_timestamp(segment.start, '.')} --> {_timestamp(segment.end, '.')}",
                 segment.text.strip(), ""]
    return "\n".join(cues)


def to_srt(transcript: Transcript) -> str:
    cues = []
    for number, segment in enumerate(transcript.segments, start=1):
        cues += [str(number),
                 f"{_timestamp(segment.start, ',')} --> {_timestamp(segment.end, ',')}",
                 segment.text.strip(), ""]
    return "\n".join(cues)


def clock(seconds: float) -> str:
    """12.3 -> '0:12', 3725 -> '1:02:05': how a person reads a time in a recording."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def to_text(transcript: Transcript) -> str:
    lines = []
    for segment in transcript.segments:
        mark = " [unclear]" if segment.low_confidence else ""
        lines.append(f"[{clock(segment.start)}] {segment.text.strip()}{mark}")
    return "\n".join(lines) + "\n"
