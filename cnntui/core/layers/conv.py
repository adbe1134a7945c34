"""conv2d: a small kernel of shared weights slid over every input position."""

from __future__ import annotations

import math
import threading

import numpy as np

from ..errors import SpecError
from ..fields import Field
from .base import Shape
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


class Conv2d(WindowLayer):
    type = "conv2d"
    has_neurons = True
    fields = {
        "out_channels": Field("count", example=16),
        "kernel_size": Field("pair", example=3),
        "stride": Field("pair", 1),
        "padding": Field("conv_padding", 0),
        "dilation": Field("pair", 1),
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
        return (self.out_channels, *self.output_hw(shape))

    def param_shapes(self, shape: Shape) -> dict[str, Shape]:
        shapes = {"weight": (self.out_channels, shape[0], *self.kernel_size)}
        if self.bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def macs(self, shape: Shape, out: Shape) -> int:
        kh, kw = self.kernel_size
        return out[0] * out[1] * out[2] * shape[0] * kh * kw

    def fc_equivalent_params(self, shape: Shape, out: Shape) -> int:
        inputs, outputs = shape[0] * shape[1] * shape[2], out[0] * out[1] * out[2]
        return (inputs + int(self.bias)) * outputs

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        (kh, kw), c_in, c_out = self.kernel_size, shape[0], self.out_channels
        per_filter = f"{kh}*{kw}*{c_in}"
        params = (f"params = ({per_filter} + 1)*{c_out}" if self.bias else f"params = {per_filter}*{c_out}")
        n_in, n_out = "*".join(map(str, shape)), "*".join(map(str, out))
        fc = f"({n_in} + 1)*({n_out})" if self.bias else f"({n_in})*({n_out})"
        return [
            *self.size_formulas(shape),
            f"{params} = {sum(math.prod(s) for s in self.param_shapes(shape).values())}",
            f"MACs = {out[0]}*{out[1]}*{out[2]}*{c_in}*{kh}*{kw} = {self.macs(shape, out)}",
            f"FC equivalent = {fc} = {self.fc_equivalent_params(shape, out)}",
        ]

    def work_elements(self, shape: Shape, out: Shape) -> int:
        kh, kw = self.kernel_size
        rows, cols = self.axes(shape)
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
        for first in range(0, n, step):
            stop = min(n, first + step)
            block = buffer[:, :, :, :stop - first]
            for i, j, view in self.windows(x[first:stop], 0.0):
                block[:, i, j] = view.transpose(1, 0, 2, 3)
            yield first, stop, block.reshape(c_in * kh * kw, -1)

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
        weight = params["weight"]
        n, c_out = x.shape[0], weight.shape[0]
        rows, cols = self.geometry(x.shape[1:])[:2]
        matrix = weight.reshape(c_out, -1)
        y = np.empty((n, c_out, rows.out, cols.out), dtype=np.result_type(x, weight))
        for first, stop, columns in self.column_blocks(x):
            # (C_out, K) @ (K, images*positions): one BLAS call, then back to NCHW.
            block = np.matmul(matrix, columns, out=scratch("product", (c_out, columns.shape[1]), y.dtype))
            y[first:stop] = block.reshape(c_out, stop - first, rows.out, cols.out).transpose(1, 0, 2, 3)
        if self.bias:
            y += params["bias"][:, None, None]
        return y

    def backward(self, x, y, grad_y, params):
        weight = params["weight"]
        c_in = x.shape[1]
        c_out, _, kh, kw = weight.shape
        rows, cols, (top, bottom, left, right), _ = self.geometry(x.shape[1:])
        matrix = weight.reshape(c_out, -1)
        dtype = np.result_type(x, grad_y, weight)
        grad_weight = np.zeros(matrix.shape, dtype=dtype)
        grad_x = np.empty(x.shape, dtype=dtype)
        for first, stop, columns in self.column_blocks(x):
            images = stop - first
            grad = scratch("grad", (c_out, images, rows.out, cols.out), grad_y.dtype)
            np.copyto(grad, grad_y[first:stop].transpose(1, 0, 2, 3))
            grad = grad.reshape(c_out, -1)
            # dL/dW sums, over images and positions, output grad times the column it came from.
            grad_weight += grad @ columns.T
            # col2im: each column entry's grad goes back to the input value it copied.
            grad_columns = np.matmul(matrix.T, grad, out=scratch("product", columns.shape, grad_x.dtype))
            grad_columns = grad_columns.reshape(c_in, kh, kw, images, rows.out, cols.out)
            work = scratch("padded", (images, c_in, x.shape[2] + top + bottom, x.shape[3] + left + right),
                           grad_x.dtype)
            grad_x[first:stop] = self.scatter(
                (images, *x.shape[1:]),
                ((i, j, grad_columns[:, i, j].transpose(1, 0, 2, 3)) for i in range(kh) for j in range(kw)),
                grad_x.dtype, work)
        grads = {"weight": grad_weight.reshape(weight.shape).astype(weight.dtype, copy=False)}
        if self.bias:
            grads["bias"] = grad_y.sum(axis=(0, 2, 3)).astype(params["bias"].dtype, copy=False)
        return grad_x, grads

    def step(self, x: np.ndarray, params: dict[str, np.ndarray], channel: int, row: int, col: int) -> WindowStep:
        """Output ``channel`` at (row, col) for one sample ``x`` (C, H, W), worked in float64:
        every input channel's window times its kernel, summed, plus the bias."""
        step = self.gather(x, list(range(x.shape[0])), row, col, 0.0)
        step.kernels = params["weight"][channel].astype(np.float64)
        step.channel_sums = step.products.sum(axis=(1, 2))
        step.bias = float(params["bias"][channel]) if self.bias else 0.0
        step.value = float(step.channel_sums.sum() + step.bias)
        return step
