"""Build's form without Textual: which fields it shows for what is edited (a layer, the input shape,
the network's details) and what a typed value does to the network; and the layers Add offers."""

from __future__ import annotations

from ...core.shapes import shape_text
from .build_text import build_order, classes_text, field_value, parse_classes, value_text

INPUT, DETAILS = -1, -2  # what the form edits besides a layer (by index): the input shape, the network's details
DETAIL_FIELDS = ("name", "description", "classes")

Row = tuple[str, str, str]  # field name, value shown, what it accepts


def layer_choices(t) -> list[tuple[str, str]]:
    """The add-layer list: each type with what it does."""
    from ...core import LAYER_TYPES

    return [(kind, f"{kind:<16} {t(f'build.type.{kind}')}") for kind in build_order(LAYER_TYPES)]


def new_layer(kind: str) -> dict:
    """A layer of type ``kind`` as added, its required settings filled with examples."""
    from ...core import LAYER_TYPES

    layer = {"type": kind}
    layer.update({name: field.example for name, field in LAYER_TYPES[kind].fields.items() if field.required})
    return layer


def form_rows(spec: dict, editing: int, t) -> tuple[str, list[Row]]:
    """The form's title and fields for ``editing`` (a layer's index, INPUT or DETAILS)."""
    from ...core import LAYER_TYPES

    if editing == DETAILS:
        values = {"name": str(spec.get("name") or ""), "description": str(spec.get("description") or ""),
                  "classes": classes_text(spec.get("classes"))}
        return t("build.form.details"), [(name, values[name], t(f"build.kind.{name}")) for name in DETAIL_FIELDS]
    if editing == INPUT:
        shape = spec.get("input")
        value = value_text(shape) if isinstance(shape, str) else shape_text(shape or [])
        return t("build.form.input"), [("input", value, t("build.kind.shape"))]
    layer = spec["layers"][editing]
    layer = layer if isinstance(layer, dict) else {}
    kind = layer.get("type")
    fields = LAYER_TYPES[kind].fields if kind in LAYER_TYPES else {}
    yes_no = (t("build.yes"), t("build.no"))
    rows = [("type", str(kind), t("build.kind.type"))]
    rows += [(name, value_text(layer.get(name), yes_no), t(f"build.kind.{field.kind}"))
             for name, field in fields.items()]
    return t("build.form.layer", index=editing), rows


def edit_spec(spec: dict, editing: int, name: str, text: str) -> bool:
    """Put what was typed in field ``name`` into ``spec`` (a copy); True when a layer became another known
    type, so the form needs that type's fields."""
    if editing == DETAILS:
        set_detail(spec, name, text)
    elif editing == INPUT:
        parts = text.lower().replace("×", "x").split("x")
        spec["input"] = [int(p) if p.strip().isdigit() else p for p in parts] if text.strip() else None
    elif name == "type":
        return set_type(spec["layers"], editing, text.strip())
    else:
        set_field(spec["layers"][editing], name, text)
    return False


def set_detail(spec: dict, name: str, text: str) -> None:
    """Set (or, when emptied, drop) the network's name, description or class names."""
    value = parse_classes(text) if name == "classes" else text.strip()
    if value:
        spec[name] = value
    else:
        spec.pop(name, None)


def set_type(layers: list, index: int, kind: str) -> bool:
    from ...core import LAYER_TYPES

    old = layers[index] if isinstance(layers[index], dict) else {}
    if kind in LAYER_TYPES:
        # Keep the settings the new type shares with the old one; fill in what it needs.
        fields = LAYER_TYPES[kind].fields
        layer = {"type": kind, **{n: old[n] for n in fields if n in old}}
        layer.update({n: f.example for n, f in fields.items() if f.required and n not in layer})
    else:
        layer = {**old, "type": kind}  # an unknown type: the engine names it and suggests one
    layers[index] = layer
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
