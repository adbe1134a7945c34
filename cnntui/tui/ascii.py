"""--ascii for what Textual draws itself: frames, rules and scroll bars, key names, list bullets.

Our own text becomes ASCII where it is made (``render.terminal.ascii_text``
in ``app.t``, the pictures' character ramp). Textual's borders and rules
come in many types (tall, wide, hkey, outer...) set by every widget's
default CSS, so rather than restyle each widget, a line filter draws every
box-drawing and block character as the ASCII character of the same shape,
one cell for one cell. It does the same for a little punctuation (quotation
marks, the ellipsis) in text that does not pass through ``app.t``, such as
the quiz's questions, and folds what a student typed ("café" -> "cafe"); Chinese stays.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter
from textual.scrollbar import ScrollBar, ScrollBarRender

if TYPE_CHECKING:
    from textual.widgets import Markdown  # loaded only when a page first shows

BOX_DRAWING = range(0x2500, 0x2580)
BLOCK_ELEMENTS = {
    "-": "▀▄▁▔",
    "|": "▉▊▋▌▍▎▏▐▕",
    "#": "█▂▃▅▆▇▓",
    ":": "▒",
    ".": "░",
    "+": "▖▗▘▙▚▛▜▝▞▟",
}
# One cell for one: the multi-character forms (... -> >=) are ascii_text's, for our own strings.
PUNCTUATION = {"“": '"', "”": '"', "‘": "'", "’": "'", "…": ".", "·": "-", "•": "*", "–": "-", "—": "-",
               "×": "x", "→": ">", "←": "<", "✓": "*", "●": "*", "▶": ">", "\u00a0": " "}
# Textual's names for keys that it shows as symbols (textual.keys.KEY_DISPLAY_ALIASES).
KEY_NAMES = {"↑": "Up", "↓": "Down", "←": "Left", "→": "Right", "⏎": "Enter", "⌫": "Backspace"}
BULLETS = ["* ", "- ", "+ ", "* ", "- "]  # Markdown lists, by depth (Textual's are •, ▪, ‣, ⭑, ◦)
SEARCH_ICON = ">"  # the command palette's magnifying glass


def box_glyph(char: str) -> str:
    """The ASCII shape of a box-drawing character: a line is - or |, anything that joins lines is +."""
    name = unicodedata.name(char, "")
    if "DIAGONAL" in name:
        return "X" if "CROSS" in name else "/" if "UPPER RIGHT" in name else "\\"
    words = set(name.replace("HORIZONTAL", "LEFT RIGHT").replace("VERTICAL", "UP DOWN").split())
    ends = words & {"UP", "DOWN", "LEFT", "RIGHT"}
    if ends and ends <= {"LEFT", "RIGHT"}:
        return "-"
    if ends and ends <= {"UP", "DOWN"}:
        return "|"
    return "+"


@cache
def glyph_table() -> dict[int, str]:
    table = {code: box_glyph(chr(code)) for code in BOX_DRAWING}
    for ascii_char, chars in BLOCK_ELEMENTS.items():
        table.update({ord(char): ascii_char for char in chars})
    table.update({ord(char): ascii_char for char, ascii_char in PUNCTUATION.items()})
    return table


@lru_cache(maxsize=1024)
def folded(char: str) -> str:
    """A character that is still not ASCII, in the cells it takes: Chinese (two cells wide) stays; a
    letter loses its accent ("é" -> "e", the text a student typed, such as a network's name); anything
    else one cell wide is "?", and a mark of no width goes."""
    if char.isascii() or unicodedata.east_asian_width(char) in "WF":
        return char
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return ""
    base = unicodedata.normalize("NFKD", char)[:1]
    return base if base.isascii() and base.isprintable() and base != " " else "?"


@lru_cache(maxsize=4096)
def ascii_glyphs(text: str) -> str:
    drawn = text.translate(glyph_table())
    return drawn if drawn.isascii() else "".join(map(folded, drawn))


class AsciiGlyphFilter(LineFilter):
    """Box-drawing and block characters and PUNCTUATION as ASCII, each in its own cell; other letters
    without their accents, and whatever else is one cell wide as "?"; Chinese stays."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [segment if segment.text.isascii() else Segment(ascii_glyphs(segment.text), *segment[1:])
                for segment in segments]


class AsciiScrollBarRender(ScrollBarRender):
    """A scroll bar whose thumb is whole cells of reverse video, without eighth-block ends."""

    VERTICAL_BARS = [" "] * len(ScrollBarRender.VERTICAL_BARS)
    HORIZONTAL_BARS = [" "] * len(ScrollBarRender.HORIZONTAL_BARS)


def scroll_bar_render(scroll_bar: ScrollBar, **options) -> ScrollBarRender:
    """Set as ``ScrollBar.renderer``, which every scroll bar calls as ``self.renderer(...)``: so it
    receives the scroll bar, whose app says whether to draw with ASCII only."""
    ascii_only = getattr(scroll_bar.app, "ascii_only", False)
    return (AsciiScrollBarRender if ascii_only else ScrollBarRender)(**options)


def bulleted(markdown: Markdown, ascii_only: bool) -> Markdown:
    """A Markdown widget whose lists, with --ascii, are bulleted * - + instead of Textual's symbols."""
    if ascii_only:
        markdown.BULLETS = BULLETS
    return markdown


def ascii_key(display: str) -> str:
    """A key as Textual displays it, with its symbols spelled out."""
    for symbol, name in KEY_NAMES.items():
        display = display.replace(symbol, name)
    return display
