"""Train with batch norm and dropout (issue #17): training mode while training, eval mode for
validation, View and saved weights (which keep the running statistics); the batch-norm and dropout
experiments' figures and verdicts, worded from what was measured; both experiments driven with Pilot."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np
import pytest

from cnntui.content import text
from cnntui.core import Network
from cnntui.train.datasets import make_dataset
from cnntui.train.experiment_bn import ArmFigures as StepFigures
from cnntui.train.experiment_bn import smoothed, steps_to
from cnntui.train.experiment_dropout import ArmFigures as GapFigures
from cnntui.train.experiment_dropout import figures as dropout_figures
from cnntui.train.loop import Settings, Trainer
from cnntui.tui.screens.train_verdicts import batchnorm_verdict, dropout_verdict
from test_app import make_app
from test_app import until as app_until

until = partial(app_until, timeout=60.0)  # training takes a while on a shared machine

# A small network with both: batch norm after the convolution, dropout before the linear layer.
SPEC = {"name": "bn-dropout", "input": [1, 28, 28], "classes": [str(d) for d in range(10)], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": "same"},
    {"type": "batchnorm2d"},
    {"type": "relu"},
    {"type": "maxpool2d", "kernel_size": 4},
    {"type": "flatten"},
    {"type": "dropout", "p": 0.5},
    {"type": "linear", "out_features": 10},
    {"type": "softmax"},
]}


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    """Datasets are cached and trained weights kept in the user's folders: use the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def data():
    return make_dataset("digits", 96, 0, 28).split(32)


def trained(data, seed: int = 0) -> Trainer:
    """SPEC trained for one epoch of four batches."""
    train_set, val_set = data
    net = Network.from_dict(SPEC)
    net.init_weights(seed)
    trainer = Trainer(net, train_set, val_set, Settings(epochs=1, batch_size=16, lr=5e-3, seed=seed))
    trainer.epoch()
    return trainer


# -- batch norm and dropout train --------------------------------------------------------------------

def test_batch_norm_updates_its_running_statistics_and_validation_is_in_eval_mode(data):
    fresh = Network.from_dict(SPEC)
    fresh.init_weights(0)
    trainer = trained(data)
    weights = trainer.net.weights
    assert int(weights["1.num_batches_tracked"]) == 4, "one update of the running statistics per batch"
    assert not np.allclose(weights["1.running_mean"], fresh.weights["1.running_mean"])
    assert not np.allclose(weights["1.running_var"], fresh.weights["1.running_var"])

    # validation in eval mode: the same every time (no dropout), and it leaves the running statistics alone
    val_set = data[1]
    before = {key: value.copy() for key, value in weights.items()}
    x = val_set.x[:8]
    eval_once, eval_again = trainer.net.forward(x)[-1], trainer.net.forward(x)[-1]
    assert np.array_equal(eval_once, eval_again)
    assert all(np.array_equal(before[key], weights[key]) for key in weights), "eval mode changed a buffer"
    assert trainer.history[0].val_loss == pytest.approx(
        float(-np.log(trainer.net.forward(val_set.x)[-1][np.arange(len(val_set)), val_set.y]).mean()), rel=1e-4)
    assert not np.allclose(trainer.net.forward(x, training=True, seed=1)[-1], eval_once)


def test_dropout_masks_come_from_the_seed_and_change_from_batch_to_batch(data):
    first, again, other = trained(data, 0), trained(data, 0), trained(data, 1)
    assert all(np.array_equal(first.net.weights[key], again.net.weights[key]) for key in first.net.weights)
    assert not np.allclose(first.net.weights["6.weight"], other.net.weights["6.weight"])
    seeds = {first.mask_seed(epoch, batch) for epoch in (1, 2) for batch in (1, 2, 3)}
    assert len(seeds) == 6 and first.mask_seed(1, 1) != other.mask_seed(1, 1)


