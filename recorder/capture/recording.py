"""`visit record`: consent first, then a recording that survives anything.

The pure core takes blocks of 16 kHz int16 samples from whatever stream it is handed:
`Recorder` writes them (crash-safe, `recorder.storage.wavfile`), meters the level, notices a
silent input and holds the patient's markers; `capture` runs the loop that feeds it and
decides when to stop. `record_visit` is the edge: the visit folder and its manifest,
signals, the keyboard and the status line.

The consent record in the manifest (`consent`):
    {"given_by": ["Dr. Brandt", "Jane Doe"], "time": "2026-11-24T09:30:02+01:00",
     "method": "--consent-by", "script": "I'd like to record ...", "tool_version": "0.1.0",
     "recording": "recording.wav", "earlier_takes": [...]}
`earlier_takes` holds the consent record and markers of each earlier take of the visit;
`audio_file` and `markers` describe the newest take, the one `visit process` transcribes.
"""

from __future__ import annotations

import errno
import math
import os
import re
import select
import shutil
import signal
import sys
import termios
import time
import tty
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Protocol

import numpy as np

from extract.errors import BadInput, NotEnoughSpace, RecordingStopped
from extract.transcript import clock as _clock
from recorder import __version__
from recorder.storage.audiofile import SAMPLE_RATE
from recorder.storage.files import sha256_of
from recorder.storage.visit import (
    RECORDING_STEM,
    VisitFolder,
    create_visit,
    is_visit_folder,
    now_iso,
    open_visit,
)
from recorder.storage.wavfile import SAMPLE_BYTES, WavWriter, repair_wav

CONSENT_SCRIPT = ("I'd like to record our conversation today so I can remember your answers "
                  "accurately. The recording stays on my own computer. Is that all right "
                  "with you? You can ask me to stop at any time.")
CONSENT_METHODS = ("asked at the prompt", "--consent-by")

BYTES_PER_MINUTE = SAMPLE_RATE * SAMPLE_BYTES * 60  # 1.92 MB: 16 kHz, 16-bit, mono
DISK_RESERVE_BYTES = 50 * 1024 * 1024  # left free for the transcript, report and system
LOW_DISK_WARNING_MINUTES = 10  # warn once when less than this much recording still fits
SILENCE_DBFS = -55.0  # quieter than a quiet room through a laptop microphone: muted or wrong
SILENCE_WARNING_S = 20.0  # a muted or wrong microphone shows up this soon
LEVEL_FLOOR_DBFS = -90.0  # what digital silence shows as on the meter
METER_RANGE_DBFS = 60.0  # the meter spans -60 dBFS (empty) to 0 dBFS (full)
METER_WIDTH = 20  # characters
READ_TIMEOUT_S = 0.1  # the loop wakes at least this often to read keys and stop flags
DEVICE_STALL_S = 3.0  # no audio for this long from a running stream: the device is gone
REFRESH_S = 0.2  # the status line on a terminal is redrawn this often
LOG_INTERVAL_S = 5.0  # when stderr is not a terminal, a status line this often
INT16_FULL_SCALE = 32768.0  # int16 samples / this = Whisper's float samples in [-1, 1]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
KEY_MARK, KEY_PAUSE, KEYS_STOP = "m", "p", ("\n", "\r")


# --- Consent ------------------------------------------------------------------------------

def parse_names(text: str) -> tuple[str, ...]:
    """'Dr. Brandt, Jane Doe' -> ('Dr. Brandt', 'Jane Doe'); commas, semicolons or 'and'."""
    parts = re.split(r"\s*(?:[,;]|\band\b)\s*", text.strip())
    return tuple(p for p in (part.strip() for part in parts) if p)


@dataclass(frozen=True)
class Consent:
    """Who agreed to be recorded, when, how the tool was told, and to which words."""

    given_by: tuple[str, ...]
    time: str  # ISO time
    method: str  # one of CONSENT_METHODS
    script: str = CONSENT_SCRIPT
    tool_version: str = __version__

    def for_take(self, take: str) -> dict:
        """The manifest's consent record for the recording `take`."""
        return {**asdict(self), "given_by": list(self.given_by), "recording": take}

    def spoken_prompt(self) -> str:
        """What to say as the recording's first words, so the file carries its consent."""
        names = self.given_by
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return (f'Recording. Please begin by saying: "{who} agreed to record this '
                f'conversation."')


