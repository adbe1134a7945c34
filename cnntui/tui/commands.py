"""The command palette and what it offers: modes, concepts, preset networks, language, colour modes, themes."""

from __future__ import annotations

from functools import partial

from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Matcher, Provider, SearchIcon
from textual.content import Content
from textual.markup import escape

from ..learn.pages import LINK, load_pages
from ..render.terminal import COLOR_MODES, ascii_text
from .ascii import SEARCH_ICON
from .widgets.chrome import MODE_ORDER


def plain_definition(text: str) -> str:
    """A definition without link markup, for the command palette."""
    return LINK.sub(lambda match: match.group(2) or match.group(1), text)


class Palette(CommandPalette):
    """Textual's palette; with --ascii its magnifying-glass icon becomes ">"."""

    def on_mount(self) -> None:
        if self.app.ascii_only:
            self.query_one(SearchIcon).icon = SEARCH_ICON


def highlighted(matcher: Matcher, title: str) -> Content:
    """``title`` as plain text with the matched letters marked (Matcher.highlight reads it as markup)."""
    content = Content(title)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class AppCommands(Provider):
    """Everything the palette offers, each title in the current language."""

    def commands(self) -> list[tuple[str, str, object]]:
        app = self.app
        t = app.t
        found = []
        for mode in MODE_ORDER:
            name = t(f"mode.{mode}")
            found.append((t("palette.mode", mode=name), t("palette.mode.help", mode=name),
                          partial(app.switch_mode, mode)))
        for page in load_pages().values():
            other = "zh" if app.language == "en" else "en"
            found.append((t("palette.concept", title=page.title[app.language]),
                          f"{page.title[other]} · {plain_definition(page.definition[app.language])}",
                          partial(app.open_concept, page.id)))
        for preset in app.preset_names():
            found.append((t("palette.preset", name=preset), t("palette.preset.help", name=preset),
                          partial(app.load_network, preset)))
        found.append((t("palette.language"), t("palette.language.help"), app.action_toggle_language))
        for mode in COLOR_MODES:
            name = t(f"colors.{mode}")
            found.append((t("palette.colors", mode=name), t("palette.colors.help", mode=name),
                          partial(app.set_color_mode, mode, "key")))
        for theme in sorted(app.available_themes):
            found.append((t("palette.theme", name=theme), t("palette.theme.help", name=theme),
                          partial(setattr, app, "theme", theme)))
        found.append((t("palette.help"), t("palette.help.help"), app.action_help))
        found.append((t("palette.quit"), t("palette.quit.help"), app.exit))
        if app.ascii_only:  # the concepts' titles and definitions come from the pages, not from t()
            return [(ascii_text(title), ascii_text(help_text), callback) for title, help_text, callback in found]
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self.commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=escape(help_text))  # plain, not markup

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.commands():
            score = max(matcher.match(title), words_score(query, help_text) * 0.5)
            if score > 0:
                yield Hit(score, highlighted(matcher, title), callback, text=title, help=escape(help_text))


def words_score(query: str, text: str) -> float:
    """How well ``query`` matches a long help text: every word of it must appear in the text.

    Textual's fuzzy matcher tries every way the query's letters can fall in order through the
    text; on a 300-character definition "go to view" took about 0.1 s per definition, over 5 s
    a keystroke for the palette's 49 concepts on a shared server. Titles are short and keep it;
    a definition is found by its words, in linear time, scored as a fuzzy match of them would be."""
    words = query.lower().split()
    text = text.lower()
    if not words or not all(word in text for word in words):
        return 0.0
    return float(sum(map(len, words)))
