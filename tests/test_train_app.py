"""Train mode, driven with Pilot: set up a run with the keys, start, pause, resume, stop, finish,
save the weights, open them in View; bad input and a busy run change nothing."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from cnntui.core import Network
from cnntui.tui.state import CurrentNetwork, read_network
from test_app import make_app
from test_app import until as app_until


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    """Datasets are cached and trained weights kept in the user's folders: use the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


until = partial(app_until, timeout=60.0)  # training takes a while on a shared machine


async def type_into_dialog(pilot, key: str, text: str) -> None:
    """Open a dialog with ``key``, replace its text and press Enter."""
    await pilot.press(key)
    await pilot.pause(0.1)
    await pilot.press("ctrl+a", "ctrl+k", *text, "enter")  # ctrl+a/ctrl+k clear the Input
    await pilot.pause(0.1)


async def small_setup(pilot, samples: str = "200", epochs: str = "2") -> None:
    await type_into_dialog(pilot, "s", samples)
    await type_into_dialog(pilot, "e", epochs)


async def train_until(pilot, state: str, samples: str, epochs: str) -> None:
    """Set up a run of ``samples`` and ``epochs``, start it and wait for it to be in ``state``."""
    screen = pilot.app.screen
    await small_setup(pilot, samples, epochs)
    await pilot.press("enter")
    await until(pilot, lambda: screen.run is not None and screen.run.state == state)


def side_text(app) -> str:
    return str(app.screen.query_one("#train-side").render())


def points(app) -> list:
    return app.screen.run.points["net"]


async def test_start_pause_resume_and_stop(tmp_path):
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await small_setup(pilot, samples="400", epochs="20")
        assert (screen.plan.samples, screen.plan.epochs) == (400, 20)
        assert "400 + 100 val" in side_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: screen.run is not None and screen.run.state == "running" and len(points(app)) >= 2)
        assert points(app)[0].x == 0.0  # the curves start before the first step

        await pilot.press("space")
        assert screen.run.state == "paused" and screen.run.live.paused
        await pilot.pause(0.3)  # a batch under way when Space was pressed may still report
        frozen = len(points(app)), screen.run.progress
        await pilot.pause(0.8)
        assert (len(points(app)), screen.run.progress) == frozen, "a paused run went on training"
        assert "Paused" in side_text(app)

        await pilot.press("space")
        assert screen.run.state == "running"
        await until(pilot, lambda: len(points(app)) > frozen[0])

        await pilot.press("x")
        await until(pilot, lambda: screen.run.state == "stopped")
        assert points(app)[-1].x < 20, "stopping should not wait for the last epoch"
        assert not any(w.is_running for w in app.workers), "the training thread must end on Stop"
        assert "Stopped" in side_text(app)


async def test_a_finished_run_learned_and_its_weights_save_and_open_in_view(tmp_path):
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await train_until(pilot, "done", samples="300", epochs="3")
        run = screen.run
        first, last = run.points["net"][0], run.points["net"][-1]
        assert last.x == 3.0
        assert last.train_loss < 0.8 * first.train_loss and last.val_loss < first.val_loss
        assert last.val_accuracy > first.val_accuracy + 0.2
        assert last.kernels.shape == (6, 1, 5, 5) and not np.allclose(last.kernels, first.kernels)
        assert last.maps.shape == (6, 28, 28) and (last.maps >= 0).all()  # after the ReLU that follows conv 0
        assert "Finished" in side_text(app)
        assert app.screen.query_one("#train-picture").rows, "the curves were drawn"

        target = tmp_path / "mine.npz"
        await type_into_dialog(pilot, "w", str(target))
        saved = Network.load("lenet5")
        saved.load_weights(target)
        x = run.watched[0][None]
        assert np.allclose(saved.forward(x)[-1], run.net.forward(x)[-1])

        await pilot.press("v")
        await until(pilot, lambda: app.current_mode == "view" and getattr(app.screen, "drawn", False))
        request = app.screen.result.request
        assert request.weights == "file" and request.weights_file.endswith("lenet5-digits.npz")
        assert (tmp_path / "data" / "cnntui" / "trained" / "lenet5-digits.npz").is_file()
        assert np.allclose(app.screen.result.outputs[-1], run.net.forward(app.screen.result.x[None])[-1][0])


async def test_bad_settings_are_refused_in_the_dialog(tmp_path):
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        before = screen.plan
        for key, text, words in (("s", "lots", "not a whole number"), ("s", "5", "between 100 and 20000"),
                                 ("e", "0", "between 1 and 50"), ("r", "fast", "not a number"),
                                 ("r", "3", "between 1e-05 and 1")):
            await type_into_dialog(pilot, key, text)
            error = str(app.screen.query_one(".dialog-error").render())
            assert words in error, (text, error)
            await pilot.press("escape")
            await pilot.pause(0.1)
        assert screen.plan == before


