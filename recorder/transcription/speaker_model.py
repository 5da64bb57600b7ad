"""The speaker encoder: resemblyzer's GE2E network as ONNX, with its audio front end in numpy.

resemblyzer 0.1.4 (Apache-2.0) ships trained weights (`pretrained.pt`) in its PyPI wheel: a
3-layer LSTM over 40-channel mel frames whose last hidden state, through a linear layer,
ReLU and L2 norm, is a 256-number voice print. Running it through torch costs 870 MB and
librosa; exported once to ONNX (5.7 MB) it runs on onnxruntime and numpy, as here.

The export (`export_speaker_encoder`) is a set-up step, `visit models install speakers`,
run by scripts/setup.sh where torch and onnx are installed; it never runs at analysis time
and downloads nothing. At run time this module needs only numpy and onnxruntime.

The front end reproduces resemblyzer's preprocessing (resemblyzer/audio.py, hparams.py,
voice_encoder.py): librosa.feature.melspectrogram with its defaults (Hann window, centred
frames padded with zeros, power 2, Slaney mel scale and area norm), not logged, on audio
raised to -30 dBFS; an utterance is cut into partials of 160 frames, 1.3 per second,
embedded as a batch and averaged.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from importlib import util
from pathlib import Path
from typing import Sequence

import numpy as np

from extract.errors import NotInstalled

SAMPLE_RATE = 16000  # Hz, the rate the encoder was trained on
N_FFT = 400  # samples: the 25 ms analysis window
HOP = 160  # samples: 10 ms between frames
N_MELS = 40  # mel channels
PARTIAL_FRAMES = 160  # frames in a partial utterance: 1.6 s
PARTIALS_PER_S = 1.3  # resemblyzer's default rate of partials
MIN_COVERAGE = 0.75  # a last partial less full than this is dropped (if it is not the only one)
TARGET_DBFS = -30.0  # quieter audio is raised to this level, never lowered
INT16_MAX = 2 ** 15 - 1
EMBEDDING_SIZE = 256
BATCH_PARTIALS = 64  # partials per onnxruntime call: bounds memory on long recordings

SPEAKER_MODEL_FILE = "speaker-encoder-ge2e.onnx"  # in the models folder
RESEMBLYZER_PACKAGE = "resemblyzer"
RESEMBLYZER_WEIGHTS = "pretrained.pt"
ONNX_OPSET = 17
INSTALL_HINT = "`visit models install speakers`"


# --- Front end (numpy) ------------------------------------------------------------------

def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, log above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(hz >= min_log_hz,
                    min_log_mel + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep,
                    hz / f_sp)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)),
                    f_sp * mel)


@functools.lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, as librosa.filters.mel(sr=16000,
    n_fft=400, n_mels=40) makes them: Slaney scale, each filter normalised to unit area."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _window() -> np.ndarray:
    """The periodic Hann window scipy.signal.get_window('hann', N_FFT) gives librosa."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def mel_frames(wav: np.ndarray) -> np.ndarray:
    """(frames, N_MELS) float32 mel power spectrogram, one frame per HOP samples plus one."""
    padded = np.pad(np.asarray(wav, dtype=np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:count]
    power = np.abs(np.fft.rfft(frames * _window(), axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filterbank().T).astype(np.float32)


def normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Raise quiet audio to TARGET_DBFS (never lower it): the encoder reads unlogged power."""
    wav = np.asarray(wav, dtype=np.float32)
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * INT16_MAX) ** 2))) if len(wav) else 0.0
    if rms == 0.0:
        return wav
    change_db = TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    return wav if change_db < 0 else (wav * 10 ** (change_db / 20)).astype(np.float32)


def partial_slices(n_samples: int) -> list[tuple[int, int]]:
    """Mel frame ranges [start, stop) of the partial utterances covering n_samples, as
    resemblyzer's VoiceEncoder.compute_partial_slices chooses them."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE / PARTIALS_PER_S) / HOP))
    count = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    slices = [(i, i + PARTIAL_FRAMES) for i in range(0, count, step)]
    last_start = slices[-1][0] * HOP
    coverage = (n_samples - last_start) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices.pop()
    return slices


def utterance_partials(wav: np.ndarray) -> np.ndarray:
    """(partials, PARTIAL_FRAMES, N_MELS) float32: the encoder's input for one utterance."""
    wav = normalize_volume(wav)
    slices = partial_slices(len(wav))
    needed = slices[-1][1] * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_frames(wav)
    return np.stack([mel[start:stop] for start, stop in slices])


def embed_utterances(session, wavs: Sequence[np.ndarray]) -> np.ndarray:
    """(len(wavs), EMBEDDING_SIZE) unit voice prints, one per 16 kHz float32 utterance.

    `session` is the onnxruntime session from `load_speaker_encoder`. Partials of all the
    utterances go through the network in batches of BATCH_PARTIALS.
    """
    if not wavs:
        return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
    partials = [utterance_partials(wav) for wav in wavs]
    owners = np.repeat(np.arange(len(wavs)), [len(p) for p in partials])
    stacked = np.concatenate(partials)
    input_name = session.get_inputs()[0].name
    outputs = [session.run(None, {input_name: stacked[i:i + BATCH_PARTIALS]})[0]
               for i in range(0, len(stacked), BATCH_PARTIALS)]
    partial_embeddings = np.concatenate(outputs)
    sums = np.zeros((len(wavs), partial_embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, owners, partial_embeddings)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)


# --- The model file ---------------------------------------------------------------------

def speaker_encoder_path(folder: Path) -> Path:
    return folder / SPEAKER_MODEL_FILE


def load_speaker_encoder(folder: Path, threads: int = 1):
    """The onnxruntime session of the exported encoder in the models folder."""
    path = speaker_encoder_path(folder)
    if not path.is_file():
        raise NotInstalled(f"The speaker-label model is not in {folder}; run {INSTALL_HINT} "
                           f"once (it needs torch), or turn speaker labels off with "
                           f"--speakers 0.")
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), sess_options=options,
                                        providers=["CPUExecutionProvider"])


