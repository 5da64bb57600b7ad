"""Speaker labels, piece by piece: stretches, clustering, the count of speakers, roles.

Pure functions on small hand-made transcripts and vectors; the real encoder on real audio is
in test_speakers_audio.py, and the encoder against resemblyzer in test_speakers_model.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from extract.transcript import Segment, Speaker, Transcript, Word
from recorder.transcription import speakers as sp

CONSENT = ("I'd like to record our conversation today so I can remember your answers "
           "accurately. The recording stays on my own computer. Is that all right with you? "
           "You can ask me to stop at any time.")
QUESTIONS = ("Based on my imaging, what is the specific structural problem causing my pain?",
             "What percentage of patients with this exact diagnosis improve without surgery?",
             "How many fusions at this level do you perform each year?")


def words(text: str, start: float, step: float = 0.3, gaps: dict[int, float] | None = None):
    """Timed words, `step` apart; `gaps` adds a pause before word i."""
    made, at = [], start
    for i, word in enumerate(text.split()):
        at += (gaps or {}).get(i, 0.0)
        made.append(Word(start=round(at, 2), end=round(at + step * 0.8, 2), text=word,
                         probability=0.9))
        at += step
    return tuple(made)


def segment(text: str, start: float, **kwargs) -> Segment:
    said = words(text, start, **kwargs)
    return Segment(start=said[0].start, end=said[-1].end, text=text, words=said)


def transcript(*segments: Segment) -> Transcript:
    return Transcript(engine="faster-whisper", model="base", language="en",
                      duration_s=max(s.end for s in segments) + 1, segments=segments)


# --- Stretches --------------------------------------------------------------------------

def test_a_segment_is_cut_after_each_sentence_and_at_pauses():
    one = segment("Thank you. How long have you had it it started in May", 0.0,
                  gaps={8: 0.6})
    stretches = sp.speech_stretches(transcript(one))
    assert [(s.first_word, s.last_word) for s in stretches] == [(0, 2), (2, 8), (8, 12)]
    assert stretches[1].start == one.words[2].start and stretches[1].end == one.words[7].end


def test_a_long_stretch_is_cut_at_its_longest_pause():
    text = " ".join(["word"] * 40)  # 12 s of words, no sentence end
    long = segment(text, 0.0, gaps={25: 0.2, 10: 0.1})
    stretches = sp.speech_stretches(transcript(long))
    assert all(s.duration_s <= sp.MAX_STRETCH_S for s in stretches)
    assert stretches[0].last_word == 25  # the longest pause, 0.2 s, is the cut


def test_a_segment_without_words_is_one_stretch():
    bare = Segment(start=1.0, end=4.0, text="Imported from subtitles.")
    assert sp.speech_stretches(transcript(bare)) == (sp.Stretch(1.0, 4.0, 0, 0, 0),)


# --- Clustering and the count of speakers -----------------------------------------------

def voices(counts: list[int], spread: float, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around `len(counts)` random directions, `counts[i]` of each."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(counts), 256))
    points = np.concatenate([centre + rng.normal(scale=spread, size=(n, 256))
                             for centre, n in zip(centres, counts)])
    truth = np.repeat(np.arange(len(counts)), counts)
    return points / np.linalg.norm(points, axis=1, keepdims=True), truth


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return all(len(set(b[a == label])) == 1 for label in set(a)) and \
        len(set(a)) == len(set(b))


@pytest.mark.parametrize("counts", [[12, 9], [10, 7, 5], [8, 8, 6, 5]])
def test_the_count_of_speakers_is_measured_not_assumed(counts):
    points, truth = voices(counts, spread=0.06)
    count, labels, scores = sp.choose_count(points, np.ones(len(points)))
    assert count == len(counts), scores
    assert same_partition(labels, truth)


def test_one_voice_is_not_split_in_two():
    rng = np.random.default_rng(3)
    points = rng.normal(loc=1.0, scale=0.05, size=(20, 256))
    count, labels, scores = sp.choose_count(points, np.ones(20))
    assert count == 1 and set(labels) == {0}
    assert max(scores.values()) < sp.ONE_VOICE_SILHOUETTE


def test_an_odd_stretch_does_not_become_a_speaker():
    """Ward's linkage: one outlier joins a cluster instead of standing for a second voice."""
    points, truth = voices([10, 10], spread=0.06)
    odd = np.zeros((1, 256))
    odd[0, 0] = 1.0
    labels = sp.agglomerate(np.concatenate([points, odd]), 2)
    assert same_partition(labels[:-1], truth)


