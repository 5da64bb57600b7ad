"""Speech to a Transcript, on the patient's own CPU, with either Whisper engine.

Every engine turns 16 kHz mono samples into Segments; `transcribe` wraps them into the
Transcript contract. The engine object (and the model it holds) is built once by
`load_engine` and passed in, so tests and long sessions can reuse it.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from extract.errors import BadInput, NotInstalled
from extract.transcript import Segment, Transcript, Word, ends_sentence, shifted, with_words
from recorder.storage.audiofile import SAMPLE_RATE, decode_chunks
from recorder.storage.files import write_private
from recorder.transcription.models import (
    DEFAULT_MODEL,
    FASTER_WHISPER,
    OPENAI_NOT_INSTALLED,
    OPENAI_WHISPER,
    ctranslate2_dir,
    openai_checkpoint,
)
from recorder.transcription.coverage import SpeechSpans, guarded, silero_speech
from recorder.transcription.memory import release_free_memory, return_large_blocks
from recorder.transcription.windows import WINDOW_S, Partial, PartialKey, Window, cut_windows

ENGINES = (FASTER_WHISPER, OPENAI_WHISPER)
DEFAULT_ENGINE = FASTER_WHISPER  # 3.7x faster than openai-whisper here, no torch
DEFAULT_LANGUAGE = "en"
BEAM_SIZE = 5  # Whisper's own default; greedy decoding loses words on this material
# Stretches of speech decoded at once by the batched pipeline: 8 (faster-whisper's default)
# peaked at 935 MB on a 37-minute visit, over the 800 MB target.
BATCH_SIZE = 4
# A segment whose mean token log-probability is below this is marked low-confidence: at
# -1.0 Whisper itself starts falling back to higher temperatures.
LOW_CONFIDENCE_LOGPROB = -1.0
# The vocabulary as Whisper is prompted with it (faster-whisper's hotwords, openai-whisper's
# initial prompt, both read as text said just before): the terms, comma-separated. Said
# instead as people talk (the transcription benchmark's option `disfluent-prompt`), it lost
# fewer words on the benchmark's four consultations but no fewer on four others, for 23-38%
# more CPU in two runs (README, Transcription benchmark, run 9).
VOCABULARY_PROMPT = "{terms}"
# The most tokens one hearing may write grows with the audio it hears. Speech comes to at
# most about 6 text tokens a second (the densest 3 s of eight spoken consultations, both
# voice sets: 19 tokens; 4.4 a second over 25 s); a hearing far longer is a loop. Whisper
# base with the vocabulary loops when a live window ends inside a term ("L5-L5-L5-...", up to
# 448 tokens), and the temperature fallback then decodes the window five times more: 10-40 s
# of CPU for one 9-second window (README, Live checklist benchmark).
TOKENS_PER_S = 10.0
TOKENS_ALLOWANCE = 20  # timestamps, and a short clip's words
# Past this, Whisper's own limit stands (windows over 18 s): the vocabulary prompt takes up
# to half of faster-whisper's 448 tokens, and openai-whisper writes at most 224.
MAX_TOKEN_BUDGET = 200
# Voice activity detection: stretches of silence longer than this are cut out before
# decoding, which is what keeps Whisper from inventing "You You" in a quiet room.
VAD_MIN_SILENCE_MS = 500
VAD_SPEECH_PAD_MS = 300  # keep this much audio around each detected stretch of speech
# Windows decoded at the same time, each by its own CTranslate2 worker on its share of the
# threads (2 cores: 2 windows x 1 thread). One thread per decoder does the most audio per
# CPU second, and two of them keep both cores busy; the cost is a second window of audio
# (about 8 MB) and a second decoder's working memory, the weights being shared: 690 MB at
# peak on the 37-minute visit, words lost as one at a time (README, Transcription benchmark).
PARALLEL_WINDOWS = 2

# Called with the seconds of audio done: first what an earlier, stopped run had finished
# (0 on a fresh run), then as the work goes on.
Progress = Callable[[float], None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranscribeSettings:
    engine: str = DEFAULT_ENGINE
    model: str = DEFAULT_MODEL  # a model name, or a path to a model folder
    language: str = DEFAULT_LANGUAGE
    threads: int = max(1, os.cpu_count() or 1)
    vocabulary: tuple[str, ...] = ()  # domain terms given to the recogniser as hotwords
    prompt: str = VOCABULARY_PROMPT  # how the vocabulary is put to the recogniser ({terms})
    # Speech that voice detection hears but no word covers is decoded again (coverage.py):
    # the vocabulary makes Whisper base skip whole sentences now and then.
    coverage_guard: bool = True
    beam_size: int = BEAM_SIZE
    retry_beam_size: int = BEAM_SIZE  # for the guard's second hearing of missed speech
    # Whisper decodes a window again at rising temperatures when its text looks wrong (a
    # loop, unsure tokens); False keeps the first, greedy hearing (the batched pipeline
    # never falls back). The guard's retries always may.
    fallback: bool = True
    # faster-whisper's batched pipeline over the stretches of speech VAD finds: 1.4x less
    # CPU and as few words lost on the benchmark's consultations, but it hears speech
    # drowned in noise confidently (no low-confidence mark) and batch 8 peaked at 935 MB;
    # so not the default (README, Transcription benchmark). Live windows never batch.
    batched: bool = False
    batch_size: int = BATCH_SIZE
    window_s: float = WINDOW_S  # seconds given to the recogniser at once
    # Windows decoded at once (faster-whisper only; openai-whisper takes one at a time),
    # `threads` shared between them; 1 gives every thread to one window, as the live
    # transcriber does. With as many threads per window, the words are the same either
    # way, but for the temperature fallback's random sampling.
    parallel_windows: int = PARALLEL_WINDOWS


class Engine(Protocol):
    name: str
    model_name: str
    windows_at_once: int  # how many calls of `segments` may run at the same time

    def segments(self, audio: np.ndarray, *, language: str, vocabulary: tuple[str, ...],
                 beam_size: int = BEAM_SIZE, batch_size: int = 0, fallback: bool = True,
                 prompt: str = VOCABULARY_PROMPT) -> Iterator[Segment]: ...


def vocabulary_prompt(vocabulary: tuple[str, ...], prompt: str = VOCABULARY_PROMPT) -> str | None:
    """The text Whisper is prompted with for `vocabulary` (None: no vocabulary, no prompt)."""
    return prompt.format(terms=", ".join(vocabulary)) if vocabulary else None


def token_budget(audio_s: float) -> int | None:
    """The most tokens Whisper may write for `audio_s` seconds of audio (None: its own
    limit): enough for any speech, and a loop stops there instead of at 448 tokens."""
    budget = TOKENS_ALLOWANCE + math.ceil(TOKENS_PER_S * audio_s)
    return budget if budget <= MAX_TOKEN_BUDGET else None


def windows_at_once(engine: Engine) -> int:
    """How many windows `engine` may decode at the same time; 1 for an engine (or a
    wrapper around one) that does not say."""
    return getattr(engine, "windows_at_once", 1)


def confidence_of(avg_logprob: float) -> float:
    """A 0-1 confidence from Whisper's mean token log-probability."""
    return round(math.exp(min(0.0, avg_logprob)), 3)


