"""A one-line text form of a network, quick to type or paste, converted both ways.

    in 1x28x28 | conv 6 k5 p2 | relu | avgpool 2 | conv 16 k5 | relu | avgpool 2 |
    flatten | linear 120 | relu | linear 84 | relu | linear 10

Grammar: the input shape, then layers separated by "|". A size is N or HxW.

    in CxHxW
    conv OUT [kK] [sS] [pP | psame | pvalid] [dD] [nobias]     (k is required)
    maxpool K [sS] [pP] [dD] [ceil]
    avgpool K [sS] [pP] [ceil] [nopadcount]
    gap | flatten | relu | sigmoid | tanh | softmax
    leaky [SLOPE]
    linear OUT [nobias]

A mistake raises SpecError with ``token`` (the offending word) and ``position``
(its offset in the text), so an editor can point at it.
"""

from __future__ import annotations

import re

from .errors import SpecError, closest
from .shapes import shape_text

KEYWORDS = {"conv": "conv2d", "maxpool": "maxpool2d", "avgpool": "avgpool2d", "gap": "global_avg_pool",
            "flatten": "flatten", "linear": "linear", "relu": "relu", "leaky": "leaky_relu",
            "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax"}
WORDS = {value: key for key, value in KEYWORDS.items()}
OPTIONS = {"k": "kernel_size", "s": "stride", "p": "padding", "d": "dilation"}
FLAGS = {"nobias": ("bias", False), "ceil": ("ceil_mode", True), "nopadcount": ("count_include_pad", False)}
ALLOWED = {
    "conv2d": {"kernel_size", "stride", "padding", "dilation", "bias"},
    "maxpool2d": {"stride", "padding", "dilation", "ceil_mode"},
    "avgpool2d": {"stride", "padding", "ceil_mode", "count_include_pad"},
    "linear": {"bias"},
}
TOKEN = re.compile(r"[^\s|]+|\|")


class TextFormError(SpecError):
    def __init__(self, code: str, token: str, position: int, **args):
        super().__init__(code, token=token, **args)
        self.token, self.position = token, position


def _size(text: str) -> int | list[int] | None:
    parts = text.lower().split("x")
    if len(parts) in (1, 2) and all(p.isdigit() for p in parts):
        values = [int(p) for p in parts]
        return values[0] if len(values) == 1 or values[0] == values[1] else values
    return None


def parse(text: str) -> dict:
    """The network JSON for ``text``; TextFormError points at the first bad token."""
    tokens = [(m.group(), m.start()) for m in TOKEN.finditer(text)]
    groups: list[list[tuple[str, int]]] = [[]]
    separators = [0]
    for token, position in tokens:
        if token == "|":
            groups.append([])
            separators.append(position)
        else:
            groups[-1].append((token, position))
    if not groups[0] or groups[0][0][0].lower() != "in":
        token, position = groups[0][0] if groups[0] else ("", 0)
        raise TextFormError("text_needs_input", token, position)
    if len(groups[0]) != 2 or not re.fullmatch(r"\d+x\d+x\d+", groups[0][1][0].lower()):
        token, position = groups[0][1] if len(groups[0]) > 1 else groups[0][0]
        raise TextFormError("text_bad_input", token, position)
    shape = [int(v) for v in groups[0][1][0].lower().split("x")]
    layers = [_layer(group, separator) for group, separator in zip(groups[1:], separators[1:])]
    return {"input": shape, "layers": layers}


EXAMPLES = {"conv2d": "conv 16 k3", "linear": "linear 10", "maxpool2d": "maxpool 2", "avgpool2d": "avgpool 2"}


def _layer(group: list[tuple[str, int]], separator: int) -> dict:
    if not group:
        raise TextFormError("text_empty_layer", "|", separator)
    (word, position), rest = group[0], group[1:]
    kind = KEYWORDS.get(word.lower())
    if kind is None:
        raise TextFormError("text_unknown_word", word, position, hint=closest(word.lower(), KEYWORDS),
                            known=", ".join(KEYWORDS))
    layer: dict = {"type": kind}
    if kind in ("conv2d", "linear"):
        key = "out_channels" if kind == "conv2d" else "out_features"
        if not rest or not rest[0][0].isdigit():
            token, where = rest[0] if rest else (word, position)
            raise TextFormError("text_needs_number", token, where, word=word, example=EXAMPLES[kind])
        layer[key] = int(rest[0][0])
        rest = rest[1:]
    elif kind in ("maxpool2d", "avgpool2d"):
        size = _size(rest[0][0]) if rest else None
        if size is None:
            token, where = rest[0] if rest else (word, position)
            raise TextFormError("text_needs_number", token, where, word=word, example=EXAMPLES[kind])
        layer["kernel_size"] = size
        rest = rest[1:]
    elif kind == "leaky_relu" and rest:
        try:
            layer["negative_slope"] = float(rest[0][0])
        except ValueError:
            raise TextFormError("text_bad_option", rest[0][0], rest[0][1], word=word) from None
        rest = rest[1:]
    for token, where in rest:
        _option(layer, token, where, word)
    if kind == "conv2d" and "kernel_size" not in layer:
        raise TextFormError("text_needs_kernel", word, position)
    return layer


def _option(layer: dict, token: str, position: int, word: str) -> None:
    lower = token.lower()
    allowed = ALLOWED.get(layer["type"], set())
    if lower in FLAGS and FLAGS[lower][0] in allowed:
        field, value = FLAGS[lower]
        layer[field] = value
        return
    field = OPTIONS.get(lower[:1])
    if field in allowed:
        value = lower[1:]
        if field == "padding" and value in ("same", "valid"):
            layer[field] = value
            return
        size = _size(value)
        if size is not None:
            layer[field] = size
            return
    raise TextFormError("text_bad_option", token, position, word=word)


def _size_text(value) -> str:
    return "x".join(map(str, value)) if isinstance(value, list) else str(value)


def layer_text(layer: dict) -> str:
    """One layer in the text form, e.g. "conv 6 k5 p2"."""
    kind = layer["type"]
    words = [WORDS[kind]]
    if kind == "conv2d":
        words.append(str(layer["out_channels"]))
    elif kind == "linear":
        words.append(str(layer["out_features"]))
    elif kind in ("maxpool2d", "avgpool2d"):
        words.append(_size_text(layer["kernel_size"]))
    elif kind == "leaky_relu" and "negative_slope" in layer:
        words.append(f"{layer['negative_slope']:g}")
    for letter, field in OPTIONS.items():
        if field in layer and field in ALLOWED.get(kind, ()) and layer[field] is not None:
            words.append(letter + _size_text(layer[field]))
    for flag, (field, value) in FLAGS.items():
        if layer.get(field) == value and field in ALLOWED.get(kind, ()):
            words.append(flag)
    return " ".join(words)


def format_text(spec: dict) -> str:
    """The text form of a network spec (the inverse of ``parse`` for any valid spec)."""
    return " | ".join(["in " + shape_text(spec["input"]), *map(layer_text, spec["layers"])])
