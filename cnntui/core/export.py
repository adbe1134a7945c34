"""A network as PyTorch or Keras code, for learners moving on to a framework.

Each layer writes its own module (``Layer.pytorch_module``, ``Layer.keras_layers``); this
module puts them together. The PyTorch model's ``state_dict()`` keys are cnntui's weight keys
(``layer1.0.conv1.weight``), so weights saved by cnntui load with ``load_state_dict`` as they
are, and torchvision's load into cnntui: a plain list of layers is an ``nn.Sequential`` with
one module per layer, at the same index; blocks are nested ``nn.Sequential``s and two small
classes, ``Residual`` and ``Concat``, written at the top of the file when the network has them.
Keras is channels-last, has no numeric padding and names nothing as PyTorch does, so its code
says where it cannot match exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from .analysis import Summary, check
from .printable import printable
from .shapes import shape_text

# What a final Softmax means for training: the frameworks' cross-entropy losses take the raw scores
# (logits) unless told otherwise, and softmax twice trains badly without any error to say so.
PYTORCH_SOFTMAX_NOTE = (
    "# The last layer is a Softmax, so the model outputs probabilities: keep it for predictions.",
    "# To train with nn.CrossEntropyLoss, leave the final Softmax out (use model[:-1]): that loss",
    "# applies log-softmax itself and expects the raw scores (logits).",
)
KERAS_SOFTMAX_NOTE = (
    "# The last layer is a Softmax, so the model outputs probabilities: train it with a plain",
    "# keras.losses.CategoricalCrossentropy() (SparseCategoricalCrossentropy() for integer labels).",
    "# Or drop the Softmax and pass from_logits=True to that loss; then apply softmax for predictions.",
)
CODE_WIDTH = 48  # a layer's comment starts after this column, where the code is shorter
CONTAINERS = ("sequential", "residual", "concat")

# The classes blocks need, each written once at the top of the file when the network uses it.
PYTORCH_NAMED = '''def named(owner, parts):
    """Register each (name, module) of ``parts`` on ``owner`` and return the modules, in order.
    A part named "" is transparent: its own children are registered in its place, so that the
    state_dict() keys skip it, as cnntui's paths do (SqueezeNet's Fire modules)."""
    for name, module in parts:
        for child_name, child in [(name, module)] if name else module.named_children():
            owner.add_module(child_name, child)
    return [module for _, module in parts]  # a plain list: registered above, not again here'''
PYTORCH_CLASSES = {
    "Residual": '''class Residual(nn.Module):
    """activation(body(x) + shortcut(x)), the shortcut being x itself when there is none. The body's
    layers are registered on the block under their own names, as torchvision's BasicBlock has conv1,
    bn1, ..., and the shortcut under its own (downsample)."""

    def __init__(self, body, shortcut=None, activation=None):
        super().__init__()
        self._body = named(self, body)
        self._shortcut = named(self, [shortcut]) if shortcut else []
        self._activation = [activation] if activation else []  # learns nothing: no state_dict key

    def forward(self, x):
        y = x
        for layer in self._body:
            y = layer(y)
        y = y + (self._shortcut[0](x) if self._shortcut else x)
        return self._activation[0](y) if self._activation else y''',
    "Concat": '''class Concat(nn.Module):
    """The branches' outputs joined along the channels (Inception, SqueezeNet's Fire, DenseNet),
    each branch registered under its own name."""

    def __init__(self, branches):
        super().__init__()
        self._branches = named(self, branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self._branches], 1)''',
    "Chain": '''class Chain(nn.Module):
    """nn.Sequential where a part is transparent (named ""): each part runs on the one before."""

    def __init__(self, parts):
        super().__init__()
        self._parts = named(self, parts)

    def forward(self, x):
        for part in self._parts:
            x = part(x)
        return x''',
}


@dataclass
class Line:
    """One line of code and the comment that goes after it ("" for none)."""

    code: str
    comment: str = ""

    def text(self, indent: str = "") -> str:
        code = indent + self.code
        return f"{code:<{CODE_WIDTH}} # {self.comment}" if self.comment else code


def _indented(lines: list[Line]) -> list[Line]:
    return [Line("    " + line.code, line.comment) for line in lines]


def _softmax_note(summary: Summary, note: tuple[str, ...]) -> list[str]:
    """``note`` after a blank line when the network ends with a softmax, else nothing."""
    return ["", *note] if len(summary) and summary[-1].type == "softmax" else []


def _header(summary: Summary, framework: str) -> list[str]:
    shape = shape_text(summary.input_shape)
    # The name comes from the file: a newline in it would end the comment and start code.
    return [f"# {printable(summary.name)}: input {shape}, {summary.total_params:,} parameters; written by cnntui for {framework}"]


def _is_plain(spec: dict) -> bool:
    """A list of layers without blocks or names of their own: the code of before blocks existed."""
    return all(layer.get("type") not in CONTAINERS and layer.get("name", str(i)) == str(i)
               for i, layer in enumerate(spec["layers"]))


# -- PyTorch -------------------------------------------------------------------------

@dataclass
class _PyTorchWriter:
    """Walks the spec's tree in step order, taking each leaf's and block's record as it comes."""

    summary: Summary
    used: set[str] = field(default_factory=set)  # the block classes and imports the code needs

    def __post_init__(self):
        self.leaves = iter(self.summary.leaves)
        self.blocks = iter(self.summary.blocks)

    def node(self, node: dict) -> list[Line]:
        """The module expression for ``node``, over one or more lines."""
        kind = node["type"]
        if kind not in CONTAINERS:
            record = next(self.leaves)
            module = record.layer.pytorch_module(record.input_shape)
            return [Line(module, f"{record.path}: {shape_text(record.output_shape)}")]
        block = next(self.blocks)
        # A transparent block shares its parent's path: the parent's line says it.
        comment = f"{block.path}: {shape_text(block.output_shape)}" if node.get("name") != "" else ""
        if kind == "sequential":
            return self.sequence(node["layers"], comment)
        if kind == "concat":
            return self.call("Concat([", self.parts(node["branches"], splice=False), "])", comment)
        self.used.add("Residual")
        lines = [Line("body=["), *self.entries(self.parts(node["body"], splice=True), named=True), Line("],")]
        if node.get("shortcut") is not None:
            name, shortcut = self.parts([node["shortcut"]], splice=False, default="shortcut")[0]
            shortcut[0].code = f'shortcut=("{name}", {shortcut[0].code}'
            shortcut[-1].code += "),"
            lines += shortcut
        if node.get("activation") is not None:
            activation = self.summary[block.last].layer.activation.pytorch_module(block.output_shape)
            lines.append(Line(f"activation={activation},"))
        return [Line("Residual("), *_indented(lines), Line(")", comment)]

    def sequence(self, nodes: list[dict], comment: str) -> list[Line]:
        parts = self.parts(nodes, splice=True)
        if any(name == "" for name, _ in parts):
            return self.call("Chain([", parts, "])", comment)
        if [name for name, _ in parts] == [str(i) for i in range(len(parts))]:
            return [Line("nn.Sequential("), *self.entries(parts, named=False), Line(")", comment)]
        self.used.add("OrderedDict")
        return [Line("nn.Sequential(OrderedDict(["), *self.entries(parts, named=True), Line("]))", comment)]

    def call(self, opening: str, parts, closing: str, comment: str) -> list[Line]:
        self.used.add(opening.split("(")[0])
        return [Line(opening), *self.entries(parts, named=True), Line(closing, comment)]

    def parts(self, nodes: list[dict], splice: bool, default: str | None = None) -> list[tuple[str, list[Line]]]:
        """(name, lines) of each node; with ``splice``, a transparent sequential's children take its
        place, as they would in a hand-written nn.Sequential."""
        found = []
        for position, node in enumerate(nodes):
            name = node.get("name", default if default is not None else str(position))
            if splice and name == "" and node["type"] == "sequential":
                next(self.blocks)
                found += self.parts(node["layers"], splice=True)
            else:
                found.append((name, self.node(node)))
        return found

    def entries(self, parts, named: bool) -> list[Line]:
        """The parts as items of a list: ``("name", module),`` or ``module,``, indented."""
        lines = []
        for name, value in parts:
            value = [Line(line.code, line.comment) for line in value]
            if named:
                value[0].code = f'("{name}", {value[0].code}'
                value[-1].code += ")"
            value[-1].code += ","
            lines += _indented(value)
        return lines

    def classes(self) -> list[str]:
        """The helper and block classes the model uses, each after two blank lines."""
        used = [PYTORCH_CLASSES[name] for name in PYTORCH_CLASSES if name in self.used]
        return "\n\n\n".join([PYTORCH_NAMED, *used]).split("\n") if used else []


