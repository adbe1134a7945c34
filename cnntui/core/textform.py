"""A one-line text form of a network, quick to type or paste, converted both ways.

    in 1x28x28 | conv 6 k5 p2 | relu | avgpool 2 | conv 16 k5 | relu | avgpool 2 |
    flatten | linear 120 | relu | linear 84 | relu | linear 10

Grammar: the input shape, then layers separated by "|". A size is N or HxW.

    in CxHxW
    conv OUT [kK] [sS] [pP | psame | pvalid] [dD] [gG] [nobias]     (k is required)
    maxpool K [sS] [pP] [dD] [ceil]
    avgpool K [sS] [pP] [ceil] [nopadcount]
    adaptivepool N | gap | flatten | dropout [P]
    bn [epsE] [mM | cumulative] [noaffine] [nostats]
    relu | relu6 | silu | hardswish | sigmoid | tanh | softmax | leaky [SLOPE]
    linear OUT [nobias]

Each layer type declares its own word, options and flags (``keyword``, ``text_lead``,
``text_options``, ``text_flags`` on its class); this module only reads and writes them.

Blocks nest, with a name before any layer or block where it is not the default (its position,
or "shortcut"); ":" alone makes a block transparent (name ""):

    seq( a | b | c )                 a sequential block
    res( a | b ) act=relu            a residual block: relu(b(a(x)) + x)
    res( a | b ; downsample:seq( c | d ) )     with a shortcut after ";"
    cat( a ; seq( b | c ) ; seq() )  branches joined along the channels; seq() is the identity
    conv1:conv 64 k7 s2 p3 nobias    a named layer

A mistake raises TextFormError (a SpecError) with ``token`` (the offending word) and
``position`` (its offset in the text), so an editor can point at it.
"""

from __future__ import annotations

import re

from .blocks import NAME
from .errors import SpecError, closest
from .layers import LAYER_TYPES
from .shapes import shape_text

KEYWORDS = {cls.keyword: kind for kind, cls in LAYER_TYPES.items() if cls.keyword}  # word -> layer type
WORDS = {kind: word for word, kind in KEYWORDS.items()}
BLOCK_WORDS = {"seq": "sequential", "res": "residual", "cat": "concat"}
BLOCK_KEYWORDS = {kind: word for word, kind in BLOCK_WORDS.items()}
# Example values by field kind, where the field has none of its own.
KIND_EXAMPLES = {"count": 2, "pair": 2, "optional_pair": 2, "padding": 1, "conv_padding": 1}
TOKEN = re.compile(r"[|();:]|[^\s|();:]+")
SEPARATORS = ("|", ";", ")")  # what ends a layer's words
PUNCTUATION = (*SEPARATORS, "(", ":")
ACTIVATION = "act="


class TextFormError(SpecError):
    def __init__(self, code: str, token: str, position: int, **args):
        super().__init__(code, token=token, **args)
        self.token, self.position = token, position


# -- values ------------------------------------------------------------------

def _size(text: str) -> int | list[int] | None:
    parts = text.lower().split("x")
    if len(parts) in (1, 2) and all(p.isdigit() for p in parts):
        values = [int(p) for p in parts]
        return values[0] if len(values) == 1 or values[0] == values[1] else values
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _read(kind: str, text: str):
    """The JSON value ``text`` gives a field of ``kind``, or None when it gives none."""
    if kind == "count":
        return int(text) if text.isdigit() else None
    if kind in ("number", "optional_number"):
        return _number(text)
    if kind == "conv_padding" and text in ("same", "valid"):
        return text
    return _size(text)


def _size_text(value) -> str:
    return "x".join(map(str, value)) if isinstance(value, list) else str(value)


