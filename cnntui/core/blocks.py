"""Blocks: a network's layers form a tree of sequential, residual and concatenation blocks.

The tree is compiled into **steps**, run in order: every leaf layer, plus one join step
where a residual block adds its body to its shortcut or a concatenation joins its
branches. Each step reads the outputs of earlier steps (its ``sources``; -1 is the
network's input), so a plain list of layers is a chain of steps, each reading the one
before, exactly as it always was.

Every step and block has a path: the dotted module name PyTorch gives it
(``layer1.0.conv1``), built from the nodes' names; and an address: the keys that lead to its
node in the network's JSON (``("layers", 4, "layers", 0, "body", 0)``), which an editor follows. A node's name defaults to its
position in its list, like ``nn.Sequential``; the name "" makes a node transparent, its
children named as if they were its parent's (SqueezeNet's Fire modules need that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import SpecError, closest, shown
from .layers import LAYER_TYPES, Layer, Reach, Shape, shape_text
from .layers.base import DerivationLine, other_line, params_line, rf_line, shape_line
from .messages import Message

NAME = re.compile(r"[A-Za-z0-9_]*")
Address = tuple  # keys from the network's JSON to a node: ("layers", 2, "branches", 1)
# Each container's keys besides "type" and "name", and whether it must have them.
CONTAINER_KEYS: dict[str, dict[str, bool]] = {
    "sequential": {"layers": True},
    "residual": {"body": True, "shortcut": False, "activation": False},
    "concat": {"branches": True},
}
CONTAINER_TYPES = tuple(CONTAINER_KEYS)


class Join:
    """A step where branches meet. Like a Layer, it has a type, index and path; it learns nothing."""

    type: ClassVar[str] = ""
    is_join: ClassVar[bool] = True
    has_neurons: ClassVar[bool] = False
    is_activation: ClassVar[bool] = False
    per_value: ClassVar[bool] = False
    worked_before_activation: ClassVar[bool] = False  # View works out the sum itself (view_steps.py)
    wants_he_init: ClassVar[bool] = False
    saturates: ClassVar[bool] = False
    keras_header: ClassVar[str] = ""
    fields: ClassVar[dict] = {}

    def __init__(self, index: int, path: str, names: list[str]):
        self.index, self.path, self.names = index, path, names
        self.settings: dict[str, Any] = {}

    def error(self, code: str, **args) -> SpecError:
        return SpecError(code, index=self.index, layer_type=self.type, path=self.path, **args)

    # A join has none of a layer's parameters, buffers, MACs or notes.
    def param_shapes(self, shape: Shape) -> dict[str, Shape]:
        return {}

    def buffer_shapes(self, shape: Shape) -> dict[str, Shape]:
        return {}

    def initial_state(self, shape, scheme, rng) -> dict[str, np.ndarray]:
        return {}

    def macs(self, shape: Shape, out: Shape) -> int:
        return 0

    def fc_equivalent_params(self, shape: Shape, out: Shape) -> None:
        return None

    def notes(self, shape: Shape, out: Shape) -> list:
        return []

    def work_elements(self, shape: Shape, out: Shape) -> int:
        return 0

    def row_message(self, shapes: list[Shape | None]) -> Message:
        """The join as one row of a tree ("= body + shortcut, relu", "= concat 64+128+32+32"), for
        the CLI's summary and the app's Build and View; ``shapes`` are its inputs' (None: unknown)."""
        raise NotImplementedError

    def reach_of(self, reaches: list[Reach]) -> Reach:
        """Each output sees what the widest of its inputs sees."""
        size = tuple(max(r.size[a] for r in reaches) for a in (0, 1))
        jump = tuple(max(r.jump[a] for r in reaches) for a in (0, 1))
        return Reach(size, jump, reaches[0].image)

    def reach_text(self, reaches: list[Reach], after: Reach) -> list[DerivationLine]:
        sizes = ", ".join(f"{r.size[0]}x{r.size[1]}" for r in reaches)
        return [rf_line(f"RF = largest of ({sizes}) = {after.size[0]}x{after.size[1]}")]


