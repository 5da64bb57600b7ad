"""The coverage guard: speech the recogniser heard but did not write down is decoded again.

Whisper base, given the question set's vocabulary as hotwords, sometimes jumps over a whole
sentence (a 19-second answer on one held-out visit; shared/notes/models.md). For a patient
a dropped answer is the worst error there is, so after each window the guard compares the
speech that voice activity detection hears with the words Whisper wrote:

1. every stretch of speech of MIN_LOST_S or more that no word covers, and every stretch of
   speech with far fewer words than its length holds, is decoded again on its own, without
   the vocabulary (the vocabulary is what makes base skip), with some context around it.
   A word timed longer than it can be said was stretched over speech it does not hold, and
   covers only as long as it can be said, at the end where it sits: a segment's first word
   at its end (Whisper pulls it back over what came before), its last at its start;
2. a retry is trusted only when it covers the stretch with a plausible number of words
   (MIN_RETRY_WORDS_PER_S): one word written for seconds of speech would otherwise count
   as covering all of it. Otherwise the stretch is decoded once more with a shorter
   context, and the hearing with more words is kept, filled in by the other's. The few
   words a sparse stretch already holds are its first hearing, on the same terms;
3. speech still not covered after that is marked by a segment with no text and
   `low_confidence`, which the text outputs show as "[unclear speech]": something was said
   there that could not be transcribed, and the patient should listen to it. Where the
   words stay too few (a sparse stretch no retry heard more of, too), they are kept, and
   the stretch's speech they do not cover (all of it, if they seem to) is marked so too.

Text no audio holds is dropped before the guard looks (`without_phantoms`): a letter held
on and on, words stacked at one instant, and unsure words stretched over speech ("to be
continued." written over a whole reply); the speech under them is then heard again.
Words found by a retry are kept only where no word was, and merged in time order; the word
written right before or after the stretch, heard again in the retry's context and timed
just inside it, is not written twice. Only speech that voice activity detection hears is
ever retried: silence gives no words.

It works on segments, audio and a decode function, so any engine gets it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable

import numpy as np
from rapidfuzz import utils

from extract.transcript import Segment, Word, shifted, with_words

SAMPLE_RATE = 16_000  # Hz: the samples every engine is given
FRAME_S = 0.01  # resolution of the coverage bookkeeping, seconds

# Speech this long that no word covers is retried. A single short word ("yes", "okay")
# lasts 0.3-0.6 s and Whisper may leave a back-channel out; a second of speech is a
# phrase, and the bar (a skipped answer is several seconds).
MIN_LOST_S = 1.0
# A word is taken to cover this much time either side of its own timing: Whisper's word
# times jitter by a few tenths of a second around pauses.
WORD_REACH_S = 0.3
# How long a word lasts as said: SAID_S_PER_LETTER for each of its letters, and at least
# SHORTEST_SAID_S. Of 1,256 first-pass words inside segments (the sample visit,
# a1-08 by flite, a3-07 by espeak-ng), 97.5% last no longer: the 99th percentile is 0.6-0.76 s
# for words of 1-4 letters and 0.95 s for 12 letters; the rest ran on into a pause (a 4.3 s
# "the"). Too short a length costs little: a word must outlast it by MIN_LOST_S, plus
# WORD_REACH_S, before speech counts as lost. A number is said in words: each digit counts
# as LETTERS_PER_DIGIT letters ("seven", "twenty") and "%" as "percent". Counted as written,
# 48 of 270 numbers in 79 minutes of guarded held-out transcripts lasted longer than they
# could be said ("55%." 1.62 s against 0.6 s); counted as said, 29, by 0.52 s at most.
# A word timed longer than that was stretched over speech Whisper did not write down (a
# 10-second "and", a 4.6-second "I'm" over two sentences it skipped) and covers only the
# part the word itself fills, at the end where it sits: a segment's first word is stretched
# back over what came before it (it sits at its end), its last forward over what followed
# (at its start), and a word between, or alone, either way (both ends).
SAID_S_PER_LETTER = 0.08
SHORTEST_SAID_S = 0.6
LETTERS_PER_DIGIT = 4
SAID_SIGNS = {"%": "percent"}
# Text Whisper writes with no audio under it, dropped before the guard looks (it would be
# shown as said, and would cover speech that must be heard again): one letter held this
# many times or more ("annnnnnnn...", timed over 20 s of skipped speech; no English word
# has a letter three times in a row), and this many words or more stacked at one instant
# (a repetition tacked onto a segment's end: "I'm sorry, I'm sorry, I'm pressed." in 0 s).
HELD_LETTERS = 4
STACKED_WORDS = 3
# Words in a row that Whisper itself gives less than UNSURE_PROBABILITY, timed MIN_LOST_S
# or more longer between them than they can be said (`_said_s`), were written over speech it
# did not hear: a live window of the sample visit starting at the fading end of "varies."
# came out as "to be continued." (p 0.006-0.034, 5.5 s for three words) over "Everyone is
# different, and I'm not going to put a number on it", others as "for this video.", "of the
# surgery."; 6 of 18 window ends from that start, none from 0.1 s later. Dropped, they leave
# a stretch the guard hears again (one of MIN_LOST_S or more). Runs of unsure words in 42
# minutes of held-out visits (6,680 words) and 6 live replays of the sample were 0.44 s too
# long at most ("MISTER COOL CZIG, vividly nut right," 3.0 s), the hallucinations 4.5 s.
UNSURE_PROBABILITY = 0.5
# A "word" of these characters only is a pause or a mumble written down; "%" or "$" alone
# is a word Whisper split off a number ("60", "%").
PAUSE_MARKS = frozenset(".,;:!?-\u2013\u2014\u2026'\" ")
# Far too few words for its length: conversational speech runs at 2-3 words a second and
# even slow, deliberate speech above 1.5 (the sample visit's slowest voice: 2.3). A
# stretch of speech of SPARSE_MIN_S or more with fewer words a second than this has lost
# most of what was said in it.
MIN_WORDS_PER_S = 0.8
SPARSE_MIN_S = 4.0
# First retry: the lost stretch with this much audio either side, so Whisper hears the
# whole sentence; the second retry gives it the stretch alone, padded a little.
RETRY_CONTEXT_S = 2.0
SHORT_CONTEXT_S = 0.2
# A retry hears its context again, and a word of it already written may come back timed
# inside the stretch. The same word (text normalized) as the one written right before or
# after the stretch, first or last of the retry's new words and less than REPEAT_GAP_S
# from it, is that word said once, not twice. Timed by the first pass and by a retry with
# RETRY_CONTEXT_S either side, one word's start moved by 0.22 s at most (79 context words
# of the sample visit and a5-07 by flite; 95% within 0.08 s), so timed twice it starts at
# most that long after the first timing ends; REPEAT_GAP_S allows over twice that. A word
# said again after a longer pause is kept.
REPEAT_GAP_S = 2 * WORD_REACH_S
# A retry's words must number at least this many per second of the stretch's speech to be
# taken as what was said there. Chosen on 309 retried stretches (6 corpus consultations,
# espeak-ng and flite; stretches the guard met, stretches made by removing first-pass words,
# and stretches reversed or buried in noise): retries that wrote most of what was said
# there wrote 1.3 words a second or more (5th percentile 1.8), the seven that wrote under
# half 0 to 0.8 (one: 1.35); 0.8-1.4 makes one error on them, and leaving out either voice
# set or any one consultation picks 1.0-1.5 and misses 1 of 7 (README, Transcription
# benchmark).
MIN_RETRY_WORDS_PER_S = 1.1
# Voice activity detection for the bookkeeping: tighter than the decoder's own (no padding,
# shorter pauses split), since here it measures speech rather than cutting audio.
VAD_MIN_SILENCE_MS = 300
VAD_SPEECH_PAD_MS = 0
# Speech drowned by noise louder than the voice is no speech to voice detection, yet Whisper
# can run a segment across it ("...causing my pain? [a 7-second reply under noise 12 dB
# louder] What percentage"), and the reply would vanish with no mark. Sound inside one of
# Whisper's segments that is at least as loud as the recording's typical speech (the median
# level of its frames of speech, less this margin) is taken as speech too. A pause is far
# quieter (silence in the sample visit: -180 dB against speech at -22 dB).
DROWNED_MARGIN_DB = 0.0
UNCLEAR_CONFIDENCE = 0.0  # a segment marking speech that could not be transcribed
# In a stretch whose retries wrote too few words, speech this long that no word covers is
# marked unclear: a short word lasts 0.3 s or more.
MIN_UNHEARD_S = 0.3

Span = tuple[float, float]  # (start, end) seconds in the audio given
Decode = Callable[[np.ndarray], Iterable[Segment]]  # samples -> segments, times in them
SpeechSpans = Callable[[np.ndarray], list[Span]]


@dataclass(frozen=True)
class Lost:
    """A stretch of speech that the words do not account for."""

    start: float
    end: float
    speech_s: float  # seconds of speech in it by voice activity detection
    words: int  # words already written inside it

    @property
    def sparse(self) -> bool:
        return self.words > 0


def silero_speech(audio: np.ndarray) -> list[Span]:
    """Stretches of speech in `audio` by Silero VAD (the model faster-whisper ships)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=VAD_MIN_SILENCE_MS,
                                                    speech_pad_ms=VAD_SPEECH_PAD_MS))
    return [(chunk["start"] / SAMPLE_RATE, chunk["end"] / SAMPLE_RATE) for chunk in found]


