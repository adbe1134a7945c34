"""Drawing the whole app in the chosen colour mode, switchable while running.

Textual renders in truecolor; this line filter then turns every colour into
the mode's palette (Rich's 256-colour downgrade uses only the 6x6x6 cube and
the grey ramp). A colour that is exactly one of the palette colours our
feature-map tables chose keeps that index. With no colour, strong
backgrounds such as a cursor become reverse video so they stay visible.
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

from ..render.terminal import exact_indices

SYSTEMS = {"256": ColorSystem.EIGHT_BIT, "16": ColorSystem.STANDARD}
DEFAULT = RichColor.default()


def _luminance(color: RichColor | None, fallback: float) -> float:
    if color is None or color.is_default or color.triplet is None:
        return fallback
    red, green, blue = color.triplet.normalized
    return 0.299 * red + 0.587 * green + 0.114 * blue


def _downgrade(color: RichColor | None, mode: str) -> RichColor | None:
    if color is None or color.triplet is None:
        return None
    index = exact_indices(mode).get(tuple(color.triplet))
    return RichColor.from_ansi(index) if index is not None else color.downgrade(SYSTEMS[mode])


@lru_cache(maxsize=4096)
def convert(style: Style, mode: str, background: Color) -> Style:
    if mode in SYSTEMS:
        return style + Style(color=_downgrade(style.color, mode), bgcolor=_downgrade(style.bgcolor, mode))
    # No colour: keep bold, italic and the like; make a clearly different background reverse video.
    base = background.brightness
    stands_out = abs(_luminance(style.bgcolor, base) - base) > 0.2
    plain = style + Style(color=DEFAULT, bgcolor=DEFAULT)
    return plain + Style(reverse=True) if stands_out else plain


class ColorModeFilter(LineFilter):
    def __init__(self, mode: str = "truecolor") -> None:
        super().__init__(enabled=mode != "truecolor")
        self.mode = mode

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.enabled = mode != "truecolor"

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        mode = self.mode
        return [Segment(text, None if style is None else convert(style, mode, background), control)
                for text, style, control in segments]