def _number_text(value) -> str:
    """The shortest text that reads back as ``value``: 0.01 as "0.01", 1e-05 as "1e-05"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def _write(kind: str, value) -> str:
    return _number_text(value) if kind in ("number", "optional_number") else _size_text(value)


# -- the grammar each type declares ---------------------------------------------

def _example_value(cls, name: str) -> str:
    field = cls.fields[name]
    if field.example is not None:
        return _write(field.kind, field.example)
    if field.kind in ("number", "optional_number"):
        return _number_text(field.default)
    return str(KIND_EXAMPLES[field.kind])


def _example(cls) -> str:
    """The shortest layer of its type, e.g. "conv 16 k3"."""
    words = [cls.keyword]
    if cls.text_lead and cls.fields[cls.text_lead].required:
        words.append(_example_value(cls, cls.text_lead))
    words += [prefix + _example_value(cls, name) for prefix, name in cls.text_options.items()
              if cls.fields[name].required]
    return " ".join(words)


def _options_text(cls) -> str:
    """Every option and flag of a type, with example values: "k3 s2 p1 psame pvalid d2 g2 nobias"."""
    words = []
    for prefix, name in cls.text_options.items():
        words.append(prefix + _example_value(cls, name))
        if cls.fields[name].kind == "conv_padding":
            words += [prefix + "same", prefix + "valid"]
    return " ".join([*words, *cls.text_flags])


EXAMPLES = {kind: _example(LAYER_TYPES[kind]) for kind in WORDS}


# -- reading ---------------------------------------------------------------------

class _Reader:
    """Recursive descent over the tokens; each method consumes what it reads."""

    def __init__(self, text: str):
        self.tokens = [(m.group(), m.start()) for m in TOKEN.finditer(text)]
        self.at = 0

    def peek(self, ahead: int = 0) -> tuple[str, int] | None:
        at = self.at + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def next_is(self, *tokens: str) -> bool:
        token = self.peek()
        return token is not None and token[0] in tokens

    def take(self) -> tuple[str, int]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    # -- the network and its lists ---------------------------------------------

    def network(self) -> dict:
        first = self.peek()
        if first is None or first[0].lower() != "in":
            raise TextFormError("text_needs_input", *(first or ("", 0)))
        self.take()
        shape = self.peek()
        if shape is None or not re.fullmatch(r"\d+x\d+x\d+", shape[0].lower()):
            raise TextFormError("text_bad_input", *(shape or first))
        self.take()
        if self.peek() is not None and not self.next_is("|"):
            raise TextFormError("text_bad_input", *self.peek())
        layers = []
        while self.peek() is not None:
            token, position = self.take()
            if token == ")":
                raise TextFormError("text_stray_close", token, position)
            if token == ";":
                raise TextFormError("text_stray_semicolon", token, position)
            layers.append(self.node((token, position)))
        return {"input": [int(v) for v in shape[0].lower().split("x")], "layers": layers}

    def chain(self, opening: tuple[str, int]) -> list[dict]:
        """Nodes separated by "|" up to (not taking) ";" or ")"; ``opening`` is the "(" before them."""
        if self.next_is(";", ")"):
            return []
        nodes = [self.node(opening)]
        while self.next_is("|"):
            nodes.append(self.node(self.take()))
        return nodes

    def closed(self) -> bool:
        """Whether the "(" just taken has its ")" somewhere after it: the first thing to know."""
        depth = 1
        for token, _ in self.tokens[self.at:]:
            depth += (token == "(") - (token == ")")
            if depth == 0:
                return True
        return False

    def close(self) -> None:
        token, position = self.take()  # closed() made sure there is one
        if token != ")":
            raise TextFormError("text_stray_semicolon", token, position)

    # -- one node ----------------------------------------------------------------

    def node(self, before: tuple[str, int]) -> dict:
        """A layer or block, with its name if it has one; ``before`` is the separator in front."""
        name = self.name(before)
        token = self.peek()
        if token is None or token[0] in SEPARATORS:
            # Point at a second "|" itself, or else at what came before the gap.
            raise TextFormError("text_empty_layer", *(token if token and token[0] == "|" else before))
        word, position = self.take()
        if word in ("(", ":"):
            raise TextFormError("text_misplaced_" + ("paren" if word == "(" else "colon"), word, position)
        kind = BLOCK_WORDS.get(word.lower())
        node = self.block(kind, word, position) if kind else self.layer(word, position)
        return node if name is None else {"type": node.pop("type"), "name": name, **node}

    def name(self, before: tuple[str, int]) -> str | None:
        """``NAME:`` or a lone ``:`` (the name "") in front of a node, or None when there is neither."""
        token, following = self.peek(), self.peek(1)
        if token is not None and token[0] == ":":
            self.take()
            if self.peek() is None or self.peek()[0] in SEPARATORS:
                raise TextFormError("text_misplaced_colon", *token)
            return ""
        if token is None or token[0] in PUNCTUATION or following is None or following[0] != ":":
            return None
        if not NAME.fullmatch(token[0]):
            raise TextFormError("text_bad_name", *token)
        self.at += 2
        if self.peek() is None or self.peek()[0] in SEPARATORS:
            raise TextFormError("text_misplaced_colon", *following)
        return token[0]

    def layer(self, word: str, position: int) -> dict:
        _layer_type(word, position)  # an unknown word is the mistake, whatever follows it
        words = []
        while self.peek() is not None and self.peek()[0] not in SEPARATORS:
            token = self.take()
            if token[0] in ("(", ":"):
                raise TextFormError("text_misplaced_" + ("paren" if token[0] == "(" else "colon"), *token)
            words.append(token)
        return _layer(word, position, words)

    def block(self, kind: str, word: str, position: int) -> dict:
        if not self.next_is("("):
            raise TextFormError("text_needs_paren", word, position, word=word.lower(),
                                example=BLOCK_EXAMPLES[kind])
        opening = self.take()
        word = word.lower()
        if not self.closed():
            raise TextFormError("text_unclosed", opening[0], opening[1], word=word)
        if kind == "sequential":
            node = {"type": kind, "layers": self.chain(opening)}
        elif kind == "residual":
            node = {"type": kind, "body": self.chain(opening)}
            if self.next_is(";"):
                node["shortcut"] = self.single(self.take(), "text_shortcut_one_node")
                if self.next_is(";"):
                    raise TextFormError("text_two_shortcuts", *self.peek())
        else:
            node = {"type": kind, "branches": self.branches(opening)}
        self.close()
        if kind == "residual" and self.peek() is not None and self.peek()[0].lower().startswith(ACTIVATION):
            node["activation"] = _activation(*self.take())
        if self.peek() is not None and self.peek()[0] not in SEPARATORS:
            raise TextFormError("text_after_block", *self.peek(), word=word)
        return node

    def branches(self, opening: tuple[str, int]) -> list[dict]:
        if self.next_is(")"):
            return []
        branches = [self.single(opening, "text_branch_one_node")]
        while self.next_is(";"):
            branches.append(self.single(self.take(), "text_branch_one_node"))
        return branches

    def single(self, before: tuple[str, int], code: str) -> dict:
        """One node where a list is not allowed (a branch, a shortcut): "|" after it is ``code``."""
        if self.next_is(";", ")") or self.peek() is None:
            token = self.peek() or before
            raise TextFormError("text_empty_branch", *token)
        node = self.node(before)
        if self.next_is("|"):
            raise TextFormError(code, *self.peek())
        return node


BLOCK_EXAMPLES = {"sequential": "seq( conv 16 k3 p1 | relu )", "residual": "res( conv 16 k3 p1 | bn ) act=relu",
                  "concat": "cat( conv 16 k1 ; conv 16 k3 p1 )"}


def parse(text: str) -> dict:
    """The network JSON for ``text``; TextFormError points at the first bad token."""
    return _Reader(text).network()


def _activation(token: str, position: int) -> str:
    word = token[len(ACTIVATION):].lower()
    choices = [w for w, kind in KEYWORDS.items() if LAYER_TYPES[kind].is_activation]
    if word not in choices:
        raise TextFormError("text_bad_activation", token, position, hint=closest(word, choices),
                            known=", ".join(sorted(choices)))
    return KEYWORDS[word]


def _layer_type(word: str, position: int) -> str:
    kind = KEYWORDS.get(word.lower())
    if kind is None:
        known = sorted(KEYWORDS) + [f"{block}( )" for block in BLOCK_WORDS]
        raise TextFormError("text_unknown_word", word, position, hint=closest(word.lower(), [*KEYWORDS, *BLOCK_WORDS]),
                            known=", ".join(known))
    return kind


def _layer(word: str, position: int, rest: list[tuple[str, int]]) -> dict:
    kind = _layer_type(word, position)
    cls = LAYER_TYPES[kind]
    layer: dict = {"type": kind}
    if cls.text_lead:
        field = cls.fields[cls.text_lead]
        value = _read(field.kind, rest[0][0].lower()) if rest else None
        if value is not None:
            layer[cls.text_lead] = value
            rest = rest[1:]
        elif field.required:
            token, where = rest[0] if rest else (word, position)
            raise TextFormError("text_needs_number", token, where, word=word, example=EXAMPLES[kind])
    for token, where in rest:
        _option(cls, layer, token, where, word)
    if any(field.required and name not in layer for name, field in cls.fields.items()):
        raise TextFormError("text_needs_kernel", word, position)  # conv's kernel_size: the one such field
    return layer


def _option(cls, layer: dict, token: str, position: int, word: str) -> None:
    lower = token.lower()
    if lower in cls.text_flags:
        field, value = cls.text_flags[lower]
        layer[field] = value
        return
    for prefix, field in sorted(cls.text_options.items(), key=lambda option: -len(option[0])):
        value = _read(cls.fields[field].kind, lower[len(prefix):]) if lower.startswith(prefix) else None
        if value is not None:
            layer[field] = value
            return
    options = _options_text(cls)
    if not options:
        raise TextFormError("text_no_options", token, position, word=word)
    raise TextFormError("text_bad_option", token, position, word=word, options=options)


# -- writing ---------------------------------------------------------------------

def layer_text(layer: dict) -> str:
    """One layer or block in the text form, e.g. "conv 6 k5 p2" (its own name left out)."""
    kind = layer["type"]
    if kind in BLOCK_KEYWORDS:
        return _block_text(layer)
    cls = LAYER_TYPES[kind]
    words = [WORDS[kind]]
    if cls.text_lead in layer:
        words.append(_write(cls.fields[cls.text_lead].kind, layer[cls.text_lead]))
    for prefix, field in cls.text_options.items():
        if field in layer and layer[field] is not None:
            words.append(prefix + _write(cls.fields[field].kind, layer[field]))
    for flag, (field, value) in cls.text_flags.items():
        if field in layer and layer[field] == value:
            words.append(flag)
    return " ".join(words)


def _node_text(node: dict, default: str) -> str:
    """A node with its name in front when it is not ``default``; ":" alone for the name ""."""
    name = node.get("name", default)
    return layer_text(node) if name == default else f"{name}:{layer_text(node)}"


def _listed(nodes: list[dict], separator: str) -> str:
    return separator.join(_node_text(node, str(position)) for position, node in enumerate(nodes))


def _block_text(node: dict) -> str:
    kind = node["type"]
    if kind == "sequential":
        inner = _listed(node["layers"], " | ")
    elif kind == "concat":
        inner = _listed(node["branches"], " ; ")
    else:
        inner = _listed(node["body"], " | ")
        if node.get("shortcut") is not None:
            inner = f"{inner} ; {_node_text(node['shortcut'], 'shortcut')}".strip()
    text = f"{BLOCK_KEYWORDS[kind]}( {inner} )" if inner else f"{BLOCK_KEYWORDS[kind]}()"
    if kind == "residual" and node.get("activation") is not None:
        text += f" {ACTIVATION}{WORDS[node['activation']]}"
    return text


def format_text(spec: dict) -> str:
    """The text form of a network spec (the inverse of ``parse`` for any valid spec)."""
    layers = _listed(spec["layers"], " | ")
    return f"in {shape_text(spec['input'])}" + (f" | {layers}" if spec["layers"] else "")
