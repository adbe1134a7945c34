"""Checking a network description and working out every layer's numbers.

Nothing here allocates weights: VGG-16 at 224x224 is analysed in well under a
millisecond. Every problem is collected, so a builder can show them all at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import SpecError, closest, loose, shown
from .layers import LAYER_TYPES, Layer, Reach, Shape
from .messages import Message
from .textform import KEYWORDS as TEXT_FORM_WORDS

NETWORK_KEYS = {
    "name": '"lenet5"',
    "input": "[1, 28, 28]",
    "layers": '[{"type": "conv2d", "out_channels": 6, "kernel_size": 5}]',
    "description": '"what this network is for"',
    "classes": '["cat", "dog"]',
    "weights": '"lenet5.npz"',
}
REQUIRED_KEYS = ("input", "layers")
# Names that other libraries, papers and cnntui's text form give our layer types. A JSON network
# must name each type exactly, so these are only suggested, whatever their case or separators.
TYPE_ALIASES = {
    **{loose(name): name for name in LAYER_TYPES},
    **TEXT_FORM_WORDS,  # conv, maxpool, avgpool, gap, leaky
    **dict.fromkeys(["globalavgpool", "globalavgpooling", "globalaveragepool", "globalaveragepooling",
                     "globalavgpool2d", "globalaveragepooling2d", "adaptiveavgpool2d"], "global_avg_pool"),
    **dict.fromkeys(["fc", "dense", "fullyconnected", "innerproduct"], "linear"),
    **dict.fromkeys(["convolution", "convolution2d"], "conv2d"),
    **dict.fromkeys(["maxpooling", "maxpooling2d"], "maxpool2d"),
    **dict.fromkeys(["avgpooling", "averagepool", "averagepooling", "averagepooling2d"], "avgpool2d"),
    "logistic": "sigmoid",
}
BYTES_PER_VALUE = 4  # float32
# The largest channel count, height or width an input may have: no image comes near it, and it
# keeps sizes and counts far inside the 64-bit integers NumPy's shapes are made of (an input of
# 10^20 overflowed them).
MAX_INPUT_SIZE = 100_000


@dataclass(eq=False)
class LayerRecord:
    """One layer's numbers. ``output_shape`` is None when this layer or an earlier one is invalid."""

    index: int
    type: str
    spec: dict[str, Any]
    layer: Layer | None = field(default=None, repr=False)
    input_shape: Shape | None = None
    output_shape: Shape | None = None
    weights: int = 0
    biases: int = 0
    macs: int = 0
    receptive_field: tuple[int, int] | None = None
    jump: tuple[int, int] | None = None
    fc_equivalent_params: int | None = None
    error: SpecError | None = None
    reach_before: Reach | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.output_shape is not None

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def values(self) -> int:
        """Output values per sample, whatever the layer computes them with."""
        return math.prod(self.output_shape) if self.ok else 0

    @property
    def neurons(self) -> int:
        """Neurons per sample: the outputs of conv and linear units, 0 for every other layer."""
        return self.values if self.layer is not None and self.layer.has_neurons else 0

    @cached_property
    def derivation(self) -> list[str]:
        if not self.ok:
            return []
        after = Reach(self.receptive_field, self.jump, self.reach_before.image)
        return [*self.layer.derivation(self.input_shape, self.output_shape),
                *self.layer.reach_text(self.reach_before, after)]

    @cached_property
    def notes(self) -> list[Message]:
        return self.layer.notes(self.input_shape, self.output_shape) if self.ok else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "type": self.type, "config": self.spec,
            "input_shape": _listed(self.input_shape), "output_shape": _listed(self.output_shape),
            "params": self.params, "weights": self.weights, "biases": self.biases,
            "neurons": self.neurons, "values": self.values, "macs": self.macs,
            "receptive_field": _listed(self.receptive_field), "jump": _listed(self.jump),
            "fc_equivalent_params": self.fc_equivalent_params,
            "derivation": self.derivation, "notes": [str(n) for n in self.notes],
            "error": None if self.error is None else str(self.error.message),
        }


def _listed(shape):
    return None if shape is None else list(shape)


@dataclass(eq=False)
class Summary:
    """A network's per-layer records and totals; iterate it for the layers."""

    name: str
    input_shape: Shape | None
    layers: list[LayerRecord]
    problems: list[SpecError]
    classes: list[str] | None = None

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> LayerRecord:
        return self.layers[index]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_weights(self) -> int:
        return sum(r.weights for r in self.layers)

    @property
    def total_biases(self) -> int:
        return sum(r.biases for r in self.layers)

    @property
    def total_params(self) -> int:
        return self.total_weights + self.total_biases

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.layers)

    @property
    def weight_bytes(self) -> int:
        return self.total_params * BYTES_PER_VALUE

    @property
    def activation_bytes(self) -> int:
        """Input plus every layer's output, for one sample in a forward pass."""
        values = math.prod(self.input_shape or (0,)) + sum(r.values for r in self.layers)
        return values * BYTES_PER_VALUE

    @property
    def output_shape(self) -> Shape | None:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "input": _listed(self.input_shape),
            "layers": [r.to_dict() for r in self.layers],
            "total_params": self.total_params, "total_weights": self.total_weights,
            "total_biases": self.total_biases, "total_macs": self.total_macs,
            "weight_bytes": self.weight_bytes, "activation_bytes": self.activation_bytes,
            "problems": [str(p) for p in self.problems],
        }


