"""LiveRun: the points it reports, taking turns between two networks, pausing and stopping from
another thread; and the training charts drawn from its points."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from cnntui.core import Network
from cnntui.render.picture import picture_text
from cnntui.render.plot import Series, chart_rows
from cnntui.train.datasets import make_dataset
from cnntui.train.live import LiveRun
from cnntui.train.loop import Settings, Trainer, evaluate

SMALL = {"name": "small", "input": [1, 28, 28], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 5, "stride": 2}, {"type": "relu"},
    {"type": "flatten"}, {"type": "linear", "out_features": 10}]}


@pytest.fixture(scope="module")
def digits():
    return make_dataset("digits", 260, 3, 28).split(60)


def trainer(digits, epochs=2, seed=0, batch=20):
    net = Network.from_dict(SMALL)
    net.init_weights(seed)
    return Trainer(net, *digits, Settings(epochs=epochs, batch_size=batch, lr=5e-3, seed=seed))


def test_points_start_before_training_then_come_four_times_an_epoch(digits):
    points = []
    run = trainer(digits)
    start_val = evaluate(run.net, digits[1])
    assert LiveRun({"net": run}, points.append, watched=digits[1].x[0]).run()
    # 200 samples in batches of 20: 10 batches, a point every 2 batches, the last one at the epoch's end
    assert [p.x for p in points] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]
    assert (points[0].val_loss, points[0].val_accuracy) == pytest.approx(start_val)
    assert (points[-1].val_loss, points[-1].val_accuracy) == pytest.approx(
        (run.history[-1].val_loss, run.history[-1].val_accuracy))
    assert points[-1].val_loss < points[0].val_loss
    first, last = points[0], points[-1]
    assert first.kernels.shape == (4, 1, 5, 5) and not np.array_equal(first.kernels, last.kernels)
    assert last.maps.shape == (4, 12, 12) and (last.maps >= 0).all()  # after the ReLU
    assert np.allclose(last.probabilities, run.net.forward(digits[1].x[:1])[-1][0])


def test_the_watched_kernels_are_copies(digits):
    points = []
    run = trainer(digits, epochs=1)
    LiveRun({"net": run}, points.append, watched=digits[1].x[0]).run()
    assert not np.shares_memory(points[-1].kernels, run.net.weights["0.weight"])


def test_two_runs_take_turns_an_epoch_at_a_time_and_match_running_alone(digits):
    order = []
    runs = {"a": trainer(digits, epochs=2, seed=1), "b": trainer(digits, epochs=2, seed=2)}
    LiveRun(runs, lambda p: order.append((p.arm, p.x)), checkpoints=1).run()
    assert order == [("a", 0.0), ("b", 0.0), ("a", 1.0), ("b", 1.0), ("a", 2.0), ("b", 2.0)]
    alone = trainer(digits, epochs=2, seed=1)
    while not alone.done:
        alone.epoch()
    assert np.allclose(alone.net.weights["3.weight"], runs["a"].net.weights["3.weight"])


def test_pause_holds_training_and_stop_ends_it_from_another_thread(digits):
    points, progress = [], []
    run = trainer(digits, epochs=50, batch=10)
    live = LiveRun({"net": run}, points.append, on_progress=progress.append, progress_every=0.0)
    worker = threading.Thread(target=lambda: progress.append(("finished", live.run())))
    worker.start()
    while len(points) < 3:
        time.sleep(0.01)
    live.pause()
    time.sleep(0.3)  # the batch under way finishes
    held = len(progress)
    time.sleep(0.5)
    assert len(progress) == held, "a paused run went on"
    live.resume()
    while len(progress) == held:
        time.sleep(0.01)
    live.stop()
    worker.join(10)
    assert not worker.is_alive()
    assert progress[-1] == ("finished", False)
    assert len(run.history) < 50


def test_a_cancelled_worker_stops_a_paused_run(digits):
    cancelled = threading.Event()
    live = LiveRun({"net": trainer(digits, epochs=50)}, lambda p: None, cancelled=cancelled.is_set)
    live.pause()
    result = []
    worker = threading.Thread(target=lambda: result.append(live.run()))
    worker.start()
    time.sleep(0.3)
    cancelled.set()
    worker.join(10)
    assert result == [False]


def test_chart_draws_each_series_in_its_colour_between_its_ends():
    rising = Series([(0, 0.0), (1, 0.5), (2, 1.0)], "blue", "*")
    flat = Series([(0, 0.9), (1, 0.9)], "orange", "o")
    rows = chart_rows([rising, flat], width=24, height=5, x_max=4, y_range=(0, 1), ascii_only=True,
                      y_format="{:.0%}", x_label="epochs")
    text = picture_text(rows).split("\n")
    assert text[0].startswith("100%|") and text[4].startswith("  0%|")
    assert text[-1].split() == ["0", "epochs", "4"]
    plot = [line[5:] for line in text[:5]]
    width = len(plot[0])
    # the rising line goes from the bottom left to the top at x = 2 (half way), then nothing
    assert plot[4][0] == "*" and plot[0][width // 2 - 1: width // 2 + 1].strip("* ") == ""
    assert "*" in plot[0][width // 2 - 1: width // 2 + 1]
    assert all(line[width // 2 + 1:].strip() == "" for line in plot[1:])
    # the flat line ends at x = 1, a quarter of the way
    assert set(plot[0][: width // 4 - 1]) == {"o"}
    styles = {piece.style for row in rows for piece in row if piece.text.strip() in ("*", "o")}
    assert styles == {"blue", "orange"}


def test_braille_chart_colours_a_shared_cell_by_the_series_with_more_dots():
    low = Series([(0, 0.0), (1, 0.0)], "low", "*")
    high = Series([(0, 1.0), (1, 1.0)], "high", "o")
    rows = chart_rows([low, high], width=12, height=1, x_max=1, y_range=(0, 1))
    cells = [piece for piece in rows[0][1:] if piece.text.strip()]
    assert {piece.text for piece in cells} == {chr(0x2800 | 0x01 | 0x08 | 0x40 | 0x80)}  # top and bottom dots
    assert {piece.style for piece in cells} == {"high"}  # a tie: the later series
