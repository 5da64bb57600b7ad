"""Transcript files: our JSON, WebVTT, SRT and plain text, read and written.

The Transcript object itself (the contract) is in extract/transcript.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from extract.errors import BadInput
from extract.transcript import UNCLEAR_SPEECH, Segment, Transcript, clock

# --- Subtitle and text formats -------------------------------------------------------

_CUE_TIME = re.compile(
    r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})\s*-->\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
)


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


# Speaker labels as other tools write them, kept instead of deleted:
# - WebVTT voice spans (Microsoft Teams, our own files): `<v Jane Doe>text</v>`, `<v.loud Jane>`;
# - a "Name: " prefix on each cue or line (Zoom's VTT, Buzz's exports after speaker
#   identification, Otter's SRT with speaker names, our transcript.txt and SRT);
# - Otter's text export: a "Name  0:00" line (two spaces, then the turn's start) above the text.
_VOICE_SPAN = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*?)\s*>")
_NAME_PREFIX = re.compile(r"^((?:[A-Za-z][\w.'-]*|\[[\w .'-]{1,40}\])(?: [\w.'-]+){0,3}):\s+(\S.*)$")
_CLOCK_PREFIX = re.compile(r"^\[((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)\]\s*(.*)$")
_OTTER_TURN = re.compile(r"^(\S.{0,40}?) {2,}((?:\d+:)?\d{1,2}:\d{2})\s*$")
NAME_MAX_CHARS = 40
# "Name: " prefixes count as speakers only when at least this share of a file's cues or lines
# carry one: a lone "Note: ..." in an unlabelled file stays text.
SPEAKER_PREFIX_SHARE = 0.5


def _clock_seconds(clock_text: str) -> float:
    parts = [float(part) for part in clock_text.split(":")]
    return sum(part * 60 ** power for power, part in enumerate(reversed(parts)))


def _name_prefix(text: str) -> tuple[str | None, str]:
    match = _NAME_PREFIX.match(text)
    if not match or len(match.group(1)) > NAME_MAX_CHARS:
        return None, text
    return match.group(1).strip("[]").strip(), match.group(2)


def _with_prefixed_speakers(segments: list[Segment]) -> list[Segment]:
    """Segments without a speaker whose text starts "Name: " get that speaker, when enough of
    them do (SPEAKER_PREFIX_SHARE) for the prefixes to be labels rather than words."""
    split = [_name_prefix(s.text) if s.speaker is None else (None, s.text) for s in segments]
    if sum(name is not None for name, _ in split) < SPEAKER_PREFIX_SHARE * len(segments):
        return segments
    return [replace(s, speaker=name, text=text) if name else s
            for s, (name, text) in zip(segments, split)]


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
        body, speaker = [], None
        while i < len(lines) and lines[i].strip():
            voice = _VOICE_SPAN.search(lines[i])
            if voice and speaker is None and voice.group(1):
                speaker = voice.group(1)
            body.append(re.sub(r"<[^>]+>", "", lines[i]).strip())  # tags out, names kept above
            i += 1
        cue_text = " ".join(part for part in body if part)
        if cue_text == UNCLEAR_SPEECH:  # speech no one could write down, as we wrote it
            segments.append(Segment(start=start, end=end, text="", low_confidence=True,
                                    confidence=0.0, speaker=speaker))
        elif cue_text:
            segments.append(Segment(start=start, end=end, text=cue_text, speaker=speaker))
    return _with_prefixed_speakers(segments)


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
    """Plain text: one segment per line (or per Otter turn), with the times the text gives
    ("[0:12]" before a line, Otter's "Name  0:12" turn lines) or else times at a typical
    speaking rate; "Name: " prefixes and Otter's names become speakers."""
    lines = [line.strip() for line in
             path.read_text(encoding="utf-8-sig", errors="replace").splitlines()]
    pieces = _otter_turns(lines) or [(None, None, line) for line in lines if line]
    segments, cursor = [], 0.0
    for at, speaker, text in pieces:
        clock_match = _CLOCK_PREFIX.match(text) if at is None else None
        if clock_match:
            at, text = _clock_seconds(clock_match.group(1)), clock_match.group(2)
        start = cursor if at is None else at
        if at is not None and segments and segments[-1].end > at:  # the text's times rule
            segments[-1] = replace(segments[-1], end=max(segments[-1].start, round(at, 2)))
        duration = max(1.0, len(text.split()) / PLAIN_TEXT_WORDS_PER_S)
        segments.append(Segment(start=round(start, 2), end=round(start + duration, 2),
                                text=text, speaker=speaker))
        cursor = start + duration
    segments = [s for s in _with_prefixed_speakers(segments) if s.text.strip()]
    if not segments:
        raise BadInput(f"{path.name} is empty; give a transcript with some text in it.")
    return Transcript(engine="import:text", model="none", language="en",
                      duration_s=round(cursor, 2), segments=tuple(segments))


def _otter_turns(lines: list[str]) -> list[tuple[float, str, str]]:
    """(start, speaker, text) per turn of an Otter text export; [] if it is not one."""
    first = next((line for line in lines if line), "")
    if not _OTTER_TURN.match(first):
        return []
    turns: list[tuple[float, str, str]] = []
    for line in lines:
        header = _OTTER_TURN.match(line)
        if header:
            turns.append((_clock_seconds(header.group(2)), header.group(1).strip(), ""))
        elif line and turns:
            at, speaker, text = turns[-1]
            turns[-1] = (at, speaker, f"{text} {line}".strip())
    return [turn for turn in turns if turn[2]]


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


def _said_by(segment: Segment) -> str:
    """"Surgeon: " before a segment's text, or nothing when no speaker is known."""
    return f"{segment.speaker}: " if segment.speaker else ""


def to_vtt(transcript: Transcript) -> str:
    cues = ["WEBVTT", ""]
    for segment in transcript.segments:
        voice = f"<v {segment.speaker}>" if segment.speaker else ""  # a WebVTT voice span
        cues += [f"{_timestamp(segment.start, '.')} --> {_timestamp(segment.end, '.')}",
                 voice + segment.shown_text, ""]
    return "\n".join(cues)


def to_srt(transcript: Transcript) -> str:
    cues = []
    for number, segment in enumerate(transcript.segments, start=1):
        cues += [str(number),
                 f"{_timestamp(segment.start, ',')} --> {_timestamp(segment.end, ',')}",
                 _said_by(segment) + segment.shown_text, ""]
    return "\n".join(cues)


def to_text(transcript: Transcript) -> str:
    lines = []
    for segment in transcript.segments:
        mark = " [unclear]" if segment.low_confidence and segment.text.strip() else ""
        lines.append(f"[{clock(segment.start)}] {_said_by(segment)}{segment.shown_text}{mark}")
    return "\n".join(lines) + "\n"