class FasterWhisperEngine:
    """faster-whisper (CTranslate2), int8 on the CPU.

    With `batch_size`, the stretches of speech found by voice activity detection are
    decoded that many at a time (faster-whisper's BatchedInferencePipeline) instead of one
    30-second window after the other; 0 decodes them in turn.
    """

    name = "faster-whisper"

    def __init__(self, model_path: Path, model_name: str, threads: int, windows_at_once: int = 1):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise NotInstalled("The faster-whisper engine is not installed; run "
                               "`pip install faster-whisper`.") from None
        self.model_name = model_name
        # One CTranslate2 worker per window decoded at once, each on its share of the
        # threads (never more threads in all than asked for); the workers share the weights.
        self.windows_at_once = max(1, min(windows_at_once, threads))
        self._model = WhisperModel(str(model_path), device="cpu", compute_type="int8",
                                   cpu_threads=threads // self.windows_at_once,
                                   num_workers=self.windows_at_once, local_files_only=True)
        if self.windows_at_once > 1:
            return_large_blocks()  # or two decoders' freed arrays pile up (memory.py)
        self._batched = None  # the batched pipeline, made on first use (it shares the model)
        self._batched_lock = threading.Lock()  # two windows at once must not make two

    def segments(self, audio: np.ndarray, *, language: str, vocabulary: tuple[str, ...],
                 beam_size: int = BEAM_SIZE, batch_size: int = 0, fallback: bool = True,
                 prompt: str = VOCABULARY_PROMPT) -> Iterator[Segment]:
        options = dict(
            language=language, beam_size=beam_size, word_timestamps=True, vad_filter=True,
            vad_parameters={"min_silence_duration_ms": VAD_MIN_SILENCE_MS,
                            "speech_pad_ms": VAD_SPEECH_PAD_MS},
            hotwords=vocabulary_prompt(vocabulary, prompt),
            max_new_tokens=token_budget(len(audio) / SAMPLE_RATE),
            **({} if fallback else {"temperature": 0.0}))
        if batch_size:
            with self._batched_lock:
                if self._batched is None:
                    from faster_whisper import BatchedInferencePipeline

                    self._batched = BatchedInferencePipeline(self._model)
            # With timestamps, segments stay sentences (without, one per 30 s of speech).
            pieces, _info = self._batched.transcribe(audio, batch_size=batch_size,
                                                     without_timestamps=False, **options)
        else:
            # Conditioning on the previous window's text is what feeds repetition loops.
            pieces, _info = self._model.transcribe(audio, condition_on_previous_text=False,
                                                   **options)
        for piece in pieces:
            segment = Segment(
                start=round(piece.start, 2), end=round(piece.end, 2), text=piece.text.strip(),
                words=tuple(Word(start=round(w.start, 2), end=round(w.end, 2),
                                 text=w.word.strip(), probability=round(w.probability, 3))
                            for w in (piece.words or ())),
                confidence=confidence_of(piece.avg_logprob),
                low_confidence=piece.avg_logprob < LOW_CONFIDENCE_LOGPROB,
            )
            yield from sentences_of(segment) if batch_size else (segment,)