def consent_given(names: tuple[str, ...], method: str) -> Consent:
    """Consent given now by everyone named; refuses an empty list of names."""
    if not names:
        raise BadInput("Consent needs the name of everyone who agreed; give them with "
                       "--consent-by \"Dr. Brandt, Jane Doe\".")
    if method not in CONSENT_METHODS:
        raise ValueError(f"unknown consent method {method!r}")
    return Consent(names, now_iso(), method)


# --- The pure core ------------------------------------------------------------------------

def level_dbfs(block: np.ndarray) -> float:
    """Root-mean-square level of int16 samples, in dB below full scale."""
    if block.size == 0:
        return LEVEL_FLOOR_DBFS
    rms = math.sqrt(float(np.mean(np.square(block.astype(np.float64))))) / 32768.0
    return max(LEVEL_FLOOR_DBFS, 20 * math.log10(rms)) if rms > 0 else LEVEL_FLOOR_DBFS


@dataclass(frozen=True)
class Marker:
    time: float  # seconds into the recording (paused time does not count)
    note: str = ""


@dataclass(frozen=True)
class Status:
    elapsed_s: float
    level_dbfs: float
    silent_s: float
    paused: bool
    markers: int
    disk_minutes_left: float


class Sink(Protocol):
    def write(self, samples: np.ndarray) -> None: ...


class LiveTap(Protocol):
    """What recording needs of a live checklist; the command line hands one in (capture
    never imports the matcher)."""

    error: Exception | None  # set when the checklist stopped; the recording goes on

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def feed(self, samples: np.ndarray) -> None:
        """Float32 samples in -1..1, at SAMPLE_RATE, as they are written to the file."""

    def panel(self) -> tuple[str, ...] | None:
        """The lines to show above the status line, or None before there are any."""


class Recorder:
    """Samples in; the file, the level, the silence watch and the markers out."""

    def __init__(self, sink: Sink, rate_hz: int = SAMPLE_RATE):
        self._sink = sink
        self.rate_hz = rate_hz
        self.frames = 0
        self.paused = False
        self.markers: list[Marker] = []
        self.level_dbfs = LEVEL_FLOOR_DBFS
        self._quiet_frames = 0
        self._silence_warned = False

    @property
    def elapsed_s(self) -> float:
        return self.frames / self.rate_hz

    @property
    def silent_s(self) -> float:
        return self._quiet_frames / self.rate_hz

    def feed(self, block: np.ndarray) -> None:
        """Write a block unless paused; raises the sink's OSError with nothing lost before."""
        if self.paused or block.size == 0:
            return
        self._sink.write(block)
        self.frames += block.size
        self.level_dbfs = level_dbfs(block)
        if self.level_dbfs < SILENCE_DBFS:
            self._quiet_frames += block.size
        else:
            self._quiet_frames, self._silence_warned = 0, False

    def silence_alarm(self) -> bool:
        """True once when the input has been near-silent for SILENCE_WARNING_S."""
        if self.silent_s >= SILENCE_WARNING_S and not self._silence_warned:
            self._silence_warned = True
            return True
        return False

    def mark(self, note: str = "") -> Marker:
        marker = Marker(round(self.elapsed_s, 2), note)
        self.markers.append(marker)
        return marker

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        self._quiet_frames = 0  # a pause is not a silent microphone
        return self.paused

    def status(self, free_bytes: int) -> Status:
        return Status(self.elapsed_s, self.level_dbfs, self.silent_s, self.paused,
                      len(self.markers), max(0, free_bytes - DISK_RESERVE_BYTES) / BYTES_PER_MINUTE)


def clock(seconds: float) -> str:
    """The status line's time: fixed width, so the line does not jump about."""
    return _clock(seconds, fixed_width=True)