def test_silhouette_prefers_the_true_split():
    points, truth = voices([10, 10], spread=0.06)
    wrong = np.arange(20) % 2
    assert sp.silhouette(points, truth) > 0.5 > sp.silhouette(points, wrong)


# --- Labels on segments -----------------------------------------------------------------

def test_a_turn_change_inside_a_segment_splits_it():
    both = segment("How many fusions do you do a year? About a hundred and twenty.", 0.0,
                   gaps={8: 0.5})
    stretches = sp.speech_stretches(transcript(both))
    diarization = sp.Diarization(stretches, (0, 1), 2, {})
    labelled = sp.label_transcript(transcript(both), diarization)
    assert [(s.speaker, s.text) for s in labelled.segments] == [
        ("Speaker 1", "How many fusions do you do a year?"),
        ("Speaker 2", "About a hundred and twenty.")]
    assert labelled.segments[1].start == both.words[8].start
    assert [s.label for s in labelled.speakers] == ["Speaker 1", "Speaker 2"]


def test_one_voice_leaves_the_transcript_unlabelled():
    one = transcript(segment("Hello there.", 0.0))
    diarization = sp.Diarization(sp.speech_stretches(one), (0,), 1, {2: 0.1})
    assert sp.label_transcript(one, diarization) == one


def test_a_short_stretch_takes_the_speaker_of_the_sentence_it_belongs_to():
    """Whisper ends segments mid-sentence: "...options" | "first." and "operation. Have" |
    "you reviewed...?"; a short reply after a pause keeps its own voice print's speaker."""
    visit = transcript(segment("I want to exhaust the options", 0.0),
                       segment("first.", 1.8),
                       segment("It improves without an operation. Have", 3.0),
                       segment("you reviewed my scan?", 5.3),
                       segment("Thanks.", 8.0))
    stretches = sp.speech_stretches(visit)
    assert [s.duration_s < sp.CLUSTER_MIN_S for s in stretches] == [
        False, True, False, True, False, True]
    voice_prints = np.array([0, 1, 1, 1, 0, 1])  # the short ones' prints all point to 1
    steady = np.array([s.duration_s >= sp.CLUSTER_MIN_S for s in stretches])
    joined = sp._joined_to_neighbours(visit, stretches, voice_prints, steady)
    assert joined.tolist() == [0, 0, 1, 0, 0, 1]


def test_audio_in_pieces_gives_the_same_stretches_as_whole():
    rng = np.random.default_rng(5)
    audio = rng.normal(size=16000 * 30).astype(np.float32)
    stretches = (sp.Stretch(0.5, 4.0, 0, 0, 1), sp.Stretch(3.5, 12.25, 1, 0, 1),
                 sp.Stretch(25.0, 25.5, 2, 0, 1))
    pieces = [audio[i:i + 16000 * 10] for i in range(0, len(audio), 16000 * 10)]
    whole = dict(sp.stretch_audios([audio], stretches))
    streamed = dict(sp.stretch_audios(pieces, stretches))
    for index in range(3):
        assert np.array_equal(whole[index], streamed[index])
    assert len(whole[1]) == int(np.ceil(12.25 * 16000)) - int(3.5 * 16000)
    assert len(whole[2]) == sp.PARTIAL_SAMPLES  # a short stretch is repeated to fill 1.6 s


# --- Roles ------------------------------------------------------------------------------

def labelled(*turns: tuple[str, str]) -> Transcript:
    """Turns (speaker, text) 1 s apart, each its own segment."""
    segments, at = [], 0.0
    for speaker, text in turns:
        made = segment(text, at)
        segments.append(Segment(start=made.start, end=made.end, text=text, words=made.words,
                                speaker=speaker))
        at = made.end + 1.0
    labels = list(dict.fromkeys(s for s, _ in turns))
    return Transcript(engine="faster-whisper", model="base", language="en", duration_s=at,
                      segments=tuple(segments), speakers=tuple(Speaker(x) for x in labels))


