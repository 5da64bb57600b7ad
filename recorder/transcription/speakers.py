"""Who spoke when: speaker labels for a transcript, made on this computer.

    diarization = diarize(transcript, audio, session)          # numbers: Speaker 1, 2, ...
    labelled = label_transcript(transcript, diarization)       # segments cut at turn changes
    labelled = name_roles(labelled, consent=[CONSENT_SCRIPT], questions=wordings)

1. Stretches: each Whisper segment is cut after every sentence and at every pause between
   words of STRETCH_GAP_S or more, so one stretch holds one voice (a turn change inside a
   segment falls at a sentence end or a pause); a stretch longer than MAX_STRETCH_S is cut
   again at its longest pause.
2. Each stretch gets a voice print (speaker_model.embed_utterances).
3. Stretches of CLUSTER_MIN_S or more are clustered (Ward's agglomerative clustering, then
   refined by moving each to its nearest centroid); the number of speakers, 2 to 4, is the
   one with the best silhouette score, unless the caller gives it; a split that leaves a
   speaker under MIN_CLUSTER_SHARE of the speech is refused, and when no split separates the
   voices (ONE_VOICE_SILHOUETTE) there is one voice and no labels. Shorter stretches take
   the speaker of the stretch their sentence runs on into, or of the nearest centroid.
4. Roles (`assign_roles`): the speaker who reads the consent wording (it opens every `visit
   record` recording), or most of the prepared questions, is the patient; whoever replies to
   the consent reading, or answers most of the patient's questions, is the surgeon. A
   speaker with no such evidence keeps its number ("Speaker 2"), and so does everyone when
   the labels contradict the conversation: a number is never wrong, a wrong role is.

Everything here is numpy on arrays and Transcript objects; the onnxruntime session is passed
in. Measured on espeak-ng voices in benchmarks/speakers.py (the table is in the README).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Iterator, Sequence

import numpy as np

from extract.transcript import Segment, Speaker, Transcript, Word, ends_sentence, join_words
from recorder.transcription.speaker_model import (EMBEDDING_SIZE, HOP, PARTIAL_FRAMES,
                                                  SAMPLE_RATE, embed_utterances)

STRETCH_GAP_S = 0.5  # a pause between words this long may be a change of speaker
MAX_STRETCH_S = 8.0  # longer stretches are cut at their longest pause: turns hide in them
CLUSTER_MIN_S = 1.0  # shorter stretches give unsteady voice prints: not used to cluster
JOIN_GAP_S = 0.3  # a short stretch this close to a neighbour is the neighbour's speaker
SENTENCE_JOIN_GAP_S = 1.5  # a sentence running on across a pause this long is one speaker's
MIN_SPEAKERS, MAX_SPEAKERS = 2, 4  # patient and surgeon; a companion, an interpreter
REFINE_ROUNDS = 10  # nearest-centroid passes after the agglomerative clustering
# A count whose smallest speaker holds less of the speech is refused: splits of one voice
# left 3% (one voice) and 6.5% (two near-identical voices) in a cluster of odd stretches,
# where real speakers held 12-53% (benchmarks/speakers.py). A companion who says very little
# is merged with another speaker instead (labelled with the patient's side, most likely).
MIN_CLUSTER_SHARE = 0.08
# One voice only (a dictation, a phone call with one side inaudible): two speakers then score
# a silhouette of 0.10 (espeak-ng), where two to three real voices scored 0.43-0.75.
ONE_VOICE_SILHOUETTE = 0.2
GENERIC = "Speaker {}"
PARTIAL_SAMPLES = PARTIAL_FRAMES * HOP  # 1.6 s: what one voice print hears
EMBED_GROUP = 32  # stretches embedded per call: bounds the audio and mel frames held

# Roles (label, role as the analyzer reads it)
PATIENT, SURGEON, COMPANION = "Patient", "Surgeon", "Companion"
CONSENT_SEARCH_S = 120.0  # the consent exchange opens the recording
CONSENT_MATCH = 80  # rapidfuzz partial_ratio, 0-100, of a stretch against the consent script
CONSENT_MIN_WORDS = 4  # "Is that all right" alone could be anyone's
REPLY_WINDOW_S = 15.0  # the surgeon's agreement follows the consent reading this soon
QUESTION_MATCH = 85  # rapidfuzz token_set_ratio, 0-100, of a sentence against a wording
QUESTION_MIN_WORDS = 5
PATIENT_MAJORITY = 2 / 3  # of the question readings, for the questions alone to name a patient


@dataclass(frozen=True)
class Stretch:
    """A piece of one segment that holds one voice."""

    start: float  # seconds
    end: float
    segment: int  # index in transcript.segments
    first_word: int  # words[first_word:last_word] of that segment; 0, 0 if it has none
    last_word: int

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Diarization:
    stretches: tuple[Stretch, ...]
    speakers: tuple[int, ...]  # per stretch, 0-based, numbered by first appearance
    count: int  # how many speakers
    scores: dict[int, float]  # silhouette per candidate count (empty when it was given)


# --- 1. Stretches -----------------------------------------------------------------------

def _cut_points(words: Sequence[Word], gap_s: float) -> list[int]:
    """Word indexes where a new stretch starts: after a sentence end or a pause."""
    cuts = []
    for i in range(1, len(words)):
        before = words[i - 1]
        if words[i].start - before.end >= gap_s or ends_sentence(before.text):
            cuts.append(i)
    return cuts


def _split_long(words: Sequence[Word], first: int, last: int, max_s: float) -> list[tuple[int, int]]:
    """[first, last) cut at its longest pause until each piece is at most max_s."""
    if last - first < 2 or words[last - 1].end - words[first].start <= max_s:
        return [(first, last)]
    gaps = [words[i].start - words[i - 1].end for i in range(first + 1, last)]
    at = first + 1 + int(np.argmax(gaps))
    return _split_long(words, first, at, max_s) + _split_long(words, at, last, max_s)


def speech_stretches(transcript: Transcript, *, gap_s: float = STRETCH_GAP_S,
                     max_s: float = MAX_STRETCH_S) -> tuple[Stretch, ...]:
    stretches = []
    for index, segment in enumerate(transcript.segments):
        words = segment.words
        if not words:
            stretches.append(Stretch(segment.start, segment.end, index, 0, 0))
            continue
        bounds = [0, *_cut_points(words, gap_s), len(words)]
        for first, last in zip(bounds, bounds[1:]):
            for a, b in _split_long(words, first, last, max_s):
                stretches.append(Stretch(words[a].start, words[b - 1].end, index, a, b))
    return tuple(s for s in stretches if s.end > s.start)


# --- 2. Voice prints --------------------------------------------------------------------

def _filled(samples: np.ndarray) -> np.ndarray:
    """A stretch shorter than one partial utterance repeated to fill it: zero padding would
    make every short stretch sound alike (of silence)."""
    if 0 < len(samples) < PARTIAL_SAMPLES:
        samples = np.tile(samples, int(np.ceil(PARTIAL_SAMPLES / len(samples))))[:PARTIAL_SAMPLES]
    return samples


def stretch_audios(chunks: Iterable[np.ndarray], stretches: Sequence[Stretch]
                   ) -> Iterator[tuple[int, np.ndarray]]:
    """(index, samples) of each stretch, in order of start, cut from audio that arrives in
    pieces (recorder.storage.audiofile.decode_chunks): only the audio from the earliest
    stretch still to come is held, so memory stays flat however long the recording."""
    order = sorted(range(len(stretches)), key=lambda i: stretches[i].start)
    pieces = iter(chunks)
    buffer, offset = np.zeros(0, dtype=np.float32), 0  # buffer[0] is sample `offset`
    for position, index in enumerate(order):
        first = int(stretches[index].start * SAMPLE_RATE)
        last = int(np.ceil(stretches[index].end * SAMPLE_RATE))
        while offset + len(buffer) < last:
            piece = next(pieces, None)
            if piece is None:
                break
            buffer = np.concatenate([buffer, piece])
        yield index, _filled(buffer[max(0, first - offset):max(0, last - offset)])
        if position + 1 < len(order):
            keep_from = int(stretches[order[position + 1]].start * SAMPLE_RATE)
            drop = min(len(buffer), max(0, keep_from - offset))
            buffer, offset = buffer[drop:], offset + drop


def voice_prints(session, chunks: Iterable[np.ndarray], stretches: Sequence[Stretch]) -> np.ndarray:
    """(len(stretches), 256) unit voice prints, EMBED_GROUP stretches at a time."""
    prints = np.zeros((len(stretches), EMBEDDING_SIZE), dtype=np.float32)
    group: list[tuple[int, np.ndarray]] = []
    for item in stretch_audios(chunks, stretches):
        group.append(item)
        if len(group) == EMBED_GROUP:
            prints[[i for i, _ in group]] = embed_utterances(session, [a for _, a in group])
            group = []
    if group:
        prints[[i for i, _ in group]] = embed_utterances(session, [a for _, a in group])
    return prints


# --- 3. Clustering ----------------------------------------------------------------------

def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def agglomerate(embeddings: np.ndarray, count: int) -> np.ndarray:
    """Ward's agglomerative clustering of the unit voice prints into `count` clusters.

    Ward merges the pair that adds least within-cluster variance, so one odd stretch joins a
    big cluster instead of standing alone as a "speaker" (average linkage did that)."""
    n = len(embeddings)
    unit = _unit(embeddings.astype(np.float64))
    distance = np.maximum(0.0, 2.0 - 2.0 * unit @ unit.T)  # squared Euclidean of unit vectors
    np.fill_diagonal(distance, np.inf)
    sizes = np.ones(n)
    members = np.arange(n)  # each point's cluster: the index of a surviving row
    for _ in range(n - count):
        a, b = divmod(int(np.argmin(distance)), n)
        merged = ((sizes + sizes[a]) * distance[a] + (sizes + sizes[b]) * distance[b]
                  - sizes * distance[a, b]) / (sizes + sizes[a] + sizes[b])
        distance[a, :] = merged
        distance[:, a] = merged
        distance[a, a] = np.inf
        distance[b, :] = np.inf
        distance[:, b] = np.inf
        sizes[a] += sizes[b]
        members[members == b] = a
    _, labels = np.unique(members, return_inverse=True)
    return labels


def refine(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray,
           rounds: int = REFINE_ROUNDS) -> np.ndarray:
    """Move each point to its nearest (duration-weighted) centroid until nothing moves."""
    unit = _unit(embeddings.astype(np.float64))
    count = int(labels.max()) + 1
    for _ in range(rounds):
        centroids = _centroids(unit, labels, weights, count)
        moved = np.argmax(unit @ centroids.T, axis=1)
        if np.array_equal(moved, labels) or len(np.unique(moved)) < count:
            break
        labels = moved
    return labels


def _centroids(unit: np.ndarray, labels: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    sums = np.zeros((count, unit.shape[1]))
    np.add.at(sums, labels, unit * weights[:, None])
    return _unit(sums)


def silhouette(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette on cosine distance: near 1 for tight, far-apart clusters."""
    unit = _unit(embeddings.astype(np.float64))
    distance = 1.0 - unit @ unit.T
    count = int(labels.max()) + 1
    scores = []
    for i in range(len(labels)):
        own = labels == labels[i]
        if own.sum() < 2:
            scores.append(0.0)
            continue
        a = distance[i, own].sum() / (own.sum() - 1)
        b = min(distance[i, labels == other].mean() for other in range(count) if other != labels[i])
        scores.append((b - a) / max(a, b) if max(a, b) > 0 else 0.0)
    return float(np.mean(scores))