def drowned_speech(audio: np.ndarray, speech: list[Span],
                   segments: Iterable[Segment]) -> list[Span]:
    """Sound inside `segments` (from their first word to their last) as loud as the typical
    frame of `speech`, where voice detection heard none: speech under a louder noise."""
    frame = int(round(SAMPLE_RATE * FRAME_S))  # samples per bookkeeping frame
    count = len(audio) // frame
    is_speech = _mask(speech, count)
    if not is_speech.any():  # no speech heard (or no whole frame): nothing to compare with
        return []
    power = np.mean(np.square(audio[:count * frame].reshape(count, frame), dtype=np.float64),
                    axis=1)
    level_db = 10 * np.log10(power + 1e-12)
    typical_db = float(np.median(level_db[is_speech]))
    inside = _mask([(s.words[0].start, s.words[-1].end) for s in segments if s.words], count)
    loud = (level_db >= typical_db - DROWNED_MARGIN_DB) & inside & ~is_speech
    return [(first * FRAME_S, last * FRAME_S) for first, last in _runs(loud)]


def _frames(seconds: float) -> int:
    return int(round(seconds / FRAME_S))


def _mask(spans: Iterable[Span], length: int) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    for start, end in spans:
        mask[max(0, _frames(start)):max(0, min(length, _frames(end)))] = True
    return mask