# Models whose decoding a prompt breaks: tiny.en silently skips whole turns when given the
# vocabulary (WER 70% on a 3-minute dialogue, shared/notes/models.md); base and larger gain.
PROMPT_BREAKS_MODELS = ("tiny", "tiny.en")


def sentences_of(segment: Segment) -> list[Segment]:
    """`segment` cut after each word that ends a sentence.

    The batched pipeline can hand back 20 seconds of speech as one segment; cut into
    sentences, a mumbled one among clear ones is judged on its own words (`checked`).
    """
    if not segment.words:
        return [segment]
    pieces, current = [], []
    for word in segment.words:
        current.append(word)
        if ends_sentence(word.text):
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    if len(pieces) == 1:
        return [segment]
    return [with_words(segment, tuple(words)) for words in pieces]


def _import_whisper():
    try:
        import whisper
    except ImportError:
        raise NotInstalled(OPENAI_NOT_INSTALLED) from None
    return whisper


class OpenAIWhisperEngine:
    """openai-whisper (PyTorch), float32 on the CPU: the reference implementation.

    It has no voice activity detection of its own, so the same Silero VAD as the default
    engine cuts silence out first (silence is where Whisper invents words), and times are
    mapped back onto the audio it was given. It always gets samples, never a file name: it
    would shell out to an ffmpeg program to read one.
    """

    name = "openai-whisper"
    # Its decoder hooks a key-value cache onto the one model for each call, so two calls
    # at once would mix their caches: windows are decoded one after the other.
    windows_at_once = 1

    def __init__(self, checkpoint: Path, model_name: str, threads: int):
        import pickle

        import torch

        whisper = _import_whisper()
        torch.set_num_threads(threads)
        try:
            saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
            model = whisper.model.Whisper(whisper.model.ModelDimensions(**saved["dims"]))
            model.load_state_dict(saved["model_state_dict"])
        except (pickle.UnpicklingError, RuntimeError, KeyError, TypeError) as error:
            raise BadInput(f"{checkpoint} is not an openai-whisper checkpoint "
                           f"({error.__class__.__name__}); delete it and run the command "
                           f"again, or `visit models install`.") from None
        if saved.get("alignment_heads"):  # converted here: the heads travel in the file
            from recorder.transcription.checkpoint import alignment_mask

            mask = alignment_mask(tuple(map(tuple, saved["alignment_heads"])),
                                  model.dims.n_text_layer, model.dims.n_text_head)
            model.register_buffer("alignment_heads", torch.from_numpy(mask).to_sparse(),
                                  persistent=False)
        elif model_name in whisper._ALIGNMENT_HEADS:  # an official OpenAI checkpoint
            model.set_alignment_heads(whisper._ALIGNMENT_HEADS[model_name])
        self.model_name = model_name
        self._model = model.eval()
        self._whisper = whisper

    def segments(self, audio: np.ndarray, *, language: str, vocabulary: tuple[str, ...],
                 beam_size: int = BEAM_SIZE, batch_size: int = 0, fallback: bool = True,
                 prompt: str = VOCABULARY_PROMPT) -> Iterator[Segment]:
        """`batch_size` is ignored: openai-whisper has no batched decoding."""
        from faster_whisper.vad import (
            SpeechTimestampsMap,
            VadOptions,
            collect_chunks,
            get_speech_timestamps,
        )

        speech = get_speech_timestamps(audio, VadOptions(
            min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=VAD_SPEECH_PAD_MS))
        if not speech:
            return
        chunks, _ = collect_chunks(audio, speech, sampling_rate=SAMPLE_RATE)
        speech_only = np.concatenate(chunks).astype(np.float32)
        budget = token_budget(len(speech_only) / SAMPLE_RATE)
        timeline = SpeechTimestampsMap(speech, SAMPLE_RATE)
        said_before = (vocabulary_prompt(vocabulary, prompt)
                       if self.model_name not in PROMPT_BREAKS_MODELS else None)
        result = self._whisper.transcribe(
            self._model, speech_only, language=language,
            beam_size=beam_size, word_timestamps=True, fp16=False,
            verbose=None,  # None: no console output at all, not even a progress bar
            # Conditioning on the previous window's text is what feeds repetition loops.
            condition_on_previous_text=False,
            # Re-send the vocabulary with every 30-second window, as hotwords do.
            initial_prompt=said_before, carry_initial_prompt=said_before is not None,
            **({} if budget is None else {"sample_len": budget}),
            **({} if fallback else {"temperature": 0.0}),
        )
        for piece in result["segments"]:
            yield _restored_segment(piece, timeline)