def to_pytorch(spec: dict) -> str:
    summary = check(spec)
    writer = _PyTorchWriter(summary)
    model = writer.sequence(spec["layers"], "")
    imports = ["import torch", "from torch import nn"]
    if "OrderedDict" in writer.used:
        imports.insert(0, "from collections import OrderedDict")
    classes = writer.classes()
    lines = [*_header(summary, "PyTorch"), *imports, *(["", "", *classes, ""] if classes else []), ""]
    model[0].code = "model = " + model[0].code
    lines += [*(line.text() for line in model), *_softmax_note(summary, PYTORCH_SOFTMAX_NOTE)]
    own = _own_weights(spec)
    source = (f"This network's own weights ({printable(own)}), like any saved by cnntui (--save-weights),"
              if own else "Weights saved by cnntui (--save-weights W.npz)")
    lines += ["",
              f"# {source} load as they are:",
              "# import numpy as np",
              f"# model.load_state_dict({{k: torch.from_numpy(v) for k, v in np.load({own or 'W.npz'!r}).items()}})"]
    return "\n".join(lines) + "\n"


def _own_weights(spec: dict) -> str:
    """The file name of the weights the network names (a preset's "weights" key), or ""."""
    weights = spec.get("weights")
    return PurePath(weights).name if isinstance(weights, str) else ""