def _said_s(word: Word) -> float:
    """How long `word` can last as said; timed longer, it was stretched over speech."""
    plain = utils.default_process(word.text).replace(" ", "")  # letters and digits
    letters = sum(LETTERS_PER_DIGIT if c.isdigit() else 1 for c in plain)
    letters += sum(len(said) * word.text.count(sign) for sign, said in SAID_SIGNS.items())
    return max(SHORTEST_SAID_S, SAID_S_PER_LETTER * letters)


def _word_spans(segments: Iterable[Segment]) -> list[Span]:
    """The time each word accounts for: itself and WORD_REACH_S either side; when it lasts
    longer than it can be said, only as long as it can, at the end (or ends) where it sits:
    not the start of a segment's first word, nor the end of its last."""
    spans = []
    for segment in segments:
        last = len(segment.words) - 1
        for i, w in enumerate(segment.words):
            said_s = _said_s(w)
            if w.end - w.start <= said_s:
                spans.append((w.start - WORD_REACH_S, w.end + WORD_REACH_S))
                continue
            if i > 0 or last == 0:  # not the first word, stretched back: it may sit here
                spans.append((w.start - WORD_REACH_S, w.start + said_s + WORD_REACH_S))
            if i < last or last == 0:  # not the last word, stretched forward
                spans.append((w.end - said_s - WORD_REACH_S, w.end + WORD_REACH_S))
    return spans


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, past-last) frame of every run of True in `mask`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _uncovered(is_speech: np.ndarray, covered: np.ndarray, min_s: float) -> list[Lost]:
    """The runs of frames `covered` leaves out that hold `min_s` of speech or more, each cut
    to its first and last frame of speech."""
    found = []
    for first, last in _runs(~covered):
        speech_frames = np.flatnonzero(is_speech[first:last])
        if len(speech_frames) * FRAME_S >= min_s - FRAME_S / 2:
            found.append(Lost(round((first + speech_frames[0]) * FRAME_S, 2),
                              round((first + speech_frames[-1] + 1) * FRAME_S, 2),
                              round(len(speech_frames) * FRAME_S, 2), 0))
    return found


