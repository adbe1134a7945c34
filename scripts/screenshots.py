"""Regenerate the README's screenshots: one SVG per mode at 80x24 (Train after its overfitting experiment), and View's step-through at 120x40, in English.

    python scripts/screenshots.py

Uses a throwaway settings file, so your own settings neither show nor change.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from cnntui.quiz.progress import ProgressStore
from cnntui.tui.app import CnntuiApp
from cnntui.tui.settings import SettingsStore
from cnntui.tui.state import read_network

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# name: (mode, network or None for the default, keys, size)
SHOTS = {
    "learn": ("learn", None, [], (80, 24)),
    "build": ("build", None, [], (80, 24)),
    "view": ("view", "lenet5", [], (80, 24)),
    "view-step": ("view", "lenet5", ["down", "down", "down", "enter", "s", *["down"] * 4, *["right"] * 4,
                                     "right_curly_bracket"], (120, 40)),
    "quiz": ("quiz", None, [], (80, 24)),
    "train": ("train", None, ["o"], (80, 24)),  # the overfitting experiment, run to its end (about a minute)
    "help": ("learn", None, ["question_mark"], (80, 24)),
}


def finished(app) -> bool:
    """Whatever the shot started has finished: Train's run (other modes have nothing running)."""
    run = getattr(app.screen, "run", None)
    return run is None or run.state in ("done", "stopped", "failed")


async def shoot(name: str, settings: Path) -> Path:
    mode, network, keys, size = SHOTS[name]
    app = CnntuiApp(mode, read_network(network) if network else None, language="en", colors="256",
                    ascii_only=False, environ={}, settings_store=SettingsStore(settings),
                    progress_store=ProgressStore(settings.with_name("progress.json")))
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)  # modes fill in just after the first frame; View runs its forward pass
        await pilot.press(*keys)
        await pilot.pause(0.5)
        while not finished(app):
            await pilot.pause(0.5)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        for name in SHOTS:
            print(asyncio.run(shoot(name, Path(home) / "settings.json")))


if __name__ == "__main__":
    main()