def meter(level: float) -> str:
    filled = round(METER_WIDTH * min(1.0, max(0.0, 1 + level / METER_RANGE_DBFS)))
    return "[" + "#" * filled + "-" * (METER_WIDTH - filled) + "]"


def format_status(status: Status) -> str:
    """One line, plain ASCII, for the terminal: time, level, disk left, the keys."""
    minutes = status.disk_minutes_left
    disk = f"{minutes / 60:.0f} h" if minutes >= 120 else f"{minutes:.0f} min"
    state = "PAUSED" if status.paused else "REC"
    line = (f"{state} {clock(status.elapsed_s)} {meter(status.level_dbfs)} "
            f"{status.level_dbfs:4.0f} dB  disk: {disk} left  markers: {status.markers}")
    if status.silent_s >= SILENCE_WARNING_S:
        return line + "  NO SOUND - microphone muted?"
    keys = "p resume" if status.paused else "m mark, p pause"
    return f"{line}  [{keys}, Enter stop]"


# --- The loop -----------------------------------------------------------------------------

class Stream(Protocol):
    alive: bool
    overflows: int  # times sound was lost because the computer was too busy to take it

    def read(self, timeout_s: float) -> np.ndarray | None: ...

    def close(self) -> list[np.ndarray]: ...


@dataclass(frozen=True)
class Controls:
    """How the loop learns what the patient wants and tells them what happens."""

    keys: Callable[[], str]  # characters typed since the last call ("" when none)
    stop_requested: Callable[[], str | None]  # why to stop now (a signal), or None
    show: Callable[[Status], None]  # called after every block and key
    say: Callable[[str], None]  # a line that must be seen: warnings, markers, pauses
    on_marker: Callable[[Marker], None]  # saves a marker the moment it is dropped
    free_bytes: Callable[[], int]


@dataclass(frozen=True)
class Outcome:
    stopped: str  # "duration", "Enter", "SIGINT", "SIGTERM", "SIGHUP", "disk full", "device lost"
    fault: str | None = None  # what went wrong, when the recording stopped by itself


def _feed_until(recorder: Recorder, block: np.ndarray, duration_s: float | None) -> bool:
    """Feed `block`, cut at `duration_s`; True when the duration is reached."""
    if duration_s is not None:
        room = max(0, round(duration_s * recorder.rate_hz) - recorder.frames)
        block = block[:room]
    recorder.feed(block)
    return duration_s is not None and recorder.frames >= round(duration_s * recorder.rate_hz)


def capture(recorder: Recorder, stream: Stream, controls: Controls,
            duration_s: float | None = None) -> Outcome:
    """Feed the recorder from `stream` until the duration, a key, a signal or a fault.

    The stream is closed on the way out; what it had delivered but the loop had not yet
    read is still recorded, unless the recording stopped for a fault or at its duration.
    """
    try:
        outcome = _loop(recorder, stream, controls, duration_s)
    finally:
        leftover = stream.close()
    if outcome.fault is None and outcome.stopped != "duration":
        try:
            for block in leftover:
                if _feed_until(recorder, block, duration_s):
                    break
        except OSError as error:
            return _write_fault(error)
    return outcome


def _write_fault(error: OSError) -> Outcome:
    if error.errno in DISK_FULL_ERRNOS:
        return Outcome("disk full", "the disk is full")
    return Outcome("write error", f"the recording could not be written ({error.strerror})")