class ResidualJoin(Join):
    """The end of a residual block: body + shortcut, then the block's activation if it has one."""

    type = "residual"

    def __init__(self, index: int, path: str, names: list[str], activation: Layer | None, has_shortcut: bool):
        super().__init__(index, path, names)
        self.activation = activation
        self.settings = {"activation": activation.type if activation else None}
        self.has_shortcut = has_shortcut
        # The activation after the sum counts as much as one inside the body (He init, Train's advice).
        self.wants_he_init = activation is not None and activation.wants_he_init
        self.saturates = activation is not None and activation.saturates

    def row_message(self, shapes: list[Shape | None]) -> Message:
        if self.activation is None:
            return Message("join_sum", {})
        return Message("join_sum_then", {"activation": self.activation.type})

    def output_shape_of(self, shapes: list[Shape]) -> Shape:
        body, shortcut = shapes
        if body != shortcut:
            raise self.error("residual_mismatch", body=shape_text(body), shortcut=shape_text(shortcut),
                             fix=_shortcut_fix(body, shortcut, self.has_shortcut))
        return body

    def derivation_of(self, shapes: list[Shape], out: Shape) -> list[DerivationLine]:
        # The sum's line shows the two shapes that must agree: the output's shape is theirs.
        lines = [shape_line(f"y = body + shortcut ({shape_text(shapes[0])} + {shape_text(shapes[1])})")]
        if self.activation is not None:
            lines.append(other_line(f"then {self.activation.type}: y = {self.activation.type}(body + shortcut)"))
        return [*lines, params_line("params = 0")]

    def forward(self, inputs: list[np.ndarray], training: bool = False, memo: dict | None = None) -> np.ndarray:
        total = inputs[0] + inputs[1]
        return total if self.activation is None else self.activation.forward(total, {}, training, memo)

    def backward(self, inputs: list[np.ndarray], y: np.ndarray, grad_y: np.ndarray, training: bool = False,
                 memo: dict | None = None) -> list[np.ndarray]:
        grad = grad_y
        if self.activation is not None:
            grad = self.activation.backward(inputs[0] + inputs[1], y, grad_y, {}, training, memo)[0]
        return [grad, grad]


class ConcatJoin(Join):
    """The end of a concatenation: the branches' outputs, one after another along the channels."""

    type = "concat"

    def row_message(self, shapes: list[Shape | None]) -> Message:
        if any(shape is None for shape in shapes):
            return Message("join_concat_unknown", {})
        return Message("join_concat", {"counts": "+".join(str(shape[0]) for shape in shapes)})

    def output_shape_of(self, shapes: list[Shape]) -> Shape:
        first = shapes[0]
        for name, shape in zip(self.names[1:], shapes[1:]):
            if len(shape) != len(first) or shape[1:] != first[1:]:
                raise self.error("concat_mismatch", first=self.names[0], first_shape=shape_text(first), other=name,
                                 other_shape=shape_text(shape))
        return (sum(shape[0] for shape in shapes), *first[1:])

    def derivation_of(self, shapes: list[Shape], out: Shape) -> list[DerivationLine]:
        counts = " + ".join(str(shape[0]) for shape in shapes)
        what = "channels" if len(out) == 3 else "values"
        return [shape_line(f"{what} = {counts} = {out[0]}"), params_line("params = 0")]

    def forward(self, inputs: list[np.ndarray], training: bool = False, memo: dict | None = None) -> np.ndarray:
        return np.concatenate(inputs, axis=1)

    def backward(self, inputs: list[np.ndarray], y: np.ndarray, grad_y: np.ndarray, training: bool = False,
                 memo: dict | None = None) -> list[np.ndarray]:
        edges = np.cumsum([value.shape[1] for value in inputs])[:-1]
        return np.split(grad_y, edges, axis=1)


