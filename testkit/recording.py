"""`visit record` as a child process, and what its recording holds.

Shared by the recording tests and the live-checklist tests: start a recorder, wait for events
(never assert how long they took), and find known speech inside what was recorded.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from recorder.storage.audiofile import SAMPLE_RATE, load_audio
from testkit.paths import VISIT
from testkit.waiting import WAIT_S, wait_until  # noqa: F401  (re-exported for the tests)

CONSENT = ("--consent-by", "Dr. Brandt, Jane Doe")
CHILD_TIMEOUT_S = 300  # generous: a child that has not ended by then has hung
HEARD_CORRELATION = 0.95  # known speech found in a recording (measured 0.99 and more)
ABSENT_CORRELATION = 0.5  # speech that was not recorded correlates far below this



def start_recording(folder: Path, *args: str, env: dict | None = None,
                    **popen) -> subprocess.Popen:
    """`visit record` as a child process, returned once it says sound is flowing."""
    child = subprocess.Popen([str(VISIT), "record", str(folder), *CONSENT, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, **popen)
    before = ""
    while (line := child.stderr.readline()) and not line.startswith("Recording."):
        before += line  # what the audio libraries say on the way (a small disk's complaints)
    # the recording starts with the spoken consent, and the patient is told what to say
    assert "Dr. Brandt and Jane Doe agreed" in line, before + line + child.stderr.read()
    return child


def recorded_s(path: Path) -> float:
    """Seconds of audio the WAV header declares now (0 before the file exists)."""
    import soundfile

    try:
        return soundfile.info(path).duration
    except (OSError, RuntimeError):  # not created yet, or its header not yet written
        return 0.0


def _load(path: Path | np.ndarray) -> np.ndarray:
    return path if isinstance(path, np.ndarray) else load_audio(path)


def similarity(recording: Path, reference: Path | np.ndarray) -> tuple[float, float]:
    """(correlation, lag in seconds) of the reference found inside the recording."""
    rec, ref = _load(recording), _load(reference)
    size = rec.size + ref.size
    cross = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(cross[:rec.size]))
    heard = rec[lag:lag + ref.size]
    if heard.size < ref.size // 2:
        return 0.0, lag / SAMPLE_RATE
    return float(np.corrcoef(heard, ref[:heard.size])[0, 1]), lag / SAMPLE_RATE


def holds_whole(recording: Path, reference: Path | np.ndarray) -> bool:
    """True when all of `reference` is inside `recording`, start to end."""
    rec, ref = _load(recording), _load(reference)
    correlation, lag = similarity(recording, ref)
    return correlation > HEARD_CORRELATION and lag * SAMPLE_RATE + ref.size <= rec.size


def share_of_windows_heard(recording: Path, reference: Path, window_s: float = 5.0) -> float:
    """The share of the reference's windows found in the recording (correlation > 0.9),
    each searched near where the one before was found: a gap in playback on a busy machine
    shifts what follows without hiding it."""
    rec, ref = _load(recording), _load(reference)
    size, found, offset = int(window_s * SAMPLE_RATE), 0, 0
    starts = range(0, ref.size - size + 1, size)
    for start in starts:
        window = ref[start:start + size]
        region = rec[max(0, start + offset - SAMPLE_RATE):start + offset + size + SAMPLE_RATE]
        if region.size < size:
            continue
        n = region.size + size
        cross = np.fft.irfft(np.fft.rfft(region, n) * np.conj(np.fft.rfft(window, n)), n)
        lag = int(np.argmax(cross[:region.size - size + 1]))
        heard = region[lag:lag + size]
        if np.corrcoef(heard, window)[0, 1] > 0.9:
            found += 1
            offset = max(0, start + offset - SAMPLE_RATE) + lag - start
    return found / len(starts)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def record_stage(folder: Path) -> dict:
    return next(s for s in manifest(folder)["stages"] if s["stage"] == "record")["details"]
