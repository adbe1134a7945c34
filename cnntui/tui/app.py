"""The cnntui app: five modes around one current network, ready for SSH on lab machines.

Nothing here imports NumPy: the first paint must be as quick as a bare
Textual app's. The engine loads when a mode first needs it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

from rich.color import ColorSystem
from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.filter import Monochrome, NoColor
from textual.geometry import Size
from textual.reactive import reactive
from textual.scrollbar import ScrollBar
from textual.theme import Theme

from ..content import LANGUAGES, catalog, language_from_env, text
from ..core.printable import printable
from ..render.terminal import (COLOR_MODES, ascii_text, detect_color_mode, encoding_is_unicode, launch_environ,
                               non_unicode_locale)
from .ascii import AsciiGlyphFilter, ascii_key, scroll_bar_render
from .colors import ColorModeFilter
from .commands import AppCommands, Palette
from .controls import ControlCharacterFilter
from .state import CurrentNetwork, read_network, read_valid_network
from .settings import DEFAULT_NETWORK, DEFAULT_THEME, SettingsStore, default_path
from .widgets import linebreak

AUTOSAVE_NAME = re.compile(r"current(-[0-9]+)?\.json")  # the edited network's autosave, beside the settings

# Every colour is exact in the xterm 256-colour cube or grey ramp, so the 256
# colour mode shows the theme as designed; each also maps to a distinct one of
# the 16 standard colours.
CNNTUI_THEME = Theme(
    name=DEFAULT_THEME, dark=True,
    primary="#5f87d7", secondary="#5fafaf", accent="#ffaf5f", warning="#ffd75f", error="#ff5f5f",
    success="#87d75f", foreground="#e4e4e4", background="#121212", surface="#1c1c1c", panel="#303030",
)


def mode_screen(mode: str):
    module = importlib.import_module(f".screens.{mode}", __package__)
    screen = getattr(module, f"{mode.capitalize()}Screen")()
    # Textual marks every new screen's styles out of date, so a mode's first screen makes it parse every
    # stylesheet (all of app.tcss) twice more, before the first frame too. Its widgets get the current
    # styles as they mount, so it is up to date; tests/test_learn.py checks no re-parse happens.
    screen._css_update_count = screen.app._css_update_count
    return screen


# Textual's documented hook for drawing scroll bars; it draws them as Textual does unless the app is --ascii.
ScrollBar.renderer = scroll_bar_render


def shown_text(value):
    """A value for a UI string: text (a str, a path, an error) as ``printable`` shows it; numbers as they are,
    for the strings' format specs."""
    return printable(str(value)) if isinstance(value, (str, os.PathLike, BaseException)) else value


class CnntuiApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "cnntui"
    MIN_SIZE = (60, 20)
    # Each mode's module is imported when the mode is first shown, to keep start-up light.
    MODES = {mode: partial(mode_screen, mode) for mode in ("learn", "build", "view", "quiz", "train")}
    COMMANDS = {AppCommands}
    # The mode keys are not in the key bar: the top bar shows each mode with its number.
    BINDINGS = [
        Binding("1", "switch_mode('learn')", "Learn", id="mode.learn", show=False),
        Binding("2", "switch_mode('build')", "Build", id="mode.build", show=False),
        Binding("3", "switch_mode('view')", "View", id="mode.view", show=False),
        Binding("4", "switch_mode('quiz')", "Quiz", id="mode.quiz", show=False),
        Binding("5", "switch_mode('train')", "Train", id="mode.train", show=False),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
        Binding("l", "toggle_language", "Language", id="language"),
        Binding("c", "cycle_colors", "Colours", id="colors", show=False),
        Binding("ctrl+p", "command_palette", "Commands", id="palette"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit.ctrl"),
        Binding("escape", "leave_field", "Leave field", show=False, id="leave_field"),
    ]

    language = reactive("en")
    color_mode = reactive("truecolor")
    network: reactive[CurrentNetwork] = reactive(CurrentNetwork("", {}, ""), always_update=True)

    def __init__(self, mode: str = "learn", network: CurrentNetwork | None = None, *,
                 language: str | None = None, colors: str | None = None, ascii_only: bool | None = None,
                 settings_store: SettingsStore | None = None, progress_store=None, course: str | None = None,
                 environ: Mapping[str, str] = os.environ):
        super().__init__()
        linebreak.install()  # Chinese breaks between characters, never before "，" or after "（"
        self.initial_mode = mode
        self.settings_store = settings_store or SettingsStore(default_path())
        self.progress_store = progress_store  # the quiz's; None: the platform's data folder
        self.settings = self.settings_store.load()
        # The quiz's course file (cnntui quiz --course, else the one last chosen); "" for the built-in course.
        self.course_path = self.settings.course if course is None else course
        self.startup_problems: list[tuple[str, dict]] = []
        self._autosave_path, self._autosave_base = self._autosave_start()
        self._autosave_timer = None  # running while an edit waits to be autosaved
        self._ending = False  # the app has stopped running and writes what is left (on_unmount)
        self._exit_warnings: list[str] = []  # what went wrong then, printed after the app
        self.set_reactive(CnntuiApp.language, language or self.settings.language or language_from_env(environ))
        self.color_source, initial_colors = self._initial_colors(colors, environ)
        self.ascii_only = self._initial_ascii(ascii_only, environ)
        self._report_settings_problem()
        # This app decides the colour mode itself (see colors.py), so Textual renders
        # truecolor and its own NO_COLOR filters step aside for ours.
        self.console._color_system = ColorSystem.TRUECOLOR
        self._filters = [f for f in self._filters if not isinstance(f, (Monochrome, NoColor))]
        self.color_filter = ColorModeFilter(initial_colors)
        self.glyph_filter = AsciiGlyphFilter()
        self.control_filter = ControlCharacterFilter()
        self.set_reactive(CnntuiApp.color_mode, initial_colors)
        self.register_theme(CNNTUI_THEME)
        self._start_with_theme(self.settings.theme if self.settings.theme in self.available_themes else DEFAULT_THEME)
        self.set_reactive(CnntuiApp.network, network or self._last_network())
        self._settings_error_shown = False
        self.requested_concept: str | None = None  # for Learn to open when it shows
        self.requested_layer: dict | None = None  # for Build or View: {"layer": i}; None when nothing is asked
        self.view_state: dict | None = None  # what View shows, for the quiz's hands-on tasks
        self.trained_weights: tuple[int, str] | None = None  # (id of a network spec, .npz) from Train, for View
        self.requested_plan: dict | None = None  # for Train: Plan fields a hands-on task sets, e.g. {"epochs": 2}
        self.plan_before_task: dict | None = None  # the student's values of those fields while the task runs
        self.plan_to_restore: dict | None = None  # ... and once it is over, for Train to take back
        self.finished_runs: list[dict] = []  # Train's single runs this session (train_compare.run_record)

    def _report_settings_problem(self) -> None:
        store = self.settings_store
        if store.problem:  # set aside, or left alone when even that failed: settings are then not saved
            from ..core.files import partly_read

            key, path = (f"settings.{partly_read(store.problem)}", store.moved_to) if store.moved_to \
                else ("settings.left_alone", store.path)
            self.startup_problems.append((key, {"reason": self.file_problem(store.problem), "path": path}))

    def _autosave_start(self) -> tuple[Path, bytes | None]:
        """Where edits are autosaved (the last network, when it is an autosave: current.json or
        current-2.json...), and that file as this session first sees it, to notice another session's."""
        from ..core.files import peek_bytes

        folder = self.settings_store.path.parent
        last = Path(self.settings.network)
        path = last if last.parent == folder and AUTOSAVE_NAME.fullmatch(last.name) else folder / "current.json"
        return path, peek_bytes(path)

    def _initial_colors(self, colors: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
        if colors in COLOR_MODES:
            return "flag", colors
        if self.settings.colors in COLOR_MODES:
            return "saved", self.settings.colors
        detected = detect_color_mode(environ)
        return ("no_color" if environ.get("NO_COLOR") else "env"), detected

    def _start_with_theme(self, name: str) -> None:
        """The theme before the app runs, without Textual's theme watcher: that queues a CSS refresh,
        and then every new screen parses all of app.tcss again (three parses before the first frame,
        two more on each mode's first visit). Nothing is parsed yet, so classes and variables suffice."""
        self.set_reactive(CnntuiApp.theme, name)
        dark = self.current_theme.dark
        self.update_classes({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark}, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def _initial_ascii(self, ascii_only: bool | None, environ: Mapping[str, str]) -> bool:
        """--ascii or --unicode decide; else ASCII when the output or the locale is not UTF-8 (said once, at start)."""
        if ascii_only is not None:
            return ascii_only
        if not encoding_is_unicode(sys.__stdout__.encoding):
            return True
        locale = non_unicode_locale(launch_environ() if environ is os.environ else environ)
        if locale:
            self.startup_problems.append(("ascii.locale", {"locale": locale}))
        return locale is not None

    def _last_network(self) -> CurrentNetwork:
        from ..core.errors import CnntuiError

        try:
            return read_network(self.settings.network)
        except CnntuiError as error:
            self.startup_problems.append(("network.last_missing", {"name": self.settings.network, "error": error}))
            return read_network(DEFAULT_NETWORK)

    # -- words ----------------------------------------------------------------

    def t(self, key: str, **args) -> str:
        """The UI string ``key`` in the current language (in ASCII but for Chinese with --ascii). Text filled
        in (a network's name, a path, an error quoting a file) shows its control characters as escapes."""
        words = text(self.language, key, **{name: shown_text(value) for name, value in args.items()})
        return ascii_text(words) if self.ascii_only else words

    def file_problem(self, problem) -> str:
        """Why a file of ours could not be read or written (a core.files.Problem, or an OSError carrying
        one or not) in the current language; the system's own words for a rare reason."""
        if isinstance(problem, OSError):
            problem = getattr(problem, "problem", None) or self.os_reason(problem)
        key = f"files.problem.{getattr(problem, 'code', '')}"
        if not self.has_text(key):
            return problem
        return self.t(key, **{name: self.file_problem(value) if hasattr(value, "code") else value
                              for name, value in problem.values.items()})

    def os_reason(self, error: OSError) -> str:
        """The system's reason for ``error`` in the current language; its own words for a rare one."""
        from ..content import message_text
        from ..core.errors import system_reason

        reason = system_reason(error)
        if isinstance(reason, str):
            return reason
        words = message_text(self.language, reason)
        return ascii_text(words) if self.ascii_only else words

    def save_problem(self, error: OSError, meant) -> str:
        """Why saving ``meant`` failed, naming the file that failed when it is another one (its lock, a folder
        on the way): "settings.json: Is a directory" would send the student to the wrong file."""
        reason = self.file_problem(error)
        failed = error.filename
        if isinstance(failed, (str, bytes, os.PathLike)) and Path(os.fsdecode(failed)) != Path(meant):
            return self.t("files.elsewhere", path=os.fsdecode(failed), reason=reason)
        return reason

    def warn(self, message: str, timeout: float = 10) -> None:
        """A warning notification; once the app is ending (no screen left to show it), printed to the
        terminal after the app, as Textual prints an exit message."""
        if self._ending:
            self._exit_warnings.append(message)
        else:
            self.notify(message, severity="warning", timeout=timeout)

    def error_text(self, error) -> str:
        """An engine error in the current language: each of a network's problems after where it is."""
        from ..content import message_text
        from ..core.errors import SpecError

        def placed(problem) -> str:
            where = problem.where_message() if isinstance(problem, SpecError) else None
            return ("" if where is None else message_text(self.language, where)) + message_text(self.language,
                                                                                               problem.message)

        return self.t("network.problems.separator").join(placed(p) for p in getattr(error, "problems", [error]))

    def has_text(self, key: str) -> bool:
        return key in catalog(self.language)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Textual reads a notification as markup; ours quote file names, networks and what was typed,
        so they are plain text unless asked."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- start-up -------------------------------------------------------------

    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        variables["frame-border"] = "ascii" if getattr(self, "ascii_only", False) else "round"
        return variables

    def get_line_filters(self):
        filters = list(super().get_line_filters())
        if self.color_filter.enabled:
            filters.append(self.color_filter)
        if self.ascii_only:
            filters.append(self.glyph_filter)
        filters.append(self.control_filter)
        return filters

    def get_key_display(self, binding: Binding) -> str:
        display = super().get_key_display(binding)
        return ascii_key(display) if self.ascii_only else display

    def on_mount(self) -> None:
        self.set_class(self.ascii_only, "-ascii")  # app.tcss swaps block-character borders for ASCII ones
        self.update_size_class()
        refused_banks = self.install_quiz_material()
        self.switch_mode(self.initial_mode)
        self.call_after_refresh(self.report_startup_problems)
        for line in refused_banks:
            self.call_after_refresh(self.notify, line, severity="warning", timeout=10)

    def install_quiz_material(self) -> list[str]:
        """The lab's question banks (the site's and the user's quiz folders) beside the built-in questions,
        before Quiz mode lists its lessons; a line per refused file. NumPy loads only for computed questions."""
        from ..quiz.material import load_material

        return load_material(lang=self.language)

    def report_startup_problems(self) -> None:
        from ..core.errors import CnntuiError

        for key, args in self.startup_problems:
            # An engine error is put in the reader's language here, where its str() would be English.
            args = {name: self.error_text(value) if isinstance(value, CnntuiError) else value
                    for name, value in args.items()}
            self.notify(self.t(key, **args), severity="warning", timeout=10)
        self.startup_problems.clear()

    def on_resize(self, event: events.Resize) -> None:
        self.update_size_class(event.size)

    def update_size_class(self, size: Size | None = None) -> None:
        """Swap every mode for a short notice while the terminal is below MIN_SIZE."""
        size = self.terminal_size = size or self.size
        width, height = self.MIN_SIZE
        self.set_class(size.width < width or size.height < height, "-too-small")
        for widget in self.screen.query("TooSmall, TopBar, KeyBar"):
            widget.redraw()

    # -- actions --------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_language(self) -> None:
        self.language = LANGUAGES[(LANGUAGES.index(self.language) + 1) % len(LANGUAGES)]
        self.notify(self.t("language.switched"), timeout=2)

    def action_cycle_colors(self) -> None:
        self.set_color_mode(COLOR_MODES[(COLOR_MODES.index(self.color_mode) + 1) % len(COLOR_MODES)], "key")

    def set_color_mode(self, mode: str, source: str) -> None:
        self.color_source = source
        self.color_mode = mode
        self.notify(self.t("colors.switched", mode=self.t(f"colors.{mode}")), timeout=2)

    def action_leave_field(self) -> None:
        """Escape: a screen may know better where to go (``leave_field``); else just unfocus the field."""
        from textual.widgets import Input, TextArea

        leave = getattr(self.screen, "leave_field", None)
        if leave is not None and leave():
            return
        if isinstance(self.focused, (Input, TextArea)):
            self.screen.set_focus(None)

    def action_command_palette(self) -> None:
        if not Palette.is_open(self):
            self.push_screen(Palette(placeholder=self.t("palette.placeholder"), id="--command-palette"))

    def open_concept(self, page_id: str) -> None:
        """Show a Learn page, from anywhere (the palette, a quiz answer)."""
        self.requested_concept = page_id
        if self.current_mode == "learn":
            self.screen.on_screen_resume()
        else:
            self.switch_mode("learn")

    def try_it(self, target: dict) -> None:
        """Open Build, View or Train on a preset; Build and View are asked to select the layer named."""
        # Asked before the network changes: a mode already showing takes it up as the new network arrives.
        self.requested_layer = {key: value for key, value in target.items() if key not in ("mode", "preset")} or None
        if not self.load_network(target["preset"], quiet=True):
            self.requested_layer = None
            return
        self.switch_mode(target["mode"])
        self.notify(self.t("learn.try.done", mode=self.t(f"mode.{target['mode']}"), preset=target["preset"]),
                    timeout=3)

    def remember_edited(self, spec: dict) -> None:
        """Keep an edited network safe: a second after the last edit (or as the app ends, if sooner) it is
        written beside the settings, and becomes the "last network" for the next start."""
        self._edited_spec = spec
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self._autosave_timer = self.set_timer(1.0, self.autosave)

    def on_unmount(self) -> None:
        """However the app ends (q, Ctrl+Q, the palette, an error), an edit still waiting for its autosave is
        written now: a student who quits within a second of an edit keeps it."""
        self._ending = True
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
            self.autosave()
        if self._exit_warnings:  # one message: Textual prints only the first of its exit messages
            self._exit_renderables.append(Text("\n".join(self._exit_warnings)))

    def autosave(self) -> None:
        """Write the edited network, never over another session's autosave or a file that cannot be
        read: those are kept, and ours goes to a free name beside them (said once)."""
        from ..core.files import save_json_unless_changed

        self._autosave_timer = None
        wanted = self._autosave_path
        try:
            saved = save_json_unless_changed(wanted, self._edited_spec, self._autosave_base)
        except OSError as error:
            self.warn(self.t("network.autosave.failed", path=wanted, reason=self.save_problem(error, wanted)))
            return
        self._autosave_path, self._autosave_base = saved.path, saved.written
        if saved.outcome != "written":
            reason = saved.problem and self.file_problem(saved.problem)
            self.warn(self.t(f"network.autosave.{saved.outcome}", path=wanted, ours=saved.path,
                             moved=saved.moved_to, reason=reason), timeout=12)
        self.save_settings(network=str(saved.path))

    def preset_names(self) -> list[str]:
        from ..core.assets import preset_names

        return preset_names()

    def load_network(self, source: str, quiet: bool = False) -> bool:
        """Make ``source`` (preset or path) current; on a bad network, say why and keep the old one."""
        from ..core import CnntuiError

        try:
            network = read_valid_network(source)
        except CnntuiError as error:
            self.notify(self.t("network.bad", name=source, error=self.error_text(error)), severity="error",
                        timeout=10)
            return False
        self.network = network
        if not quiet:
            self.notify(self.t("network.loaded", name=network.name), timeout=3)
        return True

    # -- reacting and remembering ----------------------------------------------

    def watch_language(self) -> None:
        self.save_settings(language=self.language)

    def watch_color_mode(self, mode: str) -> None:
        self.color_filter.set_mode(mode)
        catch_up = getattr(self.screen, "catch_up_colors", None)
        if self.is_running and catch_up is not None:
            catch_up()  # other screens catch up when they are shown again
        if self.color_source == "key":
            self.save_settings(colors=mode)

    def watch_theme(self, theme: str) -> None:
        self.save_settings(theme=theme)

    def watch_network(self, network: CurrentNetwork) -> None:
        if network.source:
            self.save_settings(network=network.source)

    def save_settings(self, **changes) -> None:
        """Save the settings that ``changes`` really changes, and only those: another session's choices stay."""
        changed = [key for key, value in changes.items() if getattr(self.settings, key) != value]
        if not (self.is_running or self._ending) or not changed:  # not while the app starts (watchers)
            return
        self.settings = replace(self.settings, **changes)
        try:
            self.settings_store.save(self.settings, changed)
        except OSError as error:
            if not self._settings_error_shown:
                self._settings_error_shown = True
                path = self.settings_store.path
                self.warn(self.t("settings.unsaved", path=path, reason=self.save_problem(error, path)))

