"""A WAV file that stays readable whatever happens to the process writing it.

Every block of audio goes straight to the operating system (no buffer in this process), and
the two length fields of the header are rewritten after each block, so a recorder killed
at any moment leaves a file that every player reads, short of at most the block in flight.
`repair_wav` fixes the header of a file whose writer died between the data and the header,
and keeps every whole sample that reached the disk.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extract.errors import BadInput
from recorder.storage.files import PRIVATE_FILE_MODE

SAMPLE_BYTES = 2  # 16-bit PCM: plenty for speech, and every player reads it
HEADER_BYTES = 44  # RIFF header + 16-byte "fmt " chunk + "data" chunk header
RIFF_SIZE_OFFSET = 4  # the RIFF chunk's length: file size - 8
DATA_SIZE_OFFSET = 40  # the data chunk's length, in bytes
PCM_FORMAT_TAG = 1
MAX_DATA_BYTES = 0xFFFF_FFFF - HEADER_BYTES  # WAV's 32-bit lengths: about 37 h of 16 kHz mono
FSYNC_INTERVAL_S = 1.0  # a laptop losing power loses at most this much of what was written


def wav_header(rate_hz: int, data_bytes: int, channels: int = 1) -> bytes:
    block_align = channels * SAMPLE_BYTES
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", HEADER_BYTES - 8 + data_bytes, b"WAVE",
                       b"fmt ", 16, PCM_FORMAT_TAG, channels, rate_hz, rate_hz * block_align,
                       block_align, SAMPLE_BYTES * 8, b"data", data_bytes)


class WavWriter:
    """Writes 16-bit mono PCM to a new owner-only file; never replaces an existing one."""

    def __init__(self, path: Path, rate_hz: int):
        self.path = path
        self.rate_hz = rate_hz
        self.data_bytes = 0
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        self._last_sync = time.monotonic()
        _write_all(self._fd, wav_header(rate_hz, 0))

    @property
    def duration_s(self) -> float:
        return self.data_bytes / (SAMPLE_BYTES * self.rate_hz)

    def write(self, samples: np.ndarray) -> None:
        """Append int16 samples; raises OSError (disk full...) with the file still readable."""
        payload = np.ascontiguousarray(samples, dtype="<i2").tobytes()
        if self.data_bytes + len(payload) > MAX_DATA_BYTES:
            raise OSError(27, "the recording reached the largest size a WAV file can hold")
        _write_all(self._fd, payload)
        self.data_bytes += len(payload)
        os.pwrite(self._fd, struct.pack("<I", HEADER_BYTES - 8 + self.data_bytes),
                  RIFF_SIZE_OFFSET)
        os.pwrite(self._fd, struct.pack("<I", self.data_bytes), DATA_SIZE_OFFSET)
        if time.monotonic() - self._last_sync >= FSYNC_INTERVAL_S:
            os.fsync(self._fd)
            self._last_sync = time.monotonic()

    def __enter__(self) -> "WavWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = -1


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


@dataclass(frozen=True)
class Repair:
    path: Path
    seconds_before: float  # what the header said
    seconds_after: float  # what the file holds now
    rate_hz: int

    @property
    def changed(self) -> bool:
        return self.seconds_before != self.seconds_after


def repair_wav(path: Path) -> Repair:
    """Make the header of a PCM WAV file match the audio that reached the disk.

    Only the two length fields change, and a trailing partial sample (half-written when the
    writer died) is cut; every whole sample stays.
    """
    with path.open("r+b") as handle:
        head = handle.read(HEADER_BYTES)
        rate_hz, block_align, data_offset, declared = _parse_header(path, handle, head)
        size = os.fstat(handle.fileno()).st_size
        present = min((size - data_offset) // block_align * block_align, MAX_DATA_BYTES)
        if data_offset + present != size:
            handle.truncate(data_offset + present)
        if declared != present:
            handle.seek(RIFF_SIZE_OFFSET)
            handle.write(struct.pack("<I", data_offset - 8 + present))
            handle.seek(data_offset - 4)
            handle.write(struct.pack("<I", present))
        handle.flush()
        os.fsync(handle.fileno())
    byte_rate = rate_hz * block_align
    return Repair(path, min(declared, size - data_offset) / byte_rate, present / byte_rate,
                  rate_hz)


def _parse_header(path: Path, handle, head: bytes) -> tuple[int, int, int, int]:
    """(rate, block_align, offset of the audio, bytes the header declares) of a PCM WAV."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise BadInput(f"{path.name} is not a WAV file; `visit recover` repairs recordings "
                       "made by `visit record`.")
    offset, rate_hz, block_align = 12, None, None
    while True:
        handle.seek(offset)
        chunk = handle.read(8)
        if len(chunk) < 8:
            raise BadInput(f"{path.name} holds no audio data chunk; it cannot be repaired, "
                           "but nothing in it was changed.")
        name, length = struct.unpack("<4sI", chunk)
        if name == b"fmt ":
            fmt = handle.read(16)
            _, _, rate_hz, _, block_align, _ = struct.unpack("<HHIIHH", fmt)
        elif name == b"data":
            if rate_hz is None or not block_align:
                raise BadInput(f"{path.name} has no usable format chunk; it cannot be "
                               "repaired, but nothing in it was changed.")
            return rate_hz, block_align, offset + 8, length
        offset += 8 + length + (length & 1)
