"""Checking a network description and working out every layer's numbers.

Nothing here allocates weights: VGG-16 at 224x224 is analysed in well under a
millisecond. Every problem is collected, so a builder can show them all at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from .blocks import CHILD_KEYS, Block, Compiler, Join, Step
from .errors import SpecError, closest, loose, shown
from .layers import LAYER_TYPES, Layer, Reach, Shape
from .layers.base import DerivationLine, macs_line, params_line
from .messages import Message
from .textform import KEYWORDS as TEXT_FORM_WORDS

NETWORK_KEYS = {
    "name": '"lenet5"',
    "input": "[1, 28, 28]",
    "layers": '[{"type": "conv2d", "out_channels": 6, "kernel_size": 5}]',
    "description": '"what this network is for"',
    "classes": '["cat", "dog"]',
    "weights": '"lenet5.npz"',
    "normalize": '{"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}',
}
REQUIRED_KEYS = ("input", "layers")
# Names that other libraries, papers and cnntui's text form give our layer types. A JSON network
# must name each type exactly, so these are only suggested, whatever their case or separators.
TYPE_ALIASES = {
    **{loose(name): name for name in LAYER_TYPES},
    **TEXT_FORM_WORDS,  # conv, maxpool, avgpool, gap, leaky
    **dict.fromkeys(["globalavgpool", "globalavgpooling", "globalaveragepool", "globalaveragepooling",
                     "globalavgpool2d", "globalaveragepooling2d"], "global_avg_pool"),
    **dict.fromkeys(["fc", "dense", "fullyconnected", "innerproduct"], "linear"),
    **dict.fromkeys(["convolution", "convolution2d"], "conv2d"),
    **dict.fromkeys(["maxpooling", "maxpooling2d"], "maxpool2d"),
    **dict.fromkeys(["avgpooling", "averagepool", "averagepooling", "averagepooling2d"], "avgpool2d"),
    "logistic": "sigmoid",
    **dict.fromkeys(["nnsequential", "seq"], "sequential"),
    **dict.fromkeys(["res", "resblock", "residualblock", "basicblock", "bottleneck", "skip", "add"], "residual"),
    **dict.fromkeys(["cat", "concatenate", "concatenation", "branches", "inception", "fire"], "concat"),
}
BYTES_PER_VALUE = 4  # float32
# The largest channel count, height or width an input may have: no image comes near it, and it
# keeps sizes and counts far inside the 64-bit integers NumPy's shapes are made of (an input of
# 10^20 overflowed them).
MAX_INPUT_SIZE = 100_000


@dataclass(eq=False)
class LayerRecord:
    """One step's numbers: a leaf layer, or a join where a block's branches meet (``is_join``).
    ``output_shape`` is None when this step or one it depends on is invalid."""

    index: int
    type: str
    spec: dict[str, Any]
    layer: Layer | Join | None = field(default=None, repr=False)
    input_shape: Shape | None = None
    output_shape: Shape | None = None
    weights: int = 0
    biases: int = 0
    buffers: int = 0  # values kept in the state dict but not learned (batch norm's running statistics)
    macs: int = 0
    receptive_field: tuple[int, int] | None = None
    jump: tuple[int, int] | None = None
    fc_equivalent_params: int | None = None
    error: SpecError | None = None
    reach_before: Reach | list[Reach] | None = field(default=None, repr=False)
    path: str = ""
    sources: tuple[int, ...] = ()
    depth: int = 0
    input_shapes: list[Shape | None] = field(default_factory=list, repr=False)
    reach: Reach | None = field(default=None, repr=False)
    address: tuple = ()  # the keys to its node in the network's JSON (a join: its block's); see blocks.Address

    def __post_init__(self):  # a record made by hand, for a plain list of layers
        if not self.path:
            self.path = str(self.index)
        if not self.sources:
            self.sources = (self.index - 1,)

    @property
    def is_join(self) -> bool:
        return self.layer is not None and self.layer.is_join

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
    def derivation(self) -> list[DerivationLine]:
        if not self.ok:
            return []
        if self.is_join:
            return [*self.layer.derivation_of(self.input_shapes, self.output_shape),
                    *self.layer.reach_text(self.reach_before, self.reach)]
        return [*self.layer.derivation(self.input_shape, self.output_shape),
                *self.layer.reach_text(self.reach_before, self.reach)]

    @cached_property
    def notes(self) -> list[Message]:
        return self.layer.notes(self.input_shape, self.output_shape) if self.ok else []

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "path": self.path, "type": self.type, "config": _config(self.spec),
            "join": self.is_join, "sources": list(self.sources), "depth": self.depth,
            "input_shape": _listed(self.input_shape), "output_shape": _listed(self.output_shape),
            "params": self.params, "weights": self.weights, "biases": self.biases, "buffers": self.buffers,
            "neurons": self.neurons, "values": self.values, "macs": self.macs,
            "receptive_field": _listed(self.receptive_field), "jump": _listed(self.jump),
            "fc_equivalent_params": self.fc_equivalent_params,
            "derivation": self.derivation, "notes": [str(n) for n in self.notes],
            "error": None if self.error is None else str(self.error.message),
        }


def _listed(shape):
    return None if shape is None else list(shape)


def _config(spec: dict) -> dict:
    """A step's own settings: for a block, without the children (they are listed themselves)."""
    return {key: value for key, value in spec.items() if key not in CHILD_KEYS}


