"""Build mode."""

from __future__ import annotations

from .base import PlaceholderMode


class BuildScreen(PlaceholderMode):
    mode_name = "build"