def _loop(recorder: Recorder, stream: Stream, controls: Controls,
          duration_s: float | None) -> Outcome:
    last_audio = time.monotonic()
    low_disk_warned = False
    overflows_told = 0
    while True:
        block = stream.read(READ_TIMEOUT_S)
        if block is not None:
            last_audio = time.monotonic()
            try:
                if _feed_until(recorder, block, duration_s):
                    return Outcome("duration")
            except OSError as error:
                return _write_fault(error)
        elif not stream.alive or time.monotonic() - last_audio > DEVICE_STALL_S:
            return Outcome("device lost", "the microphone stopped sending sound (was it "
                           "unplugged, or the sound system stopped?)")
        for key in controls.keys():
            if key in KEYS_STOP:
                return Outcome("Enter")
            _on_key(recorder, key.lower(), controls)
        if (reason := controls.stop_requested()) is not None:
            return Outcome(reason)
        if recorder.silence_alarm():
            controls.say(f"No sound for {SILENCE_WARNING_S:.0f} s: is the microphone "
                         "muted, or the wrong one? Check it, or stop and choose another "
                         "with --device (see `visit record --list-devices`).")
        if stream.overflows > overflows_told:
            overflows_told = stream.overflows
            controls.say(f"The computer was too busy and a moment of sound was lost at "
                         f"{clock(recorder.elapsed_s)} ({overflows_told} so far); close other "
                         "programs if you can.")
        status = recorder.status(controls.free_bytes())
        if status.disk_minutes_left < LOW_DISK_WARNING_MINUTES and not low_disk_warned:
            low_disk_warned = True
            controls.say(f"Only {status.disk_minutes_left:.0f} minutes of recording "
                         "still fit on this disk.")
        controls.show(status)


def _on_key(recorder: Recorder, key: str, controls: Controls) -> None:
    if key == KEY_MARK:
        marker = recorder.mark()
        controls.on_marker(marker)
        controls.say(f"Marker {len(recorder.markers)} at {clock(marker.time)}.")
    elif key == KEY_PAUSE:
        if recorder.toggle_pause():
            controls.say(f"Paused at {clock(recorder.elapsed_s)}: nothing is recorded until "
                         "you press p again.")
        else:
            controls.say(f"Recording again from {clock(recorder.elapsed_s)}.")


# --- The edge: folder, manifest, signals, keyboard, terminal ------------------------------

def default_folder() -> Path:
    """A new visit folder in the current directory, named for now: visit-2026-11-24-0930."""
    return Path(time.strftime("visit-%Y-%m-%d-%H%M"))


def plan_take(folder: Path, new_take: bool) -> str:
    """The file this recording will be; refuses, before anything is asked or captured, to
    touch a folder that is not a visit or to record over an earlier take."""
    first = f"{RECORDING_STEM}.wav"
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return first
    if not is_visit_folder(folder):
        raise BadInput(f"{folder} already exists and is not a visit folder; give a new folder "
                       "name (it is created for you).")
    takes = sorted(p.name for p in folder.iterdir()
                   if p.stem == RECORDING_STEM or p.stem.startswith(f"{RECORDING_STEM}-"))
    if not takes and not open_visit(folder).read_manifest().audio_file:
        return first
    if not new_take:
        raise BadInput(f"{folder} already holds a recording ({', '.join(takes)}), which is "
                       "never overwritten; add --new-take to record another take beside it, "
                       "or give a new folder.")
    number = 2
    while any(folder.glob(f"{RECORDING_STEM}-{number}.*")):
        number += 1
    return f"{RECORDING_STEM}-{number}.wav"


def check_disk(folder: Path, minutes: float) -> None:
    """Refuses to start when `minutes` of recording will not fit on the folder's disk."""
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    fits = (shutil.disk_usage(existing).free - DISK_RESERVE_BYTES) / BYTES_PER_MINUTE
    if fits < minutes:
        raise NotEnoughSpace(f"Only {max(0.0, fits):.0f} minutes of recording fit on the disk "
                             f"holding {folder} ({minutes:.0f} expected); free some space, "
                             "record to a folder on another disk, or give a shorter "
                             "--expect-minutes.")