def test_saved_weights_keep_the_running_statistics_and_reload_for_forward(data, tmp_path):
    from cnntui.cli import main
    from cnntui.tui.screens.train_run import Plan, Run, save_trained

    trainer = trained(data)
    point = SimpleNamespace(x=1.0, val_accuracy=0.5, val_loss=1.5)
    run = Run("single", lambda: "", plan=Plan("", "bn-dropout", SPEC, samples=64, epochs=1, batch=16),
              state="done", net=trainer.net, points={"net": [point]}, classes=SPEC["classes"])
    target = tmp_path / "bn.npz"
    save_trained(run, target)
    with np.load(target) as saved:
        assert int(saved["1.num_batches_tracked"]) == 4
        assert np.array_equal(saved["1.running_var"], trainer.net.weights["1.running_var"])
    again = Network.from_dict(SPEC)
    again.load_weights(target)
    x = data[1].x[:4]
    assert np.allclose(again.forward(x)[-1], trainer.net.forward(x)[-1])

    network, sample = tmp_path / "bn.json", tmp_path / "x.npy"
    network.write_text(__import__("json").dumps(SPEC))
    np.save(sample, x[0])
    out = tmp_path / "acts.npz"
    assert main(["forward", str(network), "--input", str(sample), "--weights", str(target), "--out", str(out)]) == 0
    with np.load(out) as acts:
        assert np.allclose(acts["output"], trainer.net.forward(x[:1])[-1][0])


def test_the_guessing_advice_follows_the_networks_head():
    """A smaller head is suggested only to a network whose fully connected layers hold most of its parameters."""
    from cnntui.tui.screens.train_picture import head_advice
    from cnntui.tui.screens.train_run import Arm

    for language in ("en", "zh"):
        t = partial(text, language)
        minires = head_advice(t, Arm("minires", 19_994, 330))
        lenet = head_advice(t, Arm("lenet5", 61_706, 59_134))
        assert minires == t("train.guessing.try")
        assert lenet == t("train.guessing.try.head", head="59,134", total="61,706")
    assert "smaller head" not in head_advice(partial(text, "en"), Arm("minires", 19_994, 330))


# -- the experiments' figures and verdicts ------------------------------------------------------------

def test_steps_to_a_loss_count_the_smoothed_losses():
    losses = [2.0, 2.0, 1.0, 1.0, 0.5]
    assert smoothed(losses, 2) == [2.0, 1.5, 1.0, 0.75]
    assert steps_to(losses, 1.5, 2) == 3 and steps_to(losses, 0.75, 2) == 5
    assert steps_to(losses, 0.1, 2) is None and steps_to(losses[:1], 2.0, 2) is None


def test_the_dropout_figures_take_the_last_epoch_and_the_lowest_loss():
    ends = [SimpleNamespace(x=float(epoch), train_accuracy=train, val_accuracy=val, val_loss=loss)
            for epoch, train, val, loss in ((1, 0.5, 0.4, 1.2), (2, 0.9, 0.7, 0.9), (3, 1.0, 0.72, 1.3))]
    arm = dropout_figures({"fc": ends})["fc"]
    assert (arm.gap, arm.val_loss, arm.lowest_loss, arm.lowest_epoch) == (28, 1.3, 0.9, 2)


def bn_lines(language: str, plain: int | None, normed: int | None) -> list[str]:
    figures = {"plain": StepFigures(plain, 150, 0.603), "bn": StepFigures(normed, 150, 0.861)}
    t = partial(text, language)
    return batchnorm_verdict(t, figures, {"plain": t("train.arm.plain"), "bn": t("train.arm.bn")}, 1.5).split("\n")


@pytest.mark.parametrize(("plain", "normed", "outcome", "shown"), [
    (115, 47, "faster", "2.4 times sooner (47 steps against 115)"),
    (40, 100, "slower", "2.5 times sooner (40 steps against 100)"),
    (100, 90, "same", "(100 without batch norm, 90 with it)"),
    (None, 47, "only_bn", "(in 47 steps); the one without it did not in 150"),
    (47, None, "only_plain", "(in 47 steps); the one with it did not in 150"),
    (None, None, "neither", "Neither network got down to 1.5 in 150 steps"),
])
def test_the_batch_norm_verdict_follows_the_step_counts(plain, normed, outcome, shown):
    lines = bn_lines("en", plain, normed)
    assert len(lines) == 3 and shown in lines[2], lines
    if plain is None:
        assert lines[0] == "Without BN: training loss not down to 1.5 in 150 steps; " \
                           "validation accuracy 60.3% at the end."
    else:
        assert lines[0] == f"Without BN: training loss down to 1.5 after {plain} of 150 steps; " \
                           "validation accuracy 60.3% at the end."
    chinese = bn_lines("zh", plain, normed)
    assert chinese[2].startswith(text("zh", f"train.verdict.bn.{outcome}")[:6]) and "86.1%" in chinese[1]


