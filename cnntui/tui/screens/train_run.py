"""Train mode's state without Textual: a run as set up (Plan), as it goes (Run, one Arm per network
trained), and which built-in datasets fit a network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

VALIDATION_SHARE = 4  # one validation sample per four training samples...
VALIDATION_MAX = 500  # ...up to this many: enough for a steady curve, cheap to score four times an epoch
ACTIVE = ("drawing", "running", "paused", "stopping")


@dataclass(frozen=True)
class Plan:
    """One training run as set up on the left."""

    source: str  # a preset name, or "" for the app's current (edited) network
    name: str
    spec: dict = field(compare=False)
    dataset: str = "digits"
    size: int = 32
    samples: int = 2000
    epochs: int = 5
    batch: int = 32
    lr: float = 2e-3
    seed: int = 0
    folder: str = ""  # a folder of images (dataset "folder"): every readable image, a fifth of each class held back
    folder_images: int = 0  # the files found in its class folders

    @property
    def validation(self) -> int:
        return min(VALIDATION_MAX, max(50, self.samples // VALIDATION_SHARE))

    @property
    def data_name(self) -> str:
        """The dataset's name for titles and file names: a built-in one's, or the folder's own."""
        return Path(self.folder).name or self.folder if self.folder else self.dataset


@dataclass
class Arm:
    label: str  # a network's name, or with ``translated`` a string key, looked up in the language of the moment
    params: int
    head_params: int = 0  # an experiment's: its head's; a single run's: its fully connected layers'
    translated: bool = False

    def name(self, t) -> str:
        return t(self.label) if self.translated else self.label


@dataclass
class Run:
    kind: str  # "single" or "experiment"
    title: Callable[[], str]  # called at each redraw, so the title follows a change of language
    experiment: str = "overfitting"  # which one, for an experiment (train.experiment.EXPERIMENTS)
    plan: Plan | None = None  # a single run's setup (the setup on the left may change after it)
    previous: dict | None = None  # the record of the last run on the same data, shown beside this one
    state: str = "drawing"  # drawing, running, paused, stopping, stopped, done, failed
    arms: dict[str, Arm] = field(default_factory=dict)
    points: dict[str, list] = field(default_factory=dict)
    progress: object = None  # the latest live.Progress
    drawn: tuple[int, int] = (0, 0)  # samples drawn so far, of how many
    live: object = None  # the LiveRun, to pause and stop it
    net: object = None  # the single run's network, for saving
    classes: list[str] = field(default_factory=list)
    watched: object = None  # (image, label) looked inside as it learns
    guessing: dict[str, int] = field(default_factory=dict)  # arm -> the epoch its loss sat at chance, while it does
    warned: set[str] = field(default_factory=set)  # arms already told they were guessing: once a run
    epochs: int = 1  # the x axis of the curves
    serial: int = 0  # counts updates, so the picture is rebuilt only when something changed

    def last(self, arm: str):
        points = self.points.get(arm)
        return points[-1] if points else None


def dataset_options(spec: dict) -> list[tuple[str, int]]:
    """The built-in datasets (name, size) whose samples fit the network's input."""
    from ...train.datasets import CHANNELS, NAMES, SIZES

    shape = spec.get("input")
    return [(name, size) for name in NAMES for size in SIZES[name] if shape == [CHANNELS[name], size, size]]


def save_trained(run: Run, path) -> bool:
    """A single run's weights at ``path``, with the record `cnntui train` writes beside them (how they
    were made, how well they did) unless NAME.json is some other file; True if the record was written.
    OSError if the weights cannot be written."""
    import io

    import numpy as np

    from ...train.record import save_beside_record

    plan, last = run.plan, run.last("net")
    content = io.BytesIO()
    np.savez(content, **run.net.weights)
    if plan.folder:  # every readable image of the folder
        trainer = run.live.trainers["net"]
        train, validation = len(trainer.train_set), len(trainer.val_set)
    else:
        train, validation = plan.samples, plan.validation
    fields = {
        "network": plan.name, "dataset": plan.folder or plan.dataset, "classes": run.classes,
        "samples": train + validation, "train_samples": train,
        "validation_samples": validation, "seed": plan.seed, "epochs": plan.epochs,
        "epochs_done": int(last.x) if last else 0, "interrupted": run.state != "done", "batch": plan.batch,
        "optimizer": "adam", "lr": plan.lr,
        "validation_accuracy": round(last.val_accuracy, 4) if last else None,
        "validation_loss": round(last.val_loss, 4) if last else None,
        "command": None,  # trained in the app, Train mode
    }
    return save_beside_record(path, content.getvalue(), fields)