# -- Keras -----------------------------------------------------------------------------

def to_keras(spec: dict) -> str:
    summary = check(spec)
    c, h, w = summary.input_shape
    lines = [*_header(summary, "Keras"), "import keras", "from keras import layers", ""]
    # Once per file, a type's word on how Keras differs for all its layers (batch norm's momentum).
    lines += dict.fromkeys(r.layer.keras_header for r in summary if r.layer.keras_header)
    keras_input = f"keras.Input(shape=({h}, {w}, {c}))"
    if _is_plain(spec):
        lines += ["model = keras.Sequential([",
                  f"    {keras_input},  # Keras is channels-last: height, width, channels"]
        for record in summary:
            code = record.layer.keras_layers(record.input_shape)
            *before, layer = code.layers
            lines += [f"    {expr}," for expr in before]
            lines.append(Line(f"{layer},", f"{record.path}: {shape_text(record.output_shape)}").text("    "))
            lines += [f"    {note}" for note in code.notes]
        lines.append("])")
    else:
        writer = _KerasWriter(summary)
        lines += ["# Keras names its layers its own way: weights move between Keras and PyTorch by order,",
                  "# not by the state_dict names cnntui uses.",
                  f"inputs = {keras_input}  # Keras is channels-last: height, width, channels"]
        out = writer.sequence(spec["layers"], "inputs", "x")
        lines += [*writer.lines, f"model = keras.Model(inputs, {out})"]
    lines += _softmax_note(summary, KERAS_SOFTMAX_NOTE)
    return "\n".join(lines) + "\n"


@dataclass
class _KerasWriter:
    """The functional API: each layer is called on the variable holding its input."""

    summary: Summary
    lines: list[str] = field(default_factory=list)
    saved: int = 0  # block inputs kept in variables so far

    def __post_init__(self):
        self.leaves = iter(self.summary.leaves)
        self.blocks = iter(self.summary.blocks)

    def sequence(self, nodes: list[dict], source: str, target: str) -> str:
        """Run ``nodes`` on ``source``, each result in ``target``; returns the variable of the output."""
        for node in nodes:
            source = self.node(node, source, target)
        return source

    def node(self, node: dict, source: str, target: str) -> str:
        kind = node["type"]
        if kind not in CONTAINERS:
            return self.leaf(source, target)
        block = next(self.blocks)
        if kind == "sequential":
            return self.sequence(node["layers"], source, target)
        self.saved += 1
        base, label = f"x{self.saved}", block.path or "(top)"  # a transparent block at the top has no path
        self.lines.append(Line(f"{base} = {source}", f"{label}: the block's input").text())
        if kind == "concat":
            outs = [self.node(branch, base, f"{base}_{i}") for i, branch in enumerate(node["branches"])]
            joined = f"layers.Concatenate()([{', '.join(outs)}])"
        else:
            body = self.sequence(node["body"], base, target)
            shortcut = base if node.get("shortcut") is None else self.node(node["shortcut"], base, f"{base}_shortcut")
            joined = f"layers.Add()([{body}, {shortcut}])"
        self.lines.append(Line(f"{target} = {joined}", f"{label}: {shape_text(block.output_shape)}").text())
        activation = self.summary[block.last].layer.activation if kind == "residual" else None
        if activation is not None:
            self.emit(activation.keras_layers(block.output_shape), target, target, f"{label}: after the sum")
        return target

    def leaf(self, source: str, target: str) -> str:
        record = next(self.leaves)
        self.emit(record.layer.keras_layers(record.input_shape), source, target,
                  f"{record.path}: {shape_text(record.output_shape)}")
        return target

    def emit(self, code, source: str, target: str, comment: str) -> None:
        *before, layer = code.layers
        for expr in before:
            self.lines.append(f"{target} = {expr}({source})")
            source = target
        self.lines.append(Line(f"{target} = {layer}({source})", comment).text())
        self.lines += list(code.notes)


EXPORTERS = {"pytorch": to_pytorch, "keras": to_keras}
