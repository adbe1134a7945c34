"""Regenerate the README's screenshots: one SVG per mode at 80x24, in English.

    python scripts/screenshots.py

Uses a throwaway settings file, so your own settings neither show nor change.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from cnntui.tui.app import CnntuiApp
from cnntui.tui.settings import SettingsStore

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SHOTS = {"learn": [], "build": [], "view": [], "quiz": [], "help": ["question_mark"]}


async def shoot(name: str, keys: list[str], settings: Path) -> Path:
    mode = name if name in CnntuiApp.MODES else "learn"
    app = CnntuiApp(mode, language="en", colors="256", ascii_only=False, environ={},
                    settings_store=SettingsStore(settings))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        await pilot.pause(0.5)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        for name, keys in SHOTS.items():
            print(asyncio.run(shoot(name, keys, Path(home) / "settings.json")))


if __name__ == "__main__":
    main()
