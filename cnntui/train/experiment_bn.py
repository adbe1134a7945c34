"""The batch-norm experiment (issue #17): the same small convolutional network with and without
batch normalisation after each convolution.

Both arms have the overfitting experiment's three convolutions and its global-average-pooling
head; the ``bn`` arm adds a ``batchnorm2d`` after each convolution and is otherwise the same: the
convolutions draw the very same weights from the seed (batch norm's scale and shift start at 1 and
0 and draw nothing), and both see the same digits in the same batch order with the same Adam rate.
Every batch's training loss is kept, so the loss can be drawn against steps; the verdict counts the
steps each arm needs before its loss, averaged over SMOOTHING batches, first comes down to
LOSS_LEVEL, and gives each arm's validation accuracy at the end.

What it showed for seeds 0, 1 and 2 (480 training digits, 10 epochs of 30 batches, 300 steps;
``python benchmarks/bench_experiments.py``, with one BLAS thread as the app runs): without batch norm
the loss came down to 1.0 after 160, 143 and 184 steps, with it after 76, 78 and 64: 2.1, 1.8 and 2.9
times sooner (to 1.5: 114, 114, 126 against 47, 39, 37). At the end the network without batch norm
was at 77.7%, 83.0% and 93.7% validation accuracy, the one with it at 87.7%, 95.7% and 79.7%; the
latter jumps about from epoch to epoch (seed 2: 70%, 38%, 75% at epochs 5-7), probably because it
validates with running statistics averaged over recent batches while the weights still move fast. Both
arms took 10-15 s,
drawing the data included, on a shared two-core machine.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .datasets import Progress
from .experiment import BODY, GAP_HEAD, Experiment, digits, make_arm
from .loop import Settings

# 15 batches of 32 an epoch would halve the steps without halving the work; 480 digits in batches
# of 16 give 30 steps an epoch and, in 10 epochs, 300 steps: time for the arm without batch norm to
# leave chance (it takes 70-85 steps) and come down to LOSS_LEVEL, in 10-15 s for both arms.
TRAIN_SAMPLES = 480
# Validated once an epoch; 300 digits give the accuracy to within about 3 points.
VALIDATION_SAMPLES = 300
EPOCHS = 10
BATCH_SIZE = 16
LEARNING_RATE = 5e-3  # the overfitting experiment's rate, where the plain network is slow to start
# Well below chance (ln 10 = 2.30): in seeds 0-2 both arms got there, the one without batch norm
# after 143-184 of the 300 steps, so a slower run still has room to reach it.
LOSS_LEVEL = 1.0
# Batch losses jump about (a batch of 16 is a small sample): the level counts as reached when the
# mean of the last SMOOTHING batches is at or under it.
SMOOTHING = 8


def with_batch_norm(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``layers`` with a batch norm after each convolution."""
    out = []
    for layer in copy.deepcopy(layers):
        out.append(layer)
        if layer["type"] == "conv2d":
            out.append({"type": "batchnorm2d"})
    return out


def arms():
    plain = make_arm("plain", GAP_HEAD, "Three convolutions, then global average pooling.", prefix="batchnorm")
    normed = make_arm("bn", GAP_HEAD, "The same three convolutions, each followed by batch normalisation, "
                                      "then global average pooling.", body=with_batch_norm(BODY), prefix="batchnorm")
    return [plain, normed]


def batchnorm_experiment(seed: int = 0, progress: Progress | None = None) -> Experiment:
    """The experiment for ``seed`` (data, batch order, initial weights)."""
    train_set, val_set = digits(TRAIN_SAMPLES, VALIDATION_SAMPLES, seed, progress)
    settings = Settings(epochs=EPOCHS, batch_size=BATCH_SIZE, optimizer="adam", lr=LEARNING_RATE, seed=seed)
    return Experiment(train_set, val_set, arms(), settings, name="batchnorm")


def smoothed(losses: list[float], window: int | None = None) -> list[float]:
    """For each step from the ``window``-th (default SMOOTHING) on, the mean loss of the last ``window`` steps."""
    window = window or SMOOTHING
    return [sum(losses[end - window:end]) / window for end in range(window, len(losses) + 1)]


def steps_to(losses: list[float], level: float | None = None, window: int | None = None) -> int | None:
    """The first step (counted from 1) at which the mean of the last ``window`` (default SMOOTHING) batch
    losses is at or under ``level`` (default LOSS_LEVEL); None if it never is."""
    level, window = LOSS_LEVEL if level is None else level, window or SMOOTHING
    return next((step for step, loss in enumerate(smoothed(losses, window), window) if loss <= level), None)


@dataclass(frozen=True)
class ArmFigures:
    steps: int | None  # to LOSS_LEVEL, or None
    total_steps: int
    val_accuracy: float  # at the end


def figures(batch_losses: dict[str, list[float]], val_accuracy: dict[str, float],
            level: float | None = None) -> dict[str, ArmFigures]:
    """Each arm's measured figures from its batch losses and its last validation accuracy."""
    return {arm: ArmFigures(steps_to(losses, level), len(losses), val_accuracy[arm])
            for arm, losses in batch_losses.items()}
