"""Where the shipped presets, images and weights live, and reading network files."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .errors import CnntuiError, closest


@cache
def assets_dir() -> Path:
    """``cnntui/assets`` in an installed wheel; the top-level ``assets/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "assets"
    return installed if installed.is_dir() else package.parent / "assets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in (assets_dir() / "presets").glob("*.json"))


def sample_names() -> list[str]:
    """The shipped sample images (assets/samples/*.png) by stem: digits 0-9 first, then the rest by name."""
    stems = [p.stem for p in (assets_dir() / "samples").glob("*.png")]
    return sorted(stems, key=lambda stem: (not stem.startswith("digit-"), _natural(stem)))


def _natural(stem: str) -> list[object]:
    """A sort key that puts "digit-2" before "digit-10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", stem)]


def find_sample(name: str) -> Path:
    """The PNG file of a shipped sample image, by stem (see ``sample_names``)."""
    names = sample_names()
    if name not in names:
        raise CnntuiError("unknown_sample", got=name, hint=closest(name, names),
                          known=", ".join(names))
    return assets_dir() / "samples" / f"{name}.png"


def read_json(path: Path) -> object:
    """Parse a JSON file; a bad file is a CnntuiError naming line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CnntuiError("unreadable", path=str(path), reason="it is not UTF-8 text") from None
    except OSError as error:
        raise CnntuiError("unreadable", path=str(path), reason=error.strerror or str(error)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CnntuiError("bad_json", path=str(path), line=error.lineno, column=error.colno,
                          reason=error.msg) from None


def looks_like_path(name: str) -> bool:
    return name.endswith(".json") or "/" in name or "\\" in name or Path(name).exists()


def find_network(name_or_path: str) -> Path:
    """The JSON file for a preset name, or the path itself."""
    if looks_like_path(name_or_path):
        return Path(name_or_path)
    names = preset_names()
    if name_or_path not in names:
        raise CnntuiError("unknown_preset", got=name_or_path, hint=closest(name_or_path, names),
                          known=", ".join(names))
    return assets_dir() / "presets" / f"{name_or_path}.json"
