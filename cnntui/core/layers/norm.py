"""Layers that behave differently in training and in evaluation: batch norm and dropout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import CnntuiError, SpecError
from ..fields import Field
from ..messages import Message
from .base import DerivationLine, KerasCode, Layer, Shape, keyword_args, other_line, params_line, python_value


@dataclass
class NormStep:
    """How batch norm makes one output value: the step-through's numbers, as the forward computes them.
    ``gamma``/``beta`` are None without affine; ``mean``/``var`` are the running statistics, or the
    one image's own when none are kept (then the variance is the biased one, as PyTorch's)."""

    x: float
    mean: float
    var: float
    eps: float
    gamma: float | None
    beta: float | None
    normalised: float  # (x - mean) / sqrt(var + eps)
    output: float
    uses_running_stats: bool


class BatchNorm2d(Layer):
    """PyTorch's nn.BatchNorm2d: each channel normalised by its mean and variance over the batch and
    the positions, then scaled and shifted by a learned weight and bias."""

    type = "batchnorm2d"
    keyword = "bn"
    keras_header = "# Batch norm: Keras's momentum is 1 - PyTorch's, so PyTorch's 0.1 is written 0.9 here."
    text_options = {"eps": "eps", "m": "momentum"}  # "bn eps0.001 m0.01"
    text_flags = {"cumulative": ("momentum", None), "noaffine": ("affine", False),
                  "nostats": ("track_running_stats", False)}
    worked_before_activation = True
    per_value = True  # with per-channel constants (eval) or statistics (training)
    fields = {
        "eps": Field("number", 1e-5),
        "momentum": Field("optional_number", 0.1),
        "affine": Field("bool", True),
        "track_running_stats": Field("bool", True),
    }

    @classmethod
    def check_settings(cls, settings) -> None:
        if settings["eps"] <= 0:
            raise SpecError("batchnorm_eps", field="eps", got=f"{settings['eps']:g}")

    def output_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise self.error("batchnorm_needs_maps", n=shape[0])
        return shape

    def param_shapes(self, shape: Shape) -> dict[str, Shape]:
        return {"weight": (shape[0],), "bias": (shape[0],)} if self.affine else {}

    def state_problem(self, kind: str, array: np.ndarray) -> str | None:
        # A negative variance would make every output NaN; a batch count is a whole number.
        if kind == "running_var" and (array < 0).any():
            return "state_negative_variance"
        if kind == "num_batches_tracked" and (array < 0 or array != np.round(array)):
            return "state_bad_count"
        return None

    def state_dtype(self, kind: str) -> type:
        return np.int64 if kind == "num_batches_tracked" else np.float32

    def buffer_shapes(self, shape: Shape) -> dict[str, Shape]:
        if not self.track_running_stats:
            return {}
        return {"running_mean": (shape[0],), "running_var": (shape[0],), "num_batches_tracked": ()}

    def initial_state(self, shape: Shape, scheme: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # PyTorch's start: the identity scale and shift, and statistics of a standard normal input.
        channels = shape[0]
        state = {}
        if self.affine:
            state["weight"] = np.ones(channels, dtype=np.float32)
            state["bias"] = np.zeros(channels, dtype=np.float32)
        if self.track_running_stats:
            state["running_mean"] = np.zeros(channels, dtype=np.float32)
            state["running_var"] = np.ones(channels, dtype=np.float32)
            state["num_batches_tracked"] = np.zeros((), dtype=np.int64)
        return state

    # macs stays 0: normalising is element-wise, like an activation, not a weighted sum.

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        channels = shape[0]
        scale = " * weight_c + bias_c" if self.affine else ""
        lines = [other_line(f"y = (x - mean_c) / sqrt(var_c + {self.eps:g}){scale}"),
                 params_line(f"params = 2*C = 2*{channels} = {2 * channels}" if self.affine else "params = 0")]
        if self.track_running_stats:  # buffers, not parameters
            lines.append(other_line(f"running statistics = 2*C = 2*{channels} = {2 * channels} (kept, not learned)"))
        return lines

    def notes(self, shape: Shape, out: Shape) -> list[Message]:
        return [Message("batchnorm_buffers", {"count": 2 * shape[0]})] if self.track_running_stats else []

    def pytorch_module(self, shape: Shape) -> str:
        names = {name: name for name in ("eps", "momentum", "affine", "track_running_stats")}
        return f"nn.BatchNorm2d({', '.join([str(shape[0]), *keyword_args(self, names)])})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        # Keras's defaults differ from PyTorch's (epsilon 1e-3, momentum 0.99), so both are written.
        options = [f"epsilon={python_value(self.eps)}"]
        notes = []
        if self.momentum is None:
            notes.append("# PyTorch's momentum=None (a cumulative average) has no Keras equivalent")
        else:
            options.append(f"momentum={1 - self.momentum:.12g}")  # Keras weighs the old value by it
        options += [] if self.affine else ["center=False", "scale=False"]
        if not self.track_running_stats:
            notes.append("# track_running_stats=False (batch statistics in evaluation too) has no Keras equivalent")
        return KerasCode.one(f"layers.BatchNormalization({', '.join(options)})", *notes)

    # -- computation --------------------------------------------------------

    def uses_batch_stats(self, training: bool) -> bool:
        """Training normalises by the batch's own statistics; so does evaluation when no running
        statistics are kept (PyTorch's rule)."""
        return training or not self.track_running_stats

    def batch_stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per channel: the mean, the biased variance (dividing by N*H*W) and x - mean."""
        n, _, h, w = x.shape
        count = n * h * w
        if count == 1:
            raise CnntuiError("batchnorm_one_value", path=self.path)
        mean = channel_sums(x) / x.dtype.type(count)
        centred = x - mean[:, None, None]
        var = channel_dots(centred, centred) / x.dtype.type(count)
        return mean, var, centred

    def update_running(self, params: dict[str, np.ndarray], mean: np.ndarray, var: np.ndarray,
                       count: int) -> None:
        """PyTorch's update, in place: running = (1 - f)*running + f*batch with f = momentum, or
        1/num_batches_tracked for a cumulative average (momentum null); the variance unbiased."""
        params["num_batches_tracked"][...] += 1
        factor = 1 / float(params["num_batches_tracked"]) if self.momentum is None else self.momentum
        unbiased = var * (count / (count - 1))
        for kind, batch in (("running_mean", mean), ("running_var", unbiased)):
            running = params[kind]
            running[...] = (1 - factor) * running + factor * batch.astype(running.dtype, copy=False)

    def scale_shift(self, params, *arrays) -> tuple[np.dtype, np.ndarray | None, np.ndarray | None]:
        """The dtype to compute in (that of ``arrays`` and the weight), and the weight and bias in it."""
        if not self.affine:
            return np.result_type(*arrays), None, None
        dtype = np.result_type(*arrays, params["weight"])
        return dtype, params["weight"].astype(dtype, copy=False), params["bias"].astype(dtype, copy=False)

    def forward(self, x, params, training=False, memo=None):
        dtype, weight, bias = self.scale_shift(params, x)
        if self.uses_batch_stats(training):
            mean, var, centred = self.batch_stats(x)
            if training and self.track_running_stats:
                self.update_running(params, mean, var, x.size // x.shape[1])
            inv_std = (1 / np.sqrt(var + dtype.type(self.eps))).astype(dtype, copy=False)
            if training and memo is not None:  # what backward needs, so it need not work it out again
                memo["centred"], memo["inv_std"] = centred, inv_std
            y = centred * (inv_std if weight is None else inv_std * weight)[:, None, None]
            if bias is not None:
                y += bias[:, None, None]
            return y
        # The running statistics and the affine fold into one scale and one shift per channel.
        inv_std = 1 / np.sqrt(params["running_var"].astype(dtype) + dtype.type(self.eps))
        scale = inv_std if weight is None else inv_std * weight
        shift = -params["running_mean"].astype(dtype) * scale + (0 if bias is None else bias)
        y = x * scale.astype(dtype, copy=False)[:, None, None]
        y += shift.astype(dtype, copy=False)[:, None, None]
        return y

    def step(self, x: np.ndarray, params: dict[str, np.ndarray], channel: int, row: int, col: int) -> NormStep:
        """Output ``channel`` at (row, col) for one sample ``x`` (C, H, W) in evaluation, with forward's
        operations in forward's dtype, so ``output`` is exactly forward's value."""
        dtype, weight, bias = self.scale_shift(params, x)
        eps = dtype.type(self.eps)
        value = x[channel, row, col]
        gamma = None if weight is None else weight[channel]
        beta = None if bias is None else bias[channel]
        running = not self.uses_batch_stats(training=False)
        if running:
            mean, var = params["running_mean"].astype(dtype)[channel], params["running_var"].astype(dtype)[channel]
            inv_std = 1 / np.sqrt(var + eps)
            scale = inv_std if gamma is None else inv_std * gamma
            shift = -mean * scale + (0 if beta is None else beta)
            output = value * dtype.type(scale) + dtype.type(shift)
        else:
            means, variances, _ = self.batch_stats(x[None])
            mean, var = means[channel], variances[channel]
            inv_std = dtype.type(1 / np.sqrt(var + eps))
            output = (value - mean) * (inv_std if gamma is None else inv_std * gamma)
            output = output if beta is None else output + beta
        return NormStep(x=float(value), mean=float(mean), var=float(var), eps=self.eps,
                        gamma=None if gamma is None else float(gamma), beta=None if beta is None else float(beta),
                        normalised=float((value - mean) * inv_std), output=float(output),
                        uses_running_stats=running)

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        dtype, weight, _ = self.scale_shift(params, x, grad_y)
        batch_stats = self.uses_batch_stats(training)
        if batch_stats and memo and "centred" in memo:
            centred, inv_std = memo["centred"], memo["inv_std"]
        else:
            if batch_stats:
                _, var, centred = self.batch_stats(x)
            else:
                var = params["running_var"].astype(dtype)
                centred = x - params["running_mean"].astype(dtype)[:, None, None]
            inv_std = (1 / np.sqrt(var + dtype.type(self.eps))).astype(dtype, copy=False)
        # Per channel, the sums of g and of g*x_hat, x_hat = centred*inv_std the normalised input
        # (worked from centred: x_hat itself would be one more pass over the batch).
        sum_grad = channel_sums(grad_y).astype(dtype, copy=False)
        sum_projection = channel_dots(grad_y, centred).astype(dtype, copy=False) * inv_std
        grads = {}
        if self.affine:
            grads["weight"] = sum_projection.astype(params["weight"].dtype, copy=False)
            grads["bias"] = sum_grad.astype(params["bias"].dtype, copy=False)
        scale = inv_std if weight is None else inv_std * weight  # dy/dx with the statistics held fixed
        if not batch_stats:
            return (grad_y * scale[:, None, None]).astype(dtype, copy=False), grads
        # Through the batch's mean and variance too: dx = scale * (g - mean(g) - x_hat*mean(g*x_hat)),
        # the means per channel over the batch and the positions. As a*g + b*centred + c per channel:
        # three passes over the batch, no more.
        count = dtype.type(x.size // x.shape[1])
        grad_x = np.multiply(grad_y, scale[:, None, None], dtype=dtype)
        grad_x += np.multiply(centred, (-scale * inv_std * sum_projection / count)[:, None, None], dtype=dtype)
        grad_x += (-scale * sum_grad / count)[:, None, None]
        return grad_x, grads


def channel_sums(a: np.ndarray) -> np.ndarray:
    """Per channel of an (N, C, H, W) batch: the sum over images and positions (each map first,
    contiguous and pairwise, which keeps float32 sums accurate)."""
    return a.sum(axis=(2, 3)).sum(axis=0)


def channel_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per channel: the sum of a*b over images and positions, as one dot product per map (BLAS,
    no product array)."""
    n, c = a.shape[:2]
    return np.matmul(a.reshape(n, c, 1, -1), b.reshape(n, c, -1, 1)).sum(axis=0).reshape(c)


class Dropout(Layer):
    """PyTorch's nn.Dropout: in training each value is zeroed with probability p and the survivors
    scaled by 1/(1-p), so the expected output equals the input; in evaluation, the identity."""

    type = "dropout"
    keyword = "dropout"
    per_value = True
    text_lead = "p"  # "dropout 0.2"
    fields = {"p": Field("number", 0.5)}

    def pytorch_module(self, shape: Shape) -> str:
        return f"nn.Dropout(p={python_value(self.p)})"

    def keras_layers(self, shape: Shape) -> KerasCode:
        return KerasCode.one(f"layers.Dropout({python_value(self.p)})")

    @classmethod
    def check_settings(cls, settings) -> None:
        if not 0 <= settings["p"] < 1:
            raise SpecError("dropout_p_range", field="p", got=f"{settings['p']:g}")

    def scale(self) -> float:
        return 1 / (1 - self.p)

    def derivation(self, shape: Shape, out: Shape) -> list[DerivationLine]:
        p = f"{self.p:g}"
        return [other_line(f"training: y = x * mask / (1 - {p}) = x * mask * {self.scale():.4g}, P(mask = 0) = {p}"),
                other_line("eval: y = x"), params_line("params = 0")]

    def forward(self, x, params, training=False, memo=None):
        if not training:
            return x
        # The mask comes from the network's seeded generator, so a training run repeats exactly.
        keep = memo["rng"].random(x.shape) >= self.p
        memo["mask"] = keep
        return x * keep * x.dtype.type(self.scale())

    def backward(self, x, y, grad_y, params, training=False, memo=None):
        if not training:
            return grad_y, {}
        return grad_y * memo["mask"] * grad_y.dtype.type(self.scale()), {}
