"""`visit record` for real: PortAudio capturing a virtual microphone (a private PulseAudio
server, tests/virtual_mic.py) while known speech is played into it, in child processes
that are killed, interrupted and hung up on like a laptop in a surgeon's office."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import resource
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from recorder.app.cli import main
from recorder.capture.microphone import INPUT_LATENCY_S
from recorder.storage.audiofile import SAMPLE_RATE, load_audio
from recorder.storage.files import sha256_of
from tests import virtual_mic
from tests.conftest import SAMPLE_AUDIO

VISIT = Path(sys.executable).with_name("visit")  # the installed command, run as a child
CONSENT = ("--consent-by", "Dr. Brandt, Jane Doe")
SPEECH = ("Based on my imaging, what is the specific structural problem causing my pain? "
          "You have a degenerated disc at L five S one with an annular tear.")
CHILD_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    wav = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True)
    return wav


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


def similarity(recording: Path, reference: Path) -> tuple[float, float]:
    """(correlation, lag in seconds) of the reference found inside the recording."""
    rec, ref = load_audio(recording), load_audio(reference)
    size = rec.size + ref.size
    cross = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(cross[:rec.size]))
    heard = rec[lag:lag + ref.size]
    return float(np.corrcoef(heard, ref[:heard.size])[0, 1]), lag / SAMPLE_RATE


def share_of_windows_heard(recording: Path, reference: Path, window_s: float = 5.0) -> float:
    """The share of the reference's windows found in the recording (correlation > 0.9),
    each searched near where the one before was found: a gap in playback on a busy machine
    shifts what follows without hiding it."""
    rec, ref = load_audio(recording), load_audio(reference)
    size, found, offset = int(window_s * SAMPLE_RATE), 0, 0
    starts = range(0, ref.size - size + 1, size)
    for start in starts:
        window = ref[start:start + size]
        region = rec[max(0, start + offset - SAMPLE_RATE):start + offset + size + SAMPLE_RATE]
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


def test_the_recording_holds_the_speech_played_into_the_microphone(vmic, speech, tmp_path):
    folder = tmp_path / "visit"
    child = start_recording(folder, "--duration", "5")
    vmic.play(speech).wait()
    out, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 0, err
    recording = folder / "recording.wav"
    assert sf.info(recording).samplerate == SAMPLE_RATE and sf.info(recording).channels == 1
    assert sf.info(recording).duration == pytest.approx(5.0, abs=0.01)
    correlation, lag = similarity(recording, speech)
    assert correlation > 0.95 and lag < 0.5, (correlation, lag)
    data = manifest(folder)
    assert data["consent"]["given_by"] == ["Dr. Brandt", "Jane Doe"]
    assert data["consent"]["method"] == "--consent-by" and data["audio_file"] == "recording.wav"
    assert data["audio_sha256"] == sha256_of(recording)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in folder.iterdir())
    assert f"visit process {folder}" in out


def test_kill_9_loses_at_most_a_second_and_recover_finishes_the_file(vmic, speech, tmp_path):
    folder = tmp_path / "visit"
    child = start_recording(folder)
    started = time.monotonic()
    vmic.play(speech).wait()
    time.sleep(max(0.0, 4.0 - (time.monotonic() - started)))
    child.kill()
    killed_after = time.monotonic() - started
    child.communicate(timeout=CHILD_TIMEOUT_S)
    recording = folder / "recording.wav"
    kept = sf.info(recording).duration  # readable as it is, without any repair
    # sound flows a moment before "Recording." is shown, so a little more may be kept
    assert killed_after - 1.0 <= kept <= killed_after + 0.5, (kept, killed_after)
    assert similarity(recording, speech)[0] > 0.95
    assert manifest(folder)["audio_sha256"] is None  # the recorder never finished
    result = CliRunner().invoke(main, ["recover", str(folder)])
    assert result.exit_code == 0, result.output
    assert sf.info(recording).duration == pytest.approx(kept, abs=0.11)
    assert manifest(folder)["audio_sha256"] == sha256_of(recording)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupt_terminate_and_hang_up_stop_cleanly(vmic, tmp_path, sig):
    folder = tmp_path / "visit"
    child = start_recording(folder)
    started = time.monotonic()
    time.sleep(2.0)
    child.send_signal(sig)
    signalled_after = time.monotonic() - started
    out, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 0, err
    assert "Traceback" not in err
    recording = folder / "recording.wav"
    assert sf.info(recording).duration == pytest.approx(signalled_after, abs=0.5)
    assert record_stage(folder)["stopped"] == sig.name
    assert manifest(folder)["audio_sha256"] == sha256_of(recording)


def test_a_silent_input_warns_after_twenty_seconds(vmic, tmp_path):
    """Nothing is played: the microphone hears digital silence, like a muted one."""
    child = start_recording(tmp_path / "visit", "--duration", "21")
    _, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 0, err
    assert err.count("No sound for 20 s") == 1, err
    assert "NO SOUND" in err.splitlines()[-1]


def test_a_full_disk_stops_the_recording_and_keeps_it(vmic, tmp_path):
    """The child may write files of 2 s of audio at most: its writes then fail as on a
    full disk (EFBIG from the file size limit, ENOSPC on a real disk)."""
    limit = 44 + 2 * SAMPLE_RATE * 2

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    folder = tmp_path / "visit"
    child = start_recording(folder, preexec_fn=small_disk)
    _, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 1
    assert "the disk is full" in err and "--new-take" in err and "Traceback" not in err
    recording = folder / "recording.wav"
    assert sf.info(recording).duration == pytest.approx(2.0, abs=0.1)
    assert record_stage(folder)["stopped"] == "disk full"


def test_a_microphone_that_disappears_stops_the_recording_and_keeps_it(tmp_path):
    own_mic = virtual_mic.start(tmp_path / "pulse")
    try:
        folder = tmp_path / "visit"
        child = start_recording(folder, env={**os.environ, **own_mic.environment()})
        time.sleep(2.0)
        own_mic.stop()
        _, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        own_mic.stop()
    assert child.returncode == 1
    assert "microphone stopped sending sound" in err and "Traceback" not in err
    assert sf.info(folder / "recording.wav").duration == pytest.approx(2.0, abs=0.5)
    assert record_stage(folder)["stopped"] == "device lost"


def _in_a_terminal(folder: Path) -> tuple[subprocess.Popen, int, int]:
    """`visit record` in a real pseudo-terminal that is its controlling terminal, so a typed
    Ctrl-C is a SIGINT; returns once it records. (child, master fd, terminal fd)"""
    master, terminal = pty.openpty()

    def own_terminal():
        os.setsid()
        fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)

    child = subprocess.Popen([str(VISIT), "record", str(folder), *CONSENT], stdin=terminal,
                             stderr=terminal, stdout=subprocess.PIPE, text=True,
                             preexec_fn=own_terminal)
    return child, master, terminal


def test_keys_in_a_terminal_drop_markers_pause_and_stop(vmic, tmp_path):
    """m, p ... p, m, then Enter, as a patient would type them."""
    folder = tmp_path / "visit"
    child, master, terminal = _in_a_terminal(folder)
    os.close(terminal)
    screen = _read_until(master, "Recording.")
    started = time.monotonic()
    for at_s, key in ((1.0, b"m"), (2.0, b"p"), (3.5, b"p"), (4.5, b"m"), (5.0, b"\r")):
        screen += _read_for(master, started + at_s - time.monotonic())
        os.write(master, key)
    out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
    screen += _read_for(master, 0.2)
    os.close(master)
    assert child.returncode == 0, screen
    assert "Marker 1 at 00:00:0" in screen and "Paused at 00:00:0" in screen
    assert "\rREC 00:00:0" in screen  # the status line is redrawn in place
    markers = [m["time"] for m in manifest(folder)["markers"]]
    assert markers == pytest.approx([1.0, 3.0], abs=0.3)
    # 5 s of typing less the 1.5 s paused, plus what was still in the input buffer at Enter.
    assert 3.2 <= sf.info(folder / "recording.wav").duration <= 3.5 + INPUT_LATENCY_S + 0.2
    assert record_stage(folder)["stopped"] == "Enter" and "2 markers" in out


def test_ctrl_c_in_a_terminal_stops_cleanly_and_gives_the_terminal_back(vmic, tmp_path):
    folder = tmp_path / "visit"
    child, master, terminal = _in_a_terminal(folder)
    _read_until(master, "Recording.")
    assert not termios.tcgetattr(terminal)[3] & termios.ICANON  # single keys while recording
    screen = _read_for(master, 1.5)
    os.write(master, b"\x03")
    out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
    screen += _read_for(master, 0.2)
    assert child.returncode == 0, screen
    assert record_stage(folder)["stopped"] == "SIGINT" and "Recording:" in out
    # 1.5 s until Ctrl-C, plus what was still in the input buffer: kept, not dropped.
    assert 1.1 <= sf.info(folder / "recording.wav").duration <= 1.5 + INPUT_LATENCY_S + 0.2
    assert termios.tcgetattr(terminal)[3] & termios.ICANON  # line editing is back
    os.close(terminal)
    os.close(master)


def _read_for(fd: int, seconds: float) -> str:
    text, deadline = "", time.monotonic() + max(0.0, seconds)
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            try:
                text += os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the child closed the terminal
                break
    return text


def _read_until(fd: int, wanted: str, timeout_s: float = 30.0) -> str:
    text, deadline = "", time.monotonic() + timeout_s
    while wanted not in text and time.monotonic() < deadline:
        text += _read_for(fd, 0.05)
    assert wanted in text, text
    return text


# --- The prompts, in process (CliRunner) ----------------------------------------------

def test_the_prompt_shows_the_script_and_logs_who_agreed(vmic, tmp_path):
    folder = tmp_path / "visit"
    result = CliRunner().invoke(main, ["record", str(folder), "--duration", "1"],
                                input="y\nDr. Brandt, Jane Doe\n")
    assert result.exit_code == 0, result.output
    assert "I'd like to record our conversation today" in result.output
    consent = manifest(folder)["consent"]
    assert consent["given_by"] == ["Dr. Brandt", "Jane Doe"]
    assert consent["method"] == "asked at the prompt" and consent["recording"] == "recording.wav"
    assert sf.info(folder / "recording.wav").duration == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("answers", ["n\n", "\n", ""])
def test_refused_consent_records_nothing_and_says_so(vmic, tmp_path, answers):
    folder = tmp_path / "visit"
    result = CliRunner().invoke(main, ["record", str(folder), "--duration", "1"],
                                input=answers)
    assert result.exit_code == 1
    assert "nothing was recorded" in result.output and "Traceback" not in result.output
    assert not folder.exists()


def test_a_second_recording_needs_new_take_and_the_manifest_points_at_it(vmic, tmp_path):
    folder = tmp_path / "visit"
    runner = CliRunner()
    first = runner.invoke(main, ["record", str(folder), *CONSENT, "--duration", "1"])
    assert first.exit_code == 0, first.output
    before = (folder / "recording.wav").read_bytes()
    refused = runner.invoke(main, ["record", str(folder), *CONSENT, "--duration", "1"])
    assert refused.exit_code == 1 and "--new-take" in refused.output
    second = runner.invoke(main, ["record", str(folder), "--consent-by", "Dr. Brandt",
                                  "--duration", "1.5", "--new-take"])
    assert second.exit_code == 0, second.output
    assert (folder / "recording.wav").read_bytes() == before
    data = manifest(folder)
    assert data["audio_file"] == "recording-2.wav"
    assert sf.info(folder / "recording-2.wav").duration == pytest.approx(1.5, abs=0.01)
    assert data["consent"]["given_by"] == ["Dr. Brandt"]
    assert [t["recording"] for t in data["consent"]["earlier_takes"]] == ["recording.wav"]


def test_devices_are_listed_chosen_and_a_wrong_one_is_named(vmic, tmp_path):
    listed = CliRunner().invoke(main, ["record", "--list-devices"])
    assert listed.exit_code == 0 and "* " in listed.output and "default" in listed.output
    by_name = CliRunner().invoke(main, ["record", str(tmp_path / "v"), *CONSENT, "--device",
                                        "pulse", "--duration", "0.5"])
    assert by_name.exit_code == 0, by_name.output
    assert record_stage(tmp_path / "v")["device"] == "microphone: pulse"
    wrong = CliRunner().invoke(main, ["record", "x", *CONSENT, "--device", "99"])
    assert wrong.exit_code == 1 and "--list-devices" in wrong.output
    assert wrong.output.count("Error:") == 1


def test_no_microphone_is_one_sentence_with_the_fix(tmp_path):
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-server"}
    result = subprocess.run([str(VISIT), "record", str(tmp_path / "v"), *CONSENT], env=env,
                            capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    assert result.returncode == 1
    assert result.stderr.count("Error:") == 1 and "Traceback" not in result.stderr
    assert "No microphone was found" in result.stderr and "--list-devices" in result.stderr
    assert not (tmp_path / "v").exists()


# --- End to end -----------------------------------------------------------------------

def test_a_visit_recorded_from_the_microphone_gives_the_same_answers(vmic, tmp_path,
                                                                     processed_sample):
    """The sample visit played into the microphone while `visit record` captures it; then
    `visit process` on the recording finds what processing the original file found."""
    source = tmp_path / "sample.wav"
    audio = load_audio(SAMPLE_AUDIO)
    sf.write(source, audio, SAMPLE_RATE)
    folder = tmp_path / "visit"
    child = start_recording(folder, "--duration", f"{audio.size / SAMPLE_RATE + 1.0:.1f}")
    vmic.play(source).wait()
    _, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 0, err
    assert share_of_windows_heard(folder / "recording.wav", source) >= 0.9
    result = CliRunner().invoke(main, ["process", str(folder)])
    assert result.exit_code == 0, result.output
    recorded = json.loads((folder / "findings.json").read_text())
    original = json.loads((processed_sample / "findings.json").read_text())
    assert ({q["id"]: q["status"] for q in recorded["questions"]}
            == {q["id"]: q["status"] for q in original["questions"]})
    assert recorded["verdict"] == original["verdict"]
