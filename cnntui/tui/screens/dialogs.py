"""Small dialogs: ask for a line of text, confirm, choose from a list."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class Dialog(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", id="dialog.close")]

    def __init__(self, title: str, hint: str = ""):
        super().__init__()
        self.title_text, self.hint = title, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield from self.compose_content()
            yield Static(self.hint, classes="dialog-hint")

    def compose_content(self) -> ComposeResult:
        yield from ()


class PromptDialog(Dialog):
    """One line of text. ``check`` returns an error message (or None) on every keystroke."""

    def __init__(self, title: str, value: str = "", hint: str = "",
                 check: Callable[[str], str | None] | None = None):
        super().__init__(title, hint)
        self.value, self.check = value, check

    def compose_content(self) -> ComposeResult:
        yield Input(self.value, classes="dialog-input")
        yield Static("", classes="dialog-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.show_check(self.value)

    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        self.show_check(event.value)

    def show_check(self, value: str) -> str | None:
        problem = self.check(value) if self.check else None
        self.query_one(".dialog-error", Static).update(problem or "")
        return problem

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if not self.show_check(event.value):
            self.dismiss(event.value)


class ConfirmDialog(Dialog):
    BINDINGS = [Binding("y", "dismiss(True)", "Yes", id="dialog.yes"),
                Binding("n,escape", "dismiss(False)", "No", id="dialog.no")]


class ChoiceDialog(Dialog):
    """Pick one of ``choices`` (id, label); returns the id."""

    def __init__(self, title: str, choices: list[tuple[str, str]], hint: str = ""):
        super().__init__(title, hint)
        self.choices = choices

    def compose_content(self) -> ComposeResult:
        yield OptionList(*(Option(label, id=key) for key, label in self.choices), classes="dialog-choices")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