def cluster(embeddings: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    return refine(embeddings, agglomerate(embeddings, count), weights)


def choose_count(embeddings: np.ndarray, weights: np.ndarray,
                 counts: Sequence[int] = range(MIN_SPEAKERS, MAX_SPEAKERS + 1)
                 ) -> tuple[int, np.ndarray, dict[int, float]]:
    """The count of speakers with the best silhouette, its labels, and every count's score.

    A count whose smallest cluster holds less than MIN_CLUSTER_SHARE of the speech is not
    taken (a few odd stretches are not a person). 1 when no count separates the voices
    (best silhouette under ONE_VOICE_SILHOUETTE)."""
    best, scores = None, {}
    total = float(weights.sum())
    for count in counts:
        if count >= len(embeddings):
            break
        labels = cluster(embeddings, weights, count)
        shares = np.bincount(labels, weights=weights, minlength=count) / total
        scores[count] = silhouette(embeddings, labels)
        if shares.min() < MIN_CLUSTER_SHARE:
            continue
        if best is None or scores[count] > best[2]:
            best = (count, labels, scores[count])
    if best is None or best[2] < ONE_VOICE_SILHOUETTE:
        return 1, np.zeros(len(embeddings), dtype=int), scores
    return best[0], best[1], scores


def _by_first_appearance(labels: np.ndarray) -> np.ndarray:
    order = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in labels], dtype=int)


