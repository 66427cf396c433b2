"""Bounds on untrusted input: regular files only, sizes limited, matrix output capped."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

from kexplore.errors import InputError

MIB = 1 << 20
DEFAULT_MAX_MB = 1024  # one input file (or a tar archive's members together): far above a dump
_CHUNK = 4 * MIB
MAX_PAIRS = 10_000_000  # workload pairs a whole-cluster `matrix` may list (--max-pairs)
_READ_FIX = "check that the path exists and is readable"
LIMIT_FIX = "raise the limit with --max-input-mb if the data is real"


class SpecialFileError(InputError):
    """A FIFO, device or socket where a file was expected: never read (it may never end)."""


class TooLargeError(InputError):
    """Input over the size limit: refused before it is read into memory."""


def size_text(size: int) -> str:
    """`1.5 GiB`, `300 MiB`, `12 KiB`, `80 B`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a directory" if stat.S_ISDIR(mode) else "not a regular file"


def open_regular(path: Path, limit: int) -> IO[bytes]:
    """A regular file opened for reading (a symlink is followed to see what it is): a FIFO or
    a device (`/dev/zero`) is refused unread, a file over `limit` bytes by its size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}", _READ_FIX) from e
    info = os.fstat(fd)
    problem: InputError | None = None
    if not stat.S_ISREG(info.st_mode):
        problem = SpecialFileError(f"{path}: {_kind(info.st_mode)}, not a file: not read")
    elif info.st_size > limit:
        size = f"{size_text(info.st_size)}, over the {size_text(limit)} limit for one input file"
        problem = TooLargeError(f"{path}: {size}", LIMIT_FIX)
    if problem is not None:
        os.close(fd)
        raise problem
    return os.fdopen(fd, "rb")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see open_regular)."""
    with open_regular(path, limit) as handle:
        return read_limited(handle, limit, str(path))


def read_limited(handle: IO[bytes], limit: int, where: str) -> bytes:
    """Read a stream to its end, stopping as soon as it passes `limit` bytes (a decompressing
    stream can hold far more than its size on disk)."""
    chunks: list[bytes] = []
    total = 0
    while chunk := handle.read(min(_CHUNK, limit + 1 - total)):
        total += len(chunk)
        if total > limit:
            raise TooLargeError(
                f"{where}: over the {size_text(limit)} limit for one input", LIMIT_FIX
            )
        chunks.append(chunk)
    return b"".join(chunks)
