"""Making, reading and writing weights in PyTorch's layout and naming.

Keys are ``"{i}.weight"`` and ``"{i}.bias"`` with ``i`` the layer's index, the
names an ``nn.Sequential`` state_dict uses, so weights move to and from
PyTorch with no renaming. Files are read without unpickling.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from .errors import BudgetError, WeightsError, closest
from .files import atomic_write

RELU_FAMILY = {"relu", "leaky_relu"}


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def init_scheme(layer_types: list[str]) -> str:
    """He init keeps ReLU nets' signals from fading; Xavier suits sigmoid and tanh."""
    return "he" if RELU_FAMILY & set(layer_types) else "xavier"


def initial_weights(shapes: dict[str, tuple[int, ...]], scheme: str, seed: int) -> dict[str, np.ndarray]:
    """Weights drawn deterministically from ``seed``; biases start at zero.

    He: normal with std sqrt(2 / fan_in). Xavier: uniform in
    +-sqrt(6 / (fan_in + fan_out)). fan_in counts one output's inputs
    (in_channels * kh * kw for a conv), as in PyTorch.
    """
    rng = np.random.default_rng(seed)
    weights = {}
    for key, shape in shapes.items():
        if key.endswith(".bias"):
            weights[key] = np.zeros(shape, dtype=np.float32)
            continue
        receptive = math.prod(shape[2:])
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
        if scheme == "he":
            weights[key] = rng.standard_normal(shape, dtype=np.float32) * np.float32(math.sqrt(2 / fan_in))
        else:
            limit = math.sqrt(6 / (fan_in + fan_out))
            weights[key] = rng.uniform(-limit, limit, shape).astype(np.float32)
    return weights


def check_budget(name: str, params: int, budget: int) -> None:
    size = params * 4
    if size > budget:
        raise BudgetError("weights_too_big", name=name, params=f"{params:,}", size=human_bytes(size),
                          budget=human_bytes(budget))


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an .npz file, refusing pickled objects."""
    def unreadable(reason: str) -> WeightsError:
        return WeightsError("weights_unreadable", path=str(path), reason=reason)

    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"PK":
                raise unreadable("it is not an .npz archive (the zip of named arrays that np.savez writes)")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        for key, value in arrays.items():
            if not isinstance(value, np.ndarray):
                raise unreadable(f"its member '{key}' is not a .npy array")
        return arrays
    except WeightsError:
        raise
    except OSError as error:
        raise unreadable(error.strerror or str(error)) from None
    except (ValueError, zipfile.BadZipFile, EOFError, KeyError) as error:
        raise unreadable(str(error) or type(error).__name__) from None


def fitted(arrays: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]],
           owners: dict[str, tuple[int, str]]) -> dict[str, np.ndarray]:
    """``arrays`` checked key by key, in layer order, against ``expected`` shapes; as float32."""
    result = {}
    for key, shape in expected.items():
        index, kind = owners[key]
        if key not in arrays:
            raise WeightsError("weights_missing_key", key=key, index=index, type=kind, shape=shape)
        array = arrays[key]
        if array.dtype.kind not in "biuf":
            raise WeightsError("weights_not_numeric", key=key, dtype=array.dtype)
        if array.shape != shape:
            raise WeightsError("weights_bad_shape", key=key, got=array.shape, index=index, type=kind, want=shape)
        if not np.isfinite(array).all():
            raise WeightsError("weights_not_finite", key=key)
        result[key] = np.ascontiguousarray(array, dtype=np.float32)
    for key in arrays:
        if key not in expected:
            raise WeightsError("weights_extra_key", key=key, hint=closest(key, expected))
    return result


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)
