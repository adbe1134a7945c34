"""A digit as people bring it, made to look like the digits a network trained on.

MNIST's digits were prepared this way: white ink on black, the ink's bounding box scaled to 20 of
28 pixels and the digit placed by its centre of mass at the centre. A digit drawn black on white
in a paint program, large and off-centre, looks nothing like that, and a network trained on
MNIST-like digits misreads it. ``prepare_digit`` does MNIST's preparation and says which steps it
took, as codes whose words are in the content strings ("digit_<code>" engine messages).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

DIGIT_CLASSES = [str(digit) for digit in range(10)]

# The ink's longer side as a share of the picture: MNIST's 20 of 28; cnntui's digits are drawn
# 17 to 25 pixels high in 32 (cnntui/train/datasets.py), 21 on average.
BOX_SHARE = 21 / 32
# A digit whose ink is already this size (the training's range) and this near the centre is left
# where it is: the training digits are placed by the middle of their box, up to 3 pixels in 32 off.
KEEP_SIZE = (17 / 32, 25 / 32)
KEEP_OFFSET = 2 / 32
INK = 0.3  # a pixel is ink above this share of the brightest one: faint noise and paper grain are not
EMPTY = 0.1  # an image whose ink is less than this above the background has no digit in it
STRETCH_NEEDED = 0.05  # background this far above black, or ink this far below white, is stretched
LEFT_AS_IT_IS = (("kept",), ("empty",))  # steps after which the picture is only resized


def is_digit_network(net) -> bool:
    """Whether ``net`` reads one grey, square picture and names the ten digits "0".."9"."""
    shape = tuple(net.input_shape)
    return len(shape) == 3 and shape[0] == 1 and shape[1] == shape[2] and list(net.classes or []) == DIGIT_CLASSES


def prepare_digit(grey: np.ndarray, size: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """``grey`` (H, W, values in [0, 1]) as a size x size light digit on black, and the steps taken.

    Steps: "inverted" (the background was light), "stretched" (the contrast), "centred" (cropped to
    the digit, scaled into the centre box and placed by its centre of mass), or "kept" when the
    digit already had the training's size and place; "empty" when there is no ink, and the
    picture is then only resized. The ink is measured on a denoised copy; the output is made from
    ``grey`` itself, stretched.
    """
    original = grey = np.asarray(grey, dtype=np.float32)
    # The ink is measured on a denoised copy: paper grain and sensor noise would otherwise count as
    # ink, widening the box and pulling the centre of mass towards the middle.
    smooth = denoised(grey)
    border = np.concatenate([smooth[0], smooth[-1], smooth[:, 0], smooth[:, -1]])
    background = float(np.median(border))
    dark, bright = (float(value) for value in np.percentile(smooth, [1, 99.5]))
    steps: list[str] = []
    if background > (dark + bright) / 2:
        grey, smooth, background, dark, bright = 1 - grey, 1 - smooth, 1 - background, 1 - bright, 1 - dark
        steps.append("inverted")
    if bright - background < EMPTY:
        return resized(original, size), ("empty",)
    if background > STRETCH_NEEDED or bright < 1 - STRETCH_NEEDED:
        grey, smooth = (np.clip((values - background) / (bright - background), 0, 1) for values in (grey, smooth))
        steps.append("stretched")
    box = ink_box(smooth)
    if fits_like_training(box, grey.shape):
        return resized(grey, size), (*steps, "kept")
    return centred(grey, smooth, box, size), (*steps, "centred")


def denoised(grey: np.ndarray) -> np.ndarray:
    """``grey`` through a 3x3 median: lone noisy pixels go, strokes two pixels wide or more stay."""
    return np.asarray(Image.fromarray(grey, "F").filter(ImageFilter.MedianFilter(3)))


def resized(grey: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(grey.astype(np.float32), "F").resize((size, size), Image.Resampling.BILINEAR))


def ink_box(grey: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), exclusive, of the ink; a lone speck of noise does not stretch it."""
    ink = grey > INK * float(grey.max())
    rows, columns = ink.sum(axis=1), ink.sum(axis=0)
    speck = max(1, min(grey.shape) // 100)  # a row or column with fewer ink pixels is noise
    ys, xs = np.nonzero(rows >= speck)[0], np.nonzero(columns >= speck)[0]
    if len(ys) == 0 or len(xs) == 0:
        ys, xs = np.nonzero(rows)[0], np.nonzero(columns)[0]
    return int(ys[0]), int(xs[0]), int(ys[-1]) + 1, int(xs[-1]) + 1


def fits_like_training(box: tuple[int, int, int, int], shape: tuple[int, int]) -> bool:
    """A square picture whose ink's longer side is in the training's range, its middle near the centre."""
    height, width = shape
    if height != width:
        return False
    top, left, bottom, right = box
    side = max(bottom - top, right - left) / height
    off = max(abs((top + bottom) / 2 - height / 2), abs((left + right) / 2 - width / 2)) / height
    return KEEP_SIZE[0] <= side <= KEEP_SIZE[1] and off <= KEEP_OFFSET


def centred(grey: np.ndarray, smooth: np.ndarray, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    """The ink's box scaled so its longer side is BOX_SHARE of ``size``, placed by the centre of mass
    of its denoised copy ``smooth``."""
    top, left, bottom, right = box
    scale = BOX_SHARE * size / max(bottom - top, right - left)
    width, height = (max(1, round(side * scale)) for side in (right - left, bottom - top))

    def scaled(values: np.ndarray) -> np.ndarray:
        crop = np.ascontiguousarray(values[top:bottom, left:right])
        return np.clip(np.asarray(Image.fromarray(crop, "F").resize((width, height), Image.Resampling.BILINEAR)), 0, 1)

    digit, ink = scaled(grey), scaled(smooth)
    mass = float(ink.sum())
    ys, xs = np.indices(ink.shape)
    centre_y, centre_x = float((ys * ink).sum()) / mass, float((xs * ink).sum()) / mass
    # where the digit's top-left corner goes so that its centre of mass lands on the picture's centre
    y0, x0 = round((size - 1) / 2 - centre_y), round((size - 1) / 2 - centre_x)
    # but never so far that ink leaves the picture
    y0, x0 = min(max(y0, 0), size - height), min(max(x0, 0), size - width)
    out = np.zeros((size, size), np.float32)
    out[y0:y0 + height, x0:x0 + width] = digit
    return out
