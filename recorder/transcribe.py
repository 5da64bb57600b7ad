"""Speech to a Transcript, on the patient's own CPU, with either Whisper engine.

Every engine turns 16 kHz mono samples into Segments; `transcribe` wraps them into the
Transcript contract. The engine object (and the model it holds) is built once by
`load_engine` and passed in, so tests and long sessions can reuse it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

import numpy as np

from recorder.audio import SAMPLE_RATE
from recorder.errors import NotInstalled
from recorder.models import DEFAULT_MODEL, ctranslate2_dir
from recorder.transcript import Segment, Transcript, Word

ENGINES = ("faster-whisper",)
DEFAULT_ENGINE = "faster-whisper"  # 3.7x faster than openai-whisper here, no torch
DEFAULT_LANGUAGE = "en"
BEAM_SIZE = 5  # Whisper's own default; greedy decoding loses words on this material
# A segment whose mean token log-probability is below this is marked low-confidence: at
# -1.0 Whisper itself starts falling back to higher temperatures.
LOW_CONFIDENCE_LOGPROB = -1.0
# Voice activity detection: stretches of silence longer than this are cut out before
# decoding, which is what keeps Whisper from inventing "You You" in a quiet room.
VAD_MIN_SILENCE_MS = 500
VAD_SPEECH_PAD_MS = 300  # keep this much audio around each detected stretch of speech

Progress = Callable[[float], None]  # called with seconds of audio done


@dataclass(frozen=True)
class TranscribeSettings:
    engine: str = DEFAULT_ENGINE
    model: str = DEFAULT_MODEL  # a model name, or a path to a model folder
    language: str = DEFAULT_LANGUAGE
    threads: int = max(1, os.cpu_count() or 1)
    vocabulary: tuple[str, ...] = ()  # domain terms given to the recogniser as hotwords


class Engine(Protocol):
    name: str
    model_name: str

    def segments(self, audio: np.ndarray, *, language: str,
                 vocabulary: tuple[str, ...]) -> Iterator[Segment]: ...


def confidence_of(avg_logprob: float) -> float:
    """A 0-1 confidence from Whisper's mean token log-probability."""
    return round(math.exp(min(0.0, avg_logprob)), 3)


class FasterWhisperEngine:
    """faster-whisper (CTranslate2), int8 on the CPU."""

    name = "faster-whisper"

    def __init__(self, model_path: Path, model_name: str, threads: int):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise NotInstalled("The faster-whisper engine is not installed; run "
                               "`pip install faster-whisper`.") from None
        self.model_name = model_name
        self._model = WhisperModel(str(model_path), device="cpu", compute_type="int8",
                                   cpu_threads=threads, local_files_only=True)

    def segments(self, audio: np.ndarray, *, language: str,
                 vocabulary: tuple[str, ...]) -> Iterator[Segment]:
        pieces, _info = self._model.transcribe(
            audio, language=language, beam_size=BEAM_SIZE, word_timestamps=True,
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": VAD_MIN_SILENCE_MS,
                            "speech_pad_ms": VAD_SPEECH_PAD_MS},
            # Conditioning on the previous window's text is what feeds repetition loops.
            condition_on_previous_text=False,
            hotwords=", ".join(vocabulary) if vocabulary else None,
        )
        for piece in pieces:
            yield Segment(
                start=round(piece.start, 2), end=round(piece.end, 2), text=piece.text.strip(),
                words=tuple(Word(start=round(w.start, 2), end=round(w.end, 2),
                                 text=w.word.strip(), probability=round(w.probability, 3))
                            for w in (piece.words or ())),
                confidence=confidence_of(piece.avg_logprob),
                low_confidence=piece.avg_logprob < LOW_CONFIDENCE_LOGPROB,
            )


def load_engine(settings: TranscribeSettings, models_folder: Path) -> Engine:
    if settings.engine != "faster-whisper":
        raise NotInstalled(f"The engine {settings.engine!r} is not available; choose one of "
                           f"{', '.join(ENGINES)}.")
    as_path = Path(settings.model)
    if as_path.is_dir():
        return FasterWhisperEngine(as_path, as_path.name, settings.threads)
    return FasterWhisperEngine(ctranslate2_dir(settings.model, models_folder), settings.model,
                               settings.threads)


def transcribe(audio: np.ndarray, engine: Engine, *, settings: TranscribeSettings,
               audio_sha256: str | None = None, on_progress: Progress | None = None) -> Transcript:
    duration_s = round(len(audio) / SAMPLE_RATE, 2)
    segments = []
    for segment in engine.segments(audio, language=settings.language,
                                   vocabulary=settings.vocabulary):
        segments.append(segment)
        if on_progress:
            on_progress(min(segment.end, duration_s))
    if on_progress:
        on_progress(duration_s)
    return Transcript(engine=engine.name, model=engine.model_name, language=settings.language,
                      duration_s=duration_s, segments=tuple(segments), audio_sha256=audio_sha256)
