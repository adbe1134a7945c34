"""The frame around every mode: top bar, key bar, and the too-small notice."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

MODE_ORDER = ("learn", "build", "view", "quiz", "train")
NARROW = 100  # columns below which the top bar leaves out the colour mode...
NARROWEST = 70  # ...and below which also the app's name and the "net:" label


def show_if_changed(widget: Static, content) -> None:
    """Static.update re-lays out the screen, so skip it when nothing would change."""
    if getattr(widget, "_shown", None) != content:
        widget._shown = content
        widget.update(content)


class Line(Widget):
    """Fixed-height text that repaints without a new layout when it changes (Static.update re-lays out)."""

    DEFAULT_CSS = "Line { height: 1; }"
    content = reactive("", layout=False)

    def render(self):
        return self.content


class Translated(Static):
    """A Static that redraws itself when the language, colour mode or network changes."""

    def on_mount(self) -> None:
        for name in ("language", "color_mode", "network"):
            self.watch(self.app, name, self.redraw, init=False)
        self.redraw()

    def redraw(self, *_):
        show_if_changed(self, self.content())

    def content(self) -> Content:
        raise NotImplementedError


class TopBar(Translated):
    """Modes with the current one marked, then the network and colour mode."""

    DEFAULT_CSS = """
    TopBar { height: 1; background: $panel; link-style: none; link-color: $foreground; }
    """

    def content(self) -> Content:
        app = self.app
        width = getattr(app, "terminal_size", app.size).width
        current = self.screen.mode_name
        # Narrow terminals lose the least useful parts first: the colour mode, then the title and labels.
        parts = [(f" {app.t('app.title')} ", "bold")] if width >= NARROWEST else []
        for number, mode in enumerate(MODE_ORDER, 1):
            label = f" {number} {app.t(f'mode.{mode}')} "
            parts.append((label, "bold reverse $accent" if mode == current else f"@click=app.switch_mode('{mode}')"))
        separator = " | " if app.ascii_only else " │ "
        network = f"{app.t('bar.network')}: {app.network.name}" if width >= NARROWEST else app.network.name
        facts = [network, app.t(f"colors.{app.color_mode}"), app.language.upper()]
        if width < NARROW:
            del facts[1]
        parts.append(separator + separator.join(facts))
        return Content.assemble(*parts)


class KeyBar(Translated):
    """The keys that work right now, each with its translated meaning; a key can be clicked."""

    DEFAULT_CSS = """
    KeyBar { height: 1; background: $panel; dock: bottom; link-style: bold; link-color: $accent; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.redraw)
        super().on_mount()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def content(self) -> Content:
        app = self.app
        seen = set()
        parts = []
        for node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            name = binding.id or binding.action
            if not binding.show or not enabled or name in seen:
                continue
            seen.add(name)
            label = app.t(f"key.{name}") if app.has_text(f"key.{name}") else binding.description
            namespace = "app" if node is app else "screen"
            parts += [(app.get_key_display(binding), f"@click={namespace}.{binding.action}"), f" {label}  "]
        return Content.assemble(" ", *parts)


class TooSmall(Translated):
    """Shown instead of the mode when the terminal is below the minimum size."""

    def content(self) -> Content:
        app = self.app
        width, height = app.MIN_SIZE
        size = app.terminal_size
        return Content(app.t("too_small", need_w=width, need_h=height, have_w=size.width, have_h=size.height))
