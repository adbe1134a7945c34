"""Train mode's memory of this session's finished runs, without Textual: a small record of each (the
network, the data, its figures at the end of every epoch), which the quiz's hands-on tasks read, and
the table that puts a run beside the last one on the same data."""

from __future__ import annotations

import copy

from ...render.text import cell_width, fit_cells
from .train_picture import RunPicture, percent

MOST_EPOCH_ROWS = 6  # a longer run shows six of its epochs, spread from the first to the last


def run_record(run) -> dict:
    """What is kept of a single run once it has ended: its setup and, for each whole epoch it finished,
    the training and validation loss and accuracy."""
    plan, epochs = run.plan, epoch_ends(run)
    return {"network": plan.name, "spec": copy.deepcopy(plan.spec), "dataset": plan.folder or plan.dataset, "size": plan.size,
            "samples": plan.samples, "lr": plan.lr, "completed": run.state == "done", "epochs_done": len(epochs),
            "epochs": epochs}


def epoch_ends(run) -> list[dict]:
    """A single run's figures at the end of each whole epoch so far (its points at whole x)."""
    return [{"epoch": int(point.x), "train_loss": point.train_loss, "train_accuracy": point.train_accuracy,
             "val_loss": point.val_loss, "val_accuracy": point.val_accuracy}
            for point in run.points.get("net", []) if point.x >= 1 and point.x == int(point.x)]


def last_on_same_data(records: list[dict], plan) -> dict | None:
    """The latest record of a run on the dataset (and image size) ``plan`` trains on: only that
    compares fairly with a new run."""
    return next((record for record in reversed(records)
                 if (record["dataset"], record["size"]) == (plan.folder or plan.dataset, plan.size)), None)


def activation_names(spec: dict) -> str:
    """The activation layers' types in the order they first appear, e.g. "relu" or "relu+sigmoid"."""
    from ...core import LAYER_TYPES

    kinds = [layer["type"] for layer in spec.get("layers", []) if isinstance(layer, dict)
             and isinstance(layer.get("type"), str)]
    return "+".join(dict.fromkeys(kind for kind in kinds if kind in LAYER_TYPES and LAYER_TYPES[kind].is_activation))


def shown_epochs(count: int) -> list[int]:
    """The epochs (from 1) that get a row: all of them, or MOST_EPOCH_ROWS spread evenly."""
    if count <= MOST_EPOCH_ROWS:
        return list(range(1, count + 1))
    return sorted({round(1 + i * (count - 1) / (MOST_EPOCH_ROWS - 1)) for i in range(MOST_EPOCH_ROWS)})


def comparison_rows(t, previous: dict, run, width: int) -> list:
    """Rows for the picture: what the two runs are, then per epoch each one's training loss and
    validation accuracy (the last run's columns first), then a blank row."""
    from ...render.picture import Label

    loss, accuracy, epoch = t("train.compare.loss"), t("train.compare.accuracy"), t("train.compare.epoch")
    widths = (max(3, cell_width(epoch)), max(6, cell_width(loss)), max(6, cell_width(accuracy)))
    run_width = widths[1] + 1 + widths[2]

    def figures(ends: dict | None) -> str:
        loss_text, accuracy_text = ("-", "-") if ends is None else (f"{ends['train_loss']:.3f}",
                                                                    percent(ends["val_accuracy"]))
        return "  " + fit_cells(loss_text, widths[1], ">") + " " + fit_cells(accuracy_text, widths[2], ">")

    rows = RunPicture.text_rows(t("train.compare.title"), width, "bold")
    for key, spec, name in (("previous", previous["spec"], previous["network"]),
                            ("current", run.plan.spec, run.plan.name)):
        activations = activation_names(spec) or t("train.compare.no_activation")
        rows += RunPicture.text_rows(t(f"train.compare.{key}", name=name, activations=activations), width)
    heads = "".join("  " + fit_cells(t(f"train.compare.head.{key}"), run_width) for key in ("previous", "current"))
    units = ("  " + fit_cells(loss, widths[1], ">") + " " + fit_cells(accuracy, widths[2], ">")) * 2
    rows += [[Label(fit_cells("", widths[0]) + heads, "bold")], [Label(fit_cells(epoch, widths[0]) + units, "dim")]]
    columns = [{ends["epoch"]: ends for ends in previous["epochs"]}, {ends["epoch"]: ends for ends in epoch_ends(run)}]
    for number in shown_epochs(max((n for column in columns for n in column), default=0)):
        rows.append([Label(fit_cells(str(number), widths[0]) + "".join(figures(column.get(number))
                                                                        for column in columns))])
    return [*rows, []]
