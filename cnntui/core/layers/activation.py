"""Activation functions: applied to each value, they change no shape and learn nothing."""

from __future__ import annotations

import numpy as np

from ..fields import Field
from .base import DerivationLine, KerasCode, Layer, Shape, other_line, params_line, python_value


def sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a negative number only, so large inputs never overflow.
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + small), small / (1 + small)).astype(x.dtype, copy=False)


def kept(grad: np.ndarray, keep: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """np.where(keep, grad, 0) (0 being +0; inf and NaN kept where ``keep``), several times faster:
    np.where's choice per value stalls the processor when the mask changes at random, as ReLU's
    does. Here each True becomes an all-ones bit pattern the size of grad's values, each False all
    zeros, and grad's bits are ANDed with it: two plain passes. ``out``: where to write."""
    ints = np.dtype(f"i{grad.dtype.itemsize}")
    mask = np.negative(keep, dtype=ints)  # True -> -1, all bits set
    result = np.bitwise_and(grad.view(ints), mask, out=None if out is None else out.view(ints))
    return result.view(grad.dtype)


class Activation(Layer):
    formula = ""
    is_activation = True
    per_value = True
    # The framework's module for a type without settings.
    pytorch_code = ""
    keras_code = ""

    def pytorch_module(self, shape: Shape) -> str:
        return self.pytorch_code

    def keras_layers(self, shape: Shape) -> KerasCode:
        return KerasCode.one(self.keras_code)

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        return [other_line(self.formula), params_line("params = 0")]


class ReLU(Activation):
    type = "relu"
    keyword = "relu"
    pytorch_code, keras_code = "nn.ReLU()", "layers.ReLU()"
    wants_he_init = True
    formula = "y = max(0, x)"

    def forward(self, x, params, training=False, memo=None):
        return np.maximum(x, 0)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        return kept(grad_y, x > 0), {}


class LeakyReLU(Activation):
    type = "leaky_relu"
    keyword = "leaky"
    text_lead = "negative_slope"  # "leaky 0.2"
    wants_he_init = True
    fields = {"negative_slope": Field("number", 0.01)}

    def pytorch_module(self, shape: Shape) -> str:
        return f"nn.LeakyReLU({python_value(self.negative_slope)})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        return KerasCode.one(f"layers.LeakyReLU(negative_slope={python_value(self.negative_slope)})")

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        return [other_line(f"y = x if x > 0 else {self.negative_slope:g}*x"), params_line("params = 0")]

    def forward(self, x, params, training=False, memo=None):
        return np.where(x > 0, x, x * np.asarray(self.negative_slope, dtype=x.dtype))

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        return np.where(x > 0, grad_y, grad_y * np.asarray(self.negative_slope, dtype=grad_y.dtype)), {}


class Sigmoid(Activation):
    type = "sigmoid"
    keyword = "sigmoid"
    saturates = True  # flat for large |x|: a network of them is slow to start learning (Train's advice)
    pytorch_code, keras_code = "nn.Sigmoid()", "layers.Activation('sigmoid')"
    formula = "y = 1 / (1 + e^-x)"

    def forward(self, x, params, training=False, memo=None):
        return sigmoid(x)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        return grad_y * y * (1 - y), {}


class Tanh(Activation):
    type = "tanh"
    keyword = "tanh"
    saturates = True  # flat for large |x|: a network of them is slow to start learning (Train's advice)
    pytorch_code, keras_code = "nn.Tanh()", "layers.Activation('tanh')"
    formula = "y = tanh(x) = (e^x - e^-x) / (e^x + e^-x)"

    def forward(self, x, params, training=False, memo=None):
        return np.tanh(x)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        return grad_y * (1 - y * y), {}


class ReLU6(Activation):
    """MobileNet's activation: ReLU capped at 6."""

    type = "relu6"
    keyword = "relu6"
    pytorch_code, keras_code = "nn.ReLU6()", "layers.ReLU(max_value=6)"
    wants_he_init = True
    formula = "y = min(max(0, x), 6)"

    def forward(self, x, params, training=False, memo=None):
        return np.clip(x, 0, 6).astype(x.dtype, copy=False)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        # As PyTorch: no gradient at the kinks 0 and 6 either.
        keep = np.greater(x, 0)
        keep &= x < 6
        return kept(grad_y, keep), {}


class SiLU(Activation):
    """x times its own sigmoid (also called swish): EfficientNet's activation."""

    type = "silu"
    keyword = "silu"
    pytorch_code, keras_code = "nn.SiLU()", "layers.Activation('silu')"
    wants_he_init = True
    formula = "y = x * sigmoid(x) = x / (1 + e^-x)"

    def forward(self, x, params, training=False, memo=None):
        return x * sigmoid(x)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        s = sigmoid(x)
        return grad_y * (s * (1 + x * (1 - s))), {}


class Hardswish(Activation):
    """MobileNetV3's cheap SiLU: x times a straight-line ramp from 0 at x = -3 to 1 at x = 3."""

    type = "hardswish"
    keyword = "hardswish"
    pytorch_code, keras_code = "nn.Hardswish()", "layers.Activation('hard_swish')"
    wants_he_init = True
    formula = "y = x * min(max(0, x + 3), 6) / 6"

    def forward(self, x, params, training=False, memo=None):
        return x * np.clip(x + 3, 0, 6) / x.dtype.type(6)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        # PyTorch's rule (2.13), the ends outside: 0 up to -3, x/3 + 1/2 between, 1 from 3 on.
        slope = np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1)).astype(grad_y.dtype, copy=False)
        return grad_y * slope, {}


class Softmax(Activation):
    type = "softmax"
    keyword = "softmax"
    pytorch_code, keras_code = "nn.Softmax(dim=1)", "layers.Softmax()"
    is_activation = False  # it turns a whole vector into probabilities, not each value on its own
    per_value = False

    def output_shape(self, shape: Shape) -> Shape:
        self.require_vector(shape)
        return shape

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        return [other_line(f"y_i = e^x_i / (sum of e^x_j over all {shape[0]} values)"), params_line("params = 0")]

    def forward(self, x, params, training=False, memo=None):
        shifted = np.exp(x - x.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        # The Jacobian-vector product, without building the Jacobian.
        return y * (grad_y - (grad_y * y).sum(axis=-1, keepdims=True)), {}
