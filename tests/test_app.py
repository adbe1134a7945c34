"""The app shell, driven through Pilot as a user would drive it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from cnntui.content import LANGUAGES, catalog, language_from_env
from cnntui.quiz.progress import ProgressStore
from cnntui.render.terminal import detect_color_mode, encoding_is_unicode
from cnntui.tui.app import CnntuiApp
from cnntui.tui.screens.help import HelpScreen
from cnntui.tui.settings import SettingsStore
from cnntui.tui.widgets.chrome import KeyBar, TooSmall, TopBar

PACKAGE = Path(__file__).resolve().parent.parent / "cnntui"


def make_app(tmp_path, **options) -> CnntuiApp:
    options.setdefault("language", "en")
    options.setdefault("colors", "truecolor")
    options.setdefault("ascii_only", False)
    options.setdefault("environ", {})
    options.setdefault("progress_store", ProgressStore(tmp_path / "progress.json"))
    return CnntuiApp(settings_store=SettingsStore(tmp_path / "settings.json"), **options)


def bar_text(app, widget_type) -> str:
    return str(app.screen.query_one(widget_type).render())


# -- the string catalogs -------------------------------------------------------

def test_both_languages_have_the_same_keys_and_placeholders():
    english, chinese = catalog("en"), catalog("zh")
    assert english.keys() == chinese.keys()
    for key in english:
        assert set(re.findall(r"\{(\w+)\}", english[key])) == set(re.findall(r"\{(\w+)\}", chinese[key])), key
        assert chinese[key].strip(), key


def test_every_literal_key_used_by_the_app_exists():
    used = set()
    for path in (PACKAGE / "tui").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no keys found: the pattern is stale"
    for language in LANGUAGES:
        assert used <= catalog(language).keys(), used - catalog(language).keys()


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANG": "en_GB.UTF-8"}, "en"), ({"LANG": "C"}, "en"), ({}, "en"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_language_follows_the_locale(environ, expected):
    assert language_from_env(environ) == expected


@pytest.mark.parametrize(("environ", "expected"), [
    ({"COLORTERM": "truecolor", "TERM": "xterm-256color"}, "truecolor"),
    ({"COLORTERM": "24bit"}, "truecolor"),
    ({"TERM": "xterm-256color"}, "256"), ({"TERM": "tmux-256color"}, "256"), ({"TERM": "xterm-kitty"}, "256"),
    ({"TERM": "xterm"}, "16"), ({"TERM": "screen"}, "16"), ({"TERM": "dumb"}, "none"),
    ({"TERM": "xterm-256color", "NO_COLOR": "1"}, "none"),
    ({"TERM": "xterm-256color", "NO_COLOR": ""}, "256"),
])
def test_colour_mode_is_detected_as_rich_does(environ, expected):
    assert detect_color_mode(environ) == expected


def test_non_unicode_output_means_ascii(tmp_path):
    assert encoding_is_unicode("UTF-8") and encoding_is_unicode("utf_8")
    assert not encoding_is_unicode("ANSI_X3.4-1968") and not encoding_is_unicode(None)


# -- modes, keys and the palette ----------------------------------------------

async def test_starts_in_learn_with_focus_outside_text_fields(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)):
        assert app.current_mode == "learn"
        assert not isinstance(app.focused, (Input, TextArea))
        assert "lenet5" in bar_text(app, TopBar)


@pytest.mark.parametrize(("key", "mode"), [("1", "learn"), ("2", "build"), ("3", "view"), ("4", "quiz")])
async def test_number_keys_switch_modes(tmp_path, key, mode):
    app = make_app(tmp_path, mode="quiz" if mode != "quiz" else "learn")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        assert app.current_mode == mode
        assert app.screen.mode_name == mode


@pytest.mark.parametrize(("query", "mode"), [("go to build", "build"), ("go to view", "view"), ("go to quiz", "quiz")])
async def test_palette_switches_modes(tmp_path, query, mode):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*query)
        await until(pilot, lambda: palette_found(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == mode


async def test_palette_loads_a_preset_for_every_mode_and_remembers_it(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"tinyvgg-gap")
        await until(pilot, lambda: palette_found(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.network.name == "tinyvgg-gap"
        await pilot.press("2")
        assert "tinyvgg-gap" in bar_text(app, TopBar)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["network"] == "tinyvgg-gap"
    restarted = make_app(tmp_path)
    assert restarted.network.name == "tinyvgg-gap"


async def test_keys_type_into_a_text_field_and_escape_leaves_it(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.shown is not None)  # Learn fills in just after the first frame
        field = Input()
        await app.screen.query_one("#body").mount(field)
        field.focus()
        await pilot.press("2", "q", "l", "?")
        assert field.value == "2ql?"
        assert app.current_mode == "learn" and app.language == "en"
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("2")
        assert app.current_mode == "build"


async def test_key_bar_lists_keys_in_the_current_language(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.shown is not None)
        keys = bar_text(app, KeyBar)
        for label in ("? Help", "l 中文", "^p Commands", "q Quit"):
            assert label in keys
        modes = bar_text(app, TopBar)
        for label in ("1 Learn", "2 Build", "3 View", "4 Quiz", "5 Train"):
            assert label in modes and label not in keys  # each mode's key is shown once, in the top bar
        assert app.screen.query_one(KeyBar).render().cell_length <= 80
        await pilot.press("l")
        keys, modes = bar_text(app, KeyBar), bar_text(app, TopBar)
        assert "5 训练" in modes and "q 退出" in keys
        assert app.screen.query_one(KeyBar).render().cell_length <= 80


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_key_bar_always_fits_and_keeps_help_and_quit(tmp_path, size, language):
    app = make_app(tmp_path, language=language)
    help_key, quit_key = f"? {app.t('key.help')}", f"q {app.t('key.quit')}"
    async with app.run_test(size=size) as pilot:
        for mode_key in ("1", "2", "3", "4", "5", "2"):
            await pilot.press("escape")
            await pilot.press(mode_key)
            await workers_done(pilot, app)
            await pilot.pause()
            await check_key_bar(app, size[0], help_key, quit_key)
        await pilot.press("e")  # Build's layer form: a text field has focus
        await pilot.pause()
        assert isinstance(app.screen.focused, Input)
        # q and ? would type into the field, so the bar names the keys that still work there.
        await check_key_bar(app, size[0], f"F1 {app.t('key.help')}", f"^q {app.t('key.quit')}")


def palette_found(app) -> bool:
    """The command palette is open and has found something for what was typed."""
    from textual.command import CommandList

    return app.screen.id == "--command-palette" and app.screen.query_one(CommandList).option_count > 0


async def workers_done(pilot, app) -> None:
    """Until every worker has ended; one may be cancelled by a newer one (wait_for_complete raises then)."""
    for _ in range(500):
        if all(worker.is_finished for worker in app.workers):
            return
        await pilot.pause(0.02)
    raise AssertionError(f"workers still running: {list(app.workers)}")


async def check_key_bar(app, width: int, *needed: str) -> None:
    bar = app.screen.query_one(KeyBar)
    keys = bar_text(app, KeyBar)
    assert bar.render().cell_length <= width, (app.current_mode, keys)
    assert all(key in keys for key in needed), (app.current_mode, keys)


# -- language, colours, help ----------------------------------------------------

async def test_language_toggles_every_visible_word_and_is_saved(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.shown is not None)
        await pilot.press("l")
        assert app.language == "zh"
        assert "学习" in bar_text(app, TopBar)
        search = app.screen.query_one("#learn-search", Input)
        assert search.placeholder == catalog("zh")["learn.search"]
        prompts = [str(option.prompt) for option in app.screen.query_one("#learn-list").options]
        assert "概念" in prompts and "Concepts" not in prompts
        await pilot.press("l")
        assert "Learn" in bar_text(app, TopBar)
    assert json.loads((tmp_path / "settings.json").read_text())["language"] == "en"


async def test_colour_key_cycles_modes_and_the_filter_follows(tmp_path):
    app = make_app(tmp_path, colors="256")
    async with app.run_test(size=(80, 24)) as pilot:
        seen = []
        for _ in range(4):
            await pilot.press("c")
            seen.append((app.color_mode, app.color_filter.mode, app.color_filter.enabled))
        assert seen == [("16", "16", True), ("none", "none", True),
                        ("truecolor", "truecolor", False), ("256", "256", True)]
        assert app.t("colors.256") not in bar_text(app, TopBar)  # at 80 columns the network and language come first
        assert app.t("colors.switched", mode=app.t("colors.256")) in [n.message for n in app._notifications]
        await pilot.resize_terminal(120, 30)
        await until(pilot, lambda: app.t("colors.256") in bar_text(app, TopBar))


def rendered_colours(app, mode: str) -> set[str]:
    """The colour systems of every segment of the top bar after the colour filter."""
    from textual.color import Color

    app.color_filter.set_mode(mode)
    strip = app.screen.query_one(TopBar).render_line(0)
    segments = app.color_filter.apply(list(strip), Color(18, 18, 18))
    systems = set()
    for segment in segments:
        for colour in (segment.style.color, segment.style.bgcolor):
            if colour is not None and not colour.is_default:
                systems.add(colour.type.name)
                if colour.type.name == "EIGHT_BIT":
                    assert colour.number >= 16, "256-colour mode must avoid the terminal-defined 0-15"
    return systems


async def test_colour_filter_uses_only_the_chosen_palette(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)):
        assert rendered_colours(app, "256") == {"EIGHT_BIT"}
        assert rendered_colours(app, "16") == {"STANDARD"}
        assert rendered_colours(app, "none") == set()


async def test_help_explains_keys_and_colour_mode(tmp_path):
    app = make_app(tmp_path, colors="16")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.colors()
        assert "16 colours" in text and "from --colors" in text and "SendEnv COLORTERM" in text
        assert str(tmp_path / "settings.json") in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_a_help_scroll_check_left_over_after_escape_does_nothing(tmp_path):
    """? then Escape at once: help's retried scroll check fired on the closed screen, and the app died
    with NoMatches('#help')."""
    app = make_app(tmp_path, mode="view")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is not help_screen)
        help_screen.show_mode_section()  # what the pending timer calls
        await pilot.pause()
        assert app.is_running and app.return_code is None


def test_colour_mode_comes_from_flag_then_setting_then_environment(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"colors": "16"}))
    assert make_app(tmp_path, colors="256").color_mode == "256"
    assert make_app(tmp_path, colors=None).color_mode == "16"
    (tmp_path / "settings.json").unlink()
    app = make_app(tmp_path, colors=None, environ={"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert (app.color_mode, app.color_source) == ("none", "no_color")


# -- size -----------------------------------------------------------------------

async def test_too_small_terminal_shows_a_note_and_recovers(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.resize_terminal(59, 19)
        await pilot.pause()
        assert app.has_class("-too-small")
        notice = app.screen.query_one(TooSmall)
        assert notice.display and "need 60x20, have 59x19" in str(notice.render())
        assert not app.screen.query_one("#body").display
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert not app.has_class("-too-small")
        assert app.screen.query_one("#body").display
        await pilot.press("2")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.current_mode == "build" and not app.has_class("-too-small")


# -- settings -------------------------------------------------------------------

async def test_corrupt_settings_are_set_aside_reported_and_not_lost(tmp_path):
    damaged = '{"language": "zh", oops'
    (tmp_path / "settings.json").write_text(damaged)
    app = make_app(tmp_path, language=None, environ={"LANG": "en_US.UTF-8"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.language == "en"
        messages = [n.message for n in app._notifications]
        # Nothing of it could be read, and the notice says no more than that.
        assert any("could not be read" in m and ".corrupt-" in m and "defaults are used" in m for m in messages)
        assert not any("in full" in m or "could be read are kept" in m for m in messages)
    kept = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == damaged


async def test_unwritable_settings_are_reported_once_and_the_app_goes_on(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the config folder should be")
    app = CnntuiApp(settings_store=SettingsStore(blocker / "settings.json"), language="en", colors="truecolor",
                    ascii_only=False, environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c", "c")
        assert app.color_mode == "16"
        warnings = [n for n in app._notifications if "Could not save settings" in n.message]
        assert len(warnings) == 1


def test_a_missing_last_network_falls_back_to_lenet5(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"network": str(tmp_path / "gone.json")}))
    app = make_app(tmp_path)
    assert app.network.name == "lenet5"
    assert app.startup_problems and app.startup_problems[0][0] == "network.last_missing"


async def test_the_missing_network_notice_is_all_in_chinese_under_zh(tmp_path):
    """The engine's reason used to be spliced in as its English str()."""
    (tmp_path / "settings.json").write_text(json.dumps({"network": str(tmp_path / "gone.json")}))
    app = make_app(tmp_path, language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        notices = [n.message for n in app._notifications if "lenet5" in n.message]
        assert len(notices) == 1
        assert "gone.json" in notices[0] and "上次使用的网络" in notices[0]
        words = re.sub(r"\S*gone\.json\S*|lenet5", "", notices[0])
        assert not re.search(r"[A-Za-z]{3,}", words), notices[0]


async def test_loading_a_bad_network_keeps_the_current_one(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 5}]}))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.load_network(str(bad))
        await pilot.pause()
        assert app.network.name == "lenet5"
        assert any("5x5 kernel does not fit" in n.message for n in app._notifications)


