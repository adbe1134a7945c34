"""Feature maps as terminal pictures, read back: the ANSI output is decoded cell by cell
and compared with colours computed here, independently of the renderer.

The decoder below follows the escape codes a terminal would (SGR 0, 30-37, 38;5;n,
38;2;r;g;b, 39, 40-47, 48;5;n, 48;2;r;g;b, 49, 90-97, 100-107) and turns every
half-block cell back into its two pixels. The expected colour of each pixel is the
colour map's colour (truecolor) or the palette index chosen for its level (256 and
16 colours), from values quantised here.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image
from test_cli import assert_user_error

from cnntui import cli
from cnntui.content import catalog
from cnntui.core import Network
from cnntui.core.assets import find_sample
from cnntui.core.messages import TEMPLATES
from cnntui.images import load_input, map_image, save_map_png
from cnntui.render import features, terminal
from cnntui.render.colormap import (
    CHAR_RAMP,
    CMAPS,
    LEVELS,
    MARK,
    MARK_16,
    MARK_256,
    MARK_RGB,
    RAMPS_16,
    char_ramp,
    cmap_rgb,
    nearest_256,
    palette,
    xterm_256_rgb,
)
from cnntui.render.picture import SCOPES, Rect, Scale, map_rows, ramp_level, to_ansi

MODES = ("truecolor", "256", "16")
SGR = re.compile(r"\x1b\[([0-9;]*)m")
BLOCKS = "▀▄█ "


# -- a terminal, as far as colours go --------------------------------------------------

@dataclass(frozen=True)
class Cell:
    char: str
    fg: tuple | None  # ("rgb", (r, g, b)) or ("index", n); None is the terminal's default
    bg: tuple | None


@dataclass
class Decoded:
    lines: list[list[Cell]]
    codes: list[list[str]]  # every SGR parameter group, per line
    wasted: list[str]  # settings that changed nothing, and escapes that follow another escape
    end_states: list[tuple]  # (fg, bg) after each line


def _colour(params: list[int], at: int) -> tuple[tuple, int]:
    """The colour of an extended 38/48 setting starting at ``params[at]``, and how many params it took."""
    if params[at + 1] == 5:
        return ("index", params[at + 2]), 3
    if params[at + 1] == 2:
        return ("rgb", tuple(params[at + 2:at + 5])), 5
    raise AssertionError(f"unknown extended colour {params[at:]}")


def decode(text: str) -> Decoded:
    assert text.endswith("\n")
    result = Decoded([], [], [], [])
    for line in text[:-1].split("\n"):
        fg = bg = None
        cells, codes = [], []
        last_was_escape = False
        position = 0
        for match in SGR.finditer(line):
            cells += [Cell(char, fg, bg) for char in line[position:match.start()]]
            if match.start() == position and last_was_escape:
                result.wasted.append(f"escape right after an escape: {match.group(0)!r}")
            position = match.end()
            last_was_escape = True
            params = [int(p) for p in match.group(1).split(";")] if match.group(1) else [0]
            at = 0
            while at < len(params):
                code = params[at]
                before = (fg, bg)
                if code == 0:
                    fg = bg = None
                    took = 1
                elif code == 39:
                    fg, took = None, 1
                elif code == 49:
                    bg, took = None, 1
                elif 30 <= code <= 37 or 90 <= code <= 97:
                    fg, took = ("index", code - 30 if code < 90 else code - 90 + 8), 1
                elif 40 <= code <= 47 or 100 <= code <= 107:
                    bg, took = ("index", code - 40 if code < 100 else code - 100 + 8), 1
                elif code == 38:
                    fg, took = _colour(params, at)
                elif code == 48:
                    bg, took = _colour(params, at)
                else:
                    raise AssertionError(f"unexpected SGR {code} in {match.group(0)!r}")
                group = ";".join(map(str, params[at:at + took]))
                codes.append(group)
                if (fg, bg) == before:
                    result.wasted.append(f"{group} changes nothing")
                at += took
        if line[position:]:
            last_was_escape = False
        cells += [Cell(char, fg, bg) for char in line[position:]]
        for cell in cells:
            assert cell.char != "\x1b"
        result.lines.append(cells)
        result.codes.append(codes)
        result.end_states.append((fg, bg))
    return result


def halves(cell: Cell) -> tuple:
    """(upper, lower) colour of a half-block cell."""
    if cell.char == "▀":
        return cell.fg, cell.bg
    if cell.char == "▄":
        return cell.bg, cell.fg
    if cell.char == "█":
        return cell.fg, cell.fg
    if cell.char == " ":
        return cell.bg, cell.bg
    raise AssertionError(f"{cell.char!r} is not a half-block cell")


def pixels_of(lines: list[list[Cell]], left: int = 0, width: int | None = None) -> list[list]:
    """Decoded half-block cells as rows of pixel colours (two rows a line)."""
    rows = []
    for cells in lines:
        pair = [halves(cell) for cell in cells[left:None if width is None else left + width]]
        rows += [[p[0] for p in pair], [p[1] for p in pair]]
    return rows


# -- what each pixel should be, computed here ------------------------------------------

def quantise(values: np.ndarray, diverging: bool = False, arrays=None) -> np.ndarray:
    """Levels 0..255: the lowest value (or -max|v| when diverging) at 0, the highest at 255."""
    pool = np.concatenate([np.ravel(a) for a in (arrays if arrays is not None else [values])]).astype(np.float64)
    low, high = float(pool.min()), float(pool.max())
    if diverging:
        low, high = -max(abs(low), abs(high)), max(abs(low), abs(high))
    span = high - low
    if span <= 0:
        return np.full(values.shape, LEVELS // 2 if diverging else 0)
    return np.clip(np.rint((values.astype(np.float64) - low) * ((LEVELS - 1) / span)), 0, LEVELS - 1).astype(int)


@functools.cache
def nearest_indices(cmap: str) -> tuple[int, ...]:
    return tuple(int(i) for i in nearest_256(cmap_rgb(cmap)))


@functools.cache
def expected_colour(level: int | None, cmap: str, mode: str):
    if level is None:
        return None
    if mode == "truecolor":
        return ("rgb", MARK_RGB if level == MARK else tuple(int(v) for v in cmap_rgb(cmap)[level]))
    if mode == "256":
        return ("index", MARK_256 if level == MARK else nearest_indices(cmap)[level])
    ramp = RAMPS_16[cmap]
    return ("index", MARK_16 if level == MARK else ramp[level * len(ramp) // LEVELS])


def expected_pixels(levels: np.ndarray, cmap: str, mode: str) -> list[list]:
    rows = [[expected_colour(int(v), cmap, mode) for v in row] for row in levels]
    if len(rows) % 2:
        rows.append([None] * levels.shape[1])  # an odd last row has no lower half
    return rows


def resampled(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """Levels of a map drawn at height x width pixels, on the map's own scale.

    Enlarged: output pixel i shows source pixel floor((i + 0.5) * size / out).
    Shrunk: output pixel i shows the mean of source pixels floor(i * size / out)
    up to floor((i + 1) * size / out), so that no value vanishes.
    """
    if height >= values.shape[0]:
        rows = np.minimum(((np.arange(height) + 0.5) * values.shape[0] / height).astype(int), values.shape[0] - 1)
        cols = np.minimum(((np.arange(width) + 0.5) * values.shape[1] / width).astype(int), values.shape[1] - 1)
        return quantise(values)[np.ix_(rows, cols)]
    means = np.empty((height, width))
    for i in range(height):
        for j in range(width):
            block = values[i * values.shape[0] // height:(i + 1) * values.shape[0] // height,
                           j * values.shape[1] // width:(j + 1) * values.shape[1] // width]
            means[i, j] = block.astype(np.float64).mean()
    return quantise(means, arrays=[values])


def fitted_size(height: int, width: int, columns: int, rows: int) -> tuple[int, int]:
    """Pixels a map takes in columns x rows cells: the largest whole upscale, else shrunk to fit."""
    whole = min(columns // width, 2 * rows // height)
    if whole >= 1:
        return height * whole, width * whole
    factor = min(columns / width, 2 * rows / height)
    return max(1, int(height * factor)), max(1, int(width * factor))


def draw(values, cmap: str, mode: str, *, ramp: bool = False, columns: int | None = None, marks=()) -> str:
    scale = Scale.of(values, diverging=cmap == "diverging")
    rows, _ = map_rows(values, scale, palette(cmap, mode), columns=columns or values.shape[1], rows=10_000,
                       ramp=ramp, marks=marks)
    return to_ansi(rows)


def test_the_palettes_agree_with_the_tables_the_expectations_use():
    xterm = xterm_256_rgb()
    for cmap in CMAPS:
        for mode in MODES:
            pal = palette(cmap, mode)
            for level in [*range(LEVELS), MARK]:
                kind, value = expected_colour(level, cmap, mode)
                assert pal.rgb(level) == (value if kind == "rgb" else tuple(int(v) for v in xterm[value]))


# -- properties of one map -----------------------------------------------------------

finite = st.floats(-1000, 1000, allow_nan=False, width=32)
maps = st.one_of(
    hnp.arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=finite),
    st.builds(lambda h, w, v: np.full((h, w), v, dtype=np.float32), st.integers(1, 12), st.integers(1, 12), finite),
)


@given(values=maps, cmap=st.sampled_from(CMAPS), mode=st.sampled_from(MODES))
def test_half_blocks_decode_to_each_pixels_colour(values, cmap, mode):
    text = draw(values, cmap, mode)
    decoded = decode(text)
    height, width = values.shape
    assert len(decoded.lines) == (height + 1) // 2 and all(len(line) == width for line in decoded.lines)
    assert pixels_of(decoded.lines) == expected_pixels(quantise(values, cmap == "diverging"), cmap, mode)
    assert not decoded.wasted
    for codes, state, line in zip(decoded.codes, decoded.end_states, text.splitlines()):
        assert state == (None, None)
        assert line.endswith("\x1b[0m") == bool(codes)
    if mode == "256":
        assert all(code.startswith(("38;5;", "48;5;")) or code == "0" for line in decoded.codes for code in line)
        used = {int(code.split(";")[2]) for line in decoded.codes for code in line if code != "0"}
        assert all(16 <= index <= 255 for index in used)


@given(values=maps, cmap=st.sampled_from(CMAPS), colour=st.sampled_from(["none", *MODES]))
def test_the_character_ramp_decodes_to_each_cells_level_range(values, cmap, colour):
    text = draw(values, cmap, colour, ramp=True)
    if colour == "none":
        assert "\x1b" not in text
    decoded = decode(text)
    levels = quantise(values, cmap == "diverging")
    lower = np.vstack([levels, levels[-1:]])[1::2] if len(levels) % 2 else levels[1::2]
    means = (levels[0::2] + lower) // 2
    assert not decoded.wasted
    for cells, row in zip(decoded.lines, means):
        assert "".join(cell.char for cell in cells).strip(char_ramp(cmap)) == ""
        for cell, mean in zip(cells, row):
            low, high = ramp_level(cell.char, cmap)
            assert low <= mean <= high
            assert cell.bg is None
            if cell.char != " ":
                assert cell.fg == (None if colour == "none" else expected_colour(int(mean), cmap, colour))
    assert all(state == (None, None) for state in decoded.end_states)


@pytest.mark.parametrize("cmap", CMAPS)
def test_the_ramp_covers_all_levels_in_order(cmap):
    ranges = [ramp_level(char, cmap) for char in char_ramp(cmap)]
    assert ranges[0][0] == 0 and ranges[-1][1] == LEVELS - 1
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))


@pytest.mark.parametrize("mode", ["none", *MODES])
def test_zero_on_a_signed_map_is_blank_and_the_sign_shows_without_colour(mode):
    cells = np.array([[0, -2, -0.8, 0], [0.8, 2, 0, 0.1]], dtype=np.float32)  # -2..2: 0.1 is near zero
    values = cells.repeat(2, axis=0)  # both pixels of a cell alike: a ramp cell shows their mean
    rows = ["".join(cell.char for cell in line) for line in decode(draw(values, "diverging", mode, ramp=True)).lines]
    assert rows == [" =- ", "+#  "]
    assert char_ramp("grey") == CHAR_RAMP and CHAR_RAMP[0] == " "  # unsigned maps: blank is the lowest


def test_without_colour_the_legend_names_the_characters_not_the_colours():
    x = np.zeros((1, 6, 6), dtype=np.float32)
    x[0, 2:4, 2:4] = 1.0
    outputs = [x - 0.5]  # signed: a diverging map by default
    drawn = features.render_layer(x, outputs, 0, 0, mode="none", columns=80)
    legend = "".join(piece.text for piece in drawn[-1])
    assert "= - negative, blank near 0, + # positive" in legend and "diverging" not in legend
    coloured = features.render_layer(x, outputs, 0, 0, mode="256", columns=80)
    assert "diverging" in "".join(getattr(piece, "text", "") for piece in coloured[-1])
    grey = features.render_layer(x, [x], 0, 0, mode="none", columns=80, ramp=True)
    assert "low to high: blank . : - = + * # % @" in "".join(piece.text for piece in grey[-1])
    for language in ("en", "zh"):
        words = catalog(language)
        assert all(f"view.ramp.{cmap}" in words for cmap in CMAPS)
        assert all(colour not in words["view.ramp.diverging"] for colour in ("blue", "red", "蓝", "红"))


def test_flat_maps_and_a_diverging_map_take_the_middle_and_the_ends():
    def colours(value, cmap):
        flat = decode(draw(np.full((2, 3), value, dtype=np.float32), cmap, "truecolor"))
        return {colour for row in pixels_of(flat.lines) for colour in row}

    assert colours(0.0, "diverging") == {("rgb", tuple(int(v) for v in cmap_rgb("diverging")[LEVELS // 2]))}
    assert colours(5.0, "diverging") == {("rgb", tuple(int(v) for v in cmap_rgb("diverging")[-1]))}
    assert colours(-5.0, "diverging") == {("rgb", tuple(int(v) for v in cmap_rgb("diverging")[0]))}
    assert colours(5.0, "grey") == {("rgb", (0, 0, 0))}
    signed = np.array([[-2.0, 0.0, 1.0, 2.0]], dtype=np.float32)
    row = pixels_of(decode(draw(signed, "diverging", "truecolor")).lines)[0]
    ends = cmap_rgb("diverging")
    assert row[0] == ("rgb", tuple(int(v) for v in ends[0])) and row[3] == ("rgb", tuple(int(v) for v in ends[-1]))


# -- marks --------------------------------------------------------------------------------

def ring(height: int, width: int, rect: Rect, factor: int) -> np.ndarray:
    """Pixels (of the map upscaled by ``factor``) one step outside the rect; its own border when
    nothing lies outside it."""
    source_rows, source_cols = np.arange(height * factor) // factor, np.arange(width * factor) // factor
    inside = np.outer((source_rows >= rect.top) & (source_rows < rect.bottom),
                      (source_cols >= rect.left) & (source_cols < rect.right))
    near = np.zeros_like(inside)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= np.roll(np.pad(inside, 1), (dy, dx), axis=(0, 1))[1:-1, 1:-1]
    outside = near & ~inside
    if outside.any():
        return outside
    border = inside.copy()
    border[1:-1, 1:-1] = False
    return border


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("factor", [1, 2])
@pytest.mark.parametrize("rect", [Rect(2, 3, 5, 6), Rect(0, 0, 3, 3), Rect(4, 7, 7, 9), Rect(3, 3, 4, 4),
                                  Rect(0, 0, 7, 9)])
def test_an_outline_rings_the_rect(rect, factor, mode):
    values = np.random.default_rng(5).random((7, 9), dtype=np.float32)
    decoded = decode(draw(values, "grey", mode, columns=9 * factor, marks=[rect]))
    levels = quantise(values).repeat(factor, axis=0).repeat(factor, axis=1)
    want = np.where(ring(7, 9, rect, factor), MARK, levels)
    assert pixels_of(decoded.lines) == expected_pixels(want, "grey", mode)


# -- a grid of channels ------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["truecolor", "256"])
@pytest.mark.parametrize(("shape", "columns"), [((6, 8, 8), 80), ((40, 32, 32), 80), ((3, 5, 7), 40),
                                                ((10, 13, 13), 80), ((12, 62, 62), 100), ((1, 1, 10), 80)])
def test_every_thumbnail_of_a_grid_decodes_to_its_resampled_map(shape, columns, mode):
    outputs = [np.random.default_rng(shape[0]).normal(size=shape).astype(np.float32)]
    rows = features.render_layer(outputs[0][0], outputs, 0, None, mode=mode, cmap="grey", scope="map",
                                 columns=columns)
    decoded = decode(to_ansi(rows))
    texts = ["".join(cell.char for cell in line) for line in decoded.lines]
    count, height, width = shape
    thumb = features.thumbnail_width(shape, columns)
    pixel_rows = -(-height * thumb // width)  # the thumbnail's height at its width, in pixels
    out_h, out_w = fitted_size(height, width, thumb, max(1, -(-pixel_rows // 2)))
    cell_rows = (out_h + 1) // 2
    seen = []
    for index, text in enumerate(texts[:-2]):
        if not re.fullmatch(r" *\d[\d ]*", text):
            continue
        for label in re.finditer(r"\d+", text):
            channel = int(label.group())
            seen.append(channel)
            got = pixels_of(decoded.lines[index + 1:index + 1 + cell_rows], label.start(), out_w)
            want = resampled(outputs[0][channel], out_h, out_w)
            assert got == expected_pixels(want, "grey", mode), channel
            assert max(len(line) for line in decoded.lines[index + 1:index + 1 + cell_rows]) <= columns
    assert seen == list(range(count))
    # The legend comes last; its note follows on a line of its own when the picture is too narrow for both.
    legend = texts[-1] if texts[-1].startswith(f"{Scale.of(outputs[0][0]).low:.3g} ") else texts[-2]
    assert legend.startswith(f"{Scale.of(outputs[0][0]).low:.3g} ")
    assert "each map scaled to its own range" in " ".join(texts[-2:])


def test_a_grid_scaled_per_layer_shares_one_range():
    maps = np.stack([np.zeros((4, 4)), np.full((4, 4), 2.0), np.arange(16.0).reshape(4, 4)]).astype(np.float32)
    rows = features.render_layer(maps, [maps], 0, None, mode="truecolor", cmap="grey", scope="layer", columns=80)
    decoded = decode(to_ansi(rows))
    labels = "".join(cell.char for cell in decoded.lines[0])
    for match in re.finditer(r"\d+", labels):
        channel = int(match.group())
        got = pixels_of(decoded.lines[1:5], match.start(), 8)
        want = quantise(maps[channel], arrays=[maps]).repeat(2, axis=0).repeat(2, axis=1)
        assert got == expected_pixels(want, "grey", "truecolor")


# -- PNG ----------------------------------------------------------------------------------

def test_map_image_upscales_each_pixel_and_lays_a_grid_out_with_gaps(tmp_path):
    maps = np.random.default_rng(2).normal(size=(5, 3, 4)).astype(np.float32)
    scales = [Scale.of(m) for m in maps]
    size = save_map_png(maps, scales, "viridis", tmp_path / "grid.png", factor=3, per_row=2)
    assert size == (2 * 12 + 1, 3 * 9 + 2)
    with Image.open(tmp_path / "grid.png") as image:
        assert image.format == "PNG" and image.mode == "RGB" and image.size == size
        pixels = np.asarray(image)
    colours = cmap_rgb("viridis")
    for channel in range(5):
        top, left = channel // 2 * 10, channel % 2 * 13
        block = pixels[top:top + 9, left:left + 12]
        want = colours[quantise(maps[channel])].repeat(3, axis=0).repeat(3, axis=1)
        assert np.array_equal(block, want), channel
    assert (pixels[9, :] == pixels[9, 0]).all() and (pixels[:, 12] == pixels[0, 12]).all()  # the gaps
    assert not list(tmp_path.glob(".*tmp"))
    single = map_image(maps[1], scales[1], "grey", factor=2)
    assert single.size == (8, 6)


def test_save_map_png_to_a_missing_folder_is_a_user_error(tmp_path):
    from cnntui.core import CnntuiError

    with pytest.raises(CnntuiError, match="cannot write"):
        save_map_png(np.zeros((2, 2)), Scale(0, 1), "grey", tmp_path / "no" / "x.png")


# -- the cnntui render command -------------------------------------------------------------

SCRIPT = Path(sys.executable).with_name("cnntui")


def run(*args, cwd: Path | None = None, **environ) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "", "COLORTERM": "", "TERM": "xterm-256color",
           **environ}
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, encoding="utf-8", cwd=cwd, check=False,
                          timeout=120, env=env)


@pytest.fixture
def image_file(tmp_path) -> Path:
    path = tmp_path / "stroke.png"
    pixels = np.zeros((40, 40), dtype=np.uint8)
    pixels[8:32, 17:23] = 255
    pixels[8:12, 10:30] = 180
    Image.fromarray(pixels).save(path)
    return path


def lenet_layer(image: Path, layer: int, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    net = Network.load("lenet5")
    net.init_weights(seed)
    x, _ = load_input(image, net.input_shape, net.name)
    return x, net.forward(x)


def test_render_one_channel_in_256_colours_is_the_engines_output_quantised(tmp_path, image_file):
    result = run("render", "lenet5", "--input", image_file, "--seed", 0, "--layer", 0, "--channel", 2,
                 "--cmap", "grey", "--colors", 256, "--width", 28, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    decoded = decode(result.stdout)
    assert len(decoded.lines) == 14 + 2  # 28 rows of pixels, then the legend and (28 columns being narrow) its note
    _, outputs = lenet_layer(image_file, 0)
    want = quantise(outputs[0][2])
    assert pixels_of(decoded.lines[:14]) == expected_pixels(want, "grey", "256")
    # cell (r, c) shows pixel (2r, c) above and (2r + 1, c) below
    r, c = 5, 11
    upper, lower = halves(decoded.lines[r][c])
    assert upper == expected_colour(int(want[2 * r, c]), "grey", "256")
    assert lower == expected_colour(int(want[2 * r + 1, c]), "grey", "256")
    assert not decoded.wasted
    assert "stroke.png: 40x40 L -> grey 1x32x32" in result.stderr and "seed 0" in result.stderr
    assert "layer 0 conv2d 6x28x28, channel 2" in result.stderr


def test_render_truecolor_with_auto_colour_map_uses_diverging_for_signed_maps(tmp_path, image_file):
    result = run("render", "lenet5", "--input", image_file, "--seed", 1, "--layer", 0, "--channel", 0,
                 "--colors", "truecolor", "--width", 28, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _, outputs = lenet_layer(image_file, 0, seed=1)
    assert outputs[0][0].min() < 0
    want = quantise(outputs[0][0], diverging=True)
    assert pixels_of(decode(result.stdout).lines[:14]) == expected_pixels(want, "diverging", "truecolor")
    assert "0 in the middle" in result.stdout.splitlines()[-1]


def test_render_wider_than_the_map_upscales_by_a_whole_factor(tmp_path, image_file):
    result = run("render", "lenet5", "--input", image_file, "--seed", 0, "--layer", 2, "--channel", 1,
                 "--cmap", "viridis", "--colors", 16, "--width", 50, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _, outputs = lenet_layer(image_file, 2)
    levels = quantise(outputs[2][1]).repeat(3, axis=0).repeat(3, axis=1)  # 14x14 -> 42x42 in 50 columns
    decoded = decode(result.stdout)
    assert pixels_of(decoded.lines[:21]) == expected_pixels(levels, "viridis", "16")


def test_render_ascii_with_colours_colours_the_ramp(tmp_path, image_file):
    result = run("render", "lenet5", "--input", image_file, "--seed", 0, "--layer", 0, "--channel", 2,
                 "--cmap", "grey", "--colors", 256, "--width", 28, "--ascii", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _, outputs = lenet_layer(image_file, 0)
    levels = quantise(outputs[0][2])
    means = (levels[0::2] + levels[1::2]) // 2
    decoded = decode(result.stdout)
    assert not any(cell.char in "▀▄█" for line in decoded.lines for cell in line)
    for cells, row in zip(decoded.lines[:14], means):
        for cell, mean in zip(cells, row):
            low, high = ramp_level(cell.char, "grey")
            assert low <= mean <= high
            if cell.char != " ":
                assert cell.fg == expected_colour(int(mean), "grey", "256")


@pytest.mark.parametrize(("options", "environ", "escapes", "blocks"), [
    ([], {"NO_COLOR": "1"}, False, False),
    (["--colors", "none"], {}, False, False),
    ([], {"TERM": "xterm-256color"}, True, True),  # stdout is a pipe here: colours still follow the environment
    ([], {"TERM": "dumb"}, False, False),
    ([], {"PYTHONIOENCODING": "latin-1"}, True, False),  # not UTF-8: the ramp, still coloured
    (["--ascii", "--colors", "16"], {}, True, False),
])
def test_render_colours_and_characters_follow_options_and_environment(tmp_path, options, environ, escapes, blocks):
    result = run("render", "lenet5", "--layer", 0, "--channel", 0, "--width", 28, *options, cwd=tmp_path, **environ)
    assert result.returncode == 0, result.stderr
    assert ("\x1b[" in result.stdout) == escapes
    assert any(char in result.stdout for char in "▀▄█") == blocks


def test_colour_options_given_before_the_command_count(tmp_path):
    result = run("--colors", "truecolor", "render", "lenet5", "--layer", 0, "--channel", 0, cwd=tmp_path)
    assert result.returncode == 0 and "48;2;" in result.stdout


def test_render_grid_shows_every_channel_label(tmp_path):
    result = run("render", "tinyvgg", "--seed", 0, "--layer", 0, "--colors", "none", "--width", 80, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    labels = [int(n) for line in result.stdout.splitlines() if re.fullmatch(r" *\d[\d ]*", line)
              for n in line.split()]
    assert labels == list(range(10))
    assert all(len(line) <= 80 for line in result.stdout.splitlines()[:-1])
    assert "sample scene (the default" in result.stderr
    assert "all channels" in result.stderr


def test_render_the_input_itself_from_a_sample_name(tmp_path):
    result = run("render", "lenet5", "--input", "digit-7", "--layer", "input", "--channel", 0, "--cmap", "grey",
                 "--colors", "truecolor", "--width", 32, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    x, _ = load_input(find_sample("digit-7"), (1, 32, 32))
    assert pixels_of(decode(result.stdout).lines[:16]) == expected_pixels(quantise(x[0]), "grey", "truecolor")
    assert "sample digit-7" in result.stderr and "input 1x32x32, channel 0" in result.stderr


def test_render_an_rgb_sample_into_tinyvgg(tmp_path):
    result = run("render", "tinyvgg", "--input", "circle", "--layer", "input", "--colors", "256", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "circle.png: 64x64 RGB -> RGB 3x64x64" in result.stderr
    labels = [line for line in result.stdout.splitlines() if re.fullmatch(r" *\d[\d ]*", line)]
    assert [int(n) for line in labels for n in line.split()] == [0, 1, 2]


def test_render_a_batched_npy_shows_its_first_sample(tmp_path):
    x = np.random.default_rng(0).random((2, 1, 32, 32), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run("render", "lenet5", "--input", tmp_path / "x.npy", "--layer", "input", "--channel", 0,
                 "--cmap", "grey", "--colors", "truecolor", "--width", 32, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sample 0 of 2" in result.stderr
    assert pixels_of(decode(result.stdout).lines[:16]) == expected_pixels(quantise(x[0, 0]), "grey", "truecolor")


def test_render_png_of_one_map_matches_the_engine(tmp_path, image_file):
    out = tmp_path / "map.png"
    result = run("render", "lenet5", "--input", image_file, "--seed", 0, "--layer", 0, "--channel", 2,
                 "--cmap", "grey", "--png", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (280, 280)  # 28x28 pixels, 10x10 each: at least 256 across
        pixels = np.asarray(image.convert("RGB"))
    _, outputs = lenet_layer(image_file, 0)
    assert np.array_equal(pixels[::10, ::10], cmap_rgb("grey")[quantise(outputs[0][2])])
    assert "wrote" in result.stderr and "280x280" in result.stderr


def test_render_png_of_a_grid_is_laid_out_as_the_terminal_grid(tmp_path):
    out = tmp_path / "grid.png"
    result = run("render", "tinyvgg", "--seed", 0, "--layer", 0, "--cmap", "grey", "--width", 80, "--png", out,
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    label_lines = [line for line in result.stdout.splitlines() if re.fullmatch(r" *\d[\d ]*", line)]
    per_row = len(label_lines[0].split())
    assert per_row == 5 and len(label_lines) == 2
    with Image.open(out) as image:
        # 10 maps of 62x62, each pixel 2x2 (at least 64 across), 5 a row, 1-pixel gaps
        assert image.size == (5 * 124 + 4, 2 * 124 + 1)


ERRORS = {
    "layer too high": (["lenet5", "--layer", "13"], ["layer 13 is out of range", "0 to 12", "'input'"]),
    "negative layer": (["lenet5", "--layer", "-1"], ["negative layer indices are not allowed", "'input'"]),
    "layer not a number": (["lenet5", "--layer", "first!"], ["not a layer"]),
    "layer path unknown": (["lenet5", "--layer", "first"], ["no step of lenet5 has the path 'first'"]),
    "channel too high": (["lenet5", "--layer", "0", "--channel", "6"],
                         ["channel 6 is out of range", "layer 0 has channels 0 to 5 (6 in all)"]),
    "input channel too high": (["tinyvgg", "--layer", "input", "--channel", "3"],
                               ["channel 3 is out of range", "the input has channels 0 to 2"]),
    "channel of a vector": (["lenet5", "--layer", "12", "--channel", "1"], ["vector of 10 values", "--channel 0"]),
    "negative channel": (["lenet5", "--layer", "0", "--channel", "-1"], ["negative channel"]),
    "width zero": (["lenet5", "--layer", "0", "--width", "0"], ["not a width", "1 to 1000"]),
    "width absurd": (["lenet5", "--layer", "0", "--width", "100000"], ["not a width", "1 to 1000"]),
    "width not a number": (["lenet5", "--layer", "0", "--width", "wide"], ["not a width"]),
    "no layer": (["lenet5"], ["--layer"]),
    "unknown sample": (["lenet5", "--layer", "0", "--input", "digit3"],
                       ["no file or sample image named 'digit3'", "did you mean 'digit-3'", "scene"]),
    "missing file": (["lenet5", "--layer", "0", "--input", "{dir}/none.png"], ["none.png", "digit-0"]),
    "unreadable image": (["lenet5", "--layer", "0", "--input", "{garbage}"], ["not an image Pillow can read"]),
    "wrong npy shape": (["lenet5", "--layer", "0", "--input", "{wrong_npy}"], ["lenet5 takes 1x32x32"]),
    "bad weights file": (["lenet5", "--layer", "0", "--weights", "{not_npz}"], ["not a readable .npz"]),
    "weights of another net": (["lenet5", "--layer", "0", "--weights", "{other_weights}"], ["'0.weight' has shape"]),
    "weights and seed": (["lenet5", "--layer", "0", "--weights", "{not_npz}", "--seed", "1"], ["not allowed with"]),
    "unknown colour map": (["lenet5", "--layer", "0", "--cmap", "jet"], ["invalid choice: 'jet'"]),
    "unknown colour mode": (["lenet5", "--layer", "0", "--colors", "88"], ["invalid choice: '88'"]),
    "unknown network": (["lenet", "--layer", "0"], ["unknown network 'lenet'"]),
    "analysis-only network": (["vgg16", "--layer", "0"], ["vgg16 has 138,357,544 parameters", "meant for analysis: 'cnntui summary vgg16'"]),
    "forward over the memory budget": (["{wide}", "--layer", "0"], ["more than the 1.0 GiB budget"]),
    "png folder missing": (["lenet5", "--layer", "0", "--png", "{dir}/no/such/map.png"], ["cannot write", "map.png"]),
}


@pytest.fixture
def files(tmp_path):
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"not a picture")
    wrong_npy = tmp_path / "wrong.npy"
    np.save(wrong_npy, np.zeros((3, 32, 32), dtype=np.float32))
    not_npz = tmp_path / "w.npz"
    not_npz.write_text("hello")
    other = Network.load("tinyvgg")
    other.init_weights(0)
    other.save_weights(tmp_path / "tinyvgg.npz")
    wide = tmp_path / "wide.json"
    wide.write_text('{"name": "wide", "input": [3, 2000, 2000], '
                    '"layers": [{"type": "conv2d", "out_channels": 64, "kernel_size": 3}]}')
    return {"dir": tmp_path, "garbage": garbage, "wrong_npy": wrong_npy, "not_npz": not_npz,
            "other_weights": tmp_path / "tinyvgg.npz", "wide": wide}


@pytest.mark.parametrize("case", ERRORS)
def test_render_mistakes_get_one_line_and_exit_2(case, files, tmp_path):
    args, fragments = ERRORS[case]
    result = run("render", *(arg.format(**files) for arg in args), cwd=tmp_path)
    assert_user_error(result, *fragments)
    assert result.stdout == ""


# -- the command's option lists and messages ---------------------------------------------

def test_the_commands_option_lists_match_the_renderer():
    assert cli.COLOR_MODES == terminal.COLOR_MODES
    assert cli.CMAP_NAMES == CMAPS
    assert cli.SCALE_SCOPES == SCOPES
    assert cli.INPUT_LAYER == features.INPUT


def test_help_lists_render_and_the_samples():
    top = run("--help")
    assert re.search(r"^\s+render\s+print a layer's feature maps", top.stdout, re.MULTILINE)
    result = run("render", "--help")
    assert result.returncode == 0 and "digit-0" in result.stdout and "scene" in result.stdout


def test_every_engine_message_is_in_both_catalogs_and_english_matches():
    for language in ("en", "zh"):
        strings = catalog(language)
        for code, template in TEMPLATES.items():
            assert f"engine.{code}" in strings, (language, code)
            placeholders = set(re.findall(r"\{(\w+)\}", template))
            assert set(re.findall(r"\{(\w+)\}", strings[f"engine.{code}"])) == placeholders, (language, code)
    assert all(catalog("en")[f"engine.{code}"] == template for code, template in TEMPLATES.items())


@pytest.mark.parametrize(("language", "words"), [("en", "= - negative, blank near 0, + # positive"),
                                                 ("zh", "= - 为负值，接近 0 处留空，+ # 为正值")])
async def test_views_legend_without_colour_names_the_characters(tmp_path, language, words):
    from test_app import make_app
    from test_ascii import screen_text, until

    app = make_app(tmp_path, mode="view", colors="none", language=language)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "drawn", False))
        await pilot.press("enter", "enter")  # the first channel of conv 0, large: signed, so diverging
        await until(pilot, lambda: app.screen.drawn)
        shown = screen_text(app)
        assert words in shown and catalog(language)["view.cmap.diverging"] not in shown
