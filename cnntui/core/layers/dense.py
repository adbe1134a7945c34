"""Layers that leave the grid behind: flatten, global average pooling, linear."""

from __future__ import annotations

import math

import numpy as np

from ..fields import Field
from ..messages import Message
from .base import (DerivationLine, KerasCode, Layer, Reach, Shape, macs_line, other_line, params_line, rf_line,
                   shape_line)


class SeesWholeInput(Layer):
    """Every output depends on every input pixel."""

    def reach(self, before: Reach) -> Reach:
        return before.whole_input()

    def reach_text(self, before: Reach, after: Reach) -> list[DerivationLine]:
        return [rf_line(f"RF = whole input, {after.size[0]}x{after.size[1]}")]


class Flatten(Layer):
    """Only a reshape: each value keeps the receptive field it had."""

    type = "flatten"
    keyword = "flatten"

    def pytorch_module(self, shape: Shape) -> str:
        return "nn.Flatten()"

    def keras_layers(self, shape: Shape) -> KerasCode:
        return KerasCode.one("layers.Flatten()",
                             "# Keras flattens in height, width, channel order; PyTorch puts channels first")

    def output_shape(self, shape: Shape) -> Shape:
        return (math.prod(shape),)  # a Python int: NumPy's int64 would wrap for a huge layer

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        return [shape_line(f"features = {'*'.join(map(str, shape))} = {out[0]}")]

    def notes(self, shape: Shape, out: Shape) -> list[Message]:
        return [Message("flatten_of_vector")] if len(shape) == 1 else []

    def forward(self, x: np.ndarray, params, training=False, memo=None) -> np.ndarray:
        # C-order reshape of (N, C, H, W) is PyTorch's flatten order.
        return x.reshape(x.shape[0], -1)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        return grad_y.reshape(x.shape), {}


class GlobalAvgPool(SeesWholeInput):
    type = "global_avg_pool"
    keyword = "gap"

    def pytorch_module(self, shape: Shape) -> str:
        # One module, as cnntui has one layer: the weights' numbering stays the same in both.
        return "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())"

    def keras_layers(self, shape: Shape) -> KerasCode:
        return KerasCode.one("layers.GlobalAveragePooling2D()")

    def output_shape(self, shape: Shape) -> Shape:
        self.require_maps(shape)
        return (shape[0],)

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        _, h, w = shape
        return [other_line(f"y[c] = (sum of {h}*{w} = {h * w} values in map c) / {h * w}"), params_line("params = 0")]

    def forward(self, x: np.ndarray, params, training=False, memo=None) -> np.ndarray:
        return x.mean(axis=(2, 3), dtype=x.dtype)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        h, w = x.shape[2:]
        share = grad_y / np.asarray(h * w, dtype=grad_y.dtype)
        return np.broadcast_to(share[:, :, None, None], x.shape).copy(), {}


class Linear(SeesWholeInput):
    type = "linear"
    keyword = "linear"
    text_lead = "out_features"  # "linear 10"
    text_flags = {"nobias": ("bias", False)}
    has_neurons = True
    fields = {
        "out_features": Field("count", example=10),
        "bias": Field("bool", True),
    }

    def pytorch_module(self, shape: Shape) -> str:
        return f"nn.Linear({shape[0]}, {self.out_features}{'' if self.bias else ', bias=False'})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        return KerasCode.one(f"layers.Dense({self.out_features}{'' if self.bias else ', use_bias=False'})")

    def output_shape(self, shape: Shape) -> Shape:
        self.require_vector(shape)
        return (self.out_features,)

    def param_shapes(self, shape: Shape) -> dict[str, Shape]:
        shapes = {"weight": (self.out_features, shape[0])}
        if self.bias:
            shapes["bias"] = (self.out_features,)
        return shapes

    def macs(self, shape: Shape, out: Shape) -> int:
        return shape[0] * self.out_features

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        n_in, n_out = shape[0], self.out_features
        params = f"({n_in} + 1)*{n_out}" if self.bias else f"{n_in}*{n_out}"
        return [params_line(f"params = {params} = {(n_in + int(self.bias)) * n_out}"),
                macs_line(f"MACs = {n_in}*{n_out} = {n_in * n_out}")]

    def forward(self, x: np.ndarray, params: dict[str, np.ndarray], training=False, memo=None) -> np.ndarray:
        y = x @ params["weight"].T
        if self.bias:
            y += params["bias"]
        return y

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        weight = params["weight"]
        grads = {"weight": (grad_y.T @ x).astype(weight.dtype, copy=False)}
        if self.bias:
            grads["bias"] = grad_y.sum(axis=0).astype(params["bias"].dtype, copy=False)
        return grad_y @ weight, grads
