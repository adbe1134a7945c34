"""View mode."""

from __future__ import annotations

from .base import PlaceholderMode


class ViewScreen(PlaceholderMode):
    mode_name = "view"
