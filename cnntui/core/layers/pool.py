"""Max and average pooling: a window that summarises, with nothing to learn."""

from __future__ import annotations

import numpy as np

from ..fields import Field
from ..messages import Message
from .base import Shape
from .windowed import WindowLayer, WindowStep, pair_text


class Pool2d(WindowLayer):
    """Shared by both poolings: stride defaults to the kernel, padding is limited."""

    def __init__(self, index, settings):
        if settings["stride"] is None:
            settings = {**settings, "stride": settings["kernel_size"]}
        super().__init__(index, settings)

    def padding_hint(self, need: int) -> Message:
        limit = min(k // 2 for k in self.kernel_size)
        return super().padding_hint(need) if need <= limit else Message("fix_smaller_kernel")

    def output_shape(self, shape: Shape) -> Shape:
        for pad, kernel in zip(self.padding, self.kernel_size):
            if pad > kernel // 2:
                raise self.error("pool_padding_too_big", padding=self.padding_shown(),
                                 kernel=pair_text(self.kernel_size),
                                 limit=pair_text(tuple(k // 2 for k in self.kernel_size)))
        return (shape[0], *self.output_hw(shape))

    def window_size_text(self) -> str:
        kh, kw = self.kernel_size
        return f"{kh}*{kw} = {kh * kw}"

    def work_elements(self, shape: Shape, out: Shape) -> int:
        rows, cols = self.axes(shape)
        return shape[0] * (rows.padded + rows.overhang) * (cols.padded + cols.overhang)


POOL_FIELDS = {
    "kernel_size": Field("pair", example=2),
    "stride": Field("optional_pair", None),
    "padding": Field("padding", 0),
    "ceil_mode": Field("bool", False),
}


class MaxPool2d(Pool2d):
    type = "maxpool2d"
    fields = {**POOL_FIELDS, "dilation": Field("pair", 1)}

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        return [*self.size_formulas(shape), f"y = max of {self.window_size_text()} values", "params = 0"]

    def forward(self, x: np.ndarray, params) -> np.ndarray:
        taps = self.windows(x, -np.inf)
        y = next(taps)[2].copy()
        for _, _, view in taps:
            np.maximum(y, view, out=y)
        return y

    def backward(self, x, y, grad_y, params):
        # Each output's gradient goes to the tap that won; on a tie, as in PyTorch,
        # to the first maximum in window order (rows, then columns).
        taps = list(self.windows(x, -np.inf))
        best = taps[0][2].copy()
        for _, _, view in taps[1:]:
            np.maximum(best, view, out=best)
        unclaimed = np.ones(best.shape, dtype=bool)  # outputs whose gradient no tap has taken yet
        hit = np.empty(best.shape, dtype=bool)
        zero = np.zeros((), dtype=grad_y.dtype)

        def shares():
            for i, j, view in taps:
                np.equal(view, best, out=hit)
                np.logical_and(hit, unclaimed, out=hit)
                np.logical_xor(unclaimed, hit, out=unclaimed)
                yield i, j, np.where(hit, grad_y, zero)

        return self.scatter(x.shape, shares(), grad_y.dtype), {}

    def step(self, x: np.ndarray, params, channel: int, row: int, col: int) -> WindowStep:
        """Output ``channel`` at (row, col): the largest value in the window (padding never wins)."""
        step = self.gather(x, [channel], row, col, -np.inf)
        flat = int(np.argmax(step.windows[0]))
        step.pick = divmod(flat, step.windows.shape[2])
        step.value = float(step.windows[0].flat[flat])
        return step


class AvgPool2d(Pool2d):
    type = "avgpool2d"
    fields = {**POOL_FIELDS, "count_include_pad": Field("bool", True)}

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        return [*self.size_formulas(shape), self.divisor_text(shape), "params = 0"]

    def divisor_text(self, shape: Shape) -> str:
        """How each window's sum is divided: by the full window unless PyTorch's rule makes edge windows smaller."""
        rows, cols = self.axes(shape)
        full = rows.kernel * cols.kernel
        sizes = np.outer(rows.window_sizes(self.count_include_pad), cols.window_sizes(self.count_include_pad))
        if (sizes == full).all():
            padded = " (padding counts as 0)" if rows.pad_lo or rows.pad_hi or cols.pad_lo or cols.pad_hi else ""
            return f"y = sum of {self.window_size_text()} values / {full}{padded}"
        counted = "the values it covers" if not self.count_include_pad else "its part inside the padded input"
        return (f"y = sum of the window / {counted}: {int(sizes.min())} to {full} "
                f"(edge windows divide by fewer than {full})")

    def forward(self, x: np.ndarray, params) -> np.ndarray:
        taps = self.windows(x, 0.0)
        y = next(taps)[2].copy()
        for _, _, view in taps:
            y += view
        rows, cols = self.geometry(x.shape[1:])[:2]
        divisor = np.outer(rows.window_sizes(self.count_include_pad), cols.window_sizes(self.count_include_pad))
        y /= divisor.astype(y.dtype)
        return y

    def backward(self, x, y, grad_y, params):
        # Every tap of a window gets the output's gradient over that window's divisor;
        # taps in the padding are dropped.
        rows, cols = self.geometry(x.shape[1:])[:2]
        divisor = np.outer(rows.window_sizes(self.count_include_pad), cols.window_sizes(self.count_include_pad))
        share = grad_y / divisor.astype(grad_y.dtype)
        taps = ((i, j, share) for i in range(rows.kernel) for j in range(cols.kernel))
        return self.scatter(x.shape, taps, grad_y.dtype), {}

    def step(self, x: np.ndarray, params, channel: int, row: int, col: int) -> WindowStep:
        """Output ``channel`` at (row, col): the window's sum over PyTorch's divisor
        (padding counts as zeros, and in the divisor only with count_include_pad)."""
        step = self.gather(x, [channel], row, col, 0.0)
        rows, cols = self.axes(x.shape)
        include = self.count_include_pad
        step.divisor = int(rows.window_sizes(include)[row] * cols.window_sizes(include)[col])
        step.value = float(step.windows[0].sum() / step.divisor)
        return step
