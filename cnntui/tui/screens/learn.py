"""Learn mode: a searchable, cross-linked glossary whose worked examples the engine computes live."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Markdown, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import get_current_worker

from ...learn.pages import KINDS, LINK, load_pages, search
from ..widgets.links import Link, LinkBar
from .base import ModeScreen

FIRST_PAGE = "neuron"


class LearnScreen(ModeScreen):
    mode_name = "learn"
    BINDINGS = [
        Binding("slash,s", "search", "Search", show=False, id="learn.search"),
        Binding("b,backspace", "back", "Back", show=False, id="learn.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page_id = FIRST_PAGE
        self.history: list[str] = []
        self.shown: tuple[str, str, bool] | None = None  # what the Markdown holds: page, language, ascii

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="learn"):
            with Vertical(id="learn-nav"):
                yield Input(id="learn-search")
                yield OptionList(id="learn-list")
            with Vertical(id="learn-page"):
                with VerticalScroll(id="learn-scroll"):
                    yield Markdown(id="learn-md", open_links=False)
                yield LinkBar(id="learn-links")

    def on_mount(self) -> None:
        self.watch(self.app, "language", self.relabel, init=False)
        self.query_one("#learn-search", Input).placeholder = self.app.t("learn.search")
        self.fill_list("")
        self.query_one("#learn-list").focus()
        # Computing the page loads the engine: only after the first frame is on screen.
        self.call_after_refresh(self.show, self.page_id)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        requested = getattr(self.app, "requested_concept", None)
        if requested:
            self.app.requested_concept = None
            self.open(requested)

    # -- the list ---------------------------------------------------------------

    def relabel(self, *_) -> None:
        self.query_one("#learn-search", Input).placeholder = self.app.t("learn.search")
        self.fill_list(self.query_one("#learn-search", Input).value)
        self.show(self.page_id)

    def fill_list(self, query: str) -> None:
        language = self.app.language
        pages = search(query) if query.strip() else list(load_pages().values())
        options: list[Option] = []
        for kind in KINDS:
            group = [page for page in pages if page.kind == kind]
            if group:
                options.append(Option(self.app.t(f"learn.group.{kind}"), disabled=True))
                options += [Option(f"  {page.title[language]}", id=page.id) for page in group]
        if not options:
            options.append(Option(self.app.t("learn.no_match", query=query), disabled=True))
        listing = self.query_one("#learn-list", OptionList)
        listing.set_options(options)
        ids = [page.id for page in pages]
        if self.page_id in ids:
            listing.highlighted = listing.get_option_index(self.page_id)

    @on(Input.Changed, "#learn-search")
    def filter_list(self, event: Input.Changed) -> None:
        self.fill_list(event.value)

    @on(Input.Submitted, "#learn-search")
    def open_first_match(self) -> None:
        listing = self.query_one("#learn-list", OptionList)
        listing.focus()
        first = next((option.id for option in listing.options if option.id), None)
        if first:
            self.open(first)

    @on(OptionList.OptionHighlighted, "#learn-list")
    def preview(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.page_id:
            self.open(event.option.id)

    @on(OptionList.OptionSelected, "#learn-list")
    def read(self, event: OptionList.OptionSelected) -> None:
        self.open(event.option.id)
        self.query_one("#learn-scroll").focus()

    # -- pages ------------------------------------------------------------------

    def open(self, page_id: str, remember: bool = True) -> None:
        if page_id not in load_pages():
            return
        if remember and page_id != self.page_id:
            self.history.append(self.page_id)
        self.page_id = page_id
        listing = self.query_one("#learn-list", OptionList)
        try:
            listing.highlighted = listing.get_option_index(page_id)
        except OptionDoesNotExist:  # filtered out of the list; the page still opens
            pass
        self.show(page_id)

    def show(self, page_id: str) -> None:
        wanted = (page_id, self.app.language, self.app.ascii_only)
        if wanted != self.shown:
            self.render_page(*wanted)

    @work(thread=True, exclusive=True, group="learn-page")
    def render_page(self, page_id: str, language: str, ascii_only: bool) -> None:
        # The engine (and NumPy) loads here, off the UI thread and after the first paint.
        from ...learn.examples import ExampleError
        from ...learn.render import Renderer

        page = load_pages()[page_id]
        try:
            markdown = Renderer(page, language, ascii_only).markdown()
        except ExampleError as error:
            markdown = f"# {page.title[language]}\n\n{self.app.t('learn.error', error=error)}"
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.put_page, (page_id, language, ascii_only), markdown)

    def put_page(self, shown: tuple[str, str, bool], markdown: str) -> None:
        if shown != (self.page_id, self.app.language, self.app.ascii_only):
            return  # overtaken by a newer request
        self.shown = shown
        self.query_one("#learn-md", Markdown).update(markdown)
        self.query_one("#learn-scroll").scroll_home(animate=False)
        pages = load_pages()
        page, language = pages[shown[0]], shown[1]
        links = [Link(pages[target].title[language], target) for target in page.related if target in pages]
        if page.try_it:
            mode = self.app.t(f"mode.{page.try_it['mode']}")
            links.append(Link(self.app.t("learn.try", mode=mode), "try:"))
        self.query_one(LinkBar).set_links(self.app.t("learn.related"), links)

    @on(Markdown.LinkClicked, "#learn-md")
    def follow_markdown_link(self, event: Markdown.LinkClicked) -> None:
        if event.href.startswith("concept:"):
            self.open(event.href.removeprefix("concept:"))

    @on(LinkBar.Followed)
    def follow(self, event: LinkBar.Followed) -> None:
        if event.target == "try:":
            self.app.try_it(load_pages()[self.page_id].try_it)
        else:
            self.open(event.target)

    # -- keys -------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#learn-search").focus()

    def leave_field(self) -> bool:
        """Escape in the search field returns to the list."""
        if self.focused is self.query_one("#learn-search"):
            self.query_one("#learn-list").focus()
            return True
        return False

    def action_back(self) -> None:
        if self.history:
            self.open(self.history.pop(), remember=False)


def plain_definition(text: str) -> str:
    """A definition without link markup, for the command palette."""
    return LINK.sub(lambda match: match.group(2) or match.group(1), text)
