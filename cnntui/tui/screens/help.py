"""The help screen: every key, every mode, what the colours and numbers mean.

It opens at the section of the mode it was called from (the rest is above and
below it), so ``?`` in Build shows Build's keys first.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from ..ascii import bulleted

SECTIONS = ("keys", "modes", "learn", "build", "view", "quiz", "train", "screen")


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,f1", "dismiss", "Close", id="close")]

    def __init__(self) -> None:
        super().__init__()
        self.loaded = 0  # sections whose Markdown has been laid out
        self.ready = False  # scrolled to the mode's section

    def compose(self) -> ComposeResult:
        app = self.app
        with VerticalScroll(id="help"):
            yield Static(app.t("help.title"), id="help-title")
            for section in SECTIONS:
                yield bulleted(Markdown(app.t(f"help.{section}"), id=f"help-{section}", classes="help-section"),
                               app.ascii_only)
            yield bulleted(Markdown(self.colors(), id="help-colors", classes="help-section"), app.ascii_only)
            yield Static(app.t("help.close"), id="help-close")

    def colors(self) -> str:
        app = self.app
        return app.t("help.colors", mode=app.t(f"colors.{app.color_mode}"),
                     source=app.t(f"help.source.{app.color_source}"),
                     blocks=app.t("help.blocks.ascii" if app.ascii_only else "help.blocks.unicode"),
                     settings=f"`{app.settings_store.path}`")  # a code span: a path is not Markdown

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    @on(Markdown.TableOfContentsUpdated)
    def section_loaded(self) -> None:
        """Once every section is laid out, scroll to the calling mode's."""
        self.loaded += 1
        if self.loaded == len(SECTIONS) + 1:
            self.call_after_refresh(self.show_mode_section)

    def show_mode_section(self, tries: int = 250) -> None:
        """Scroll the mode's section to the top; until the sections' heights are final, layouts may move
        it again, so check after the next refresh and repeat (a section near the end stops at the bottom).
        Up to 5 seconds: while Train runs, a layout can take a while."""
        if not self.is_attached:
            return  # closed (Escape right after ?) while a check was still waiting: nothing to scroll
        mode = getattr(self.app, "current_mode", None)
        if mode not in SECTIONS:
            self.ready = True
            return
        scroll, section = self.query_one("#help", VerticalScroll), self.query_one(f"#help-{mode}")
        scroll.scroll_to_widget(section, top=True, animate=False)

        def check() -> None:
            top = section.region.y - section.styles.margin.top  # scroll_to_widget shows the margin too
            at_top = top == scroll.content_region.y or scroll.scroll_y == scroll.max_scroll_y
            if at_top and scroll.scroll_y > 0 or not tries:
                self.ready = True
            else:
                self.set_timer(0.02, lambda: self.show_mode_section(tries - 1))

        self.call_after_refresh(check)
