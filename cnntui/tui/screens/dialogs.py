"""Small dialogs: ask for a line of text, confirm, choose from a list.

Every word they show may come from a user (a file name, a network's name,
an error quoting what was typed) or hold square brackets (the text form's
grammar), so titles, hints, labels and errors are plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
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
            yield Static(Content(self.title_text), classes="dialog-title")
            yield from self.compose_content()
            yield Static(Content(self.hint), classes="dialog-hint")

    def compose_content(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        """Textual shows the notifications on this dialog too: the screen below hides its own while the
        dialog is up, so a notification shows once, not twice."""
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        self.toasts_below = below.query("#textual-toastrack") if below is not None else None
        if self.toasts_below:
            self.toasts_below.set(display=False)

    def on_unmount(self) -> None:
        if getattr(self, "toasts_below", None):
            self.toasts_below.set(display=True)


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
        self.query_one(".dialog-error", Static).update(Content(problem or ""))
        return problem

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if not self.show_check(event.value):
            self.dismiss(event.value)


class ConfirmDialog(Dialog):
    BINDINGS = [Binding("y", "dismiss(True)", "Yes", id="dialog.yes"),
                Binding("n,escape", "dismiss(False)", "No", id="dialog.no")]


class ChoiceDialog(Dialog):
    """Pick one of ``choices`` (id, label); returns the id.

    With ``details`` (id -> text) the highlighted choice's text shows, wrapped, below the list.
    ``start``: the id highlighted first.
    With ``filter_hint`` an input above the list narrows it to the choices whose label contains
    every typed word; Enter takes the highlighted one, which is the first match until Up/Down move it.
    """

    def __init__(self, title: str, choices: list[tuple[str, str]], hint: str = "", *,
                 details: dict[str, str] | None = None, filter_hint: str | None = None, start: str | None = None):
        super().__init__(title, hint)
        self.choices, self.details, self.filter_hint = choices, details, filter_hint
        self.start = start  # the id highlighted first (the one in use), else the first
        self.set_class(details is not None or filter_hint is not None, "-tall")  # see app.tcss

    def compose_content(self) -> ComposeResult:
        if self.filter_hint is not None:
            yield Input(placeholder=self.filter_hint, classes="dialog-filter")
        yield OptionList(*self.options(self.choices), classes="dialog-choices")
        if self.details is not None:
            yield Static("", classes="dialog-details")

    @staticmethod
    def options(choices: list[tuple[str, str]]) -> list[Option]:
        return [Option(Content(label), id=key) for key, label in choices]

    def on_mount(self) -> None:
        self.query_one(".dialog-filter" if self.filter_hint is not None else OptionList).focus()
        keys = [key for key, _ in self.choices]
        if self.start in keys:
            self.query_one(OptionList).highlighted = keys.index(self.start)
        self.show_details()

    def matches(self, typed: str) -> list[tuple[str, str]]:
        words = typed.lower().split()
        return [(key, label) for key, label in self.choices if all(word in label.lower() for word in words)]

    @on(Input.Changed, ".dialog-filter")
    def narrow(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self.options(self.matches(event.value)))
        options.highlighted = 0 if options.option_count else None
        self.show_details()

    @on(Input.Submitted, ".dialog-filter")
    def take_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_key(self, event) -> None:
        """Up and Down move through the list while the cursor stays in the filter."""
        if self.filter_hint is not None and event.key in ("up", "down") and self.focused is self.query_one(Input):
            options = self.query_one(OptionList)
            options.action_cursor_up() if event.key == "up" else options.action_cursor_down()
            event.stop()

    @on(OptionList.OptionHighlighted)
    def show_details(self) -> None:
        if self.details is None:
            return
        options = self.query_one(OptionList)
        index = options.highlighted
        key = options.get_option_at_index(index).id if index is not None else None
        self.query_one(".dialog-details", Static).update(Content(self.details.get(key, "")))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