def _ends_sentence(transcript: Transcript, stretch: Stretch) -> bool:
    words = transcript.segments[stretch.segment].words
    return not words or ends_sentence(words[stretch.last_word - 1].text)


def _joined_to_neighbours(transcript: Transcript, stretches: Sequence[Stretch],
                          labels: np.ndarray, steady: np.ndarray) -> np.ndarray:
    """A short stretch (a voice print of half a second is a guess) takes the speaker of the
    neighbour it belongs with: the next one when its sentence runs on into it ("Have" |
    "you reviewed...?", cut where Whisper ended a segment), else the previous one when that
    one's sentence runs on into it ("...options" | "first."), else a neighbour with no pause
    between them. People change turns at the end of a sentence, after a pause."""
    labels = labels.copy()
    order = sorted(range(len(stretches)), key=lambda i: stretches[i].start)
    for position, index in enumerate(order):
        if steady[index]:
            continue
        before = order[position - 1] if position > 0 else None
        after = order[position + 1] if position + 1 < len(order) else None
        gap_before = np.inf if before is None else stretches[index].start - stretches[before].end
        gap_after = np.inf if after is None else stretches[after].start - stretches[index].end
        if after is not None and gap_after < SENTENCE_JOIN_GAP_S and \
                not _ends_sentence(transcript, stretches[index]):
            labels[index] = labels[after]
        elif before is not None and gap_before < SENTENCE_JOIN_GAP_S and \
                not _ends_sentence(transcript, stretches[before]):
            labels[index] = labels[before]
        elif min(gap_before, gap_after) < JOIN_GAP_S:
            labels[index] = labels[before if gap_before <= gap_after else after]
    return labels


