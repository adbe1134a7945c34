"""View's picture pane: arrow keys move the selection; PgUp/PgDn and Home/End scroll a tall panel."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message

from .picture import PictureView

SCROLL_ACTIONS = {"page_up", "page_down", "scroll_home", "scroll_end"}


class MapPane(PictureView, inherit_bindings=False):
    """The picture on the right; arrow keys move the selection, PgUp/PgDn and Home/End scroll."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", show=False), Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False), Binding("right", "move(0, 1)", show=False),
        Binding("pagedown", "page_down", "Scroll", id="view.scroll", key_display="PgUp/PgDn"),
        Binding("pageup", "page_up", show=False, id="view.scroll"),
        Binding("home", "scroll_home", show=False), Binding("end", "scroll_end", show=False),
    ]

    @dataclass
    class Moved(Message):
        rows: int
        cols: int

    def action_move(self, rows: int, cols: int) -> None:
        self.post_message(self.Moved(rows, cols))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The scroll keys work, and the key bar names them, only while the panel is taller than its area."""
        return self.max_scroll_y > 0 if action in SCROLL_ACTIONS else True

    def show(self, key: object, rows: list) -> None:
        scrolls = self.max_scroll_y > 0
        super().show(key, rows)
        if (self.max_scroll_y > 0) != scrolls:
            self.screen.refresh_bindings()

    def on_resize(self) -> None:  # Textual calls PictureView's on_resize too
        self.screen.refresh_bindings()
