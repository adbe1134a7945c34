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

from ...render.text import cell_width, fit_cells

Cell = str | tuple[str, str]  # text, or (text, style) such as ("!", "bold red")


MIN_SHRUNK = 12  # the narrowest a shrunk column gets: past that, the table scrolls sideways
WANTED = 20  # a shrunk column narrower than this costs the droppable columns their place


def cell_text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell[0]


def cell_len(cell: Cell) -> int:
    return cell_width(cell_text(cell))


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
        Binding("right", "arrow_fold(True)", show=False), Binding("left", "arrow_fold(False)", show=False),
        Binding("plus", "fold(True)", show=False), Binding("minus", "fold(False)", show=False),
        Binding("space", "fold(None)", show=False),
    ]

    cursor = reactive(0)

    @dataclass
    class Highlighted(Message):
        row: int

    @dataclass
    class Selected(Message):
        row: int

    @dataclass
    class Fold(Message):
        """Right or + (unfold True), Left or - (False), Space (None: the other way) on a tree's row."""

        row: int
        unfold: bool | None

    def __init__(self, *, id: str | None = None, folds: bool = False):
        """``folds``: the rows are a tree, and Left/Right fold and unfold rather than scroll sideways."""
        super().__init__(id=id)
        self.folds = folds
        self.header: list[str] = []
        self.rows: list[tuple[Cell, ...]] = []
        self.right_aligned: set[int] = set()
        self.widths: list[int] = []
        self.natural_widths: list[int] = []  # what each column's widest cell needs
        self.shrink: int | None = None
        self.droppable: tuple[int, ...] = ()
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)

    def set_rows(self, header: list[str], rows: list[tuple[Cell, ...]], right_aligned: set[int],
                 shrink: int | None = None, droppable: tuple[int, ...] = ()) -> None:
        """Show ``rows``; when they are wider than the table, column ``shrink`` is cut to fit (with a
        "~" where a cell lost its end) rather than pushing the columns after it off screen, and the
        ``droppable`` columns go, in that order, while it would be cut below WANTED columns."""
        self.header, self.rows, self.right_aligned = header, rows, right_aligned
        self.shrink, self.droppable = shrink, droppable
        widths = [cell_len(label) for label in header]
        for row in rows:
            widths = [max(width, cell_len(cell)) for width, cell in zip(widths, row)]
        self.natural_widths = widths
        self.fit_widths()
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        self.refresh()

    def fit_widths(self) -> None:
        """The columns' widths for the table's width (0: a dropped column)."""
        widths = list(self.natural_widths)
        if self.shrink is not None and widths:
            room = self.scrollable_content_region.width - 1  # a space before the first column
            dropping = list(self.droppable)
            while True:
                shown = [width for width in widths if width]
                others = sum(shown) - widths[self.shrink] + 2 * len(shown)  # two spaces after each
                if others + widths[self.shrink] <= room or room <= 0:
                    break
                if room - others < WANTED and dropping:
                    widths[dropping.pop(0)] = 0
                    continue
                widths[self.shrink] = max(MIN_SHRUNK, room - others)
                break
        if widths != self.widths:
            self._strips.clear()
        self.widths = widths
        size = Size(sum(widths) + 2 * sum(1 for width in widths if width), len(self.rows) + 1)
        if size != self.virtual_size:  # a new virtual size means a new layout: only when it changes
            self.virtual_size = size

    def on_resize(self) -> None:
        self.fit_widths()
        self.refresh()

    def plain_rows(self) -> list[list[str]]:
        return [[cell_text(cell) for cell in row] for row in self.rows]

    def _line(self, cells: tuple[Cell, ...] | list[str], base: Style) -> list[Segment]:
        """The row's segments, made directly (a cell is plain text: no markup, no wrapping to work out)."""
        segments = [Segment(" ", base)]
        for index, (cell, width) in enumerate(zip(cells, self.widths)):
            if not width:
                continue  # dropped to make room
            words, style = (cell, None) if isinstance(cell, str) else cell
            if cell_width(words) > width:
                words = fit_cells(words, width - 1) + "~"
            pad = Segment(" " * (width - cell_width(words)), base)
            shown = Segment(words, base + Style.parse(style) if style else base)
            segments += [pad, shown] if index in self.right_aligned else [shown, pad]
            segments.append(Segment("  ", base))
        return segments

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

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return self.folds or action != "fold"  # a table that is no tree leaves +, - and Space to its screen

    def action_fold(self, unfold: bool | None) -> None:
        self.post_message(self.Fold(self.cursor, unfold))

    def action_arrow_fold(self, unfold: bool) -> None:
        if self.folds:
            self.action_fold(unfold)
        else:
            self.scroll_right() if unfold else self.scroll_left()

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
    """Wrapped, scrollable text that repaints without a new layout when its words change. Only the
    lines on screen are drawn: the text form of ResNet-50 is dozens of lines, of which four show."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.text = Text()
        self.lines: list[Text] = []
        self._strips: dict[int, Strip] = {}
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

    def wrapped(self) -> list[Text]:
        width = max(self.scrollable_content_region.width, 1)
        if self._wrapped_for != width:
            self._wrapped_for = width
            self.style_now = self.rich_style
            self._strips = {}
            lines = list(self.text.split("\n", allow_blank=True)) if self.text.plain else []
            if any(line.cell_len > width or "\t" in line.plain for line in lines):
                lines = list(self.text.wrap(self.app.console, width))  # else wrapping would change nothing
            self.lines = lines
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
        strip = self._strips.get(index)
        if strip is None:
            line = lines[index]
            strip = Strip(line.render(self.app.console), line.cell_len).apply_style(self.style_now)
            self._strips[index] = strip
        return strip.extend_cell_length(width, self.style_now).crop(0, width)

    def on_resize(self) -> None:
        self._wrapped_for = None
        self.refresh()
