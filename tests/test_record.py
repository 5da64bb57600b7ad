"""`visit record` for real: PortAudio capturing a virtual microphone (a private PulseAudio
server, testkit/virtual_mic.py) while known speech is played into it, in child processes
that are killed, interrupted and hung up on like a laptop in a surgeon's office.

The tests wait for events (the speech is in the file, a line is on the screen) and assert
what the recording holds, never how many seconds something took: a busy machine is slower,
not different.
"""

from __future__ import annotations

import fcntl
import os
import pty
import resource
import select
import signal
import subprocess
import termios
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from recorder.app.cli import main
from recorder.storage.audiofile import SAMPLE_RATE
from recorder.storage.files import sha256_of
from testkit import virtual_mic
from testkit.paths import VISIT
from testkit.recording import (
    ABSENT_CORRELATION,
    CHILD_TIMEOUT_S,
    CONSENT,
    holds_whole,
    manifest,
    record_stage,
    recorded_s,
    similarity,
    start_recording,
    wait_until,
)
from testkit.speech import speak_line

pytestmark = pytest.mark.microphone

SPEECH = ("Based on my imaging, what is the specific structural problem causing my pain? "
          "You have a degenerated disc at L five S one with an annular tear.")
# Three short, different lines for the keys test: before a pause, during it, after it.
BEFORE_PAUSE = "Good morning, I'm Doctor Brandt."
DURING_PAUSE = "Please keep this part of our conversation between the two of us."
AFTER_PAUSE = "Thank you, that is all for today."
# Silence played after a line: what the sound system still holds when a key is pressed is
# this silence, not the line (its buffers hold well under a second).
TRAILING_SILENCE_S = 2.0
# Room in a recording with a fixed --duration for a playback that starts late on a busy
# machine (seconds of audio in the file, not of waiting).
PLAYBACK_ROOM_S = 5.0
BLOCK_S = 0.11  # a recorder killed between writing a block and its header loses its length
MARKER_ROUNDING_S = 0.01  # markers are saved to the hundredth of a second


def _spoken(folder: Path, name: str, text: str) -> Path:
    audio = speak_line(text)
    audio = np.concatenate([audio, np.zeros(int(TRAILING_SILENCE_S * SAMPLE_RATE),
                                            np.float32)])
    path = folder / f"{name}.wav"
    sf.write(path, audio, SAMPLE_RATE)
    return path


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    return _spoken(tmp_path_factory.mktemp("speech"), "speech", SPEECH)


@pytest.fixture(scope="module")
def lines(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lines")
    return {name: _spoken(folder, name, text) for name, text in
            (("before", BEFORE_PAUSE), ("during", DURING_PAUSE), ("after", AFTER_PAUSE))}


def _heard_whole(recording: Path, reference: Path) -> Path:
    """Waits until all of `reference` has reached the file on disk."""
    return wait_until(lambda: holds_whole(recording, reference) and recording,
                      f"{reference.name} in {recording.name}")


def test_the_recording_holds_the_speech_played_into_the_microphone(vmic, speech, tmp_path):
    folder = tmp_path / "visit"
    duration_s = sf.info(speech).duration + PLAYBACK_ROOM_S
    child = start_recording(folder, "--duration", f"{duration_s:.1f}")
    vmic.play(speech).wait()
    out, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 0, err
    recording = folder / "recording.wav"
    assert sf.info(recording).samplerate == SAMPLE_RATE and sf.info(recording).channels == 1
    assert sf.info(recording).duration == pytest.approx(float(f"{duration_s:.1f}"), abs=0.01)
    assert holds_whole(recording, speech), similarity(recording, speech)
    data = manifest(folder)
    assert data["consent"]["given_by"] == ["Dr. Brandt", "Jane Doe"]
    assert data["consent"]["method"] == "--consent-by" and data["audio_file"] == "recording.wav"
    assert data["audio_sha256"] == sha256_of(recording)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in folder.iterdir())
    assert f"visit process {folder}" in out


def test_kill_9_keeps_what_reached_the_disk_and_recover_finishes_the_file(vmic, speech,
                                                                          tmp_path):
    folder = tmp_path / "visit"
    child = start_recording(folder)
    recording = folder / "recording.wav"
    vmic.play(speech).wait()
    _heard_whole(recording, speech)
    on_disk_s = recorded_s(recording)
    child.kill()
    child.communicate(timeout=CHILD_TIMEOUT_S)
    kept = sf.info(recording).duration  # readable as it is, without any repair
    assert kept >= on_disk_s  # every block written before the kill is kept
    assert holds_whole(recording, speech)
    assert manifest(folder)["audio_sha256"] is None  # the recorder never finished
    result = CliRunner().invoke(main, ["recover", str(folder)])
    assert result.exit_code == 0, result.output
    # The repair only corrects the header: at most the block whose length it missed is added.
    assert kept <= sf.info(recording).duration <= kept + BLOCK_S
    assert manifest(folder)["audio_sha256"] == sha256_of(recording)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupt_terminate_and_hang_up_stop_cleanly(vmic, speech, tmp_path, sig):
    folder = tmp_path / "visit"
    child = start_recording(folder)
    recording = folder / "recording.wav"
    vmic.play(speech).wait()
    _heard_whole(recording, speech)
    on_disk_s = recorded_s(recording)
    child.send_signal(sig)
    _, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    assert child.returncode == 0, err
    assert "Traceback" not in err
    assert sf.info(recording).duration >= on_disk_s and holds_whole(recording, speech)
    assert record_stage(folder)["stopped"] == sig.name
    assert record_stage(folder)["duration_s"] == pytest.approx(sf.info(recording).duration,
                                                               abs=0.01)
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
    folder = tmp_path / "visit"
    recording = folder / "recording.wav"
    try:
        child = start_recording(folder, env={**os.environ, **own_mic.environment()})
        on_disk_s = wait_until(lambda: recorded_s(recording) >= 1.0 and recorded_s(recording),
                               "a second of recording")
        own_mic.stop()
        _, err = child.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        own_mic.stop()
    assert child.returncode == 1
    assert "microphone stopped sending sound" in err and "Traceback" not in err
    assert sf.info(recording).duration >= on_disk_s  # what was recorded before is kept
    assert record_stage(folder)["stopped"] == "device lost"
    assert manifest(folder)["audio_sha256"] == sha256_of(recording)


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


