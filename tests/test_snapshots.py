"""Screenshots of every screen at 80x24 and 120x40, in both languages.

After an intended change to the look, review the new pictures and accept
them with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cnntui.quiz.progress import ProgressStore
from cnntui.tui.app import CnntuiApp
from cnntui.tui.settings import SettingsStore

# A fixed path, because the help screen shows where settings live; one folder per pytest-xdist
# worker (gw0, gw1, ...), because each test empties it and two workers' apps must not share files.
SETTINGS = (Path(tempfile.gettempdir()) / "cnntui-snapshots" / os.environ.get("PYTEST_XDIST_WORKER", "main")
            / "settings.json")
SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def fresh_settings():
    shutil.rmtree(SETTINGS.parent, ignore_errors=True)
    yield
    shutil.rmtree(SETTINGS.parent, ignore_errors=True)


def app(mode: str = "learn", language: str = "en", **options) -> CnntuiApp:
    options.setdefault("ascii_only", False)
    return CnntuiApp(mode, language=language, colors="truecolor", environ={},
                     settings_store=SettingsStore(SETTINGS),
                     progress_store=ProgressStore(SETTINGS.parent / "progress.json"), **options)


async def settled(pilot) -> None:
    """Wait until the mode has drawn its content (Learn and Build fill in just after the first frame)."""
    for _ in range(300):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if (getattr(screen, "shown", True) is not None and getattr(screen, "summary", True) is not None
                and getattr(screen, "drawn", True)):
            break
    await pilot.pause(0.2)


def pressing(*keys: str, pause: float = 0.3):
    """A run_before that waits for the mode to settle, presses ``keys`` and lets the screen redraw."""
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press(*keys)
        await pilot.pause(pause)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("mode", ["learn", "build", "view", "quiz", "train"])
def test_mode(snap_compare, mode, language, size):
    assert snap_compare(app(mode, language), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
def test_help(snap_compare, language, size):
    assert snap_compare(app("learn", language), terminal_size=size, run_before=pressing("question_mark", pause=0.2))


def test_too_small(snap_compare):
    assert snap_compare(app("build"), terminal_size=(50, 15), run_before=settled)


def test_ascii_help(snap_compare):
    assert snap_compare(app("learn", ascii_only=True), terminal_size=(80, 24),
                        run_before=pressing("question_mark", pause=0.2))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page", ["stride", "cmp-conv-fc", "relations", "loss", "initialization"])
def test_learn_page(snap_compare, page, language, size):
    async def open_page(pilot):
        await settled(pilot)
        pilot.app.open_concept(page)
        for _ in range(300):  # the page is computed in a worker
            await pilot.pause(0.05)
            if pilot.app.screen.shown and pilot.app.screen.shown[0] == page:
                break
        await pilot.pause(0.3)

    assert snap_compare(app("learn", language), terminal_size=size, run_before=open_page)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
def test_build_invalid_layer_and_form(snap_compare, language, size):
    async def break_a_layer(pilot):
        await settled(pilot)
        await pilot.press("down", "e")
        await pilot.pause(0.3)
        field = pilot.app.screen.query_one("#field-kernel_size")
        field.focus()
        field.value = "40"
        await pilot.pause(0.3)

    assert snap_compare(app("build", language), terminal_size=size, run_before=break_a_layer)


VIEW_PANELS = {"map": ("enter", "right", "enter", "down", "right"), "step": ("enter", "s", *["down"] * 6, "right"),
               "compare": ("enter", "a"), "input": ("up", "enter")}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("panel", VIEW_PANELS)
def test_view_panel(snap_compare, panel, language, size):
    from cnntui.tui.state import read_network

    view = app("view", language, network=read_network("lenet5"))
    assert snap_compare(view, terminal_size=size, run_before=pressing(*VIEW_PANELS[panel]))


@pytest.mark.parametrize("panel", ["map", "step"])
def test_view_scrolled_end(snap_compare, panel):
    """At 80x24 the one-channel map (its kernel) and the step-through (its outlined maps), scrolled to the end."""
    from cnntui.tui.state import read_network

    view = app("view", network=read_network("lenet5"))
    assert snap_compare(view, terminal_size=(80, 24), run_before=pressing(*VIEW_PANELS[panel], "end"))


# A question's keys go into its answer field: "n", "o" below answer "no".
QUIZ_PANELS = {"question": ("n",), "typing": ("n", "y", "e"), "feedback": ("n", "n", "o", "enter"),
               "task": ("shift+tab", "down", "down", "enter", "n"),
               "summary": ("n", "n", "o", "enter", "n", "escape", "end", "enter")}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("panel", QUIZ_PANELS)
def test_quiz_panel(snap_compare, panel, language, size):
    """A fresh course: the first question (true/false), an answer being typed in the focused field,
    the marked answer, the Build task, the summary."""
    assert snap_compare(app("quiz", language), terminal_size=size, run_before=pressing(*QUIZ_PANELS[panel]))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
def test_quiz_course_complete(snap_compare, language, size):
    """The page after the last lesson, from fixed progress: share right per topic, what to review."""
    from cnntui.quiz.course import lesson_ids

    async def finish_the_course(pilot):
        await settled(pilot)
        screen = pilot.app.screen
        for lesson_id in lesson_ids():
            screen.progress.lesson(lesson_id).update(step=0, attempt=1, done=True)
        for number, (topic, right) in enumerate([("padding", False), ("padding", True), ("pooling", True),
                                                 ("kernel", False), ("receptive-field", True)]):
            screen.progress.record(f"bank:q{number}", topic, right, hinted=False)
        screen.fill_list()
        screen.open_section("complete")
        await pilot.pause(0.3)

    assert snap_compare(app("quiz", language), terminal_size=size, run_before=finish_the_course)


def made_up_run(screen, kind: str):
    """A finished run with fixed numbers (real runs differ in their timings), to check the drawing."""
    import numpy as np

    from cnntui.train.live import Point, Progress
    from cnntui.tui.screens.train import Arm, Run

    rng = np.random.default_rng(0)
    t = screen.app.t
    steps = [i / 4 for i in range(21)]

    def curve(arm: str, fit: float, gap: float, watched: bool) -> list:
        points = []
        for x in steps:
            train_loss = 2.3 * np.exp(-x * fit) + 0.02
            val_loss = train_loss + gap * x / 5
            kernels = rng.normal(0, 0.3, (6, 1, 5, 5)) if watched else None
            maps = np.maximum(rng.normal(0, 1, (6, 28, 28)), 0) if watched else None
            probabilities = np.full(10, 0.02) if watched else None
            if watched:
                probabilities[3] = 0.82
            points.append(Point(arm, x, train_loss, 1 - 0.9 * np.exp(-x * fit), val_loss,
                                1 - 0.9 * np.exp(-x * fit) - gap / 10 * x / 5, kernels, maps, probabilities))
        return points

    if kind == "compare":  # a sigmoid run beside the last (ReLU) run on the same data: the hands-on task
        import copy

        from cnntui.core.assets import find_network, read_json
        from cnntui.tui.screens.train_compare import run_record
        from cnntui.tui.screens.train_run import Plan

        relu = read_json(find_network("lenet5"))
        sigmoid = copy.deepcopy(relu)
        sigmoid["layers"] = [{"type": "sigmoid"} if layer["type"] == "relu" else layer for layer in relu["layers"]]
        before = Run("single", lambda: "", plan=Plan("lenet5", "lenet5", relu), state="done", epochs=5,
                     arms={"net": Arm("lenet5", 61706)}, points={"net": curve("net", 1.2, 0.1, False)})
        plan = Plan("", "lenet5", sigmoid)
        return Run("single", lambda: t("train.title.single", name="lenet5", dataset=screen.words("digits")),
                   plan=plan, previous=run_record(before), state="done", epochs=5,
                   arms={"net": Arm("lenet5", 61706)}, points={"net": curve("net", 0.3, 0.05, False)},
                   progress=Progress("net", 5, 5, 63, 63, 21.0), classes=[str(d) for d in range(10)])
    if kind == "single":
        run = Run("single", lambda: t("train.title.single", name="lenet5", dataset=screen.words("digits")), state="done", epochs=5,
                  arms={"net": Arm("lenet5", 61706)}, points={"net": curve("net", 1.2, 0.1, True)},
                  progress=Progress("net", 5, 5, 63, 63, 21.0), classes=[str(d) for d in range(10)],
                  watched=(rng.random((1, 32, 32)), 3))
    else:
        run = Run("experiment", lambda: t("train.title.experiment"), state="done", epochs=5,
                  arms={"fc": Arm("train.arm.fc", 62006, 60330, translated=True),
                        "gap": Arm("train.arm.gap", 1846, 170, translated=True)},
                  points={"fc": curve("fc", 2.0, 1.5, False), "gap": curve("gap", 0.8, 0.2, False)},
                  progress=Progress("gap", 5, 5, 5, 5, 30.0))
    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", ["single", "experiment", "compare"])
def test_train_run(snap_compare, kind, language, size):
    assert snap_compare(app("train", language), terminal_size=size,
                        run_before=showing_run(lambda screen: made_up_run(screen, kind)))


def showing_run(make_run):
    """A run_before that puts ``make_run(screen)``'s run on the settled Train screen and waits until its
    picture shows it."""
    from test_app import until

    async def show_run(pilot):
        await settled(pilot)
        screen = pilot.app.screen
        screen.run = make_run(screen)
        screen.changed()
        picture = screen.query_one("#train-picture")
        shown = (id(screen.run), screen.run.serial)
        await until(pilot, lambda: picture.key is not None and picture.key[:2] == shown, "the run's picture")
        await pilot.pause()

    return show_run


# Build at 80x24, each scrolled to its end: the export dialog's code (to the bottom, then to the right),
# the preset dialog at its last preset's description, the formulas of conv 0 down to the comparison with
# a fully connected layer, and VGG-16's text line.
BUILD_ENDS = {"export": ("lenet5", ("E", "end", *["right"] * 40)), "presets": ("lenet5", ("p", "end")),
              "derivation": ("lenet5", ("down", "tab", "end")), "text_line": ("vgg16", ("shift+tab", "end"))}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("part", BUILD_ENDS)
def test_build_scrolled_end(snap_compare, part, language):
    from cnntui.tui.state import read_network

    network, keys = BUILD_ENDS[part]
    build = app("build", language, network=read_network(network))
    assert snap_compare(build, terminal_size=(80, 24), run_before=pressing(*keys))
