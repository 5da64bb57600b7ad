"""Reading recordings: any common format, any rate, mono or stereo, to Whisper's input."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recorder.errors import BadInput

SAMPLE_RATE = 16_000  # Hz: Whisper models consume 16 kHz mono float32
MIN_AUDIO_S = 0.1  # shorter than this holds no speech worth transcribing


def _unreadable(path: Path, error: Exception) -> BadInput:
    return BadInput(f"{path.name} could not be read as audio ({error.__class__.__name__}); "
                    "give a wav, flac, mp3, m4a or ogg recording.")


def probe_duration_s(path: Path) -> float:
    """The length of a recording in seconds, read from its header; BadInput if not audio."""
    import av

    if path.stat().st_size == 0:
        raise BadInput(f"{path.name} is empty (0 bytes); give the recording of the visit.")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise BadInput(f"{path.name} holds no audio track; give the recording of "
                               "the visit.")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return (container.duration or 0) / 1_000_000  # microseconds
    except av.error.FFmpegError as error:
        raise _unreadable(path, error) from None


def load_audio(path: Path) -> np.ndarray:
    """Decode `path` (wav, flac, mp3, m4a, ogg...) to 16 kHz mono float32 in [-1, 1].

    PyAV (bundled with faster-whisper, with its own FFmpeg libraries) does the decoding, so
    no ffmpeg program is needed and both engines get the same samples.
    """
    import av  # imported here: decoding libraries are heavy and only needed for audio

    from faster_whisper.audio import decode_audio

    if path.stat().st_size == 0:
        raise BadInput(f"{path.name} is empty (0 bytes); give the recording of the visit.")
    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, IndexError, ValueError, StopIteration) as error:
        raise _unreadable(path, error) from None
    if audio.size < MIN_AUDIO_S * SAMPLE_RATE:
        raise BadInput(f"{path.name} holds no audio (it is shorter than {MIN_AUDIO_S} s); "
                       "give the recording of the visit.")
    return audio.astype(np.float32, copy=False)
