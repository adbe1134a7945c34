"""Checking where a command will write, before it does any work.

An output may not be one of the command's inputs or another of its outputs (by real path or by
inode, so symlinks and hard links count), may not be a folder, pipe or device, and may replace an
existing file only if the same command made it (recognised by its content, read cheaply, no array
loaded) or ``--force`` is given, and never goes in the folders of cnntui's own files (cnntui_folders).
Its folder must let us create a file: tried with a probe file, since os.access says yes to root on a
read-only mount. Textual-free and NumPy-free.
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .core.errors import CnntuiError
from .core.files import real_path
from .core.printable import printable
from .core.reading import file_kind, open_regular
from .train.record import made_by_train, read_record

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_SOFTWARE = b"Software\x00cnntui"  # the tEXt chunk cnntui's PNG files carry
PNG_CHUNKS_LOOKED_AT = 64  # the text chunks come before the pixels; no need to walk a whole file
WEIGHT_MEMBER = re.compile(r"[A-Za-z0-9_.]+\.(weight|bias|running_mean|running_var|num_batches_tracked)\.npy")
STEP_MEMBER = re.compile(r"[A-Za-z0-9_.]+\.npy")


@dataclass(frozen=True)
class Output:
    """A file a command will write: ``label`` names it in messages ("--out w.npz"), ``option`` is what
    the user changes to move it, ``ours`` tells whether an existing file there is this command's."""

    path: Path
    label: str
    option: str
    ours: Callable[[Path], bool]


def check_outputs(command: str, outputs: Iterable[Output], inputs: Iterable[tuple[str, Path]],
                  force: bool = False) -> None:
    """CnntuiError for the first output that must not be written; see the module's note."""
    outputs, inputs = list(outputs), list(inputs)
    for output in outputs:
        check_not_cnntuis_own(output)
    for index, output in enumerate(outputs):
        for label, path in inputs:
            if same_file(output.path, path):
                raise CnntuiError("output_is_input", output=printable(output.label), input=printable(label),
                                  option=output.option)
        for other in outputs[:index]:
            if same_file(output.path, other.path):
                raise CnntuiError("outputs_clash", output=printable(output.label), other=printable(other.label),
                                  option=output.option)
    for output in outputs:
        check_target(command, output, force)
        check_folder(output)


def cnntui_folders() -> list[Path]:
    """The folders cnntui keeps its own files in: the user's config folder (the settings' folder), data
    folder (the progress file's) and the two lab folders (the student's is in the data folder)."""
    from .quiz import material, progress
    from .tui import settings

    return [settings.default_path().parent, progress.default_path().parent, material.site_folder(),
            material.user_folder()]


def check_not_cnntuis_own(output: Output) -> None:
    """No output goes among cnntui's own files, even with --force: replacing the settings, the progress
    or a lab's bank or network by a worksheet or an export is never what was meant."""
    target = Path(os.path.realpath(output.path))
    for folder in cnntui_folders():
        if target.is_relative_to(os.path.realpath(folder)):
            raise CnntuiError("output_in_cnntui_folder", output=printable(output.label),
                              folder=printable(str(folder)), option=output.option,
                              name=printable(output.path.name))


def same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def check_target(command: str, output: Output, force: bool) -> None:
    """What is at the output's path now: nothing, a file we may replace, or a refusal."""
    try:
        # Through a symlink: the file the write would replace (as root, only a link its maker may follow).
        mode = os.stat(real_path(output.path)).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise CnntuiError("unwritable", path=printable(str(output.path)), reason=error.strerror or str(error)) from None
    what = file_kind(mode)
    if what is not None:
        raise CnntuiError("output_not_file", output=printable(output.label), what=what, option=output.option)
    if not force and not output.ours(output.path):
        raise CnntuiError("output_exists", output=printable(output.label), command=command, option=output.option)


def check_folder(output: Output) -> None:
    """The folder the output goes in exists and lets us create (and remove) a file."""
    folder = Path(os.path.realpath(output.path)).parent
    if not folder.is_dir():
        raise CnntuiError("unwritable", path=printable(str(output.path)),
                          reason=f"its folder {printable(str(folder))} does not exist")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".cnntui-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise CnntuiError("unwritable", path=printable(str(output.path)),
                          reason=f"cannot create files in {printable(str(folder))} "
                                 f"({error.strerror or error})") from None


# -- recognising cnntui's own files ---------------------------------------------------------------

def zip_members(path: Path) -> list[str] | None:
    """The member names of a zip (an .npz), from its central directory only; None if it is not one."""
    try:
        with open_regular(path) as handle, zipfile.ZipFile(handle) as archive:
            return archive.namelist()
    except (OSError, CnntuiError, zipfile.BadZipFile, ValueError, EOFError):
        return None


def is_activations(path: Path) -> bool:
    """``cnntui forward --out``: input.npy, one array per step under its path (0.npy, 1.npy, ...
    or layer1.0.conv1.npy, ...) and output.npy; or, as older versions wrote, input.npy, 0.npy, 1.npy, ..."""
    members = zip_members(path)
    if members is None or "input.npy" not in members:
        return False
    if sorted(members) == sorted(["input.npy", *(f"{i}.npy" for i in range(len(members) - 1))]):
        return True
    return "output.npy" in members and all(STEP_MEMBER.fullmatch(name) and not WEIGHT_MEMBER.fullmatch(name)
                                           for name in members)


def is_weights(path: Path) -> bool:
    """``--save-weights``: only state-dict members (``{path}.weight``, ``{path}.bias``, buffers), and no record of cnntui train
    vouching for them: trained weights look the same, and are work that random ones must not replace."""
    members = zip_members(path)
    return (members is not None and all(WEIGHT_MEMBER.fullmatch(name) for name in members)
            and not is_trained_weights(path))


def is_trained_weights(path: Path) -> bool:
    """``cnntui train --out``: a record of cnntui train beside them names them (see ``made_by_train``)."""
    return made_by_train(path)


def is_record(path: Path) -> bool:
    return read_record(path) is not None


def is_cnntui_png(path: Path) -> bool:
    """A PNG carrying the text chunk ``Software: cnntui``, found by walking the chunk headers."""
    try:
        with open_regular(path) as handle:
            if handle.read(8) != PNG_SIGNATURE:
                return False
            for _ in range(PNG_CHUNKS_LOOKED_AT):
                header = handle.read(8)
                if len(header) < 8:
                    return False
                length, kind = struct.unpack(">I4s", header)
                if kind in (b"IDAT", b"IEND"):
                    return False
                if kind == b"tEXt" and length == len(PNG_SOFTWARE):
                    if handle.read(length) == PNG_SOFTWARE:
                        return True
                    length = 0
                handle.seek(length + 4, os.SEEK_CUR)  # the data, then the CRC
    except (OSError, CnntuiError):
        return False
    return False
