"""Build mode: time from a keypress that edits the network to the repainted screen,
next to a keypress that changes nothing, in the same app run.

    python benchmarks/bench_build.py [--net vgg16] [--rounds 30] [--unfold]
    python benchmarks/bench_build.py --net resnet50 --unfold   # #17's target: within 2x

The app runs headless (Textual's test driver) at 120x40. An "edit" types one
digit into the selected conv layer's out_channels field, which re-analyses the
network and redraws the table, totals, text line and derivations. The "no-op"
presses a key that nothing is bound to. Each is timed until Textual reports
the screen idle again (the repaint is done). The engine's analysis alone is
timed too. The edited layer is the first conv (in a network whose convs are
all inside blocks, with the blocks unfolded); with --unfold every block is
unfolded first (ResNet-50: about 170 layer rows) and the edited layer is the
last conv, deep inside the last block, with the table scrolled to it.
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


def conv_rows(screen) -> list[int]:
    """The table rows of conv layers."""
    return [index for index, row in enumerate(screen.shown_rows)
            if row.kind == "layer" and row.node.get("type") == "conv2d"]


async def measure(net: str, rounds: int, unfold: bool) -> dict[str, list[float]]:
    """Seconds per keypress: wall-clock and this process's CPU time (which other programs on a busy
    machine do not inflate), for the edits and the no-ops."""
    with tempfile.TemporaryDirectory() as home:
        app = CnntuiApp("build", language="en", colors="256", ascii_only=False, environ={},
                        settings_store=SettingsStore(Path(home) / "settings.json"))
        async with app.run_test(size=(120, 40)) as pilot:
            app.load_network(net)
            await pilot.pause(0.5)
            screen = app.screen
            if unfold or not conv_rows(screen):  # VGG-16's convs are inside its "features" block
                await pilot.press("f")
                await pilot.pause()
            convs = conv_rows(screen)
            screen.select(convs[-1] if unfold else convs[0])
            await pilot.press("e")
            await pilot.pause(0.3)
            app.screen.query_one("#field-out_channels").focus()
            await pilot.press("end")
            times: dict[str, list[float]] = {"edit": [], "no-op": [], "edit cpu": [], "no-op cpu": []}
            for index in range(rounds):
                for key, kind in ((str(index % 9 + 1), "edit"), ("f12", "no-op")):
                    start, cpu = time.perf_counter(), time.process_time()
                    await pilot.press(key)
                    await pilot.pause()  # returns once the app is idle: the repaint is done
                    times[kind].append(time.perf_counter() - start)
                    times[f"{kind} cpu"].append(time.process_time() - cpu)
                await pilot.press("backspace")
                await pilot.pause()
            return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default="vgg16")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--unfold", action="store_true", help="unfold every block and edit the last conv")
    args = parser.parse_args()
    times = asyncio.run(measure(args.net, args.rounds, args.unfold))
    median = {kind: statistics.median(values) * 1e3 for kind, values in times.items()}
    label = f"{args.net}{' (unfolded)' if args.unfold else ''}"
    for clock in ("", " cpu"):
        edit, noop = median[f"edit{clock}"], median[f"no-op{clock}"]
        print(f"{label}: keypress to repaint{clock or ' (wall)'}, median of {args.rounds}: edit {edit:.1f} ms, "
              f"no-op {noop:.1f} ms, ratio {edit / noop:.2f}x")
    from cnntui.core import Network

    spec = Network.load(args.net).to_dict()
    start = time.perf_counter()
    for _ in range(200):
        analyze(spec)
    print(f"{args.net}: engine analysis {(time.perf_counter() - start) / 200 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