def _restored_segment(piece: dict, timeline) -> Segment:
    """An openai-whisper segment with its times moved back from speech-only audio."""
    words = []
    for word in piece.get("words") or ():
        # Both ends of a word are placed in the stretch of speech holding its middle.
        chunk = timeline.get_chunk_index((word["start"] + word["end"]) / 2)
        words.append(Word(start=round(timeline.get_original_time(word["start"], chunk), 2),
                          end=round(timeline.get_original_time(word["end"], chunk), 2),
                          text=word["word"].strip(),
                          probability=round(float(word["probability"]), 3)))
    if words:
        start, end = words[0].start, words[-1].end
    else:
        start = timeline.get_original_time(piece["start"])
        end = timeline.get_original_time(piece["end"], is_end=True)
    return Segment(start=round(start, 2), end=round(end, 2), text=piece["text"].strip(),
                   words=tuple(words), confidence=confidence_of(piece["avg_logprob"]),
                   low_confidence=piece["avg_logprob"] < LOW_CONFIDENCE_LOGPROB)


def load_engine(settings: TranscribeSettings, models_folder: Path) -> Engine:
    if settings.engine not in ENGINES:
        raise NotInstalled(f"The engine {settings.engine!r} is not available; choose one of "
                           f"{', '.join(ENGINES)}.")
    as_path = Path(settings.model)
    if settings.engine == OpenAIWhisperEngine.name:
        _import_whisper()  # first: converting weights is pointless without the engine
        if as_path.is_file():
            return OpenAIWhisperEngine(as_path, as_path.stem, settings.threads)
        return OpenAIWhisperEngine(openai_checkpoint(settings.model, models_folder),
                                   settings.model, settings.threads)
    if as_path.is_dir():
        return FasterWhisperEngine(as_path, as_path.name, settings.threads,
                                   settings.parallel_windows)
    return FasterWhisperEngine(ctranslate2_dir(settings.model, models_folder), settings.model,
                               settings.threads, settings.parallel_windows)


