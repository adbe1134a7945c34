"""Network: a checked network description, its weights, its forward and backward passes."""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from .analysis import BYTES_PER_VALUE, Summary, check
from .assets import assets_dir, find_network, read_json
from .errors import BudgetError, CnntuiError, WeightsError
from .kernels import classic_kernel
from .layers import Layer, Shape, shape_text
from .messages import Message
from .weights import (
    check_budget,
    fitted,
    human_bytes,
    init_scheme,
    initial_weights,
    read_npz,
    write_npz,
)

MEMORY_BUDGET = 1 << 30  # bytes a forward pass may use
WEIGHT_BUDGET = 64 << 20  # bytes of weights allocated without asking


class Network:
    """A valid network. Build one with ``from_dict`` or ``load``.

    >>> net = Network.load("lenet5")
    >>> net.summary().total_params
    61706
    """

    def __init__(self, spec: dict[str, Any], summary: Summary, source: Path | None = None):
        self.spec = spec
        self._summary = summary
        self.source = source
        self.layers: list[Layer] = [record.layer for record in summary]
        self.weights: dict[str, np.ndarray] = {}
        self.weights_origin: str | None = None

    # -- building -----------------------------------------------------------

    @classmethod
    def from_dict(cls, spec: dict[str, Any], input_shape: Shape | None = None,
                  source: Path | None = None) -> Network:
        """Check ``spec``; a SpecError lists every problem (``.problems``)."""
        spec = copy.deepcopy(spec)
        if input_shape is not None and isinstance(spec, dict):
            spec["input"] = list(input_shape)
        return cls(spec, check(spec), source)

    @classmethod
    def load(cls, name_or_path: str | Path, input_shape: Shape | None = None) -> Network:
        """A preset by name (see ``preset_names()``) or a network JSON file."""
        path = find_network(str(name_or_path))
        return cls.from_dict(read_json(path), input_shape, source=path)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.spec)

    # -- facts --------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._summary.name

    @property
    def input_shape(self) -> Shape:
        return self._summary.input_shape

    @property
    def classes(self) -> list[str] | None:
        return self._summary.classes

    def summary(self) -> Summary:
        return self._summary

    @functools.cache  # noqa: B019  (a Network is immutable once built)
    def param_shapes(self) -> dict[str, Shape]:
        """Every weight array's key and shape, in layer order. Do not modify the result."""
        shapes = {}
        for record in self._summary:
            for kind, shape in record.layer.param_shapes(record.input_shape).items():
                shapes[f"{record.index}.{kind}"] = shape
        return shapes

    def _owners(self) -> dict[str, tuple[int, str]]:
        return {key: (int(key.split(".")[0]), self.layers[int(key.split(".")[0])].type)
                for key in self.param_shapes()}

    @property
    def shipped_weights(self) -> Path | None:
        """The weights file the network file names, if it names one that may be read
        (``weights_problem`` says why not)."""
        return self._named_weights()[0]

    def weights_problem(self) -> Message | None:
        """What is wrong with the weights file the network file names, or None when there is
        nothing wrong (or it names none). Codes: weights_absolute, weights_outside,
        weights_link_outside, weights_not_found, weights_not_file; args: path (the network file's name), got (the
        "weights" text as written) and, for the first two, example (a name that would do)."""
        return self._named_weights()[1]

    def _named_weights(self) -> tuple[Path | None, Message | None]:
        name = self.spec.get("weights")
        if not isinstance(name, str) or not name or self.source is None:
            return None, None
        args = {"path": self.source.name, "got": name, "example": PurePath(name).name or "weights.npz"}
        if PurePath(name).is_absolute():
            return None, Message("weights_absolute", args)
        path = self.source.parent / name
        try:
            # A file handed on by someone else must not read whatever its "weights" points at
            # (../../etc/passwd, or a symlink out of the folder); a shipped preset's weights sit in
            # the assets folder beside its own.
            inside = path.resolve().is_relative_to(_weights_root(self.source))
            is_file = path.is_file()
        except (OSError, RuntimeError):  # a symlink loop
            return None, Message("weights_not_file", args)
        if not inside:  # with no ".." in the name, only a symbolic link can have led out
            return None, Message("weights_outside" if ".." in PurePath(name).parts else "weights_link_outside", args)
        if not path.exists():
            return None, Message("weights_not_found", args)
        return (path, None) if is_file else (None, Message("weights_not_file", args))

    # -- weights ------------------------------------------------------------

    def init_weights(self, seed: int = 0, weight_budget: int = WEIGHT_BUDGET) -> str:
        """Seeded random weights; returns the scheme used, "he" or "xavier"."""
        check_budget(self.name, self._summary.total_params, weight_budget)
        scheme = init_scheme([layer.type for layer in self.layers])
        self.weights = initial_weights(self.param_shapes(), scheme, seed)
        self.weights_origin = f"seeded random (seed {seed}, {'He' if scheme == 'he' else 'Xavier'} init)"
        return scheme

    def load_weights(self, path: str | Path, weight_budget: int = WEIGHT_BUDGET) -> None:
        check_budget(self.name, self._summary.total_params, weight_budget)
        self.weights = fitted(read_npz(path, weight_budget), self.param_shapes(), self._owners())
        self.weights_origin = str(path)

    def set_weights(self, arrays: dict[str, np.ndarray]) -> None:
        """Use ``arrays`` (e.g. a PyTorch state_dict as NumPy) after checking them."""
        self.weights = fitted(dict(arrays), self.param_shapes(), self._owners())
        self.weights_origin = "given"

    def save_weights(self, path: str | Path) -> None:
        self._require_weights()
        write_npz(path, self.weights)

    def _require_weights(self) -> None:
        if self.param_shapes() and not self.weights:
            raise WeightsError("no_weights")

    def put_kernel(self, layer: int, out_channel: int, kernel: str | np.ndarray,
                   in_channel: int | None = None) -> None:
        """Make one filter of a conv layer a given kernel (all input channels unless one is named).

        ``kernel`` is a name from CLASSIC_KERNELS or a 2-D array; the filter's bias becomes 0.
        A smaller kernel goes in the middle of a larger filter, with zeros around it, when
        it can sit exactly centred (a 3x3 Sobel in a 5x5 filter computes the same Sobel).
        """
        self._require_weights()
        record = self._summary[layer] if 0 <= layer < len(self.layers) else None
        if record is None or record.type != "conv2d":
            raise CnntuiError("not_conv", index=layer, type=record.type if record else "missing")
        name = kernel if isinstance(kernel, str) else "given"
        values = classic_kernel(kernel) if isinstance(kernel, str) else np.asarray(kernel, dtype=np.float32)
        target = self.weights[f"{layer}.weight"]
        values = _centred(values, target.shape[2:])
        if values.shape != target.shape[2:]:
            raise CnntuiError("kernel_shape", name=name, got=shape_text(values.shape), index=layer,
                              want=shape_text(target.shape[2:]))
        _check_channel("output channel", out_channel, target.shape[0], layer)
        if in_channel is None:
            target[out_channel] = values
        else:
            _check_channel("input channel", in_channel, target.shape[1], layer)
            target[out_channel] = 0
            target[out_channel, in_channel] = values
        if f"{layer}.bias" in self.weights:
            self.weights[f"{layer}.bias"][out_channel] = 0

    # -- forward pass -------------------------------------------------------

    @functools.cached_property
    def _values_per_sample(self) -> int:
        """Input, every output and the largest scratch buffer, for one sample."""
        scratch = max((r.layer.work_elements(r.input_shape, r.output_shape) for r in self._summary), default=0)
        return math.prod(self.input_shape) + sum(r.values for r in self._summary) + scratch

    def memory_needed(self, batch: int) -> int:
        """Bytes a forward pass of ``batch`` samples allocates, weights included."""
        return batch * self._values_per_sample * BYTES_PER_VALUE + self._summary.weight_bytes

    def check_memory(self, batch: int, memory_budget: int = MEMORY_BUDGET) -> None:
        """A BudgetError if a forward pass of ``batch`` samples would need more than ``memory_budget``.

        Known from the shapes alone: call it before reading or resizing an input, so that an
        input too large to run is refused before it is ever made.
        """
        need = self.memory_needed(batch)
        if need > memory_budget:
            raise BudgetError("memory_budget", need=human_bytes(need), budget=human_bytes(memory_budget),
                              detail=f"batch {batch}, weights {human_bytes(self._summary.weight_bytes)}")

    def forward(self, x: np.ndarray, memory_budget: int = MEMORY_BUDGET) -> list[np.ndarray]:
        """Every layer's output for ``x``, shaped (C, H, W) or (N, C, H, W).

        Outputs keep the batch axis only if ``x`` had one. NaN, infinity and values beyond float32
        are refused (CnntuiError); outputs that overflow are not, ``overflow_problem`` finds them.
        """
        array = self._check_input(x)
        self._require_weights()
        self.check_memory(array.shape[0] if array.ndim == 4 else 1, memory_budget)
        value = _finite_float32(array if array.ndim == 4 else array[None])
        outputs = []
        # Values near float32's limit overflow inside a layer: overflow_problem() says so in one
        # line, where NumPy would print a RuntimeWarning per layer.
        with np.errstate(over="ignore", invalid="ignore"):
            for index, layer in enumerate(self.layers):
                params = {kind: self.weights[f"{index}.{kind}"] for kind in ("weight", "bias")
                          if f"{index}.{kind}" in self.weights}
                value = layer.forward(value, params)
                outputs.append(value)
        if array.ndim == 3:
            outputs = [output[0] for output in outputs]
        return outputs

    def overflow_problem(self, x: np.ndarray, outputs: list[np.ndarray]) -> Message | None:
        """The first layer whose ``outputs`` (from ``forward(x)``) overflowed float32 into infinity
        or NaN, as a Message (code outputs_overflowed; args index, type, largest), or None."""
        for index, output in enumerate(outputs):
            if not np.isfinite(output).all():
                largest = f"{float(np.abs(np.asarray(x)).max()):.3g}"
                return Message("outputs_overflowed", {"index": index, "type": self.layers[index].type,
                                                      "largest": largest})
        return None

    # -- backward pass ------------------------------------------------------

    def backward(self, x: np.ndarray, outputs: list[np.ndarray], grad_last: np.ndarray,
                 from_layer: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Gradients by backpropagation: (dL/dx, dL/d(every weight)), the latter keyed
        like ``weights`` ("{i}.weight", "{i}.bias").

        ``outputs`` is what ``forward(x)`` returned and ``grad_last`` is dL/d(the last
        layer's output), batched or not as ``x`` is. With ``from_layer``, ``grad_last``
        is dL/d(outputs[from_layer]) instead and the layers after it are skipped
        (``cnntui.train.losses.loss_and_grad`` says where to start).
        """
        array = self._check_input(x)
        self._require_weights()
        last = len(self.layers) - 1 if from_layer is None else from_layer
        if not -1 <= last < len(self.layers) or len(outputs) != len(self.layers):
            raise ValueError(f"backward: {len(outputs)} outputs for {len(self.layers)} layers, "
                             f"start at layer {last}")
        batched = array.ndim == 4
        dtype = np.result_type(np.asarray(grad_last).dtype, np.float32)
        grad = np.asarray(grad_last, dtype=dtype)
        want = outputs[last].shape if last >= 0 else array.shape
        if grad.shape != want:
            raise ValueError(f"backward: gradient shaped {shape_text(grad.shape)}, "
                             f"layer {last}'s output is {shape_text(want)}")
        if not batched:
            grad, outputs = grad[None], [output[None] for output in outputs]
        values = [np.asarray(array if batched else array[None], dtype=dtype), *outputs]
        grads: dict[str, np.ndarray] = {}
        for index in range(last, -1, -1):
            params = {kind: self.weights[f"{index}.{kind}"] for kind in ("weight", "bias")
                      if f"{index}.{kind}" in self.weights}
            grad, layer_grads = self.layers[index].backward(values[index], values[index + 1], grad, params)
            for kind, value in layer_grads.items():
                grads[f"{index}.{kind}"] = value
        grads = {key: grads[key] for key in self.param_shapes() if key in grads}  # layer order
        return (grad if batched else grad[0]), grads

    def _check_input(self, x: Any) -> np.ndarray:
        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise CnntuiError("input_not_numeric", dtype=array.dtype)
        want = tuple(self.input_shape)
        if array.shape != want and array.shape[1:] != want or array.ndim not in (3, 4):
            raise CnntuiError("input_shape", got=shape_text(array.shape), name=self.name, want=shape_text(want))
        return array


def _finite_float32(array: np.ndarray) -> np.ndarray:
    """``array`` as contiguous float32; a CnntuiError for NaN, infinity or values float32 cannot hold."""
    with np.errstate(over="ignore"):
        value = np.ascontiguousarray(array, dtype=np.float32)
    if np.isfinite(value).all():
        return value
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    if nan or inf:
        raise CnntuiError("input_not_finite", nan=nan, inf=inf)
    raise CnntuiError("input_beyond_float32", largest=f"{float(np.abs(array).max()):.3g}")


def _weights_root(source: Path) -> Path:
    """The folder a network file's weights must lie in: its own, or for a shipped preset the assets."""
    folder = source.parent.resolve()
    assets = assets_dir().resolve()
    return assets if folder == assets / "presets" else folder


def _check_channel(what: str, value: int, count: int, layer: int) -> None:
    if not 0 <= value < count:
        raise CnntuiError("channel_range", what=what, got=value, index=layer, count=count, last=count - 1)


def _centred(kernel: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``kernel`` padded with zeros to ``shape`` when it fits exactly in the middle; else as it is."""
    if kernel.ndim != 2 or len(shape) != 2:
        return kernel
    extra = [want - have for want, have in zip(shape, kernel.shape)]
    if any(e < 0 or e % 2 for e in extra) or not any(extra):
        return kernel
    return np.pad(kernel, [(e // 2, e // 2) for e in extra])
