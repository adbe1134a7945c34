"""Colour maps and, for each terminal colour mode, our own table from value level to colour.

A value is first turned into one of LEVELS levels. Each (colour map, mode)
pair then has a Palette: level -> colour code -> (``ink``) the escape codes
and the Rich colour of that code. The tables are built here rather than left to Rich's
automatic downgrade, which merges the dark end of a map into one colour.

- truecolor: the map's own colour for every level.
- 256: the nearest colour (in CIELAB) among indices 16-255, the 6x6x6 cube
  and the grey ramp; 0-15 are avoided because every terminal theme redefines them.
- 16: a short hand-picked ramp per map, since nearest-colour matching among
  16 theme-dependent colours gives no usable order.
- none: no colour at all; pictures are drawn with a character ramp instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from .terminal import hex_rgb, xterm_colors

CMAPS = ("grey", "viridis", "diverging")
LEVELS = 256
MARK = LEVELS  # the level of outlines: the cursor, the convolution window
BLANK = LEVELS + 1  # no pixel: the missing lower half of an odd last row

# Control points, evenly spaced from the lowest value to the highest.
CONTROL_POINTS = {
    "grey": ["#000000", "#ffffff"],
    # A perceptually even sequential map in the manner of matplotlib's viridis.
    "viridis": ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30",
                "#fde725"],
    # Blue below zero, white at zero, red above; always centred on zero.
    "diverging": ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d",
                  "#b2182b"],
}
MARK_RGB = (255, 0, 255)

RAMPS_16 = {"grey": [0, 8, 7, 15], "viridis": [5, 4, 6, 2, 10, 11], "diverging": [4, 12, 7, 9, 1]}
MARK_16 = 13
MARK_256 = 201

# The character ramp for pictures without colour or without block characters, dark to bright.
CHAR_RAMP = " .:-=+*#%@"
# A diverging map's ramp, most negative to most positive: zero is blank, so that a map's
# background of zeros looks like nothing and the sign still shows without colour.
SIGNED_RAMP = "=- +#"
MARK_CHAR = "X"


def char_ramp(cmap: str) -> str:
    """The characters that stand for a map's levels, lowest level first."""
    return SIGNED_RAMP if cmap == "diverging" else CHAR_RAMP


def xterm_256_rgb() -> np.ndarray:
    """RGB of indices 0-255 (xterm defaults for 0-15)."""
    return np.array(xterm_colors(), dtype=np.uint8)


def cmap_rgb(cmap: str) -> np.ndarray:
    """(LEVELS, 3) uint8: the map's colour at each level, interpolated between control points."""
    points = np.array([hex_rgb(h) for h in CONTROL_POINTS[cmap]], dtype=np.float64)
    where = np.linspace(0, len(points) - 1, LEVELS)
    low = np.minimum(where.astype(int), len(points) - 2)
    part = (where - low)[:, None]
    return np.rint(points[low] * (1 - part) + points[low + 1] * part).astype(np.uint8)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (0-255) to CIELAB, for choosing the nearest colour as the eye would."""
    c = rgb.astype(np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192], [0.1805, 0.0722, 0.9505]])
    xyz /= np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def nearest_256(rgb: np.ndarray) -> np.ndarray:
    """For each RGB row, the closest of indices 16-255."""
    candidates = _lab(xterm_256_rgb()[16:])
    distance = ((_lab(rgb)[:, None, :] - candidates[None, :, :]) ** 2).sum(axis=2)
    return distance.argmin(axis=1) + 16


def nearest_16(rgb: np.ndarray) -> np.ndarray:
    """For each RGB row, the closest of xterm's 16 colours (for photos; maps use RAMPS_16)."""
    candidates = _lab(xterm_256_rgb()[:16])
    return ((_lab(rgb)[:, None, :] - candidates[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


TRUECOLOR_FLAG = 1 << 24


def rgb_code(red: int, green: int, blue: int) -> int:
    """A colour code: 0 is the terminal's default, 1-256 a palette index plus one,
    and from TRUECOLOR_FLAG on a 24-bit colour. Codes from different maps can share a picture."""
    return TRUECOLOR_FLAG | red << 16 | green << 8 | blue


def index_code(index: int) -> int:
    return index + 1


@dataclass(frozen=True)
class Ink:
    """One colour code as escape-code parameters and as RGB."""

    fg: str
    bg: str
    rgb: tuple[int, int, int]
    index: int | None  # the palette index in 256 and 16 colour modes


@cache
def ink(code: int) -> Ink:
    if code == 0:
        return Ink("39", "49", (0, 0, 0), None)
    if code >= TRUECOLOR_FLAG:
        r, g, b = code >> 16 & 255, code >> 8 & 255, code & 255
        return Ink(f"38;2;{r};{g};{b}", f"48;2;{r};{g};{b}", (r, g, b), None)
    index = code - 1
    rgb = tuple(int(v) for v in xterm_256_rgb()[index])
    if index >= 16:
        return Ink(f"38;5;{index}", f"48;5;{index}", rgb, index)
    bright = index >= 8
    return Ink(str((90 if bright else 30) + index % 8), str((100 if bright else 40) + index % 8), rgb, index)


@dataclass(frozen=True, eq=False)
class Palette:
    """Level (0..LEVELS-1, MARK, BLANK) to colour code (see ``rgb_code``); BLANK is always 0.

    ``colored`` is False in mode "none", where every code is 0.
    """

    cmap: str
    mode: str
    codes: np.ndarray

    @property
    def colored(self) -> bool:
        return self.mode != "none"

    def rgb(self, level: int) -> tuple[int, int, int]:
        return ink(int(self.codes[level])).rgb


@cache
def palette(cmap: str, mode: str) -> Palette:
    if mode == "none":
        codes = [0] * LEVELS + [0]
    elif mode == "truecolor":
        codes = [rgb_code(*(int(v) for v in row)) for row in cmap_rgb(cmap)] + [rgb_code(*MARK_RGB)]
    elif mode == "256":
        codes = [index_code(i) for i in nearest_256(cmap_rgb(cmap)).tolist()] + [index_code(MARK_256)]
    elif mode == "16":
        ramp = RAMPS_16[cmap]
        codes = [index_code(ramp[level * len(ramp) // LEVELS]) for level in range(LEVELS)] + [index_code(MARK_16)]
    else:
        raise ValueError(f"unknown colour mode {mode!r}")
    return Palette(cmap, mode, np.array(codes + [0], dtype=np.int64))


def rgb_codes(rgb: np.ndarray, mode: str) -> np.ndarray:
    """Colour codes for an (..., 3) uint8 array of true colours, in ``mode`` (all 0 for "none")."""
    flat = rgb.reshape(-1, 3).astype(np.int64)
    if mode == "truecolor":
        codes = TRUECOLOR_FLAG | flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2]
    elif mode == "256":
        codes = nearest_256(flat) + 1
    elif mode == "16":
        codes = nearest_16(flat) + 1
    else:
        codes = np.zeros(len(flat), dtype=np.int64)
    return codes.reshape(rgb.shape[:-1])
