"""The lesson "How a network learns" has a hands-on task: train a small CNN with ReLU for two epochs,
make every ReLU a sigmoid in Build, train again, and see both runs side by side in Train. Driven with
the keys a student presses at 80x24; the check reads the runs Train keeps of this session."""

from __future__ import annotations

import copy
import time

import pytest
from test_app import make_app
from test_quiz_app import start
from test_train_app import own_folders, until  # noqa: F401 (own_folders: autouse fixture, the test's own folders)

from cnntui.quiz.course import check_task, load_tasks
from cnntui.tui.screens.build import BuildScreen
from cnntui.tui.screens.train import TrainScreen

TASK = load_tasks()["learning"]
RELUS = [index for index, layer in enumerate(TASK["network"]["layers"]) if layer["type"] == "relu"]


def said(app, words: str) -> bool:
    return any(words in notification.message for notification in app._notifications)


def picture_text(screen) -> str:
    return "\n".join("".join(piece.text for piece in row if hasattr(piece, "text"))
                     for row in screen.query_one("#train-picture").rows)


async def train_to_the_end(pilot, app) -> float:
    """Enter in Train, and wait for the run to finish; the seconds it took."""
    screen = app.screen
    started = time.monotonic()
    await pilot.press("enter")
    await until(pilot, lambda: screen.run is not None and screen.run.state == "done")
    return time.monotonic() - started


async def make_layer_sigmoid(pilot, build: BuildScreen, index: int) -> None:
    """Select layer ``index`` with Up/Down, e, type sigmoid over its type, Escape."""
    while build.selected_index() != index:
        await pilot.press("down" if build.selected_index() < index else "up")
    await pilot.press("e")
    await until(pilot, lambda: build.editing == ("layers", index) and build.query("#field-type"))
    await pilot.press(*"sigmoid", "escape")
    await until(pilot, lambda: build.editing is None)


async def test_relu_then_sigmoid_in_two_epochs_each_side_by_side_and_checked(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        quiz = await start(pilot)
        own = app.network
        quiz.open_section("learning")
        await pilot.press("n")  # past the recap, to the task
        assert quiz.current_task() == TASK
        await pilot.press("k")
        assert said(app, "Not yet")

        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, TrainScreen) and app.screen.plan is not None)
        train = app.screen
        await until(pilot, lambda: train.plan.name == "relu-vs-sigmoid")
        assert (train.plan.samples, train.plan.epochs, train.plan.lr) == (2000, 2, 0.002)
        assert (train.plan.dataset, train.plan.size) == ("digits", 28)
        relu_seconds = await train_to_the_end(pilot, app)
        assert [record["epochs_done"] for record in app.finished_runs] == [2]
        assert "beside the last" not in picture_text(train), "nothing to compare with yet"

        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, BuildScreen) and app.screen.summary is not None)
        build = app.screen
        for index in RELUS:
            await make_layer_sigmoid(pilot, build, index)
        assert [layer["type"] for layer in app.network.spec["layers"]].count("sigmoid") == 3
        assert "relu" not in [layer["type"] for layer in app.network.spec["layers"]]

        await pilot.press("5")
        await until(pilot, lambda: app.screen is train and "sigmoid" in str(train.plan.spec))
        assert train.plan.epochs == 2, "Train keeps the task's setup for the edited network"
        sigmoid_seconds = await train_to_the_end(pilot, app)
        print(f"2 epochs on 2,000 digits: relu {relu_seconds:.1f} s, sigmoid {sigmoid_seconds:.1f} s")
        relu, sigmoid = app.finished_runs
        assert relu["epochs"][-1]["train_loss"] < 0.8 * sigmoid["epochs"][-1]["train_loss"], "ReLU learns faster"

        # both runs' figures, epoch by epoch, above the curves
        await until(pilot, lambda: "relu-vs-sigmoid, sigmoid" in picture_text(train))
        shown = picture_text(train).splitlines()
        assert shown[0].startswith("Beside the last run on these data")
        assert any(line.startswith("last: relu-vs-sigmoid, relu") for line in shown[:4])
        for epoch in (1, 2):
            row = next(line for line in shown if line.startswith(f"{epoch}  "))
            before, after = relu["epochs"][epoch - 1], sigmoid["epochs"][epoch - 1]
            assert row.split() == [str(epoch), f"{before['train_loss']:.3f}", f"{before['val_accuracy']:.1%}",
                                   f"{after['train_loss']:.3f}", f"{after['val_accuracy']:.1%}"], row

        await pilot.press("4")
        await until(pilot, lambda: app.screen is quiz)
        await pilot.press("k")
        assert said(app, "Task done") and app.network is own
        app.switch_mode("train")  # (5 would be typed into the next question's answer box)
        # Train gives the student's own setup back, not the task's 2 epochs
        await until(pilot, lambda: app.screen is train and train.plan.epochs == 5, timeout=10)
        assert app.requested_plan is None and app.plan_before_task is None and app.plan_to_restore is None


async def test_the_task_sets_up_a_train_screen_already_open_with_other_settings(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        quiz = await start(pilot)
        await pilot.press("5")
        await until(pilot, lambda: isinstance(app.screen, TrainScreen) and app.screen.plan is not None)
        train = app.screen
        await pilot.press("e")
        await until(pilot, lambda: app.screen.query("Input"))
        await pilot.press("ctrl+a", "ctrl+k", *"9", "enter")
        await until(pilot, lambda: app.screen is train and train.plan.epochs == 9)
        await pilot.press("4")
        await until(pilot, lambda: app.screen is quiz)
        quiz.open_section("learning")
        await pilot.press("n", "g")
        await until(pilot, lambda: app.screen is train and train.plan.name == "relu-vs-sigmoid")
        assert (train.plan.samples, train.plan.epochs, train.plan.dataset, train.plan.size) == (2000, 2, "digits", 28)
        assert app.requested_plan is None


def run(spec: dict, epochs: int, dataset: str = "digits", size: int = 28) -> dict:
    return {"spec": spec, "epochs_done": epochs, "dataset": dataset, "size": size}


def with_types(**types: str) -> dict:
    """The task's network with layers (by index, as l1="sigmoid") of other types."""
    spec = copy.deepcopy(TASK["network"])
    for name, kind in types.items():
        spec["layers"][int(name[1:])] = {"type": kind}
    return spec


RELU, SIGMOID = with_types(), with_types(**{f"l{i}": "sigmoid" for i in RELUS})


@pytest.mark.parametrize("runs, done", [
    ([run(RELU, 2), run(SIGMOID, 2)], True),
    ([run(SIGMOID, 3), run(RELU, 5)], True),  # in either order, and longer is fine
    ([run(RELU, 2), run(SIGMOID, 1)], False),  # the sigmoid run was stopped in its second epoch
    ([run(RELU, 1), run(SIGMOID, 2)], False),
    ([run(RELU, 2), run(with_types(l1="sigmoid", l4="sigmoid"), 2)], False),  # one relu left
    ([run(RELU, 2), run(with_types(**{f"l{i}": "tanh" for i in RELUS}), 2)], False),
    ([run(RELU, 2), run(SIGMOID, 2, size=32)], False),  # other data
    ([run(SIGMOID, 2), run(SIGMOID, 2)], False),
    ([], False),
])
def test_the_check_wants_a_relu_run_and_its_all_sigmoid_twin(runs, done):
    assert check_task(TASK, {"spec": {}, "view": None, "runs": runs}) is done
