"""Writing files so that a crash or a full disk never leaves half a file behind."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_args) -> Iterator[IO]:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    Readers see the old file or the new one, never a mixture.
    """
    target = Path(path)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.chmod(temp, 0o666 & ~_umask())
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def set_aside(path: str | os.PathLike) -> Path:
    """Move a damaged file out of the way, keeping it for the user; returns its new path."""
    source = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = source.with_name(f"{source.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = source.with_name(f"{source.name}.corrupt-{stamp}-{counter}")
    os.replace(source, target)
    return target


def read_json_object(path: str | os.PathLike) -> tuple[dict, str | None, Path | None]:
    """A JSON object stored at ``path``: (data, problem, moved_to).

    A missing file gives ({}, None, None). A file that is not a JSON object is
    set aside, never overwritten: ({}, what was wrong, where it went).
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None, None
    except UnicodeDecodeError:
        problem = "it is not UTF-8 text"
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            problem = f"line {error.lineno} column {error.colno}: {error.msg}"
        else:
            if isinstance(data, dict):
                return data, None, None
            problem = "it does not hold a JSON object"
    return {}, problem, set_aside(source)


def load_json_object(path: str | os.PathLike) -> tuple[dict, str | None, Path | None]:
    """``read_json_object``, with a file that cannot be read at all (permissions) reported
    as the problem instead of raised."""
    try:
        return read_json_object(path)
    except OSError as error:
        return {}, error.strerror or str(error), None


def save_json(path: str | os.PathLike, data: dict) -> None:
    """Write ``data`` as JSON at ``path`` atomically, making its folder; OSError if that cannot be done."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
