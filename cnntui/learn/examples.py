"""Worked examples: every number on a Learn page is computed by the engine when the page is shown.

A page's example names networks (presets or inline specs) and optionally one
forward pass ("forward", shown as ``fwd``) or several ("forwards", each under its
name); its text refers to the results with placeholders such as
``{net.L0.output}`` or ``{pct(net.L11.params, net.total_params):.1f}``
(see placeholders.py); a block or layer is also found by its path,
``{net.at['layer2.0'].output}``. A forward pass may run in training mode
("training": true: batch norm on the batch's statistics, dropout's mask drawn
from its "seed"); one with a "label" also gives the training loss and its
gradient, and one with a "step" works out one output of a conv or pooling layer
from its window, as View's step-through does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from ..core import Network, analyze
from ..core.assets import find_network, read_json
from .placeholders import ExampleError, Lines, Shape, format_number


class Values:
    """An array that prints as [0, 0.5, 2] and indexes to numbers."""

    def __init__(self, array: np.ndarray):
        self.array = np.asarray(array)

    def __getitem__(self, index: int):
        item = self.array[index]
        return Values(item) if np.ndim(item) else float(item)

    def __len__(self) -> int:
        return len(self.array)

    def __format__(self, spec: str) -> str:
        if spec == "rows":  # a matrix row by row: [1, 2] [3, 4]
            rows = self.array.reshape(-1, self.array.shape[-1]) if self.array.ndim else self.array.reshape(1, 1)
            return " ".join(format(Values(row)) for row in rows)
        return "[" + ", ".join(format_number(float(v), spec) for v in self.array.ravel()) + "]"

    @property
    def total(self) -> float:
        return float(self.array.sum())

    @property
    def size(self) -> int:
        return int(self.array.size)

    @property
    def nonzero(self) -> int:
        """How many entries are not 0: what dropout kept."""
        return int(np.count_nonzero(self.array))

    @property
    def mean(self) -> float:
        return float(self.array.mean(dtype=np.float64))

    @property
    def var(self) -> float:
        """The variance dividing by the count, as batch norm normalises with."""
        return float(self.array.var(dtype=np.float64))


class LayerFacts:
    """One layer's numbers, as the engine's analysis gives them."""

    def __init__(self, record, total_params: int):
        self.type = record.type
        self.index, self.path = record.index, record.path
        self.input = Shape(record.input_shape)
        self.output = Shape(record.output_shape)
        self.params, self.weights, self.biases = record.params, record.weights, record.biases
        self.macs, self.values = record.macs, record.values
        self.buffers = record.buffers  # kept in the state dict, not learned (batch norm's statistics)
        # None, not 0, for a ReLU, pooling or flatten layer: a table shows "-", and a sentence that
        # counts neurons there fails to render (problems() reports it) instead of printing 0.
        self.neurons = record.neurons if record.layer.has_neurons else None
        size = record.receptive_field
        self.rf = size[0] if size[0] == size[1] else f"{size[0]}x{size[1]}"
        self.jump = record.jump[0] if record.jump[0] == record.jump[1] else f"{record.jump[0]}x{record.jump[1]}"
        self.fc_params = record.fc_equivalent_params
        self.share = 100 * record.params / total_params if total_params else 0.0
        self.derivation = Lines(record.derivation)
        self.notes = record.notes
        # The layer's fields as the engine read them, defaults filled in ("{d.L0.settings['p']}", and
        # kernel_size as a pair): a sentence restates the setup's figures from here, never by hand.
        self.settings = dict(record.layer.settings)
        # A window layer's arithmetic along each axis (padding each side, ceil_mode's trimming...).
        self.rows, self.cols = record.layer.axes(record.input_shape) if hasattr(record.layer, "axes") else (None, None)


class BlockFacts:
    """One block's totals (a residual, a concat, a sequential), as the engine's analysis gives them."""

    def __init__(self, record, total_params: int):
        self.type, self.path = record.type, record.path
        self.input = Shape(record.input_shape)
        self.output = Shape(record.output_shape)
        self.params, self.weights, self.biases = record.params, record.weights, record.biases
        self.buffers, self.macs = record.buffers, record.macs
        self.share = 100 * record.params / total_params if total_params else 0.0


class NetFacts:
    """A network's totals, each step as L0, L1, ..., and each step or block by its path in ``at``
    (``at['layer2.0']``: the block's totals; ``joins['layer2.0']``: its sum or concatenation step)."""

    def __init__(self, summary):
        self.summary = summary
        self.name = summary.name
        self.input = Shape(summary.input_shape)
        self.output = Shape(summary.output_shape)
        self.total_params, self.total_macs = summary.total_params, summary.total_macs
        self.total_weights, self.total_biases = summary.total_weights, summary.total_biases
        self.total_buffers = summary.total_buffers
        self.total_neurons = sum(record.neurons for record in summary)  # conv and linear units only
        self.total_values = sum(record.values for record in summary)  # every layer's outputs: memory
        self.layer_count = len(summary)
        self.layers = [LayerFacts(record, summary.total_params) for record in summary]
        self.joins = {layer.path: layer for layer, record in zip(self.layers, summary) if record.is_join}
        self.at = {layer.path: layer for layer, record in zip(self.layers, summary) if not record.is_join}
        self.at.update((block.path, BlockFacts(block, summary.total_params)) for block in summary.blocks)

    def __getattr__(self, name: str) -> LayerFacts:
        if name.startswith("L") and name[1:].isdigit() and int(name[1:]) < len(self.layers):
            return self.layers[int(name[1:])]
        raise AttributeError(f"{self.name} has no {name}")


class ForwardFacts:
    """One forward pass: the input ``x``, each layer's output ``out[i]`` and the weights ``w``;
    with a ``label``, the training loss and its gradient (``loss``, ``grad``); with a ``step``,
    one output of a conv or pooling layer worked out from its window (``step``); with
    "backward", the gradient of the sum of the last outputs with respect to the input (``dx``)."""

    def __init__(self, x: np.ndarray, outputs: list[np.ndarray], weights: dict[str, np.ndarray]):
        self.x = Values(x)
        self.out = [Values(output) for output in outputs]
        self.w = {key: Values(value) for key, value in weights.items()}
        self.loss: float | None = None
        self.grad: Values | None = None
        self.step: StepFacts | None = None
        self.dx: Values | None = None


class StepFacts:
    """One output value of a conv or pooling layer, as View's step-through works it out (in float64),
    next to ``output``, the forward pass's own value at that position."""

    def __init__(self, step, output: float):
        self.windows = Values(step.windows)  # one window per input channel read
        self.kernels = None if step.kernels is None else Values(step.kernels)
        self.sums = None if step.channel_sums is None else Values(step.channel_sums)
        self.bias, self.divisor, self.value = step.bias, step.divisor, step.value
        self.output = output


@cache
def preset_spec(name: str) -> dict:
    return read_json(find_network(name))


def network_spec(source: str | dict) -> dict:
    return source if isinstance(source, dict) else preset_spec(source)


def build_namespace(setup: dict) -> dict[str, Any]:
    """Analyse the example's networks and run its forward pass, if it has one."""
    namespace: dict[str, Any] = {}
    specs = {}
    for name, source in setup.get("nets", {}).items():
        specs[name] = network_spec(source)
        summary = analyze(specs[name])
        if summary.problems:
            raise ExampleError(f"network '{name}' is invalid: {summary.problems[0]}")
        namespace[name] = NetFacts(summary)
    if "forward" in setup:
        namespace["fwd"] = run_forward(setup["forward"], specs)
    for name, forward in setup.get("forwards", {}).items():  # when one page compares several passes
        namespace[name] = run_forward(forward, specs)
    if "timeline" in setup:  # landmark networks side by side (the architecture timeline)
        from .architectures import Timeline

        namespace["timeline"] = Timeline.from_setup(setup["timeline"])
    from .experiments import EXPERIMENTS  # small experiments: initialisation, optimisers, data splits

    for name in EXPERIMENTS.keys() & setup.keys():
        namespace[name] = EXPERIMENTS[name](setup[name])
    return namespace


def run_forward(forward: dict, specs: dict[str, dict]) -> ForwardFacts:
    net = Network.from_dict(specs[forward["net"]])
    net.init_weights(forward.get("seed", 0))
    if "weights" in forward:  # over the initial state, so that a page names only the values it shows
        given = {key: np.asarray(value, dtype=np.float32) for key, value in forward["weights"].items()}
        net.set_weights({**net.weights, **given})
    x = input_array(forward["input"])
    # "training": batch norm on the batch's statistics (updating its running ones), dropout's mask from the seed.
    outputs = net.forward(x, training=forward.get("training", False), seed=forward.get("seed", 0))
    facts = ForwardFacts(x, outputs, net.weights)
    if "label" in forward:
        # The very loss Train mode minimises. cnntui.train is NumPy only; imported here so that
        # pages without a loss do not load it.
        from ..train.losses import loss_and_grad

        facts.loss, _, grad = loss_and_grad(net, outputs, forward["label"])
        facts.grad = Values(grad)
    if "step" in forward:
        facts.step = window_step(net, x, outputs, **forward["step"])
    if forward.get("backward"):  # d(sum of the outputs)/dx: how much each input moves the result
        facts.dx = Values(net.backward(x, outputs, np.ones_like(outputs[-1]))[0])
    return facts


def input_array(given: list | dict) -> np.ndarray:
    """A forward pass's input: nested lists, or {"shape": [...], "fill": v} for many equal values."""
    if isinstance(given, dict):
        return np.full(given["shape"], given["fill"], dtype=np.float32)
    return np.asarray(given, dtype=np.float32)


def window_step(net: Network, x: np.ndarray, outputs: list[np.ndarray], layer: int, channel: int, row: int,
                col: int) -> StepFacts:
    """Output ``channel`` at (row, col) of conv or pooling ``layer``, for a single sample ``x``."""
    if x.ndim != 3 or not hasattr(net.layers[layer], "step"):
        raise ExampleError(f"a step needs one sample and a conv or pooling layer, not {net.layers[layer].type}")
    source_index = net.summary()[layer].sources[0]
    source = x if source_index < 0 else outputs[source_index]
    params = net.step_params(layer)
    step = net.layers[layer].step(source, params, channel, row, col)
    return StepFacts(step, float(outputs[layer][channel, row, col]))


