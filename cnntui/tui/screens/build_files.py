"""Build's whole networks without Textual: the presets' list, a typed text form, and a network saved to
a file with its weights."""

from __future__ import annotations

import json
from pathlib import Path

from ...content import message_text
from ...core.shapes import shape_text
from .build_text import UNTITLED
from .saving import weights_beside


def weights_dir(source: str) -> Path | None:
    """The folder of the network file ``source`` (a preset or a path) names its weights from."""
    from ...core import CnntuiError
    from ...core.assets import find_network

    try:
        return find_network(source).parent
    except CnntuiError:
        return None


def without_stale_weights(spec: dict, old: dict) -> dict:
    """``spec`` changed from ``old``, without the weights when its input or layers changed: a preset's
    trained weights fit only the layers they were trained for."""
    if "weights" in spec and (spec.get("input"), spec.get("layers")) != (old.get("input"), old.get("layers")):
        return {key: value for key, value in spec.items() if key != "weights"}
    return spec


def preset_choices(names, t, has_text) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The presets by name and input, and each one's description (translated in the strings files; a preset
    they do not know shows its file's own words)."""
    from ...core.assets import find_network, read_json

    choices, details = [], {}
    width = max(map(len, names), default=0)  # the input shapes in one column
    for name in names:
        spec = read_json(find_network(name))
        shape = spec.get("input")
        choices.append((name, f"{name:<{width}} {shape_text(shape) if isinstance(shape, list) else ''}"))
        key = f"preset.description.{name}"
        details[name] = t(key) if has_text(key) else str(spec.get("description", ""))
    return choices, details


def text_form_problem(text: str, language: str) -> str | None:
    """What is wrong with a typed text form, under a caret at the place, or None when it reads."""
    from ...core import CnntuiError
    from ...core.textform import parse

    try:
        parse(text)
    except CnntuiError as error:
        where = f"{' ' * getattr(error, 'position', 0)}^ "
        return f"{where}\n{message_text(language, error.message)}"
    return None


def text_form_spec(text: str, old: dict) -> dict:
    """The network a typed text form describes, with ``old``'s name and details."""
    from ...core.textform import parse

    spec = parse(text)
    spec["name"] = old.get("name", UNTITLED)
    # the text form says nothing of the details; a different network is not trained by old weights
    spec.update({key: old[key] for key in ("description", "classes") if key in old})
    return spec


def spec_to_save(spec: dict, weights_from: Path | None, path: Path) -> tuple[dict, str]:
    """The network as written to ``path`` and the strings key of the message saying so."""
    if not isinstance(spec.get("weights"), str) or weights_from is None:
        return spec, "build.save.done"
    # The file names its weights beside the file it came from; saved elsewhere, they go with it.
    name, copied = weights_beside(weights_from / spec["weights"], path)
    if name is None:
        return {key: value for key, value in spec.items() if key != "weights"}, "build.save.weights_left"
    return {**spec, "weights": name}, "build.save.weights_copied" if copied else "build.save.done"


def write_network(path: Path, spec: dict) -> None:
    """Write ``spec`` to ``path`` as JSON, whole or not at all (OSError when it cannot)."""
    from ...core.files import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(spec, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
