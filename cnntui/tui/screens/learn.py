"""Learn mode: a searchable, cross-linked glossary whose worked examples the engine computes live."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import get_current_worker

from ...learn.pages import KINDS, load_pages, search
from ...render.terminal import ascii_text
from ...render.text import wrap_line
from ..widgets.links import Link, LinkBar
from .base import ModeScreen

FIRST_FRAME_GRACE = 0.1  # seconds
FIRST_PAGE = "start"  # needs no engine, so the app stays light until a worked example is opened
LIST_WIDTH = 19  # #learn-nav is 22 columns: less its border and the list's scroll bar


def list_entry(title: str) -> str:
    """A page in the list, indented under its group; a long title's next lines stay under its first."""
    return "\n".join(wrap_line(title, LIST_WIDTH, "  ", "    "))


class ConceptList(OptionList):
    """The concept list. Up/Down already pick a page, so PageUp/PageDown scroll the page beside it."""

    BINDINGS = [
        Binding("pagedown", "screen.scroll_page(1)", show=False),
        Binding("pageup", "screen.scroll_page(-1)", show=False),
    ]


class LearnScreen(ModeScreen):
    mode_name = "learn"
    BINDINGS = [
        Binding("slash,s", "search", "Search", key_display="/", id="learn.search"),
        Binding("b,backspace", "back", "Back", key_display="b", id="learn.back"),
        Binding("tab", "app.focus_next", "List/page", key_display="Tab", id="learn.tab"),
        Binding("pagedown", "scroll_page(1)", show=False),  # from the search field too
        Binding("pageup", "scroll_page(-1)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page_id = FIRST_PAGE
        self.history: list[str] = []
        self.shown: tuple[str, str, bool] | None = None  # what the Markdown holds: page, language, ascii

    def compose_body(self) -> ComposeResult:
        # Empty at first: the widgets below (and their stylesheets) arrive just after the first
        # frame, so that frame is as quick as a bare Textual app's.
        yield Horizontal(id="learn")

    def on_mount(self) -> None:
        self.watch(self.app, "language", self.relabel, init=False)
        self.set_timer(FIRST_FRAME_GRACE, self.fill_body)

    async def fill_body(self) -> None:
        nav = Vertical(Input(id="learn-search", placeholder=self.app.t("learn.search")),
                       ConceptList(id="learn-list", markup=False), id="learn-nav")
        page = Vertical(VerticalScroll(id="learn-scroll"), LinkBar(id="learn-links"), id="learn-page")
        await self.query_one("#learn").mount_all([nav, page])
        if not self.query("#learn-list"):
            return  # the app closed while mounting
        self.query_one("#learn-list").focus()
        self.relabel()
        self.open_requested()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.open_requested()

    def open_requested(self) -> None:
        requested = self.app.requested_concept
        if requested and self.query("#learn-list"):
            self.app.requested_concept = None
            self.open(requested)

    # -- the list ---------------------------------------------------------------

    def relabel(self, *_) -> None:
        if not self.query("#learn-list"):
            return  # not built yet; fill_body labels it
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
                options += [Option(list_entry(page.title[language]), id=page.id) for page in group]
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
        # A highlight the list has moved on from is stale: two pages opened in quick succession would
        # otherwise reopen each other through their late events, for ever.
        if event.option_index != event.option_list.highlighted:
            return
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
        # Off the UI thread: a page with a worked example loads the engine (and NumPy) here.
        from ...learn.placeholders import ExampleError
        from ...learn.render import Renderer

        page = load_pages()[page_id]
        try:
            markdown = Renderer(page, language, ascii_only).markdown()
        except ExampleError as error:
            markdown = f"# {page.title[language]}\n\n{self.app.t('learn.error', error=error)}"
        if ascii_only:
            markdown = ascii_text(markdown)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.put_page, (page_id, language, ascii_only), markdown)

    def put_page(self, shown: tuple[str, str, bool], markdown: str) -> None:
        if shown != (self.page_id, self.app.language, self.app.ascii_only):
            return  # overtaken by a newer request
        self.shown = shown
        self.show_markdown(markdown)
        self.query_one("#learn-scroll").scroll_home(animate=False)
        pages = load_pages()
        page, language = pages[shown[0]], shown[1]
        links = [Link(pages[target].title[language], target) for target in page.related if target in pages]
        if page.try_it:
            mode = self.app.t(f"mode.{page.try_it['mode']}")
            links.append(Link(self.app.t("learn.try", mode=mode), "try:"))
        self.query_one(LinkBar).set_links(self.app.t("learn.related"), links)

    def show_markdown(self, markdown: str) -> None:
        views = self.query("#learn-md")
        if views:
            views.first().update(markdown)
            return
        from ..widgets.page import page_markdown  # first page: the parser loads only now

        self.query_one("#learn-scroll").mount(page_markdown(markdown, self.app.ascii_only))

    def on_markdown_link_clicked(self, event) -> None:
        if event.href.startswith("concept:"):
            self.open(event.href.removeprefix("concept:"))

    @on(LinkBar.Followed)
    def follow(self, event: LinkBar.Followed) -> None:
        if event.target == "try:":
            self.app.try_it(load_pages()[self.page_id].try_it)
        else:
            self.open(event.target)

    # -- keys -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Learn's keys wait for its widgets, which mount just after the first frame: over a slow link
        keys typed ahead can arrive before them."""
        if action in ("search", "back", "scroll_page") and not self.query("#learn-list"):
            return False
        return True

    def action_search(self) -> None:
        self.query_one("#learn-search").focus()

    def leave_field(self) -> bool:
        """Escape in the search field returns to the list."""
        if self.is_focused("learn-search"):
            self.query_one("#learn-list").focus()
            return True
        return False

    def action_scroll_page(self, direction: int) -> None:
        scroll = self.query_one("#learn-scroll", VerticalScroll)
        if direction > 0:
            scroll.scroll_page_down()
        else:
            scroll.scroll_page_up()

    def action_back(self) -> None:
        if self.history:
            self.open(self.history.pop(), remember=False)