def diarize(transcript: Transcript, audio: np.ndarray | Iterable[np.ndarray], session, *,
            speakers: int | None = None) -> Diarization:
    """Speaker numbers for the stretches of `transcript`, heard in `audio`: 16 kHz mono
    float32, whole or as pieces in order (decode_chunks), which keeps memory flat.

    `speakers` fixes the count; None chooses it, 2 to 4, by silhouette."""
    stretches = speech_stretches(transcript)
    if not stretches:
        return Diarization((), (), 0, {})
    chunks = [audio] if isinstance(audio, np.ndarray) else audio
    embeddings = voice_prints(session, chunks, stretches)
    durations = np.array([s.duration_s for s in stretches])
    steady = durations >= CLUSTER_MIN_S
    if steady.sum() < MIN_SPEAKERS + 1:  # too little speech to tell voices apart: use it all
        steady = np.ones(len(stretches), dtype=bool)
    if speakers is not None:
        count = max(1, min(speakers, int(steady.sum())))
        labels, scores = cluster(embeddings[steady], durations[steady], count), {}
    else:
        count, labels, scores = choose_count(embeddings[steady], durations[steady])
    centroids = _centroids(_unit(embeddings[steady].astype(np.float64)), labels,
                           durations[steady], count)
    every = np.argmax(_unit(embeddings.astype(np.float64)) @ centroids.T, axis=1)
    every[steady] = labels
    every = _joined_to_neighbours(transcript, stretches, every, steady)
    return Diarization(stretches, tuple(int(x) for x in _by_first_appearance(every)), count,
                       scores)


# --- 4. Labelled segments ---------------------------------------------------------------

def _piece(segment: Segment, words: tuple[Word, ...], speaker: str) -> Segment:
    text, _ = join_words([w.text.strip() for w in words])
    return replace(segment, start=words[0].start, end=words[-1].end, text=text, words=words,
                   speaker=speaker)