def resemblyzer_weights() -> Path:
    """resemblyzer's pretrained.pt, found without importing the package (which needs
    librosa and webrtcvad: the export needs only torch)."""
    spec = util.find_spec(RESEMBLYZER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NotInstalled("The resemblyzer package, which holds the speaker-label weights, "
                           "is not installed; run `pip install resemblyzer==0.1.4`.")
    weights = Path(list(spec.submodule_search_locations)[0]) / RESEMBLYZER_WEIGHTS
    if not weights.is_file():
        raise NotInstalled(f"{weights} is missing; reinstall it with `pip install "
                           f"--force-reinstall resemblyzer==0.1.4`.")
    return weights


def export_speaker_encoder(target: Path) -> str:
    """Write resemblyzer's encoder as ONNX to `target`; return the file's sha256.

    Needs torch and onnx (set-up time only). The network is rebuilt here exactly as
    resemblyzer's VoiceEncoder defines it, so its package is not imported.
    """
    try:
        import torch
        from torch import nn
    except ImportError:
        raise NotInstalled("Making the speaker-label model needs torch once; run `pip "
                           "install torch==2.13.0` and then " + INSTALL_HINT + ".") from None
    if util.find_spec("onnx") is None:
        raise NotInstalled("Making the speaker-label model needs the onnx package once; run "
                           "`pip install onnx==1.23.2` and then " + INSTALL_HINT + ".")

    class VoiceEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, EMBEDDING_SIZE)

        def forward(self, mels):
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True)

    checkpoint = torch.load(resemblyzer_weights(), map_location="cpu", weights_only=True)
    state = {k: v for k, v in checkpoint["model_state"].items()
             if k.startswith(("lstm.", "linear."))}  # not the GE2E loss's similarity scale
    encoder = VoiceEncoder()
    encoder.load_state_dict(state, strict=True)
    encoder.eval()
    example = torch.zeros(2, PARTIAL_FRAMES, N_MELS)
    staging = target.with_name(target.name + ".partial")
    with warnings.catch_warnings():  # batch-size advice for LSTMs with given h0/c0: none here
        warnings.simplefilter("ignore")
        torch.onnx.export(encoder, (example,), str(staging), input_names=["mels"],
                          output_names=["embeddings"], opset_version=ONNX_OPSET,
                          dynamic_axes={"mels": {0: "partials", 1: "frames"},
                                        "embeddings": {0: "partials"}},
                          dynamo=False)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    staging.replace(target)
    return digest
