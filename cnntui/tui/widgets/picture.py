"""A Line API widget that shows rows of cells (feature maps, tables, legends) with cached strips.

Each picture comes with a key that says what it shows (layer, channel,
cursor, size, colour mode...). Strips are cached by (key, row), so paging
back to a channel seen before costs a dictionary lookup.
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

# The renderer (and so NumPy) loads on the first picture, not with the module: the first frame stays light.


@lru_cache(maxsize=4096)
def cell_style(fg: int, bg: int) -> Style:
    """Colours as exact RGB: the app's colour filter maps them back to the palette index chosen."""
    from ...render.colormap import ink

    return Style(color=Color.from_rgb(*ink(fg).rgb) if fg else None,
                 bgcolor=Color.from_rgb(*ink(bg).rgb) if bg else None)


@lru_cache(maxsize=256)
def label_style(style: str) -> Style:
    return Style.parse(style) if style else Style()


class PictureView(ScrollView, can_focus=True):
    DEFAULT_CSS = "PictureView { scrollbar-size: 1 1; }"

    class Resized(Message):
        """The view changed size (the window, or a side pane hidden or shown): pictures refit."""

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.key: object = None
        self.rows: list = []  # rows of cells, see render.picture
        self._strips: LRUCache[tuple, Strip] = LRUCache(4096)

    def show(self, key: object, rows: list) -> None:
        """Show ``rows``; ``key`` must change whenever the rows could differ."""
        from ...render.picture import row_width

        if key == self.key:
            return
        self.key, self.rows = key, rows
        size = Size(max((row_width(row) for row in rows), default=0), len(rows))
        if size != self.virtual_size:
            self.virtual_size = size
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        index = y + scroll_y
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        key = (self.key, index, scroll_x, width)
        strip = self._strips.get(key)
        if strip is None:
            from ...render.picture import row_segments

            segments = row_segments(self.rows[index], cell_style, label_style)
            strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, base).apply_style(base)
            self._strips[key] = strip
        return strip