class StatusLine:
    """The status on stderr: redrawn in place on a terminal (plain carriage returns, no
    colours), one line every LOG_INTERVAL_S otherwise. A closed terminal (SIGHUP) silences
    it; the recording goes on to a clean stop."""

    def __init__(self, stream):
        self._stream = stream
        self._tty = stream.isatty()
        self._width = 0
        self._last_shown = -math.inf
        self._open = True
        self._panel_height = 0  # lines of the live checklist drawn above the status line

    def show(self, status: Status) -> None:
        now = time.monotonic()
        if now - self._last_shown < (REFRESH_S if self._tty else LOG_INTERVAL_S):
            return
        self._last_shown = now
        line = format_status(status)
        if not self._tty:
            self._write(line + "\n")
            return
        line = line[:shutil.get_terminal_size().columns - 1]
        self._write("\r" + line.ljust(self._width))
        self._width = len(line)

    def say(self, text: str) -> None:
        self._write(("\r" + " " * self._width + "\r" if self._width else "") + text + "\n")
        self._width = 0
        self._panel_height = 0  # a line said since: draw the next panel below it

    def panel(self, lines: list[str]) -> None:
        """A block of lines above the status line (the live checklist), redrawn in place on
        a terminal (cursor up, erase line), printed anew otherwise."""
        if not self._tty:
            self._write("\n".join(lines) + "\n")
            return
        up = f"\x1b[{self._panel_height}A" if self._panel_height else ""
        drawn = [line[:shutil.get_terminal_size().columns - 1] for line in lines]
        drawn += [""] * max(0, self._panel_height - len(drawn))  # erase a longer old panel
        self._write("\r\x1b[K" + up + "".join(f"\x1b[K{line}\n" for line in drawn))
        self._width = 0
        self._panel_height = len(drawn)
        self._last_shown = -math.inf

    def end(self) -> None:
        if self._width:
            self._write("\n")
            self._width = 0

    def _write(self, text: str) -> None:
        if not self._open:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._open = False


@contextmanager
def keyboard(stdin=None) -> Iterator[Callable[[], str]]:
    """Single key presses (no Enter needed) while recording, when stdin is a terminal;
    elsewhere no keys ever arrive. Ctrl-C still sends SIGINT."""
    stdin = stdin or sys.stdin
    if not _in_foreground(stdin):
        yield lambda: ""
        return
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def typed() -> str:
        try:
            if select.select([fd], [], [], 0)[0]:
                return os.read(fd, 64).decode("utf-8", errors="ignore")
        except OSError:  # the terminal was closed; SIGHUP is stopping the recording
            pass
        return ""

    try:
        yield typed
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass  # the terminal is gone: nothing to restore


def _in_foreground(stdin) -> bool:
    """Stdin is the terminal this process runs in the foreground of (a background job that
    changed the terminal's settings would be stopped by the system)."""
    try:
        return stdin.isatty() and os.tcgetpgrp(stdin.fileno()) == os.getpgrp()
    except OSError:
        return False


@contextmanager
def stop_signals() -> Iterator[Callable[[], str | None]]:
    """While recording, Ctrl-C, `kill` and a closed terminal ask for a clean stop instead
    of ending the process with a half-written file."""
    received: list[str] = []

    def on_signal(signum, frame) -> None:
        received.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        yield lambda: received[0] if received else None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class Recording:
    visit: VisitFolder
    path: Path
    duration_s: float
    markers: tuple[Marker, ...]
    outcome: Outcome
    overflows: int  # moments of sound lost because the computer was too busy


def _start_take(visit: VisitFolder, take: str, consent: Consent, source: str) -> None:
    """Point the manifest at the new take before any audio is written, with its consent;
    an earlier take's consent and markers move to `earlier_takes`."""
    manifest = visit.read_manifest()
    record = consent.for_take(take)
    if manifest.consent:
        earlier = {k: v for k, v in manifest.consent.items() if k != "earlier_takes"}
        record["earlier_takes"] = [*manifest.consent.get("earlier_takes", []),
                                   {**earlier, "markers": list(manifest.markers)}]
    visit.write_manifest(replace(manifest, audio_file=take, audio_sha256=None,
                                 audio_source=source, consent=record, markers=()))


class _Tee:
    """Writes each block to the file first, then hands a copy to the live transcriber."""

    def __init__(self, writer: Sink, live: LiveTap):
        self._writer = writer
        self._live = live

    def write(self, samples: np.ndarray) -> None:
        self._writer.write(samples)
        self._live.feed(samples.astype(np.float32) / INT16_FULL_SCALE)