async def test_ascii_mode_uses_ascii_frames(tmp_path):
    app = make_app(tmp_path, ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.get_css_variables()["frame-border"] == "ascii"
        await pilot.press("question_mark")
        assert app.screen.query_one("#help").styles.border_top[0] == "ascii"
        await pilot.press("escape")
        assert " | " in bar_text(app, TopBar) and "│" not in bar_text(app, TopBar)


@pytest.mark.parametrize(("mode", "keys"), [
    ("learn", ("pagedown", "slash", "escape", "b", "pageup", "tab", "enter")),
    ("build", ("down", "e", "escape", "a", "escape", "t", "escape", "d", "escape", "p", "escape")),
    ("view", ("enter", "s", "pagedown", "end", "escape", "a", "escape", "i", "escape")),
    ("quiz", ("enter", "n", "escape", "down", "enter", "f2", "o")),
    ("train", ("e", "escape", "w", "pagedown", "x")),
])
async def test_keys_typed_ahead_before_a_mode_has_drawn_do_no_harm(tmp_path, mode, keys):
    """Over a slow SSH link keys arrive before the first frame; none may crash the app."""
    app = make_app(tmp_path, mode=mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        await workers_done(pilot, app)
        await pilot.pause()
        assert app.is_running and app.current_mode in ("learn", mode)
    assert app.return_code in (None, 0)


# -- files that cannot be read are never written over -----------------------------------------------

def refuse_rename(path):
    raise PermissionError(13, "Permission denied", str(path))


async def test_settings_that_can_be_neither_read_nor_set_aside_are_left_alone_and_never_saved(tmp_path, monkeypatch):
    (tmp_path / "settings.json").write_text('{"language": 5}')
    monkeypatch.setattr("cnntui.core.files.set_aside", refuse_rename)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._notifications)
        await pilot.press("l")
        await until(pilot, lambda: app.language == "zh")
        said = [n.message for n in app._notifications if "settings" in n.message.lower()]
    assert len(said) == 1 and "left as it is" in said[0] and "not be saved" in said[0], said
    assert "of the wrong kind: language" in said[0]
    assert (tmp_path / "settings.json").read_text() == '{"language": 5}'


async def until(pilot, condition, what: str = "the condition", timeout: float = 10.0) -> None:
    """Wait between frames, for at most ``timeout`` seconds, until ``condition()`` holds; fail naming
    ``what``. The one wait of the test suite; other files give it their own bound."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started >= timeout:
            raise AssertionError(f"never happened: {what} (in {timeout:g} s)")
        await pilot.pause(0.05)


async def edit_in_build(pilot) -> None:
    """Delete a layer in Build, then wait for the autosave a second later."""
    app = pilot.app
    await pilot.press("2")
    # and its table filled: a key before that finds only the input row, where x deletes nothing
    await until(pilot, lambda: app.current_mode == "build" and app.screen.summary is not None)
    await pilot.press("down", "x")
    await until(pilot, lambda: autosaved(app.settings_store.path.parent, app.network.spec))


def autosaved(folder: Path, spec: dict) -> bool:
    """Whether an autosave beside the settings (current.json, current-2.json...) holds ``spec``."""
    for path in folder.glob("current*.json"):
        try:
            if json.loads(path.read_text(encoding="utf-8")) == spec:
                return True
        except ValueError:
            continue
    return False


async def test_an_unreadable_autosave_is_set_aside_not_written_over(tmp_path):
    (tmp_path / "current.json").write_text('{"layers": [')  # half a network, from a killed editor
    (tmp_path / "settings.json").write_text(json.dumps({"network": str(tmp_path / "current.json")}))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_in_build(pilot)
        said = [n.message for n in app._notifications if "set aside" in n.message]
        edited = app.network.spec
    kept = list(tmp_path.glob("current.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == '{"layers": ['
    assert json.loads((tmp_path / "current.json").read_text()) == edited
    assert len(said) == 1 and str(kept[0]) in said[0]


async def test_an_autosave_that_cannot_be_moved_is_left_alone_and_ours_goes_beside_it(tmp_path, monkeypatch):
    (tmp_path / "current.json").write_text("not json")
    monkeypatch.setattr("cnntui.core.files.set_aside", refuse_rename)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_in_build(pilot)
        said = [n.message for n in app._notifications if "left as it is" in n.message]
        edited = app.network.spec
    assert (tmp_path / "current.json").read_text() == "not json"
    assert json.loads((tmp_path / "current-2.json").read_text()) == edited
    assert app.settings.network == str(tmp_path / "current-2.json")
    assert len(said) == 1 and "current-2.json" in said[0]