def test_the_consent_reader_is_the_patient_and_who_agrees_the_surgeon():
    visit = labelled(("Speaker 1", CONSENT), ("Speaker 2", "Yes, that's fine."),
                     ("Speaker 2", "So what brings you in?"),
                     ("Speaker 1", "My back, for two years."))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS)
    assert [s.speaker for s in named.segments] == ["Patient", "Surgeon", "Surgeon", "Patient"]
    assert named.speakers == (Speaker("Patient", "patient", "read the consent script"),
                              Speaker("Surgeon", "surgeon", "replied to the consent script"))


def test_the_one_who_answers_takes_the_question_set_s_word_for_the_practitioner():
    visit = labelled(("Speaker 1", CONSENT), ("Speaker 2", "Yes, that's fine."))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS, practitioner="Doctor")
    assert [s.speaker for s in named.segments] == ["Patient", "Doctor"]
    assert named.speakers[1] == Speaker("Doctor", "surgeon", "replied to the consent script")


def test_without_consent_the_question_reader_and_the_answerer_are_named():
    visit = labelled(("Speaker 1", "Come in."), ("Speaker 2", QUESTIONS[0]),
                     ("Speaker 1", "A disc protrusion at L4-L5."), ("Speaker 2", QUESTIONS[1]),
                     ("Speaker 1", "About seventy percent."), ("Speaker 2", QUESTIONS[2]),
                     ("Speaker 1", "About eighty."))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS)
    assert [s.label for s in named.speakers] == ["Surgeon", "Patient"]
    assert named.segments[1].speaker == "Patient"
    assert named.speakers[0].evidence == "answered 3 of the patient's prepared questions"


def test_with_no_evidence_speakers_keep_numbers():
    visit = labelled(("Speaker 1", "Come in and sit down."), ("Speaker 2", "Thank you."),
                     ("Speaker 1", "What brings you here?"))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS)
    assert named.speakers == (Speaker("Speaker 1"), Speaker("Speaker 2"))
    assert [s.speaker for s in named.segments] == ["Speaker 1", "Speaker 2", "Speaker 1"]


def test_one_question_read_is_not_enough_to_name_anyone():
    visit = labelled(("Speaker 1", "Come in."), ("Speaker 2", QUESTIONS[0]),
                     ("Speaker 1", "A disc protrusion."))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS)
    assert {s.role for s in named.speakers} == {None}


def test_a_third_voice_reading_questions_is_a_companion_and_others_count_on():
    visit = labelled(("Speaker 1", CONSENT), ("Speaker 2", "Of course, go ahead."),
                     ("Speaker 3", QUESTIONS[2]), ("Speaker 2", "About eighty a year."),
                     ("Speaker 4", "Shall I book the scan?"))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS)
    assert [s.label for s in named.speakers] == ["Patient", "Surgeon", "Companion",
                                                 "Speaker 4"]
    assert named.speakers[2].evidence == "read 1 of the prepared questions"


def test_labels_that_contradict_the_conversation_name_no_role():
    """Voices not told apart: the consent reader's label also 'answers' its own questions."""
    visit = labelled(("Speaker 1", CONSENT), ("Speaker 2", "Yes, that's fine."),
                     ("Speaker 1", QUESTIONS[0]), ("Speaker 1", "A disc protrusion at L4-L5."),
                     ("Speaker 1", QUESTIONS[1]), ("Speaker 1", "About seventy percent."))
    named = sp.name_roles(visit, consent=[CONSENT], questions=QUESTIONS)
    assert {s.role for s in named.speakers} == {None}
    assert [s.label for s in named.speakers] == ["Speaker 1", "Speaker 2"]


def test_a_small_odd_cluster_is_not_a_second_speaker():
    """Near-identical voices left 6.5% of the speech in a cluster of odd stretches."""
    points, _ = voices([30], spread=0.04)
    odd, _ = voices([2], spread=0.04, seed=9)
    count, _, _ = sp.choose_count(np.concatenate([points, odd]), np.ones(32))
    assert count == 1
