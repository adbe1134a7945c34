"""What every mode screen shares: the frame, and redrawing for a new colour mode."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen

from ..widgets.chrome import KeyBar, TooSmall, TopBar


class ModeScreen(Screen):
    mode_name: ClassVar[str]

    def compose(self) -> ComposeResult:
        yield TopBar()
        with Container(id="body"):
            yield from self.compose_body()
        yield TooSmall(id="too-small")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def is_focused(self, widget_id: str) -> bool:
        """Whether the widget with ``widget_id`` has focus; False before the body is mounted (keys
        typed ahead over a slow link can arrive then)."""
        return self.focused is not None and self.focused.id == widget_id

    def on_screen_resume(self) -> None:
        for widget in self.query("TooSmall, TopBar, KeyBar"):
            widget.redraw()  # the terminal may have been resized while another mode was shown
        self.catch_up_colors()

    def catch_up_colors(self) -> None:
        """Repaint every widget if the colour mode changed since this screen last drew."""
        if getattr(self, "_painted_colors", None) != self.app.color_mode:
            self._painted_colors = self.app.color_mode
            for widget in self.walk_children():
                widget.refresh()
