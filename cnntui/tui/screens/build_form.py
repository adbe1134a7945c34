"""Build's form without Textual: which fields it shows for what is edited (a layer or block by its
address, the input shape, the network's details) and what a typed value does to the network; and the
layers and block templates Add offers."""

from __future__ import annotations

from ...core.printable import printable
from ...core.shapes import shape_text
from .build_text import build_order, classes_text, field_value, parse_classes, value_text

INPUT, DETAILS = -1, -2  # what the form edits besides a node (by its address): the input shape, the network's details
DETAIL_FIELDS = ("name", "description", "classes")
TEMPLATE_KEY = "template:"  # an Add choice that is a block template, e.g. "template:basic"

Row = tuple[str, str, str]  # field name, value shown, what it accepts


def layer_choices(t) -> list[tuple[str, str]]:
    """The add list: each layer type with what it does, then the block templates."""
    from ...core import LAYER_TYPES
    from ...core.templates import TEMPLATE_NAMES

    layers = [(kind, f"{kind:<16} {t(f'build.type.{kind}')}") for kind in build_order(LAYER_TYPES)]
    return layers + [(TEMPLATE_KEY + name, f"{name:<16} {t(f'build.template.{name}')}") for name in TEMPLATE_NAMES]


def new_node(choice: str, in_shape) -> dict:
    """What the Add choice ``choice`` inserts where ``in_shape`` arrives: a layer of that type, its
    required settings filled with examples, or a block template sized for that shape."""
    from ...core import LAYER_TYPES
    from ...core.templates import make_template

    if choice.startswith(TEMPLATE_KEY):
        return make_template(choice.removeprefix(TEMPLATE_KEY), in_shape)
    layer = {"type": choice}
    layer.update({name: field.example for name, field in LAYER_TYPES[choice].fields.items() if field.required})
    return layer


def form_rows(spec: dict, editing, t, path: str = "") -> tuple[str, list[Row]]:
    """The form's title and fields for ``editing``: a node's address (``path`` names it), INPUT or DETAILS.
    A block's own settings are its name and, for a residual, the activation after the sum."""
    from ...core import LAYER_TYPES
    from ...core.blocks import is_container, node_at

    if editing == DETAILS:
        values = {"name": str(spec.get("name") or ""), "description": str(spec.get("description") or ""),
                  "classes": classes_text(spec.get("classes"))}
        return t("build.form.details"), [(name, values[name], t(f"build.kind.{name}")) for name in DETAIL_FIELDS]
    if editing == INPUT:
        shape = spec.get("input")
        value = value_text(shape) if isinstance(shape, str) else shape_text(shape or [])
        return t("build.form.input"), [("input", value, t("build.kind.shape"))]
    node = node_at(spec, editing)
    node = node if isinstance(node, dict) else {}
    kind = node.get("type")
    if is_container(node):
        rows = [("name", value_text(node.get("name")), t("build.kind.block_name"))]
        if kind == "residual":
            rows.append(("activation", value_text(node.get("activation")), t("build.kind.activation")))
        return t("build.form.block", path=printable(path), type=kind), rows
    fields = LAYER_TYPES[kind].fields if kind in LAYER_TYPES else {}
    yes_no = (t("build.yes"), t("build.no"))
    rows = [("type", str(kind), t("build.kind.type"))]
    rows += [(name, value_text(node.get(name), yes_no), t(f"build.kind.{field.kind}"))
             for name, field in fields.items()]
    if len(editing) == 2:  # a top-level layer: by its index, as the "#" column shows it
        return t("build.form.layer", index=editing[1]), rows
    return t("build.form.named", path=printable(path), type=kind), rows


def edit_spec(spec: dict, editing, name: str, text: str) -> bool:
    """Put what was typed in field ``name`` into ``spec`` (a copy); True when a layer became another known
    type, so the form needs that type's fields."""
    from ...core.blocks import is_container, node_at

    if editing == DETAILS:
        set_detail(spec, name, text)
    elif editing == INPUT:
        parts = text.lower().replace("×", "x").split("x")
        spec["input"] = [int(p) if p.strip().isdigit() else p for p in parts] if text.strip() else None
    elif is_container(node_at(spec, editing)):
        set_text_setting(node_at(spec, editing), name, text)
    elif name == "type":
        return set_type(node_at(spec, editing[:-1]), editing[-1], text.strip())
    else:
        set_field(node_at(spec, editing), name, text)
    return False


def set_text_setting(node: dict, name: str, text: str) -> None:
    """A block's name or activation, as typed (the engine checks it); emptied, the default."""
    if text.strip():
        node[name] = text.strip()
    else:
        node.pop(name, None)


def set_detail(spec: dict, name: str, text: str) -> None:
    """Set (or, when emptied, drop) the network's name, description or class names."""
    value = parse_classes(text) if name == "classes" else text.strip()
    if value:
        spec[name] = value
    else:
        spec.pop(name, None)


def set_type(holder: list | dict, key: int | str, kind: str) -> bool:
    """Make ``holder[key]`` (a list's entry, or a residual's shortcut) a layer of type ``kind``."""
    from ...core import LAYER_TYPES

    old = holder[key] if isinstance(holder[key], dict) else {}
    if kind in LAYER_TYPES and kind == old.get("type"):
        return False  # the form sends each field once as it opens: nothing changes
    if kind in LAYER_TYPES:
        # Keep the name and the settings the new type shares with the old one; fill in what it needs.
        fields = LAYER_TYPES[kind].fields
        layer = {"type": kind, **{n: old[n] for n in ("name", *fields) if n in old}}
        layer.update({n: f.example for n, f in fields.items() if f.required and n not in layer})
    else:
        layer = {**old, "type": kind}  # an unknown type: the engine names it and suggests one
    holder[key] = layer
    return kind in LAYER_TYPES and kind != old.get("type")


def set_field(layer, name: str, text: str) -> None:
    from ...core import LAYER_TYPES

    if not isinstance(layer, dict):
        return
    fields = LAYER_TYPES[layer.get("type")].fields if layer.get("type") in LAYER_TYPES else {}
    kind = fields[name].kind if name in fields else "pair"
    if text.strip():
        layer[name] = field_value(kind, text)
    else:
        layer.pop(name, None)