def analyze(spec: Any) -> Summary:
    """Check ``spec`` (a network as JSON data) and compute every layer's numbers.

    Never raises for a problem in the network: problems are listed in
    ``Summary.problems`` and the records of the layers they touch have no shape.
    """
    if not isinstance(spec, dict):
        problem = SpecError("not_object", got=shown(spec))
        return Summary("network", None, [], [problem])
    problems = _check_keys(spec)
    name = spec.get("name")
    name = name if isinstance(name, str) else "network"
    input_shape = _input_shape(spec, problems)
    layers = _parse_layers(spec, problems)
    records = _trace(input_shape, layers, problems)
    classes = _classes(spec, records[-1].output_shape if records else input_shape, problems)
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    return Summary(name, input_shape, records, problems, classes)


def check(spec: Any) -> Summary:
    """Like ``analyze``, but a network with problems raises one SpecError listing them all."""
    summary = analyze(spec)
    if summary.problems:
        raise SpecError.gather(summary.problems)
    return summary


def _check_keys(spec: dict) -> list[SpecError]:
    problems = [SpecError("unknown_key", got=key, hint=closest(key, NETWORK_KEYS), known=", ".join(NETWORK_KEYS))
                for key in spec if key not in NETWORK_KEYS]
    problems += [SpecError("missing_key", key=key, example=NETWORK_KEYS[key])
                 for key in REQUIRED_KEYS if key not in spec]
    for key in ("name", "description", "weights"):
        if key in spec and not isinstance(spec[key], str):
            problems.append(SpecError("bad_text", key=key, got=shown(spec[key])))
    return problems


def _input_shape(spec: dict, problems: list[SpecError]) -> Shape | None:
    if "input" not in spec:
        return None
    value = spec["input"]
    if not (isinstance(value, list) and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        problems.append(SpecError("bad_input", got=shown(value)))
        return None
    if max(value) > MAX_INPUT_SIZE:
        problems.append(SpecError("input_too_large", limit=f"{MAX_INPUT_SIZE:,}", got=shown(value)))
        return None
    return tuple(value)


def _parse_layers(spec: dict, problems: list[SpecError]) -> list[tuple[dict, Layer | None]]:
    value = spec.get("layers", [])
    if not isinstance(value, list):
        problems.append(SpecError("bad_layers", got=shown(value)))
        return []
    return [(layer_spec, _parse_layer(index, layer_spec, problems)) for index, layer_spec in enumerate(value)]


def _parse_layer(index: int, layer_spec: Any, problems: list[SpecError]) -> Layer | None:
    known = ", ".join(LAYER_TYPES)
    if not isinstance(layer_spec, dict):
        problems.append(SpecError("layer_not_object", index=index, got=shown(layer_spec)))
        return None
    kind = layer_spec.get("type")
    if kind is None:
        problems.append(SpecError("missing_type", index=index, known=known))
        return None
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        problems.append(SpecError("unknown_type", index=index, layer_type=kind if isinstance(kind, str) else "?",
                                  got=kind if isinstance(kind, str) else shown(kind),
                                  hint=closest(kind, LAYER_TYPES, TYPE_ALIASES), known=known))
        return None
    try:
        return LAYER_TYPES[kind].parse(index, layer_spec)
    except SpecError as error:
        problems.extend(error.problems)
        return None


def _trace(input_shape: Shape | None, layers, problems: list[SpecError]) -> list[LayerRecord]:
    """Follow the shape through the layers; after a failure, shapes are unknown."""
    records = []
    shape = input_shape
    reach = Reach((1, 1), (1, 1), input_shape[1:]) if input_shape else None
    for index, (layer_spec, layer) in enumerate(layers):
        kind = layer.type if layer else str(layer_spec.get("type", "?")) if isinstance(layer_spec, dict) else "?"
        record = LayerRecord(index, kind, layer_spec if isinstance(layer_spec, dict) else {}, layer, shape)
        records.append(record)
        if layer is None or shape is None:
            shape = None
            continue
        try:
            out = layer.output_shape(shape)
        except SpecError as error:
            record.error = error
            problems.append(error)
            shape = None
            continue
        param_shapes = layer.param_shapes(shape)
        record.output_shape = out
        record.weights = math.prod(param_shapes["weight"]) if "weight" in param_shapes else 0
        record.biases = math.prod(param_shapes["bias"]) if "bias" in param_shapes else 0
        record.macs = layer.macs(shape, out)
        record.fc_equivalent_params = layer.fc_equivalent_params(shape, out)
        record.reach_before = reach
        reach = layer.reach(reach)
        record.receptive_field, record.jump = reach.size, reach.jump
        shape = out
    for problem in problems:
        if problem.index is not None and problem.index < len(records) and records[problem.index].error is None:
            records[problem.index].error = problem
    return records


def _classes(spec: dict, output_shape: Shape | None, problems: list[SpecError]) -> list[str] | None:
    classes = spec.get("classes")
    if classes is None:
        return None
    if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
        problems.append(SpecError("bad_classes", got=shown(classes)))
        return None
    if output_shape is not None and len(output_shape) == 1 and output_shape[0] != len(classes):
        problems.append(SpecError("classes_mismatch", n=output_shape[0], k=len(classes)))
    return classes
