"""A focusable row of links: left and right choose, Enter follows."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


@dataclass
class Link:
    label: str
    target: str


class LinkBar(Widget, can_focus=True):
    DEFAULT_CSS = """
    LinkBar { height: auto; link-style: none; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "Previous", show=False),
        Binding("right", "move(1)", "Next", show=False),
        Binding("enter", "follow", "Open", id="link.open"),
    ]

    selected = reactive(0)

    @dataclass
    class Followed(Message):
        target: str

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.title = ""
        self.links: list[Link] = []

    def set_links(self, title: str, links: list[Link]) -> None:
        self.title, self.links = title, links
        self.selected = min(self.selected, max(len(links) - 1, 0))
        self.refresh(layout=True)

    def render(self) -> Content:
        parts = [(self.title, "bold"), " "]
        for index, link in enumerate(self.links):
            chosen = self.has_focus and index == self.selected
            parts += [(f" {link.label} ", f"{'reverse ' if chosen else ''}underline @click=follow_index({index})"), " "]
        return Content.assemble(*parts)

    def watch_selected(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        if self.links:
            self.selected = (self.selected + step) % len(self.links)

    def action_follow(self) -> None:
        if self.links:
            self.post_message(self.Followed(self.links[self.selected].target))

    def action_follow_index(self, index: int) -> None:
        self.selected = index
        self.action_follow()
