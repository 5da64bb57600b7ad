"""The exported speaker encoder and its numpy front end against resemblyzer itself.

resemblyzer (with librosa and webrtcvad) is installed by scripts/setup.sh for the export;
here it is the reference: the ONNX model and the numpy mel filterbank must give the same
voice prints as resemblyzer's own VoiceEncoder on real (synthetic-voice) speech.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from recorder.transcription import speaker_model as sm
from testkit.speech import speak

pytestmark = pytest.mark.speaker_model  # the model made through torch (tests/conftest.py)

# Measured: 1.3e-7 on the embeddings and 9.5e-7 on mel power up to 10 (float32 rounding).
MAX_EMBEDDING_DIFFERENCE = 1e-5
MAX_MEL_DIFFERENCE = 1e-4


@pytest.fixture(scope="module")
def spoken():
    return speak([("surgeon", "Good morning. What brings you in today? Tell me about the "
                              "pain in your back."),
                  ("patient", "It started two years ago, and it goes down my left leg.")])


@pytest.fixture(scope="module")
def session(speaker_model):
    return sm.load_speaker_encoder(speaker_model)


def test_the_numpy_mel_filterbank_matches_librosa(spoken):
    import librosa

    reference = librosa.feature.melspectrogram(
        y=spoken.audio, sr=sm.SAMPLE_RATE, n_fft=sm.N_FFT, hop_length=sm.HOP,
        n_mels=sm.N_MELS).astype(np.float32).T
    mine = sm.mel_frames(spoken.audio)
    assert mine.shape == reference.shape
    assert np.abs(mine - reference).max() < MAX_MEL_DIFFERENCE


def test_the_onnx_encoder_gives_resemblyzers_voice_prints(spoken, session):
    from resemblyzer import VoiceEncoder

    encoder = VoiceEncoder("cpu", verbose=False)
    for turn in spoken.turns:
        audio = spoken.audio[int(turn.start * sm.SAMPLE_RATE):int(turn.end * sm.SAMPLE_RATE)]
        reference = encoder.embed_utterance(sm.normalize_volume(audio))
        mine = sm.embed_utterances(session, [audio])[0]
        assert np.abs(mine - reference).max() < MAX_EMBEDDING_DIFFERENCE, turn.speaker


def test_partials_are_resemblyzers(spoken):
    from resemblyzer import VoiceEncoder

    for samples in (100, 16000, 25_600, 40_000, len(spoken.audio)):
        _, mel_slices = VoiceEncoder.compute_partial_slices(samples, sm.PARTIALS_PER_S,
                                                            sm.MIN_COVERAGE)
        assert sm.partial_slices(samples) == [(s.start, s.stop) for s in mel_slices]


def test_the_model_is_made_once_with_its_checksum(speaker_model):
    models_folder = speaker_model
    from recorder.transcription.models import installed_models

    path = sm.speaker_encoder_path(models_folder)
    recorded = json.loads((models_folder / "checksums.json").read_text())
    listed = {m.weights: m for m in installed_models(models_folder)}
    assert listed[path.name].status == "ok" and recorded[path.name] == listed[path.name].sha256


def test_a_missing_model_says_how_to_make_it(tmp_path):
    from extract.errors import NotInstalled

    with pytest.raises(NotInstalled, match="visit models install speakers"):
        sm.load_speaker_encoder(tmp_path)
