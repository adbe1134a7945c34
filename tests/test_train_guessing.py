"""Telling a network that only guesses (its loss stuck at ln of the number of classes) from one that learns."""

from __future__ import annotations

import math

import pytest

from cnntui.core import Network
from cnntui.train.datasets import make_dataset
from cnntui.train.live import CHANCE_MARGIN, LiveRun, Point, chance_loss, guessing_epoch
from cnntui.train.loop import Settings, Trainer


def points(losses: list[tuple[float, float]]) -> list[Point]:
    return [Point("net", x, loss, 0.2, loss, 0.2) for x, loss in losses]


def test_chance_is_the_loss_of_equal_odds():
    assert chance_loss(10) == pytest.approx(-math.log(1 / 10)) == pytest.approx(2.302585)
    assert chance_loss(5) == pytest.approx(1.609438)


def test_a_whole_epoch_at_chance_is_guessing():
    # tinyvgg-gap on shapes, as measured when they were five classes: ln 5 = 1.609
    stuck = points([(0.0, 1.772), (0.24, 1.714), (0.48, 1.604), (0.72, 1.622), (1.0, 1.612)])
    assert guessing_epoch(stuck, 5) == 1
    # above chance is no better (a network pushed off by too big a step)
    assert guessing_epoch(points([(0.5, 2.9), (1.0, 3.4)]), 10) == 1


def test_one_point_below_chance_in_the_epoch_means_it_is_learning():
    chance = chance_loss(5)
    learning = points([(0.0, 1.7), (0.5, (1 - CHANCE_MARGIN) * chance - 0.01), (1.0, 1.61)])
    assert guessing_epoch(learning, 5) is None
    # only the epoch just finished counts: epoch 1 learned, epoch 2 went back to chance
    later = points([(0.5, 1.0), (1.0, 0.9), (1.5, 1.62), (2.0, 1.61)])
    assert guessing_epoch(later, 5) == 2
    assert guessing_epoch(later[:2], 5) is None


def test_only_at_the_end_of_an_epoch():
    assert guessing_epoch(points([(0.0, 2.3), (0.5, 2.3)]), 10) is None  # the epoch is not over
    assert guessing_epoch(points([(0.0, 2.3)]), 10) is None  # the start is not an epoch
    assert guessing_epoch([], 10) is None
    assert guessing_epoch(points([(1.0, 0.0)]), 1) is None  # one class: nothing to guess


def test_a_real_run_that_cannot_move_is_found_and_one_that_learns_is_not():
    data = make_dataset("digits", 560, 3, 28).split(60)
    spec = {"name": "small", "input": [1, 28, 28], "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 5, "stride": 2}, {"type": "relu"},
        {"type": "flatten"}, {"type": "linear", "out_features": 10}]}
    found = {}
    for name, lr in (("frozen", 1e-7), ("learning", 5e-3)):
        net = Network.from_dict(spec)
        net.init_weights(0)
        # the weights start small, so the first outputs are close to equal odds
        net.weights["3.weight"] *= 0.01
        reported = []
        LiveRun({"net": Trainer(net, *data, Settings(epochs=2, batch_size=20, lr=lr, seed=0))}, reported.append).run()
        found[name] = guessing_epoch(reported, 10)
    assert found == {"frozen": 2, "learning": None}
