"""What the terminal can show: colour mode and whether block characters are safe.

Used by the CLI and the app alike, so it depends on neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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
