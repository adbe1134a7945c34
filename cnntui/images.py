"""Turning an image or .npy file into a network's input array.

Used by the CLI and the app alike; needs Pillow, so it sits outside the engine.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .core import CnntuiError
from .core.analysis import BYTES_PER_VALUE
from .core.errors import BudgetError
from .core.layers import shape_text
from .core.messages import Message
from .core.network import MEMORY_BUDGET
from .core.reading import human_bytes, open_regular
from .core.weights import read_npy_header

MODES = {1: "L", 3: "RGB"}
MODE_NAMES = {"L": "grey", "RGB": "RGB"}


BatchCheck = Callable[[int], None]


def input_fits(shape: tuple[int, ...]) -> BatchCheck:
    """A check that a batch of inputs shaped ``shape`` fits in the forward pass's memory budget
    by itself; ``Network.check_memory`` is stricter, counting every layer's output too."""
    def check(batch: int) -> None:
        need = batch * math.prod(shape) * BYTES_PER_VALUE
        if need > MEMORY_BUDGET:
            raise BudgetError("memory_budget", need=human_bytes(need), budget=human_bytes(MEMORY_BUDGET),
                              detail=f"batch {batch}, the input alone")
    return check


def load_image(path: str | Path, shape: tuple[int, int, int], name: str = "the network",
               check_batch: BatchCheck | None = None, normalize=None, *,
               digits: bool = False) -> tuple[np.ndarray, str]:
    """An image as a (C, H, W) float32 array in [0, 1], and a note on how it was converted.

    The image is converted to grey (1 channel) or RGB (3), resized to H x W
    with bilinear filtering, and divided by 255. With ``normalize``, a network's
    per-channel (mean, std) such as ImageNet's, each channel then becomes
    (value - mean) / std, as torchvision's models expect. With ``digits`` (1-channel,
    square inputs), the picture is prepared as MNIST's digits were (see digit_input.py)
    and the note ends with the steps taken. ``check_batch(1)`` (by default
    ``input_fits(shape)``) runs before the image is decoded, so that a network input too
    large to run is never made. See ``read_image`` for how other modes are decoded.
    """
    loaded = read_image(path, shape, name, check_batch, normalize, digits=digits)
    return loaded.array, loaded.note


@dataclass(frozen=True)
class LoadedImage:
    array: np.ndarray  # (C, H, W) float32
    note: str  # in English, for the CLI
    original: str  # the file's own size and mode, e.g. "160x160 RGBA"
    steps: tuple[str, ...] = ()  # the digit preparation's steps (digit_input.prepare_digit), if it ran


def read_image(path: str | Path, shape: tuple[int, int, int], name: str = "the network",
               check_batch: BatchCheck | None = None, normalize=None, *, digits: bool = False) -> LoadedImage:
    """``load_image``'s work, with the digit steps apart for a caller that words them itself.

    Decoding: the EXIF orientation is applied; an animation gives its first frame; 16-bit
    grey is scaled to 8 bits (not clipped); CMYK and palettes become RGB; transparency is
    laid on a white background when the opaque pixels are mostly dark, else on black, so
    that a drawing keeps its contrast.
    """
    channels, height, width = shape
    path = Path(path)
    if channels not in MODES:
        raise CnntuiError("image_channels", name=name, channels=channels, shape=shape_text(shape))
    (check_batch or input_fits(shape))(1)
    digits = digits and channels == 1 and height == width
    try:
        with warnings.catch_warnings(), open_regular(path) as handle:
            # Pillow only warns for images between one and two times its limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(handle) as image:
                original = f"{image.width}x{image.height} {image.mode}"
                frames = getattr(image, "n_frames", 1)
                upright, decoded, how = _decoded(image, MODES[channels])
                resized = decoded.resize((width, height), Image.Resampling.BILINEAR)
                if digits:
                    decoded = _at_most(decoded, DIGIT_WORKING_SIDE * height)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise CnntuiError("image_too_big", path=str(path), pixels=_bomb_pixels(error),
                          limit=f"{Image.MAX_IMAGE_PIXELS:,}") from None
    except UnidentifiedImageError:
        raise CnntuiError("bad_image", path=str(path), reason="unknown or damaged format") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        # ValueError: a text or colour-profile chunk that inflates past Pillow's limit
        raise CnntuiError("bad_image", path=str(path), reason=str(error) or type(error).__name__) from None
    array = np.asarray(resized, dtype=np.float32) / np.float32(255)
    steps: tuple[str, ...] = ()
    if digits:
        array, steps = _as_digit(decoded, array, height)
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    scaled = "values scaled to [0, 1]"
    if normalize is not None:
        mean, std = (np.asarray(values, dtype=np.float32)[:, None, None] for values in normalize)
        array = (array - mean) / std
        scaled += ", then (value - mean) / std per channel with the network's mean and std"
    decoding = "".join(f", {words}" for words in (
        f"first of {frames} frames" if frames > 1 else "", "turned upright (EXIF)" if upright else "", how) if words)
    note = (f"{path.name}: {original}{decoding} -> {MODE_NAMES[MODES[channels]]} {shape_text(shape)} "
            f"(bilinear resize, {scaled})" + "".join(f"; {Message('digit_' + step)}" for step in steps))
    return LoadedImage(np.ascontiguousarray(array, dtype=np.float32), note, original, steps)


