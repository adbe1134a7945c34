"""Turning an image or .npy file into a network's input array.

Used by the CLI and the app alike; needs Pillow, so it sits outside the engine.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .core import CnntuiError
from .core.layers import shape_text

MODES = {1: "L", 3: "RGB"}
MODE_NAMES = {"L": "grey", "RGB": "RGB"}


def load_image(path: str | Path, shape: tuple[int, int, int], name: str = "the network") -> tuple[np.ndarray, str]:
    """An image as a (C, H, W) float32 array in [0, 1], and a note on how it was converted.

    The image is converted to grey (1 channel) or RGB (3), resized to H x W
    with bilinear filtering, and divided by 255.
    """
    channels, height, width = shape
    path = Path(path)
    if channels not in MODES:
        raise CnntuiError("image_channels", name=name, channels=channels, shape=shape_text(shape))
    try:
        with warnings.catch_warnings():
            # Pillow only warns for images between one and two times its limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                original = f"{image.width}x{image.height} {image.mode}"
                converted = image.convert(MODES[channels]).resize((width, height), Image.Resampling.BILINEAR)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CnntuiError("image_too_big", path=str(path), pixels="over 89 million",
                          limit=f"{Image.MAX_IMAGE_PIXELS:,}") from None
    except UnidentifiedImageError:
        raise CnntuiError("bad_image", path=str(path), reason="unknown or damaged format") from None
    except OSError as error:
        if isinstance(error, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise CnntuiError("unreadable", path=str(path), reason=error.strerror) from None
        raise CnntuiError("bad_image", path=str(path), reason=str(error)) from None
    array = np.asarray(converted, dtype=np.float32) / np.float32(255)
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    note = (f"{path.name}: {original} -> {MODE_NAMES[MODES[channels]]} {shape_text(shape)} "
            f"(bilinear resize, values scaled to [0, 1])")
    return np.ascontiguousarray(array), note


def load_array(path: str | Path) -> np.ndarray:
    """A .npy file's array, never unpickling."""
    try:
        return np.load(path, allow_pickle=False)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as error:
        raise CnntuiError("unreadable", path=str(path), reason=error.strerror) from None
    except (OSError, ValueError, EOFError) as error:
        raise CnntuiError("bad_npy", path=str(path), reason=str(error) or type(error).__name__) from None


def load_input(path: str | Path, shape: tuple[int, int, int], name: str = "the network") -> tuple[np.ndarray, str]:
    """A .npy array as it is, or an image converted to ``shape``; with a note."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        array = load_array(path)
        return array, f"{path.name}: array {shape_text(array.shape)} {array.dtype}, used as it is"
    return load_image(path, shape, name)
