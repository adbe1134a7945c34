"""Saving from the app: never over somebody's file unasked, never into a folder or a pipe.

On a shared server a typed path may name a classmate's network, a folder or a named pipe (opening one
for writing waits for a reader for ever). A file the student is working on (the one the network came
from, or the one saved to earlier in this session) is simply written again.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from .dialogs import ConfirmDialog


STEM_LENGTH = 60  # characters of a network's name kept in a suggested file name


def file_stem(name: object) -> str:
    """A network's name as the start of a suggested file name, of letters and digits (any script's, so a
    Chinese name stays), "-", "_" and ".": a hostile name ("../../x", escape sequences, a right-to-left mark
    disguising the extension) suggests one plain, visible file in the folder it is saved to."""
    kept = "".join(char if char.isalnum() or char in "-_." else "_" for char in str(name))
    stem = re.sub("_+", "_", kept).strip("._")[:STEM_LENGTH]  # no hidden file, no name of marks alone
    return stem or "untitled"


def existing(path: Path) -> str | None:
    """What is at ``path``: "file", "folder", "special" (a pipe, a device, a socket), or None when there is
    nothing or nothing that can be looked at (the write then says what is wrong)."""
    from ...core.reading import file_kind

    try:
        kind = file_kind(os.stat(path).st_mode)
    except OSError:
        return None
    return "file" if kind is None else "folder" if kind == "a folder" else "special"


def is_own(path: Path, own: Path | None) -> bool:
    try:
        return own is not None and os.path.samefile(path, own)
    except OSError:
        return False


def write_checked(app, path: Path, write: Callable[[], object], own: Path | None = None) -> None:
    """Call ``write`` when ``path`` may be written: a new file, or ``own``; any other existing file once the
    student says yes; a folder or a special file never (a notification says so)."""
    found = existing(path)
    if found in ("folder", "special"):
        app.notify(app.t(f"save.{found}", path=path), severity="error", timeout=8)
    elif found == "file" and not is_own(path, own):
        app.push_screen(ConfirmDialog(app.t("save.exists", path=path), app.t("dialog.yes_no")),
                        lambda yes: write() if yes else None)
    else:
        write()


def weights_beside(weights: Path, target: Path) -> tuple[str | None, bool]:
    """The "weights" name for a network saved as ``target`` whose weights are the file ``weights``, and whether
    they were copied: a network file may name only weights in its own folder (core.network), so weights kept
    elsewhere are copied beside it. (None, False) when they cannot go with it: a different file already has
    their name there, or the copy failed."""
    from ...core.errors import CnntuiError
    from ...core.files import atomic_write
    from ...core.reading import open_regular

    try:
        weights, folder = weights.resolve(strict=True), target.parent.resolve()
        if weights.is_relative_to(folder):
            return weights.relative_to(folder).as_posix(), False
        beside = folder / weights.name
        found = existing(beside)
        if found is None:
            with open_regular(weights) as source, atomic_write(beside, "wb") as copy:
                shutil.copyfileobj(source, copy)
        elif found != "file" or not filecmp.cmp(beside, weights, shallow=False):
            return None, False
        return weights.name, True
    except (OSError, CnntuiError):  # CnntuiError: no longer a regular file (a pipe would hang the copy)
        return None, False
