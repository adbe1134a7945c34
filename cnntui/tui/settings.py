"""The user's settings: language, colour mode, theme and last network.

Kept in the platform's config dir as JSON, written atomically. A damaged
file is set aside and reported, never silently replaced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ..content import LANGUAGES
from ..core.files import load_json_object, save_json
from ..render.terminal import COLOR_MODES

DEFAULT_THEME = "cnntui"
DEFAULT_NETWORK = "lenet5"


def default_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("cnntui", appauthor=False) / "settings.json"


@dataclass
class Settings:
    language: str | None = None  # None: follow --lang or the locale
    colors: str = "auto"
    theme: str = DEFAULT_THEME
    network: str = DEFAULT_NETWORK

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        """Known keys with sensible values; anything else falls back to the default."""
        settings = cls()
        if data.get("language") in LANGUAGES:
            settings.language = data["language"]
        if data.get("colors") in ("auto", *COLOR_MODES):
            settings.colors = data["colors"]
        for name in ("theme", "network"):
            if isinstance(data.get(name), str) and data[name]:
                setattr(settings, name, data[name])
        return settings


@dataclass
class SettingsStore:
    """Where settings live, and what went wrong reading them (shown once in the app)."""

    path: Path
    problem: str | None = None
    moved_to: Path | None = None

    def load(self) -> Settings:
        data, self.problem, self.moved_to = load_json_object(self.path)
        return Settings.from_dict(data)

    def save(self, settings: Settings) -> None:
        """Write ``settings``; raises OSError when the config dir cannot be written."""
        save_json(self.path, asdict(settings))

