"""Where the shipped presets, images and weights live, and reading network files."""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

from .errors import CnntuiError, closest
from .reading import NETWORK_FILE_LIMIT, read_bytes

JSON_DEPTH_LIMIT = 32  # a network nests 4 deep; far more is a broken or hostile file


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
    """Parse a network JSON file; a bad file is a CnntuiError naming line and column.

    Only a regular file of at most NETWORK_FILE_LIMIT bytes is read (see ``reading``), and
    nesting deeper than JSON_DEPTH_LIMIT is refused: Python's parser, copy and printing
    recurse once per level and would crash on a file nested 100,000 deep.
    """
    data = read_bytes(path, NETWORK_FILE_LIMIT, "network file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CnntuiError("unreadable", path=str(path), reason="it is not UTF-8 text") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CnntuiError("bad_json", path=str(path), line=error.lineno, column=error.colno,
                          reason=error.msg) from None
    except RecursionError:
        raise CnntuiError("json_too_deep", path=str(path), limit=JSON_DEPTH_LIMIT) from None
    except ValueError:  # a number of more digits than Python will convert
        raise CnntuiError("json_long_number", path=str(path), limit=sys.get_int_max_str_digits()) from None
    if deeper_than(value, JSON_DEPTH_LIMIT):
        raise CnntuiError("json_too_deep", path=str(path), limit=JSON_DEPTH_LIMIT)
    return value


def deeper_than(value: object, limit: int) -> bool:
    """Whether lists and objects in ``value`` nest more than ``limit`` deep (without recursing)."""
    level = [value]
    for _ in range(limit + 1):
        level = [child for item in level if isinstance(item, (list, dict))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return True


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
