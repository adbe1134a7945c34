"""conv2d: a small kernel of shared weights slid over every input position."""

from __future__ import annotations

import math
import threading

import numpy as np

from ..errors import SpecError
from ..fields import Field
from ..messages import Message
from .base import DerivationLine, KerasCode, Shape, keyword_args, macs_line, other_line, params_line, python_value
from .windowed import WindowLayer, WindowStep

COLUMN_BLOCK_BYTES = 2 << 20  # im2col buffer size; see Conv2d.column_blocks
SCRATCH_LIMIT = 8 << 20  # work arrays up to this size are kept for the next call
_scratch = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A work array, contents undefined, kept per thread for the next call: a batch's
    blocks are the same few sizes layer after layer, and reusing the memory saves the
    page faults of fresh multi-megabyte arrays, which cost more than filling them."""
    dtype = np.dtype(dtype)
    size = math.prod(shape) * dtype.itemsize
    if size > SCRATCH_LIMIT:
        return np.empty(shape, dtype=dtype)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.size < size:
        buffer = buffers[name] = np.empty(max(size, 1 << 16), dtype=np.uint8)
    return buffer[:size].view(dtype).reshape(shape)


def divisors_text(number: int) -> str:
    """The divisors of ``number``, "1, 2, 4, 8"; a long list keeps its ends: "1, 2, 3, 4, ..., 360, 720"."""
    small = [d for d in range(1, math.isqrt(number) + 1) if number % d == 0]
    found = sorted({*small, *(number // d for d in small)})
    if len(found) > 12:
        return ", ".join(map(str, found[:4])) + ", ..., " + ", ".join(map(str, found[-2:]))
    return ", ".join(map(str, found))


def phase_slices(size: int, pad: int, stride: int, phase: int) -> tuple[slice, slice]:
    """Along one axis, padded positions phase, phase + stride, ... (plane positions 0, 1, ...):
    (the plane positions that hold input values, the input positions they hold)."""
    first = max(0, -(-(pad - phase) // stride))  # the first plane position past the padding
    start = phase + stride * first - pad
    if start >= size:
        return slice(0, 0), slice(0, 0)
    count = -(-(size - start) // stride)
    return slice(first, first + count), slice(start, start + stride * (count - 1) + 1, stride)


class Conv2d(WindowLayer):
    type = "conv2d"
    keyword = "conv"
    text_lead = "out_channels"  # "conv 16 k3"
    text_options = {"k": "kernel_size", "s": "stride", "p": "padding", "d": "dilation", "g": "groups"}
    text_flags = {"nobias": ("bias", False)}
    has_neurons = True
    worked_before_activation = True
    fields = {
        "out_channels": Field("count", example=16),
        "kernel_size": Field("pair", example=3),
        "stride": Field("pair", 1),
        "padding": Field("conv_padding", 0),
        "dilation": Field("pair", 1),
        "groups": Field("count", 1),
        "bias": Field("bool", True),
    }

    @classmethod
    def check_settings(cls, settings) -> None:
        if settings["padding"] == "same" and settings["stride"] != (1, 1):
            stride = settings["stride"]
            raise SpecError("same_needs_stride_1", field="padding",
                            stride=stride[0] if stride[0] == stride[1] else list(stride))

    def pads(self) -> tuple[int, int, int, int]:
        if self.padding == "valid":
            return 0, 0, 0, 0
        if self.padding == "same":
            # PyTorch puts the odd pixel of an even kernel's padding at the end.
            total_h, total_w = (d * (k - 1) for k, d in zip(self.kernel_size, self.dilation))
            return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
        return super().pads()

    def output_shape(self, shape: Shape) -> Shape:
        out = (self.out_channels, *self.output_hw(shape))
        self.check_groups(shape[0])
        return out

    def check_groups(self, c_in: int) -> None:
        """PyTorch splits both the input and the output channels into ``groups`` equal parts."""
        for code, channels in (("groups_in_channels", c_in), ("groups_out_channels", self.out_channels)):
            if channels % self.groups:
                raise self.error(code, field="groups", groups=self.groups, channels=channels, c_in=c_in,
                                 c_out=self.out_channels, choices=divisors_text(math.gcd(c_in, self.out_channels)))

    def depthwise(self, c_in: int) -> bool:
        """groups == C_in: every input channel has filters of its own, which read only that channel."""
        return self.groups == c_in > 1

    def pointwise(self) -> bool:
        """A 1x1 kernel over all the input channels: it mixes channels at each position, nothing across positions."""
        return self.groups == 1 and tuple(self.kernel_size) == (1, 1)

    def param_shapes(self, shape: Shape) -> dict[str, Shape]:
        shapes = {"weight": (self.out_channels, shape[0] // self.groups, *self.kernel_size)}
        if self.bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def macs(self, shape: Shape, out: Shape) -> int:
        kh, kw = self.kernel_size
        return out[0] * out[1] * out[2] * (shape[0] // self.groups) * kh * kw

    def fc_equivalent_params(self, shape: Shape, out: Shape) -> int:
        inputs, outputs = shape[0] * shape[1] * shape[2], out[0] * out[1] * out[2]
        return (inputs + int(self.bias)) * outputs

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        (kh, kw), c_in, c_out = self.kernel_size, shape[0], self.out_channels
        # With groups, each filter reads only its group's C_in/groups channels.
        reads = str(c_in) if self.groups == 1 else f"({c_in}/{self.groups})"
        per_filter = f"{kh}*{kw}*{reads}"
        params = (f"params = ({per_filter} + 1)*{c_out}" if self.bias else f"params = {per_filter}*{c_out}")
        n_in, n_out = "*".join(map(str, shape)), "*".join(map(str, out))
        fc = f"({n_in} + 1)*({n_out})" if self.bias else f"({n_in})*({n_out})"
        grouping = [other_line(f"groups = C_in = {c_in} (depthwise)")] if self.depthwise(c_in) else []
        return [
            *self.size_formulas(shape),
            *grouping,
            params_line(f"{params} = {sum(math.prod(s) for s in self.param_shapes(shape).values())}"),
            macs_line(f"MACs = {out[0]}*{out[1]}*{out[2]}*{reads}*{kh}*{kw} = {self.macs(shape, out)}"),
            other_line(f"FC equivalent = {fc} = {self.fc_equivalent_params(shape, out)}"),
        ]

    def notes(self, shape: Shape, out: Shape) -> list[Message]:
        depthwise = [Message("depthwise_conv", {"channels": shape[0]})] if self.depthwise(shape[0]) else []
        return [*depthwise, *super().notes(shape, out)]

    def pytorch_module(self, shape: Shape) -> str:
        names = {name: name for name in ("kernel_size", "stride", "padding", "dilation", "groups", "bias")}
        return f"nn.Conv2d({shape[0]}, {self.out_channels}, {', '.join(keyword_args(self, names))})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        # Keras pads only "valid" or "same": a number of pixels is a padding layer of its own.
        numeric = not isinstance(self.padding, str) and self.padding != (0, 0)
        before = [f"layers.ZeroPadding2D(padding={python_value(self.padding)})"] if numeric else []
        options = [f"{self.out_channels}", f"kernel_size={python_value(self.kernel_size)}"]
        options += keyword_args(self, {"stride": "strides"})
        options += ["padding='same'"] if self.padding == "same" else []
        options += keyword_args(self, {"dilation": "dilation_rate", "groups": "groups"})
        options += [] if self.bias else ["use_bias=False"]
        return KerasCode((*before, f"layers.Conv2D({', '.join(options)})"))

    def work_elements(self, shape: Shape, out: Shape) -> int:
        kh, kw = self.kernel_size
        rows, cols = self.axes(shape)
        if self.depthwise(shape[0]):  # the phase planes (the padded input, split) and the products
            return shape[0] * rows.padded * cols.padded + out[0] * out[1] * out[2]
        return shape[0] * (kh * kw * out[1] * out[2] + rows.padded * cols.padded)

    def column_blocks(self, x: np.ndarray):
        """im2col, a few images at a time: yield (first, stop, columns), where ``columns``
        is (C_in*kh*kw, images*H_out*W_out) for images first..stop-1, channels and taps
        outermost so that one 2-D matrix product with the (C_out, C_in*kh*kw) weights
        covers every position of every image in the block.

        Blocks of about COLUMN_BLOCK_BYTES stay in the processor's cache, which makes
        filling them and multiplying by them several times faster than one huge matrix.
        They share one scratch buffer: a block is only valid until the next one is asked
        for, and only one of these generators may be running in a thread at a time.
        """
        n, c_in = x.shape[:2]
        kh, kw = self.kernel_size
        rows, cols = self.geometry(x.shape[1:])[:2]
        per_image = c_in * kh * kw * rows.out * cols.out
        step = max(1, min(n, COLUMN_BLOCK_BYTES // max(per_image * x.itemsize, 1)))
        buffer = scratch("columns", (c_in, kh, kw, step, rows.out, cols.out), x.dtype)
        pointwise = (kh, kw) == self.stride == (1, 1) and not any(self.geometry(x.shape[1:])[2])
        for first in range(0, n, step):
            stop = min(n, first + step)
            if pointwise and stop - first == 1:
                # A 1x1 kernel's columns for one image are the image itself, (C_in, H*W): no copy.
                yield first, stop, x[first].reshape(c_in, -1)
                continue
            block = buffer[:, :, :, :stop - first]
            for i, j, view in self.windows(x[first:stop], 0.0):
                block[:, i, j] = view.transpose(1, 0, 2, 3)
            yield first, stop, block.reshape(c_in * kh * kw, -1)

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training=False, memo=None) -> np.ndarray:
        if self.depthwise(x.shape[1]):
            return self.depthwise_forward(x, params)
        weight = params["weight"]
        n, c_out = x.shape[0], weight.shape[0]
        rows, cols = self.geometry(x.shape[1:])[:2]
        matrix = self.by_group(weight.reshape(c_out, -1))
        y = np.empty((n, c_out, rows.out, cols.out), dtype=np.result_type(x, weight))
        for first, stop, columns in self.column_blocks(x):
            # (C_out, K) @ (K, images*positions): one BLAS call (one per group), then back to NCHW.
            if stop - first == 1:  # one image's product is its output already, (C_out, H_out*W_out)
                np.matmul(matrix, self.by_group(columns), out=self.by_group(y[first].reshape(c_out, -1)))
                continue
            product = scratch("product", (c_out, columns.shape[1]), y.dtype)
            np.matmul(matrix, self.by_group(columns), out=self.by_group(product))
            y[first:stop] = product.reshape(c_out, stop - first, rows.out, cols.out).transpose(1, 0, 2, 3)
        if self.bias:
            y += params["bias"][:, None, None]
        return y

    def by_group(self, matrix: np.ndarray) -> np.ndarray:
        """A (rows, columns) matrix whose rows run group by group, as a (groups, rows/groups, columns)
        stack for np.matmul; without groups, the matrix itself (one plain matrix product)."""
        if self.groups == 1:
            return matrix
        return matrix.reshape(self.groups, -1, matrix.shape[-1])

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        if self.depthwise(x.shape[1]):
            return self.depthwise_backward(x, grad_y, params)
        weight = params["weight"]
        c_in = x.shape[1]
        c_out, _, kh, kw = weight.shape
        rows, cols = self.geometry(x.shape[1:])[:2]
        matrix = self.by_group(weight.reshape(c_out, -1))
        dtype = np.result_type(x, grad_y, weight)
        grad_weight = np.zeros(matrix.shape, dtype=dtype)
        plane_rows, width = self.plane_size(x.shape)
        (sh, sw) = self.stride
        # dL/d(the padded input), in the phase planes' layout (see phase_planes), as depthwise_backward
        # sums it: each tap's grad then goes to one contiguous run per image and channel, not row by
        # short row (several times faster for small maps).
        planes = np.zeros((sh, sw, x.shape[0], c_in, plane_rows * width), dtype=dtype)
        for first, stop, columns in self.column_blocks(x):
            images = stop - first
            grad = scratch("grad", (c_out, images, rows.out, cols.out), grad_y.dtype)
            np.copyto(grad, grad_y[first:stop].transpose(1, 0, 2, 3))
            # dL/dW sums, over images and positions, output grad times the column it came from.
            grad_weight += self.by_group(grad.reshape(c_out, -1)) @ self.by_group(columns).swapaxes(-1, -2)
            # col2im: each column entry's grad goes back to the input value it copied. The output grad's
            # rows are widened to the planes' width with zeros, so each tap's grad columns line up with
            # its run (the zeros land in the padding or the spare row).
            wide = scratch("wide", (c_out, images, rows.out, width), dtype)
            wide[..., cols.out:] = 0
            wide[..., :cols.out] = grad
            grad_columns = scratch("product", (c_in * kh * kw, images * rows.out * width), dtype)
            np.matmul(matrix.swapaxes(-1, -2), self.by_group(wide.reshape(c_out, -1)),
                      out=self.by_group(grad_columns))
            grad_columns = grad_columns.reshape(c_in, kh * kw, images, rows.out * width)
            block = planes[:, :, first:stop]
            for number, a, b, run in self.plane_taps(width, rows.out):
                # Within one tap the outputs read distinct positions, so += on the run is exact.
                block[a, b, :, :, run] += grad_columns[:, number].swapaxes(0, 1)
        grad_x = self.from_planes(planes.reshape(sh, sw, x.shape[0], c_in, plane_rows, width), x.shape)
        grads = {"weight": grad_weight.reshape(weight.shape).astype(weight.dtype, copy=False)}
        if self.bias:
            grads["bias"] = grad_y.sum(axis=(0, 2, 3)).astype(params["bias"].dtype, copy=False)
        return grad_x, grads

    # Depthwise: output channel c*m + k (k < m, the channel multiplier C_out/C_in) is input channel c's
    # window times its own kernel. Summing tap by tap, each tap one element-wise product over every
    # channel and position at once, needs neither im2col's copies nor a matrix product per channel.
    # The input is laid out as stride x stride "phase planes" (rows a, a+s, a+2s, ... of the padded
    # input), each flattened, so that every tap reads one contiguous run of each plane: the products
    # then run over thousands of values at a time, as fast as numpy goes, not over one short row.

    def phase_planes(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """(planes, width): planes[a, b] is (N, C, rows*width), the padded input's positions
        (a + s_h*r, b + s_w*q) at r*width + q, with one spare row of zeros at the end so that the
        last tap's run never passes the end. Only positions of ``x`` itself are non-zero."""
        n, c = x.shape[:2]
        (sh, sw) = self.stride
        rows, width = self.plane_size(x.shape)
        planes = np.zeros((sh, sw, n, c, rows, width), dtype=x.dtype)
        for a, b, plane_rows, plane_cols, x_rows, x_cols in self.phase_parts(x.shape):
            planes[a, b, :, :, plane_rows, plane_cols] = x[:, :, x_rows, x_cols]
        return planes.reshape(sh, sw, n, c, rows * width), width

    def from_planes(self, planes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """The way back from ``phase_planes`` for a gradient: dL/dx, shaped ``shape``, from dL/d(the
        planes), shaped (s_h, s_w, N, C, rows, width); what fell in the padding is dropped. With
        stride 1 the one plane is the padded input's gradient, and dL/dx a view of it (no copy)."""
        parts = list(self.phase_parts(shape))
        if len(parts) == 1:
            _, _, plane_rows, plane_cols, _, _ = parts[0]
            return planes[0, 0, :, :, plane_rows, plane_cols]
        grad_x = np.empty(shape, dtype=planes.dtype)
        for a, b, plane_rows, plane_cols, x_rows, x_cols in parts:
            grad_x[:, :, x_rows, x_cols] = planes[a, b, :, :, plane_rows, plane_cols]
        return grad_x

    def plane_size(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(rows, width) of each phase plane of a batch shaped ``shape``, the spare row included."""
        top, bottom, left, right = self.geometry(shape[1:])[2]
        (sh, sw) = self.stride
        return -(-(shape[2] + top + bottom) // sh) + 1, -(-(shape[3] + left + right) // sw)

    def phase_parts(self, shape: tuple[int, ...]):
        """(a, b, plane rows, plane columns, x rows, x columns) slices: where each plane holds ``x``."""
        top, _, left, _ = self.geometry(shape[1:])[2]
        for a in range(self.stride[0]):
            for b in range(self.stride[1]):
                plane_rows, x_rows = phase_slices(shape[2], top, self.stride[0], a)
                plane_cols, x_cols = phase_slices(shape[3], left, self.stride[1], b)
                yield a, b, plane_rows, plane_cols, x_rows, x_cols

    def plane_taps(self, width: int, out_rows: int):
        """(tap number, plane a, plane b, run): the run of a flattened plane tap (i, j) reads."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        for i in range(kh):
            for j in range(kw):
                start = (i * dh // sh) * width + j * dw // sw
                yield i * kw + j, i * dh % sh, j * dw % sw, slice(start, start + out_rows * width)

    def depthwise_taps(self, weight: np.ndarray, c_in: int) -> np.ndarray:
        """The weights as (C_in, multiplier, kh*kw)."""
        return weight.reshape(c_in, weight.shape[0] // c_in, -1)

    def depthwise_forward(self, x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
        weight = params["weight"]
        n, c_in = x.shape[:2]
        rows, cols = self.geometry(x.shape[1:])[:2]
        planes, width = self.phase_planes(x)
        taps = self.depthwise_taps(weight, c_in)[..., None]  # broadcast over the run
        multiplier = taps.shape[1]
        y = np.empty((n, c_in, multiplier, rows.out * width), dtype=np.result_type(x, weight))
        # (Summing a few channels at a time, to stay in the processor's cache, measured no faster.)
        term = scratch("product", y.shape, y.dtype)
        for number, a, b, run in self.plane_taps(width, rows.out):
            values, tap = planes[a, b, :, :, None, run], taps[:, :, number]
            if number == 0:
                np.multiply(values, tap, out=y)
            else:
                y += np.multiply(values, tap, out=term)
        # Columns past W_out in each row of the run are the flattening's leftovers: the output is a
        # view that leaves them out, as every layer reads its input through numpy (no copy needed).
        y = y.reshape(n, c_in * multiplier, rows.out, width)[..., :cols.out]
        if self.bias:
            y = y + params["bias"][:, None, None]
        return y

    def depthwise_backward(self, x, grad_y, params):
        weight = params["weight"]
        n, c_in = x.shape[:2]
        rows, cols = self.geometry(x.shape[1:])[:2]
        taps = self.depthwise_taps(weight, c_in)
        dtype = np.result_type(x, grad_y, weight)
        planes, width = self.phase_planes(x)
        # The output's grad in the runs' layout, 0 in the leftover columns so they add nothing.
        grad = np.zeros((n, c_in, taps.shape[1], rows.out, width), dtype=dtype)
        grad[..., :cols.out] = grad_y.reshape(n, c_in, taps.shape[1], rows.out, cols.out)
        grad = grad.reshape(n, c_in, taps.shape[1], -1)
        grad_taps = np.empty(taps.shape, dtype=dtype)
        grad_planes = np.zeros(planes.shape, dtype=dtype)
        for number, a, b, run in self.plane_taps(width, rows.out):
            # dL/dw: the output's grad times the input under the tap, summed over images and positions;
            # dL/dx: the output's grad times the weight, back to the input position the tap read.
            values = planes[a, b, :, :, run, None]  # (N, C_in, run, 1): a matrix product per channel
            grad_taps[:, :, number] = np.matmul(grad, values).sum(axis=0)[..., 0]
            grad_planes[a, b, :, :, run] += np.einsum("ncml,cm->ncl", grad, taps[:, :, number])
        grad_x = self.from_planes(grad_planes.reshape(*planes.shape[:4], -1, width), x.shape)
        grads = {"weight": grad_taps.reshape(weight.shape).astype(weight.dtype, copy=False)}
        if self.bias:
            grads["bias"] = grad_y.sum(axis=(0, 2, 3)).astype(params["bias"].dtype, copy=False)
        return grad_x, grads

    def step(self, x: np.ndarray, params: dict[str, np.ndarray], channel: int, row: int, col: int) -> WindowStep:
        """Output ``channel`` at (row, col) for one sample ``x`` (C, H, W), worked in float64:
        every input channel of its group (all of them without groups) times its kernel, summed, plus the bias."""
        per_group = x.shape[0] // self.groups
        first = channel // (self.out_channels // self.groups) * per_group
        step = self.gather(x, list(range(first, first + per_group)), row, col, 0.0)
        step.kernels = params["weight"][channel].astype(np.float64)
        step.channel_sums = step.products.sum(axis=(1, 2))
        step.bias = float(params["bias"][channel]) if self.bias else 0.0
        step.value = float(step.channel_sums.sum() + step.bias)
        return step
