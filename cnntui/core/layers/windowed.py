"""What convolution and pooling share: a window sliding over feature maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..messages import Message
from ..window import Axis, describe_positions
from .base import DerivationLine, Layer, Reach, Shape, rf_line, shape_line


def pair_text(pair: tuple[int, int]) -> str:
    return f"{pair[0]}x{pair[1]}"


@dataclass
class WindowStep:
    """How one output value comes from one window of the input: the step-through's numbers.

    ``rows``/``cols`` are the input positions of the kernel taps (outside
    0..H-1 / 0..W-1 they fall in the padding); ``windows`` holds, for each
    input channel used, the values under the taps (padding shows as ``fill``).
    """

    rows: np.ndarray
    cols: np.ndarray
    channels: list[int]  # the input channels the value reads
    windows: np.ndarray  # (len(channels), kh, kw)
    inside: np.ndarray  # (kh, kw) True where a tap is on the real input
    value: float  # the layer's output at this position
    kernels: np.ndarray | None = None  # conv: (len(channels), kh, kw)
    channel_sums: np.ndarray | None = None  # conv: sum of window * kernel, per input channel
    bias: float = 0.0
    divisor: int = 0  # average pooling: how many values the sum is divided by
    pick: tuple[int, int] | None = None  # max pooling: the tap whose value wins

    @property
    def products(self) -> np.ndarray:
        return self.windows * self.kernels


class WindowLayer(Layer):
    """A layer whose every output looks at one kernel-sized window of its input."""

    stride: tuple[int, int]
    kernel_size: tuple[int, int]
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False

    def __init__(self, index, settings):
        super().__init__(index, settings)
        self._geometry: dict[Shape, tuple] = {}
        self._axes: dict[Shape, tuple[Axis, Axis]] = {}

    def pads(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) padding."""
        ph, pw = self.padding
        return ph, ph, pw, pw

    def axes(self, shape: Shape) -> tuple[Axis, Axis]:
        # Asked for several times per layer while a network is analysed (ResNet-50's 53 convs):
        # worked out once per input shape.
        if shape in self._axes:
            return self._axes[shape]
        self._axes[shape] = self._new_axes(shape)
        return self._axes[shape]

    def _new_axes(self, shape: Shape) -> tuple[Axis, Axis]:
        top, bottom, left, right = self.pads()
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        return (Axis(shape[1], kh, sh, top, bottom, dh, self.ceil_mode),
                Axis(shape[2], kw, sw, left, right, dw, self.ceil_mode))

    def padding_hint(self, need: int) -> Message:
        return Message("fix_padding", {"need": need})

    def check_fit(self, shape: Shape) -> tuple[Axis, Axis]:
        self.require_maps(shape)
        rows, cols = self.axes(shape)
        if not (rows.fits and cols.fits):
            need = max(-(-(rows.span - rows.size) // 2), -(-(cols.span - cols.size) // 2))
            spans = (rows.span, cols.span)
            raise self.error(
                "kernel_too_big", kernel=pair_text(self.kernel_size),
                span="" if spans == self.kernel_size else Message(
                    "dilated_span", {"dilation": pair_text(self.dilation), "spans": pair_text(spans)}),
                size=pair_text(shape[1:]), padding=self.padding_shown(), fix=self.padding_hint(need))
        return rows, cols

    def padding_shown(self) -> str:
        top, bottom, left, right = self.pads()
        if top == bottom == left == right:
            return str(top)
        return f"{top}+{bottom}x{left}+{right}"

    def output_hw(self, shape: Shape) -> tuple[int, int]:
        rows, cols = self.check_fit(shape)
        return rows.out, cols.out

    def size_formulas(self, shape: Shape) -> list[DerivationLine]:
        rows, cols = self.axes(shape)
        return [shape_line(rows.formula("H")), shape_line(cols.formula("W"))]

    def notes(self, shape: Shape, out: Shape) -> list[Message]:
        found = []
        for axis, name, stride in zip(self.axes(shape), ("rows", "columns"), self.stride):
            unused = axis.unused()
            if unused:
                found.append(Message("unused_inputs", {"stride": stride, "axis": name,
                                                       "which": describe_positions(unused)}))
        return found

    def spans(self) -> tuple[int, int]:
        (kh, kw), (dh, dw) = self.kernel_size, self.dilation
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1

    def reach(self, before: Reach) -> Reach:
        (rh, rw), (jh, jw), (sh, sw) = before.size, before.jump, self.stride
        span_h, span_w = self.spans()
        return Reach((rh + (span_h - 1) * jh, rw + (span_w - 1) * jw), (jh * sh, jw * sw), before.image)

    def reach_text(self, before: Reach, after: Reach) -> list[DerivationLine]:
        lines = [f"RF{{0}} = {before.size[a]} + ({span}-1)*{before.jump[a]} = {after.size[a]}, "
                 f"jump{{0}} = {before.jump[a]}*{stride} = {after.jump[a]}"
                 for a, (span, stride) in enumerate(zip(self.spans(), self.stride))]
        if lines[0] == lines[1]:
            return [rf_line(lines[0].format(""))]
        return [rf_line(lines[0].format("_h")), rf_line(lines[1].format("_w"))]

    def geometry(self, shape: Shape) -> tuple[Axis, Axis, tuple[int, int, int, int], list]:
        """Per input shape, what the forward pass needs: both axes, the padding
        (ceil_mode overhang included) and each kernel tap's (i, j, row slice, column slice)."""
        if shape in self._geometry:
            return self._geometry[shape]
        rows, cols = self.axes(shape)
        top, bottom, left, right = self.pads()
        pads = (top, bottom + rows.overhang, left, right + cols.overhang)
        taps = [(i, j, rows.tap_slice(i), cols.tap_slice(j)) for i in range(rows.kernel) for j in range(cols.kernel)]
        self._geometry[shape] = rows, cols, pads, taps
        return self._geometry[shape]

    def taps_at(self, shape: Shape, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
        """Input rows and columns the window of output (row, col) reads; may lie in the padding."""
        rows, cols = self.axes(shape)
        return (row * rows.stride - rows.pad_lo + np.arange(rows.kernel) * rows.dilation,
                col * cols.stride - cols.pad_lo + np.arange(cols.kernel) * cols.dilation)

    def gather(self, x: np.ndarray, channels: list[int], row: int, col: int, fill: float) -> WindowStep:
        """The values under the window of output (row, col), for one sample ``x`` (C, H, W)."""
        rows, cols = self.taps_at(x.shape, row, col)
        inside = np.outer((rows >= 0) & (rows < x.shape[1]), (cols >= 0) & (cols < x.shape[2]))
        windows = np.full((len(channels), len(rows), len(cols)), fill, dtype=np.float64)
        r, c = np.clip(rows, 0, x.shape[1] - 1), np.clip(cols, 0, x.shape[2] - 1)
        windows[:, inside] = x[np.ix_(channels, r, c)][:, inside]
        return WindowStep(rows, cols, channels, windows, inside, 0.0)

    def windows(self, x: np.ndarray, fill: float):
        """Yield (i, j, view): for kernel tap (i, j), the input each output reads there.

        ``x`` is padded with ``fill`` first; the views are strided, never copied.
        """
        _, _, (top, bottom, left, right), taps = self.geometry(x.shape[1:])
        if top or bottom or left or right:
            n, c, h, w = x.shape
            padded = np.full((n, c, h + top + bottom, w + left + right), fill, dtype=x.dtype)
            padded[:, :, top:top + h, left:left + w] = x
            x = padded
        for i, j, row_slice, col_slice in taps:
            yield i, j, x[:, :, row_slice, col_slice]

    def scatter(self, shape: tuple[int, ...], tap_grads, dtype, work: np.ndarray | None = None) -> np.ndarray:
        """The backward of ``windows``: add each tap's gradient (one value per output,
        from the (i, j, grad) pairs of ``tap_grads``) to the input position it read,
        and drop what fell in the padding. ``shape`` is the batch input's (N, C, H, W).

        With ``work``, an array of the padded shape to sum in (its contents are
        overwritten), the result is a view into it rather than a new array."""
        n, c, h, w = shape
        _, _, (top, bottom, left, right), taps = self.geometry(shape[1:])
        if work is None:
            padded = np.zeros((n, c, h + top + bottom, w + left + right), dtype=dtype)
        else:
            padded = work
            padded.fill(0)
        slices = {(i, j): (row_slice, col_slice) for i, j, row_slice, col_slice in taps}
        for i, j, grad in tap_grads:
            # Within one tap the outputs read distinct positions, so += on the view is exact.
            row_slice, col_slice = slices[i, j]
            padded[:, :, row_slice, col_slice] += grad
        if top or bottom or left or right:
            inside = padded[:, :, top:top + h, left:left + w]
            return inside if work is not None else np.ascontiguousarray(inside)
        return padded
