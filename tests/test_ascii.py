"""--ascii, and ASCII chosen from the locale: every screen and dialog at 80x24, as the terminal gets it,
holds no character outside ASCII except Chinese text (CJK ideographs, CJK punctuation, fullwidth forms)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from rich.console import Console
from textual._border import BORDER_CHARS
from textual.command import CommandList
from textual.screen import ModalScreen

from cnntui.render.terminal import ascii_text, non_unicode_locale
from cnntui.tui.ascii import AsciiGlyphFilter, ascii_glyphs
from cnntui.tui.screens.build_text import share_bar
from test_app import make_app
from test_app import until as app_until
from test_quiz_app import typed

SCRIPT = Path(sys.executable).with_name("cnntui")
SIZE = (80, 24)
LEARN_PAGES = ("start", "relu", "padding", "cmp-conv-fc")  # a quote, a plot, a table, Chinese quotation marks


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    """Train caches datasets and keeps weights in the user's folders: use the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


# -- reading the screen as the terminal gets it ------------------------------------------

def screen_text(app) -> str:
    """Every cell of the screen (with the screens under a dialog, and notifications), after Textual's
    line filters: what is written to the terminal, as text."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def chinese(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF


def foreign(text: str) -> dict[str, str]:
    """Each character that is neither ASCII nor Chinese, with the first line it is on."""
    found = {}
    for line in text.splitlines():
        for char in line:
            if not (char.isascii() or chinese(char)) and char not in found:
                found[char] = f"U+{ord(char):04X} {unicodedata.name(char, '?')}: {line.strip()}"
    return found


def assert_ascii(app, where: str) -> None:
    found = foreign(screen_text(app))
    assert not found, f"{where}:\n" + "\n".join(found.values())


async def until(pilot, condition, timeout: float = 60.0) -> None:
    await app_until(pilot, condition, timeout=timeout)
    await pilot.pause()  # and let the screen repaint


def key_of(screen, binding_id: str) -> str:
    """The key a screen binds to ``binding_id``, so that the walk follows the key map as it is."""
    for binding in type(screen).BINDINGS:
        if getattr(binding, "id", None) == binding_id:
            return binding.key.split(",")[0]
    raise AssertionError(f"{type(screen).__name__} has no binding {binding_id}")


async def check_dialog(pilot, screen, binding_id: str, where: str, then: tuple[str, ...] = ()) -> None:
    """Open a dialog by its key (and with ``then`` pressed in it, the dialog that opens next), check the
    screen, close them with Escape."""
    app = pilot.app
    await pilot.press(key_of(screen, binding_id))
    await until(pilot, lambda: isinstance(app.screen, ModalScreen))
    if then:
        first = app.screen
        await pilot.press(*then)
        await until(pilot, lambda: isinstance(app.screen, ModalScreen) and app.screen is not first)
    assert_ascii(app, f"{where}, dialog {binding_id} {' '.join(then)}")
    while isinstance(app.screen, ModalScreen):
        await pilot.press("escape")
        await pilot.pause()
    await until(pilot, lambda: app.screen is screen)


def ascii_app(tmp_path, language: str, **options):
    return make_app(tmp_path, ascii_only=True, language=language, colors="none", **options)


LANGUAGES = pytest.mark.parametrize("language", ["en", "zh"])


# -- every screen and dialog -----------------------------------------------------------------

@LANGUAGES
async def test_learn_help_palette_and_a_notification_are_ascii(tmp_path, language):
    app = ascii_app(tmp_path, language)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for page in LEARN_PAGES:
            app.open_concept(page)
            await until(pilot, lambda: app.screen.shown == (page, language, True))
            assert_ascii(app, f"Learn {page}")
        await pilot.press("tab")  # the page scrolls: its scroll bar shows
        await pilot.press("pagedown")
        await pilot.pause()
        assert_ascii(app, "Learn, scrolled")
        await pilot.press("question_mark")
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        assert_ascii(app, "help")
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: app.screen.id == "--command-palette")
        await pilot.press(*"relu")
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        assert_ascii(app, "command palette")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ModalScreen))
        await pilot.press("c")  # the colour mode changes: a notification says so
        await until(pilot, lambda: app.screen.query("Toast"))
        assert_ascii(app, "a notification")


@LANGUAGES
async def test_build_and_its_dialogs_are_ascii(tmp_path, language):
    app = ascii_app(tmp_path, language, mode="build")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "summary", None) is not None)
        screen = app.screen
        assert_ascii(app, "Build")
        for binding_id in ("build.add", "build.text", "build.presets", "build.save", "build.open", "build.export"):
            await check_dialog(pilot, screen, binding_id, "Build")
        await pilot.press(key_of(screen, "build.edit"))  # the layer form
        await pilot.pause()
        assert_ascii(app, "Build, editing a layer")


@LANGUAGES
async def test_view_its_panels_and_dialogs_are_ascii(tmp_path, language):
    app = ascii_app(tmp_path, language, mode="view")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "drawn", False))
        screen = app.screen
        assert_ascii(app, "View, the grid")
        await check_dialog(pilot, screen, "view.input", "View")
        await check_dialog(pilot, screen, "view.weights", "View")
        # Weights, then the last entries: a classic kernel, whose list is a dialog of its own.
        await check_dialog(pilot, screen, "view.weights", "View", then=("end", "enter"))
        await check_dialog(pilot, screen, "view.export", "View")
        await pilot.press("enter")  # into the picture
        for binding_id in ("view.map", "view.step", "view.compare"):
            await pilot.press(key_of(screen, binding_id))
            await until(pilot, lambda: screen.drawn)
            assert_ascii(app, f"View, {binding_id}")


@LANGUAGES
async def test_quiz_is_ascii(tmp_path, language):
    app = ascii_app(tmp_path, language, mode="quiz")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.screen.query("#quiz-answer"))
        assert_ascii(app, "Quiz, a lesson's recap")
        await pilot.press("enter")  # on to the first question: the answer field takes the keys
        await until(pilot, lambda: app.focused is not None and app.focused.id == "quiz-answer")
        assert_ascii(app, "Quiz, a question")
        await pilot.press(*typed(app.screen.question, right=False), "enter")  # wrong: the worked solution shows
        await until(pilot, lambda: str(app.screen.query_one("#quiz-feedback").render()).strip())
        assert_ascii(app, "Quiz, after an answer")


@LANGUAGES
async def test_train_and_its_dialogs_are_ascii(tmp_path, language):
    app = ascii_app(tmp_path, language, mode="train")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.focused is not None and app.focused.id == "train-picture")  # mounted
        screen = app.screen
        assert_ascii(app, "Train")
        for binding_id in ("train.network", "train.dataset", "train.epochs", "train.lr"):
            await check_dialog(pilot, screen, binding_id, "Train")
        await pilot.press(key_of(screen, "train.save"))
        await pilot.pause()
        assert_ascii(app, "Train, saving before a run")


# -- the pieces ----------------------------------------------------------------------------------

def test_every_textual_border_becomes_ascii_of_the_same_width():
    for kind, rows in BORDER_CHARS.items():
        for row in rows:
            text = "".join(row)
            drawn = ascii_glyphs(text)
            assert drawn.isascii() and len(drawn) == len(text), (kind, text, drawn)
    assert ascii_glyphs("╭─┬─╮│▔▁▊▎") == "+-+-+|--||"
    assert ascii_glyphs("╼╽╱╲╳┄┆") == "-|/\\X-|"  # a line stays a line whatever its weights or dashes


def test_the_glyph_filter_keeps_text_and_styles():
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

    bold = Style(bold=True)
    segments = [Segment("─ “卷积”层…… ─", bold), Segment("plain", None)]
    assert AsciiGlyphFilter().apply(segments, Color(0, 0, 0)) == [Segment('- "卷积"层.. -', bold), Segment("plain")]


def test_text_a_student_typed_is_folded_to_ascii_cell_for_cell():
    from rich.cells import cell_len

    for typed_text, drawn in (("café", "cafe"), ("Ångström σ²", "Angstrom ?2"), ("卷积 naïve", "卷积 naive"),
                              ("e\u0301", "e")):
        assert ascii_glyphs(typed_text) == drawn
        assert cell_len(ascii_glyphs(typed_text)) == cell_len(typed_text)


def write_network(folder: Path, name: str) -> Path:
    from cnntui.core.assets import find_network

    spec = json.loads(find_network("lenet5").read_text(encoding="utf-8"))
    spec.pop("weights", None)
    path = folder / "named.json"
    path.write_text(json.dumps({**spec, "name": name}, ensure_ascii=False), encoding="utf-8")
    return path


async def test_a_network_named_with_accents_is_ascii_under_ascii(tmp_path):
    app = ascii_app(tmp_path, "en", mode="build")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "summary", None) is not None)
        app.load_network(str(write_network(tmp_path, "café ü")))
        await until(pilot, lambda: "cafe u" in screen_text(app))
        assert_ascii(app, "Build, a network named café ü")


def test_our_punctuation_has_ascii_forms():
    assert ascii_text("e edit · a add…") == "e edit - a add..."
    assert ascii_text("第 {index} 层：{type} → {shape}") == "第 {index} 层：{type} -> {shape}"
    assert ascii_text("“弯”一下") == '"弯"一下'


def test_a_small_share_keeps_a_mark_in_ascii():
    assert share_bar(0.039, ascii_only=True) == "."  # a quarter of a cell: the blocks show ▎
    assert share_bar(0.5, ascii_only=True) == "###"
    assert share_bar(0.0, ascii_only=True) == ""


async def test_keys_are_spelled_out_in_the_key_bar(tmp_path):
    app = ascii_app(tmp_path, "en", mode="view")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app.screen, "drawn", False))
        await pilot.press("enter")  # into the picture: Enter opens a map
        await pilot.pause()
        assert "Enter Map" in screen_text(app)


# -- ASCII from the locale -----------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "locale"), [
    ({"LANG": "C"}, "LANG=C"), ({"LANG": "POSIX"}, "LANG=POSIX"), ({}, "LANG=C"),
    ({"LANG": "en_US.ISO-8859-1"}, "LANG=en_US.ISO-8859-1"), ({"LANG": "en_US"}, "LANG=en_US"),
    ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "LC_ALL=C"),
    ({"LC_CTYPE": "en_US.ISO-8859-15", "LANG": "en_US.UTF-8"}, "LC_CTYPE=en_US.ISO-8859-15"),
    ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, None),  # set so by the user: see the test below for Python's own
    ({"LANG": "en_US.UTF-8"}, None), ({"LANG": "zh_CN.utf8"}, None), ({"LC_ALL": "C.UTF-8", "LANG": "C"}, None),
    ({"LC_ALL": "", "LC_CTYPE": "", "LANG": "de_DE.UTF-8@euro"}, None), ({"LC_CTYPE": "UTF-8", "LANG": "en_GB"}, None),
])
def test_the_locale_decides_whether_block_characters_are_safe(environ, locale):
    assert non_unicode_locale(environ) == locale


@pytest.mark.parametrize(("environ", "locale"), [
    ({"LANG": "C"}, "LANG=C"),  # Python then sets LC_CTYPE=C.UTF-8 in its own os.environ (PEP 538)
    ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, None),  # a user's own LC_CTYPE counts
    ({"LC_CTYPE": "UTF-8"}, None),  # macOS over SSH sends a bare LC_CTYPE
    ({"LANG": "en_US.UTF-8"}, None),
])
def test_the_locale_is_read_as_the_process_was_started(environ, locale):
    import subprocess
    import sys

    code = ("import os; from cnntui.render.terminal import launch_environ, non_unicode_locale; "
            "print(os.environ.get('LC_CTYPE'), non_unicode_locale(launch_environ()))")
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "PYTHONPATH") if name in os.environ}
    out = subprocess.run([sys.executable, "-c", code], env={**keep, **environ}, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == str(locale), out


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_c_locale_draws_ascii_and_says_so_once(tmp_path, language):
    app = make_app(tmp_path, ascii_only=None, language=language, environ={"LANG": "C"})
    assert app.ascii_only
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.screen.query("Toast"))
        notes = [toast.render() for toast in app.screen.query("Toast")]
        assert len(notes) == 1 and "LANG=C" in str(notes[0]) and "--unicode" in str(notes[0])
        assert app.has_class("-ascii")
        await pilot.press("2")
        await pilot.press("1")
        await pilot.pause()
        assert len(app._notifications) == 1  # said once, not on every mode


@pytest.mark.parametrize(("ascii_only", "environ", "expected"), [
    (None, {"LANG": "en_US.UTF-8"}, False), (False, {"LANG": "C"}, False), (True, {"LANG": "en_US.UTF-8"}, True),
])
async def test_flags_overrule_the_locale_silently(tmp_path, ascii_only, environ, expected):
    app = make_app(tmp_path, ascii_only=ascii_only, environ=environ)
    assert app.ascii_only == expected
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app._notifications


def run(*args: str, **environ: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "", "TERM": "xterm-256color", "PYTHONIOENCODING": "utf-8", "LC_ALL": "",
           "LC_CTYPE": "", **environ}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, encoding="utf-8", env=env, timeout=120)


def test_render_under_a_c_locale_uses_the_ramp_and_says_why(tmp_path):
    args = ("render", "tinyvgg", "--seed", "0", "--layer", "0", "--channel", "0", "--width", "40")
    plain = run(*args, LANG="C")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.isascii() and "\x1b[" in plain.stdout  # the ramp, still coloured
    assert "the locale (LANG=C) is not UTF-8" in plain.stderr and "--unicode" in plain.stderr
    forced = run(*args, "--unicode", LANG="C")
    assert any(char in forced.stdout for char in "▀▄█") and "locale" not in forced.stderr
    usual = run(*args, LANG="en_US.UTF-8")
    assert any(char in usual.stdout for char in "▀▄█") and "locale" not in usual.stderr


def test_ascii_and_unicode_together_is_a_usage_error(tmp_path):
    result = run("render", "tinyvgg", "--seed", "0", "--layer", "0", "--ascii", "--unicode", LANG="C")
    assert result.returncode == 2
    assert result.stderr.startswith("cnntui: error: --ascii and --unicode contradict each other")
