"""What the batch-norm and dropout experiments showed, worded from their measured figures, without
Textual (the overfitting experiment's verdict is train_picture.verdict). The verdicts take the app's
``t`` and the arms' figures (train.experiment_bn.figures, train.experiment_dropout.figures) with their
names; ``run_verdict`` measures those figures from a finished run's points."""

from __future__ import annotations

from .train_picture import batch_losses, percent

SAME_SPEED = 1.2  # step counts within this ratio of each other are about the same (a batch loss is noisy)
SAME_GAP = 3  # points, as in the overfitting experiment's verdict
SAME_LOSS = 0.05  # validation losses closer than this are about the same


def batchnorm_verdict(t, figures: dict, names: dict[str, str], level: float) -> str:
    """Each arm's steps to ``level`` (or that it never got there) and validation accuracy, then which
    got there first and how many times sooner, or that neither did."""
    lines = []
    for key, arm in figures.items():
        words = dict(label=names[key], level=f"{level:.1f}", steps=arm.steps, total=arm.total_steps,
                     val=percent(arm.val_accuracy))
        lines.append(t("train.verdict.bn.arm" if arm.steps is not None else "train.verdict.bn.arm.never", **words))
    plain, normed = figures["plain"], figures["bn"]
    words = dict(level=f"{level:.1f}", plain=plain.steps, bn=normed.steps,
                 total=max(plain.total_steps, normed.total_steps))
    if plain.steps is None or normed.steps is None:
        outcome = "neither" if plain.steps == normed.steps else "only_bn" if normed.steps is not None else "only_plain"
    else:
        ratio = plain.steps / normed.steps
        outcome = "same" if 1 / SAME_SPEED < ratio < SAME_SPEED else "faster" if ratio > 1 else "slower"
        words["ratio"] = f"{max(ratio, 1 / ratio):.1f}"
    lines.append(t(f"train.verdict.bn.{outcome}", **words))
    return "\n".join(lines)


def dropout_verdict(t, figures: dict, names: dict[str, str]) -> str:
    """Each arm's gap and validation loss (at the end and at its lowest), then whether dropout narrowed
    the gap, and whether it ended with a lower validation loss."""
    lines = [t("train.verdict.dropout.arm", label=names[key], train=percent(arm.train_accuracy),
               val=percent(arm.val_accuracy), gap=arm.gap, loss=f"{arm.val_loss:.2f}",
               lowest=f"{arm.lowest_loss:.2f}", epoch=arm.lowest_epoch)
             for key, arm in figures.items()]
    fc, dropped = figures["fc"], figures["dropout"]
    narrowed = fc.gap - dropped.gap
    outcome = "same" if abs(narrowed) <= SAME_GAP else "narrower" if narrowed > 0 else "wider"
    lines.append(t(f"train.verdict.dropout.{outcome}", points=abs(narrowed), fc_gap=fc.gap,
                   dropout_gap=dropped.gap, within=SAME_GAP))
    lower = fc.val_loss - dropped.val_loss
    outcome = "same" if abs(lower) < SAME_LOSS else "lower" if lower > 0 else "higher"
    lines.append(t(f"train.verdict.dropout.loss.{outcome}", fc_loss=f"{fc.val_loss:.2f}",
                   dropout_loss=f"{dropped.val_loss:.2f}", rise=f"{fc.val_loss - fc.lowest_loss:.2f}"))
    return "\n".join(lines)


def run_verdict(t, run) -> str:
    """The verdict of a finished batch-norm or dropout experiment, from its points."""
    from ...train import experiment_bn, experiment_dropout

    names = {key: arm.name(t) for key, arm in run.arms.items()}
    if run.experiment == "batchnorm":
        last_accuracy = {key: run.last(key).val_accuracy for key in run.arms}
        figures = experiment_bn.figures({key: batch_losses(run, key) for key in run.arms}, last_accuracy)
        return batchnorm_verdict(t, figures, names, experiment_bn.LOSS_LEVEL)
    ends = {key: [point for point in run.points[key] if point.x >= 1 and point.x == int(point.x)] for key in run.arms}
    return dropout_verdict(t, experiment_dropout.figures(ends), names)
