"""Training that is watched while it runs: the app's Train mode (and anything else that draws curves).

A ``LiveRun`` trains one or more networks in the calling thread (a worker),
taking turns an epoch at a time, and reports ``Point``s: training and
validation loss and accuracy a few times per epoch, plus what the network
looks like inside (its first layer's kernels, one sample's feature maps and
prediction). Another thread may pause, resume or stop it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .datasets import Dataset
from .loop import BatchReport, Trainer, evaluate

START_SAMPLES = 500  # training samples scored before the first step, for the curves' starting point
CHANCE_MARGIN = 0.05  # a loss not 5% below ln(classes) is no better than giving every class the same odds


@dataclass(frozen=True)
class Point:
    """One moment of one run: ``x`` is the number of epochs done (fractional within an epoch)."""

    arm: str
    x: float
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    kernels: np.ndarray | None = None  # the first conv layer's weights (out, in, k, k), a copy
    maps: np.ndarray | None = None  # the watched sample's maps after the first conv layer and its activation
    probabilities: np.ndarray | None = None  # the watched sample's output
    batch_losses: tuple[float, ...] = ()  # the loss of each batch trained since the arm's last point


@dataclass(frozen=True)
class Progress:
    arm: str
    epoch: int
    epochs: int
    batch: int
    batches: int
    seconds: float  # since the run started, pauses excluded


def chance_loss(classes: int) -> float:
    """The cross-entropy of a network that gives every class the same probability: ln(classes)."""
    return math.log(classes)


def guessing_epoch(points: list[Point], classes: int) -> int | None:
    """The epoch that ``points`` (one arm's, in order) just finished, if the network was guessing all
    through it: no training loss of that epoch came CHANCE_MARGIN below chance, ln(classes) (a loss
    above it is no better). Else None."""
    if classes < 2 or not points or points[-1].x < 1 or points[-1].x != int(points[-1].x):
        return None
    epoch = int(points[-1].x)
    losses = [point.train_loss for point in points if epoch - 1 < point.x <= epoch]
    return epoch if min(losses) >= (1 - CHANCE_MARGIN) * chance_loss(classes) else None


def first_conv(net) -> int | None:
    return next((i for i, layer in enumerate(net.layers) if layer.type == "conv2d"), None)


def watched_layer(net, conv: int) -> int:
    """The layer whose maps are shown: the first conv layer, or the activation right after it that reads it
    (after a concat's branch, the next step can read the network's input instead)."""
    after = conv + 1
    if after < len(net.layers) and net.layers[after].is_activation and net.summary()[after].sources == (conv,):
        return after
    return conv


def head(data: Dataset, count: int) -> Dataset:
    return Dataset(data.name, data.x[:count], data.y[:count], data.classes, data.seed)


class LiveRun:
    """Train ``trainers`` (name -> Trainer) in turns; ``on_point`` and ``on_progress`` are called
    from the training thread. ``watched`` is one sample (C x H x W) to look inside, or None."""

    def __init__(self, trainers: dict[str, Trainer], on_point: Callable[[Point], None], *,
                 on_progress: Callable[[Progress], None] | None = None, checkpoints: int = 4,
                 watched: np.ndarray | None = None, progress_every: float = 0.2,
                 cancelled: Callable[[], bool] = lambda: False):
        self.trainers = trainers
        self.on_point, self.on_progress = on_point, on_progress
        self.checkpoints, self.watched, self.progress_every = checkpoints, watched, progress_every
        self.cancelled = cancelled
        self._running = threading.Event()
        self._running.set()
        self._stopped = False
        self._sums: dict[str, list[float]] = {}  # arm -> [samples, loss sum, correct] since the last point
        self._losses: dict[str, list[float]] = {}  # arm -> each batch's loss since the last point
        self._paused_seconds = 0.0
        self._started = self._last_progress = 0.0

    # -- control, from any thread --------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stopped = True
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped or self.cancelled()

    # -- running, in the training thread ---------------------------------------------------

    def run(self) -> bool:
        """Train every run to its last epoch; False if stopped on the way."""
        self._started = time.perf_counter()
        for arm, trainer in self.trainers.items():
            start_loss, start_accuracy = evaluate(trainer.net, head(trainer.train_set, START_SAMPLES))
            self._emit(arm, trainer, 0.0, start_loss, start_accuracy)
            if self.stopped:
                return False
        while not all(trainer.done for trainer in self.trainers.values()):
            for arm, trainer in self.trainers.items():
                if trainer.done:
                    continue
                self._sums[arm] = [0.0, 0.0, 0.0]
                report = trainer.epoch(lambda batch, arm=arm, trainer=trainer: self._batch_done(arm, trainer, batch))
                if report is None:
                    return False
                samples, loss_sum, correct = self._sums[arm]
                if samples:
                    self._emit(arm, trainer, float(report.epoch), loss_sum / samples, correct / samples,
                               (report.val_loss, report.val_accuracy))
        return True

    def _batch_done(self, arm: str, trainer: Trainer, batch: BatchReport) -> bool:
        sums = self._sums[arm]
        batch_size = trainer.settings.batch_size
        size = min(batch_size, len(trainer.train_set) - (batch.batch - 1) * batch_size)  # the last may be short
        sums[0] += size
        sums[1] += batch.loss * size
        sums[2] += batch.accuracy * size
        self._losses.setdefault(arm, []).append(batch.loss)
        step = max(1, batch.batches // self.checkpoints)
        if batch.batch % step == 0 and batch.batch < batch.batches and batch.batches - batch.batch >= step // 2:
            done = batch.epoch - 1 + batch.batch / batch.batches
            self._emit(arm, trainer, done, sums[1] / sums[0], sums[2] / sums[0])
            self._sums[arm] = [0.0, 0.0, 0.0]
        self._report_progress(arm, trainer, batch)
        return self._wait_while_paused()

    def _wait_while_paused(self) -> bool:
        if not self._running.is_set():
            paused_at = time.perf_counter()
            while not self._running.wait(0.1):
                if self.cancelled():
                    return False
            self._paused_seconds += time.perf_counter() - paused_at
        return not self.stopped

    def _report_progress(self, arm: str, trainer: Trainer, batch: BatchReport) -> None:
        now = time.perf_counter()
        too_soon = now - self._last_progress < self.progress_every and batch.batch < batch.batches
        if self.on_progress is None or too_soon:
            return
        self._last_progress = now
        self.on_progress(Progress(arm, batch.epoch, trainer.settings.epochs, batch.batch, batch.batches,
                                  now - self._started - self._paused_seconds))

    def _emit(self, arm: str, trainer: Trainer, x: float, train_loss: float, train_accuracy: float,
              validation: tuple[float, float] | None = None) -> None:
        val_loss, val_accuracy = validation or evaluate(trainer.net, trainer.val_set)
        kernels = maps = probabilities = None
        conv = first_conv(trainer.net)
        if self.watched is not None:
            outputs = trainer.net.forward(self.watched[None])
            probabilities = outputs[-1][0].copy()
            if conv is not None:
                kernels = trainer.net.step_params(conv)["weight"].copy()
                maps = outputs[watched_layer(trainer.net, conv)][0].copy()
        losses = tuple(self._losses.pop(arm, ()))
        self.on_point(Point(arm, x, train_loss, train_accuracy, val_loss, val_accuracy, kernels, maps, probabilities,
                            losses))
