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


def train_step(net, x: np.ndarray, y: np.ndarray, optimizer) -> tuple[float, float]:
    """One update on the batch (x, y); returns the batch's loss and accuracy before it."""
    outputs = net.forward(x)
    loss, start, grad = loss_and_grad(net, outputs, y)
    _, grads = net.backward(x, outputs, grad, from_layer=start)
    optimizer.step(net.weights, grads)
    return loss, float((outputs[-1].argmax(axis=1) == y).mean())


def evaluate(net, data: Dataset, batch_size: int = 256) -> tuple[float, float]:
    """(mean loss, accuracy) over ``data``, without changing the weights."""
    total_loss = correct = 0.0
    for x, y in data.batches(batch_size, shuffle=False):
        outputs = net.forward(x)
        loss, _, _ = loss_and_grad(net, outputs, y)
        total_loss += loss * len(y)
        correct += float((outputs[-1].argmax(axis=1) == y).sum())
    return total_loss / max(len(data), 1), correct / max(len(data), 1)


def train(net, train_set: Dataset, val_set: Dataset, settings: Settings,
          on_batch: Callable[[BatchReport], bool | None] | None = None,
          on_epoch: Callable[[EpochReport], bool | None] | None = None) -> list[EpochReport]:
    """Train ``net`` in place; a callback returning False stops after the current batch."""
    optimizer = settings.make_optimizer()
    rng = np.random.default_rng(settings.seed)
    batches = -(-len(train_set) // settings.batch_size)
    history: list[EpochReport] = []
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        seen = loss_sum = correct = 0.0
        for index, (x, y) in enumerate(train_set.batches(settings.batch_size, rng), 1):
            loss, accuracy = train_step(net, x, y, optimizer)
            seen += len(y)
            loss_sum += loss * len(y)
            correct += accuracy * len(y)
            if on_batch is not None and on_batch(BatchReport(epoch, index, batches, loss, accuracy)) is False:
                return history
        val_loss, val_accuracy = evaluate(net, val_set)
        report = EpochReport(epoch, loss_sum / seen, correct / seen, val_loss, val_accuracy,
                             time.perf_counter() - started)
        history.append(report)
        if on_epoch is not None and on_epoch(report) is False:
            break
    return history