def lost_speech(speech: list[Span], segments: list[Segment], duration_s: float) -> list[Lost]:
    """The stretches of `speech` that the words of `segments` do not account for, in time
    order.

    A stretch between words holding MIN_LOST_S of speech or more is lost; so is a stretch
    of speech of SPARSE_MIN_S or more holding fewer than MIN_WORDS_PER_S words a second.
    """
    length = _frames(duration_s) + 1
    found = _uncovered(_mask(speech, length), _mask(_word_spans(segments), length),
                       MIN_LOST_S)
    middles = np.array([(w.start + w.end) / 2 for w in _words_of(segments)])
    for start, end in speech:
        inside = int(np.sum((middles >= start) & (middles <= end))) if len(middles) else 0
        if (end - start >= SPARSE_MIN_S and inside < MIN_WORDS_PER_S * (end - start)
                and inside > 0 and not any(l.start < end and start < l.end for l in found)):
            found.append(Lost(round(start, 2), round(end, 2), round(end - start, 2), inside))
    return sorted(found, key=lambda lost: lost.start)


def _unheard(speech: list[Span], lost: Lost, found: list[Segment],
             duration_s: float) -> list[Lost]:
    """The speech inside `lost` that no word of `found` covers: what is left to listen to
    when the words are too few to be all that was said."""
    length = _frames(duration_s) + 1
    inside = _mask([(max(start, lost.start), min(end, lost.end)) for start, end in speech
                    if start < lost.end and lost.start < end], length)
    return _uncovered(inside, _mask(_word_spans(found), length), MIN_UNHEARD_S)


def _words_of(segments: Iterable[Segment]) -> list[Word]:
    return [word for segment in segments for word in segment.words]


def _kept_part(segment: Segment, keep: Callable[[Word], bool]) -> Segment | None:
    """`segment` cut down to the words `keep` accepts; None when none is left."""
    words = tuple(w for w in segment.words if keep(w))
    return with_words(segment, words) if words else None


_HELD_LETTER = re.compile(r"([a-z])\1{%d,}" % (HELD_LETTERS - 1), re.IGNORECASE)


def _phantoms(words: tuple[Word, ...]) -> set[int]:
    """Indexes of the words no audio holds: a letter held HELD_LETTERS times, a "word" of
    punctuation only ("..." written for a mumble), a run of STACKED_WORDS or more words
    at one instant, or unsure words in a row stretched over speech (UNSURE_PROBABILITY)."""
    found = {i for i, w in enumerate(words)
             if _HELD_LETTER.search(w.text) or set(w.text) <= PAUSE_MARKS}
    instants = itertools.groupby(range(len(words)), key=lambda i: (
        words[i].start if words[i].start == words[i].end else -1.0))
    for instant, run in instants:
        run = list(run)
        if instant >= 0 and len(run) >= STACKED_WORDS:
            found.update(run)
    for unsure, run in itertools.groupby(range(len(words)), key=lambda i: (
            words[i].probability < UNSURE_PROBABILITY)):
        run = list(run)
        if unsure and sum(max(0.0, words[i].end - words[i].start - _said_s(words[i]))
                          for i in run) >= MIN_LOST_S:
            found.update(run)
    return found


def without_phantoms(segments: Iterable[Segment]) -> list[Segment]:
    """`segments` without the words Whisper wrote that no audio holds (`_phantoms`); a
    segment left with no word goes too."""
    kept = []
    for segment in segments:
        phantoms = _phantoms(segment.words)
        words = tuple(w for i, w in enumerate(segment.words) if i not in phantoms)
        if words:
            kept.append(with_words(segment, words))
    return kept


