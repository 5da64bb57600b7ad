"""The microphone, through PortAudio (`sounddevice`): finding one, checking it, reading it.

This is the device edge of `visit record`. `sounddevice` is imported only here and only
when needed: PortAudio scans the audio system once, at import, so the audio server must be
reachable before (on Linux, PULSE_SERVER for PulseAudio through ALSA's pulse plugin).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

import numpy as np

from extract.errors import DeviceError, NotInstalled
from recorder.storage.audiofile import SAMPLE_RATE

BLOCK_S = 0.1  # seconds of audio per callback: what a crash can catch in flight
# The sound system holds this much for a process too busy to read it (a laptop transcribing
# or updating); a crash loses it with the block in flight, still under a second.
INPUT_LATENCY_S = 0.5
QUEUE_BLOCKS = 600  # one minute of blocks waiting for a stalled disk before any is dropped
# A sound server can take a moment to deliver a new stream's first block (1.6 s measured on
# a fresh PulseAudio); "Recording" is said only once sound really flows.
FIRST_BLOCK_TIMEOUT_S = 5.0
NO_INPUT = ("No microphone was found; connect one (or unmute it in the system's sound "
            "settings), then run `visit record --list-devices` and choose one with --device "
            "NUMBER.")


def portaudio():
    """The `sounddevice` module, or one sentence saying which package to install."""
    try:
        import sounddevice
    except OSError:
        raise NotInstalled("The PortAudio sound library is missing; install it with `sudo "
                           "apt-get install libportaudio2` (Debian, Ubuntu), `sudo dnf install "
                           "portaudio` (Fedora) or `brew install portaudio` (macOS).") from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate_hz: int
    is_default: bool


def input_devices() -> tuple[InputDevice, ...]:
    sd = portaudio()
    default = sd.default.device[0]
    return tuple(InputDevice(d["index"], d["name"], d["max_input_channels"],
                             int(d["default_samplerate"]), d["index"] == default)
                 for d in sd.query_devices() if d["max_input_channels"] > 0)


def format_devices(devices: tuple[InputDevice, ...]) -> str:
    if not devices:
        return NO_INPUT
    lines = ["Microphones (use one with --device NUMBER; * is the default):"]
    for device in devices:
        mark = "*" if device.is_default else " "
        lines.append(f" {mark} {device.index:3}  {device.name}  ({device.channels} channels, "
                     f"{device.default_rate_hz} Hz)")
    return "\n".join(lines)


@dataclass(frozen=True)
class Microphone:
    """A checked input: PortAudio's device index, its name, and the rate it will record at."""

    index: int
    name: str
    rate_hz: int  # SAMPLE_RATE when the device accepts it; its own rate otherwise


def choose_microphone(device: str | None) -> Microphone:
    """The microphone to record from (`--device` number or part of a name, else the
    default), checked to record mono at 16 kHz or at its own rate."""
    sd = portaudio()
    wanted: int | str | None = int(device) if device and device.isdigit() else device
    try:
        info = sd.query_devices(wanted, kind="input")
    except (ValueError, sd.PortAudioError):
        if device is None:
            raise DeviceError(NO_INPUT) from None
        raise DeviceError(f"No microphone matches --device {device}; run `visit record "
                          "--list-devices` and give one of the numbers shown.") from None
    if info["max_input_channels"] < 1:
        raise DeviceError(f"{info['name']} is not a microphone; run `visit record "
                          "--list-devices` and give one of the numbers shown.")
    for rate in dict.fromkeys((SAMPLE_RATE, int(info["default_samplerate"]))):
        try:
            sd.check_input_settings(device=info["index"], channels=1, dtype="int16",
                                    samplerate=rate)
        except sd.PortAudioError:
            continue
        return Microphone(info["index"], info["name"], rate)
    raise DeviceError(f"{info['name']} cannot record mono sound at {SAMPLE_RATE} Hz or at its "
                      "own rate; choose another with --device (see `visit record "
                      "--list-devices`).")


class Resampler:
    """Streams int16 blocks from the device's rate to SAMPLE_RATE (libswresample via PyAV,
    which faster-whisper already brings), keeping its filter state across blocks."""

    def __init__(self, rate_hz: int):
        import av

        self._av = av
        self._rate_hz = rate_hz
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)

    def __call__(self, block: np.ndarray | None) -> np.ndarray:
        """Resample one block; None flushes what the filter still holds."""
        frame = None
        if block is not None:
            frame = self._av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16",
                                                     layout="mono")
            frame.sample_rate = self._rate_hz
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


class MicrophoneStream:
    """An open input stream: blocks of 16 kHz mono int16, in order, as they arrive.

    PortAudio calls back on its own thread; blocks wait in a queue for the recorder's loop,
    so a slow disk never blocks the audio thread.
    """

    def __init__(self, microphone: Microphone):
        sd = portaudio()
        self._sd = sd
        self._blocks: queue.Queue[np.ndarray] = queue.Queue(QUEUE_BLOCKS)
        self._flowing = threading.Event()
        self.overflows = 0  # times the sound system dropped sound the process was too slow for
        self._resample = Resampler(microphone.rate_hz) if microphone.rate_hz != SAMPLE_RATE else None
        try:
            self._stream = sd.InputStream(device=microphone.index, samplerate=microphone.rate_hz,
                                          channels=1, dtype="int16",
                                          blocksize=int(microphone.rate_hz * BLOCK_S),
                                          latency=INPUT_LATENCY_S, callback=self._on_block)
            self._stream.start()
        except sd.PortAudioError as error:
            raise DeviceError(f"{microphone.name} could not be opened ({error}); close other "
                              "programs using it, or choose another with --device (see "
                              "`visit record --list-devices`).") from None
        if not self._flowing.wait(FIRST_BLOCK_TIMEOUT_S):
            self.close()
            raise DeviceError(f"{microphone.name} sends no sound at all; check that it is "
                              "connected, or choose another with --device (see `visit record "
                              "--list-devices`).")

    def _on_block(self, indata, frames, time_info, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        try:
            self._blocks.put_nowait(indata[:, 0].copy())
        except queue.Full:
            pass  # the disk has stalled for a minute: newer sound waits until it catches up
        self._flowing.set()

    @property
    def alive(self) -> bool:
        """False once the device has gone (unplugged, audio server stopped)."""
        return self._stream.active

    def read(self, timeout_s: float) -> np.ndarray | None:
        """The next block, or None if none arrived within `timeout_s`."""
        try:
            block = self._blocks.get(timeout=timeout_s)
        except queue.Empty:
            return None
        return self._resample(block) if self._resample else block

    def close(self) -> list[np.ndarray]:
        """Stop the device and return the blocks it had delivered but not yet read."""
        try:
            self._stream.stop()
            self._stream.close()
        except self._sd.PortAudioError:
            pass  # the device is already gone; what it delivered is in the queue
        rest = []
        while (block := self.read(0)) is not None:
            rest.append(block)
        if self._resample:
            rest.append(self._resample(None))
        return rest