def label_transcript(transcript: Transcript, diarization: Diarization) -> Transcript:
    """The transcript with a speaker on every segment; a segment whose stretches belong to
    different speakers is cut where the speaker changes. With fewer than two voices told
    apart, the transcript is returned as it is: one label on everything says nothing."""
    if diarization.count < MIN_SPEAKERS:
        return transcript
    by_segment: dict[int, list[tuple[Stretch, int]]] = {}
    for stretch, speaker in zip(diarization.stretches, diarization.speakers):
        by_segment.setdefault(stretch.segment, []).append((stretch, speaker))
    segments: list[Segment] = []
    for index, segment in enumerate(transcript.segments):
        parts = by_segment.get(index)
        if not parts:
            segments.append(segment)
            continue
        if not segment.words or len({speaker for _, speaker in parts}) == 1:
            segments.append(replace(segment, speaker=GENERIC.format(parts[0][1] + 1)))
            continue
        run_start, run_speaker = parts[0][0].first_word, parts[0][1]
        for stretch, speaker in parts[1:]:
            if speaker != run_speaker:
                segments.append(_piece(segment, segment.words[run_start:stretch.first_word],
                                       GENERIC.format(run_speaker + 1)))
                run_start, run_speaker = stretch.first_word, speaker
        segments.append(_piece(segment, segment.words[run_start:parts[-1][0].last_word],
                               GENERIC.format(run_speaker + 1)))
    labels = sorted({s.speaker for s in segments if s.speaker},
                    key=lambda label: int(label.split()[-1]))
    return replace(transcript, segments=tuple(segments),
                   speakers=tuple(Speaker(label=label, role=None, evidence="")
                                  for label in labels))


# --- 5. Roles ---------------------------------------------------------------------------

def _sentences(segment: Segment) -> list[str]:
    text, sentence = [], []
    for word in segment.text.split():
        sentence.append(word)
        if ends_sentence(word):
            text.append(" ".join(sentence))
            sentence = []
    if sentence:
        text.append(" ".join(sentence))
    return text


def _reads_consent(segment: Segment, consent: Sequence[str]) -> bool:
    from rapidfuzz import fuzz, utils

    if segment.start > CONSENT_SEARCH_S or len(segment.text.split()) < CONSENT_MIN_WORDS:
        return False
    return any(fuzz.partial_ratio(segment.text, phrase, processor=utils.default_process,
                                  score_cutoff=CONSENT_MATCH) for phrase in consent)


def consent_readers(transcript: Transcript, consent: Sequence[str]) -> dict[str, float]:
    """Seconds of the consent wording (any of the phrases) read by each speaker near the
    start of the recording."""
    read: dict[str, float] = {}
    for segment in transcript.segments:
        if segment.speaker and _reads_consent(segment, consent):
            read[segment.speaker] = read.get(segment.speaker, 0.0) + segment.end - segment.start
    return read


def consent_reply(transcript: Transcript, reader: str, consent: Sequence[str]) -> str | None:
    """Who speaks first after the reader finishes the consent wording (within REPLY_WINDOW_S)."""
    last_read = None
    for index, segment in enumerate(transcript.segments):
        if segment.start > CONSENT_SEARCH_S:
            break
        if segment.speaker == reader and _reads_consent(segment, consent):
            last_read = index
    if last_read is None:
        return None
    end = transcript.segments[last_read].end
    for segment in transcript.segments[last_read + 1:]:
        if segment.start - end > REPLY_WINDOW_S:
            return None
        if segment.speaker and segment.speaker != reader:
            return segment.speaker
    return None


def question_readings(transcript: Transcript, questions: Sequence[str]) -> dict[int, int]:
    """Prepared question (index) -> the segment (index) that reads it out best."""
    from rapidfuzz import fuzz, process, utils

    best: dict[int, tuple[float, int]] = {}
    for index, segment in enumerate(transcript.segments):
        if not segment.speaker:
            continue
        for sentence in _sentences(segment):
            if len(sentence.split()) < QUESTION_MIN_WORDS:
                continue
            found = process.extractOne(sentence, list(questions), scorer=fuzz.token_set_ratio,
                                       processor=utils.default_process,
                                       score_cutoff=QUESTION_MATCH)
            if found and found[1] > best.get(found[2], (0.0, -1))[0]:
                best[found[2]] = (found[1], index)
    return {question: index for question, (_, index) in best.items()}


def _reply_to(transcript: Transcript, index: int) -> str | None:
    """Who speaks first after segment `index`, someone else within REPLY_WINDOW_S."""
    asker, end = transcript.segments[index].speaker, transcript.segments[index].end
    for segment in transcript.segments[index + 1:]:
        if segment.start - end > REPLY_WINDOW_S:
            return None
        if segment.speaker and segment.speaker != asker:
            return segment.speaker
    return None


def _count(labels) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        if label:
            counts[label] = counts.get(label, 0) + 1
    return counts


