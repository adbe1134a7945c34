"""Max and average pooling: a window that summarises, with nothing to learn."""

from __future__ import annotations

import numpy as np

from ..fields import Field
from ..messages import Message
from .activation import kept
from .base import DerivationLine, KerasCode, Shape, keyword_args, other_line, params_line, python_value
from .windowed import WindowLayer, WindowStep, pair_text


class Pool2d(WindowLayer):
    """Shared by both poolings: stride defaults to the kernel, padding is limited."""

    text_lead = "kernel_size"  # "maxpool 2"
    text_options = {"s": "stride", "p": "padding"}
    text_flags = {"ceil": ("ceil_mode", True)}
    # The frameworks' names, and PyTorch's keywords in its order.
    pytorch_name = keras_name = ""
    pytorch_args: tuple[str, ...] = ()
    count_include_pad = True  # max pooling has no such setting; this is what it does

    def __init__(self, index, settings):
        # Exported code names the stride only where the network does, as it would be written by hand.
        self.stride_given = settings["stride"] is not None
        if settings["stride"] is None:
            settings = {**settings, "stride": settings["kernel_size"]}
        super().__init__(index, settings)

    def pytorch_module(self, shape: Shape) -> str:
        names = [name for name in self.pytorch_args if name != "stride" or self.stride_given]
        return f"nn.{self.pytorch_name}({', '.join(keyword_args(self, dict(zip(names, names))))})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        layers, notes = [], []
        if self.padding != (0, 0):
            layers.append(f"layers.ZeroPadding2D(padding={python_value(self.padding)})")
            if self.type == "maxpool2d":
                notes.append("# PyTorch pads max pooling with -inf, Keras with zeros: equal only after a ReLU")
        options = [f"pool_size={python_value(self.kernel_size)}"]
        options += [f"strides={python_value(self.stride)}"] if self.stride_given else []
        layers.append(f"layers.{self.keras_name}({', '.join(options)})")
        if self.ceil_mode or self.dilation != (1, 1) or not self.count_include_pad:
            notes.append("# ceil_mode, pooling dilation and count_include_pad=False have no Keras equivalent")
        return KerasCode(tuple(layers), tuple(notes))

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
    keyword = "maxpool"
    text_options = {**Pool2d.text_options, "d": "dilation"}
    pytorch_name, keras_name = "MaxPool2d", "MaxPooling2D"
    pytorch_args = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    fields = {**POOL_FIELDS, "dilation": Field("pair", 1)}

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        return [*self.size_formulas(shape), other_line(f"y = max of {self.window_size_text()} values"),
                params_line("params = 0")]

    def forward(self, x: np.ndarray, params, training=False, memo=None) -> np.ndarray:
        taps = self.windows(x, -np.inf)
        y = next(taps)[2].copy()
        for _, _, view in taps:
            np.maximum(y, view, out=y)
        return y

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        # Each output's gradient goes to the tap that won; on a tie, as in PyTorch, to the first
        # maximum in window order (rows, then columns). ``y`` already is every window's maximum.
        taps = list(self.windows(x, -np.inf))
        unclaimed = np.ones(y.shape, dtype=bool)  # outputs whose gradient no tap has taken yet
        hit = np.empty(y.shape, dtype=bool)

        def winners():
            for number, (i, j, view) in enumerate(taps):
                np.equal(view, y, out=hit)
                np.logical_and(hit, unclaimed, out=hit)
                if number < len(taps) - 1:
                    np.logical_xor(unclaimed, hit, out=unclaimed)
                yield i, j, hit

        if self.windows_apart(x.shape):
            # Every input value is in one window at most: each tap writes its share straight to
            # where it read, with no sum to build.
            grad_x = np.zeros(x.shape, dtype=grad_y.dtype)
            slices = {(i, j): (rows, cols) for i, j, rows, cols in self.geometry(x.shape[1:])[3]}
            for i, j, won in winners():
                kept(grad_y, won, out=grad_x[:, :, slices[i, j][0], slices[i, j][1]])
            return grad_x, {}
        return self.scatter(x.shape, ((i, j, kept(grad_y, won)) for i, j, won in winners()), grad_y.dtype), {}

    def windows_apart(self, shape: tuple[int, ...]) -> bool:
        """No padding and no two windows sharing a value (strides at least the window's span)."""
        pads = self.geometry(shape[1:])[2]
        return not any(pads) and all(s >= span for s, span in zip(self.stride, self.spans()))

    def step(self, x: np.ndarray, params, channel: int, row: int, col: int) -> WindowStep:
        """Output ``channel`` at (row, col): the largest value in the window (padding never wins)."""
        step = self.gather(x, [channel], row, col, -np.inf)
        flat = int(np.argmax(step.windows[0]))
        step.pick = divmod(flat, step.windows.shape[2])
        step.value = float(step.windows[0].flat[flat])
        return step


class AvgPool2d(Pool2d):
    type = "avgpool2d"
    keyword = "avgpool"
    text_flags = {**Pool2d.text_flags, "nopadcount": ("count_include_pad", False)}
    pytorch_name, keras_name = "AvgPool2d", "AveragePooling2D"
    pytorch_args = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
    fields = {**POOL_FIELDS, "count_include_pad": Field("bool", True)}

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        return [*self.size_formulas(shape), other_line(self.divisor_text(shape)), params_line("params = 0")]

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

    def forward(self, x: np.ndarray, params, training=False, memo=None) -> np.ndarray:
        taps = self.windows(x, 0.0)
        y = next(taps)[2].copy()
        for _, _, view in taps:
            y += view
        rows, cols = self.geometry(x.shape[1:])[:2]
        divisor = np.outer(rows.window_sizes(self.count_include_pad), cols.window_sizes(self.count_include_pad))
        y /= divisor.astype(y.dtype)
        return y

    def backward(self, x, y, grad_y, params, training=False, memo=None):
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
