"""The app and the student's files: an edit is saved however quickly the app is left, folders made as
root belong to the student, View's file dialogs say what is at a path, a save error names the file in
the way, a long network name is shortened in the top bar, and suggested file names are plain."""

from __future__ import annotations

import json
import os

import pytest

from cnntui.content import text
from cnntui.tui.screens.build import BuildScreen
from cnntui.tui.state import CurrentNetwork, read_network
from test_app import make_app
from test_app_safety import HOSTILE_NAME, notified, press_until, view_ready
from test_ascii import screen_text, until

STUDENT = 65534  # nobody: the student whose home a root session writes into


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    """Train caches datasets and keeps weights in the user's folders: use the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


# -- 1. an edit is written however quickly the app is left ---------------------------------------------

async def quit_by_palette(pilot) -> None:
    from cnntui.tui.commands import Palette

    app = pilot.app
    await press_until(pilot, "ctrl+p", lambda: Palette.is_open(app))
    await pilot.press(*"quit", "enter")


QUITS = {
    "q": lambda pilot: pilot.press("q"),
    "ctrl+q": lambda pilot: pilot.press("ctrl+q"),
    "palette": quit_by_palette,
    "test harness": lambda pilot: pilot.pause(0),  # leaving run_test: the app ends without exit()
}


@pytest.mark.parametrize("how", QUITS)
async def test_an_edit_is_autosaved_when_the_app_is_left_at_once(tmp_path, monkeypatch, how):
    from cnntui.core import files

    writes = []
    real_save = files.save_json_unless_changed
    monkeypatch.setattr(files, "save_json_unless_changed", lambda *args: writes.append(args) or real_save(*args))
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: isinstance(screen, BuildScreen) and screen.summary is not None)
        await pilot.press("down", "x")
        edited = app.network.spec
        assert app.network.source == "" and edited != read_network("lenet5").spec
        await QUITS[how](pilot)
    autosave = tmp_path / "current.json"
    assert json.loads(autosave.read_text(encoding="utf-8")) == edited
    assert json.loads((tmp_path / "settings.json").read_text())["network"] == str(autosave)
    assert len(writes) == 1


async def test_an_autosave_written_earlier_is_not_written_again_on_exit(tmp_path, monkeypatch):
    from cnntui.core import files
    from test_app import edit_in_build

    writes = []
    real_save = files.save_json_unless_changed
    monkeypatch.setattr(files, "save_json_unless_changed", lambda *args: writes.append(args) or real_save(*args))
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_in_build(pilot)
        await until(pilot, lambda: len(writes) == 1)
        await pilot.press("q")
    assert len(writes) == 1


# -- 2. a root session makes its folders the student's ---------------------------------------------

async def train_and_open_in_view(pilot) -> None:
    from test_train_app import train_until

    await train_until(pilot, "done", samples="200", epochs="1")
    await pilot.press("v")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands new folders to another owner")
async def test_train_as_root_makes_the_trained_folder_the_students(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, STUDENT, STUDENT)  # the student's ~/.local/share, in which sudo cnntui runs
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        await train_and_open_in_view(pilot)
        await until(pilot, lambda: app.current_mode == "view", timeout=30)
    for folder in (data / "cnntui", data / "cnntui" / "trained"):
        assert (folder.stat().st_uid, folder.stat().st_gid) == (STUDENT, STUDENT), folder
    saved = list((data / "cnntui" / "trained").iterdir())
    assert saved and all(path.stat().st_uid == STUDENT for path in saved)


async def test_a_folder_that_cannot_be_made_is_said_in_the_students_language(tmp_path, monkeypatch):
    def refuse(folder):
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr("cnntui.core.files.make_folder", refuse)
    app = make_app(tmp_path, mode="train", language="zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await train_and_open_in_view(pilot)
        folder = tmp_path / "data" / "cnntui" / "trained"
        said = app.t("train.save.failed", path=str(folder), reason=text(app.language, "engine.os_denied"))
        await until(pilot, lambda: notified(app, said), timeout=10)
        assert not notified(app, "Permission denied") and app.current_mode == "train"


# -- 3. View's file dialogs say what is really at the path ---------------------------------------------

FILE_CHOICE = {"i": "", "w": "file"}  # the id of "a file..." in View's input and weights dialogs


async def type_in_file_dialog(pilot, key: str, path) -> str:
    """View's input (i) or weights (w) dialog, its "a file" choice, ``path`` typed: the error shown."""
    from textual.widgets import OptionList

    from cnntui.tui.screens.dialogs import ChoiceDialog, PromptDialog

    app = pilot.app
    await press_until(pilot, key, lambda: isinstance(app.screen, ChoiceDialog))
    options = app.screen.query_one(OptionList)
    options.highlighted = options.get_option_index(FILE_CHOICE[key])
    await press_until(pilot, "enter", lambda: isinstance(app.screen, PromptDialog))
    app.screen.query_one("Input").value = str(path)
    await until(pilot, lambda: str(app.screen.query_one(".dialog-error").render()).strip() != "")
    shown = str(app.screen.query_one(".dialog-error").render())
    await press_until(pilot, "escape", lambda: not isinstance(app.screen, PromptDialog))
    return shown


