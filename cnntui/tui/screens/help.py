"""The help screen: every key, every mode, what the colours and numbers mean."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,f1", "dismiss", "Close", id="close")]

    def compose(self) -> ComposeResult:
        app = self.app
        with VerticalScroll(id="help"):
            yield Static(app.t("help.title"), id="help-title")
            yield Markdown(self.body())
            yield Static(app.t("help.close"), id="help-close")

    def body(self) -> str:
        app = self.app
        colors = app.t("help.colors", mode=app.t(f"colors.{app.color_mode}"),
                       source=app.t(f"help.source.{app.color_source}"),
                       blocks=app.t("help.blocks.ascii" if app.ascii_only else "help.blocks.unicode"),
                       settings=app.settings_store.path)
        sections = ("help.keys", "help.modes", "help.learn", "help.build", "help.view", "help.quiz", "help.train", "help.screen")
        return "\n\n".join([*(app.t(key) for key in sections), colors])

    def on_mount(self) -> None:
        self.query_one("#help").focus()
