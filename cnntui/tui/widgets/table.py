"""A fast table for Build mode: a Line API widget that caches each rendered row.

DataTable re-renders every visible cell after any change; here a keystroke
that changes a few numbers re-renders only the rows whose text changed, so
the table keeps up with typing even for VGG-16.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = str | tuple[str, str]  # text, or (text, style) such as ("!", "bold red")


def _text(cell: Cell) -> Text:
    return Text(cell) if isinstance(cell, str) else Text(cell[0], style=cell[1])


class LayerTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"layer-table--header", "layer-table--cursor"}
    DEFAULT_CSS = """
    LayerTable > .layer-table--header { text-style: bold; color: $accent; }
    LayerTable > .layer-table--cursor { background: $primary 40%; }
    LayerTable:focus > .layer-table--cursor { background: $primary 70%; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", show=False), Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False), Binding("pagedown", "move(10)", show=False),
        Binding("home", "move(-100000)", show=False), Binding("end", "move(100000)", show=False),
        Binding("enter", "select", show=False),
    ]

    cursor = reactive(0)

    @dataclass
    class Highlighted(Message):
        row: int

    @dataclass
    class Selected(Message):
        row: int

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.header: list[str] = []
        self.rows: list[tuple[Cell, ...]] = []
        self.right_aligned: set[int] = set()
        self.widths: list[int] = []
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)

    def set_rows(self, header: list[str], rows: list[tuple[Cell, ...]], right_aligned: set[int]) -> None:
        self.header, self.rows, self.right_aligned = header, rows, right_aligned
        widths = [len(label) for label in header]
        for row in rows:
            widths = [max(width, _text(cell).cell_len) for width, cell in zip(widths, row)]
        if widths != self.widths:
            self._strips.clear()
        self.widths = widths
        size = Size(sum(widths) + 2 * len(widths), len(rows) + 1)
        if size != self.virtual_size:  # a new virtual size means a new layout: only when it changes
            self.virtual_size = size
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        self.refresh()

    def plain_rows(self) -> list[list[str]]:
        return [[_text(cell).plain for cell in row] for row in self.rows]

    def _line(self, cells: tuple[Cell, ...] | list[str], base: Style) -> list[Segment]:
        text = Text(" ", style=base)
        for index, (cell, width) in enumerate(zip(cells, self.widths)):
            cell_text = _text(cell)
            pad = " " * (width - cell_text.cell_len)
            pieces = [pad, cell_text] if index in self.right_aligned else [cell_text, pad]
            for piece in pieces:
                text.append_text(piece) if isinstance(piece, Text) else text.append(piece)
            text.append("  ")
        return [Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console)
                if s.text != "\n"]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def styles_now(self) -> tuple[Style, Style, Style]:
        """(base, header, cursor) styles; computing them walks the DOM, so keep them until CSS changes."""
        if getattr(self, "_styles", None) is None:
            base = self.rich_style
            self._styles = (base, base + self.get_component_rich_style("layer-table--header"),
                            base + self.get_component_rich_style("layer-table--cursor"))
        return self._styles

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base, header, cursor = self.styles_now()
        if y == 0:
            key = ("header", tuple(self.header), scroll_x, width)
            cells, style = self.header, header
        else:
            index = y - 1 + scroll_y
            if index >= len(self.rows):
                return Strip.blank(width, base)
            chosen = index == self.cursor
            style = cursor if chosen else base
            key = (index, self.rows[index], chosen, self.has_focus, scroll_x, width)
            cells = self.rows[index]
        strip = self._strips.get(key)
        if strip is None:
            strip = Strip(self._line(cells, style)).crop_extend(scroll_x, scroll_x + width, style)
            self._strips[key] = strip
        return strip

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        if self.rows:
            self.scroll_to_cursor()
            self.post_message(self.Highlighted(new))

    def scroll_to_cursor(self) -> None:
        visible = self.size.height - 1
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif visible > 0 and self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def move_cursor(self, row: int) -> None:
        self.cursor = max(0, min(row, len(self.rows) - 1))

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_select(self) -> None:
        self.post_message(self.Selected(self.cursor))

    def on_click(self, event) -> None:
        row = event.y - 1 + self.scroll_offset.y
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.move_cursor(row)

    def on_focus(self) -> None:
        self._styles = None  # :focus changes the cursor colour
        self.refresh()

    def on_blur(self) -> None:
        self._styles = None
        self.refresh()


class TextPanel(ScrollView, can_focus=True):
    """Wrapped, scrollable text that repaints without a new layout when its words change."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.text = Text()
        self.lines: list[Strip] = []
        self._wrapped_for: tuple | None = None

    def set_text(self, text: Text) -> None:
        if text == self.text:
            return
        self.text = text
        self._wrapped_for = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._wrapped_for = None

    def wrapped(self) -> list[Strip]:
        width = max(self.scrollable_content_region.width, 1)
        if self._wrapped_for != width:
            self._wrapped_for = width
            self.style_now = self.rich_style
            console = self.app.console
            lines = self.text.wrap(console, width) if self.text.plain else []
            self.lines = [Strip(line.render(console), line.cell_len).apply_style(self.style_now) for line in lines]
            size = Size(width, len(self.lines))
            if size != self.virtual_size:
                self.virtual_size = size
        return self.lines

    def render_line(self, y: int) -> Strip:
        lines = self.wrapped()
        index = y + self.scroll_offset.y
        width = self.size.width
        if index >= len(lines):
            return Strip.blank(width, self.style_now)
        return lines[index].extend_cell_length(width, self.style_now).crop(0, width)

    def on_resize(self) -> None:
        self._wrapped_for = None
        self.refresh()
