"""The app on a shared lab server: what a file says is shown, never obeyed by the terminal; a save never
replaces someone's file unasked; View says when a network's weights file is missing."""

from __future__ import annotations

import copy
import json

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from cnntui.core.printable import is_printable, printable
from cnntui.tui.controls import ControlCharacterFilter
from cnntui.tui.screens.build import BuildScreen
from cnntui.tui.state import CurrentNetwork, read_network
from test_app import make_app
from test_ascii import screen_text, until

# A clipboard write (OSC 52, ended by BEL), a screen clear and a newline.
HOSTILE_NAME = "x\x1b]52;c;aGk=\x07\x1b[2Jy\n"


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    """Train caches datasets and keeps weights in the user's folders: use the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def hostile_network() -> CurrentNetwork:
    """LeNet-5 under a name that would clear the screen and write the clipboard, if it reached the terminal."""
    spec = {key: value for key, value in copy.deepcopy(read_network("lenet5").spec).items() if key != "weights"}
    spec["name"] = HOSTILE_NAME
    return CurrentNetwork(HOSTILE_NAME, spec, "")


def broken_network() -> CurrentNetwork:
    """A network whose errors quote a newline (a forged second error line) and an escape sequence."""
    spec = {"name": HOSTILE_NAME, "input": [1, 28, 28],
            "layers": [{"type": "relu\ncnntui: error: forged"},
                       {"type": "conv2d", "out_channels": "6\x1b[2J", "kernel_size": 5}]}
    return CurrentNetwork(HOSTILE_NAME, spec, "")


def assert_no_control_drawn(app, where: str) -> str:
    """No control character (C0, DEL, C1, bidirectional marks) on any line the terminal gets."""
    text = screen_text(app)
    found = [line for line in text.splitlines() if not is_printable(line)]
    assert not found, f"{where}: control characters reached the terminal: {found!r}"
    return text


def test_the_filter_drops_control_characters_and_keeps_width_and_style():
    bold = Style(bold=True)
    segments = [Segment("a\x1b[2Jb\x07\x9bc\u202e", bold), Segment("plain", None), Segment("\x1b[H", None, [(1,)])]
    kept = ControlCharacterFilter().apply(segments, Color(0, 0, 0))
    assert kept[0] == Segment("a[2Jbc", bold)
    assert kept[0].cell_length == segments[0].cell_length
    assert kept[1:] == segments[1:]  # Textual's own control segments are not text


@pytest.mark.parametrize("mode", ["build", "view", "train"])
async def test_a_hostile_network_name_is_shown_escaped_and_never_drawn_raw(tmp_path, mode):
    app = make_app(tmp_path, mode=mode, network=hostile_network())
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == mode and (mode != "view" or app.screen.drawn))
        await until(pilot, lambda: printable(HOSTILE_NAME) in screen_text(app), timeout=15)
        assert_no_control_drawn(app, mode)


async def test_errors_quoting_a_newline_and_an_escape_show_them_as_escapes(tmp_path):
    app = make_app(tmp_path, mode="build", network=broken_network())
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        await until(pilot, lambda: isinstance(screen, BuildScreen) and screen.summary is not None)
        await pilot.press("down")  # the bad layer: its error is in the side panel
        await until(pilot, lambda: "relu\\ncnntui: error: forged" in screen_text(app))
        text = assert_no_control_drawn(app, "build, first layer")
        assert not any(line.lstrip().startswith("cnntui: error: forged") for line in text.splitlines())
        await pilot.press("down")
        await until(pilot, lambda: "6\\x1b[2J" in screen_text(app))
        assert_no_control_drawn(app, "build, second layer")
        await pilot.press("3")
        await until(pilot, lambda: app.current_mode == "view" and "relu\\ncnntui" in screen_text(app))
        assert_no_control_drawn(app, "view of a network with problems")


async def test_a_bad_network_files_name_and_error_are_escaped_in_the_notification(tmp_path):
    bad = tmp_path / "bad\x1b]0;owned\x07.json"
    bad.write_text(json.dumps(broken_network().spec))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        assert not app.load_network(str(bad))
        await until(pilot, lambda: app.screen.query("Toast"))
        message = [note.message for note in app._notifications][-1]
        assert printable(message) == message
        assert "bad\\x1b]0;owned\\x07.json" in message and "relu\\ncnntui: error: forged" in message
        text = assert_no_control_drawn(app, "notification")
        assert "owned\\x07.json" in text
        assert not any(line.strip(" ▊▎").startswith("cnntui: error") for line in text.splitlines())


# -- saving never replaces somebody's file unasked -------------------------------------------------

async def press_until(pilot, key: str, condition) -> None:
    await pilot.press(key)
    await until(pilot, condition, timeout=10)


async def save_in_build(pilot, path) -> None:
    """Build's save key, the path typed, Enter."""
    from cnntui.tui.screens.dialogs import PromptDialog

    app = pilot.app
    await press_until(pilot, "s", lambda: isinstance(app.screen, PromptDialog))
    app.screen.query_one("Input").value = str(path)
    await pilot.press("enter")


