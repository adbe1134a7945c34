"""The trained weights that ship with presets (made by scripts/train_weights.sh).

They load, the record beside each says how it was made, and they still score
what the record says on a freshly drawn set the training never saw.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cnntui.core import Network, assets_dir, preset_names
from cnntui.core.assets import find_sample
from cnntui.images import load_image
from cnntui.train.datasets import make_dataset

ROOT = Path(__file__).resolve().parent.parent
# preset: (dataset, the validation accuracy it must reach)
SHIPPED = {"lenet5": ("digits", 0.97), "tinyvgg": ("shapes", 0.95), "minires": ("shapes", 0.95)}
FRESH_SEED = 987_654  # no training run uses it (see scripts/train_weights.sh)
FRESH_SAMPLES = 1000
TOLERANCE = 0.025  # fresh accuracy within 2.5 points of the record (1000 samples: ~0.5 point standard error)


def shipped(name: str) -> tuple[Network, Path, dict]:
    net = Network.load(name)
    path = net.shipped_weights
    assert path is not None, f"{name} names no weights file, or it is missing"
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return net, path, record


def test_exactly_these_presets_ship_trained_weights():
    assert {name for name in preset_names() if Network.load(name).shipped_weights} == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_weights_load_and_their_record_says_how_they_were_made(name):
    net, path, record = shipped(name)
    net.load_weights(path)
    assert set(net.weights) == set(net.state_shapes())  # batch norm's running statistics too
    assert all(np.isfinite(value).all() for value in net.weights.values())
    dataset, target = SHIPPED[name]
    assert record["network"] == name and record["dataset"] == dataset
    assert record["classes"] == net.classes
    assert record["validation_accuracy"] >= target
    for key in ("samples", "seed", "epochs", "batch", "lr", "validation_samples"):
        assert isinstance(record[key], (int, float)), key
    assert record["validation_samples"] >= 1000
    command = record["command"]
    assert command.startswith(f"cnntui train {name} --dataset {dataset} ")
    assert f"--seed {record['seed']} " in command and f"--epochs {record['epochs']} " in command
    # The script that makes them runs exactly the recorded command.
    script = (ROOT / "scripts" / "train_weights.sh").read_text(encoding="utf-8")
    assert re.sub(r" --out \S+$", "", command) in script


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_accuracy_on_a_fresh_validation_set(name):
    net, path, record = shipped(name)
    net.load_weights(path)
    dataset, target = SHIPPED[name]
    assert FRESH_SEED != record["seed"]
    data = make_dataset(dataset, FRESH_SAMPLES, FRESH_SEED, net.input_shape[1])
    assert data.classes == net.classes
    predicted = np.concatenate([net.forward(data.x[i:i + 250])[-1].argmax(axis=1)
                                for i in range(0, len(data), 250)])
    accuracy = float((predicted == data.y).mean())
    assert accuracy >= target, f"{name}: {accuracy:.1%} on fresh {dataset}"
    assert abs(accuracy - record["validation_accuracy"]) <= TOLERANCE, (accuracy, record["validation_accuracy"])


# every shape class but the line has a sample image ("lines" is stripes, for the feature maps)
SHAPE_SAMPLES = {shape: shape for shape in
                 ("circle", "square", "triangle", "cross", "ring", "star", "crescent", "arrow", "corner")}


@pytest.mark.parametrize(("name", "samples"), [
    ("lenet5", {f"digit-{d}": str(d) for d in range(10)}),
    ("tinyvgg", SHAPE_SAMPLES),
    ("minires", SHAPE_SAMPLES),
])
def test_the_sample_images_view_shows_are_recognised(name, samples):
    net, path, _ = shipped(name)
    net.load_weights(path)
    for sample, label in samples.items():
        x, _ = load_image(find_sample(sample), net.input_shape)
        assert net.classes[int(net.forward(x)[-1].argmax())] == label, sample


def test_shipped_weights_are_small_and_inside_the_packaged_assets():
    files = [path for name in SHIPPED for path in (shipped(name)[1], shipped(name)[1].with_suffix(".json"))]
    assert sum(path.stat().st_size for path in files) < 1 << 20
    for path in files:
        assert path.resolve().is_relative_to(assets_dir().resolve())
    # assets/ goes into the wheel as cnntui/assets, weights folder included
    assert '"assets" = "cnntui/assets"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
