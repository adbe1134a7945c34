"""Train mode's picture without Textual: a run's loss and accuracy charts, the first layer's kernels and
one sample's maps as it learns, the overfitting and dropout experiments' two columns, the batch-norm
experiment's loss against steps, their verdicts (the newer two's in train_verdicts), and what to try
when a network only guesses."""

from __future__ import annotations

import math

TRAIN_STYLE, VAL_STYLE = "#5f87d7", "#ffaf5f"  # the theme's primary and accent: distinct in 16 colours too
STACK_BELOW = 56  # picture columns under which a run's two charts go one above the other
COLUMNS_BELOW = 40  # ...and under which the experiment's two heads do (each column then has its own charts)
SAME_GAP = 3  # points: the heads' train-validation gaps closer than this are about the same (a small run is noisy)
BIG_HEAD = 0.5  # a network whose fully connected layers hold this share of its parameters has a big head


def percent(value: float) -> str:
    return f"{value:.1%}"


def guessing_text(t, run, arm: str) -> str:
    """What it means that ``arm`` sat at chance for a whole epoch, and what to try."""
    from ...train.live import chance_loss

    classes = len(run.classes)
    if run.kind == "experiment":  # nothing to change: when an arm starts to learn is part of what it shows
        advice = t("train.guessing.experiment")
    else:
        advice = t("train.guessing.squashing") if squashes(run) else head_advice(t, run.arms[arm])
    return t("train.guessing", label=run.arms[arm].name(t), epoch=run.guessing[arm], classes=classes,
             chance=f"{chance_loss(classes):.2f}", advice=advice)


def head_advice(t, arm) -> str:
    """What to try, worded from the arm's head: a smaller head only when its head holds most of its parameters."""
    if arm.params and arm.head_params >= BIG_HEAD * arm.params:
        return t("train.guessing.try.head", head=f"{arm.head_params:,}", total=f"{arm.params:,}")
    return t("train.guessing.try")


def squashes(run) -> bool:
    """Whether a single run's hidden layers, inside blocks too, use an activation that saturates (sigmoid,
    tanh), which is slow to start learning. The last step is the output's, not a hidden layer's."""
    from ...core import analyze

    if run.plan is None:
        return False
    # A residual's activation after its sum is its join step's: the join saturates when it does.
    return any(record.layer is not None and record.layer.saturates for record in analyze(run.plan.spec).layers[:-1])


