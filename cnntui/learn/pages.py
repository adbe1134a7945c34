"""Learn pages: concepts, comparisons and "how they relate", loaded from data.

Every page is a JSON file under cnntui/content/learn/ with both languages side
by side. Text may hold placeholders (see examples.py) and links written
[[concept-id]] or [[concept-id|words]]. Loading and searching pages needs no
NumPy; rendering them (render.py) computes their numbers with the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache

from ..content import CONTENT_DIR

KINDS = ("overview", "concept", "comparison", "relations")
MODES_FOR_TRY = ("learn", "build", "view", "quiz", "train")
LINK = re.compile(r"\[\[([\w-]+)(?:\|([^\]]+))?\]\]")


@dataclass
class Page:
    id: str
    kind: str
    title: dict[str, str]
    definition: dict[str, str]
    explanation: list[dict] = field(default_factory=list)
    formula: str | dict[str, str] | None = None  # symbols only, or {en, zh} where it has words
    example: dict | None = None
    related: list[str] = field(default_factory=list)
    try_it: dict | None = None
    aliases: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Page:
        return cls(id=data["id"], kind=data["kind"], title=data["title"], definition=data["definition"],
                   explanation=data.get("explanation", []), formula=data.get("formula"),
                   example=data.get("example"), related=data.get("related", []), try_it=data.get("try"),
                   aliases=data.get("aliases", {}))

    def search_text(self) -> str:
        words = [self.id, *self.title.values(), *self.definition.values()]
        for names in self.aliases.values():
            words += names
        return " ".join(words).lower()


@cache
def load_pages() -> dict[str, Page]:
    """Every page by id, concepts first (in file order of their ``order``), then comparisons, then relations."""
    pages = []
    for path in sorted((CONTENT_DIR / "learn").rglob("*.json")):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        pages.append((data.get("order", 999), Page.from_dict(data)))
    pages.sort(key=lambda item: (KINDS.index(item[1].kind), item[0], item[1].id))
    return {page.id: page for _, page in pages}


def search(query: str, pages: dict[str, Page] | None = None) -> list[Page]:
    """Pages whose titles, aliases or definitions contain every word of ``query``, in either language."""
    pages = pages or load_pages()
    words = query.lower().split()
    found = [page for page in pages.values() if all(word in page.search_text() for word in words)]
    # Title matches first, keeping the reading order otherwise.
    return sorted(found, key=lambda page: not any(query.lower() in t.lower() for t in page.title.values()))




def __getattr__(name: str):
    # Rendering lives in render.py so that listing pages does not load NumPy.
    if name in ("Renderer", "render", "problems"):
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
