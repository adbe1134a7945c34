"""Words shown to users, kept as data: one catalog per language.

Widgets look strings up by key; they never hold literal UI text. Both
catalogs must have the same keys (the tests check).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from ..core.printable import printable

LANGUAGES = ("en", "zh")
CONTENT_DIR = Path(__file__).resolve().parent


@cache
def catalog(language: str) -> dict[str, str]:
    """The UI strings (strings/<language>.json) and the engine's messages (strings/engine.<language>.json)."""
    strings: dict[str, str] = {}
    for name in (f"{language}.json", f"engine.{language}.json"):
        path = CONTENT_DIR / "strings" / name
        if path.exists():
            with open(path, encoding="utf-8") as handle:
                strings.update(json.load(handle))
    return strings


def text(language: str, key: str, **args) -> str:
    """The string for ``key`` in ``language`` with ``args`` filled in."""
    template = catalog(language)[key]
    return template.format(**args) if args else template


def message_text(language: str, message) -> str:
    """An engine message (a code and its arguments) in ``language``.

    The catalog holds "engine.<code>" templates; word arguments such as
    "rows" are translated through "engine.word.<word>". English falls back to
    the engine's own sentence. What the arguments quote from a file or an
    argument shows its control characters as escapes (no template holds one).
    """
    strings = catalog(language)
    key = f"engine.{message.code}"
    if key not in strings:
        return printable(str(message))
    args = {}
    for name, value in message.args.items():
        if hasattr(value, "code") and hasattr(value, "args"):  # a message inside a message
            value = message_text(language, value)
        elif isinstance(value, str) and name not in USER_DATA:
            value = strings.get(f"engine.word.{value}", value)
        args[name] = value
    return printable(strings[key].format(**args))


# Arguments that hold what the user typed or named: shown as they are, never translated.
USER_DATA = {"got", "token", "key", "field", "type", "known", "path", "name", "hint", "example", "output", "input",
             "other", "option"}


def language_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """zh when the locale says Chinese (LC_ALL, LC_MESSAGES or LANG, first set), else en."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
