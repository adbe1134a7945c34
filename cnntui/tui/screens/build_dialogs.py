"""Build mode's own dialog: the network as PyTorch or Keras code."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.widgets import Static

from .dialogs import Dialog


class ExportDialog(Dialog):
    """The code scrolls both ways (arrows, PageUp/PageDown, Home/End) under a title and above a key line
    that always show: the code's box takes what they leave (app.tcss)."""

    BINDINGS = [Binding("k", "switch", "PyTorch/Keras", id="export.switch"),
                Binding("y", "copy", "Copy", id="export.copy")]

    def __init__(self, title: str, hint: str, spec: dict):
        super().__init__(title, hint)
        self.spec, self.framework = spec, "pytorch"

    def compose_content(self) -> ComposeResult:
        with ScrollableContainer(classes="dialog-code"):
            yield Static(Text(self.code(), no_wrap=True), id="export-code")

    def code(self) -> str:
        from ...core.export import EXPORTERS

        return EXPORTERS[self.framework](self.spec)

    def on_mount(self) -> None:
        self.query_one(".dialog-code").focus()

    def action_switch(self) -> None:
        self.framework = "keras" if self.framework == "pytorch" else "pytorch"
        self.query_one("#export-code", Static).update(Text(self.code(), no_wrap=True))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.code())
        self.app.notify(self.app.t("build.copied", framework=self.framework), timeout=3)
