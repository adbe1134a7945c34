"""Numbers as pictures: heat-coloured tables, statistics, and the convolution worked by hand.

These build rows of cells (see picture.py) from engine results; the words
come from a translation function ``t(key, **args)`` so the app can show
them in either language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from ..core.layers.windowed import WindowStep
from .colormap import Palette
from .picture import Label, Row, Scale, row_width, side_by_side
from .text import wrap_text

Translate = Callable[..., str]


def number(value: float, width: int = 6) -> str:
    """Every number View prints, in one style: two decimals, right-aligned in ``width`` columns.

    A value that rounds to zero is 0.00 (never -0.00 or 4e-09); one too wide for two
    decimals drops them (1234.56 -> 1235); no exponent ever sits beside plain decimals.
    The step-through's result and the forward pass's value print alike, digit for digit."""
    text = f"{value:.2f}"
    if text == "-0.00":
        text = "0.00"
    if len(text) > width:
        text = f"{value:.0f}"
    return text.rjust(width)


def cell_style(pal: Palette, scale: Scale, value: float) -> str:
    """Text readable on the value's colour: the colour as background, black or white text on it."""
    if not pal.colored:
        return ""
    red, green, blue = pal.rgb(int(scale.levels(np.array([value]))[0]))
    ink = "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "#ffffff"
    return f"{ink} on #{red:02x}{green:02x}{blue:02x}"


def heat_table(values: np.ndarray, scale: Scale, pal: Palette, *, title: str = "",
               inside: np.ndarray | None = None, pick: tuple[int, int] | None = None,
               pad_text: str = "pad") -> list[Row]:
    """A 2-D array as a table of numbers on their colours; cells outside ``inside`` say ``pad_text``.
    The title wraps to the table's width (or 30 columns for a small table), so tables side by side stay narrow."""
    rows: list[Row] = wrapped_rows(title, max(6 * values.shape[1], 30), "bold") if title else []
    for i, line in enumerate(values):
        row: Row = []
        for j, value in enumerate(line):
            if inside is not None and not inside[i, j]:
                row.append(Label(f" {pad_text:>5}", "dim"))
                continue
            style = cell_style(pal, scale, float(value))
            if pick == (i, j):
                style = f"{style} bold underline" if style else "reverse bold"
            row.append(Label(" "))
            row.append(Label(number(float(value), 5), style))
        rows.append(row)
    return rows


def flow(blocks: Sequence[list[Row]], width: int, gap: int = 2) -> list[Row]:
    """Blocks side by side while they fit in ``width``, then on the next band; a blank row between bands."""
    rows: list[Row] = []
    band: list[list[Row]] = []
    used = 0
    for block in blocks:
        block_width = max((row_width(r) for r in block), default=0)
        if band and used + gap + block_width > width:
            rows += side_by_side(band, gap) + [[]]
            band, used = [], 0
        used += (gap if band else 0) + block_width
        band.append(block)
    if band:
        rows += side_by_side(band, gap)
    return rows


def text_rows(lines: Sequence[str], style: str = "") -> list[Row]:
    return [[Label(line, style)] for line in lines]


def wrapped_rows(text: str, width: int, style: str = "") -> list[Row]:
    """``text`` wrapped to ``width`` columns (Chinese between characters), one row per line."""
    return text_rows(wrap_text(text, max(width, 10)), style)


def map_stats(values: np.ndarray) -> dict[str, float]:
    return {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean()),
            "zeros": float((values == 0).mean())}


def stats_text(t: Translate, values: np.ndarray) -> str:
    stats = map_stats(values)
    return t("view.stats", min=number(stats["min"]).strip(), max=number(stats["max"]).strip(),
             mean=number(stats["mean"]).strip(), zeros=f"{stats['zeros']:.0%}")


def positions(indices: np.ndarray) -> str:
    """'3..7' or '1, 3, 5' for a window's rows (a range never reads like '-1-1'); negative or too
    large ones are padding (see padding_rows)."""
    values = indices.tolist()
    if len(values) > 1 and all(b - a == 1 for a, b in pairwise(values)):
        return f"{values[0]}..{values[-1]}"
    return ", ".join(map(str, values))


