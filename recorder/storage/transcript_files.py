"""Transcript files: our JSON, WebVTT, SRT and plain text, read and written.

The Transcript object itself (the contract) is in extract/transcript.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from extract.errors import BadInput
from extract.transcript import Segment, Transcript, clock

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


def to_text(transcript: Transcript) -> str:
    lines = []
    for segment in transcript.segments:
        mark = " [unclear]" if segment.low_confidence else ""
        lines.append(f"[{clock(segment.start)}] {segment.text.strip()}{mark}")
    return "\n".join(lines) + "\n"
