"""Train mode's left pane without Textual: the setup, then the run's state, progress and figures,
fitted to the pane's height."""

from __future__ import annotations

from ...core.printable import printable
from ...render.text import fit_cells
from .train_picture import percent


def setup_lines(plan, t, words) -> list:
    """The setup as label, value and the key that changes it (the batch size has none); the optimiser's
    key opens its page in Learn instead, as it is always Adam."""
    from ...train.datasets import CHANNELS

    if plan.folder:  # its images are converted to the network's input, whatever its shape
        dataset = f"{printable(plan.data_name)} {'x'.join(map(str, plan.spec['input']))}"
        samples = (t("train.side.samples.folder", count=f"{plan.folder_images:,}"), "")
    else:
        dataset = f"{words(plan.dataset)} {CHANNELS[plan.dataset]}x{plan.size}x{plan.size}"
        samples = (t("train.side.samples.value", train=f"{plan.samples:,}", validation=f"{plan.validation:,}"), "s")
    rows = [
        (t("train.side.network"), printable(plan.name), "n"),
        (t("train.side.dataset"), dataset, "d"),
        (t("train.side.samples"), *samples),
        (t("train.side.epochs"), str(plan.epochs), "e"),
        (t("train.side.optimizer"), "Adam", "a"),
        (t("train.side.lr"), f"{plan.lr:g}", "r"),
        (t("train.side.batch"), str(plan.batch), ""),
    ]
    return [(t("train.side.setup"), "bold $accent"),
            *(fit_cells(label, 10) + fit_cells(value, 17) + key for label, value, key in rows)]


def fitted(setup: list, run, t, ascii_only: bool, height: int) -> list:
    """The setup above the run's figures, in ``height`` lines: if they do not fit, without the blank
    lines and the time; if still not (the experiment, on a short terminal), without the setup, which
    the experiment does not use."""
    lines = [*setup, "", *run_lines(run, t, ascii_only)]
    if len(lines) > height:
        lines = [*setup, *run_lines(run, t, ascii_only, compact=True)]
    if len(lines) > height and run.kind == "experiment":
        lines = run_lines(run, t, ascii_only, compact=True)
    return lines


def run_lines(run, t, ascii_only: bool, compact: bool = False) -> list:
    """The run's state, progress and each arm's figures; ``compact`` leaves out blank lines and the time."""
    lines: list = [(t(f"train.state.{run.state}"), "bold")]
    progress = run.progress
    if run.state == "drawing":
        done, total = run.drawn
        reading = run.plan is not None and run.plan.folder
        lines.append(t("train.side.reading" if reading else "train.side.drawing", done=f"{done:,}", total=f"{total:,}"))
    elif progress is not None:
        lines.append(t("train.side.epoch", epoch=progress.epoch, epochs=progress.epochs,
                       batch=progress.batch, batches=progress.batches))
        lines.append(progress_bar(progress, 22, ascii_only))
        lines += [] if compact else [t("train.side.time", seconds=f"{progress.seconds:.0f}")]
    for key, arm in run.arms.items():
        point = run.last(key)
        if run.kind == "experiment":
            lines += [] if compact else [""]
            lines.append((arm.name(t), "bold"))
            lines.append(t("train.side.params.head", total=f"{arm.params:,}", head=f"{arm.head_params:,}"))
        else:
            lines.append(t("train.side.params", total=f"{arm.params:,}"))
        if point is not None:
            for label, train, val in (("", t("train.train"), t("train.val")),
                                      (t("train.loss"), f"{point.train_loss:.3f}", f"{point.val_loss:.3f}"),
                                      (t("train.accuracy"), percent(point.train_accuracy),
                                       percent(point.val_accuracy))):
                lines.append(fit_cells(label, 9) + fit_cells(train, 8, ">") + " " + fit_cells(val, 8, ">"))
    return lines


def progress_bar(progress, width: int, ascii_only: bool) -> str:
    """How far the whole run has got, as a bar of ``width`` cells."""
    done = ((progress.epoch - 1) * progress.batches + progress.batch) / (progress.epochs * progress.batches)
    fill = round(done * width)
    full, empty = ("#", "-") if ascii_only else ("█", "░")
    return full * fill + empty * (width - fill) + f" {done:.0%}"
