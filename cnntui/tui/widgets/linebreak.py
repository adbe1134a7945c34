"""Chinese line breaking for everything Textual and Rich wrap on screen.

Textual 8.2.8 wraps Content (Static, Label, the blocks of a Markdown page, toasts, option lists) with
``rich._wrap.divide_line``, imported into ``textual.content``; Rich's ``Text.wrap`` (Rich renderables,
such as tables) calls the same function, imported into ``rich.text``. It breaks only at spaces and cuts
a run of Chinese, which has none, wherever the width ends, so a line could start with "，". Neither
offers a hook, so ``install`` replaces that one name in both modules. Text that needs no rules (ASCII
without punctuation standing apart) still goes to Rich's own function, so English wraps as before.
tests/test_linebreak.py fails if Textual or Rich stop wrapping through that name.
"""

from __future__ import annotations

import rich.text
import textual.content
from rich._wrap import divide_line as rich_divide_line

from ...render.text import break_offsets, needs_rules

PATCHED_MODULES = (textual.content, rich.text)


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Rich's ``divide_line``, with Chinese broken between characters under its punctuation rules."""
    if not needs_rules(text):
        return rich_divide_line(text, width, fold)
    return break_offsets(text, width, fold)


def install() -> None:
    """Wrap all text on screen with ``divide_line`` (once is enough; again does nothing)."""
    for module in PATCHED_MODULES:
        module.divide_line = divide_line
