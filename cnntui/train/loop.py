"""The training loop: mini-batches, forward, loss, backward, an optimiser step; then validation.

It reports after every batch (for progress bars and live curves) and after
every epoch, and stops early when a report callback returns False (the app's
Stop, or a cancelled worker).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .datasets import Dataset
from .losses import loss_and_grad
from .optim import SGD, Adam


@dataclass(frozen=True)
class Settings:
    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "adam"  # or "sgd" (with momentum 0.9)
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0

    def make_optimizer(self):
        if self.optimizer == "sgd":
            return SGD(self.lr, momentum=0.9, weight_decay=self.weight_decay)
        return Adam(self.lr, weight_decay=self.weight_decay)


@dataclass(frozen=True)
class BatchReport:
    epoch: int
    batch: int
    batches: int
    loss: float
    accuracy: float


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float


def train_step(net, x: np.ndarray, y: np.ndarray, optimizer, seed: int | None = None) -> tuple[float, float]:
    """One update on the batch (x, y); returns the batch's loss and accuracy before it.
    The forward pass is in training mode: batch norm on the batch's statistics (updating its running
    ones), dropout dropping with masks drawn from ``seed``."""
    outputs = net.forward(x, training=True, seed=seed)
    loss, start, grad = loss_and_grad(net, outputs, y)
    _, grads = net.backward(x, outputs, grad, from_layer=start)
    optimizer.step(net.weights, grads)
    return loss, float((outputs[-1].argmax(axis=1) == y).mean())


def evaluate(net, data: Dataset, batch_size: int = 256) -> tuple[float, float]:
    """(mean loss, accuracy) over ``data`` in eval mode, without changing the weights."""
    total_loss = correct = 0.0
    for x, y in data.batches(batch_size, shuffle=False):
        outputs = net.forward(x)
        loss, _, _ = loss_and_grad(net, outputs, y)
        total_loss += loss * len(y)
        correct += float((outputs[-1].argmax(axis=1) == y).sum())
    return total_loss / max(len(data), 1), correct / max(len(data), 1)


class Trainer:
    """One network's training, an epoch at a time: the optimiser's state and the
    batch order carry over, so two runs can take turns (the overfitting experiment)."""

    def __init__(self, net, train_set: Dataset, val_set: Dataset, settings: Settings):
        self.net, self.train_set, self.val_set, self.settings = net, train_set, val_set, settings
        self.optimizer = settings.make_optimizer()
        self.rng = np.random.default_rng(settings.seed)
        self.batches = -(-len(train_set) // settings.batch_size)
        self.history: list[EpochReport] = []

    def mask_seed(self, epoch: int, batch: int) -> int:
        """The seed of dropout's masks for one batch, drawn from the run's seed and the batch's place: a run
        repeats exactly, and each batch gets masks of its own."""
        return int(np.random.SeedSequence([self.settings.seed, epoch, batch]).generate_state(1)[0])

    @property
    def done(self) -> bool:
        return len(self.history) >= self.settings.epochs

    def epoch(self, on_batch: Callable[[BatchReport], bool | None] | None = None) -> EpochReport | None:
        """Train one epoch and validate; None if ``on_batch`` returned False (stopped mid-epoch)."""
        number = len(self.history) + 1
        started = time.perf_counter()
        seen = loss_sum = correct = 0.0
        for index, (x, y) in enumerate(self.train_set.batches(self.settings.batch_size, self.rng), 1):
            loss, accuracy = train_step(self.net, x, y, self.optimizer, self.mask_seed(number, index))
            seen += len(y)
            loss_sum += loss * len(y)
            correct += accuracy * len(y)
            if on_batch is not None and on_batch(BatchReport(number, index, self.batches, loss, accuracy)) is False:
                return None
        # in training-sized batches: validation then never needs more memory than training (checked
        # before the data is drawn, see datasets.check_memory)
        val_loss, val_accuracy = evaluate(self.net, self.val_set, self.settings.batch_size)
        report = EpochReport(number, loss_sum / seen, correct / seen, val_loss, val_accuracy,
                             time.perf_counter() - started)
        self.history.append(report)
        return report


def train(net, train_set: Dataset, val_set: Dataset, settings: Settings,
          on_batch: Callable[[BatchReport], bool | None] | None = None,
          on_epoch: Callable[[EpochReport], bool | None] | None = None) -> list[EpochReport]:
    """Train ``net`` in place; a callback returning False stops after the current batch."""
    trainer = Trainer(net, train_set, val_set, settings)
    while not trainer.done:
        report = trainer.epoch(on_batch)
        if report is None or (on_epoch is not None and on_epoch(report) is False):
            break
    return trainer.history
