"""Quiz mode."""

from __future__ import annotations

from .base import PlaceholderMode


class QuizScreen(PlaceholderMode):
    mode_name = "quiz"
