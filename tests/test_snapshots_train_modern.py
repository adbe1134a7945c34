"""Snapshots of the batch-norm and dropout experiments' finished screens at 80x24 (batch norm in English,
dropout in Chinese), from made-up figures: real runs differ in their timings."""

from __future__ import annotations

import numpy as np
import pytest

from test_snapshots import app, showing_run


def made_up_experiment(screen, name: str):
    """A finished experiment ``name`` with fixed curves: the arm without the feature learns slower
    (batch norm) or memorises more (dropout)."""
    from cnntui.train.live import Point, Progress
    from cnntui.tui.screens.train import Arm, Run, experiment_title

    t = screen.app.t
    if name == "batchnorm":
        keys, params, batches, epochs = ("plain", "bn"), ((23_946, 650), (24_170, 650)), 30, 10
    else:
        keys, params, batches, epochs = ("fc", "dropout"), ((828_938, 805_642), (828_938, 805_642)), 13, 30
    points = {}
    for key, fit, gap in zip(keys, (0.4, 1.2), (1.5, 0.4)):
        steps = np.arange(1, batches * epochs + 1) / batches
        losses = 2.3 * np.exp(-steps * fit) + 0.05 * np.sin(steps * 7) ** 2
        points[key] = [Point(key, 0.0, 2.3, 0.1, 2.3, 0.1)]
        for epoch in range(1, epochs + 1):
            batch = losses[(epoch - 1) * batches:epoch * batches]
            train_accuracy = 1 - 0.9 * np.exp(-epoch * fit)
            points[key].append(Point(key, float(epoch), float(batch.mean()), float(train_accuracy),
                                     float(batch.mean() + gap * epoch / epochs), float(train_accuracy - gap / 5),
                                     batch_losses=tuple(float(loss) for loss in batch)))
    arms = {key: Arm(f"train.arm.{key}", total, head, translated=True) for key, (total, head) in zip(keys, params)}
    return Run("experiment", lambda: t(experiment_title(name) + ".sizes", train=480 if name == "batchnorm" else 200,
                                       epochs=epochs),
               experiment=name, state="done", epochs=epochs, arms=arms, points=points,
               progress=Progress(keys[1], epochs, epochs, batches, batches, 30.0))


@pytest.mark.parametrize(("name", "language"), [("batchnorm", "en"), ("dropout", "zh")])
def test_train_experiment_finished(snap_compare, name, language):
    assert snap_compare(app("train", language), terminal_size=(80, 24),
                        run_before=showing_run(lambda screen: made_up_experiment(screen, name)))