def _shortcut_fix(body: Shape, shortcut: Shape, has_shortcut: bool) -> Message:
    """What would make the shortcut's output the body's shape: a 1x1 conv with the stride that
    gives the body's height and width from the block's input, where one does."""
    code = "fix_change_shortcut" if has_shortcut else "fix_add_shortcut"
    if len(body) == len(shortcut) == 3 and not has_shortcut:
        (h, w), (height, width) = body[1:], shortcut[1:]
        strides = [s for s in range(1, max(height, width) + 1)
                   if (height - 1) // s + 1 == h and (width - 1) // s + 1 == w]
        if strides:
            return Message(f"{code}_conv", {"stride": strides[0], "channels": body[0]})
    return Message(code, {"shape": shape_text(body)})


@dataclass(eq=False)
class Step:
    """One step as compiled from the tree: what it runs and which steps it reads."""

    index: int
    path: str
    spec: dict
    sources: tuple[int, ...]
    depth: int
    layer: Layer | Join | None  # None when the leaf's description is invalid
    address: Address = ()  # a join's is its block's


@dataclass(eq=False)
class Block:
    """A container as compiled: its steps are ``first`` .. ``last`` (none when it is empty)."""

    path: str
    type: str
    spec: dict
    depth: int
    source: int  # the step its input comes from (-1: the network's input)
    first: int | None = None
    last: int | None = None  # the step whose output is the block's output
    address: Address = ()


class Compiler:
    """Turns a "layers" list into steps and blocks, collecting every problem on the way."""

    def __init__(self, problems: list[SpecError]):
        self.problems = problems
        self.steps: list[Step] = []
        self.blocks: list[Block] = []
        self.named_twice: set[str] = set()  # paths already reported as a duplicate name

    def compile(self, layers: list) -> tuple[list[Step], list[Block]]:
        """Steps and blocks; ``top`` then says, for each entry of ``layers``, where its numbers are:
        ("step", index) for a leaf layer, ("block", index into blocks) for a container."""
        self.top: list[tuple[str, int]] = []
        self._sequence(layers, -1, "", 0, ("layers",), top=self.top)
        self._check_paths()
        return self.steps, self.blocks

    # -- the tree -------------------------------------------------------------

    def _sequence(self, nodes: list, source: int, prefix: str, depth: int, address: Address,
                  names: set[str] | None = None, top: list | None = None) -> int:
        """Each node reads the one before; returns the step that gives the last one's output.
        ``names``: the names taken so far among these siblings; ``top``: where to say where each
        node's numbers are (see ``compile``)."""
        names = set() if names is None else names
        for position, node in enumerate(nodes):
            blocks, steps = len(self.blocks), len(self.steps)
            source = self._node(node, source, prefix, str(position), depth, names, (*address, position))
            if top is not None:
                top.append(("block", blocks) if is_container(node) else ("step", steps))
        return source

    def _node(self, node: Any, source: int, prefix: str, default: str, depth: int, names: set[str],
              address: Address) -> int:
        index = len(self.steps)
        if not isinstance(node, dict):
            self._problem(SpecError("layer_not_object", index=index, got=shown(node), path=_join(prefix, default)))
            return self._broken(_join(prefix, default), source, depth, address)
        kind = node.get("type")
        container = is_container(node)
        name = self._name(node, default, prefix, names, index, kind if isinstance(kind, str) else None, container)
        path = _join(prefix, name)
        if container:
            return self._container(node, kind, source, path, depth, address)
        return self._leaf(node, source, path, depth, address)

    def _name(self, node: dict, default: str, prefix: str, names: set[str], index: int, kind: str | None,
              container: bool) -> str:
        name = node.get("name", default)
        where = {"index": index, "layer_type": kind, "path": _join(prefix, default)}
        if not isinstance(name, str) or not NAME.fullmatch(name):
            self._problem(SpecError("bad_name", got=shown(name), **where))
            return default
        if not name and not container:
            # Only a block can pass its name on to its children; a layer needs one of its own.
            self._problem(SpecError("empty_layer_name", **where))
            return default
        if name:
            if name in names:
                self._problem(SpecError("duplicate_name", got=name, block=prefix or Message("the_network"),
                                        **{**where, "path": _join(prefix, name)}))
                self.named_twice.add(_join(prefix, name))
            names.add(name)
        return name

    def _leaf(self, node: dict, source: int, path: str, depth: int, address: Address) -> int:
        index = len(self.steps)
        layer = _parse_layer(index, path, node, self.problems)
        self.steps.append(Step(index, path, node, (source,), depth, layer, address))
        return index

    def _broken(self, path: str, source: int, depth: int, address: Address) -> int:
        self.steps.append(Step(len(self.steps), path, {}, (source,), depth, None, address))
        return len(self.steps) - 1

    def _container(self, node: dict, kind: str, source: int, path: str, depth: int, address: Address) -> int:
        block = Block(path, kind, node, depth, source, address=address)
        self.blocks.append(block)
        if not self._container_keys(node, kind, path):
            block.first = block.last = self._broken(path, source, depth, address)
            return block.last
        start = len(self.steps)
        if kind == "sequential":
            out = self._sequence(node["layers"], source, path, depth + 1, (*address, "layers"))
        elif kind == "residual":
            out = self._residual(node, source, path, depth, address)
        else:
            out = self._concat(node, source, path, depth, address)
        if len(self.steps) > start:
            block.first, block.last = start, out
        return out

    def _residual(self, node: dict, source: int, path: str, depth: int, address: Address) -> int:
        names: set[str] = set()  # the body's and the shortcut's, all children of the block
        body = self._sequence(node["body"], source, path, depth + 1, (*address, "body"), names)
        shortcut = source
        if node.get("shortcut") is not None:
            shortcut = self._node(node["shortcut"], source, path, "shortcut", depth + 1, names,
                                  (*address, "shortcut"))
        activation = _activation(len(self.steps), path, node.get("activation"), self.problems)
        join = ResidualJoin(len(self.steps), path, ["body", "shortcut"], activation,
                            node.get("shortcut") is not None)
        self.steps.append(Step(join.index, path, node, (body, shortcut), depth + 1, join, address))
        return join.index

    def _concat(self, node: dict, source: int, path: str, depth: int, address: Address) -> int:
        names: set[str] = set()
        outs, labels = [], []
        for position, branch in enumerate(node["branches"]):
            outs.append(self._node(branch, source, path, str(position), depth + 1, names,
                                   (*address, "branches", position)))
            label = branch.get("name", str(position)) if isinstance(branch, dict) else str(position)
            labels.append(str(label) or str(position))
        join = ConcatJoin(len(self.steps), path, labels)
        self.steps.append(Step(join.index, path, node, tuple(outs), depth + 1, join, address))
        return join.index

    # -- checks ---------------------------------------------------------------

    def _container_keys(self, node: dict, kind: str, path: str) -> bool:
        """False when the container cannot be compiled (its problems are recorded)."""
        index, found = len(self.steps), []
        keys = CONTAINER_KEYS[kind]
        for key in node:
            if key not in ("type", "name", *keys):
                found.append(SpecError("unknown_block_key", got=key, hint=closest(key, keys), type=kind,
                                       known=", ".join(keys)))
        found += [SpecError("missing_block_key", type=kind, key=key, example=BLOCK_EXAMPLES[key])
                  for key, required in keys.items() if required and key not in node]
        for key in ("layers", "body", "branches"):
            if key in node and key in keys and not isinstance(node[key], list):
                found.append(SpecError("bad_block_list", type=kind, key=key, got=shown(node[key])))
        if kind == "concat" and isinstance(node.get("branches"), list) and len(node["branches"]) < 2:
            found.append(SpecError("concat_few_branches", n=len(node["branches"])))
        if kind == "residual" and "shortcut" in node and not isinstance(node["shortcut"], (dict, type(None))):
            found.append(SpecError("bad_shortcut", got=shown(node["shortcut"])))
        for problem in found:
            problem.index, problem.layer_type, problem.path = index, kind, path
            self._problem(problem)
        return not found

    def _check_paths(self) -> None:
        """Two steps with one path would share their weights' keys and their outputs' names."""
        seen: dict[str, int] = {}
        for step in self.steps:
            kind = step.layer.type if step.layer is not None else None
            if step.path in RESERVED_PATHS:
                self._problem(SpecError("reserved_path", index=step.index, layer_type=kind, got=step.path,
                                        path=step.path))
            if not step.path and step.layer is not None:
                # A top-level residual or concat with the name "": its sum would have no name.
                self._problem(SpecError("join_needs_name", index=step.index, layer_type=kind, path=""))
            elif step.path in seen and step.layer is not None and step.path not in self.named_twice:
                self._problem(SpecError("duplicate_path", index=step.index, layer_type=kind, got=step.path,
                                        other=seen[step.path], path=step.path))
            seen.setdefault(step.path, step.index)

    def _problem(self, problem: SpecError) -> None:
        self.problems.append(problem)


# ``cnntui forward`` saves the input and the network's output beside each step's output.
RESERVED_PATHS = ("input", "output")
BLOCK_EXAMPLES = {
    "layers": '[{"type": "conv2d", "out_channels": 16, "kernel_size": 3}]',
    "body": '[{"type": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1}]',
    "branches": '[{"type": "conv2d", "out_channels": 16, "kernel_size": 1}, {"type": "sequential", "layers": []}]',
}


def children(node: dict) -> list:
    """What a block holds directly: a sequential's layers, a residual's body and shortcut, a concat's branches."""
    return [child for _, child in child_entries(node, ())]


def child_entries(node: dict, address: Address) -> list[tuple[Address, Any]]:
    """A block's children in the order they run, each with its address, given the block's own
    ``address``: a sequential's layers, a residual's body then its shortcut, a concat's branches."""
    found = []
    for key in ("layers", "body", "branches"):
        if isinstance(node.get(key), list):
            found += [((*address, key, position), child) for position, child in enumerate(node[key])]
    if isinstance(node.get("shortcut"), dict):
        found.append(((*address, "shortcut"), node["shortcut"]))
    return found


CHILD_KEYS = ("layers", "body", "shortcut", "branches")  # where a block's children are


def node_at(spec: dict, address: Address) -> Any:
    """The node ``address`` leads to in the network ``spec`` (KeyError, IndexError or TypeError when
    it leads nowhere)."""
    node: Any = spec
    for key in address:
        node = node[key]
    return node


def is_container(node: Any) -> bool:
    """Whether a node of "layers" is a block (its "type" a container's); each container, valid or
    not, adds one Block."""
    kind = node.get("type") if isinstance(node, dict) else None
    return isinstance(kind, str) and kind in CONTAINER_KEYS


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def _parse_layer(index: int, path: str, spec: dict, problems: list[SpecError]) -> Layer | None:
    kind = spec.get("type")
    if isinstance(kind, str) and kind in LAYER_TYPES:
        try:
            layer = LAYER_TYPES[kind].parse(index, spec)
            layer.path = path
            return layer
        except SpecError as error:
            found = error.problems
    else:
        found = [_type_problem(index, kind)]
    for problem in found:
        problem.path = path
    problems.extend(found)
    return None


def _type_problem(index: int, kind: Any) -> SpecError:
    known = ", ".join([*LAYER_TYPES, *CONTAINER_TYPES])
    if kind is None:
        return SpecError("missing_type", index=index, known=known)
    from .analysis import TYPE_ALIASES  # built from the text form's words, which import the layer types
    return SpecError("unknown_type", index=index, layer_type=kind if isinstance(kind, str) else "?",
                     got=kind if isinstance(kind, str) else shown(kind),
                     hint=closest(kind, [*LAYER_TYPES, *CONTAINER_TYPES], TYPE_ALIASES), known=known)


def _activation(index: int, path: str, kind: Any, problems: list[SpecError]) -> Layer | None:
    """A residual block's activation after its sum, or None when it has none."""
    if kind is None:
        return None
    choices = [name for name, cls in LAYER_TYPES.items() if cls.is_activation]
    if not isinstance(kind, str) or kind not in choices:
        problems.append(SpecError("bad_block_activation", index=index, layer_type="residual", path=path,
                                  got=shown(kind), hint=closest(kind, choices), known=", ".join(choices)))
        return None
    layer = LAYER_TYPES[kind].parse(index, {"type": kind})
    layer.path = path
    return layer
