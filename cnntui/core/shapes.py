"""Shapes as people write them ("6x28x28"), with no NumPy, so the app's light modules can use it."""

from __future__ import annotations

from collections.abc import Iterable


def shape_text(shape: Iterable[int]) -> str:
    """``(6, 28, 28)`` as ``6x28x28``."""
    return "x".join(map(str, shape))