@pytest.mark.parametrize(("gaps", "losses", "outcome", "loss_outcome"), [
    ((28, 17), (1.55, 0.72), "narrower", "lower"),
    ((20, 26), (1.10, 1.40), "wider", "higher"),
    ((22, 20), (1.00, 1.02), "same", "same"),
])
def test_the_dropout_verdict_follows_the_gaps_and_losses(gaps, losses, outcome, loss_outcome):
    figures = {"fc": GapFigures(1.0, 1 - gaps[0] / 100, gaps[0], losses[0], 0.98, 6),
               "dropout": GapFigures(0.96, 0.96 - gaps[1] / 100, gaps[1], losses[1], 0.70, 25)}
    for language in ("en", "zh"):
        t = partial(text, language)
        lines = dropout_verdict(t, figures, {"fc": t("train.arm.fc"), "dropout": t("train.arm.dropout")}).split("\n")
        expected = t(f"train.verdict.dropout.{outcome}", points=abs(gaps[0] - gaps[1]), fc_gap=gaps[0],
                     dropout_gap=gaps[1], within=3)
        assert lines[2] == expected
        assert lines[3] == t(f"train.verdict.dropout.loss.{loss_outcome}", fc_loss=f"{losses[0]:.2f}",
                             dropout_loss=f"{losses[1]:.2f}", rise=f"{losses[0] - 0.98:.2f}")
        assert "0.98" in lines[0] and "0.70" in lines[1] and f"{gaps[1]}" in lines[1]
    english = dropout_verdict(partial(text, "en"), figures, {"fc": "FC head", "dropout": "FC + dropout"})
    assert ("did not narrow" in english) == (outcome == "same")


# -- Pilot: each experiment, run small, at 80x24 in English and 120x40 in Chinese ---------------------------

def shrink(monkeypatch) -> None:
    from cnntui.train import experiment_bn, experiment_dropout

    for module in (experiment_bn, experiment_dropout):
        monkeypatch.setattr(module, "TRAIN_SAMPLES", 16)
        monkeypatch.setattr(module, "VALIDATION_SAMPLES", 8)
        monkeypatch.setattr(module, "EPOCHS", 2)
        monkeypatch.setattr(module, "BATCH_SIZE", 8)
    monkeypatch.setattr(experiment_bn, "LOSS_LEVEL", 2.2)  # within reach of 4 steps
    monkeypatch.setattr(experiment_bn, "SMOOTHING", 2)


def picture_text(screen) -> str:
    return "\n".join("".join(piece.text for piece in row if hasattr(piece, "text"))
                     for row in screen.query_one("#train-picture").rows)


async def run_experiment(pilot, name: str):
    """Choose experiment ``name`` with o, wait for it to finish; the finished run."""
    from cnntui.train.experiment import EXPERIMENTS

    screen = pilot.app.screen
    await pilot.press("o")
    await until(pilot, lambda: pilot.app.screen is not screen)
    await pilot.press(*["down"] * EXPERIMENTS.index(name), "enter")
    await until(pilot, lambda: screen.run is not None and screen.run.state == "done", f"{name} finished")
    return screen.run


@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")])
async def test_both_experiments_run_and_word_their_verdicts_from_what_they_measured(tmp_path, monkeypatch, size,
                                                                                    language):
    from cnntui.train import experiment_bn

    shrink(monkeypatch)
    app = make_app(tmp_path, mode="train", language=language)
    t = app.t
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        run = await run_experiment(pilot, "batchnorm")
        assert run.experiment == "batchnorm" and list(run.arms) == ["plain", "bn"]
        losses = {key: [loss for point in run.points[key] for loss in point.batch_losses] for key in run.arms}
        assert [len(arm_losses) for arm_losses in losses.values()] == [4, 4], "every batch's loss is kept"
        assert run.arms["bn"].params == run.arms["plain"].params + 2 * (16 + 32 + 64)
        shown = picture_text(screen).replace("\n", "")
        for key, arm_losses in losses.items():
            steps = experiment_bn.steps_to(arm_losses)
            words = dict(label=t(f"train.arm.{key}"), level="2.2", steps=steps, total=4,
                         val=f"{run.last(key).val_accuracy:.1%}")
            line = t("train.verdict.bn.arm" if steps is not None else "train.verdict.bn.arm.never", **words)
            assert line.replace(" ", "") in shown.replace(" ", ""), (line, shown)
        assert t("train.chart.steps", window=2).replace(" ", "") in shown.replace(" ", "")

        run = await run_experiment(pilot, "dropout")
        assert list(run.arms) == ["fc", "dropout"] and run.arms["fc"].params == run.arms["dropout"].params
        shown = picture_text(screen).replace("\n", "").replace(" ", "")
        for key in run.arms:
            ends = [point for point in run.points[key] if point.x in (1.0, 2.0)]
            last, lowest = ends[-1], min(ends, key=lambda point: point.val_loss)
            line = t("train.verdict.dropout.arm", label=t(f"train.arm.{key}"), train=f"{last.train_accuracy:.1%}",
                     val=f"{last.val_accuracy:.1%}", gap=round((last.train_accuracy - last.val_accuracy) * 100),
                     loss=f"{last.val_loss:.2f}", lowest=f"{lowest.val_loss:.2f}", epoch=int(lowest.x))
            assert line.replace(" ", "") in shown, (line, shown)
        assert t("train.status.done.experiment") in str(screen.query_one("#train-status").render())