def _partial_key(engine: Engine, settings: TranscribeSettings,
                 audio_sha256: str | None) -> PartialKey:
    return PartialKey(audio_sha256=audio_sha256, engine=engine.name, model=engine.model_name,
                      language=settings.language, vocabulary=settings.vocabulary,
                      window_s=settings.window_s)


def transcribe(windows: Iterable[Window], engine: Engine, *, settings: TranscribeSettings,
               audio_sha256: str | None = None, on_progress: Progress | None = None,
               resume: Partial | None = None,
               on_window: Callable[[Partial], None] | None = None) -> Transcript:
    """The windows of a recording, given to `engine` (`settings.parallel_windows` at a
    time, when the engine can take that many), as one Transcript.

    Times come out absolute in the recording. `resume` holds what an earlier run finished
    (the windows given then start where it stopped); `on_window` receives the checkpoint
    after each finished window, in window order, so it always covers the recording up to
    a point; `on_progress` is told the seconds already done before any work (0 on a fresh
    run), then the seconds done as segments come. When a window fails, the windows before
    it have been handed to `on_window` and nothing is still decoding when the error comes.
    """
    segments = list(resume.transcript.segments) if resume else []
    done_samples = resume.done_samples if resume else 0
    if on_progress:
        on_progress(done_samples / SAMPLE_RATE)
    at_once = min(settings.parallel_windows, windows_at_once(engine))
    for window in heard_in_order(windows, engine, settings, at_once=at_once):
        for segment in window.segments:
            segment = shifted(segment, window.start_sample / SAMPLE_RATE)
            segments.append(segment)  # one with no text marks speech no one could write
            if on_progress:
                on_progress(min(segment.end, window.end_sample / SAMPLE_RATE))
        done_samples = window.end_sample
        if on_window:
            on_window(Partial(key=_partial_key(engine, settings, audio_sha256),
                              done_samples=done_samples,
                              transcript=_assembled(engine, settings, done_samples, segments,
                                                    audio_sha256)))
        if on_progress:
            on_progress(done_samples / SAMPLE_RATE)
    return _assembled(engine, settings, done_samples, segments, audio_sha256)


@dataclass(frozen=True)
class HeardWindow:
    """A window's place in the recording and its segments (times in the window); not its
    audio, which is let go once it is heard."""

    start_sample: int
    end_sample: int
    segments: list[Segment]


class WindowsStopped(Exception):
    """Raised inside a window still decoding when the run ends early; never escapes."""


class _Stoppable:
    """`engine`, whose decoding stops between two segments once `stop` is set: a window
    decoding ahead is not waited for when the run ends early (an error, Ctrl-C)."""

    def __init__(self, engine: Engine, stop: threading.Event):
        self._engine, self._stop = engine, stop
        self.name, self.model_name = engine.name, engine.model_name
        self.windows_at_once = windows_at_once(engine)

    def segments(self, audio: np.ndarray, **options) -> Iterator[Segment]:
        for segment in self._engine.segments(audio, **options):
            if self._stop.is_set():
                raise WindowsStopped
            yield segment


