"""A real virtual microphone for recording tests: a private PulseAudio server whose null
sink's monitor is the default input, reached by PortAudio through ALSA's pulse plugin.

Sound played into the sink (`play`) is what a recorder hears. PortAudio sees the server
only if PULSE_SERVER is set before `sounddevice` is first imported, so a test process sets
`environment()` first (child processes inherit it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SINK = "vmic_sink"
SILENT_SOURCE = "vmic_silence"
SINK_RATE_HZ = 48_000  # a common hardware rate, so the recorder's 16 kHz is resampled
# Without a loopback feeding it, an idle null sink renders in 2 s blocks and a new capture
# stream waits up to 1.9 s for its first data; 20 ms keeps it flowing.
LOOPBACK_LATENCY_MS = 20
START_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0


@dataclass(frozen=True)
class VirtualMic:
    folder: Path

    @property
    def server(self) -> str:
        return f"unix:{self.folder / 'native'}"

    def environment(self) -> dict[str, str]:
        return {"PULSE_SERVER": self.server, "PULSE_RUNTIME_PATH": str(self.folder),
                "PULSE_STATE_PATH": str(self.folder / "state")}

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env={**os.environ, **self.environment()},
                              check=True, capture_output=True, text=True).stdout

    def play(self, wav: Path) -> subprocess.Popen:
        """Start playing `wav` into the microphone; the caller waits on the process."""
        return subprocess.Popen(["paplay", f"--device={SINK}", str(wav)],
                                env={**os.environ, **self.environment()})

    def pid(self) -> int | None:
        pid_file = self.folder / "pid"
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the server by the pid in its pid file: SIGTERM, then SIGKILL."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + STOP_GRACE_S
                while time.monotonic() < deadline and _alive(pid):
                    time.sleep(0.05)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # A killed daemon can linger as a zombie whose stale pid file blocks the next start.
        (self.folder / "pid").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def start(folder: Path) -> VirtualMic:
    """Start a private PulseAudio server in `folder` with the sink's monitor as default input."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state").mkdir(exist_ok=True)
    mic = VirtualMic(folder)
    (folder / "pid").unlink(missing_ok=True)
    modules = [
        f"module-native-protocol-unix auth-anonymous=1 socket={folder / 'native'}",
        f"module-null-sink sink_name={SINK} rate={SINK_RATE_HZ}",
        f"module-null-source source_name={SILENT_SOURCE}",
        f"module-loopback source={SILENT_SOURCE} sink={SINK} latency_msec={LOOPBACK_LATENCY_MS}",
    ]
    command = ["pulseaudio", "--daemonize=yes", "--use-pid-file=yes", "--exit-idle-time=-1",
               "--system=false", "-n", "--log-target=stderr"]
    for module in modules:
        command += ["-L", module]
    env = {**os.environ, **mic.environment(), "HOME": str(folder)}
    subprocess.run(command, env=env, check=True, capture_output=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            mic.pactl("info")
            break
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    mic.pactl("set-default-sink", SINK)
    mic.pactl("set-default-source", f"{SINK}.monitor")
    return mic