def padding_rows(t: Translate, step: WindowStep, shape: tuple[int, int], pad_text: str, width: int) -> list[Row]:
    """Which of the window's rows and columns fall outside the (height, width) map, and how the table shows them."""
    parts = []
    for axis, indices, size in (("row", step.rows, shape[0]), ("col", step.cols, shape[1])):
        outside = [int(i) for i in indices if not 0 <= i < size]
        if outside:
            plural = "s" if len(outside) > 1 else ""
            parts.append(t(f"view.step.padding.{axis}{plural}", **{f"{axis}s": ", ".join(map(str, outside))}))
    if not parts:
        return []
    where = t("view.step.padding.and").join(parts)
    return wrapped_rows(t("view.step.padding", where=where, pad=pad_text), width, "dim")


def level_titles(blocks: list[list[Row]]) -> list[list[Row]]:
    """Tables of one height side by side, whose titles wrap to different heights: blank rows above the
    shorter titles, so the tables' rows line up."""
    tallest = max(len(block) for block in blocks)
    return [[[] for _ in range(tallest - len(block))] + block for block in blocks]


def conv_step_rows(t: Translate, step: WindowStep, in_channel: int, pal: Palette, width: int,
                   map_shape: tuple[int, int]) -> list[Row]:
    """One input channel's window, kernel and products (``map_shape``: the input map's height and width,
    to say which taps are padding); then the sum over every channel plus the bias."""
    k = step.channels.index(in_channel)
    window, kernel, products = step.windows[k], step.kernels[k], step.products[k]
    value_scale = Scale.of(window[step.inside], diverging=True) if step.inside.any() else Scale(0, 0, True)
    blocks = [
        heat_table(window, value_scale, pal, title=t("view.step.window", rows=positions(step.rows),
                                                       cols=positions(step.cols)),
                   inside=step.inside, pad_text="0"),
        heat_table(kernel, Scale.of(kernel, diverging=True), pal, title=t("view.step.kernel")),
        heat_table(products, Scale.of(products, diverging=True), pal, title=t("view.step.products")),
    ]
    rows = flow(level_titles(blocks), width)
    rows += padding_rows(t, step, map_shape, "0", width)
    sums = step.channel_sums
    channel_sum = number(float(sums[k])).strip()
    rows += [[], *wrapped_rows(t("view.step.channel_sum", channel=in_channel, sum=channel_sum), width)]
    if len(sums) > 1:
        shown = " + ".join(number(float(s)).strip() for s in sums[:4]) + (" + ..." if len(sums) > 4 else "")
        rows += wrapped_rows(t("view.step.all_channels", count=len(sums), terms=shown,
                               total=number(float(sums.sum())).strip()), width)
    rows += wrapped_rows(t("view.step.bias", sum=number(float(sums.sum())).strip(), bias=number(step.bias).strip(),
                           value=number(step.value).strip()), width, "bold")
    return rows


def pool_step_rows(t: Translate, step: WindowStep, kind: str, pal: Palette, width: int,
                   map_shape: tuple[int, int]) -> list[Row]:
    """The window of one channel (``map_shape`` as for conv_step_rows), then the max it picks or the mean it takes."""
    window = step.windows[0]
    real = window[step.inside] if step.inside.any() else np.zeros(1)
    pad_text = "-inf" if kind == "maxpool2d" else "0"
    rows = heat_table(window, Scale.of(real, diverging=True), pal, inside=step.inside, pick=step.pick,
                      pad_text=pad_text,
                      title=t("view.step.window", rows=positions(step.rows), cols=positions(step.cols)))
    rows += padding_rows(t, step, map_shape, pad_text, width)
    value = number(step.value).strip()
    if kind == "maxpool2d":
        sentence = t("view.step.max", value=value)
    else:
        total = number(float(window[step.inside].sum())).strip()
        sentence = t("view.step.mean", sum=total, divisor=step.divisor, value=value)
    return [*rows, [], *wrapped_rows(sentence, width, "bold")]
