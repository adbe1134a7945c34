"""Line plots as text: braille dots (2x4 per cell), or one character per cell for --ascii.

``plot_curve`` draws one function (the activation functions: the curve, the
axes, dotted lines that mark the range). ``chart_rows`` draws several series
that grow over time (training curves), each in its own colour, as picture rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .picture import Label, Row
from .text import fit_cells

# Braille dot bits for (row 0..3, column 0..1) inside one cell.
BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def _label(value: float) -> str:
    return f"{value:g}"


def plot_curve(xs: np.ndarray, ys: np.ndarray, *, width: int = 40, height: int = 10,
               y_range: tuple[float, float], marks: tuple[float, ...] = (), ascii_only: bool = False) -> list[str]:
    """The curve y(x) in ``width`` x ``height`` cells, with labelled y marks and x ends.

    ``xs`` must be sorted; the curve is resampled to one point per dot column.
    """
    dots_x, dots_y = (width, height) if ascii_only else (width * 2, height * 4)
    y_low, y_high = y_range
    grid_x = np.linspace(xs[0], xs[-1], dots_x)
    grid_y = np.interp(grid_x, xs, ys)

    def row_of(y: float) -> int:
        """Dot row of value y, 0 at the top."""
        return int(round((y_high - y) / (y_high - y_low) * (dots_y - 1)))

    rows = np.clip([row_of(y) for y in grid_y], 0, dots_y - 1)
    dots = np.zeros((dots_y, dots_x), dtype=bool)
    for column, row in enumerate(rows):
        previous = rows[column - 1] if column else row
        low, high = sorted((previous, row))
        # Fill the gap to the previous column so steep parts stay connected.
        dots[low:high + 1, column] = True
        dots[row, column] = True

    cells = [[" "] * width for _ in range(height)]
    cell_row = (lambda y: row_of(y)) if ascii_only else (lambda y: row_of(y) // 4)
    zero_column = int(round((0 - grid_x[0]) / (grid_x[-1] - grid_x[0]) * (dots_x - 1)))
    zero_column = zero_column if ascii_only else zero_column // 2
    horizontal, vertical, dotted = ("-", "|", ".") if ascii_only else ("─", "│", "┈")
    if y_low <= 0 <= y_high:
        cells[cell_row(0)] = [horizontal] * width
    for mark in marks:
        if mark != 0 and y_low <= mark <= y_high:
            cells[cell_row(mark)] = [dotted] * width
    if 0 <= zero_column < width:
        for row in cells:
            row[zero_column] = "+" if row[zero_column] != " " and ascii_only else vertical
    for cell_y in range(height):
        for cell_x in range(width):
            if ascii_only:
                if dots[cell_y, cell_x]:
                    cells[cell_y][cell_x] = "*"
                continue
            block = dots[cell_y * 4:cell_y * 4 + 4, cell_x * 2:cell_x * 2 + 2]
            if block.any():
                code = sum(BRAILLE_BITS[r][c] for r in range(4) for c in range(2) if block[r, c])
                cells[cell_y][cell_x] = chr(0x2800 + code)

    labelled = {cell_row(value): _label(value) for value in (y_high, y_low, 0, *marks) if y_low <= value <= y_high}
    margin = max(len(text) for text in labelled.values()) + 1
    lines = [f"{labelled.get(row, ''):>{margin - 1}} " + "".join(cells[row]) for row in range(height)]
    left, right = _label(float(xs[0])), _label(float(xs[-1]))
    lines.append(" " * margin + left + " " * max(1, width - len(left) - len(right)) + right)
    return lines


@dataclass(frozen=True)
class Series:
    points: Sequence[tuple[float, float]]  # (x, y), x increasing
    style: str  # a Rich style for the app, e.g. "#5f87d7"
    mark: str  # its character in ASCII plots


def _series_dots(points: Sequence[tuple[float, float]], dots_x: int, dots_y: int,
                 x_max: float, y_range: tuple[float, float]) -> np.ndarray:
    """The dots of one polyline: every dot column between its first and last x, joined up."""
    dots = np.zeros((dots_y, dots_x), dtype=bool)
    if not points:
        return dots
    xs, ys = np.array(points, dtype=float).T
    y_low, y_high = y_range
    column_of = lambda x: int(round(x / x_max * (dots_x - 1))) if x_max > 0 else 0  # noqa: E731
    first, last = column_of(xs[0]), column_of(xs[-1])
    columns = np.arange(first, last + 1)
    values = np.interp(columns / max(dots_x - 1, 1) * x_max, xs, ys)
    span = (y_high - y_low) or 1.0
    rows = np.clip(np.round((y_high - values) / span * (dots_y - 1)).astype(int), 0, dots_y - 1)
    previous = rows[0]
    for column, row in zip(columns, rows):
        low, high = sorted((previous, row))
        dots[low:high + 1, column] = True  # join steep steps so the line stays connected
        previous = row
    return dots


def chart_rows(series: Sequence[Series], *, width: int, height: int, x_max: float,
               y_range: tuple[float, float], ascii_only: bool = False, y_format: str = "{:g}",
               x_label: str = "") -> list[Row]:
    """Several series in one ``width`` x ``height`` plot with y labels at the top and bottom and
    x labels under it (0, ``x_label``, ``x_max``). Where series cross, the one with more dots in a
    cell (or the later one) colours it."""
    top, bottom = y_format.format(y_range[1]), y_format.format(y_range[0])
    margin = max(len(top), len(bottom)) + 1
    plot_width = max(width - margin, 4)
    dots_x, dots_y = (plot_width, height) if ascii_only else (plot_width * 2, height * 4)
    layers = [_series_dots(s.points, dots_x, dots_y, x_max, y_range) for s in series]
    rows: list[Row] = []
    for cell_y in range(height):
        label = top if cell_y == 0 else bottom if cell_y == height - 1 else ""
        row: Row = [Label(f"{label:>{margin - 1}}" + ("|" if ascii_only else "│"), "dim")]
        for cell_x in range(plot_width):
            owner, code, most = None, 0, 0
            for index, dots in enumerate(layers):
                if ascii_only:
                    if dots[cell_y, cell_x]:
                        owner = index
                    continue
                block = dots[cell_y * 4:cell_y * 4 + 4, cell_x * 2:cell_x * 2 + 2]
                count = int(block.sum())
                if count and count >= most:  # a shared cell takes the colour of the series with more dots in it
                    owner, most = index, count
                code |= sum(BRAILLE_BITS[r][c] for r in range(4) for c in range(2) if block[r, c])
            if owner is None:
                row.append(Label(" "))
            else:
                row.append(Label(series[owner].mark if ascii_only else chr(0x2800 + code), series[owner].style))
        rows.append(row)
    left, right = "0", f"{x_max:g}"
    inner = max(plot_width - len(left) - len(right), 1)
    rows.append([Label(" " * margin + left + fit_cells(x_label, inner, "^") + right, "dim")])
    return rows