def heard_in_order(windows: Iterable[Window], engine: Engine, settings: TranscribeSettings,
                   *, at_once: int = 1) -> Iterator[HeardWindow]:
    """Each window `heard`, in window order, `at_once` of them decoding at the same time.

    The next window is taken from `windows` as soon as any decoder is free, so at most
    `at_once` windows of audio are held; a window heard before an older one still decoding
    waits (its segments only) to be given out in order. If a window fails, no new window is
    taken, its error is raised once the windows before it have been given out, and the
    windows still decoding are stopped.
    """
    if at_once <= 1:
        for window in windows:
            yield HeardWindow(window.start_sample, window.end_sample,
                              heard(window.audio, engine, settings))
        return
    stop = threading.Event()
    stoppable = _Stoppable(engine, stop)
    pending: deque[tuple[int, int, Future]] = deque()  # in window order
    pool = ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="window")

    def oldest() -> HeardWindow:
        start, end, decoding = pending.popleft()
        segments = decoding.result()
        release_free_memory()  # what that window's decoding freed (memory.py)
        return HeardWindow(start, end, segments)

    try:
        remaining = iter(windows)
        while True:
            decoding = [future for _, _, future in pending if not future.done()]
            if len(decoding) >= at_once:
                wait(decoding, return_when=FIRST_COMPLETED)
            while pending and pending[0][2].done():
                yield oldest()
            if any(future.done() and future.exception() for _, _, future in pending):
                break  # a later window failed: raised below once the ones before it are out
            window = next(remaining, None)
            if window is None:
                break
            pending.append((window.start_sample, window.end_sample,
                            pool.submit(heard, window.audio, stoppable, settings)))
            del window  # the decoder holds the audio now, and lets it go when done
        while pending:
            yield oldest()
    finally:
        # Windows still pending (the run ends early) stop at their next segment, so no
        # decoder is still busy with this recording once the error reaches the caller.
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def heard(audio: np.ndarray, engine: Engine, settings: TranscribeSettings) -> list[Segment]:
    """The segments of one window of audio (times in it), the coverage guard applied."""
    return covered(audio, first_hearing(audio, engine, settings), engine, settings)


def first_hearing(audio: np.ndarray, engine: Engine,
                  settings: TranscribeSettings) -> list[Segment]:
    """The segments Whisper writes for `audio` with the vocabulary, before any guard, each
    `checked`: a loop is cut before the guard looks, so the speech it hid is heard again."""
    # The vocabulary goes with every window: recall of domain terms falls late in a long
    # visit when only the start of the recording is prompted.
    return [checked(segment) for segment in engine.segments(
        audio, language=settings.language, vocabulary=settings.vocabulary,
        beam_size=settings.beam_size, batch_size=_batch_size(settings),
        fallback=settings.fallback, prompt=settings.prompt) if segment.text]


def covered(audio: np.ndarray, segments: list[Segment], engine: Engine,
            settings: TranscribeSettings, *, speech: SpeechSpans = silero_speech,
            ) -> list[Segment]:
    """`segments` heard in `audio` with the coverage guard applied, when it is on: speech
    they missed is heard again, and what stays missed is an unclear segment (coverage.py).
    The one guard of both `visit transcribe` and `visit record --live`."""
    if not settings.coverage_guard:
        return segments
    # The second hearing goes without the vocabulary: it is what makes base skip speech.
    return guarded(audio, segments, lambda clip: map(checked, engine.segments(
        clip, language=settings.language, vocabulary=(), beam_size=settings.retry_beam_size,
        batch_size=_batch_size(settings))), speech=speech)


def _batch_size(settings: TranscribeSettings) -> int:
    return settings.batch_size if settings.batched else 0


