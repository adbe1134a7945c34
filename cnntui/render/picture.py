"""Feature maps as terminal cells: half blocks, or a character ramp.

A half-block cell shows two pixels stacked: the upper one in the
foreground colour of "▀", the lower one in the background colour. The
character-ramp form (for --ascii and for terminals without colour) gives
each cell one character for the mean of its two pixels, so both forms
have the same geometry: cell (r, c) covers pixels (2r, c) and (2r+1, c).

A Picture is a list of rows; a row is a list of pieces: Pixels (two rows
of colour codes), Chars (ramp characters with colour codes) or Label
(text). Colour codes (colormap.rgb_code) carry their own meaning, so
pieces drawn with different colour maps can share a row. It can be written as ANSI text with as few escape codes as
possible (for slow links), or as Rich segments for a Textual Strip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style

from .colormap import BLANK, LEVELS, MARK, MARK_CHAR, Palette, char_ramp, ink, palette, rgb_codes
from .text import cell_width

SCOPES = ("map", "layer", "network")


@dataclass(frozen=True)
class Scale:
    """The value range that spans a colour map: values at or below ``low`` get the
    first colour, at or above ``high`` the last. A diverging scale is centred on zero."""

    low: float
    high: float
    diverging: bool = False

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray] | np.ndarray, diverging: bool = False) -> Scale:
        arrays = [arrays] if isinstance(arrays, np.ndarray) else arrays
        finite = [a[np.isfinite(a)] for a in arrays]
        finite = [a for a in finite if a.size]
        if not finite:
            return cls(0.0, 0.0, diverging)
        low, high = min(float(a.min()) for a in finite), max(float(a.max()) for a in finite)
        if diverging:
            reach = max(abs(low), abs(high))
            return cls(-reach, reach, True)
        return cls(low, high)

    def levels(self, values: np.ndarray) -> np.ndarray:
        """Each value's level, 0..LEVELS-1 (int16). NaN counts as the lowest level."""
        span = self.high - self.low
        if span <= 0 or not math.isfinite((LEVELS - 1) / span):
            # Every value is equal: zero's colour on a diverging map, else the bottom.
            fill = LEVELS // 2 if self.diverging else 0
            return np.full(values.shape, fill, dtype=np.int16)
        scaled = (np.nan_to_num(values.astype(np.float64), nan=self.low) - self.low) * ((LEVELS - 1) / span)
        return np.clip(np.rint(scaled), 0, LEVELS - 1).astype(np.int16)


def auto_cmap(values: np.ndarray | Sequence[np.ndarray]) -> str:
    """Diverging for signed values (so a map before ReLU shows its negatives), else grey."""
    arrays = [values] if isinstance(values, np.ndarray) else values
    return "diverging" if any(a.size and np.nanmin(a) < 0 for a in arrays) else "grey"


# -- resampling and outlines ------------------------------------------------------

