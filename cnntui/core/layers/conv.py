"""conv2d: a small kernel of shared weights slid over every input position."""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ..fields import Field
from .base import Shape
from .windowed import WindowLayer, WindowStep


class Conv2d(WindowLayer):
    type = "conv2d"
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
            f"{params} = {sum(np.prod(s) for s in self.param_shapes(shape).values())}",
            f"MACs = {out[0]}*{out[1]}*{out[2]}*{c_in}*{kh}*{kw} = {self.macs(shape, out)}",
            f"FC equivalent = {fc} = {self.fc_equivalent_params(shape, out)}",
        ]

    def work_elements(self, shape: Shape, out: Shape) -> int:
        kh, kw = self.kernel_size
        rows, cols = self.axes(shape)
        return shape[0] * (kh * kw * out[1] * out[2] + rows.padded * cols.padded)

    def columns(self, x: np.ndarray) -> np.ndarray:
        """im2col: (N, C_in*kh*kw, H_out*W_out), channels outermost, so one matrix
        product per image gives (C_out, H_out*W_out), already the NCHW layout."""
        n, c_in = x.shape[:2]
        kh, kw = self.kernel_size
        rows, cols = self.geometry(x.shape[1:])[:2]
        columns = np.empty((n, c_in, kh, kw, rows.out, cols.out), dtype=x.dtype)
        for i, j, view in self.windows(x, 0.0):
            columns[:, :, i, j] = view
        return columns.reshape(n, c_in * kh * kw, -1)

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
        weight = params["weight"]
        n, c_out = x.shape[0], weight.shape[0]
        rows, cols = self.geometry(x.shape[1:])[:2]
        y = np.matmul(weight.reshape(c_out, -1), self.columns(x))
        if self.bias:
            y += params["bias"][:, None]
        return y.reshape(n, c_out, rows.out, cols.out)

    def backward(self, x, y, grad_y, params):
        weight = params["weight"]
        n, c_in = x.shape[:2]
        c_out, _, kh, kw = weight.shape
        grad = grad_y.reshape(n, c_out, -1)
        # dL/dW sums, over images and positions, output grad times the column it came from.
        # (einsum with optimize=True makes both products single BLAS calls; a batched
        # np.matmul or np.tensordot here is many times slower.)
        grads = {"weight": np.einsum("nol,nkl->ok", grad, self.columns(x), optimize=True)
                 .reshape(weight.shape).astype(weight.dtype, copy=False)}
        if self.bias:
            grads["bias"] = grad.sum(axis=(0, 2)).astype(params["bias"].dtype, copy=False)
        # col2im: each column entry's grad goes back to the input value it copied.
        grad_columns = np.einsum("ok,nol->nkl", weight.reshape(c_out, -1), grad, optimize=True)
        grad_columns = grad_columns.reshape(n, c_in, kh, kw, *grad_y.shape[2:])
        grad_x = self.scatter(x.shape, ((i, j, grad_columns[:, :, i, j]) for i in range(kh) for j in range(kw)),
                              np.result_type(x, grad_columns))
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
