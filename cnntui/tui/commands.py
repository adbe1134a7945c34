"""Command palette providers: modes, preset networks, language, colour modes, themes."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..learn.pages import LINK, load_pages
from ..render.terminal import COLOR_MODES
from .widgets.chrome import MODE_ORDER


def plain_definition(text: str) -> str:
    """A definition without link markup, for the command palette."""
    return LINK.sub(lambda match: match.group(2) or match.group(1), text)


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
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self.commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.commands():
            score = max(matcher.match(title), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
