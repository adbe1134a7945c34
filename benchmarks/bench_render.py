"""Terminal pictures of feature maps: output size next to chafa's, and render time.

    python benchmarks/bench_render.py [--rounds 7] [--repeat 20] [--chafa /usr/bin/chafa]

Size: each case is a real map drawn at one pixel per half cell (W columns,
ceil(H/2) rows) by cnntui and by chafa (half blocks only, same cell size)
from a PNG of the same colour-mapped map, in truecolor, 256 and 16 colours.
chafa is run with its default optimisation (-O 5) and its strongest (-O 9);
the ratio is ours over the smaller of the two, so below 1.00 means fewer
bytes than chafa's best. The pictures are not identical (chafa chooses its
own nearest colours), so this compares the cost of the escape codes.

Time: median over rounds of the per-call time to turn one map into cells
(map_rows), to write the cells as ANSI text (to_ansi) and as Rich segments
(row_segments with the app's styles, what View mode paints), and to render a whole channel grid
(render_layer + to_ansi). "cold" clears the palette caches first, as the
very first picture of a colour map and mode does; the app caches the
rendered rows of a channel, so drawing the same channel again costs nothing
beyond "warm".
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
from bench_forward import per_call_ms
from PIL import Image

from cnntui.core import Network
from cnntui.core.assets import find_sample
from cnntui.images import load_input
from cnntui.render.colormap import cmap_rgb, ink, palette
from cnntui.render.features import render_layer
from cnntui.render.picture import Scale, map_rows, row_segments, to_ansi
from cnntui.tui.widgets.picture import cell_style, label_style  # the app's own styles

MODES = {"truecolor": "full", "256": "256", "16": "16"}  # ours -> chafa's -c


def tinyvgg_run() -> tuple[np.ndarray, list[np.ndarray]]:
    net = Network.load("tinyvgg")
    net.init_weights(0)
    x, _ = load_input(find_sample("scene"), net.input_shape, net.name)
    return x, net.forward(x)


def cases() -> list[tuple[str, np.ndarray, str]]:
    """(name, 2-D map, colour map) as View mode would show them."""
    digit, _ = load_input(find_sample("digit-3"), (1, 32, 32))
    x, outputs = tinyvgg_run()
    return [
        ("digit-3 upscaled 2x (64x64)", digit[0].repeat(2, axis=0).repeat(2, axis=1), "grey"),
        ("scene input, red (64x64)", x[0], "grey"),
        ("tinyvgg conv 0, ch 0 (62x62)", outputs[0][0], "diverging"),
        ("noise (64x64)", np.random.default_rng(0).random((64, 64), dtype=np.float32), "viridis"),
    ]


def ours(values: np.ndarray, cmap: str, mode: str) -> bytes:
    height, width = values.shape
    scale = Scale.of(values, diverging=cmap == "diverging")
    rows, _ = map_rows(values, scale, palette(cmap, mode), columns=width, rows=-(-height // 2))
    return to_ansi(rows).encode()


def chafa(program: str, png: Path, width: int, height: int, mode: str, optimize: int) -> bytes:
    command = [program, "-f", "symbols", "--symbols", "vhalf", "-c", MODES[mode], "--size", f"{width}x{-(-height // 2)}",
               "--stretch", "--polite", "on", "-O", str(optimize), str(png)]
    return subprocess.run(command, capture_output=True, check=True).stdout


def size_table(program: str | None) -> None:
    print(f"{'bytes, one pixel per half cell':<30} {'mode':>9} {'cnntui':>8} {'chafa -O5':>10} {'chafa -O9':>10} "
          f"{'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for name, values, cmap in cases():
            scale = Scale.of(values, diverging=cmap == "diverging")
            png = Path(folder) / "map.png"
            Image.fromarray(cmap_rgb(cmap)[scale.levels(values)], "RGB").save(png)
            for mode in MODES:
                mine = len(ours(values, cmap, mode))
                line = f"{name:<30} {mode:>9} {mine:>8,}"
                if program:
                    theirs = [len(chafa(program, png, values.shape[1], values.shape[0], mode, o)) for o in (5, 9)]
                    line += f" {theirs[0]:>10,} {theirs[1]:>10,} {mine / min(theirs):>6.2f}"
                print(line)
                name = ""


def clear_palette_caches() -> None:
    for cached in (palette, ink):
        cached.cache_clear()


def time_table(rounds: int, repeat: int) -> None:
    x, outputs = tinyvgg_run()
    values = outputs[0][0]
    scale = Scale.of(values, diverging=True)

    def cells(mode: str):
        return map_rows(values, scale, palette("diverging", mode), columns=80, rows=40)[0]

    def segments(rows) -> list:
        return [row_segments(row, cell_style, label_style) for row in rows]

    def cold(mode: str) -> str:
        clear_palette_caches()
        return to_ansi(cells(mode))

    jobs = {
        "one map 62x62 -> cells (map_rows)": lambda mode: lambda: cells(mode),
        "one map: cells -> ANSI text (to_ansi)": lambda mode: partial(to_ansi, cells(mode)),
        "one map: cells -> Rich segments (app)": lambda mode: partial(segments, cells(mode)),
        "one map, cells + ANSI, warm": lambda mode: lambda: to_ansi(cells(mode)),
        "one map, cells + ANSI, cold (palette built)": lambda mode: lambda: cold(mode),
        "grid: tinyvgg conv 0, 10 x 62x62, 80 cols": lambda mode: lambda: to_ansi(
            render_layer(x, outputs, 0, None, mode=mode, columns=80)),
        "grid: tinyvgg conv 5, 10 x 28x28, 80 cols": lambda mode: lambda: to_ansi(
            render_layer(x, outputs, 5, None, mode=mode, columns=80)),
    }
    print()
    print(f"{f'ms per call, median of {rounds} rounds':<44} {'truecolor':>10} {'256':>8} {'16':>8}")
    for label, job in jobs.items():
        medians = []
        for mode in MODES:
            function = job(mode)
            medians.append(statistics.median(per_call_ms(function, repeat) for _ in range(rounds)))
        print(f"{label:<44} {medians[0]:>10.3f} {medians[1]:>8.3f} {medians[2]:>8.3f}")
    clear_palette_caches()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--chafa", default=shutil.which("chafa"), help="chafa program (default: from PATH)")
    args = parser.parse_args()
    if not args.chafa:
        print("chafa is not installed: cnntui's sizes only", file=sys.stderr)
    size_table(args.chafa)
    time_table(args.rounds, args.repeat)


if __name__ == "__main__":
    main()
