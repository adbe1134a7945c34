"""Network: a checked network description, its weights, its forward and backward passes."""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path, PurePath
from typing import Any, Callable

import numpy as np

from .analysis import BYTES_PER_VALUE, Summary, check
from .assets import assets_dir, find_network, read_json
from .errors import BudgetError, CnntuiError, WeightsError
from .kernels import classic_kernel
from .layers import Layer, Shape, shape_text
from .messages import Message
from .weights import check_budget, fitted, human_bytes, read_npz, write_npz

MEMORY_BUDGET = 1 << 30  # bytes a forward pass may use
WEIGHT_BUDGET = 128 << 20  # bytes of weights allocated without asking: ResNet-50's 98 MiB fit, VGG's 528 do not


class Outputs(list):
    """A forward pass's outputs, one per step, with what its backward pass needs: the mode and
    each step's memo (dropout's masks)."""

    def __init__(self, training: bool = False, memos: list[dict] | None = None):
        super().__init__()
        self.training = training
        self.memos = memos or []


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
        self._weights_classes: list[str] | None = None  # the class names the loaded weights were trained on
        self._rng = np.random.default_rng(0)  # dropout's masks, when forward() is given no seed

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
        """The names of the outputs: those the loaded weights were trained on, when their loader gave
        them, else the network file's "classes"."""
        return self._weights_classes or self._summary.classes

    def _output_names(self, names: list[str] | None) -> list[str] | None:
        """``names`` (in output order) with each output they leave out named by its number, so that every
        output has one; None unless they are strings, no more than the outputs."""
        outputs = self._summary[-1].output_shape if len(self._summary) else None
        if not (isinstance(names, list) and names and all(isinstance(name, str) for name in names)) \
                or outputs is None or len(outputs) != 1 or len(names) > outputs[0]:
            return None
        return [*names, *map(str, range(len(names), outputs[0]))]

    def summary(self) -> Summary:
        return self._summary

    @functools.cache  # noqa: B019  (a Network is immutable once built)
    def param_shapes(self) -> dict[str, Shape]:
        """Every learned array's key ("{path}.{kind}") and shape, in step order. Do not modify the result."""
        return {key: shape for arrays in self._step_arrays() for _, key, shape, learned in arrays if learned}

    @functools.cache  # noqa: B019
    def state_shapes(self) -> dict[str, Shape]:
        """Every array of the state dict, parameters and buffers (batch norm's running statistics),
        keyed and ordered as PyTorch's ``state_dict()``. Do not modify the result."""
        return {key: shape for arrays in self._step_arrays() for _, key, shape, _ in arrays}

    @functools.cache  # noqa: B019
    def _step_arrays(self) -> list[list[tuple[str, str, Shape, bool]]]:
        """For each step, its arrays as (kind, key, shape, learned): parameters, then buffers."""
        return [[(kind, f"{record.path}.{kind}", shape, learned)
                 for learned, shapes in ((True, record.layer.param_shapes(record.input_shape)),
                                         (False, record.layer.buffer_shapes(record.input_shape)))
                 for kind, shape in shapes.items()]
                for record in self._summary]

    def step_params(self, index: int) -> dict[str, np.ndarray]:
        """Step ``index``'s parameters and buffers by kind ("weight", "running_mean", ...)."""
        return {kind: self.weights[key] for kind, key, _, _ in self._step_arrays()[index] if key in self.weights}

    def _owners(self) -> dict[str, tuple[str, str, Layer]]:
        """Each state key's step, as (path, type, layer): for messages and the layer's own checks."""
        return {key: (record.path, record.type, record.layer)
                for record, arrays in zip(self._summary, self._step_arrays()) for _, key, _, _ in arrays}

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

    def init_scheme(self) -> str:
        """He init keeps ReLU nets' signals from fading; Xavier suits sigmoid and tanh."""
        return "he" if any(layer.wants_he_init for layer in self.layers) else "xavier"

    def initial_weights(self, seed: int = 0, scheme: str | None = None) -> dict[str, np.ndarray]:
        """A state dict drawn deterministically from ``seed`` (each layer's ``initial_state``),
        with this network's scheme unless ``scheme`` names one ("he" or "xavier")."""
        rng = np.random.default_rng(seed)
        scheme = scheme or self.init_scheme()
        weights = {}
        for record in self._summary:
            for kind, array in record.layer.initial_state(record.input_shape, scheme, rng).items():
                weights[f"{record.path}.{kind}"] = array
        return weights

    def init_weights(self, seed: int = 0, weight_budget: int = WEIGHT_BUDGET) -> str:
        """Seeded random weights; returns the scheme used, "he" or "xavier"."""
        check_budget(self.name, self._summary.total_params, weight_budget)
        scheme = self.init_scheme()
        self.weights = self.initial_weights(seed, scheme)
        self.weights_origin = f"seeded random (seed {seed}, {'He' if scheme == 'he' else 'Xavier'} init)"
        self._weights_classes = None
        return scheme

    def load_weights(self, path: str | Path, weight_budget: int = WEIGHT_BUDGET,
                     classes: list[str] | None = None) -> None:
        """The weights in ``path``; ``classes``, the names of the classes they were trained on (the
        caller reads them from the record beside them: the engine knows nothing of training's files),
        become ``self.classes``."""
        check_budget(self.name, self._summary.total_params, weight_budget)
        self.weights = fitted(read_npz(path, weight_budget), self.state_shapes(), self._owners())
        self.weights_origin = str(path)
        self._weights_classes = self._output_names(classes)

    def set_weights(self, arrays: dict[str, np.ndarray]) -> None:
        """Use ``arrays`` (e.g. a PyTorch state_dict as NumPy) after checking them."""
        self.weights = fitted(dict(arrays), self.state_shapes(), self._owners())
        self.weights_origin = "given"
        self._weights_classes = None

    def save_weights(self, path: str | Path) -> None:
        self._require_weights()
        write_npz(path, self.weights)

    def _require_weights(self) -> None:
        if self.state_shapes() and not self.weights:
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
        path = record.path
        target = self.weights[f"{path}.weight"]
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
        if f"{path}.bias" in self.weights:
            self.weights[f"{path}.bias"][out_channel] = 0

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

    def forward(self, x: np.ndarray, memory_budget: int = MEMORY_BUDGET, training: bool = False,
                seed: int | None = None, progress: Callable[[int, int], None] | None = None) -> Outputs:
        """Every step's output for ``x``, shaped (C, H, W) or (N, C, H, W): one per entry of
        ``summary()``, so the last is the network's output.

        Outputs keep the batch axis only if ``x`` had one. NaN, infinity and values beyond float32
        are refused (CnntuiError); outputs that overflow are not, ``overflow_problem`` finds them.
        ``training`` runs batch norm on the batch's statistics (updating its running ones in
        ``weights``) and dropout with a mask drawn from ``seed`` (or, when None, from the
        network's own generator, seeded 0 when the network is made). Pass the result to
        ``backward``: it keeps what the backward pass of this mode needs. ``progress(done, count)``
        is called after each step (a thread can show it, or raise there to stop the pass).
        """
        array, value = self._ready_input(x, memory_budget)
        rng = self._rng if seed is None else np.random.default_rng(seed)
        memos = [{"rng": rng} if training else {} for _ in self.layers]
        outputs = Outputs(training, memos)
        self._run(value, outputs, training, progress=progress)
        if array.ndim == 3:
            outputs[:] = [output[0] for output in outputs]
        return outputs

    def infer(self, x: np.ndarray, memory_budget: int = MEMORY_BUDGET) -> np.ndarray:
        """The network's output for ``x`` in eval mode, as ``forward(x)[-1]``, but each step's
        output is let go as soon as no later step reads it: less memory, and faster for a big
        network (fresh memory costs page faults). Nothing is kept for a backward pass."""
        array, value = self._ready_input(x, memory_budget)
        outputs = Outputs(False, [{} for _ in self.layers])
        self._run(value, outputs, False, self._last_readers())
        return outputs[-1] if array.ndim == 4 else outputs[-1][0]

    @functools.cache  # noqa: B019
    def _last_readers(self) -> dict[int, int]:
        """Each step's output -> the last step that reads it (steps nothing reads are not keys)."""
        return {source: index for index, record in enumerate(self._summary) for source in record.sources}

    def _ready_input(self, x: np.ndarray, memory_budget: int) -> tuple[np.ndarray, np.ndarray]:
        """``x`` checked, and as a float32 batch."""
        array = self._check_input(x)
        self._require_weights()
        self.check_memory(array.shape[0] if array.ndim == 4 else 1, memory_budget)
        return array, finite_float32(array if array.ndim == 4 else array[None])

    def _run(self, value: np.ndarray, outputs: Outputs, training: bool, last_reader: dict | None = None,
             progress: Callable[[int, int], None] | None = None) -> None:
        """Every step in order, appending its output to ``outputs``; with ``last_reader`` (step ->
        the last step that reads it), outputs no later step needs are dropped on the way."""
        last = len(self.layers) - 1
        # Values near float32's limit overflow inside a layer: overflow_problem() says so in one
        # line, where NumPy would print a RuntimeWarning per layer.
        with np.errstate(over="ignore", invalid="ignore"):
            for index, (record, layer) in enumerate(zip(self._summary, self.layers)):
                inputs = [value if source < 0 else outputs[source] for source in record.sources]
                memo = outputs.memos[index]
                if layer.is_join:
                    outputs.append(layer.forward(inputs, training, memo))
                else:
                    outputs.append(layer.forward(inputs[0], self.step_params(index), training, memo))
                if last_reader is not None:
                    for source in record.sources:
                        if source >= 0 and source != last and last_reader.get(source) == index:
                            outputs[source] = None
                    if index != last and index not in last_reader:  # a step nothing reads
                        outputs[index] = None
                if progress is not None:
                    progress(index + 1, last + 1)

    def outputs_by_path(self, x: np.ndarray, outputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        """``input``, every step's output under its path and ``output`` (the network's), as
        ``cnntui forward`` writes them."""
        arrays = {"input": np.asarray(x)}
        for record, output in zip(self._summary, outputs):
            arrays[record.path] = output
        if outputs:
            arrays["output"] = outputs[-1]
        return arrays

    def overflow_problem(self, x: np.ndarray, outputs: list[np.ndarray]) -> Message | None:
        """The first step whose ``outputs`` (from ``forward(x)``) overflowed float32 into infinity
        or NaN, as a Message (code outputs_overflowed; args index (the step's path), type, largest), or None."""
        for record, output in zip(self._summary, outputs):
            if not np.isfinite(output).all():
                largest = f"{float(np.abs(np.asarray(x)).max()):.3g}"
                return Message("outputs_overflowed", {"index": record.path, "type": record.type,
                                                      "largest": largest})
        return None

    # -- backward pass ------------------------------------------------------

    def backward(self, x: np.ndarray, outputs: list[np.ndarray], grad_last: np.ndarray,
                 from_layer: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Gradients by backpropagation: (dL/dx, dL/d(every learned parameter)), the latter keyed
        like ``weights`` ("{path}.weight", "{path}.bias"; buffers have none).

        ``outputs`` is what ``forward(x)`` returned (in the same mode) and ``grad_last`` is dL/d(the
        last step's output), batched or not as ``x`` is. With ``from_layer``, ``grad_last`` is
        dL/d(outputs[from_layer]) instead and the steps after it are skipped
        (``cnntui.train.losses.loss_and_grad`` says where to start). A value read by several
        steps (a residual block's input) gets the sum of their gradients.
        """
        array = self._check_input(x)
        self._require_weights()
        last = len(self.layers) - 1 if from_layer is None else from_layer
        if not -1 <= last < len(self.layers) or len(outputs) != len(self.layers):
            raise ValueError(f"backward: {len(outputs)} outputs for {len(self.layers)} steps, "
                             f"start at step {last}")
        batched = array.ndim == 4
        dtype = np.result_type(np.asarray(grad_last).dtype, np.float32)
        grad = np.asarray(grad_last, dtype=dtype)
        want = outputs[last].shape if last >= 0 else array.shape
        if grad.shape != want:
            raise ValueError(f"backward: gradient shaped {shape_text(grad.shape)}, "
                             f"step {last}'s output is {shape_text(want)}")
        training = getattr(outputs, "training", False)
        memos = getattr(outputs, "memos", None) or [{} for _ in self.layers]
        values = list(outputs) if batched else [output[None] for output in outputs]
        start = np.asarray(array if batched else array[None], dtype=dtype)
        pending = {last: grad if batched else grad[None]}  # dL/d(each step's output) still to pass on
        grads: dict[str, np.ndarray] = {}
        for index in range(last, -1, -1):
            grad = pending.pop(index, None)
            if grad is None:  # nothing after `last` reads this step
                continue
            record, layer = self._summary[index], self.layers[index]
            inputs = [start if source < 0 else values[source] for source in record.sources]
            if layer.is_join:
                input_grads = layer.backward(inputs, values[index], grad, training, memos[index])
            else:
                grad_x, layer_grads = layer.backward(inputs[0], values[index], grad, self.step_params(index),
                                                     training, memos[index])
                input_grads = [grad_x]
                for kind, value in layer_grads.items():
                    grads[f"{record.path}.{kind}"] = value
            for source, input_grad in zip(record.sources, input_grads):
                # Never add in place: a gradient may be a view another step still holds.
                pending[source] = pending[source] + input_grad if source in pending else input_grad
        grad = pending.get(-1, np.zeros_like(start))
        grads = {key: grads[key] for key in self.param_shapes() if key in grads}  # step order
        return (grad if batched else grad[0]), grads

    def _check_input(self, x: Any) -> np.ndarray:
        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise CnntuiError("input_not_numeric", dtype=array.dtype)
        want = tuple(self.input_shape)
        if array.shape != want and array.shape[1:] != want or array.ndim not in (3, 4):
            raise CnntuiError("input_shape", got=shape_text(array.shape), name=self.name, want=shape_text(want))
        return array


def finite_float32(array: np.ndarray) -> np.ndarray:
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
