"""Build mode: time from a keypress that edits the network to the repainted screen,
next to a keypress that changes nothing, in the same app run.

    python benchmarks/bench_build.py [--net vgg16] [--rounds 30]

The app runs headless (Textual's test driver) at 120x40. An "edit" types one
digit into the selected conv layer's out_channels field, which re-analyses the
network and redraws the table, totals, text line and derivations. The "no-op"
presses a key that nothing is bound to. Each is timed until Textual reports
the screen idle again (the repaint is done). The engine's analysis alone is
timed too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from cnntui.core import analyze
from cnntui.tui.app import CnntuiApp
from cnntui.tui.settings import SettingsStore


async def measure(net: str, rounds: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as home:
        app = CnntuiApp("build", language="en", colors="256", ascii_only=False, environ={},
                        settings_store=SettingsStore(Path(home) / "settings.json"))
        async with app.run_test(size=(120, 40)) as pilot:
            app.load_network(net)
            await pilot.pause(0.5)
            await pilot.press("down", "e")  # edit layer 0 (a conv layer in every preset here)
            await pilot.pause(0.3)
            app.screen.query_one("#field-out_channels").focus()
            await pilot.press("end")
            edits, noops = [], []
            for index in range(rounds):
                for key, times in ((str(index % 9 + 1), edits), ("f12", noops)):
                    start = time.perf_counter()
                    await pilot.press(key)
                    await pilot.pause()  # returns once the app is idle: the repaint is done
                    times.append(time.perf_counter() - start)
                await pilot.press("backspace")
                await pilot.pause()
            return edits, noops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default="vgg16")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    edits, noops = asyncio.run(measure(args.net, args.rounds))
    edit, noop = statistics.median(edits) * 1e3, statistics.median(noops) * 1e3
    print(f"{args.net}: keypress to repaint, median of {args.rounds}: edit {edit:.1f} ms, no-op {noop:.1f} ms, "
          f"ratio {edit / noop:.2f}x")
    from cnntui.core import Network

    spec = Network.load(args.net).to_dict()
    start = time.perf_counter()
    for _ in range(200):
        analyze(spec)
    print(f"{args.net}: engine analysis {(time.perf_counter() - start) / 200 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
