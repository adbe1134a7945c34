"""The overfitting experiment (issue #8): one convolutional body, two heads, a small training set.

Both networks share the same three-convolution body, start from the same seeded
weights and see the same 200 training digits in the same batch order. They
differ only in the head that turns the body's 64 maps of 7x7 into ten scores:

- ``fc``: flatten (3,136 values), a fully connected hidden layer of 256, then
  the ten outputs: about 806,000 parameters in the head, 35 times the rest.
- ``gap``: global average pooling (64 values), then the ten outputs: 650.

What it showed for seeds 0, 1 and 2 (40 epochs): the FC head reaches 100% training
accuracy by epoch 11-14 and a training loss under 0.001 soon after, while its
validation accuracy stays at 72-84% and its validation loss climbs from its low
point (e.g. 0.98 at epoch 6 to 1.68 at epoch 40). The GAP head starts slower,
passes the FC head's validation accuracy around epoch 18 and ends at 86-95%,
5-14 points below its own training accuracy against the FC head's 16-28.
``make_network`` gives each arm's network; ``loop.Trainer`` trains it an epoch
at a time, so the two curves can grow together. ``make_experiment`` gives any of
EXPERIMENTS: the batch-norm and dropout ones (experiment_bn, experiment_dropout)
reuse this body, its heads and its digits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..core import Network
from .datasets import DIGIT_CLASSES, Dataset, Progress, make_dataset
from .loop import Settings

# Digits, not shapes: on 300 shapes at 32x32, whose colour, size, place and angle all vary, the
# GAP head of a body like this one stayed at chance for 15 epochs (the FC head reached 36%).
DATASET = "digits"
# 28 rather than 32: about a quarter less work per epoch, and the flattened maps are still 3,136 values.
IMAGE_SIZE = 28
# Few enough that the FC head memorises them all and stays near 75% on new digits;
# with 300 it reached about 85% and the contrast with the GAP head faded.
TRAIN_SAMPLES = 200
# Accuracy to within about 2 points (the binomial spread at 80%), at half the cost of 1,000:
# validating takes about as long as the epoch's training.
VALIDATION_SAMPLES = 500
# The GAP head stays near chance for its first 4-7 epochs and passes the FC head around epoch 18;
# 40 let both curves settle, in about 40 seconds of one core for both networks.
EPOCHS = 40
# Adam at 5e-3 in batches of 16 (13 updates an epoch). 1e-2 in batches of 32 is a fifth
# quicker but left the GAP head 4-5 points lower after 40 epochs (seeds 0 and 1).
BATCH_SIZE = 16
LEARNING_RATE = 5e-3
# A common width for a hidden FC layer; with 3,136 inputs it is where the parameters pile up.
FC_HIDDEN = 256

CLASSES = len(DIGIT_CLASSES)

# Three 3x3 convolutions with "same" padding and two poolings: 28x28 -> 14x14 -> 7x7, 64 maps.
# Each value of the last maps sees 18x18 pixels, most of a digit, so their averages over all
# positions still tell the digits apart.
BODY: list[dict[str, Any]] = [
    {"type": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": "same"},
    {"type": "relu"},
    {"type": "maxpool2d", "kernel_size": 2},
    {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": "same"},
    {"type": "relu"},
    {"type": "maxpool2d", "kernel_size": 2},
    {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": "same"},
    {"type": "relu"},
]
FC_HEAD: list[dict[str, Any]] = [
    {"type": "flatten"},
    {"type": "linear", "out_features": FC_HIDDEN},
    {"type": "relu"},
    {"type": "linear", "out_features": CLASSES},
    {"type": "softmax"},
]
GAP_HEAD: list[dict[str, Any]] = [
    {"type": "global_avg_pool"},
    {"type": "linear", "out_features": CLASSES},
    {"type": "softmax"},
]


@dataclass(frozen=True)
class Arm:
    """One side of an experiment: ``key`` names it ("fc", "gap", "bn", ...); ``spec`` a network
    description (for ``Network.from_dict``, Build and summaries) whose description is ``description``;
    the layers from ``head_from`` on are its head."""

    key: str
    spec: dict[str, Any]
    description: str
    head_from: int = len(BODY)


def make_arm(key: str, head: list[dict[str, Any]], description: str, body: list[dict[str, Any]] = BODY,
             prefix: str = "overfit") -> Arm:
    spec = {"name": f"{prefix}-{key}", "description": description, "input": [1, IMAGE_SIZE, IMAGE_SIZE],
            "classes": list(DIGIT_CLASSES), "layers": copy.deepcopy(body + head)}
    return Arm(key, spec, description, len(body))


def arms() -> list[Arm]:
    """The two arms, FC first, each with its own copy of the layers."""
    return [
        make_arm("fc", FC_HEAD, f"Three convolutions, then flatten and a fully connected layer of {FC_HIDDEN}: "
                                "the head holds almost all the parameters."),
        make_arm("gap", GAP_HEAD, "The same three convolutions, then global average pooling: one number per map, "
                                  "so the head needs one weight per map and digit."),
    ]


@dataclass
class Experiment:
    """The shared data and settings; ``settings.seed`` orders the batches and seeds both networks' weights.
    ``name`` is one of EXPERIMENTS."""

    train_set: Dataset
    val_set: Dataset
    arms: list[Arm]
    settings: Settings
    name: str = "overfitting"

    def make_network(self, arm: Arm) -> Network:
        """A fresh network for ``arm`` with the shared initial weights: the body layers come
        first, so both arms draw the very same body weights from the seed."""
        net = Network.from_dict(arm.spec)
        net.init_weights(self.settings.seed)
        return net


def gap_points(point) -> int:
    """How far a point's training accuracy is above its validation accuracy, in whole points, as the
    screen shows them: what the overfitting and dropout verdicts compare."""
    return round((point.train_accuracy - point.val_accuracy) * 100)


def digits(train: int, validation: int, seed: int, progress: Progress | None) -> tuple[Dataset, Dataset]:
    """(training, validation) digits of IMAGE_SIZE drawn from ``seed``."""
    # Drawn, not cached: several hundred digits take a fraction of a second, so no file is left behind.
    return make_dataset(DATASET, train + validation, seed, IMAGE_SIZE, progress).split(validation)


def overfitting_experiment(seed: int = 0, progress: Progress | None = None) -> Experiment:
    """The experiment for ``seed`` (data, batch order, initial weights); ``progress(done, total)``
    is called while the digits are drawn."""
    train_set, val_set = digits(TRAIN_SAMPLES, VALIDATION_SAMPLES, seed, progress)
    settings = Settings(epochs=EPOCHS, batch_size=BATCH_SIZE, optimizer="adam", lr=LEARNING_RATE, seed=seed)
    return Experiment(train_set, val_set, arms(), settings)


EXPERIMENTS = ("overfitting", "batchnorm", "dropout")


def make_experiment(name: str, seed: int = 0, progress: Progress | None = None) -> Experiment:
    """The experiment ``name`` (one of EXPERIMENTS) for ``seed``."""
    from . import experiment_bn, experiment_dropout

    makers = {"overfitting": overfitting_experiment, "batchnorm": experiment_bn.batchnorm_experiment,
              "dropout": experiment_dropout.dropout_experiment}
    return makers[name](seed, progress)
