"""Transcript -> timed sentences: the units the matcher works on.

Whisper's segments are windows of audio, not turns: one segment can hold the end of the
patient's question and the start of the surgeon's answer. So the words (with their own
times) are re-cut: first at pauses long enough to be a change of speaker, then into
sentences by spaCy, and each sentence keeps the time of its first and last word.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import utils

from extract.normalize import normalize
from extract.transcript import Transcript, join_words

# A silence at least this long between two words is treated as a possible change of
# speaker (espeak-ng turns here are 0.8 s apart; people in a room pause 0.5-1 s).
TURN_PAUSE_S = 0.6


@dataclass(frozen=True)
class Sentence:
    index: int
    start: float  # seconds
    end: float
    text: str  # verbatim
    norm: str  # normalised for matching (extract.normalize)
    plain: str  # norm without punctuation, for fuzzy comparison (rapidfuzz default_process)
    pause_before: float  # seconds of silence before the first word
    low_confidence: bool
    speaker: str | None = None  # the transcript's speaker label, where it has one
    turn: int = 0  # which stretch of one voice it is in: a cue, a labelled segment, or words
    #                between pauses of TURN_PAUSE_S (extract/turns.py)


@dataclass(frozen=True)
class _Token:
    text: str
    start: float
    end: float
    low_confidence: bool
    starts_cue: bool = False  # the first word of an imported cue: cues are turns
    speaker: str | None = None


def _tokens(transcript: Transcript) -> list[_Token]:
    tokens: list[_Token] = []
    for segment in transcript.segments:
        if segment.words:
            tokens += [_Token(w.text, w.start, w.end, segment.low_confidence,
                              speaker=segment.speaker)
                       for w in segment.words if w.text]
            continue
        # Imported subtitles have no word times: spread the cue's time over its words.
        words = segment.text.split()
        step = (segment.end - segment.start) / max(1, len(words))
        tokens += [_Token(word, round(segment.start + i * step, 2),
                          round(segment.start + (i + 1) * step, 2), segment.low_confidence,
                          starts_cue=i == 0, speaker=segment.speaker)
                   for i, word in enumerate(words)]
    return tokens


def _chunks(tokens: list[_Token], turn_pause_s: float = TURN_PAUSE_S) -> list[list[_Token]]:
    chunks: list[list[_Token]] = []
    for token in tokens:
        if (chunks and not token.starts_cue and token.speaker == chunks[-1][-1].speaker
                and token.start - chunks[-1][-1].end < turn_pause_s):
            chunks[-1].append(token)
        else:
            chunks.append([token])
    return chunks


def plain(text: str) -> str:
    """Lower case, punctuation as spaces: the form fuzzy comparisons are made on."""
    return utils.default_process(text)


def split_sentences(transcript: Transcript, nlp, turn_pause_s: float = TURN_PAUSE_S,
                    ) -> tuple[Sentence, ...]:
    chunks = _chunks(_tokens(transcript), turn_pause_s)
    texts = []
    offsets = []  # per chunk: the character offset where each token starts
    for chunk in chunks:
        text, starts = _join(chunk)
        texts.append(text)
        offsets.append(starts)
    sentences: list[Sentence] = []
    previous_end = 0.0
    for turn, (chunk, starts, doc) in enumerate(zip(chunks, offsets, nlp.pipe(texts))):
        for sent in doc.sents:
            first = _token_at(starts, sent.start_char)
            last = _token_at(starts, max(sent.start_char, sent.end_char - 1))
            words = chunk[first:last + 1]
            text = _join(words)[0]
            if not text.strip():
                continue
            sentences.append(Sentence(
                index=len(sentences), start=words[0].start, end=words[-1].end, text=text,
                norm=(norm := normalize(text)), plain=plain(norm),
                pause_before=round(max(0.0, words[0].start - previous_end), 2),
                low_confidence=any(token.low_confidence for token in words),
                speaker=words[0].speaker, turn=turn))
            previous_end = words[-1].end
    return tuple(sentences)


def _join(tokens: list[_Token]) -> tuple[str, list[int]]:
    """The tokens as text, and the character offset where each token starts."""
    return join_words([token.text for token in tokens])


def _token_at(starts: list[int], char: int) -> int:
    """The index of the token that contains character `char`."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= char:
            low = middle
        else:
            high = middle - 1
    return low