def fit_factor(height: int, width: int, columns: int, rows: int) -> float:
    """How much a height x width map is scaled to fit in columns x rows cells (two pixels a row).

    At least 1, the largest whole factor that fits, so pixels stay square and crisp;
    below 1 the map is shrunk, keeping its aspect.
    """
    whole = min(columns // width, (2 * rows) // height)
    return float(whole) if whole >= 1 else min(columns / width, 2 * rows / height)


def sample_indices(size: int, factor: float) -> np.ndarray:
    """Nearest-neighbour source index of every output pixel along one axis."""
    count = max(1, int(size * factor)) if factor < 1 else size * int(factor)
    return np.minimum(((np.arange(count) + 0.5) * size / count).astype(np.intp), size - 1)


def shrink(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A map shrunk to rows x cols by averaging the block of source pixels under each new pixel."""
    row_starts = np.arange(rows) * values.shape[0] // rows
    col_starts = np.arange(cols) * values.shape[1] // cols
    sums = np.add.reduceat(np.add.reduceat(values.astype(np.float64), row_starts, axis=0), col_starts, axis=1)
    counts = np.outer(np.diff(np.r_[row_starts, values.shape[0]]), np.diff(np.r_[col_starts, values.shape[1]]))
    return sums / counts


@dataclass(frozen=True)
class Rect:
    """Rows top..bottom-1 and columns left..right-1 of a map, in its own pixels."""

    top: int
    left: int
    bottom: int
    right: int


def covers(count: int, size: int, start: int, end: int) -> np.ndarray:
    """Which of ``count`` resampled pixels overlap source pixels start..end-1 of ``size``."""
    first = np.arange(count) * size // count
    last = np.maximum(first + 1, -(-(np.arange(count) + 1) * size // count))
    return (first < end) & (last > start)


def outline(levels: np.ndarray, shape: tuple[int, int], rect: Rect) -> np.ndarray:
    """Draw a one-pixel MARK ring just outside ``rect`` (in source pixels of a map of ``shape``)
    on its resampled ``levels``. A shrunk map marks every pixel that overlaps the rect."""
    inside = np.outer(covers(levels.shape[0], shape[0], rect.top, rect.bottom),
                      covers(levels.shape[1], shape[1], rect.left, rect.right))
    if not inside.any():
        return levels
    grown = inside.copy()
    grown[1:] |= inside[:-1]
    grown[:-1] |= inside[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    ring = grown & ~inside
    if not ring.any():  # the rect fills the picture: mark its own edge instead
        padded = np.pad(inside, 1)
        ring = inside & ~(padded[2:, 1:-1] & padded[:-2, 1:-1] & padded[1:-1, 2:] & padded[1:-1, :-2])
    marked = levels.copy()
    marked[ring] = MARK
    return marked


# -- pictures -----------------------------------------------------------------------

@dataclass(frozen=True)
class Pixels:
    upper: np.ndarray  # colour codes
    lower: np.ndarray

    @property
    def width(self) -> int:
        return len(self.upper)


@dataclass(frozen=True)
class Chars:
    text: str
    codes: np.ndarray  # foreground colour codes (0: default)

    @property
    def width(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class Label:
    text: str
    style: str = ""  # a Rich style for the app (e.g. "bold"); plain in ANSI output

    @property
    def width(self) -> int:
        return cell_width(self.text)


Piece = Pixels | Chars | Label
Row = list[Piece]


@dataclass(frozen=True)
class MapLayout:
    """How a map was placed: the source index of every drawn pixel row and column."""

    rows: np.ndarray
    cols: np.ndarray

    @property
    def cells(self) -> tuple[int, int]:
        """(columns, rows) of terminal cells the map takes."""
        return len(self.cols), (len(self.rows) + 1) // 2


def map_rows(values: np.ndarray, scale: Scale, pal: Palette, *, columns: int, rows: int, ramp: bool = False,
             marks: Sequence[Rect] = ()) -> tuple[list[Row], MapLayout]:
    """One 2-D map drawn in at most ``columns`` x ``rows`` cells."""
    factor = fit_factor(values.shape[0], values.shape[1], columns, rows)
    layout = MapLayout(sample_indices(values.shape[0], factor), sample_indices(values.shape[1], factor))
    if factor < 1:  # each drawn pixel shows the mean of the pixels it covers, so nothing vanishes
        levels = scale.levels(shrink(values, len(layout.rows), len(layout.cols)))
    else:
        levels = scale.levels(values)[np.ix_(layout.rows, layout.cols)]
    for rect in marks:
        levels = outline(levels, values.shape, rect)
    return level_rows(levels, pal, ramp), layout


def rgb_rows(image: np.ndarray, mode: str, *, columns: int, rows: int, ramp: bool = False) -> list[Row]:
    """A colour image (3, H, W) with values in [0, 1] as it looks, in at most ``columns`` x ``rows`` cells.
    The character ramp follows its brightness."""
    factor = fit_factor(image.shape[1], image.shape[2], columns, rows)
    count_rows, count_cols = len(sample_indices(image.shape[1], factor)), len(sample_indices(image.shape[2], factor))
    if factor < 1:
        image = np.stack([shrink(channel, count_rows, count_cols) for channel in image])
    else:
        image = image[:, sample_indices(image.shape[1], factor)][:, :, sample_indices(image.shape[2], factor)]
    rgb = np.clip(np.rint(np.nan_to_num(image.transpose(1, 2, 0).astype(np.float64)) * 255), 0, 255).astype(np.uint8)
    if ramp or mode == "none":
        brightness = (rgb.astype(np.float64) @ [0.299, 0.587, 0.114]).round().astype(np.int16)
        chars = level_rows(brightness, palette("grey", "none"), ramp=True)
        tops = rgb_codes(rgb[0::2], mode)
        return [[Chars(row[0].text, codes)] for row, codes in zip(chars, tops)]
    codes = rgb_codes(rgb, mode)
    if len(codes) % 2:
        codes = np.vstack([codes, np.zeros((1, codes.shape[1]), dtype=codes.dtype)])
    return [[Pixels(up, down)] for up, down in zip(codes[0::2], codes[1::2])]


def level_rows(levels: np.ndarray, pal: Palette, ramp: bool) -> list[Row]:
    """Rows of cells for a 2-D array of levels (0..LEVELS-1 or MARK)."""
    if len(levels) % 2:
        levels = np.vstack([levels, np.full((1, levels.shape[1]), BLANK, dtype=levels.dtype)])
    upper, lower = levels[0::2], levels[1::2]
    if not ramp and pal.colored:
        return [[Pixels(pal.codes[u], pal.codes[d])] for u, d in zip(upper, lower)]
    return [[ramp_chars(u, d, pal)] for u, d in zip(upper, lower)]


def ramp_chars(upper: np.ndarray, lower: np.ndarray, pal: Palette) -> Chars:
    marked = (upper == MARK) | (lower == MARK)
    real_lower = np.where((lower == BLANK) | (lower == MARK), upper, lower)
    real_upper = np.where(upper == MARK, real_lower, upper)
    mean = (real_upper.astype(np.int32) + real_lower) // 2
    ramp = char_ramp(pal.cmap)
    index = np.where(marked, len(ramp), mean * len(ramp) // LEVELS)
    codes = pal.codes[np.where(marked, MARK, mean)]
    return Chars("".join(np.array([*ramp, MARK_CHAR])[index]), codes)


def ramp_level(char: str, cmap: str = "grey") -> tuple[int, int]:
    """The range of levels (low, high inclusive) a ramp character stands for on ``cmap``."""
    ramp = char_ramp(cmap)
    step = ramp.index(char)
    n = len(ramp)
    return -(-step * LEVELS // n), -(-(step + 1) * LEVELS // n) - 1


def legend_row(scale: Scale, pal: Palette, width: int, ramp: bool, note: str = "", fit: int | None = None,
               label: Callable[[float], str] = "{:.3g}".format) -> Row:
    """``low [colour bar] high  note``, the bar ``width`` cells wide, the ends written by ``label``;
    the note is cut to keep the row within ``fit`` cells."""
    levels = np.linspace(0, LEVELS - 1, max(width, 2)).round().astype(np.int16)
    if ramp or not pal.colored:
        bar: Piece = ramp_chars(levels, levels, pal)
    else:
        bar = Pixels(pal.codes[levels], pal.codes[levels])
    row: Row = [Label(f"{label(scale.low)} "), bar, Label(f" {label(scale.high)}")]
    room = (fit - row_width(row) - 2) if fit is not None else len(note)
    if note and room >= 6:
        row.append(Label(f"  {note if len(note) <= room else note[:room - 1] + '~'}", "dim"))
    return row


def row_width(row: Row) -> int:
    return sum(piece.width for piece in row)


def pad_row(row: Row, width: int) -> Row:
    missing = width - row_width(row)
    return row + [Label(" " * missing)] if missing > 0 else row


def side_by_side(blocks: Sequence[list[Row]], gap: int = 2) -> list[Row]:
    """Blocks of rows placed left to right, each padded to its widest row."""
    widths = [max((row_width(r) for r in block), default=0) for block in blocks]
    height = max((len(block) for block in blocks), default=0)
    rows: list[Row] = []
    for y in range(height):
        row: Row = []
        for index, (block, width) in enumerate(zip(blocks, widths)):
            if index:
                row.append(Label(" " * gap))
            row += pad_row(block[y] if y < len(block) else [], width)
        rows.append(row)
    return rows


def grid_per_row(thumb: int, columns: int, gap: int = 1) -> int:
    """How many thumbnails ``thumb`` cells wide fit in ``columns``, ``gap`` apart."""
    return max(1, (columns + gap) // (thumb + gap))


def grid_rows(maps: np.ndarray, scales: Sequence[Scale], pal: Palette, *, columns: int, thumb: int,
              ramp: bool = False, labels: Sequence[str] | None = None, gap: int = 1,
              selected: int | None = None) -> list[Row]:
    """Channel thumbnails ``thumb`` cells wide, as many a row as fit in ``columns``; each with a
    label above (the ``selected`` channel's label reversed)."""
    count, height, width = maps.shape
    per_row = grid_per_row(thumb, columns, gap)
    pixel_rows = -(-height * thumb // width)
    thumb_rows = max(1, -(-pixel_rows // 2))  # two pixel rows per cell, rounded up so no row is lost
    labels = labels or [str(i) for i in range(count)]
    rows: list[Row] = []
    for start in range(0, count, per_row):
        blocks = []
        for channel in range(start, min(start + per_row, count)):
            cells, _ = map_rows(maps[channel], scales[channel], pal, columns=thumb, rows=thumb_rows, ramp=ramp)
            label = Label(labels[channel][:thumb], "reverse bold" if channel == selected else "")
            blocks.append([[label], *cells])
        rows += side_by_side(blocks, gap)
    return rows


# -- output -----------------------------------------------------------------------------

class _AnsiLine:
    """One line of ANSI text that remembers the colours in effect, to emit only changes."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.fg = self.bg = 0  # colour codes in effect; 0 is the terminal default

    def set_colors(self, fg: int, bg: int) -> None:
        codes = []
        if fg != self.fg:
            codes.append(ink(fg).fg)
        if bg != self.bg:
            codes.append(ink(bg).bg)
        if codes:
            self.parts.append(f"\x1b[{';'.join(codes)}m")
        self.fg, self.bg = fg, bg

    def add(self, piece: Piece) -> None:
        if isinstance(piece, Label):
            self.set_colors(0, 0)
            self.parts.append(piece.text)
        elif isinstance(piece, Chars):
            for char, code in zip(piece.text, piece.codes.tolist()):
                if char != " ":
                    self.set_colors(code, 0)
                elif self.bg:  # a space shows no foreground, so keep whichever is set
                    self.set_colors(self.fg, 0)
                self.parts.append(char)
        else:
            for up, down in zip(piece.upper.tolist(), piece.lower.tolist()):
                char, fg, bg = half_block(up, down, self.fg, self.bg)
                self.set_colors(fg, bg)
                self.parts.append(char)

    def text(self) -> str:
        return "".join(self.parts) + ("\x1b[0m" if self.fg or self.bg else "")


def to_ansi(rows: Sequence[Row]) -> str:
    """ANSI text, emitting a colour code only when a colour changes; every line ends reset."""
    lines = []
    for row in rows:
        line = _AnsiLine()
        for piece in row:
            line.add(piece)
        lines.append(line.text())
    return "\n".join(lines) + "\n"


def half_block(up: int, down: int, fg: int, bg: int) -> tuple[str, int, int]:
    """The character and colours that show ``up`` over ``down`` with the fewest changes from (fg, bg)."""
    if down == 0:  # no lower pixel: the background must stay the terminal's own
        return ("▀", up, 0) if up else (" ", fg, 0)
    if up == down:
        if bg == up:
            return " ", fg, bg
        if fg == up:
            return "█", fg, bg
        return " ", fg, up
    if (fg, bg) == (down, up) or fg == down or bg == up:
        return "▄", down, up
    return "▀", up, down


def row_segments(row: Row, style_of: Callable[[int, int], Style], label_style: Callable[[str], Style]) -> list[Segment]:
    """Rich segments for one row; runs of equal colours become one segment."""
    segments: list[Segment] = []
    for piece in row:
        if isinstance(piece, Label):
            segments.append(Segment(piece.text, label_style(piece.style)))
            continue
        if isinstance(piece, Chars):
            chars, fgs, bgs = piece.text, piece.codes, np.zeros_like(piece.codes)
        else:
            fgs, bgs = piece.upper, piece.lower
            chars = np.where(fgs == 0, " ", "▀")  # a blank cell (both default) is a space
        keys = np.stack([fgs, bgs], axis=1) if len(fgs) else np.zeros((0, 2), dtype=np.int32)
        starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)]) if len(keys) else []
        ends = [*starts[1:], len(keys)]
        for start, end in zip(starts, ends):
            text = chars[start:end] if isinstance(chars, str) else "".join(chars[start:end])
            segments.append(Segment(text, style_of(int(fgs[start]), int(bgs[start]))))
    return segments


def picture_text(rows: Sequence[Row]) -> str:
    """The characters alone, for tests and for copying."""
    out = []
    for row in rows:
        parts = []
        for piece in row:
            if isinstance(piece, Pixels):
                parts.append("".join(" " if u == 0 else "▀" for u in piece.upper.tolist()))
            else:
                parts.append(piece.text)
        out.append("".join(parts))
    return "\n".join(out)
