"""Classic hand-made 3x3 kernels, to put into a conv layer and watch what they find."""

from __future__ import annotations

import numpy as np

from .errors import CnntuiError, closest


def _k(rows, scale=1.0):
    return np.array(rows, dtype=np.float32) * np.float32(scale)


CLASSIC_KERNELS: dict[str, np.ndarray] = {
    "identity": _k([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box_blur": _k([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9),
    "gaussian": _k([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    # Cross-correlation, as conv layers compute: sobel_x is large where
    # brightness rises from left to right, i.e. on vertical edges.
    "sobel_x": _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "laplacian": _k([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "sharpen": _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "emboss": _k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
}


def classic_kernel(name: str) -> np.ndarray:
    try:
        return CLASSIC_KERNELS[name].copy()
    except KeyError:
        raise CnntuiError("unknown_kernel", got=name, hint=closest(name, CLASSIC_KERNELS),
                          known=", ".join(CLASSIC_KERNELS)) from None