def _clear_winner(counts: dict[str, int]) -> str | None:
    """The label with at least 2 votes and PATIENT_MAJORITY of them, if there is one."""
    if not counts:
        return None
    top = max(counts, key=counts.get)
    return top if counts[top] >= 2 and counts[top] >= PATIENT_MAJORITY * sum(counts.values()) \
        else None


def _turns_hold(transcript: Transcript, patient: str, readings: dict[int, int],
                asked: dict[str, int]) -> bool:
    """Whether the labels behave like a conversation around the patient's questions: the
    patient reads most of those read out, and another voice answers most of the patient's.
    When voices are not told apart, neither holds, and no role is named."""
    if sum(asked.values()) < 2:
        return True  # nothing to check against
    if asked.get(patient, 0) < PATIENT_MAJORITY * sum(asked.values()):
        return False
    own = [i for i in readings.values() if transcript.segments[i].speaker == patient]
    answered = sum(_reply_to(transcript, i) is not None for i in own)
    return answered >= len(own) / 2


def assign_roles(transcript: Transcript, *, consent: Sequence[str], questions: Sequence[str],
                 practitioner: str = SURGEON) -> dict[str, tuple[str, str]]:
    """Generic label -> (role label, why) for the speakers the evidence names; the one who
    answers for the practice is labelled `practitioner` (the question set's word for them).

    Patient: reads the consent wording (else: reads most of the prepared questions, at least
    2 and PATIENT_MAJORITY of them). Surgeon (anyone answering for the practice): replies to
    the consent reading (else: first to speak after most of the patient's questions, by the
    same rule). Companion: with both named, a third voice that reads a prepared question.
    No role at all when the labels contradict the conversation (`_turns_hold`)."""
    readings = question_readings(transcript, questions)
    asked = _count(transcript.segments[i].speaker for i in readings.values())
    readers = consent_readers(transcript, consent)
    roles: dict[str, tuple[str, str]] = {}
    if readers:
        patient = max(readers, key=readers.get)
        extra = f" and {asked[patient]} of the prepared questions" if asked.get(patient) else ""
        roles[patient] = (PATIENT, "read the consent script" + extra)
    else:
        patient = _clear_winner(asked)
        if patient is None:
            return roles
        roles[patient] = (PATIENT, f"read {asked[patient]} of the prepared questions")
    if not _turns_hold(transcript, patient, readings, asked):
        return {}
    surgeon = consent_reply(transcript, patient, consent) if readers else None
    if surgeon:
        roles[surgeon] = (practitioner, "replied to the consent script")
    else:
        replies = _count(_reply_to(transcript, i) for i in readings.values()
                         if transcript.segments[i].speaker == patient)
        surgeon = _clear_winner(replies)
        if surgeon:
            roles[surgeon] = (practitioner, f"answered {replies[surgeon]} of the patient's "
                                       f"prepared questions")
    if surgeon:
        for speaker, count in asked.items():
            if speaker not in roles:
                roles[speaker] = (COMPANION, f"read {count} of the prepared questions")
    return roles


def name_roles(transcript: Transcript, *, consent: Sequence[str], questions: Sequence[str],
               practitioner: str = SURGEON) -> Transcript:
    """The transcript with roles for the speakers the evidence names (`consent`: the
    wordings of the consent exchange the patient reads; `questions`: the prepared questions'
    wordings); the others keep a number, counted on after the roles ("Speaker 3" after a
    Patient and a Surgeon)."""
    roles = assign_roles(transcript, consent=consent, questions=questions,
                         practitioner=practitioner)
    kinds = {PATIENT: "patient", practitioner: "surgeon", COMPANION: "companion"}
    rename, order = {}, 0
    for segment in transcript.segments:
        label = segment.speaker
        if label and label not in rename:
            if label in roles:
                rename[label] = roles[label][0]
            else:
                order += 1
                rename[label] = GENERIC.format(order + len(roles))
    speakers = tuple(Speaker(label=rename[s.label],
                             role=kinds[roles[s.label][0]] if s.label in roles else None,
                             evidence=roles[s.label][1] if s.label in roles else "")
                     for s in transcript.speakers if s.label in rename)
    return replace(transcript,
                   segments=tuple(replace(s, speaker=rename.get(s.speaker, s.speaker))
                                  for s in transcript.segments),
                   speakers=speakers)
