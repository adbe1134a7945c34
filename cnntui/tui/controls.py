"""The last guard between a file's text and the terminal: no control character is ever written.

Text from files and arguments is escaped where it enters a screen (``core.printable.printable``). Textual
itself strips only a few controls (BEL, BS, VT, FF, CR) and writes the rest, ESC included, as they are:
one missed place would let a network's name clear the screen or write the clipboard (OSC 52). This
line filter drops whatever ``printable`` would have escaped from every segment's text. Those characters
take no cell in Rich's and Textual's width arithmetic, so dropping them keeps every line's width.
"""

from __future__ import annotations

from functools import cache, lru_cache

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from ..core.printable import is_printable

# printable() escapes nothing above U+2069 (the last bidirectional isolate).
_HIGHEST_CONTROL = 0x2069


@cache
def _control_table() -> dict[int, None]:
    return {code: None for code in range(_HIGHEST_CONTROL + 1) if not is_printable(chr(code))}


@lru_cache(maxsize=1024)
def without_controls(text: str) -> str:
    return text.translate(_control_table())


class ControlCharacterFilter(LineFilter):
    """Drops control characters (C0, DEL, C1, bidirectional marks) from the text of every segment;
    a segment that is itself a terminal control (Segment.control) is Textual's own and stays."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [segment if segment.control or is_printable(segment.text)
                else Segment(without_controls(segment.text), *segment[1:]) for segment in segments]