class RunPicture:
    """The rows of one run's picture (render.picture rows), in the app's language, colours and characters;
    ``words`` translates a dataset's or class's name. A single run is shown beside ``previous``, the
    record (train_compare.run_record) of the last run on the same data, if any."""

    def __init__(self, run, t, words, ascii_only: bool, color_mode: str, previous: dict | None = None):
        self.run, self.t, self.words = run, t, words
        self.ascii_only, self.color_mode = ascii_only, color_mode
        # Without colour two braille curves look alike: then each curve is drawn with its own mark.
        self.marked_curves = ascii_only or color_mode == "none"
        self.previous = previous

    def rows(self, width: int, height: int) -> list:
        if self.run.kind == "experiment":
            return self.experiment_rows(width, height)
        return self.single_rows(width, height)

    @staticmethod
    def text_rows(text: str, width: int, style: str = "") -> list:
        from ...render.picture import Label
        from ...render.text import wrap_text

        return [[Label(line, style)] for line in wrap_text(text, max(width, 20))]

    def charts(self, points: list, width: int, height: int, shared: list | None = None) -> list[list]:
        """Two blocks of rows: loss, then accuracy, each for training and validation data. The loss
        axis reaches the highest loss in ``shared`` (default: ``points``), so columns compare."""
        from ...render.picture import Label
        from ...render.plot import Series, chart_rows

        t = self.t
        losses = [y for p in (shared or points) for y in (p.train_loss, p.val_loss) if math.isfinite(y)]
        ranges = {"loss": (0.0, max(0.1, math.ceil(max(losses, default=1.0) * 10) / 10)), "accuracy": (0.0, 1.0)}
        blocks = []
        for metric, y_format in (("loss", "{:.2g}"), ("accuracy", "{:.0%}")):
            train = [(p.x, getattr(p, f"train_{metric}")) for p in points]
            val = [(p.x, getattr(p, f"val_{metric}")) for p in points]
            y_range = ranges[metric]
            rows = chart_rows([Series(train, TRAIN_STYLE, "*"), Series(val, VAL_STYLE, "o")], width=width,
                              height=height, x_max=self.run.epochs, y_range=y_range,
                              ascii_only=self.marked_curves, y_format=y_format, x_label=t("train.epochs"))
            blocks.append([[Label(t(f"train.chart.{metric}"), "bold")], *rows])
        return blocks

    def legend(self, width: int) -> list:
        """What the two colours (or, with --ascii, the two marks) mean: one row, or two if narrow."""
        from ...render.picture import Label, row_width

        marks = ("*", "o") if self.marked_curves else ("━━", "━━")
        train = [Label(marks[0], TRAIN_STYLE), Label(f" {self.t('train.legend.train')}")]
        val = [Label(marks[1], VAL_STYLE), Label(f" {self.t('train.legend.val')}")]
        if row_width(train) + 2 + row_width(val) <= width:
            return [[*train, Label("  "), *val]]
        return [train, val]

    def single_rows(self, width: int, height: int) -> list:
        from ...render.picture import side_by_side

        run = self.run
        points = run.points.get("net", [])
        chart_height = max(4, min(12, (height - 14) // 1 if height < 30 else height // 3))
        if width >= STACK_BELOW:
            charts = side_by_side(self.charts(points, (width - 2) // 2, chart_height))
        else:  # too narrow for two charts side by side: loss above accuracy
            charts = [row for block in self.charts(points, width, chart_height) for row in block]
        rows = [*self.comparison(width), *charts, *self.legend(width), [], *self.guessing_rows(width)]
        if points and points[-1].kernels is not None:
            rows += self.inside_rows(points[-1], width)
        elif points:
            rows += self.text_rows(self.t("train.no_conv"), width, "dim")
        return rows

    def comparison(self, width: int) -> list:
        """The table of this run beside the last one on the same data, above the charts; none if no run came before."""
        from .train_compare import comparison_rows

        return [] if self.previous is None else comparison_rows(self.t, self.previous, self.run, width)

    def guessing_rows(self, width: int) -> list:
        """For each arm found guessing, what that means and what to try, then a blank row."""
        run = self.run
        return [row for arm in run.guessing
                for row in [*self.text_rows(guessing_text(self.t, run, arm), width, "bold yellow"), []]]

    def inside_rows(self, point, width: int) -> list:
        """The first layer's kernels and the watched sample's maps, as they are now."""
        from ...render.colormap import palette
        from ...render.picture import (
            Label,
            Scale,
            grid_rows,
            map_rows,
            rgb_rows,
            side_by_side,
        )

        t, mode = self.t, self.color_mode
        ramp = self.ascii_only or mode == "none"
        kernels = point.kernels
        count, channels, size, _ = kernels.shape
        heading = t("train.kernels", epoch=f"{point.x:.3g}", count=count, shape=f"{channels}x{size}x{size}")
        rows = self.text_rows(heading, width, "bold")
        thumb = size * max(1, min(3, ((width + 1) // count - 1) // size))  # whole-number enlargement
        if channels == 3 and not ramp:
            low, high = float(kernels.min()), float(kernels.max())
            scaled = (kernels - low) / ((high - low) or 1.0)
            blocks = [rgb_rows(k, mode, columns=thumb, rows=max(1, thumb // 2)) for k in scaled]
            rows += side_by_side(blocks, 1)
        else:
            diverging = palette("diverging", mode)
            first = kernels[:, 0]
            scale = Scale.of(first, diverging=True)
            rows += grid_rows(first, [scale] * count, diverging, columns=width, thumb=thumb, ramp=ramp)
        image, label = self.run.watched
        probabilities = point.probabilities
        guess = int(probabilities.argmax())
        rows.append([])
        guessed = self.words(self.run.classes[guess]) if guess < len(self.run.classes) else str(guess)
        rows += self.text_rows(t("train.sample", label=self.words(self.run.classes[label]), guess=guessed,
                                 share=percent(float(probabilities[guess]))), width, "bold")
        maps = point.maps
        grey = palette("grey", mode)
        map_thumb = max(8, min(maps.shape[2], (width + 1) // (len(maps) + 1) - 1))
        picture = image if image.shape[0] == 1 else image.mean(axis=0, keepdims=True)
        cells, _ = map_rows(picture[0], Scale.of(picture[0]), grey, columns=map_thumb,
                            rows=max(1, map_thumb // 2), ramp=ramp)
        maps_scale = Scale.of(maps)
        grid = grid_rows(maps, [maps_scale] * len(maps), grey, columns=max(width - map_thumb - 1, map_thumb),
                         thumb=map_thumb, ramp=ramp)
        rows += side_by_side([[[Label(t("train.input"))], *cells], grid], 1)
        return rows

    def experiment_rows(self, width: int, height: int) -> list:
        """While it runs, the experiment's curves and what to watch below them; once it is done, what
        it showed above its curves (at 80x24 the verdict would be below the fold, under the charts)."""
        run = self.run
        if run.experiment == "batchnorm":
            rows = self.steps_rows(width, height)
        else:
            rows = self.column_rows(width, height)
        text = self.text_rows(experiment_text(self.t, run), width)
        return [*text, [], *rows] if run.state == "done" else rows + text

    def steps_rows(self, width: int, height: int) -> list:
        """Both arms' training loss against steps in one chart, with the level the verdict counts steps to."""
        from ...render.picture import Label
        from ...render.plot import Series, chart_rows
        from ...train.experiment_bn import LOSS_LEVEL, SMOOTHING, smoothed

        t, run = self.t, self.run
        progress = run.progress
        steps = progress.batches * progress.epochs if progress is not None else 1
        series, legend = [], []
        for (key, arm), style, mark in zip(run.arms.items(), (VAL_STYLE, TRAIN_STYLE), ("o", "*")):
            curve = smoothed(batch_losses(run, key))
            series.append(Series([(step, loss) for step, loss in enumerate(curve, SMOOTHING)], style, mark))
            legend += [Label(mark if self.marked_curves else "━━", style), Label(f" {arm.name(t)}  ")]
        top = max((y for line in series for _, y in line.points if math.isfinite(y)), default=2.5)
        series.insert(0, Series([(0, LOSS_LEVEL), (steps, LOSS_LEVEL)], "dim", "-"))  # under the curves
        chart = chart_rows(series, width=width, height=max(4, min(12, height - 12)), x_max=steps,
                           y_range=(0.0, max(LOSS_LEVEL + 0.5, math.ceil(top * 10) / 10)),
                           ascii_only=self.marked_curves, y_format="{:.2g}", x_label=t("train.steps"))
        legend.append(Label(t("train.legend.level", level=f"{LOSS_LEVEL:.1f}"), "dim"))
        heading = self.text_rows(t("train.chart.steps", window=SMOOTHING), width, "bold")
        return [*heading, *chart, legend, [], *self.guessing_rows(width)]

    def column_rows(self, width: int, height: int) -> list:
        """Each arm in one column: its loss above its accuracy, so the two gaps can be compared."""
        from ...render.picture import side_by_side

        t, run = self.t, self.run
        chart_height = max(4, min(10, (height - 9) // 2))
        column = (width - 3) // 2 if width >= COLUMNS_BELOW else width
        columns = []
        every_point = [point for points in run.points.values() for point in points]
        for key, arm in run.arms.items():
            loss, accuracy = self.charts(run.points.get(key, []), column, chart_height, every_point)
            title = self.text_rows(t("train.arm.title", label=arm.name(t), head=f"{arm.head_params:,}"), column, "bold")
            columns.append((title, [*loss, *accuracy]))
        # a title that wraps must not push its charts below the other column's
        title_rows = max((len(title) for title, _ in columns), default=0)
        columns = [[*title, *[[]] * (title_rows - len(title)), *charts] for title, charts in columns]
        charts = side_by_side(columns, 3) if width >= COLUMNS_BELOW else [row for block in columns for row in block]
        return [*charts, *self.legend(width), [], *self.guessing_rows(width)]


def batch_losses(run, arm: str) -> list[float]:
    """Every batch loss of ``arm`` so far, in order."""
    return [loss for point in run.points.get(arm, []) for loss in point.batch_losses]


def experiment_text(t, run) -> str:
    """A finished experiment's verdict, from its measured figures; before that, what to watch."""
    from ...train.experiment_bn import LOSS_LEVEL
    from .train_verdicts import run_verdict

    name = run.experiment
    if run.state != "done":
        return t("train.experiment.explain" if name == "overfitting" else f"train.{name}.explain",
                 level=f"{LOSS_LEVEL:.1f}")
    return verdict(t, run) if name == "overfitting" else run_verdict(t, run)


def verdict(t, run) -> str:
    """What the finished experiment showed, in numbers: each head's last accuracies and the gap between
    them, then which head's gap was larger and by how much, or that the two came out about the same."""
    from ...train.experiment import gap_points

    gaps, lines = {}, []
    for key, arm in run.arms.items():
        point = run.last(key)
        gaps[key] = gap_points(point)
        lines.append(t("train.verdict.arm", label=arm.name(t), train=percent(point.train_accuracy),
                       val=percent(point.val_accuracy), gap=gaps[key]))
    larger = gaps["fc"] - gaps["gap"]
    outcome = "same" if abs(larger) <= SAME_GAP else "fc_larger" if larger > 0 else "gap_larger"
    lines.append(t(f"train.verdict.{outcome}", fc_head=run.arms["fc"].name(t), gap_head=run.arms["gap"].name(t),
                   points=abs(larger), fc_gap=gaps["fc"], gap_gap=gaps["gap"], within=SAME_GAP))
    return "\n".join(lines)


def folder_rows(t, folder: str, classes: list, images: list, width: int, height: int, color_mode: str,
                ascii_only: bool) -> list:
    """A folder dataset before training: a few images of each class (as the network will get them,
    converted to its input) under the class's name and count, the classes side by side when there is
    room; the thumbnails as large as lets every class show, and classes that still do not fit counted."""
    from pathlib import Path

    from ...core.printable import printable
    from ...render.picture import Label, rgb_rows, side_by_side
    from ...render.text import fit_cells

    rows = RunPicture.text_rows(t("train.preview", folder=printable(Path(folder).name or folder),
                                  classes=len(classes), count=f"{sum(count for _, count in classes):,}"), width, "bold")
    rows += RunPicture.text_rows(t("train.preview.hint"), width)
    rows.append([])
    room = height - len(rows) - 1  # a line for the classes left out
    thumb_rows, per_class, per_line = preview_layout(len(classes), max(map(len, images), default=0), width, room)
    shown = min(len(classes), per_line * max(1, room // (thumb_rows + 1)))
    thumb_columns = 2 * thumb_rows  # a cell is one pixel wide and two high: square thumbnails
    block_width = per_class * (thumb_columns + 1) - 1
    ramp = ascii_only or color_mode == "none"
    blocks = []
    for (name, count), pictures in zip(classes[:shown], images[:shown]):
        block = [[Label(fit_cells(f"{printable(name)} ({count:,})", block_width).rstrip(), "bold")]]
        thumbs = [rgb_rows(picture if picture.shape[0] == 3 else picture.repeat(3, axis=0), color_mode,
                           columns=thumb_columns, rows=thumb_rows, ramp=ramp) for picture in pictures[:per_class]]
        block += side_by_side(thumbs, 1) if thumbs else [[Label(t("train.preview.none"))]]
        blocks.append(block)
    for start in range(0, len(blocks), per_line):
        rows += side_by_side(blocks[start:start + per_line], 2)
    if shown < len(classes):
        rows += RunPicture.text_rows(t("train.preview.more", count=len(classes) - shown), width)
    return rows


def preview_layout(classes: int, most: int, width: int, room: int) -> tuple[int, int, int]:
    """(thumbnail height in rows, images per class, classes per line) for the folder preview: the largest
    thumbnails, then the most images (of ``most``, at least 3 when there are), that let every class fit
    in ``room`` lines of ``width``; the smallest if none does."""
    for thumb_rows in range(8, 1, -1):
        columns = 2 * thumb_rows
        fit = min(most, (width + 1) // (columns + 1))
        for per_class in sorted({fit, min(fit, 3)}, reverse=True):
            if per_class < min(3, most) or per_class < 1:
                continue
            block = per_class * (columns + 1) - 1
            per_line = max(1, (width + 2) // (block + 2))
            if -(-classes // per_line) * (thumb_rows + 1) <= room:
                return thumb_rows, per_class, per_line
    per_class = max(1, min(most, 3, (width + 1) // 5))
    return 2, per_class, max(1, (width + 2) // (per_class * 5 + 1))
