"""Scoring speaker labels against the known turns of a spoken script (tests, benchmarks).

    score = score_labels(labelled_transcript, spoken.turns)
    score.speech_right  # share of the reference speech time given the right speaker

Labels are matched to the true speakers by the mapping that agrees best (labels are numbers
or roles; the scorer does not care which), so a consistent naming is not an error. Times are
compared on a FRAME_S grid, with a forgiveness collar of COLLAR_S either side of every true
turn boundary, as the NIST diarization error rate is usually scored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from extract.transcript import Transcript

FRAME_S = 0.01  # seconds per scoring frame
COLLAR_S = 0.25  # seconds not scored either side of a true turn boundary (NIST's usual)
VOICED_DBFS = -50.0  # a frame this loud holds sound
BRIDGE_S = 0.15  # gaps in the sound shorter than twice this are inside speech, not pauses


@dataclass(frozen=True)
class Score:
    speech_right: float  # share of true speech time labelled with the mapped right speaker
    missed: float  # share of true speech time with no label
    false_alarm: float  # labelled time where nobody speaks, as a share of true speech time
    der: float  # diarization error rate: (missed + false alarm + confusion) / true speech
    segments_right: float  # share of labelled segments whose label is their main speaker's
    mapping: dict[str, str]  # label -> true speaker


def _frames(intervals: Sequence[tuple[float, float, str]], names: list[str], count: int) -> np.ndarray:
    grid = np.full(count, -1, dtype=int)
    for start, end, name in intervals:
        grid[int(round(start / FRAME_S)):int(round(end / FRAME_S))] = names.index(name)
    return grid


def voiced_frames(audio: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """Per FRAME_S frame: is someone speaking? Sound above VOICED_DBFS, with the short gaps
    between words and inside stops (under 2 * BRIDGE_S) bridged; synthetic silence is zeros."""
    step = int(FRAME_S * sample_rate)
    frames = audio[:len(audio) // step * step].reshape(-1, step).astype(np.float64)
    loud = 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-12) > VOICED_DBFS
    index = np.arange(len(loud))
    last_loud = np.maximum.accumulate(np.where(loud, index, -len(loud)))
    next_loud = np.minimum.accumulate(np.where(loud, index, 2 * len(loud))[::-1])[::-1]
    return loud | (next_loud - last_loud <= int(2 * BRIDGE_S / FRAME_S))


def score_labels(transcript: Transcript, turns, audio: np.ndarray | None = None) -> Score:
    """`turns`: objects with speaker, start and end (testkit.speech.SpokenTurn). With the
    `audio`, the reference speech is only the sounding frames of each turn: the pauses
    between a speaker's sentences are nobody's speech, not a missed label."""
    segments = [s for s in transcript.segments if s.speaker]
    truth_names = sorted({t.speaker for t in turns})
    label_names = sorted({s.speaker for s in segments})
    end = max([t.end for t in turns] + [s.end for s in segments]) + 1.0
    count = int(end / FRAME_S)
    truth = _frames([(t.start, t.end, t.speaker) for t in turns], truth_names, count)
    labels = _frames([(s.start, s.end, s.speaker) for s in segments], label_names, count)
    if audio is not None:
        sounding = np.zeros(count, dtype=bool)
        voiced = voiced_frames(audio)[:count]
        sounding[:len(voiced)] = voiced
        truth[~sounding] = -1
    scored = np.ones(count, dtype=bool)
    for turn in turns:
        for edge in (turn.start, turn.end):
            scored[max(0, int((edge - COLLAR_S) / FRAME_S)):int((edge + COLLAR_S) / FRAME_S)] = False
    truth, labels = truth[scored], labels[scored]
    overlap = np.zeros((len(label_names), len(truth_names)))
    for i in range(len(label_names)):
        for j in range(len(truth_names)):
            overlap[i, j] = np.sum((labels == i) & (truth == j))
    best, best_total = {}, -1.0
    slots = list(range(len(truth_names))) + [None] * max(0, len(label_names) - len(truth_names))
    for chosen in itertools.permutations(slots, len(label_names)):
        total = sum(overlap[i, j] for i, j in enumerate(chosen) if j is not None)
        if total > best_total:
            best, best_total = dict(enumerate(chosen)), total
    lookup = np.array([-2 if best[i] is None else best[i] for i in range(len(label_names))] + [-1])
    mapped = lookup[labels]  # -1 (no label) indexes the last entry; -2: a label left unmapped
    speech = truth >= 0
    right = np.sum(speech & (mapped == truth))
    missed = np.sum(speech & (labels < 0))
    false_alarm = np.sum(~speech & (labels >= 0))
    confused = np.sum(speech & (labels >= 0) & (mapped != truth))
    segments_right = []
    for segment in segments:
        window = [t for t in turns if t.end > segment.start and t.start < segment.end]
        if not window:
            continue
        main = max(window, key=lambda t: min(t.end, segment.end) - max(t.start, segment.start))
        target = best.get(label_names.index(segment.speaker))
        segments_right.append(target is not None and truth_names[target] == main.speaker)
    return Score(speech_right=float(right / max(1, speech.sum())),
                 missed=float(missed / max(1, speech.sum())),
                 false_alarm=float(false_alarm / max(1, speech.sum())),
                 der=float((missed + false_alarm + confused) / max(1, speech.sum())),
                 segments_right=float(np.mean(segments_right)) if segments_right else 0.0,
                 mapping={label_names[i]: truth_names[j] for i, j in best.items()
                          if j is not None})