def _bomb_pixels(error: Exception) -> str:
    """The image's own pixel count, from the header as Pillow's refusal quotes it ("Image size
    (N pixels) exceeds limit..."), else that it is over the limit."""
    quoted = re.search(r"\((\d+) pixels\)", str(error))
    return f"{int(quoted.group(1)):,}" if quoted else f"over {Image.MAX_IMAGE_PIXELS:,}"


def _as_digit(decoded: Image.Image, resized: np.ndarray, size: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """The grey picture prepared as MNIST's digits were, and the steps; when the preparation left the
    digit as it was, ``resized`` (the plain resize), to the bit as without the preparation."""
    from .digit_input import LEFT_AS_IT_IS, prepare_digit

    prepared, steps = prepare_digit(np.asarray(decoded, dtype=np.float32) / np.float32(255), size)
    return (resized if steps in LEFT_AS_IT_IS else prepared), steps


DIGIT_WORKING_SIDE = 8  # a digit is prepared at no more than this many times the network's size


def _at_most(image: Image.Image, side: int) -> Image.Image:
    """The image shrunk (keeping its aspect) so its longer side is at most ``side``."""
    scale = side / max(image.size)
    if scale >= 1:
        return image
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.BILINEAR)


def _decoded(image: Image.Image, mode: str) -> tuple[bool, Image.Image, str]:
    """(whether EXIF turned it, the first frame in ``mode`` ("L" or "RGB"), what was done beyond
    a plain conversion, for the note)."""
    image.seek(0)
    turned = _orientation(image) not in (None, 1)
    image = ImageOps.exif_transpose(image)
    how = ""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grey: 0..65535 down to 0..255, where convert("L") would clip at 255 (Pillow's own
        # lookup, without an array of the whole picture)
        image = image.convert("I").point(lambda value: value / 257 + 0.5).convert("L")  # + 0.5: rounded
        how = "16-bit scaled to 8"
    elif image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        image, background = _composited(image.convert("RGBA"))
        how = f"transparency on {background}"
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return turned, image.convert(mode), how


def _orientation(image: Image.Image) -> int | None:
    try:
        return image.getexif().get(0x0112)
    except (OSError, ValueError, SyntaxError):
        return None


def _composited(rgba: Image.Image) -> tuple[Image.Image, str]:
    """The picture laid on white if its opaque pixels are mostly dark (a pen drawing), else on black."""
    # judged on a copy at most 256 pixels a side: floats of a 50-megapixel picture would need 800 MB
    pixels = np.asarray(_at_most(rgba, 256), dtype=np.float32)
    alpha = pixels[..., 3] / 255
    grey = pixels[..., :3].mean(axis=2) / 255
    weight = float(alpha.sum())
    dark = weight > 0 and float((grey * alpha).sum()) / weight < 0.5
    background = "white" if dark else "black"
    canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255) if dark else (0, 0, 0, 255))
    return Image.alpha_composite(canvas, rgba).convert("RGB"), background


