"""How far a transcription has got, how long it has taken, and an honest time left.

The estimate comes from this run's own speed (seconds of audio done per second of wall
time since it started working), so audio finished by an earlier, interrupted run counts as
done but does not make this run look faster than it is.
"""

from __future__ import annotations

import time
from typing import Callable

from extract.transcript import clock

# Before this much audio is done in this run, its speed says little (the first window also
# pays for loading and compiling), so no time left is promised yet.
MIN_AUDIO_FOR_ESTIMATE_S = 20


class TranscriptionClock:
    """Fed the seconds of audio done; says elapsed time and time left."""

    def __init__(self, total_s: float, now: Callable[[], float] = time.monotonic):
        self.total_s = total_s
        self._now = now
        self._started = now()
        self.resumed_s: float | None = None  # audio done before this run; known at first report
        self.done_s = 0.0

    def update(self, done_s: float) -> None:
        if self.resumed_s is None:
            self.resumed_s = done_s
        self.done_s = max(self.done_s, min(done_s, self.total_s))

    @property
    def elapsed_s(self) -> float:
        return self._now() - self._started

    @property
    def remaining_s(self) -> float | None:
        """Wall seconds left at this run's speed so far; None until that speed means much."""
        done_here = self.done_s - (self.resumed_s or 0.0)
        if done_here < MIN_AUDIO_FOR_ESTIMATE_S or self.elapsed_s <= 0:
            return None
        return (self.total_s - self.done_s) * self.elapsed_s / done_here

    def describe(self) -> str:
        left = self.remaining_s
        return (f"{clock(self.elapsed_s)} elapsed, "
                + ("estimating time left" if left is None else f"about {clock(left)} left"))