class Screen:
    """What the recorder has written to its terminal, read as it comes."""

    def __init__(self, master: int):
        self.master = master
        self.text = ""

    def read_for(self, seconds: float) -> str:
        deadline = time.monotonic() + max(0.0, seconds)
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.text += os.read(self.master, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    break
        return self.text

    def wait_for(self, wanted: str, *, after: int = 0) -> int:
        """Waits until `wanted` is on the screen past position `after`; returns where."""
        def seen():
            self.read_for(0.05)
            return self.text.find(wanted, after) + 1
        return wait_until(seen, repr(wanted)) - 1

    def type(self, key: bytes, shows: str) -> None:
        """Types `key` and waits until the recorder says `shows` in reply."""
        mark = len(self.text)
        os.write(self.master, key)
        self.wait_for(shows, after=mark)


def test_keys_in_a_terminal_drop_markers_pause_and_stop(vmic, lines, tmp_path):
    """m, p ... p, m, then Enter, as a patient would type them, with a line spoken before
    the pause, one during it and one after it."""
    folder = tmp_path / "visit"
    recording = folder / "recording.wav"
    child, master, terminal = _in_a_terminal(folder)
    os.close(terminal)
    screen = Screen(master)
    screen.wait_for("Recording.")
    vmic.play(lines["before"]).wait()
    _heard_whole(recording, lines["before"])
    screen.type(b"m", "Marker 1 at 00:00:")
    screen.type(b"p", "Paused at 00:00:")
    vmic.play(lines["during"]).wait()
    screen.type(b"p", "Recording again from 00:00:")
    vmic.play(lines["after"]).wait()
    _heard_whole(recording, lines["after"])
    screen.type(b"m", "Marker 2 at 00:00:")
    os.write(master, b"\r")
    out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
    screen.read_for(0.2)
    os.close(master)
    assert child.returncode == 0, screen.text
    assert "\rREC 00:00:0" in screen.text  # the status line is redrawn in place
    assert record_stage(folder)["stopped"] == "Enter" and "2 markers" in out
    # What was said while paused is not in the recording; what was said around it is.
    assert similarity(recording, lines["during"])[0] < ABSENT_CORRELATION
    before_at = similarity(recording, lines["before"])[1]
    after_at = similarity(recording, lines["after"])[1]
    assert holds_whole(recording, lines["before"]) and holds_whole(recording, lines["after"])
    # Each marker is at the point of the recording where its key was pressed: after the
    # line heard before it, and the first before the line said after the pause.
    first, second = (m["time"] for m in manifest(folder)["markers"])
    assert before_at + sf.info(lines["before"]).duration - MARKER_ROUNDING_S <= first <= after_at
    assert after_at + sf.info(lines["after"]).duration - MARKER_ROUNDING_S <= second
    assert second <= sf.info(recording).duration


def test_ctrl_c_in_a_terminal_stops_cleanly_and_gives_the_terminal_back(vmic, speech,
                                                                       tmp_path):
    folder = tmp_path / "visit"
    recording = folder / "recording.wav"
    child, master, terminal = _in_a_terminal(folder)
    screen = Screen(master)
    screen.wait_for("Recording.")
    assert not termios.tcgetattr(terminal)[3] & termios.ICANON  # single keys while recording
    vmic.play(speech).wait()
    _heard_whole(recording, speech)
    on_disk_s = recorded_s(recording)
    os.write(master, b"\x03")
    out, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
    screen.read_for(0.2)
    assert child.returncode == 0, screen.text
    assert record_stage(folder)["stopped"] == "SIGINT" and "Recording:" in out
    # Everything heard until Ctrl-C is kept, not dropped.
    assert sf.info(recording).duration >= on_disk_s and holds_whole(recording, speech)
    assert termios.tcgetattr(terminal)[3] & termios.ICANON  # line editing is back
    os.close(terminal)
    os.close(master)


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
    wrong = CliRunner().invoke(main, ["record", str(tmp_path / "x"), *CONSENT,
                                      "--device", "99"])
    assert wrong.exit_code == 1 and "--list-devices" in wrong.output
    assert not (tmp_path / "x").exists()
    assert wrong.output.count("Error:") == 1


def test_no_microphone_is_one_sentence_with_the_fix(tmp_path):
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-server"}
    result = subprocess.run([str(VISIT), "record", str(tmp_path / "v"), *CONSENT], env=env,
                            capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    assert result.returncode == 1
    assert result.stderr.count("Error:") == 1 and "Traceback" not in result.stderr
    assert "No microphone was found" in result.stderr and "--list-devices" in result.stderr
    assert not (tmp_path / "v").exists()


