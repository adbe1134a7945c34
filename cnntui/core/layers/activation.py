"""Activation functions: applied to each value, they change no shape and learn nothing."""

from __future__ import annotations

import numpy as np

from ..fields import Field
from .base import Layer, Shape


class Activation(Layer):
    formula = ""

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        return [self.formula, "params = 0"]


class ReLU(Activation):
    type = "relu"
    formula = "y = max(0, x)"

    def forward(self, x, params):
        return np.maximum(x, 0)

    def backward(self, x, y, grad_y, params):
        return np.where(x > 0, grad_y, np.zeros((), dtype=grad_y.dtype)), {}


class LeakyReLU(Activation):
    type = "leaky_relu"
    fields = {"negative_slope": Field("number", 0.01)}

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        return [f"y = x if x > 0 else {self.negative_slope:g}*x", "params = 0"]

    def forward(self, x, params):
        return np.where(x > 0, x, x * np.asarray(self.negative_slope, dtype=x.dtype))

    def backward(self, x, y, grad_y, params):
        return np.where(x > 0, grad_y, grad_y * np.asarray(self.negative_slope, dtype=grad_y.dtype)), {}


class Sigmoid(Activation):
    type = "sigmoid"
    formula = "y = 1 / (1 + e^-x)"

    def forward(self, x, params):
        # exp of a negative number only, so large inputs never overflow.
        small = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + small), small / (1 + small)).astype(x.dtype, copy=False)

    def backward(self, x, y, grad_y, params):
        return grad_y * y * (1 - y), {}


class Tanh(Activation):
    type = "tanh"
    formula = "y = tanh(x) = (e^x - e^-x) / (e^x + e^-x)"

    def forward(self, x, params):
        return np.tanh(x)

    def backward(self, x, y, grad_y, params):
        return grad_y * (1 - y * y), {}


class Softmax(Activation):
    type = "softmax"

    def output_shape(self, shape: Shape) -> Shape:
        self.require_vector(shape)
        return shape

    def derivation(self, shape: Shape, out: Shape) -> list[str]:
        return [f"y_i = e^x_i / (sum of e^x_j over all {shape[0]} values)", "params = 0"]

    def forward(self, x, params):
        shifted = np.exp(x - x.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def backward(self, x, y, grad_y, params):
        # The Jacobian-vector product, without building the Jacobian.
        return y * (grad_y - (grad_y * y).sum(axis=-1, keepdims=True)), {}
