"""Keeping two decoders' memory in bounds: glibc's malloc, told to give large blocks back.

Each window's large arrays (the log-mel features, voice detection's frames) are freed once
it is heard. glibc's malloc raises its mmap threshold as such blocks are freed, after which
they come from the heaps of the threads that asked for them, and those heaps keep the pages.
One decoder hardly notices; with two windows decoding at once the process peaked at 981 MB
on the 37-minute visit (594 MB one at a time). A fixed threshold stops the raising, so
blocks this large are mapped for themselves and unmapped when freed, and trimming after
each window hands the heaps' free pages back.

Only glibc has these calls; elsewhere both functions do nothing.
"""

from __future__ import annotations

import ctypes

# Blocks of this many bytes or more are mapped on their own. 256 KB (glibc's starting value)
# cost 60% more CPU (every encoder buffer mapped and unmapped); 4 MB takes the window-sized
# arrays only, at no measured CPU cost.
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
M_MMAP_THRESHOLD = -3  # mallopt()'s parameter number for it, from glibc's malloc.h


def _glibc():
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_large_blocks() -> None:
    """From now on, large blocks go back to the system when freed (process-wide)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def release_free_memory() -> None:
    """Hand the free pages of every malloc heap back to the system."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
