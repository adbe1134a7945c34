"""A Learn page: Markdown whose fences wrap their long lines, except drawings, which keep their shape.

A keyboard cannot scroll a fence sideways, so a formula longer than the pane
would be cut off; it wraps instead. A plot or a diagram (fence info
"drawing") would be garbled by wrapping, so it keeps its lines. Imported only
when the first page shows: the Markdown parser is slow to load.
"""

from __future__ import annotations

from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence

from ..ascii import bulleted


class PageFence(MarkdownFence):
    def on_mount(self) -> None:
        self.set_class(self.lexer == "drawing", "-drawing")


class PageMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PageFence, "code_block": PageFence}


def page_markdown(markdown: str, ascii_only: bool) -> Markdown:
    return bulleted(PageMarkdown(markdown, id="learn-md", open_links=False), ascii_only)