async def test_a_network_that_cannot_train_on_the_data_is_refused_with_a_reason(tmp_path):
    spec = {"name": "three", "input": [1, 32, 32],
            "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 3}]}
    app = make_app(tmp_path, mode="train", network=CurrentNetwork("three", spec, ""))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert screen.plan.name == "three"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert screen.run is None
        assert any("10 classes" in n.message for n in app._notifications)


async def test_the_setup_is_locked_while_training(tmp_path):
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await train_until(pilot, "running", samples="2000", epochs="10")
        plan = screen.plan
        await pilot.press("e")
        await pilot.pause(0.1)
        assert screen.plan == plan and app.screen is screen, "no dialog while training"
        assert any("press x to stop" in n.message for n in app._notifications)
        await pilot.press("x")
        await until(pilot, lambda: screen.run.state == "stopped")


async def test_choosing_network_and_dataset(tmp_path):
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("n")
        await pilot.pause(0.2)
        options = app.screen.query_one("OptionList")
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["lenet5", "mlp", "tinyvgg", "tinyvgg-gap"] or set(ids) >= {"lenet5", "tinyvgg"}
        assert "vgg16" not in ids and "alexnet" not in ids  # 224x224 inputs fit no built-in dataset
        options.highlighted = ids.index("tinyvgg")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert (screen.plan.name, screen.plan.dataset, screen.plan.size) == ("tinyvgg", "shapes", 64)
        await pilot.press("d")
        await until(pilot, lambda: app.screen is not screen)
        options = app.screen.query_one("OptionList")
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["shapes:64", "folder"]  # no other built-in dataset fits 3x64x64
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert screen.plan.dataset == "shapes"


async def test_chinese(tmp_path):
    app = make_app(tmp_path, mode="train", language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert "设置" in side_text(app)
        assert "训练" in str(app.screen.query_one("TopBar").render())


async def test_the_overfitting_experiment_runs_both_heads_in_turns(tmp_path, monkeypatch):
    from cnntui.train import experiment

    # The real one takes 40 epochs on 200 digits (about 40 s); the screen's part is the same at any size.
    monkeypatch.setattr(experiment, "TRAIN_SAMPLES", 64)
    monkeypatch.setattr(experiment, "VALIDATION_SAMPLES", 64)
    monkeypatch.setattr(experiment, "EPOCHS", 3)
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("o")
        await until(pilot, lambda: app.screen is not screen)  # the chooser of experiments, overfitting first
        await pilot.press("enter")
        await until(pilot, lambda: screen.run is not None and screen.run.state == "done")
        run = screen.run
        assert run.kind == "experiment"
        assert [p.x for p in run.points["fc"]] == [0.0, 1.0, 2.0, 3.0] == [p.x for p in run.points["gap"]]
        fc, gap = run.arms["fc"], run.arms["gap"]
        assert (fc.params, fc.head_params) == (828_938, 805_642)
        assert (gap.params, gap.head_params) == (23_946, 650)
        side = side_text(app)
        assert "828,938 params; head 805,642" in side and "23,946 params; head 650" in side
        picture = "\n".join("".join(piece.text for piece in row if hasattr(piece, "text"))
                            for row in screen.query_one("#train-picture").rows)
        last = run.points["fc"][-1]
        assert f"FC head: training accuracy {last.train_accuracy:.1%}, validation {last.val_accuracy:.1%}" in picture
        # no single network to save or to open in View
        assert not screen.check_action("save", ()) and not screen.check_action("show_in_view", ())
        assert "v" not in [b.binding.key for b in screen.active_bindings.values() if b.enabled]


# -- 80x24: the key bar, the experiment's figures; a run that only guesses; Chinese names --------------

def shown_run(screen, kind: str, state: str = "done"):
    """One of the snapshot tests' made-up runs, in ``state``, on the screen."""
    from test_snapshots import made_up_run

    run = made_up_run(screen, kind)
    run.state = state
    if kind == "single":
        run.net, run.plan = object(), screen.plan  # a single run has a network to save once it is not running
    screen.run = run
    screen.changed()
    return run


async def test_the_key_bar_fits_80_columns_with_w_and_q(tmp_path):
    from cnntui.render.text import cell_width

    for language, ascii_only in (("en", False), ("en", True), ("zh", False)):  # --ascii spells out Enter
        app = make_app(tmp_path, mode="train", language=language, ascii_only=ascii_only)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            bar = screen.query_one("KeyBar")
            for kind, state, save in (("single", "running", False), ("single", "paused", True),
                                      ("single", "done", True), ("experiment", "done", False)):
                shown_run(screen, kind, state)
                running = state in ("running", "paused")
                # until the bar has caught up with the new state (it fails on its own if it never does)
                await until(pilot, lambda: ("x " in str(bar.render())) == running
                            and ("w " in str(bar.render())) == save)
                text = str(bar.render()).rstrip()
                assert cell_width(text) <= 80, (language, state, text)
                assert ("w " in text) == save and "q " in text, (language, state, text)
                assert ("x " in text) == (state in ("running", "paused")), text


async def test_the_experiments_figures_fit_the_left_pane_at_80x24(tmp_path):
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        run = shown_run(screen, "experiment")
        await until(pilot, lambda: "GAP" in side_text(app))
        side = screen.query_one("#train-side")
        lines = side_text(app).splitlines()
        assert len(lines) <= side.size.height, lines
        for key in ("fc", "gap"):
            point = run.last(key)
            assert any(f"{point.train_accuracy:.1%}" in line and f"{point.val_accuracy:.1%}" in line
                       for line in lines), (key, lines)
        assert "GAP head" in lines and "1,846 params; head 170" in lines
        assert "Setup" in lines[0], "at 80x24 the setup stays"


def picture_text(screen) -> str:
    return "\n".join("".join(piece.text for piece in row if hasattr(piece, "text"))
                     for row in screen.query_one("#train-picture").rows)


async def test_a_run_that_only_guesses_is_told_what_to_try(tmp_path):
    import math

    from cnntui.train.live import Point

    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        run = shown_run(screen, "single", "running")
        run.points = {"net": []}
        chance = math.log(10)
        for x in (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75):
            screen.point_arrived(run, Point("net", x, chance + 0.02, 0.1, chance, 0.1))
        await pilot.pause()
        assert not run.guessing and not app._notifications, "not in the first epoch, nor before one is over"
        screen.point_arrived(run, Point("net", 2.0, chance - 0.01, 0.1, chance, 0.1))
        assert run.guessing == {"net": 2}
        await until(pilot, lambda: app._notifications)
        warning = [n.message for n in app._notifications]
        assert len(warning) == 1 and "guessing" in warning[0] and "ln 10 = 2.30" in warning[0]
        assert "learning rate (r)" in warning[0] and "more epochs (e)" in warning[0]
        await until(pilot, lambda: "lenet5 is only guessing" in picture_text(screen))
        screen.point_arrived(run, Point("net", 3.0, chance - 0.5, 0.1, chance, 0.1))  # it learns after all
        await until(pilot, lambda: "lenet5 is only guessing" not in picture_text(screen))
        assert not run.guessing
        screen.point_arrived(run, Point("net", 4.0, chance, 0.1, chance, 0.1))
        await pilot.pause()
        assert len(app._notifications) == 1, "said once a run"


async def test_chinese_dataset_and_class_names(tmp_path):
    app = make_app(tmp_path, mode="train", language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "1x32x32" in side_text(app))
        assert "手写数字 1x32x32" in side_text(app) and "digits" not in side_text(app)
        assert "手写数字" in str(app.screen.query_one("#train-title").render())
        screen = app.screen
        screen.plan = screen.plan_for("tinyvgg", "tinyvgg", read_network("tinyvgg").spec)
        screen.redraw()
        await pilot.pause(0.1)
        assert "形状 3x64x64" in side_text(app)
        assert screen.words("circle") == "圆形" and screen.words("7") == "7"


# -- the optimiser: named in the setup, a is its page in Learn ------------------------------------------

@pytest.mark.parametrize("language, label, pointer", [("en", "Optimiser Adam", "a: what Adam is (Learn)."),
                                                      ("zh", "优化器    Adam", "a 看 Adam")])
async def test_the_setup_names_adam_and_a_opens_the_optimiser_page(tmp_path, language, label, pointer):
    app = make_app(tmp_path, mode="train", language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "Adam" in side_text(app))
        lines = side_text(app).splitlines()
        optimiser = next(line for line in lines if line.startswith(label))
        assert optimiser.rstrip().endswith(" a"), "the key beside it, as the other settings have"
        assert any(pointer in line for line in lines), lines
        await pilot.press("a")
        await until(pilot, lambda: app.current_mode == "learn" and getattr(app.screen, "page_id", "") == "optimizer")