def in_time_order(segments: list[Segment]) -> list[Segment]:
    """`segments` in time order, each cut where words of another, or a mark of unclear
    speech, fall among its own words, so the text reads in the order it was said: a
    retry's words or a mark can sit inside a segment that stretched a word over them.

    The times read in that order too (`_one_after_another`): no word overlaps another,
    nor a mark it is not inside, so segments with text never overlap; a mark spans only
    the few words heard inside it (a sparse stretch)."""
    timed = sorted([(_said_from(segment, position), index, position)
                    for index, segment in enumerate(segments)
                    for position in range(len(segment.words))]
                   + [(segment.start, index, -1) for index, segment in enumerate(segments)
                      if not segment.words])
    marks = [(segment.start, segment.end) for segment in segments if not segment.words]
    words = [(said_from, segments[index].words[position])
             for said_from, index, position in timed if position >= 0]
    retimed = iter(_one_after_another(words, marks))
    pieces: list[tuple[int, list[Word]]] = []
    for _, index, position in timed:
        if not pieces or pieces[-1][0] != index:
            pieces.append((index, []))
        if position >= 0:
            pieces[-1][1].append(next(retimed))
    return [with_words(segments[index], tuple(words)) if words else segments[index]
            for index, words in pieces]


def _one_after_another(words: list[tuple[float, Word]], marks: list[Span]) -> list[Word]:
    """`words` ((when said from, word), in the order said) timed so that none overlaps the
    next, nor a mark of unclear speech it is not inside: a word stretched over what is
    said after it ends where that is said from, and one stretched back (a segment's first
    word, said at its end) starts where what is said before it ends (`_word_spans`).
    Words that overlap nothing keep Whisper's times."""
    spans: list[list[float]] = []
    for index, (said_from, word) in enumerate(words):
        start, end = word.start, word.end
        if index:
            spans[-1][1] = min(spans[-1][1], round(said_from, 2))
            start = max(start, spans[-1][1])
        for mark_start, mark_end in marks:
            if said_from < mark_start:
                end = min(end, mark_start)
            elif said_from >= mark_end:
                start = max(start, mark_end)
        spans.append([start, end])
    return [word if (start, end) == (word.start, word.end)
            else replace(word, start=start, end=end)
            for (_, word), (start, end) in zip(words, spans)]


def _said_from(segment: Segment, position: int) -> float:
    """When the word at `position` in `segment` is said from: its start, but a segment's
    first word stretched back over what came before it is said at its end (`_word_spans`)."""
    word = segment.words[position]
    if position == 0 and len(segment.words) > 1:
        return max(word.start, word.end - _said_s(word))
    return word.start


def _retry(audio: np.ndarray, lost: Lost, context_s: float, decode: Decode,
           taken: list[Segment]) -> list[Segment]:
    """`lost` decoded again with `context_s` of audio either side; only the words that fall
    inside it, away from the words already there, and not a word of the context again."""
    duration_s = len(audio) / SAMPLE_RATE
    start = max(0.0, lost.start - context_s)
    end = min(duration_s, lost.end + context_s)
    clip = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
    found = _new_words([shifted(segment, start) for segment in without_phantoms(decode(clip))],
                       lost, taken, duration_s)
    repeats = _repeats(_words_of(found), lost, _words_of(taken))
    return [part for part in (_kept_part(s, lambda w: not any(w is r for r in repeats))
                              for s in found) if part is not None]


def _repeats(found: list[Word], lost: Lost, taken: list[Word]) -> list[Word]:
    """The first and the last of a retry's new words `found` when it is the word of `taken`
    right before (or after) `lost` again, close to it in time (REPEAT_GAP_S): the context
    word timed into the stretch. Repetitions among the retry's own words are never
    touched."""
    if not found:
        return []
    first = min(found, key=lambda w: w.start)
    last = max(found, key=lambda w: w.end)
    before = [w for w in taken if (w.start + w.end) / 2 < lost.start]
    after = [w for w in taken if (w.start + w.end) / 2 > lost.end]
    repeats = []
    if before:
        neighbour = max(before, key=lambda w: w.end)
        if _same_word(first, neighbour) and first.start - neighbour.end < REPEAT_GAP_S:
            repeats.append(first)
    if after and not any(last is r for r in repeats):
        neighbour = min(after, key=lambda w: w.start)
        if _same_word(last, neighbour) and neighbour.start - last.end < REPEAT_GAP_S:
            repeats.append(last)
    return repeats


