"""A recording of any length, cut into windows the recogniser takes one at a time.

Whisper's memory grows with the audio it is given (about 2 GB for 30 minutes in one
piece); given a few minutes at a time it stays flat. Each cut goes into a pause found by
voice activity detection, so no word is split between two windows, and each window keeps
its place in the recording so every time stays absolute.

The checkpoint (`Partial`) records the windows already done, so a transcription that was
stopped carries on from the last finished window instead of starting over.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

import numpy as np

from extract.errors import BadInput
from extract.transcript import Transcript
from recorder.storage.audiofile import SAMPLE_RATE

WINDOW_S = 120  # seconds given to the recogniser at once: memory follows this, not the visit
CUT_SEARCH_S = 20  # a window ends in the longest pause within its last 20 seconds
# Pauses shorter than this are not cut into: between two words of one sentence.
MIN_CUT_PAUSE_MS = 200
QUIET_FRAME_S = 0.05  # with no pause at all, cut in the quietest 50 ms instead

PARTIAL_FORMAT = "appointment-recorder/transcript-partial"
PARTIAL_VERSION = 1


@dataclass(frozen=True)
class Window:
    """A stretch of the recording: its 16 kHz samples and where it starts."""

    start_sample: int
    audio: np.ndarray

    @property
    def start_s(self) -> float:
        return self.start_sample / SAMPLE_RATE

    @property
    def end_sample(self) -> int:
        return self.start_sample + len(self.audio)


def _pauses(audio: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample spans of `audio` in which voice activity detection hears no speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    speech = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=MIN_CUT_PAUSE_MS,
                                                      speech_pad_ms=0))
    edges = [0] + [edge for chunk in speech for edge in (chunk["start"], chunk["end"])]
    edges.append(len(audio))
    return [(start, end) for start, end in zip(edges[::2], edges[1::2]) if end > start]


def _quietest(audio: np.ndarray) -> int:
    frame = int(QUIET_FRAME_S * SAMPLE_RATE)
    frames = audio[:len(audio) // frame * frame].reshape(-1, frame)
    return int(np.argmin(np.square(frames).mean(axis=1))) * frame + frame // 2


def find_cut(audio: np.ndarray, search_s: float = CUT_SEARCH_S) -> int:
    """Where to end a window of `audio`: the middle of the longest pause near its end."""
    offset = max(0, len(audio) - int(search_s * SAMPLE_RATE))
    tail = audio[offset:]
    pauses = _pauses(tail)
    if not pauses:
        return offset + _quietest(tail)
    start, end = max(pauses, key=lambda span: span[1] - span[0])
    return offset + (start + end) // 2


def cut_windows(chunks: Iterable[np.ndarray], *, first_sample: int = 0,
                window_s: float = WINDOW_S) -> Iterator[Window]:
    """Decoded pieces of a recording (from `first_sample` on), as windows cut at pauses.

    At most one window and one piece are held at a time, whatever the recording's length.
    """
    window_samples = int(window_s * SAMPLE_RATE)
    held: list[np.ndarray] = []
    held_samples = 0
    start = first_sample
    for chunk in chunks:
        held.append(chunk)
        held_samples += len(chunk)
        while held_samples >= window_samples:
            audio = np.concatenate(held)
            cut = find_cut(audio[:window_samples])
            yield Window(start, audio[:cut])
            held, held_samples, start = [audio[cut:]], len(audio) - cut, start + cut
    if held_samples:
        yield Window(start, np.concatenate(held))


@dataclass(frozen=True)
class PartialKey:
    """What a checkpoint was made from: if any of it changes, transcription starts over."""

    audio_sha256: str | None
    engine: str
    model: str
    language: str
    vocabulary: tuple[str, ...]
    window_s: float = WINDOW_S


@dataclass(frozen=True)
class Partial:
    """The windows finished so far: their segments, and the sample where the next begins."""

    key: PartialKey
    done_samples: int
    transcript: Transcript  # the segments of the finished windows, times absolute

    @property
    def done_s(self) -> float:
        return self.done_samples / SAMPLE_RATE

    def to_json(self) -> str:
        return json.dumps({"format": PARTIAL_FORMAT, "version": PARTIAL_VERSION,
                           "key": asdict(self.key), "done_samples": self.done_samples,
                           "transcript": self.transcript.to_dict()}, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Partial":
        """The checkpoint in `text`; BadInput when it is not one this version wrote."""
        try:
            data = json.loads(text)
            if data.get("format") != PARTIAL_FORMAT or data.get("version") != PARTIAL_VERSION:
                raise ValueError("not a checkpoint of this version")
            key = PartialKey(**{**data["key"], "vocabulary": tuple(data["key"]["vocabulary"])})
            return cls(key=key, done_samples=int(data["done_samples"]),
                       transcript=Transcript.from_dict(data["transcript"]))
        except (ValueError, KeyError, TypeError, AttributeError, BadInput) as error:
            raise BadInput(f"The transcription checkpoint is damaged ({error}); it will be "
                           "started over.") from None
