"""View mode: time from a key that pages to the next channel to the repainted screen,
first visit against a revisit, next to a key that changes nothing, in one app run.

    python benchmarks/bench_view.py [--net tinyvgg] [--layer 0] [--rounds 3]
    python benchmarks/bench_view.py --rows resnet18 --path layer1.0.conv1 --against lenet5

With --rows, Down and Up move through a network's layer list instead (from the row of --path,
its blocks unfolded), and the same for --against, from its first row: a big network's pages,
once its forward pass is done, against a small one's, as a ratio.

The app runs headless (Textual's test driver) at 120x40 in 256 colours, with
one channel shown large. "]" pages through every channel of the layer; the
first lap builds each picture and its strips, later laps find the strips in
the widget's cache. The no-op presses a key nothing is bound to. Each press
is timed until Textual reports the app idle again (the repaint is done).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from cnntui.tui.app import CnntuiApp
from cnntui.tui.settings import SettingsStore
from cnntui.tui.state import read_network


async def timed(pilot, key: str) -> float:
    start = time.perf_counter()
    await pilot.press(key)
    await pilot.pause()
    return time.perf_counter() - start


@contextlib.asynccontextmanager
async def drawn_view(net: str):
    """View on ``net`` at 120x40 in a throwaway home, once its first maps are drawn."""
    with tempfile.TemporaryDirectory() as home:
        app = CnntuiApp("view", read_network(net), language="en", colors="256", ascii_only=False, environ={},
                        settings_store=SettingsStore(Path(home) / "settings.json"))
        async with app.run_test(size=(120, 40)) as pilot:
            while not getattr(app.screen, "drawn", False):
                await pilot.pause(0.05)
            yield app, pilot


async def measure(net: str, layer: int, rounds: int) -> tuple[list[float], list[float], list[float]]:
    async with drawn_view(net) as (app, pilot):
        app.screen.select_layer(layer)
        await pilot.pause(0.2)
        await pilot.press("enter", "enter")  # one channel, large, with its kernel
        await pilot.pause(0.2)
        channels = len(app.screen.maps())
        first = [await timed(pilot, "right_square_bracket") for _ in range(channels)]
        again, noops = [], []
        for _ in range(rounds):
            for _ in range(channels):
                again.append(await timed(pilot, "right_square_bracket"))
                noops.append(await timed(pilot, "f12"))
        return first, again, noops


async def measure_rows(net: str, path: str | None, count: int, rounds: int) -> tuple[list[float], list[float]]:
    """Down through ``count`` rows of the layer list (each a page drawn for the first time), then
    Up and Down over them again ``rounds`` times (pages drawn before)."""
    async with drawn_view(net) as (app, pilot):
        if path:
            app.requested_layer = {"path": path}
            app.screen.select_requested()
            await pilot.pause(0.2)
        first = [await timed(pilot, "down") for _ in range(count)]
        again = []
        for _ in range(rounds):
            again += [await timed(pilot, "up") for _ in range(count)]
            again += [await timed(pilot, "down") for _ in range(count)]
        return first, again


def compare_rows(args) -> None:
    ms = {}
    for net, path in ((args.rows, args.path), (args.against, None)):
        first, again = asyncio.run(measure_rows(net, path, args.count, args.rounds))
        ms[net] = (statistics.median(first) * 1e3, statistics.median(again) * 1e3)
        print(f"{net}: next row, first visit {ms[net][0]:6.1f} ms, revisited {ms[net][1]:6.1f} ms (medians)")
    big, small = ms[args.rows], ms[args.against]
    print(f"{args.rows} / {args.against}: first visit {big[0] / small[0]:.2f}x, revisited {big[1] / small[1]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default="tinyvgg")
    parser.add_argument("--layer", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", help="time moves through this network's layer list instead")
    parser.add_argument("--path", help="with --rows: the layer to start from, e.g. layer1.0.conv1")
    parser.add_argument("--against", default="lenet5", help="with --rows: the network to compare with")
    parser.add_argument("--count", type=int, default=8, help="with --rows: how many rows to move through")
    args = parser.parse_args()
    if args.rows:
        compare_rows(args)
        return
    first, again, noops = asyncio.run(measure(args.net, args.layer, args.rounds))
    first_ms, again_ms, noop_ms = (statistics.median(t) * 1e3 for t in (first, again, noops))
    print(f"{args.net} layer {args.layer}, one channel large at 120x40, 256 colours; medians:")
    print(f"  next channel, first visit: {first_ms:6.1f} ms  ({first_ms / noop_ms:.2f}x a no-op key)")
    print(f"  next channel, revisited:   {again_ms:6.1f} ms  ({again_ms / noop_ms:.2f}x a no-op key)")
    print(f"  no-op key:                 {noop_ms:6.1f} ms")


if __name__ == "__main__":
    main()
