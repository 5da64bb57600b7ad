"""Writing a patient's files: atomically, and readable by their owner only."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PRIVATE_DIR_MODE = 0o700  # a visit folder: only its owner may list or enter it
HASH_CHUNK_BYTES = 1 << 20  # read 1 MiB at a time: a long recording never sits in memory whole
PRIVATE_FILE_MODE = 0o600  # every file in it: only its owner may read it


def make_private_dir(path: Path) -> Path:
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def write_private(path: Path, data: str | bytes) -> Path:
    """Replace `path` with `data` in one step: readers see the old file or the new one."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def copy_private(source: Path, target: Path, chunk_bytes: int = 1 << 20) -> Path:
    """Copy `source` to a new private file `target`; refuses to replace an existing file."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        while chunk := src.read(chunk_bytes):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return target


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex: what the manifest and the models' checksums record."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