def _with_checklist(show: Callable[[Status], None], status_line: "StatusLine",
                    live: LiveTap) -> Callable[[Status], None]:
    """The status line, with the live checklist redrawn above it whenever it changes."""
    shown: list[object] = [None]

    def show_both(status: Status) -> None:
        latest = live.panel()
        if latest is not None and latest != shown[0]:
            shown[0] = latest
            status_line.panel(list(latest))
        if live.error is not None and shown[0] is not live.error:
            shown[0] = live.error
            status_line.say("The live checklist stopped (the recording goes on): "
                            f"{live.error}. Run `visit process` afterwards.")
        show(status)

    return show_both


def record_visit(folder: Path, take: str, consent: Consent, stream: Stream, *, source: str,
                 duration_s: float | None = None, terminal=None,
                 live: LiveTap | None = None) -> Recording:
    """Record from an open `stream` into `folder`/`take`, after consent was given.

    `source` names the microphone for the manifest. Markers reach the manifest the moment
    they are dropped; the checksum and the "record" stage when the recording stops. With
    `live`, every block written is also transcribed in the background and the checklist
    is shown above the status line; the file never waits for it.
    """
    terminal = terminal or sys.stderr
    visit = create_visit(folder)
    _start_take(visit, take, consent, source)
    path = visit.file(take)
    status_line = StatusLine(terminal)

    def save_marker(marker: Marker) -> None:
        manifest = visit.read_manifest()
        visit.write_manifest(replace(manifest, markers=(*manifest.markers, asdict(marker))))

    with (WavWriter(path, SAMPLE_RATE) as writer, stop_signals() as stop_requested,
          keyboard() as keys):
        recorder = Recorder(writer if live is None else _Tee(writer, live))
        status_line.say(consent.spoken_prompt())
        show = status_line.show if live is None else _with_checklist(status_line.show,
                                                                       status_line, live)
        if live is not None:
            live.start()
        controls = Controls(keys=keys, stop_requested=stop_requested, show=show,
                            say=status_line.say, on_marker=save_marker,
                            free_bytes=lambda: shutil.disk_usage(visit.path).free)
        try:
            outcome = capture(recorder, stream, controls, duration_s)
        finally:
            if live is not None:
                live.stop()
    status_line.end()
    recording = Recording(visit, path, recorder.elapsed_s, tuple(recorder.markers), outcome,
                          stream.overflows)
    try:
        _finish_take(recording, source)
    except OSError:
        if outcome.fault is None:
            raise
        raise RecordingStopped(fault_message(recording, f"free some space, then run `visit "
                                             f"recover {folder}` to finish its record"))
    return recording


def _finish_take(recording: Recording, source: str) -> None:
    if recording.outcome.fault:
        repair_wav(recording.path)
    visit = recording.visit
    manifest = visit.read_manifest()
    visit.write_manifest(replace(manifest, audio_sha256=sha256_of(recording.path)))
    visit.record_stage("record", file=recording.path.name, device=source,
                       duration_s=round(recording.duration_s, 2), sample_rate=SAMPLE_RATE,
                       stopped=recording.outcome.stopped, overflows=recording.overflows)


def fault_message(recording: Recording, next_step: str | None = None) -> str:
    """One sentence for a recording that stopped by itself: what happened, what is kept,
    how to go on."""
    step = next_step or (f"fix that, then run `visit record {recording.visit.path} "
                         "--new-take` to go on")
    return (f"Recording stopped because {recording.outcome.fault}; everything until "
            f"{clock(recording.duration_s)} is saved in {recording.path}; {step}.")


def recover_visit(folder: Path):
    """Repair the recording of a visit whose recorder was killed, and finish its manifest."""
    visit = open_visit(folder)
    audio = visit.require_audio()
    repair = repair_wav(audio)
    visit.write_manifest(replace(visit.read_manifest(), audio_sha256=sha256_of(audio)))
    visit.record_stage("recover", file=audio.name, duration_s=round(repair.seconds_after, 2),
                       header_repaired=repair.changed)
    return repair
