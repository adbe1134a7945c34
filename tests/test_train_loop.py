"""The training loop and `cnntui train`: the loss really falls, stopping works, and the command's
output loads back, with every mistake a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnntui.core import Network
from cnntui.train.datasets import make_dataset
from cnntui.train.loop import Settings, evaluate, train

SCRIPT = Path(sys.executable).with_name("cnntui")
SMALL = {"name": "small", "input": [1, 28, 28], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 5}, {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 4},
    {"type": "flatten"}, {"type": "linear", "out_features": 10}]}


@pytest.fixture(scope="module")
def digits():
    return make_dataset("digits", 600, 3, 28).split(0.25)


def test_training_reduces_the_loss_substantially(digits):
    train_set, val_set = digits
    net = Network.from_dict(SMALL)
    net.init_weights(0)
    before_loss, before_accuracy = evaluate(net, val_set)
    history = train(net, train_set, val_set, Settings(epochs=10, batch_size=32, lr=5e-3))
    assert [report.epoch for report in history] == list(range(1, 11))
    assert history[-1].val_loss < 0.5 * before_loss
    assert history[-1].val_accuracy > max(0.6, before_accuracy + 0.4)
    assert history[-1].train_loss < history[0].train_loss


def test_training_is_deterministic_for_a_seed(digits):
    train_set, val_set = digits
    weights = []
    for _ in range(2):
        net = Network.from_dict(SMALL)
        net.init_weights(5)
        train(net, train_set, val_set, Settings(epochs=1, batch_size=50, seed=5))
        weights.append(net.weights["4.weight"].copy())
    np.testing.assert_array_equal(*weights)


def test_a_callback_returning_false_stops_training(digits):
    train_set, val_set = digits
    net = Network.from_dict(SMALL)
    net.init_weights(0)
    seen = []
    history = train(net, train_set, val_set, Settings(epochs=3, batch_size=30),
                    on_batch=lambda report: seen.append(report.batch) or report.batch < 4)
    assert seen == [1, 2, 3, 4] and history == []


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False,
                          env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(cwd / "cache"), "HOME": str(cwd)})


def test_cnntui_train_writes_weights_that_load_and_a_record(tmp_path):
    (tmp_path / "small.json").write_text(json.dumps(SMALL))
    result = run("train", "small.json", "--dataset", "digits", "--epochs", "2", "--samples", "400", "--seed", "2",
                 "--lr", "0.003", "--out", "w.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "epoch 2/2" in result.stderr and "validation accuracy" in result.stderr and "Traceback" not in result.stderr
    record = json.loads((tmp_path / "w.json").read_text())
    assert record["dataset"] == "digits" and record["validation_samples"] == 80 and record["epochs"] == 2
    assert record["command"].startswith("cnntui train small.json --dataset digits")
    net = Network.load(tmp_path / "small.json")
    net.load_weights(tmp_path / "w.npz")
    data = make_dataset("digits", 400, 2, 28).split(0.2)[1]
    _, accuracy = evaluate(net, data)
    assert accuracy == pytest.approx(record["validation_accuracy"], abs=1e-4)
    assert list((tmp_path / "cache" / "cnntui" / "datasets").glob("digits-28-400-2-*.npz"))


@pytest.mark.parametrize(("args", "words"), [
    (["tinyvgg", "--dataset", "digits"], "tinyvgg takes 3x64x64 but the digits dataset is 1x32x32 or 1x28x28"),
    (["lenet5", "--dataset", "shapes"], "lenet5 takes 1x32x32 but the shapes dataset is 3x64x64"),
    (["lenet5", "--dataset", "digits", "--epochs", "0"], "'0' is not a valid number of epochs"),
    (["lenet5", "--dataset", "digits", "--lr", "fast"], "'fast' is not a learning rate"),
    (["lenet5", "--dataset", "letters"], "--dataset 'letters' is neither a built-in dataset nor a folder"),
    (["lenet5", "--dataset", "digit"], "is neither a built-in dataset (did you mean 'digits'?) nor a folder"),
    (["lenet5", "--dataset", "digits"], "the following arguments are required: --out"),
])
def test_train_mistakes_get_one_line_and_exit_2(tmp_path, args, words):
    needs_out = "--out" not in " ".join(args) and "required: --out" not in words
    result = run("train", *args, *(["--out", "w.npz"] if needs_out else []), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnntui: error:") and words in lines[0]
    assert not (tmp_path / "w.npz").exists()


def test_a_network_whose_output_is_too_small_for_the_classes_is_refused(tmp_path):
    spec = {**SMALL, "layers": [*SMALL["layers"][:-1], {"type": "linear", "out_features": 3}]}
    (tmp_path / "three.json").write_text(json.dumps(spec))
    result = run("train", "three.json", "--dataset", "digits", "--out", "w.npz", cwd=tmp_path)
    assert result.returncode == 2 and "has 10 classes" in result.stderr
