"""Transcribing while the visit goes on, and the checklist the patient sees in the room.

Capture and transcription run apart: the recorder hands each block of samples to
`LiveTranscriber.feed` (cheap, never blocks on the recogniser), and a `LiveWorker` thread
transcribes whatever has arrived, analyses the transcript so far and reports a
`LiveStatus`. If the recogniser falls behind, it takes the backlog in one longer window and
says so; the recording itself never waits for it. At the end, the live transcript is kept
and only the last few seconds are transcribed again, so the report is ready at once.

Each stretch of audio made final goes through the same coverage guard as `visit
transcribe` (recorder.transcription.coverage): speech Whisper skipped is heard again, and
what no hearing writes down stays in the transcript as unclear speech, never silently lost.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Literal

import numpy as np

from extract.analyze import analyze
from extract.findings import Findings, QuestionFinding
from extract.questionset import QuestionSet
from extract.transcript import Segment, Transcript, Word, ends_sentence, shifted, with_words
from recorder.storage.audiofile import SAMPLE_RATE
from recorder.transcription.coverage import WORD_REACH_S, Span, SpeechSpans, silero_speech
from recorder.transcription.engines import (
    VAD_SPEECH_PAD_MS,
    Engine,
    TranscribeSettings,
    covered,
    first_hearing,
)

LIVE_WINDOW_MIN_S = 5.0  # transcribe once this much new audio has arrived
LIVE_RETRY_S = 3.0  # a window still in progress is heard again after this much more audio
TAIL_GUARD_S = 1.5  # words ending this close to the window's end may be cut: hear them again
NO_SPEECH_ADVANCE_S = 10.0  # a window this long with no words is silence: move past it
# A window that starts in a pause starts this long before the speech after it: the padding
# the decoder's own voice detection keeps around speech, so the first word is heard whole.
WINDOW_LEAD_IN_S = VAD_SPEECH_PAD_MS / 1000
# Whisper wrote nothing for a window in which voice detection hears this much speech: wait
# for more audio rather than pass over it, up to GIVE_UP_WINDOW_S.
MIN_SPEECH_S = 1.0
FINAL_MIN_SPEECH_S = 0.25  # less speech than this at the very end is only noise
GIVE_UP_WINDOW_S = 50.0
MAX_WINDOW_S = 25.0  # a window this long is cut at a word, even mid-sentence (Whisper hears 30 s)
BEHIND_WARNING_S = 30.0  # more audio than this waiting: say transcription is catching up
ANSWER_WAIT_S = 45.0  # a question asked this recently with no reply yet is "waiting"
REPLY_EDGE_S = 0.05  # a reply ending this close to the last word transcribed was said last
WORKER_IDLE_S = 0.25  # how often the worker looks for new audio

LiveState = Literal["not_asked", "waiting", "answered", "partial", "unanswered"]
# How far along the checklist each state is: a question only ever moves forward.
PROGRESS = {"not_asked": 0, "waiting": 1, "answered": 2, "partial": 2, "unanswered": 2}
LIVE_LABELS = {"not_asked": "not yet asked", "waiting": "asked, waiting for an answer",
               "answered": "answered", "partial": "partly answered",
               "unanswered": "not answered"}


@dataclass(frozen=True)
class QuestionState:
    id: str
    text: str
    state: LiveState
    last_words: str  # the latest words heard for it (question or answer)


@dataclass(frozen=True)
class LiveStatus:
    heard_s: float  # audio transcribed so far, seconds
    behind_s: float  # audio waiting to be transcribed, seconds
    questions: tuple[QuestionState, ...]
    procedures_open: tuple[str, ...]  # named procedures not yet discussed
    note: str | None = None  # e.g. "catching up": said on screen when degraded


def _final_part(heard: list[Segment], keep_until: float, window_s: float, *,
                final: bool) -> list[Segment]:
    """The part of a window that will not change when more audio arrives.

    The last segment may be cut off by the window's end, so only its whole sentences that
    end before the guard are kept: a question followed at once by a long answer, which
    Whisper often writes as one segment, is final soon after it is said, not when the answer
    ends or the window has grown long. The rest waits for more audio, unless the window has
    grown long: then every word that ends before the guard is kept. What is kept ends with
    the last whole sentence in it, where there is one, so that the next window starts at
    the start of a sentence: Whisper hears a sentence cut in two poorly.
    """
    if final:
        return heard
    complete = [s for s in heard[:-1] if _last_word_end(s) <= keep_until]
    if heard:
        last = heard[-1]
        words = tuple(w for w in last.words if w.end <= keep_until)
        if window_s < MAX_WINDOW_S:
            words = words[:_sentence_cut(words)]
        if words:
            complete.append(with_words(last, words))
    return _up_to_sentence_end(complete)


def _sentence_cut(words: tuple[Word, ...]) -> int:
    """How many of `words` there are up to the end of the last sentence in them (0: none)."""
    ends = [i for i, w in enumerate(words) if ends_sentence(w.text)]
    return ends[-1] + 1 if ends else 0


def _up_to_sentence_end(segments: list[Segment]) -> list[Segment]:
    for index in range(len(segments) - 1, -1, -1):
        words = segments[index].words
        cut = _sentence_cut(words)
        if cut:
            head = with_words(segments[index], words[:cut])
            return segments[:index] + [head]
    return segments  # no sentence ends in it: keep it all rather than hold it forever


def _next_start(spans: list[Span], heard: list[Segment], done_s: float,
                keep_until: float) -> float:
    """Where the next window starts, everything before `done_s` being final (seconds into
    this window; `spans`: its speech by voice detection; `heard`: what Whisper wrote).

    Where what is final reaches the end of the speech it is in (within WORD_REACH_S: Whisper
    times a word's end a few tenths early), the pause after it is skipped: the next window
    starts WINDOW_LEAD_IN_S before the next speech, or at the tail guard if none is heard
    yet. Given the fading end of the last word and a pause, Whisper writes a stray word for
    that scrap of sound ("room.") or stretches the next word back over the pause, and a
    stray word at a turn can cut the reply before it short (the sample visit's Q3, README).
    So that is all it skips: a word Whisper wrote after the pause is speech even where voice
    detection hears none, and the window starts before it. Inside speech, the window starts
    at `done_s`.
    """
    after = [start for start, end in spans if end > done_s + WORD_REACH_S]
    after += [w.start for s in heard for w in s.words if w.start > done_s + WORD_REACH_S]
    resumes_s = min(after) if after else keep_until + WINDOW_LEAD_IN_S
    return min(keep_until, max(done_s, resumes_s - WINDOW_LEAD_IN_S))


def live_settings(settings: TranscribeSettings) -> TranscribeSettings:
    """`settings` as the live transcriber decodes with them, and its engine is loaded with:
    one short window at a time, so no batches and every thread on that one window.

    A window's first hearing keeps Whisper's greedy result, with no temperature fallback:
    a window ending inside a term makes base loop ("L5-L5-L5-..."), and decoding it again
    at five temperatures cost 10-40 s of CPU in one step, the whole latency tail of the
    checklist. A loop is at the window's end, which is heard again in the next window; one
    made final anyway is cut to one occurrence (`checked`), and the speech it hid is heard
    again by the coverage guard, whose retries may still fall back."""
    return replace(settings, batched=False, parallel_windows=1, fallback=False)


def _last_word_end(segment: Segment) -> float:
    return segment.words[-1].end if segment.words else segment.end


class LiveTranscriber:
    """Holds the audio not yet transcribed and the segments already final."""

    def __init__(self, engine: Engine, settings: TranscribeSettings, *,
                 speech: SpeechSpans = silero_speech):
        self._engine = engine
        self._settings = live_settings(settings)
        self._speech = speech  # the stretches of speech in some samples (voice detection)
        self._lock = threading.Lock()
        self._blocks: list[np.ndarray] = []
        self._pending_samples = 0
        self._committed_s = 0.0  # everything before this is final in self.segments
        self._tried_samples = 0  # how much of the pending audio the last attempt heard
        self.segments: list[Segment] = []

    def feed(self, block: np.ndarray) -> None:
        """Add captured samples (16 kHz mono float32); safe to call from the capture thread."""
        with self._lock:
            self._blocks.append(np.asarray(block, dtype=np.float32).reshape(-1))
            self._pending_samples += len(self._blocks[-1])

    @property
    def heard_s(self) -> float:
        return self._committed_s

    @property
    def pending_s(self) -> float:
        return self._pending_samples / SAMPLE_RATE

    def step(self, *, final: bool = False) -> bool:
        """Transcribe the audio waiting, if there is enough; True if anything was done."""
        with self._lock:
            if not self._blocks:
                return False
            if not final and (self.pending_s < LIVE_WINDOW_MIN_S or self._pending_samples
                              - self._tried_samples < LIVE_RETRY_S * SAMPLE_RATE):
                return False
            window = np.concatenate(self._blocks)
        self._tried_samples = len(window)
        window_s = len(window) / SAMPLE_RATE
        keep_until = window_s if final else window_s - TAIL_GUARD_S
        spans = self._speech(window)
        speech_s = sum(end - start for start, end in spans)
        if final and speech_s < FINAL_MIN_SPEECH_S:
            heard = []  # the last moments hold no speech: Whisper would only invent some
        else:
            heard = first_hearing(window, self._engine, self._settings)
        kept = [replace(s, end=_last_word_end(s))
                for s in _final_part(heard, keep_until, window_s, final=final)]
        if kept:
            # Up to the last word heard, not the segment's end: Whisper can stretch a
            # segment's end over speech it did not write down, and that must be heard again.
            done_s = _last_word_end(kept[-1])
        elif not heard and (final or window_s >= GIVE_UP_WINDOW_S or (
                window_s >= NO_SPEECH_ADVANCE_S and speech_s < MIN_SPEECH_S)):
            done_s = keep_until  # silence (voice detection agrees): nothing to hear again
        else:
            return True  # speech still going on: wait for more audio
        consumed_s = _next_start(spans, heard, done_s, keep_until)
        consumed = min(len(window), int(round(consumed_s * SAMPLE_RATE)))
        # Only what is made final is guarded, once: a window still in progress is heard
        # again anyway. Segments with no text from here mark speech no one could write.
        kept = covered(window[:consumed], kept, self._engine, self._settings,
                       speech=self._speech)
        self.segments += [shifted(s, self._committed_s) for s in kept]
        with self._lock:
            rest = np.concatenate(self._blocks)[consumed:]  # new blocks may have arrived
            self._blocks = [rest] if len(rest) else []
            self._pending_samples = len(rest)
            self._tried_samples = 0
            self._committed_s += consumed / SAMPLE_RATE
        return True

    def transcript(self, *, audio_sha256: str | None = None) -> Transcript:
        return Transcript(engine=self._engine.name, model=self._engine.model_name,
                          language=self._settings.language,
                          duration_s=round(self._committed_s + self.pending_s, 2),
                          segments=tuple(self.segments), audio_sha256=audio_sha256)

    def finish(self, *, audio_sha256: str | None = None) -> Transcript:
        """Transcribe what is left and return the whole transcript."""
        while self._blocks:
            self.step(final=True)
        return self.transcript(audio_sha256=audio_sha256)


def checklist(findings: Findings, question_set: QuestionSet, now_s: float,
              last_said_s: float, shown: tuple[QuestionState, ...] = (),
              ) -> tuple[tuple[QuestionState, ...], tuple[str, ...]]:
    """Each question's live state, and the named procedures not yet discussed.

    A question with no reply yet is waiting, and so is one whose reply, judged not (fully)
    an answer so far, is the last thing transcribed (`last_said_s`: where the transcript's
    words end): the surgeon may be going on ("I did look at that." and then the reasons),
    and a reply cut off by the window's edge is not yet "not answered". Either waits at most
    ANSWER_WAIT_S.

    A question never goes back down the checklist from what was `shown` before (not yet
    asked, then waiting, then settled: answered, partly or not answered): the transcript
    grows a window at a time, and the analysis of a longer one can read a reply afresh
    (a later sentence taken as the reply, still going on, or none found for a while). The
    patient would see a settled question waiting again; it keeps the state shown until the
    analysis moves it forward, or from one settled state to another (a question the
    surgeon comes back to). The report at stop is the analysis as it is.
    """
    before = {q.id: q for q in shown}
    states = []
    for q in findings.questions:
        state = _question_state(q, now_s, last_said_s)
        held = before.get(q.id)
        states.append(held if held and PROGRESS[held.state] > PROGRESS[state.state] else state)
    open_procedures = tuple(p.name for p in findings.procedures if not p.discussed)
    return tuple(states), open_procedures


def _question_state(q: QuestionFinding, now_s: float, last_said_s: float) -> QuestionState:
    if q.status == "not_asked" or q.asked is None:
        return QuestionState(q.id, q.text, "not_asked", "")
    replied_s = q.answer.end if q.answer else q.asked.end
    may_go_on = q.answer is None or (q.status in ("unanswered", "partial")
                                     and q.answer.end >= last_said_s - REPLY_EDGE_S)
    if may_go_on and now_s - replied_s < ANSWER_WAIT_S:
        state: LiveState = "waiting"
    else:
        state = q.status
    words = q.answer.text if q.answer else q.asked.text
    return QuestionState(q.id, q.text, state, words)


def render_checklist(status: LiveStatus, *, width: int = 78) -> list[str]:
    """The checklist as plain lines for a terminal (no colour needed to read it)."""
    lines = [f"Heard {int(status.heard_s // 60)}:{int(status.heard_s % 60):02d}"
             + (f" - {status.note}" if status.note else "")]
    for q in status.questions:
        mark = {"answered": "[x]", "partial": "[~]", "unanswered": "[!]", "waiting": "[?]",
                "not_asked": "[ ]"}[q.state]
        lines.append(f"{mark} {q.id} {LIVE_LABELS[q.state]}"[:width])
        if q.last_words:
            lines.append(f"      \"{q.last_words[-(width - 10):]}\"")
    if status.procedures_open:
        lines.append("Not yet discussed: " + ", ".join(status.procedures_open))
    return lines


class LiveWorker(threading.Thread):
    """Transcribes and analyses in the background; calls `on_status` after each step."""

    def __init__(self, transcriber: LiveTranscriber, question_set: QuestionSet, nlp,
                 on_status: Callable[[LiveStatus], None] = lambda status: None, *,
                 embedder=None):
        super().__init__(name="live-transcriber", daemon=True)
        self.transcriber = transcriber
        self._question_set = question_set
        self.nlp = nlp
        self.embedder = embedder  # the same matcher as the report at stop, so they agree
        self._on_status = on_status
        self._stop_requested = threading.Event()
        self.latest: LiveStatus | None = None  # read by the recorder's display
        self._shown: tuple[QuestionState, ...] = ()  # the checklist as last worked out
        self.error: Exception | None = None

    def status(self) -> LiveStatus:
        """The checklist for the transcript so far, carried on from the last one worked
        out: no question goes back down it (`checklist`)."""
        transcript = self.transcriber.transcript()
        findings = analyze(transcript, self._question_set, self.nlp, embedder=self.embedder)
        now_s = self.transcriber.heard_s + self.transcriber.pending_s
        said = [s.end for s in transcript.segments if s.text]
        questions, procedures = checklist(findings, self._question_set, now_s,
                                          max(said, default=0.0), self._shown)
        self._shown = questions
        behind = self.transcriber.pending_s
        note = f"transcription is {behind:.0f} s behind, catching up" \
            if behind > BEHIND_WARNING_S else None
        return LiveStatus(self.transcriber.heard_s, behind, questions, procedures, note)

    def run(self) -> None:
        try:
            while not self._stop_requested.is_set():
                if self.transcriber.step():
                    self.latest = self.status()
                    self._on_status(self.latest)
                else:
                    time.sleep(WORKER_IDLE_S)
        except Exception as error:  # shown by the recorder, which keeps recording
            self.error = error

    def stop(self) -> None:
        self._stop_requested.set()
        self.join()

    # What recording needs of a live checklist (recorder.capture.recording.LiveTap).
    def feed(self, samples: np.ndarray) -> None:
        self.transcriber.feed(samples)

    def panel(self) -> tuple[str, ...] | None:
        latest = self.latest
        return None if latest is None else tuple(render_checklist(latest))