def _same_word(a: Word, b: Word) -> bool:
    plain = utils.default_process(a.text)
    return bool(plain) and plain == utils.default_process(b.text)


def _new_words(found: Iterable[Segment], lost: Lost, taken: list[Segment],
               duration_s: float) -> list[Segment]:
    """The parts of `found` (times in the audio) inside `lost` and away from `taken`."""
    length = _frames(duration_s) + 1
    covered = _mask(_word_spans(taken), length)

    def new(word: Word) -> bool:
        middle = (word.start + word.end) / 2
        return lost.start - WORD_REACH_S <= middle <= lost.end + WORD_REACH_S and not covered[
            min(length - 1, max(0, _frames(middle)))]

    kept = []
    for segment in found:
        part = _kept_part(segment, new)
        if part is not None:
            # Timed by its words: the segment Whisper gave may start in the context, well
            # before them, and would then sort ahead of words said before it.
            kept.append(replace(part, start=part.words[0].start, end=part.words[-1].end))
    return kept


def plausible(words: int, lost: Lost) -> bool:
    """Whether `words` written for `lost` can be what was said in its seconds of speech."""
    return words >= MIN_RETRY_WORDS_PER_S * lost.speech_s


def _merged(hearings: list[list[Segment]], lost: Lost, taken: list[Segment],
            duration_s: float) -> list[Segment]:
    """The hearing of `lost` with the most words (the earliest of equals), as it is: each is
    already away from `taken`; filled in where it wrote nothing by the others' words."""
    ranked = sorted(hearings, key=lambda found: -len(_words_of(found)))  # stable
    merged = list(ranked[0])
    for found in ranked[1:]:
        merged += _new_words(found, lost, taken + merged, duration_s)
    return merged


def _unclear(start: float, end: float) -> Segment:
    return Segment(start=round(start, 2), end=round(end, 2), text="", words=(),
                   confidence=UNCLEAR_CONFIDENCE, low_confidence=True)


def _inside(word: Word, lost: Lost) -> bool:
    return lost.start <= (word.start + word.end) / 2 <= lost.end


def _heard_again(audio: np.ndarray, lost: Lost, spans: list[Span], result: list[Segment],
                 decode: Decode) -> list[Segment]:
    """`result` with `lost` heard again: the hearing of it with the most words, filled in by
    the others', and unclear marks where they do not plausibly account for the speech. The
    few words a sparse stretch holds are its first hearing: kept when no retry hears more,
    but then, too few for the speech, they leave it marked."""
    duration_s = len(audio) / SAMPLE_RATE
    kept, hearings = result, []
    if lost.sparse:
        kept = [part for part in (_kept_part(s, lambda w: not _inside(w, lost)) if s.words
                                  else s for s in result) if part is not None]
        hearings.append([part for part in (_kept_part(s, lambda w: _inside(w, lost))
                                           for s in result if s.words) if part is not None])
    for context_s in (RETRY_CONTEXT_S, SHORT_CONTEXT_S):
        hearings.append(_retry(audio, lost, context_s, decode, kept))
        found = _merged(hearings, lost, kept, duration_s)
        still = [l for l in lost_speech(spans, kept + found, duration_s)
                 if l.start < lost.end and lost.start < l.end and not l.sparse]
        enough = plausible(len(_words_of(found)), lost)
        if enough and not still:
            return kept + found
    if not enough:  # too few words for the speech: what they leave should be listened to
        still = _unheard(spans, lost, found, duration_s) or [lost]
    return kept + found + [_unclear(l.start, l.end) for l in still]


def guarded(audio: np.ndarray, segments: list[Segment], decode: Decode, *,
            speech: SpeechSpans = silero_speech) -> list[Segment]:
    """`segments` (decoded from `audio`, times in it) with the speech they missed decoded
    again by `decode` and merged in time order; what stays missed is an unclear segment."""
    duration_s = len(audio) / SAMPLE_RATE
    result = without_phantoms(segments)
    spans = speech(audio)
    if not spans:
        return result
    spans = sorted(spans + drowned_speech(audio, spans, result))
    for lost in lost_speech(spans, result, duration_s):
        result = _heard_again(audio, lost, spans, result, decode)
    return in_time_order(result)