def notified(app, words: str) -> bool:
    return any(words in note.message for note in app._notifications)


async def test_build_saves_its_own_file_again_unasked_and_asks_before_replacing_another(tmp_path):
    from cnntui.tui.screens.dialogs import ConfirmDialog

    own, other = tmp_path / "mine.json", tmp_path / "classmate.json"
    own.write_text(json.dumps({"name": "mine", "input": [1, 8, 8], "layers": [{"type": "relu"}]}))
    other.write_text("a classmate's network")
    app = make_app(tmp_path, mode="build", network=read_network(str(own)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: isinstance(screen, BuildScreen) and screen.summary is not None)
        await press_until(pilot, "n", lambda: app.network.spec["layers"] == [])  # an edit
        await save_in_build(pilot, own)
        await until(pilot, lambda: json.loads(own.read_text())["layers"] == [], timeout=10)
        assert app.screen is screen  # no question for the file the network came from

        await save_in_build(pilot, other)
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=10)
        assert str(other) in str(app.screen.query_one(".dialog-title").render())
        await press_until(pilot, "n", lambda: app.screen is screen)
        assert other.read_text() == "a classmate's network"
        await save_in_build(pilot, other)
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=10)
        await press_until(pilot, "y", lambda: app.screen is screen)
        await until(pilot, lambda: other.read_text().startswith("{"), timeout=10)
        assert json.loads(other.read_text())["layers"] == []

        await press_until(pilot, "n", lambda: True)  # saved to in this session: its own file now
        await save_in_build(pilot, other)
        await until(pilot, lambda: notified(app, f"Saved {other}") and app.screen is screen, timeout=10)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_build_refuses_to_save_into_a_folder_or_a_pipe(tmp_path, language):
    import os
    import stat

    from cnntui.content import text

    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    app = make_app(tmp_path, mode="build", language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: isinstance(screen, BuildScreen) and screen.summary is not None)
        await save_in_build(pilot, tmp_path)
        await until(pilot, lambda: notified(app, text(language, "save.folder", path=tmp_path)), timeout=10)
        await save_in_build(pilot, pipe)  # opening a pipe to write would wait for a reader for ever
        await until(pilot, lambda: notified(app, text(language, "save.special", path=pipe)), timeout=10)
        assert app.screen is screen and stat.S_ISFIFO(os.stat(pipe).st_mode)


async def test_train_asks_before_replacing_a_file_and_refuses_a_pipe(tmp_path):
    import os

    from cnntui.core import Network
    from cnntui.tui.screens.dialogs import ConfirmDialog, PromptDialog
    from test_train_app import train_until

    other, pipe = tmp_path / "classmate.npz", tmp_path / "pipe.npz"
    other.write_bytes(b"a classmate's weights")
    os.mkfifo(pipe)
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await train_until(pilot, "done", samples="200", epochs="1")

        async def save_weights(path) -> None:
            await press_until(pilot, "w", lambda: isinstance(app.screen, PromptDialog))
            app.screen.query_one("Input").value = str(path)
            await pilot.press("enter")

        await save_weights(other)
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=10)
        await press_until(pilot, "n", lambda: app.screen is screen)
        assert other.read_bytes() == b"a classmate's weights"
        await save_weights(other)
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=10)
        await press_until(pilot, "y", lambda: app.screen is screen)

        def saves() -> int:
            return [note.message for note in app._notifications].count(app.t("train.save.done", path=other))

        await until(pilot, lambda: saves() == 1, timeout=10)
        Network.load("lenet5").load_weights(other)  # the run's weights replaced it
        await save_weights(other)  # saved in this session: written again unasked
        await until(pilot, lambda: saves() == 2, timeout=10)
        assert app.screen is screen

        await save_weights(pipe)
        await until(pilot, lambda: notified(app, app.t("save.special", path=pipe)), timeout=10)


# -- View: the weights a network file names, and the kernel's heading ---------------------------------

