"""The recorder's pure core, fed real sample blocks: consent, the crash-safe WAV, the level
meter, silence, markers, pause, the stop rules and the header repair. No device needed;
tests/test_record.py records through a real virtual microphone."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import soundfile as sf

from extract.errors import BadInput, NotEnoughSpace
from recorder.capture import recording as capture
from recorder.capture.recording import (
    SILENCE_WARNING_S,
    Controls,
    Marker,
    Recorder,
    consent_given,
    format_status,
    parse_names,
    plan_take,
)
from recorder.storage.audiofile import SAMPLE_RATE
from recorder.storage.wavfile import HEADER_BYTES, WavWriter, repair_wav

BLOCK = SAMPLE_RATE // 10  # 0.1 s, as the microphone delivers them


def tone(seconds: float, amplitude: float = 0.3, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (np.sin(2 * np.pi * hz * t) * amplitude * 32767).astype(np.int16)


def blocks(samples: np.ndarray) -> list[np.ndarray]:
    return [samples[i:i + BLOCK] for i in range(0, samples.size, BLOCK)]


class ListStream:
    """A stream that delivers given blocks, then stays silent or 'unplugged'."""

    def __init__(self, items: list[np.ndarray], unplug_after: bool = False):
        self._items = list(items)
        self._unplug = unplug_after
        self.closed = False
        self.overflows = 0

    @property
    def alive(self) -> bool:
        return bool(self._items) or not self._unplug

    def read(self, timeout_s: float):
        return self._items.pop(0) if self._items else None

    def close(self):
        self.closed = True
        rest, self._items = self._items, []
        return rest


def controls(keys_by_call: dict[int, str] | None = None, stop_at_call: int | None = None,
             said: list | None = None, markers: list | None = None) -> Controls:
    calls = {"keys": 0, "stop": 0}

    def keys() -> str:
        calls["keys"] += 1
        return (keys_by_call or {}).get(calls["keys"], "")

    def stop():
        calls["stop"] += 1
        return "SIGTERM" if stop_at_call is not None and calls["stop"] >= stop_at_call else None

    return Controls(keys=keys, stop_requested=stop, show=lambda status: None,
                    say=(said.append if said is not None else lambda text: None),
                    on_marker=(markers.append if markers is not None else lambda m: None),
                    free_bytes=lambda: 10 ** 12)


# --- Consent --------------------------------------------------------------------------

@pytest.mark.parametrize("text, names", [
    ("Dr. Brandt, Jane Doe", ("Dr. Brandt", "Jane Doe")),
    ("Dr. Brandt and Jane Doe; nurse Kim", ("Dr. Brandt", "Jane Doe", "nurse Kim")),
    ("  Jane Doe  ", ("Jane Doe",)),
    (" , ", ()),
])
def test_names_of_everyone_who_agreed(text, names):
    assert parse_names(text) == names


def test_the_consent_record_says_who_when_how_and_to_what():
    consent = consent_given(("Dr. Brandt", "Jane Doe"), "--consent-by")
    record = consent.for_take("recording.wav")
    assert record["given_by"] == ["Dr. Brandt", "Jane Doe"]
    assert record["method"] == "--consent-by" and record["script"] == capture.CONSENT_SCRIPT
    assert record["tool_version"] and record["time"][:2] == "20"
    assert record["recording"] == "recording.wav"
    assert "Dr. Brandt and Jane Doe agreed" in consent.spoken_prompt()


def test_consent_without_a_name_is_refused():
    with pytest.raises(BadInput, match="--consent-by"):
        consent_given((), "--consent-by")


# --- The crash-safe WAV ---------------------------------------------------------------

def test_the_header_is_right_after_every_block_so_a_kill_leaves_a_readable_file(tmp_path):
    path = tmp_path / "r.wav"
    writer = WavWriter(path, SAMPLE_RATE)
    audio = tone(1.0)
    for i, block in enumerate(blocks(audio), start=1):
        writer.write(block)
        # read while the writer is still open, as after a SIGKILL: nothing was closed
        read, rate = sf.read(path, dtype="int16")
        assert rate == SAMPLE_RATE and read.size == i * BLOCK
    np.testing.assert_array_equal(read, audio)
    writer.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_recording_is_never_overwritten(tmp_path):
    path = tmp_path / "r.wav"
    WavWriter(path, SAMPLE_RATE).close()
    with pytest.raises(FileExistsError):
        WavWriter(path, SAMPLE_RATE)


def test_repair_keeps_every_whole_sample_that_reached_the_disk(tmp_path):
    """A writer killed between the data and the header: the header says 0 bytes, and half a
    sample dangles at the end."""
    path = tmp_path / "r.wav"
    audio = tone(2.5)
    with WavWriter(path, SAMPLE_RATE) as writer:
        writer.write(audio)
    with path.open("r+b") as handle:
        handle.seek(4), handle.write(struct.pack("<I", 36))
        handle.seek(40), handle.write(struct.pack("<I", 0))
        handle.seek(0, os.SEEK_END), handle.write(b"\x01")
    assert sf.info(path).frames == 0
    repair = repair_wav(path)
    assert repair.changed and repair.seconds_before == 0 and repair.seconds_after == 2.5
    read, _ = sf.read(path, dtype="int16")
    np.testing.assert_array_equal(read, audio)
    assert path.stat().st_size == HEADER_BYTES + audio.size * 2
    again = repair_wav(path)
    assert not again.changed and again.seconds_after == 2.5


def test_repair_refuses_what_is_not_a_wav(tmp_path):
    other = tmp_path / "r.wav"
    other.write_bytes(b"ID3" + bytes(100))
    with pytest.raises(BadInput, match="not a WAV"):
        repair_wav(other)
    assert other.read_bytes() == b"ID3" + bytes(100)


# --- The recorder ---------------------------------------------------------------------

class MemorySink:
    def __init__(self):
        self.parts: list[np.ndarray] = []

    def write(self, samples):
        self.parts.append(samples.copy())

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, np.int16)


def test_the_level_meter_follows_the_input():
    loud, quiet = tone(0.1, 0.5), tone(0.1, 0.003)
    assert -10 < capture.level_dbfs(loud) < -6  # a sine at half scale: -9 dBFS
    assert -50 > capture.level_dbfs(quiet) > -55
    assert capture.level_dbfs(np.zeros(BLOCK, np.int16)) == capture.LEVEL_FLOOR_DBFS
    assert capture.meter(-9).count("#") > capture.meter(-45).count("#") > 0
    assert capture.meter(-90).count("#") == 0


def test_silence_warns_once_after_twenty_seconds_and_again_after_sound_returns():
    recorder = Recorder(MemorySink())
    alarms = []
    silent = np.zeros(BLOCK, np.int16)
    for _ in range(int(SILENCE_WARNING_S * 10) + 20):
        recorder.feed(silent)
        alarms.append(recorder.silence_alarm())
    assert alarms.index(True) == int(SILENCE_WARNING_S * 10) - 1 and alarms.count(True) == 1
    assert "NO SOUND" in format_status(recorder.status(10 ** 12))
    recorder.feed(tone(0.1))
    assert recorder.silent_s == 0 and "NO SOUND" not in format_status(recorder.status(10 ** 12))
    for _ in range(int(SILENCE_WARNING_S * 10)):
        recorder.feed(silent)
    assert recorder.silence_alarm()


def test_a_quiet_room_is_not_silence():
    recorder = Recorder(MemorySink())
    for block in blocks(tone(SILENCE_WARNING_S + 1, amplitude=0.004)):  # -51 dBFS
        recorder.feed(block)
    assert not recorder.silence_alarm()


def test_pause_writes_nothing_and_markers_keep_recording_time():
    sink = MemorySink()
    recorder = Recorder(sink)
    recorder.feed(tone(1.0))
    first = recorder.mark()
    assert recorder.toggle_pause() is True
    recorder.feed(tone(5.0))  # said while paused: not recorded
    assert recorder.toggle_pause() is False
    recorder.feed(tone(0.5))
    second = recorder.mark("consent")
    assert sink.audio.size == int(1.5 * SAMPLE_RATE)
    assert (first, second) == (Marker(1.0, ""), Marker(1.5, "consent"))
    assert capture.clock(3725.4) == "01:02:05"


def test_the_status_line_shows_time_level_disk_and_keys():
    recorder = Recorder(MemorySink())
    recorder.feed(tone(61.0))
    line = format_status(recorder.status(capture.DISK_RESERVE_BYTES + 300 * 60 * 32000))
    assert line.startswith("REC 00:01:01 [") and "disk: 5 h left" in line
    assert "m mark" in line and "Enter stop" in line and line.isascii()
    recorder.toggle_pause()
    assert format_status(recorder.status(10 ** 9)).startswith("PAUSED")


# --- The loop -------------------------------------------------------------------------

def test_the_loop_stops_at_the_duration_exactly():
    recorder = Recorder(MemorySink())
    stream = ListStream(blocks(tone(3.0)))
    outcome = capture.capture(recorder, stream, controls(), duration_s=1.25)
    assert outcome.stopped == "duration" and outcome.fault is None
    assert recorder.frames == int(1.25 * SAMPLE_RATE) and stream.closed


def test_keys_drop_markers_pause_and_stop():
    said, markers = [], []
    recorder = Recorder(MemorySink())
    # one key check per block: m after 1 s, p at 2 s, p again at 3 s, Enter at 4 s
    keys = {10: "m", 20: "p", 30: "P", 40: "\n"}
    outcome = capture.capture(recorder, ListStream(blocks(tone(6.0))),
                              controls(keys, said=said, markers=markers))
    assert outcome.stopped == "Enter"
    assert markers == [Marker(1.0, "")]
    # 4 s of blocks came in, 1 s of them while paused; the 2 s left in the stream when
    # Enter was pressed were delivered before the stop, so they are kept.
    assert recorder.elapsed_s == pytest.approx(5.0)
    assert any("Paused at 00:00:02" in line for line in said)
    assert any("Recording again" in line for line in said)


def test_a_signal_stops_cleanly_and_keeps_what_the_device_delivered():
    recorder = Recorder(MemorySink())
    outcome = capture.capture(recorder, ListStream(blocks(tone(2.0))), controls(stop_at_call=5))
    assert outcome == capture.Outcome("SIGTERM")
    assert recorder.elapsed_s == pytest.approx(2.0)


def test_an_unplugged_microphone_stops_the_recording_and_says_so():
    recorder = Recorder(MemorySink())
    outcome = capture.capture(recorder, ListStream(blocks(tone(1.0)), unplug_after=True),
                              controls())
    assert outcome.stopped == "device lost" and "microphone" in outcome.fault
    assert recorder.elapsed_s == pytest.approx(1.0)


def test_a_full_disk_stops_the_recording_and_keeps_what_was_written():
    class FullAfter(MemorySink):
        def write(self, samples):
            if sum(p.size for p in self.parts) >= SAMPLE_RATE:
                raise OSError(28, "No space left on device")
            super().write(samples)

    sink = FullAfter()
    outcome = capture.capture(Recorder(sink), ListStream(blocks(tone(3.0))), controls())
    assert outcome.stopped == "disk full" and outcome.fault == "the disk is full"
    assert sink.audio.size == SAMPLE_RATE


# --- Before recording -----------------------------------------------------------------

def test_an_existing_recording_is_refused_unless_a_new_take_is_asked_for(tmp_path):
    from recorder.storage.visit import create_visit

    assert plan_take(tmp_path / "new", new_take=False) == "recording.wav"
    visit = create_visit(tmp_path / "v")
    assert plan_take(visit.path, new_take=False) == "recording.wav"
    (visit.path / "recording.wav").write_bytes(b"")
    with pytest.raises(BadInput, match="--new-take"):
        plan_take(visit.path, new_take=False)
    assert plan_take(visit.path, new_take=True) == "recording-2.wav"
    (visit.path / "recording-2.wav").write_bytes(b"")
    assert plan_take(visit.path, new_take=True) == "recording-3.wav"
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    with pytest.raises(BadInput, match="not a visit folder"):
        plan_take(tmp_path / "photos", new_take=True)


def test_a_disk_too_small_for_the_visit_is_refused_before_it_starts(tmp_path):
    capture.check_disk(tmp_path / "v", minutes=1)
    with pytest.raises(NotEnoughSpace, match="minutes of recording fit"):
        capture.check_disk(tmp_path / "v", minutes=10 ** 9)


def test_a_device_at_its_own_rate_is_resampled_to_16_khz():
    from recorder.capture.microphone import Resampler

    device_rate = 44_100
    t = np.arange(device_rate * 2) / device_rate
    source = (np.sin(2 * np.pi * 440 * t) * 10_000).astype(np.int16)
    resample = Resampler(device_rate)
    parts = [resample(source[i:i + 4410]) for i in range(0, source.size, 4410)]
    out = np.concatenate([*parts, resample(None)])
    assert out.dtype == np.int16 and abs(out.size - 2 * SAMPLE_RATE) <= 2
    expected = np.sin(2 * np.pi * 440 * np.arange(out.size) / SAMPLE_RATE) * 10_000
    assert np.corrcoef(out[200:-200], expected[200:-200])[0, 1] > 0.999


def test_the_manifest_keeps_each_takes_consent(tmp_path):
    from recorder.storage.visit import create_visit

    visit = create_visit(tmp_path / "v")
    first = consent_given(("Dr. Brandt", "Jane Doe"), "--consent-by")
    capture._start_take(visit, "recording.wav", first, "microphone: test")
    manifest = visit.read_manifest()
    visit.write_manifest(type(manifest)(**{**manifest.__dict__,
                                          "markers": ({"time": 3.0, "note": ""},)}))
    second = consent_given(("Dr. Brandt",), "asked at the prompt")
    capture._start_take(visit, "recording-2.wav", second, "microphone: test")
    data = json.loads(visit.manifest_path.read_text())
    assert data["audio_file"] == "recording-2.wav" and data["markers"] == []
    assert data["consent"]["given_by"] == ["Dr. Brandt"]
    assert data["consent"]["recording"] == "recording-2.wav"
    [earlier] = data["consent"]["earlier_takes"]
    assert earlier["recording"] == "recording.wav" and earlier["markers"] == [{"time": 3.0,
                                                                                "note": ""}]
    assert earlier["given_by"] == ["Dr. Brandt", "Jane Doe"]


def test_sound_lost_to_a_busy_computer_is_told_once_per_loss():
    said = []

    class Busy(ListStream):
        def read(self, timeout_s):
            if len(self._items) in (15, 5):  # the sound system dropped sound twice
                self.overflows += 1
            return super().read(timeout_s)

    capture.capture(Recorder(MemorySink()), Busy(blocks(tone(2.0))), controls(said=said),
                    duration_s=2.0)
    told = [line for line in said if "too busy" in line]
    assert len(told) == 2 and "(2 so far)" in told[1]
