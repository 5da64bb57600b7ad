"""Waiting for an event in a test: a generous timeout, never a speed bound."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_S = 60  # generous: an event that has not come by then never will, however busy the machine
POLL_S = 0.05


def wait_until(condition: Callable[[], T], what: str, timeout_s: float = WAIT_S) -> T:
    """Polls `condition()` until it returns something true, and returns it; fails naming
    `what` only after a generous timeout (an event that never comes, not a slow one)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(POLL_S)
