"""Making, reading and writing weights in PyTorch's layout and naming.

Keys are ``"{path}.{kind}"``: a step's dotted module name ("3" in a plain list,
"layer1.0.conv1" in a ResNet) and "weight", "bias" or a buffer ("running_mean", ...),
the names PyTorch's ``state_dict()`` uses, so weights move to and from PyTorch with
no renaming. Files are read without unpickling.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import BudgetError, CnntuiError, WeightsError, closest, system_reason
from .files import atomic_write
from .messages import Message
from .reading import human_bytes, open_regular

def check_budget(name: str, params: int, budget: int) -> None:
    size = params * 4
    if size > budget:
        raise BudgetError("weights_too_big", name=name, params=f"{params:,}", size=human_bytes(size),
                          budget=human_bytes(budget))


# What a weights file holds beyond its arrays' bytes: a .npy header and zip entries, some 250 bytes an array.
ARCHIVE_OVERHEAD = 1 << 20
NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def read_npz(path: str | Path, budget: int) -> dict[str, np.ndarray]:
    """Every array of an .npz file, refusing pickled objects.

    Nothing is allocated before every member's .npy header is read and the arrays' total
    size checked against ``budget`` and against the sizes the archive declares: a tiny file
    may claim 10^11 floats, and a few compressed MiB may inflate to GiB.
    """
    try:
        with open_regular(path, budget + ARCHIVE_OVERHEAD, "weights file") as handle:
            if handle.read(2) != b"PK":
                raise _unreadable(path, "it is not an .npz archive (the zip of named arrays that np.savez writes)")
            handle.seek(0)
            with zipfile.ZipFile(handle) as archive:
                members = {_array_name(path, info): info for info in archive.infolist()}
                total = sum(_member_size(archive, info, path) for info in members.values())
                if total > budget:
                    raise WeightsError("weights_too_large", path=str(path), size=human_bytes(total),
                                       budget=human_bytes(budget))
                return {key: _read_member(archive, info) for key, info in members.items()}
    except CnntuiError as error:
        if isinstance(error, WeightsError):
            raise
        raise WeightsError(error.message.code, **error.message.args) from None
    except OSError as error:
        raise _unreadable(path, system_reason(error)) from None
    except (ValueError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError,
            RuntimeError) as error:  # RuntimeError: an encrypted member
        raise _unreadable(path, str(error) or type(error).__name__) from None


def _unreadable(path: str | Path, reason: str | Message) -> WeightsError:
    return WeightsError("weights_unreadable", path=str(path), reason=reason)


def _array_name(path: str | Path, info: zipfile.ZipInfo) -> str:
    if not info.filename.endswith(".npy"):
        raise _unreadable(path, f"its member '{info.filename}' is not a .npy array")
    return info.filename[:-len(".npy")]


def read_npy_header(stream) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype a .npy header declares, read without the data (the stream is left
    at it). ValueError for what NumPy would not read, or would have to unpickle."""
    version = np.lib.format.read_magic(stream)
    if version not in NPY_HEADER_READERS:
        raise ValueError(f"it is a .npy of format version {version[0]}.{version[1]}, which cnntui does not "
                         "read (np.save writes 1.0)")
    shape, _, dtype = NPY_HEADER_READERS[version](stream)
    if dtype.hasobject:
        raise ValueError("it holds Python objects, which cnntui never unpickles (allow_pickle=False)")
    return shape, dtype


def _member_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str | Path) -> int:
    """The bytes a member's array takes, from its .npy header alone (the data is not read)."""
    key = info.filename[:-len(".npy")]
    with archive.open(info) as member:
        try:
            shape, dtype = read_npy_header(member)
        except ValueError as error:
            raise _unreadable(path, f"its member '{key}': {error}") from None
        header = member.tell()
    size = math.prod(shape) * dtype.itemsize
    if header + size > info.file_size:
        raise WeightsError("weights_member_short", path=str(path), key=key, want=human_bytes(size),
                           have=human_bytes(max(info.file_size - header, 0)))
    return size


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as member:
        return np.lib.format.read_array(member, allow_pickle=False)


def fitted(arrays: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]],
           owners: dict[str, tuple[str, str, object]]) -> dict[str, np.ndarray]:
    """``arrays`` checked key by key, in step order, against ``expected`` shapes and against the
    layer that owns each (``owners``: key -> (path, type, layer)), in the dtype the layer keeps:
    float32, or for a counter (batch norm's num_batches_tracked) a 64-bit integer, as in PyTorch."""
    result = {}
    for key, shape in expected.items():
        index, kind, layer = owners[key]
        if key not in arrays:
            raise WeightsError("weights_missing_key", key=key, index=index, type=kind, shape=shape)
        array = arrays[key]
        if array.dtype.kind not in "biuf":
            raise WeightsError("weights_not_numeric", key=key, dtype=array.dtype)
        if array.shape != shape:
            raise WeightsError("weights_bad_shape", key=key, got=array.shape, index=index, type=kind, want=shape)
        if not np.isfinite(array).all():
            raise WeightsError("weights_not_finite", key=key)
        part = key.rsplit(".", 1)[-1]
        problem = layer.state_problem(part, array)
        if problem is not None:
            raise WeightsError(problem, key=key, index=index, type=kind)
        # np.require, not ascontiguousarray, which makes a 0-d counter shape (1,).
        result[key] = np.require(array, dtype=layer.state_dtype(part), requirements="C")
    for key in arrays:
        if key not in expected:
            raise WeightsError("weights_extra_key", key=key, hint=closest(key, expected),
                               example=next(iter(expected), "0.weight"))
    return result



def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)
