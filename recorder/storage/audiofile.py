"""Reading recordings: any common format, any rate, mono or stereo, to Whisper's input.

PyAV (bundled with faster-whisper, with its own FFmpeg libraries) does the decoding, so no
ffmpeg program is needed and both engines get the same samples. A recording is decoded as
it is read, a few seconds at a time, so a two-hour visit costs no more memory than a short
one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import numpy as np

from extract.errors import BadInput

SAMPLE_RATE = 16_000  # Hz: Whisper models consume 16 kHz mono float32
MIN_AUDIO_S = 0.1  # shorter than this holds no speech worth transcribing
CHUNK_S = 10  # seconds decoded at a time: small against any window, cheap to hold
# Less of the recording than this share of its announced length could be decoded: the file
# was cut short (a copy interrupted, a phone that died). What is there is still used.
TRUNCATED_SHARE = 0.98

log = logging.getLogger(__name__)


def _unreadable(path: Path, error: Exception) -> BadInput:
    return BadInput(f"{path.name} could not be read as audio ({error.__class__.__name__}); "
                    "give a wav, flac, mp3, m4a or ogg recording.")


def _refuse_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise BadInput(f"{path.name} is empty (0 bytes); give the recording of the visit.")


def _audio_stream(container, path: Path):
    if not container.streams.audio:
        raise BadInput(f"{path.name} holds no audio track; give the recording of the visit.")
    return container.streams.audio[0]


def _announced_s(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return (container.duration or 0) / 1_000_000  # microseconds


def probe_duration_s(path: Path) -> float:
    """The length of a recording in seconds, read from its header; BadInput if not audio."""
    import av

    _refuse_empty(path)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return _announced_s(container, _audio_stream(container, path))
    except av.error.FFmpegError as error:
        raise _unreadable(path, error) from None


def decode_chunks(path: Path, *, skip_samples: int = 0) -> Iterator[np.ndarray]:
    """The recording as 16 kHz mono float32 pieces of about CHUNK_S seconds, in order.

    The first `skip_samples` samples are decoded and dropped (decoding runs at hundreds of
    times real time, and the same samples come out as on a run from the start, which is
    what lets an interrupted transcription carry on exactly where it stopped). Damaged
    frames are skipped; a file with no decodable audio at all is a BadInput.
    """
    import av  # imported here: decoding libraries are heavy and only needed for audio

    _refuse_empty(path)
    chunk_samples = CHUNK_S * SAMPLE_RATE
    decoded = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            announced_s = _announced_s(container, _audio_stream(container, path))
            resampler = av.audio.resampler.AudioResampler(format="flt", layout="mono",
                                                          rate=SAMPLE_RATE)
            pending: list[np.ndarray] = []
            pending_samples = 0
            for samples in _resampled(container, resampler):
                start = max(0, skip_samples - decoded)
                decoded += len(samples)
                if start < len(samples):
                    pending.append(samples[start:])
                    pending_samples += len(samples) - start
                if pending_samples >= chunk_samples:
                    yield np.concatenate(pending)
                    pending, pending_samples = [], 0
            if pending:
                yield np.concatenate(pending)
    except av.error.FFmpegError as error:
        raise _unreadable(path, error) from None
    if decoded < MIN_AUDIO_S * SAMPLE_RATE:
        raise BadInput(f"{path.name} holds no audio (less than {MIN_AUDIO_S} s could be "
                       "decoded); give the recording of the visit.")
    if decoded < TRUNCATED_SHARE * announced_s * SAMPLE_RATE:
        log.warning(f"{path.name} seems cut short: only {decoded / SAMPLE_RATE:.0f} s of its "
                    f"{announced_s:.0f} s could be decoded; the rest is missing from the "
                    "transcript.")


def _resampled(container, resampler) -> Iterator[np.ndarray]:
    import av

    frames = container.decode(audio=0)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            break
        except av.error.InvalidDataError:
            continue  # one damaged frame: skip it, keep the rest of the recording
        frame.pts = None  # timestamps of a damaged file can jump; the samples are what count
        for out in resampler.resample(frame):
            yield out.to_ndarray()[0]
    for out in resampler.resample(None):  # flush what the resampler still holds
        yield out.to_ndarray()[0]


def load_audio(path: Path) -> np.ndarray:
    """The whole recording as one 16 kHz mono float32 array in [-1, 1] (short files)."""
    return np.concatenate(list(decode_chunks(path)))
