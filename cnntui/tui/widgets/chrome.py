"""The frame around every mode: top bar, key bar, and the too-small notice."""

from __future__ import annotations

import re
from dataclasses import replace

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.keys import key_to_character
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

from ...core.printable import printable

MODE_ORDER = ("learn", "build", "view", "quiz", "train")
NARROW = 100  # columns below which the top bar leaves out the colour mode...
NARROWEST = 70  # ...and below which also the app's name and the "net:" label
ALWAYS_SHOWN = ("help", "quit")  # on the key bar however narrow: Help lists every other key
FIRST_DROPPED = ("palette", "language")  # the first to go when the keys do not fit


def plain(content):
    """A str as plain Content: Textual reads a str as markup, and ours quote networks, files and input."""
    return Content(content) if isinstance(content, str) else content


def show_if_changed(widget: Static, content) -> None:
    """Static.update re-lays out the screen, so skip it when nothing would change. A str is plain text."""
    if getattr(widget, "_shown", None) != content:
        widget._shown = content
        widget.update(plain(content))


class Line(Widget):
    """Fixed-height text that repaints without a new layout when it changes (Static.update re-lays out).
    A str is plain text, never markup."""

    DEFAULT_CSS = "Line { height: 1; }"
    content = reactive("", layout=False)

    def render(self):
        return plain(self.content)


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
        label = f"{app.t('bar.network')}: " if width >= NARROWEST else ""
        others = [app.t(f"colors.{app.color_mode}"), app.language.upper()][width < NARROW:]
        # The network's name gets what the rest leaves, shortened: a line too long would wrap it out of sight.
        room = width - sum(cell_len(text) for text, _ in parts) - cell_len(label + separator * (len(others) + 1)
                                                                            + "".join(others))
        name = shortened(printable(app.network.name), room, "..." if app.ascii_only else "…")
        facts = [label + name, *others] if name else others  # no room at all: below the app's least size
        parts.append(separator + separator.join(facts))
        return Content.assemble(*parts)


def shortened(text: str, width: int, ellipsis: str) -> str:
    """``text`` if it fits ``width`` columns, else as much of it as fits with ``ellipsis`` after it."""
    if cell_len(text) <= width:
        return text
    room = width - cell_len(ellipsis)
    return set_cell_size(text, room).rstrip() + ellipsis if room > 0 else ""  # a wide character cut: a space


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
        keys = self.keys()
        width = getattr(app, "terminal_size", app.size).width
        # Too many keys for one line: the app-wide extras go first, then the screen's keys from the
        # end, so that Help (which lists every key) and Quit always stay on the bar.
        droppable = [name for name in FIRST_DROPPED if any(key[0] == name for key in keys)]
        droppable += [key[0] for key in reversed(keys) if key[0] not in ALWAYS_SHOWN + FIRST_DROPPED]
        while droppable and 1 + sum(cell_len(f"{key[1]} {key[2]}  ") for key in keys) > width:
            dropped = droppable.pop(0)
            keys = [key for key in keys if key[0] != dropped]
        parts = []
        for _name, display, label, click in keys:
            parts += [(display, click), f" {label}  "]
        return Content.assemble(" ", *parts)

    def keys(self) -> list[tuple[str, str, str, str]]:
        """(id, key, label, click action) of each key that works now, in the order of the screen's bindings.

        While a text field has focus, a key that types a character (q, ?, space) types it instead of
        acting, so the bar shows the action's other key if it has one (Ctrl+Q, F1) and hides it if not."""
        app = self.app
        typing = isinstance(self.screen.focused, Input)
        bindings = [(node, binding) for node, binding, enabled, _ in self.screen.active_bindings.values() if enabled]
        # Each action's name on the bar comes from its shown binding, even when only a hidden one is active.
        shown = {(node, binding.action): binding.id or binding.action
                 for node in {node for node, _ in bindings}
                 for key_bindings in node._bindings.key_to_bindings.values() for binding in key_bindings
                 if binding.show}
        seen = set()
        keys = []
        for node, binding in bindings:
            name = (binding.id or binding.action) if binding.show else shown.get((node, binding.action))
            if name is None or name in seen or (not binding.show and not typing):
                continue
            if typing and types_a_character(binding.key):
                continue
            if typing and len(binding.key_display or "") == 1:
                binding = replace(binding, key_display=None)  # "?" is also F1's display
            seen.add(name)
            label = app.t(f"key.{name}") if app.has_text(f"key.{name}") else binding.description
            namespace = "app" if node is app else "screen"
            display = app.get_key_display(binding)
            display = display.upper() if re.fullmatch(r"f\d+", display) else display  # F1 as keyboards print it
            keys.append((name, display, label, f"@click={namespace}.{binding.action}"))
        return keys


def types_a_character(key: str) -> bool:
    character = key_to_character(key)
    return character is not None and character.isprintable()


class TooSmall(Translated):
    """Shown instead of the mode when the terminal is below the minimum size."""

    def content(self) -> Content:
        app = self.app
        width, height = app.MIN_SIZE
        size = app.terminal_size
        return Content(app.t("too_small", need_w=width, need_h=height, have_w=size.width, have_h=size.height))