def _assembled(engine: Engine, settings: TranscribeSettings, done_samples: int,
               segments: list[Segment], audio_sha256: str | None) -> Transcript:
    return Transcript(engine=engine.name, model=engine.model_name, language=settings.language,
                      duration_s=round(done_samples / SAMPLE_RATE, 2), segments=tuple(segments),
                      audio_sha256=audio_sha256)


def transcribe_file(path: Path, engine: Engine, *, settings: TranscribeSettings,
                    audio_sha256: str | None = None, checkpoint: Path | None = None,
                    on_progress: Progress | None = None) -> Transcript:
    """Transcribe the recording at `path`, decoded as it goes, in constant memory.

    With `checkpoint`, each finished window is saved there (atomically), and a checkpoint
    left by an earlier run of the same recording, engine, model and vocabulary is carried
    on from; one made from anything else is ignored and overwritten.
    """
    resume = None
    if checkpoint is not None and checkpoint.is_file():
        try:
            resume = Partial.from_json(checkpoint.read_text(encoding="utf-8"))
        except BadInput as error:
            log.warning(str(error))
        if resume and resume.key != _partial_key(engine, settings, audio_sha256):
            resume = None
    first_sample = resume.done_samples if resume else 0
    windows = cut_windows(decode_chunks(path, skip_samples=first_sample),
                          first_sample=first_sample, window_s=settings.window_s)
    save = None if checkpoint is None else (
        lambda partial: write_private(checkpoint, partial.to_json()))
    return transcribe(windows, engine, settings=settings, audio_sha256=audio_sha256,
                      on_progress=on_progress, resume=resume, on_window=save)


# Whisper's known failure on a stuck window: one phrase over and over. People do repeat
# themselves ("no, no, no"), but not five times in a row.
LOOP_REPEATS = 5
LOOP_MAX_WORDS = 8  # longest phrase checked for repeats, in words
# The lowest word probability counted, so one word the recogniser gave 0 does not decide
# a whole segment alone.
MIN_WORD_PROBABILITY = 1e-3


def _loop_at(plain: list[str], i: int) -> tuple[int, int]:
    """(words in the phrase, times repeated) of a loop starting at token i, or (1, 1)."""
    for size in range(1, LOOP_MAX_WORDS + 1):
        phrase = plain[i:i + size]
        if len(phrase) < size:
            break
        repeats = 1
        while plain[i + repeats * size:i + (repeats + 1) * size] == phrase:
            repeats += 1
        if repeats >= LOOP_REPEATS:
            return size, repeats
    return 1, 1


def _loop_free(tokens: list[str]) -> list[int]:
    """Indexes of `tokens` to keep: a phrase repeated LOOP_REPEATS or more times in a row is
    kept once."""
    plain = ["".join(ch for ch in token.lower() if ch.isalnum()) for token in tokens]
    keep: list[int] = []
    i = 0
    while i < len(plain):
        size, repeats = _loop_at(plain, i)
        keep += range(i, i + size)
        i += size * repeats
    return keep


def words_logprob(segment: Segment) -> float | None:
    """The mean log-probability of the segment's words; None when it has no word timings."""
    if not segment.words:
        return None
    return float(np.mean([math.log(max(MIN_WORD_PROBABILITY, word.probability))
                          for word in segment.words]))


def checked(segment: Segment) -> Segment:
    """`segment` with Whisper's repetition loops cut to one occurrence and marked
    low-confidence, and marked low-confidence as well when its own words are unsure.

    Whisper's segment log-probability is shared by every segment decoded from one
    30-second window, so a mumbled segment between clear ones is only caught by its words.
    """
    tokens = [word.text for word in segment.words] or segment.text.split()
    keep = _loop_free(tokens)
    looped = len(keep) < len(tokens)
    if looped:
        if segment.words:
            segment = replace(segment, words=tuple(segment.words[i] for i in keep))
        segment = replace(segment, text=" ".join(tokens[i] for i in keep))
    logprob = words_logprob(segment)
    unsure = logprob is not None and logprob < LOW_CONFIDENCE_LOGPROB
    return replace(segment, low_confidence=segment.low_confidence or looped or unsure)