def load_array(path: str | Path, shape: tuple[int, ...] | None = None, name: str = "the network",
               check_batch: BatchCheck | None = None) -> np.ndarray:
    """A .npy file's array, never unpickling.

    Its header is read first: the data it promises must be in the file, and with ``shape``
    the array must be ``shape`` or a batch of N >= 1 of them, with ``check_batch(N)`` (by
    default ``input_fits(shape)``) passing, before any data is read.
    """
    path = Path(path)
    try:
        with open_regular(path) as handle:
            found, dtype = read_npy_header(handle)
            have = os.fstat(handle.fileno()).st_size - handle.tell()
            want = math.prod(found) * dtype.itemsize
            if want > have:
                raise CnntuiError("npy_short", path=str(path), want=human_bytes(want), have=human_bytes(have))
            if shape is not None:
                _check_input_header(path, found, dtype, tuple(shape), name, check_batch or input_fits(shape))
            handle.seek(0)
            return np.lib.format.read_array(handle, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise CnntuiError("bad_npy", path=str(path), reason=str(error) or type(error).__name__) from None


def _check_input_header(path: Path, found: tuple[int, ...], dtype: np.dtype, shape: tuple[int, ...],
                        name: str, check_batch: BatchCheck) -> None:
    if dtype.kind not in "biuf":
        raise CnntuiError("input_not_numeric", dtype=dtype)
    batched = len(found) == len(shape) + 1 and found[1:] == shape
    if found != shape and not batched:
        raise CnntuiError("input_shape", got=shape_text(found), name=name, want=shape_text(shape))
    if batched and found[0] == 0:
        raise CnntuiError("empty_batch", path=str(path), shape=shape_text(found))
    check_batch(found[0] if batched else 1)


def load_input(path: str | Path, shape: tuple[int, int, int], name: str = "the network",
               check_batch: BatchCheck | None = None, normalize=None, *,
               digits: bool = False) -> tuple[np.ndarray, str]:
    """A .npy array as it is (``shape`` or N x ``shape``), or an image converted to ``shape``
    (normalised with ``normalize``, prepared as a digit with ``digits``: see ``load_image``); with a
    note. ``check_batch(N)`` runs before any input is read (see ``load_array``)."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        array = load_array(path, shape, name, check_batch)
        return array, f"{path.name}: array {shape_text(array.shape)} {array.dtype}, used as it is"
    return load_image(path, shape, name, check_batch, normalize, digits=digits)


# -- feature maps as PNG --------------------------------------------------------

GAP_RGB = (128, 128, 128)  # between the maps of a grid


def map_image(maps: np.ndarray, scales, cmap: str, *, factor: int = 1, per_row: int | None = None,
              gap: int = 1) -> Image.Image:
    """Feature maps in true colour, as the terminal draws them but at full resolution.

    ``maps`` is one (H, W) map or (C, H, W) channels; ``scales`` one Scale or one per
    channel. Every map pixel becomes a ``factor`` x ``factor`` square; channels are
    laid out ``per_row`` to a row (default: all in one row), ``gap`` pixels apart.
    """
    from .render.colormap import cmap_rgb

    maps = np.asarray(maps)
    maps = maps[None] if maps.ndim == 2 else maps
    count, height, width = maps.shape
    scales = list(scales) if isinstance(scales, (list, tuple)) else [scales] * count
    per_row = max(1, min(per_row or count, count))
    lines = -(-count // per_row)
    cell_h, cell_w = height * factor, width * factor
    canvas = np.empty((lines * (cell_h + gap) - gap, per_row * (cell_w + gap) - gap, 3), dtype=np.uint8)
    canvas[:] = GAP_RGB
    colours = cmap_rgb(cmap)
    for channel in range(count):
        rgb = colours[scales[channel].levels(maps[channel])]
        top = channel // per_row * (cell_h + gap)
        left = channel % per_row * (cell_w + gap)
        canvas[top:top + cell_h, left:left + cell_w] = rgb.repeat(factor, axis=0).repeat(factor, axis=1)
    return Image.fromarray(canvas, "RGB")


def save_input_png(x: np.ndarray, path: str | Path, *, factor: int = 1) -> tuple[int, int]:
    """A network input (1 or 3 channels, values in [0, 1]) back as a grey or RGB PNG, each pixel
    a ``factor`` x ``factor`` square; atomically."""
    pixels = np.clip(np.rint(np.asarray(x, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    pixels = pixels.repeat(factor, axis=1).repeat(factor, axis=2)
    image = Image.fromarray(pixels[0], "L") if len(pixels) == 1 else Image.fromarray(pixels.transpose(1, 2, 0), "RGB")
    _save_png(image, path)
    return image.size


def _save_png(image: Image.Image, path: str | Path) -> None:
    """Atomically, with the text chunk "Software: cnntui" by which a later run knows the file is
    its own and may replace it (cnntui/outputs.py)."""
    from PIL.PngImagePlugin import PngInfo

    from .core.files import atomic_write

    info = PngInfo()
    info.add_text("Software", "cnntui")
    try:
        with atomic_write(path) as handle:
            image.save(handle, format="PNG", pnginfo=info)
    except OSError as error:
        raise CnntuiError("unwritable", path=str(path), reason=error.strerror or str(error)) from None


def save_map_png(maps: np.ndarray, scales, cmap: str, path: str | Path, *, factor: int = 1,
                 per_row: int | None = None, gap: int = 1) -> tuple[int, int]:
    """Write ``map_image(...)`` to ``path`` as a PNG, atomically; returns its (width, height).

    A file that cannot be written is a CnntuiError("unwritable").
    """
    image = map_image(maps, scales, cmap, factor=factor, per_row=per_row, gap=gap)
    _save_png(image, path)
    return image.size
