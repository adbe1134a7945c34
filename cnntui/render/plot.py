"""Line plots as text: braille dots (2x4 per cell), or one '*' per cell for --ascii.

Used for activation functions: the curve, the axes, and dotted lines that
mark the function's range.
"""

from __future__ import annotations

import numpy as np

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
