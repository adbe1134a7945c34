"""Learn mode."""

from __future__ import annotations

from .base import PlaceholderMode


class LearnScreen(PlaceholderMode):
    mode_name = "learn"