async def view_ready(pilot):
    from cnntui.tui.screens.view import ViewScreen

    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ViewScreen) and app.screen.drawn, timeout=30)
    return app.screen


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_view_says_when_the_weights_the_file_names_are_missing(tmp_path, language):
    from cnntui.content import text

    spec = {**read_network("lenet5").spec, "weights": "lenet5.npz"}  # copied without its .npz
    (tmp_path / "lenet5.json").write_text(json.dumps(spec))
    app = make_app(tmp_path, mode="view", language=language, network=read_network(str(tmp_path / "lenet5.json")))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await view_ready(pilot)
        assert screen.result.weights == "seeded"
        await until(pilot, lambda: app._notifications, timeout=10)
        message = [note.message for note in app._notifications][-1]
        expected = {"en": "lenet5.json names the weights lenet5.npz, not found beside it; using seeded random "
                          "weights (seed 0)",
                    "zh": "lenet5.json 指定了权重 lenet5.npz，但在它旁边找不到这个文件；改用带种子的随机权重（种子 0）"}
        assert message == expected[language]
        status = str(screen.query_one("#view-status").content)
        assert text(language, "view.status.seed.instead", seed=0) in status


async def test_view_says_nothing_of_weights_when_the_file_names_none(tmp_path):
    spec = {key: value for key, value in read_network("lenet5").spec.items() if key != "weights"}
    (tmp_path / "plain.json").write_text(json.dumps(spec))
    app = make_app(tmp_path, mode="view", network=read_network(str(tmp_path / "plain.json")))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await view_ready(pilot)
        assert not app._notifications
        assert "seed 0 |" in str(screen.query_one("#view-status").content)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_kernel_heading_reads_naturally_for_one_input_channel_or_many(tmp_path, language):
    from cnntui.content import text
    from test_view import visible_text

    def shown(words: str) -> bool:
        return words in visible_text(screen)

    app = make_app(tmp_path, mode="view", language=language, network=read_network("lenet5"))
    async with app.run_test(size=(120, 40)) as pilot:  # wide enough for the heading on one line
        screen = await view_ready(pilot)
        await pilot.press("enter", "enter", "end")  # conv2d:0 (one input channel), one map and its kernel
        await until(pilot, lambda: shown(text(language, "view.kernel.heading.one", channel=0)), timeout=10)
        assert "{" not in visible_text(screen)
        await pilot.press("escape", "escape")
        await until(pilot, lambda: screen.panel == "grid", timeout=10)
        await pilot.press("down", "down", "down", "enter", "enter", "end")  # conv2d:3 reads 6 channels
        await until(pilot, lambda: screen.shown_layer == 3 and screen.panel == "map", timeout=10)
        heading = text(language, "view.kernel.heading", channel=0, in_channel=0, count=6)
        await until(pilot, lambda: shown(heading), timeout=10)


async def test_a_preset_saved_beside_another_weights_file_of_that_name_leaves_it_alone(tmp_path):
    (tmp_path / "lenet5-digits.npz").write_bytes(b"somebody else's weights")
    target = tmp_path / "mylenet.json"
    app = make_app(tmp_path, mode="build")  # lenet5, which names its trained weights
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: isinstance(screen, BuildScreen) and screen.summary is not None)
        screen.save_to(str(target))
        await until(pilot, target.exists, timeout=10)
        assert "weights" not in json.loads(target.read_text())
        assert (tmp_path / "lenet5-digits.npz").read_bytes() == b"somebody else's weights"
        assert notified(app, app.t("build.save.weights_left", path=target, weights="lenet5-digits.npz"))


def test_a_suggested_file_name_stays_one_visible_file_in_its_folder():
    from cnntui.tui.screens.saving import file_stem

    assert file_stem("mylenet") == "mylenet"
    assert file_stem("../../.bashrc") == "bashrc"
    assert file_stem(HOSTILE_NAME) == "x_52_c_aGk_2Jy"  # no escape sequence, no newline
    assert file_stem("...") == "untitled"


async def test_view_asks_before_exporting_over_a_file_it_did_not_write(tmp_path):
    from cnntui.tui.screens.dialogs import ConfirmDialog, PromptDialog

    other = tmp_path / "classmate.png"
    other.write_bytes(b"a classmate's picture")
    app = make_app(tmp_path, mode="view", network=read_network("lenet5"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await view_ready(pilot)
        for answer in ("n", "y"):
            await press_until(pilot, "e", lambda: isinstance(app.screen, PromptDialog))
            app.screen.query_one("Input").value = str(other)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=10)
            await press_until(pilot, answer, lambda: app.screen is screen)
            if answer == "n":
                assert other.read_bytes() == b"a classmate's picture"
        await until(pilot, lambda: other.read_bytes().startswith(b"\x89PNG"), timeout=10)
