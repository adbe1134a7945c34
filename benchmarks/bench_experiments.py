"""Train mode's batch-norm and dropout experiments, run as the app runs them, for several seeds:
the figures their verdicts are worded from, and the time each took.

    python benchmarks/bench_experiments.py [--seeds 0 1 2] [--only batchnorm|dropout]

Each run goes through the same LiveRun as the app (one point an epoch, the arms in turns), so the
times are what a student waits for, with no drawing. The modules' docstrings quote what it showed.
"""

from __future__ import annotations

import argparse
import time

from cnntui.cli import single_blas_thread

single_blas_thread()  # as the app does, before NumPy loads: on a busy machine more threads are much slower

from cnntui.train import experiment_bn, experiment_dropout  # noqa: E402
from cnntui.train.experiment import make_experiment  # noqa: E402
from cnntui.train.live import LiveRun  # noqa: E402
from cnntui.train.loop import Trainer  # noqa: E402


def run(name: str, seed: int) -> tuple[dict[str, list], float]:
    """Every arm's points for ``seed``, and the seconds it took (data included)."""
    started = time.perf_counter()
    experiment = make_experiment(name, seed)
    trainers = {arm.key: Trainer(experiment.make_network(arm), experiment.train_set, experiment.val_set,
                                 experiment.settings) for arm in experiment.arms}
    points: dict[str, list] = {key: [] for key in trainers}
    LiveRun(trainers, lambda point: points[point.arm].append(point), checkpoints=1).run()
    return points, time.perf_counter() - started


def batchnorm_line(points: dict[str, list]) -> str:
    losses = {arm: [loss for point in arm_points for loss in point.batch_losses] for arm, arm_points in points.items()}
    figures = experiment_bn.figures(losses, {arm: arm_points[-1].val_accuracy for arm, arm_points in points.items()})
    return "  ".join(f"{arm}: {f.steps} of {f.total_steps} steps to {experiment_bn.LOSS_LEVEL}, "
                     f"val {f.val_accuracy:.1%}" for arm, f in figures.items())


def dropout_line(points: dict[str, list]) -> str:
    figures = experiment_dropout.figures({arm: [p for p in arm_points if p.x >= 1]
                                          for arm, arm_points in points.items()})
    return "  ".join(f"{arm}: train {f.train_accuracy:.1%} val {f.val_accuracy:.1%} gap {f.gap}, "
                     f"val loss {f.val_loss:.2f} (lowest {f.lowest_loss:.2f} at epoch {f.lowest_epoch})"
                     for arm, f in figures.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", choices=("batchnorm", "dropout"))
    args = parser.parse_args()
    lines = {"batchnorm": batchnorm_line, "dropout": dropout_line}
    for name in [args.only] if args.only else list(lines):
        for seed in args.seeds:
            points, seconds = run(name, seed)
            print(f"{name} seed {seed} ({seconds:.0f} s): {lines[name](points)}", flush=True)


if __name__ == "__main__":
    main()
