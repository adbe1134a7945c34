"""Train mode stays responsive: how long a key takes to change the screen, and how late the app's
event loop runs, with the app idle and while LeNet-5 trains in the background, in one app run.

    python benchmarks/bench_train_ui.py [--presses 20]

The app runs headless (Textual's test driver) at 80x24 in 256 colours, with
one BLAS thread as `cnntui` itself uses. The key is "l", which switches the
language and redraws the whole Train screen; it is timed from the key event
to the moment the left pane holds text in the new language, polled every
millisecond. (Pilot's own press waits until no message is pending, which
never happens for long while training reports its numbers, so it is not used
for timing.) A 20 ms timer measures how late the event loop wakes up.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # as cnntui's command line does, before NumPy loads

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from cnntui.tui.app import CnntuiApp  # noqa: E402
from cnntui.tui.settings import SettingsStore  # noqa: E402

TICK = 0.02


async def key_to_screen(app) -> float:
    """Seconds from pressing "l" until the left pane shows the other language's heading."""
    heading = app.t("train.side.setup")
    side = app.screen.query_one("#train-side")
    start = time.perf_counter()
    app.simulate_key("l")
    while heading in str(side.render()):
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


class LateTimer:
    """How late each tick of a TICK-second interval timer fires."""

    def __init__(self, app):
        self.late: list[float] = []
        self.last = time.perf_counter()
        app.set_interval(TICK, self.tick)

    def tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, now - self.last - TICK))
        self.last = now

    def take(self) -> list[float]:
        late, self.late = self.late[1:], []
        return late


async def measure(presses: int) -> dict[str, tuple[list[float], list[float]]]:
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_CACHE_HOME"] = os.environ["XDG_DATA_HOME"] = home
        app = CnntuiApp("train", language="en", colors="256", ascii_only=False, environ={},
                        settings_store=SettingsStore(Path(home) / "settings.json"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.5)
            timer = LateTimer(app)
            idle = []
            for _ in range(presses):
                idle.append(await key_to_screen(app))
                await asyncio.sleep(0.1)
            idle_late = timer.take()
            await type_setting(pilot, "e", "30")  # long enough for every press to land while it trains
            await pilot.press("enter")
            screen = app.screen
            while screen.run.state != "running" or not screen.run.points.get("net"):
                await asyncio.sleep(0.05)
            timer.take()
            busy = []
            for _ in range(presses):
                busy.append(await key_to_screen(app))
                await asyncio.sleep(0.1)
            busy_late = timer.take()
            assert screen.run.state == "running", "the run ended before the presses did"
            screen.action_stop()
            while screen.run.state != "stopped":
                await asyncio.sleep(0.05)
            return {"idle": (idle, idle_late), "training": (busy, busy_late)}


async def type_setting(pilot, key: str, value: str) -> None:
    await pilot.press(key)
    await pilot.pause(0.2)
    await pilot.press(*value, "enter")
    await pilot.pause(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    results = asyncio.run(measure(args.presses))
    ms = lambda value: f"{value * 1000:6.1f} ms"  # noqa: E731
    for state, (keys, late) in results.items():
        print(f"{state:>9}: key to screen median {ms(statistics.median(keys))}, max {ms(max(keys))} "
              f"({len(keys)} presses); event loop late median {ms(statistics.median(late))}, "
              f"max {ms(max(late))}")
    idle, busy = (statistics.median(results[state][0]) for state in ("idle", "training"))
    print(f"key to screen, training / idle (medians): {busy / idle:.2f}x")


if __name__ == "__main__":
    main()