@dataclass(eq=False)
class BlockRecord:
    """A block's totals and the shapes where it starts and ends. Its steps are
    ``first`` .. ``last`` of the summary's (None for an empty block, which passes its input on)."""

    path: str
    type: str
    spec: dict[str, Any] = field(repr=False)
    depth: int
    first: int | None
    last: int | None
    input_shape: Shape | None
    output_shape: Shape | None
    weights: int
    biases: int
    buffers: int
    macs: int
    error: SpecError | None = None

    receptive_field: tuple[int, int] | None = None
    address: tuple = ()
    is_join: ClassVar[bool] = False
    fc_equivalent_params: ClassVar[None] = None
    notes: ClassVar[tuple] = ()

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def ok(self) -> bool:
        return self.output_shape is not None

    @property
    def derivation(self) -> list[DerivationLine]:
        """The block's totals: the sums over the layers it holds."""
        if not self.ok:
            return []
        return [params_line(f"params = {self.params}"), macs_line(f"MACs = {self.macs}")]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "transparent": self.spec.get("name") == "",
                "depth": self.depth, "first": self.first, "last": self.last,
                "input_shape": _listed(self.input_shape), "output_shape": _listed(self.output_shape),
                "params": self.params, "buffers": self.buffers, "macs": self.macs,
                "error": None if self.error is None else str(self.error.message)}