def not_regular(language: str, path, kind: str) -> str:
    from cnntui.content import message_text
    from cnntui.core.errors import CnntuiError

    return message_text(language, CnntuiError("not_regular", path=str(path), kind=kind).message)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("key", ["i", "w"])
async def test_view_file_dialogs_say_what_is_at_the_path(tmp_path, language, key):
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    missing = tmp_path / "nothing.png"
    app = make_app(tmp_path, mode="view", language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await view_ready(pilot)
        expected = {  # as Build's open dialog says it (the engine's words)
            pipe: not_regular(language, pipe, "a named pipe"),
            tmp_path: not_regular(language, tmp_path, "a folder"),
            "/dev/zero": not_regular(language, "/dev/zero", "a device"),
            missing: text(language, "view.input.path.missing", path=missing),
        }
        for path, words in expected.items():
            assert await type_in_file_dialog(pilot, key, path) == words


# -- 4. a save error names the file that is really in the way ----------------------------------------

def lock_in_the_way(app, folder, name: str, key: str) -> str:
    """The notice ``key`` for a save of ``name`` that failed because a folder stands where its lock goes."""
    reason = app.t("files.elsewhere", path=folder / f"{name}.lock", reason=text(app.language, "engine.os_folder"))
    return app.t(key, path=folder / name, reason=reason)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_settings_save_error_names_the_lock_in_the_way(tmp_path, language):
    (tmp_path / "settings.json.lock").mkdir()
    app = make_app(tmp_path, language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")  # a colour mode chosen by key is saved
        said = lock_in_the_way(app, tmp_path, "settings.json", "settings.unsaved")
        await until(pilot, lambda: notified(app, said), timeout=10)


async def test_an_autosave_error_names_the_lock_in_the_way(tmp_path):
    (tmp_path / "current.json.lock").mkdir()
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: isinstance(screen, BuildScreen) and screen.summary is not None)
        await pilot.press("down", "x")
        said = lock_in_the_way(app, tmp_path, "current.json", "network.autosave.failed")
        await until(pilot, lambda: notified(app, said), timeout=10)


async def test_a_progress_save_error_names_the_lock_in_the_way(tmp_path):
    from test_quiz_app import answer, start

    (tmp_path / "progress.json.lock").mkdir()
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        await answer(pilot, screen, True)
        said = lock_in_the_way(app, tmp_path, "progress.json", "quiz.progress.unsaved")
        await until(pilot, lambda: notified(app, said), timeout=10)


def test_a_save_error_about_the_file_meant_says_only_why(tmp_path):
    from cnntui.tui.app import CnntuiApp

    app = make_app(tmp_path)
    meant = tmp_path / "settings.json"
    assert CnntuiApp.save_problem(app, PermissionError(13, "Permission denied", str(meant)), meant) == \
        text(app.language, "engine.os_denied")
    assert CnntuiApp.save_problem(app, OSError(28, "No space left on device"), meant) == text(app.language, "engine.os_full")


# -- 5. a long network name is shortened in the top bar, not dropped --------------------------------

@pytest.mark.parametrize("ascii_only, ellipsis", [(False, "…"), (True, "...")])
async def test_a_long_network_name_is_shortened_to_fit_the_top_bar(tmp_path, ascii_only, ellipsis):
    name = "a-very-long-network-name-" * 4
    spec = {**read_network("lenet5").spec, "name": name}
    app = make_app(tmp_path, mode="build", ascii_only=ascii_only, network=CurrentNetwork(name, spec, ""))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, BuildScreen))
        top = screen_text(app).splitlines()[0]
        assert f"{app.t('bar.network')}: a-very-long" in top
        assert ellipsis + " " in top and top.rstrip().endswith("EN")
        assert len(top.rstrip()) <= 80


# -- 6. a suggested file name holds only safe characters --------------------------------------------

def test_a_suggested_file_name_holds_letters_digits_and_few_marks():
    from cnntui.tui.screens.saving import file_stem

    assert file_stem("evil\x1b[2J\u202etxt.exe") == "evil_2J_txt.exe"
    assert file_stem(HOSTILE_NAME) == "x_52_c_aGk_2Jy"
    assert file_stem("我的网络 v2") == "我的网络_v2"
    assert file_stem("../../.bashrc") == "bashrc"
    assert file_stem("...") == file_stem("") == "untitled"
    assert file_stem("\x1b\x07") == "untitled"
    assert file_stem("x" * 100) == "x" * 60
    assert file_stem("net-1_b.v2") == "net-1_b.v2"
