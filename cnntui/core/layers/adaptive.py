"""adaptive_avg_pool2d: average pooling that picks its windows to give a chosen output size."""

from __future__ import annotations

import numpy as np

from ..fields import Field
from .base import (DerivationLine, KerasCode, Layer, Reach, Shape, other_line, params_line, python_value, rf_line,
                   shape_line)
from .windowed import pair_text


def window_bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's windows along one axis: output i averages positions floor(i*size/out) to
    ceil((i+1)*size/out) - 1. Windows overlap when ``size`` is not a multiple of ``out``."""
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def averaging_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size): row i holds 1/len over window i, so matrix @ values averages each window."""
    starts, ends = window_bounds(size, out)
    positions = np.arange(size)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Layer):
    type = "adaptive_avg_pool2d"
    keyword = "adaptivepool"
    text_lead = "output_size"  # "adaptivepool 7" or "adaptivepool 2x3"
    fields = {"output_size": Field("pair", example=1)}

    def pytorch_module(self, shape: Shape) -> str:
        return f"nn.AdaptiveAvgPool2d({python_value(self.output_size)})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        # Keras has no adaptive pooling. An average pooling whose steps fit the output exactly gives
        # the same windows where the input is a multiple of the output (and in some other cases).
        strides = tuple(size // out for size, out in zip(shape[1:], self.output_size))
        kernel = tuple(size - (out - 1) * step for size, out, step in zip(shape[1:], self.output_size, strides))
        same = all(np.array_equal(window_bounds(size, out), (np.arange(out) * step, np.arange(out) * step + k))
                   for size, out, step, k in zip(shape[1:], self.output_size, strides, kernel))
        layer = f"layers.AveragePooling2D(pool_size={python_value(kernel)}, strides={python_value(strides)})"
        if same:
            return KerasCode.one(layer, "# Keras has no adaptive pooling; for this input size this is the same")
        return KerasCode.one(layer, "# Keras has no adaptive pooling; this approximates PyTorch's uneven windows")

    def output_shape(self, shape: Shape) -> Shape:
        self.require_maps(shape)
        self.input_hw = shape[1:]  # the windows depend on it; reach needs them
        return (shape[0], *self.output_size)

    def window_sizes(self, axis: int) -> np.ndarray:
        starts, ends = window_bounds(self.input_hw[axis], self.output_size[axis])
        return ends - starts

    def strides(self, axis: int) -> int:
        """The largest step between neighbouring windows (one window: its whole size)."""
        starts, ends = window_bounds(self.input_hw[axis], self.output_size[axis])
        return int(np.diff(starts).max()) if len(starts) > 1 else int(ends[0])

    def reach(self, before: Reach) -> Reach:
        # Every output sees at most the largest window, as a pooling with that kernel would.
        sizes = tuple(before.size[a] + (int(self.window_sizes(a).max()) - 1) * before.jump[a] for a in (0, 1))
        jumps = tuple(before.jump[a] * self.strides(a) for a in (0, 1))
        return Reach(sizes, jumps, before.image)

    def reach_text(self, before: Reach, after: Reach) -> list[DerivationLine]:
        lines = [f"RF{{0}} = {before.size[a]} + ({int(self.window_sizes(a).max())}-1)*{before.jump[a]} = "
                 f"{after.size[a]}, jump{{0}} = {before.jump[a]}*{self.strides(a)} = {after.jump[a]}"
                 for a in (0, 1)]
        if lines[0] == lines[1]:
            return [rf_line(lines[0].format(""))]
        return [rf_line(lines[0].format("_h")), rf_line(lines[1].format("_w"))]

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        lines = []
        for axis, name in ((0, "h"), (1, "w")):
            size, count = shape[1 + axis], out[1 + axis]
            sizes = self.window_sizes(axis)
            spread = str(sizes[0]) if (sizes == sizes[0]).all() else f"{sizes.min()} to {sizes.max()}"
            lines.append(other_line(
                f"window_{name}(i) = ceil((i+1)*{size}/{count}) - floor(i*{size}/{count}) = {spread}"))
        # The output's size is the setting itself: this line is the one that states it.
        return [*lines, shape_line(f"y = mean of each window, output {pair_text(self.output_size)}"),
                params_line("params = 0")]

    def forward(self, x, params, training=False, memo=None):
        # rows @ map @ columns^T averages every window: two small matrix products per map.
        rows = averaging_matrix(x.shape[2], self.output_size[0], x.dtype)
        cols = averaging_matrix(x.shape[3], self.output_size[1], x.dtype)
        return rows @ x @ cols.T

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        rows = averaging_matrix(x.shape[2], self.output_size[0], grad_y.dtype)
        cols = averaging_matrix(x.shape[3], self.output_size[1], grad_y.dtype)
        return rows.T @ grad_y @ cols, {}
