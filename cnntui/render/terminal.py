"""What the terminal can show: colour mode, whether block characters are safe, its palette.

Used by the CLI and the app alike, so it depends on neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

COLOR_MODES = ("truecolor", "256", "16", "none")


def detect_color_mode(environ: Mapping[str, str] = os.environ) -> str:
    """The colour mode the environment asks for, decided as Rich decides it.

    NO_COLOR (set and not empty) means none; COLORTERM=truecolor or 24bit
    means truecolor; otherwise TERM's last part: 256color or kitty means
    256, dumb or unknown means none, anything else 16.
    """
    if environ.get("NO_COLOR"):
        return "none"
    if environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    term = environ.get("TERM", "").strip().lower()
    if term in ("dumb", "unknown"):
        return "none"
    colors = term.rpartition("-")[2]
    return "256" if colors in ("256color", "kitty") else "16"


def encoding_is_unicode(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf16", "utf32")


# xterm's default colours for indices 0-15.
XTERM_16 = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
            "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]


def hex_rgb(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


@cache
def xterm_colors() -> list[tuple[int, int, int]]:
    """RGB of palette indices 0-255: xterm's 16, the 6x6x6 cube, the 24 greys."""
    steps = [0, 95, 135, 175, 215, 255]
    cube = [(steps[i // 36], steps[i // 6 % 6], steps[i % 6]) for i in range(216)]
    greys = [(8 + 10 * i,) * 3 for i in range(24)]
    return [hex_rgb(h) for h in XTERM_16] + cube + greys


@cache
def exact_indices(mode: str) -> dict[tuple[int, int, int], int]:
    """RGB -> palette index for the colours the picture tables use in ``mode`` ("256": 16-255,
    "16": 0-15), so that a later downgrade keeps the index the table chose."""
    chosen = range(16, 256) if mode == "256" else range(16) if mode == "16" else ()
    table: dict[tuple[int, int, int], int] = {}
    for index in chosen:
        table.setdefault(xterm_colors()[index], index)
    return table
