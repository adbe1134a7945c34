"""What the terminal can show: colour mode, whether block characters are safe, its palette.

Used by the CLI and the app alike, so it depends on neither.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

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


LOCALE_VARIABLES = ("LC_ALL", "LC_CTYPE", "LANG")
# Under the C locale Python sets LC_CTYPE to one of these in its own environment (PEP 538).
COERCED_CTYPES = ("C.UTF-8", "C.utf8", "UTF-8")
PROCESS_ENVIRON = Path("/proc/self/environ")


def launch_environ() -> Mapping[str, str]:
    """The environment this process was started with, for reading its locale.

    Under the C locale Python puts LC_CTYPE=C.UTF-8 into os.environ itself (PEP 538), which would
    hide the C locale. Linux keeps the starting environment in /proc/self/environ; elsewhere an
    LC_CTYPE that looks like Python's own (a C.UTF-8 beside no LANG or a C one) is left out."""
    try:
        pairs = (item.split(b"=", 1) for item in PROCESS_ENVIRON.read_bytes().split(b"\0") if b"=" in item)
        return {name.decode(errors="replace"): value.decode(errors="replace") for name, value in pairs}
    except OSError:
        pass
    if (os.environ.get("LC_CTYPE") in COERCED_CTYPES and not os.environ.get("LC_ALL")
            and os.environ.get("LANG", "C") in ("", "C", "POSIX")):
        return {name: value for name, value in os.environ.items() if name != "LC_CTYPE"}
    return os.environ


def character_locale(environ: Mapping[str, str]) -> str:
    """The locale that decides the character set, as ``VARIABLE=value``: the first of LC_ALL,
    LC_CTYPE and LANG that is set and not empty; with none, POSIX's default, the C locale."""
    return next((f"{name}={environ[name]}" for name in LOCALE_VARIABLES if environ.get(name)), "LANG=C")


def non_unicode_locale(environ: Mapping[str, str]) -> str | None:
    """``VARIABLE=value`` when the locale names no UTF-8 character set (C, POSIX, en_US.ISO-8859-1,
    en_US), else None. Python reports UTF-8 even under LANG=C (PEP 538 and 540), so its own
    encoding cannot tell whether the terminal shows block characters; the locale can."""
    locale = character_locale(environ)
    name = locale.partition("=")[2]
    codeset = (name.partition(".")[2] or name).partition("@")[0]  # macOS may set a bare LC_CTYPE=UTF-8
    return None if encoding_is_unicode(codeset) else locale


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


# Our texts' few non-ASCII characters, written in ASCII for --ascii (Chinese text itself stays).
ASCII_FORMS = str.maketrans({
    "·": "-", "…": "...", "“": '"', "”": '"', "‘": "'", "’": "'", "×": "x", "→": "->", "←": "<-",
    "≥": ">=", "≤": "<=", "≈": "~", "—": "-", "–": "-", "⚠": "!", "Δ": "d", "•": "*", "✓": "*",
})


def ascii_text(text: str) -> str:
    return text if text.isascii() else text.translate(ASCII_FORMS)