@dataclass(eq=False)
class Summary:
    """A network's per-layer records and totals; iterate it for the layers."""

    name: str
    input_shape: Shape | None
    layers: list[LayerRecord]
    problems: list[SpecError]
    classes: list[str] | None = None
    blocks: list[BlockRecord] = field(default_factory=list)
    normalize: tuple[tuple[float, ...], tuple[float, ...]] | None = None  # per-channel mean and std
    # One record per entry of the network's "layers": a LayerRecord for a layer, a BlockRecord for a
    # block. For a plain list of layers, the same as ``layers``.
    top_level: list = field(default_factory=list)

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
    def total_buffers(self) -> int:
        return sum(r.buffers for r in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.layers)

    @property
    def weight_bytes(self) -> int:
        """The state dict's size: parameters and buffers."""
        return (self.total_params + self.total_buffers) * BYTES_PER_VALUE

    @property
    def leaves(self) -> list[LayerRecord]:
        return [r for r in self.layers if not r.is_join]

    @property
    def activation_bytes(self) -> int:
        """Input plus every layer's output, for one sample in a forward pass."""
        values = math.prod(self.input_shape or (0,)) + sum(r.values for r in self.layers)
        return values * BYTES_PER_VALUE

    @property
    def output_shape(self) -> Shape | None:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    def record_at(self, address: tuple) -> LayerRecord | BlockRecord | None:
        """The numbers of the node at ``address`` (see blocks.Address): a block's totals for a block,
        a layer's record for a layer; None when no node is there."""
        return self._node_record(lambda record: record.address == address)

    def record_named(self, path: str) -> LayerRecord | BlockRecord | None:
        """The same for the node whose path is ``path`` ("layer2.0", "layer2.0.conv1"): a block's path is
        its join's too, and names the block."""
        return self._node_record(lambda record: record.path == path)

    def _node_record(self, matches) -> LayerRecord | BlockRecord | None:
        found = next((record for record in self.blocks if matches(record)), None)
        return found or next((record for record in self.layers if matches(record) and not record.is_join), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "input": _listed(self.input_shape),
            "layers": [r.to_dict() for r in self.layers],
            "blocks": [b.to_dict() for b in self.blocks],
            "total_params": self.total_params, "total_weights": self.total_weights,
            "total_biases": self.total_biases, "total_buffers": self.total_buffers, "total_macs": self.total_macs,
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
    steps, blocks, top = _compile(spec, problems)
    records = _trace(input_shape, steps, problems)
    classes = _classes(spec, records[-1].output_shape if records else input_shape, problems)
    normalize = _normalize(spec, input_shape, problems)
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    block_records = _block_records(blocks, records, input_shape)
    top_level = [records[i] if kind == "step" else block_records[i] for kind, i in top]
    return Summary(name, input_shape, records, problems, classes, block_records, normalize, top_level)


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


def _compile(spec: dict, problems: list[SpecError]) -> tuple[list[Step], list[Block], list[tuple[str, int]]]:
    value = spec.get("layers", [])
    if not isinstance(value, list):
        problems.append(SpecError("bad_layers", got=shown(value)))
        return [], [], []
    compiler = Compiler(problems)
    steps, blocks = compiler.compile(value)
    return steps, blocks, compiler.top


def _trace(input_shape: Shape | None, steps: list[Step], problems: list[SpecError]) -> list[LayerRecord]:
    """Follow the shapes through the steps; after a failure, the shapes that depend on it are unknown."""
    records: list[LayerRecord] = []
    start = Reach((1, 1), (1, 1), input_shape[1:]) if input_shape else None

    def shape_of(source: int) -> Shape | None:
        return input_shape if source < 0 else records[source].output_shape

    def reach_of(source: int) -> Reach | None:
        return start if source < 0 else records[source].reach

    for step in steps:
        layer = step.layer
        kind = layer.type if layer else str(step.spec.get("type", "?")) if isinstance(step.spec, dict) else "?"
        shapes = [shape_of(source) for source in step.sources]
        record = LayerRecord(step.index, kind, step.spec, layer, shapes[0], path=step.path, sources=step.sources,
                             depth=step.depth, input_shapes=shapes, address=step.address)
        records.append(record)
        if layer is None or any(shape is None for shape in shapes):
            continue
        try:
            out = layer.output_shape_of(shapes) if layer.is_join else layer.output_shape(shapes[0])
        except SpecError as error:
            if error.path is None:
                error.path = step.path
            record.error = error
            problems.append(error)
            continue
        record.output_shape = out
        if layer.is_join:
            record.reach_before = [reach_of(source) for source in step.sources]
            record.reach = layer.reach_of(record.reach_before)
        else:
            param_shapes = layer.param_shapes(shapes[0])
            record.weights = math.prod(param_shapes["weight"]) if "weight" in param_shapes else 0
            record.biases = math.prod(param_shapes["bias"]) if "bias" in param_shapes else 0
            record.buffers = sum(math.prod(shape) for shape in layer.buffer_shapes(shapes[0]).values())
            record.macs = layer.macs(shapes[0], out)
            record.fc_equivalent_params = layer.fc_equivalent_params(shapes[0], out)
            record.reach_before = reach_of(step.sources[0])
            record.reach = layer.reach(record.reach_before)
        record.receptive_field, record.jump = record.reach.size, record.reach.jump
    for problem in problems:
        if problem.index is not None and problem.index < len(records) and records[problem.index].error is None:
            records[problem.index].error = problem
    return records


def _block_records(blocks: list[Block], records: list[LayerRecord], input_shape: Shape | None) -> list[BlockRecord]:
    found = []
    for block in blocks:
        inside = records[block.first:block.last + 1] if block.first is not None else []
        source_shape = input_shape if block.source < 0 else records[block.source].output_shape
        output_shape = records[block.last].output_shape if block.last is not None else source_shape
        error = next((r.error for r in inside if r.error is not None), None)
        found.append(BlockRecord(block.path, block.type, block.spec, block.depth, block.first, block.last,
                                 source_shape, output_shape if error is None else None,
                                 sum(r.weights for r in inside), sum(r.biases for r in inside),
                                 sum(r.buffers for r in inside), sum(r.macs for r in inside), error,
                                 records[block.last].receptive_field if block.last is not None else None,
                                 block.address))
    return found


def _normalize(spec: dict, input_shape: Shape | None, problems: list[SpecError]):
    """The per-channel (mean, std) an image is normalised with when converted to the input, or None."""
    value = spec.get("normalize")
    if value is None:
        return None
    channels = input_shape[0] if input_shape else None
    ok = isinstance(value, dict) and set(value) == {"mean", "std"} and all(
        isinstance(value[key], list) and len(value[key]) == (channels or len(value[key]))
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value[key])
        for key in ("mean", "std")) and all(v > 0 for v in value["std"])
    if not ok:
        problems.append(SpecError("bad_normalize", got=shown(value), channels=channels or "C"))
        return None
    return tuple(map(float, value["mean"])), tuple(map(float, value["std"]))


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
