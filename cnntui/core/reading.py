"""Opening a file the user named: only a regular file, and never more of it than a limit.

A named pipe, a terminal or /dev/zero given as a network, weights or input would block the
reader forever or feed it without end, and a huge junk file would be read whole into memory.
Every reader of the user's files (network JSON, weights, input images and arrays, the app's
last network) opens them here. No NumPy, so the app can read a network before it loads it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import CnntuiError, system_reason

# VGG-16's description is under 2 KiB and a network of a thousand layers under 200 KiB: a
# "network file" of more than 4 MiB is the wrong file (or junk), never one worth parsing.
NETWORK_FILE_LIMIT = 4 << 20

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def human_bytes(count: int) -> str:
    """Bytes as "350 B", "4.0 MiB", "1.0 GiB" or "3.2 PiB" (beyond that, PiB with thousands commas)."""
    if count < 1024:
        return f"{count} B"
    for power, unit in enumerate(("KiB", "MiB", "GiB", "TiB"), start=1):
        if count < 1024 ** (power + 1):
            return f"{count / 1024 ** power:.1f} {unit}"
    return f"{count // 1024 ** 5:,} PiB"  # integer division: a count too large for a float still prints


def file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


def _checked(path: Path, status: os.stat_result, limit: int | None, what: str) -> None:
    kind = file_kind(status.st_mode)
    if kind is not None:
        raise CnntuiError("not_regular", path=str(path), kind=kind)
    if limit is not None and status.st_size > limit:
        raise CnntuiError("file_too_big", path=str(path), size=human_bytes(status.st_size), what=what,
                          limit=human_bytes(limit))


@contextmanager
def open_regular(path: str | os.PathLike, limit: int | None = None, what: str = "file") -> Iterator[BinaryIO]:
    """``path`` opened for reading in binary, if it is a regular file of at most ``limit`` bytes.

    Anything else is a CnntuiError naming what it is ("not_regular", "file_too_big", or
    "unreadable" with the system's reason), raised before a byte is read. The file is
    checked by name, then opened without blocking (a pipe's open waits for a writer) and
    checked again by descriptor, since the name may have been swapped in between.
    """
    path = Path(path)
    try:
        _checked(path, os.stat(path), limit, what)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise CnntuiError("unreadable", path=str(path), reason=system_reason(error)) from None
    try:  # checked before os.fdopen, which refuses a folder without closing the descriptor it was given
        _checked(path, os.fstat(descriptor), limit, what)
    except CnntuiError:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as handle:
        os.set_blocking(descriptor, True)
        yield handle


def read_bytes(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """The whole of a regular file of at most ``limit`` bytes (see ``open_regular``)."""
    with open_regular(path, limit, what) as handle:
        data = handle.read(limit + 1)
        if len(data) > limit:  # it grew since it was checked
            size = max(os.fstat(handle.fileno()).st_size, len(data))
            raise CnntuiError("file_too_big", path=str(path), size=human_bytes(size), what=what,
                              limit=human_bytes(limit))
    return data