# -- Pilot: a network with batch norm and dropout trains, and View shows it in eval mode ------------------

async def test_a_batch_norm_and_dropout_network_trains_and_opens_in_view_in_eval_mode(tmp_path):
    from cnntui.tui.state import CurrentNetwork

    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.press("n")  # minires: its shipped weights had a longer recipe than the setup here
        await until(pilot, lambda: app.screen is not screen)
        options = app.screen.query_one("OptionList")
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = ids.index("minires")
        await pilot.press("enter")
        await until(pilot, lambda: screen.plan.name == "minires")
        assert any("11 epochs on 16,000 samples" in notice.message for notice in app._notifications)

        app.network = CurrentNetwork("bn-dropout", SPEC, "")  # as if built in Build
        await until(pilot, lambda: screen.plan.name == "bn-dropout")
        for key, value in (("s", "100"), ("e", "1")):
            await pilot.press(key)
            await until(pilot, lambda: app.screen is not screen)
            await pilot.press("ctrl+a", "ctrl+k", *value, "enter")
            await until(pilot, lambda: app.screen is screen)
        await pilot.press("enter")
        await until(pilot, lambda: screen.run is not None and screen.run.state == "done")
        net = screen.run.net
        assert int(net.weights["1.num_batches_tracked"]) == 4  # 100 samples in batches of 32
        await pilot.press("v")
        await until(pilot, lambda: app.current_mode == "view" and getattr(app.screen, "drawn", False))
        result = app.screen.result
        assert result.request.weights == "file"
        # in eval mode (no dropout, the running statistics), with the trained buffers
        assert np.allclose(result.outputs[-1], net.forward(result.x[None])[-1][0])


# -- a weights record that anyone could have edited --------------------------------------------------

RECIPE = {"epochs": 8, "train_samples": 8000, "lr": 0.002, "batch": 32, "validation_accuracy": 0.95,
          "dataset": "shapes"}


DAMAGED = [{"epochs": "8"}, {"train_samples": "8000"}, {"validation_accuracy": "95%"}, {"epochs": True},
           {"dataset": 3}, {"lr": None}]


async def test_a_recipe_with_a_figure_that_is_not_a_number_is_passed_over(tmp_path, monkeypatch):
    from dataclasses import replace

    import cnntui.train.record

    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        screen.plan = replace(screen.plan, dataset="shapes", epochs=1, samples=100)
        for damage in DAMAGED:
            monkeypatch.setattr(cnntui.train.record, "weights_record", lambda _, damage=damage: {**RECIPE, **damage})
            screen.tell_recipe("minires")  # no TypeError: the record is passed over
        monkeypatch.setattr(cnntui.train.record, "weights_record", lambda _: RECIPE)
        screen.tell_recipe("minires")  # the same record, whole, is told
        await until(pilot, lambda: app._notifications)
        await pilot.pause()
        assert ["8 epochs on 8,000 samples" in notice.message for notice in app._notifications] == [True]


def test_the_dropout_arm_is_named_in_chinese_as_the_fc_head_it_adds_to():
    assert text("zh", "train.arm.dropout") == f"{text('zh', 'train.arm.fc')} + dropout"
    assert text("zh", "quiz.topic.dropout") == "Dropout（随机失活）"  # Learn's page title for it
    from cnntui.learn.pages import load_pages

    assert load_pages()["dropout"].title["zh"] == text("zh", "quiz.topic.dropout")
