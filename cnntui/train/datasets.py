"""Small image datasets drawn on the spot from a seed: nothing to download.

- ``digits``: the ten digits, white on black as in MNIST (class index = digit),
  1 x 32 x 32 (the lenet5 preset's input) or 1 x 28 x 28. Drawn with the two
  fonts Pillow ships (its scalable FreeType font at several stroke widths and
  its small bitmap font), each sample with its own size, width, slant,
  rotation (up to 15 degrees either way), shift, blur and noise.
- ``shapes``: 3 x 64 x 64 RGB, ten classes (circle, square, triangle, cross,
  line, ring, star, crescent, arrow, corner: an L), one shape of random size,
  position and rotation, in a random colour
  on a random, gently graded background of clearly different brightness, with
  mild noise.

The same (name, count, seed, size) gives bit-identical arrays in any process
(with the same Pillow and NumPy): every random number comes from one NumPy
Generator seeded from that tuple. Pixels are made as 8-bit values, so a
dataset read back from the cache equals a freshly drawn one exactly.

``load_dataset`` keeps what it draws in the user's cache folder, as a small
compressed ``.npz`` file, and reads it back the next time.
"""

from __future__ import annotations

import errno
import io
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..core.files import atomic_write, make_folder, set_aside
from ..core.shapes import shape_text

NAMES = ("digits", "shapes")
DIGIT_CLASSES = [str(d) for d in range(10)]
SHAPE_CLASSES = ["circle", "square", "triangle", "cross", "line",
                 "ring", "star", "crescent", "arrow", "corner"]
CLASSES = {"digits": DIGIT_CLASSES, "shapes": SHAPE_CLASSES}
SIZES = {"digits": (32, 28), "shapes": (64, 32)}  # the first is the default
CHANNELS = {"digits": 1, "shapes": 3}
CACHE_VERSION = 1  # bump whenever the drawing changes, so old cache files are not used
CHUNK = 250  # samples drawn between two progress reports
# Only digits are kept: noisy colour shapes hardly compress (10,000 take 95 MB) and draw as fast as they load.
CACHED = {"digits"}

Progress = Callable[[int, int], None]


@dataclass
class Dataset:
    """Images ``x`` (float32, N x C x H x W, values in [0, 1]) with labels ``y`` (int64)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    seed: int
    note: str = ""  # how it was obtained: drawn, read from the cache, and any cache trouble

    def __len__(self) -> int:
        return len(self.y)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The shape of one sample, (C, H, W)."""
        return tuple(self.x.shape[1:])

    def counts(self) -> np.ndarray:
        """How many samples each class has."""
        return np.bincount(self.y, minlength=len(self.classes))

    def split(self, validation: float) -> tuple[Dataset, Dataset]:
        """(train, validation): the validation part is the last ``validation`` samples.

        ``validation`` is a fraction (0 < f < 1) or a number of samples. The
        samples are stored in a random order already (drawn from the seed), so
        the tail is a random part; the split is the same every time.
        """
        total = len(self)
        if isinstance(validation, (bool, np.bool_)):
            raise TypeError("validation must be a fraction or a count")
        if isinstance(validation, (int, np.integer)):
            count = int(validation)
        elif isinstance(validation, (float, np.floating)) and 0.0 < validation < 1.0:
            count = round(total * float(validation))
        else:
            raise ValueError(f"validation must be a fraction between 0 and 1 or a count, not {validation!r}")
        if not 0 <= count <= total:
            raise ValueError(f"cannot hold back {count} of {total} samples")
        cut = total - count
        return (
            Dataset(self.name, self.x[:cut], self.y[:cut], list(self.classes), self.seed,
                    f"{self.name}: training part, samples 0-{cut - 1} of {total}"),
            Dataset(self.name, self.x[cut:], self.y[cut:], list(self.classes), self.seed,
                    f"{self.name}: validation part, samples {cut}-{total - 1} of {total}"),
        )

    def batches(self, batch_size: int, rng: np.random.Generator | int | None = None, *,
                shuffle: bool = True, drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(x, y) mini-batches covering the dataset once, in an order drawn from ``rng``.

        ``rng`` is a NumPy Generator (its state advances, so each epoch gets a new
        order) or a seed. The last batch may be smaller unless ``drop_last``.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        total = len(self)
        if shuffle:
            generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
            order = generator.permutation(total)
        else:
            order = np.arange(total)
        stop = total - total % batch_size if drop_last else total
        for start in range(0, stop, batch_size):
            index = order[start:start + batch_size]
            yield self.x[index], self.y[index]


def check_fits(net, name: str) -> int:
    """The image size of dataset ``name`` that ``net`` takes; CnntuiError saying what to change if none does,
    or if the network has fewer outputs than the dataset has classes."""
    from ..core.errors import CnntuiError

    channels, height, width = net.input_shape
    shape = shape_text(net.input_shape)
    if channels != CHANNELS[name] or height != width or height not in SIZES[name]:
        want = " or ".join(f"{CHANNELS[name]}x{size}x{size}" for size in SIZES[name])
        raise CnntuiError("train_input", name=net.name, shape=shape, dataset=name, want=want)
    outputs = net.summary()[-1].output_shape
    classes = len(CLASSES[name])
    if outputs is None or len(outputs) != 1 or outputs[0] < classes:
        raise CnntuiError("train_classes", name=net.name, shape=shape_text(outputs or ()), dataset=name,
                          count=classes)
    return height


VALIDATION_SHARE = 0.2  # the fifth of the samples ``cnntui train`` and the app hold back
ADAM_COPIES = 4  # the weights, their gradients and Adam's two moving averages


def least_samples(name: str) -> int:
    """The fewest samples worth training on: the fifth held back for validation can then hold one
    sample of every class (labels are balanced), so its accuracy means something."""
    return round(len(CLASSES[name]) / VALIDATION_SHARE)


def check_samples(name: str, count: int) -> None:
    """CnntuiError if ``count`` samples are too few to split into training and validation parts."""
    from ..core.errors import CnntuiError

    least = least_samples(name)
    if count < least:
        raise CnntuiError("train_samples_few", got=count, dataset=name, classes=len(CLASSES[name]), least=least)


def sample_bytes(name: str, size: int) -> int:
    """Memory one drawn sample takes at the peak: its float32 pixels and label and, for a cached
    dataset, the bytes drawn first and their compressed copy for the cache, which the process
    keeps hold of (measured, 20,000 digits: the peak grows by 6.1 KiB a sample; this says 6.0)."""
    values = CHANNELS[name] * size * size
    return values * 4 + 8 + (2 * values if name in CACHED else 0)


def training_step_bytes(net, batch: int) -> int:
    """Memory one training step needs beyond the data: the forward pass's estimate for a batch (it
    counts every layer's output and the largest scratch buffer; measured, it also covers the
    backward pass, which frees each gradient as it goes, and validation, done in the same batches),
    and the optimiser's copies of the weights."""
    return net.memory_needed(batch) + ADAM_COPIES * net.summary().weight_bytes


def check_memory(net, name: str, count: int, size: int, batch: int, budget: int) -> None:
    """BudgetError with the figures if training on ``count`` samples would need more than ``budget``
    bytes; checked before anything is drawn."""
    from ..core.errors import BudgetError
    from ..core.reading import human_bytes

    per_sample, fixed = sample_bytes(name, size), training_step_bytes(net, batch)
    need = count * per_sample + fixed
    if need <= budget:
        return
    most = max(0, (budget - fixed) // per_sample)
    detail = (f"{human_bytes(per_sample)} per sample, {human_bytes(fixed)} for a training step of "
              f"batch {batch}")
    if most < least_samples(name):
        raise BudgetError("train_batch_memory", batch=batch, need=human_bytes(fixed), budget=human_bytes(budget))
    raise BudgetError("train_memory", got=count, need=human_bytes(need), detail=detail,
                      budget=human_bytes(budget), most=most)


# -- making them ------------------------------------------------------------------------


def check_args(name: str, count: int, seed: int, size: int | None) -> int:
    """Validate the arguments; returns the image size (the default if ``size`` is None)."""
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")
    if size is None:
        size = SIZES[name][0]
    if size not in SIZES[name]:
        raise ValueError(f"the {name} dataset comes in sizes {', '.join(map(str, SIZES[name]))}, not {size}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive whole number, not {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, not {seed!r}")
    return int(size)


def generator(name: str, count: int, seed: int, size: int) -> np.random.Generator:
    """The one source of randomness for a dataset, seeded from the whole tuple (never ``hash()``)."""
    entropy = [CACHE_VERSION, *name.encode("ascii"), int(count), int(seed), int(size)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def make_dataset(name: str, count: int, seed: int, size: int | None = None,
                 progress: Progress | None = None) -> Dataset:
    """Draw ``count`` samples of dataset ``name`` ("digits" or "shapes") from ``seed``."""
    size = check_args(name, count, seed, size)
    pixels, labels = make_arrays(name, int(count), int(seed), size, progress, as_float=True)
    classes = CLASSES[name]
    return Dataset(name, pixels, labels, list(classes), int(seed),
                   f"{name}: drew {count} samples of {pixels.shape[1]}x{size}x{size} from seed {seed}")


def make_arrays(name: str, count: int, seed: int, size: int, progress: Progress | None = None,
                as_float: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The samples as uint8 (N, C, H, W), or ``as_float`` float32 in [0, 1] (converted a chunk at a
    time, so the bytes of all samples never exist beside their floats), and their int64 labels."""
    rng = generator(name, count, seed, size)
    labels = rng.permutation(np.arange(count) % len(CLASSES[name])).astype(np.int64)  # balanced, shuffled
    draw = _draw_digits if name == "digits" else _draw_shapes
    pixels = np.empty((count, CHANNELS[name], size, size), np.float32 if as_float else np.uint8)
    if progress is not None:
        progress(0, count)
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        drawn = draw(labels[start:stop], size, rng)
        pixels[start:stop] = to_float(drawn) if as_float else drawn
        if progress is not None:
            progress(stop, count)
    return pixels, labels


def to_float(pixels: np.ndarray) -> np.ndarray:
    out = pixels.astype(np.float32)
    out *= np.float32(1 / 255)
    return out


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Round float pixel values (0-255) to bytes; ``values`` is overwritten."""
    np.rint(values, out=values)
    np.clip(values, 0, 255, out=values)
    return values.astype(np.uint8)


# -- digits --------------------------------------------------------------------------------

GLYPH_SCALE = 4  # glyphs are drawn this many times larger than a 32-pixel sample
FREETYPE_STROKES = (0, 1, 2, 3, 4, 6)  # extra stroke width, in big pixels (4 big pixels = 1 small)
BITMAP_SHARE = 0.2  # the share of digits in Pillow's little bitmap font


@dataclass(frozen=True)
class Glyph:
    image: Image.Image  # "L", cropped to the ink
    cx: float  # ink centre
    cy: float
    height: float  # ink height


def _crop(image: Image.Image) -> Glyph:
    left, top, right, bottom = image.getbbox()
    pad = 4
    box = (left - pad, top - pad, right + pad, bottom + pad)
    cropped = image.crop(box)
    return Glyph(cropped, (right - left) / 2 + pad, (bottom - top) / 2 + pad, bottom - top)


@cache
def glyphs() -> tuple[tuple[tuple[Glyph, ...], ...], tuple[Glyph, ...]]:
    """Each digit, big: (per FreeType stroke width, a tuple of 10 glyphs), and the 10 bitmap glyphs."""
    font = ImageFont.load_default(size=26 * GLYPH_SCALE)
    if not isinstance(font, ImageFont.FreeTypeFont):  # pragma: no cover - Pillow without FreeType
        font = None
    big = 48 * GLYPH_SCALE
    outline: list[tuple[Glyph, ...]] = []
    if font is not None:
        for stroke in FREETYPE_STROKES:
            row = []
            for digit in range(10):
                canvas = Image.new("L", (big, big), 0)
                ImageDraw.Draw(canvas).text((big // 4, big // 8), str(digit), fill=255, font=font,
                                            stroke_width=stroke, stroke_fill=255)
                row.append(_crop(canvas))
            outline.append(tuple(row))
    # Pillow's bitmap font: 5x7 blocky digits; blown up and softened they are a second hand
    bitmap_font = ImageFont.load_default_imagefont()
    bitmap = []
    for digit in range(10):
        small = Image.new("L", (12, 16), 0)
        ImageDraw.Draw(small).text((3, 1), str(digit), fill=255, font=bitmap_font)
        grown = small.resize((12 * 14, 16 * 14), Image.Resampling.NEAREST)
        grown = grown.filter(ImageFilter.GaussianBlur(5)).point(lambda v: min(255, max(0, (v - 64) * 2)))
        bitmap.append(_crop(grown))
    return tuple(outline), tuple(bitmap)


def _draw_digits(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    n = len(labels)
    outline, bitmap = glyphs()
    unit = size / 32  # the sizes below are for a 32-pixel sample
    use_bitmap = rng.random(n) < (BITMAP_SHARE if outline else 1.0)
    stroke = rng.integers(0, max(1, len(outline)), n)
    height = rng.uniform(17.0, 25.0, n) * unit  # ink height in sample pixels
    widen = np.exp(rng.uniform(-0.18, 0.15, n))  # width / height, relative to the font's
    angle = np.radians(rng.uniform(-15.0, 15.0, n))
    shear = rng.uniform(-0.22, 0.22, n)  # slant
    shift = rng.uniform(-3.0, 3.0, (n, 2)) * unit
    ink = rng.uniform(0.8, 1.0, n)
    blur = np.where(rng.random(n) < 0.5, rng.uniform(0.3, 0.8, n), 0.0) * unit
    noise = rng.uniform(0.0, 0.06, n)

    over = 2  # draw at twice the size, then average 2x2 blocks: smooth edges
    out_size = size * over
    out = np.empty((n, size, size), np.float32)
    for i in range(n):
        glyph = bitmap[labels[i]] if use_bitmap[i] else outline[stroke[i]][labels[i]]
        k = float(over * height[i] / glyph.height)  # big glyph pixels -> canvas pixels
        kx, sh = k * float(widen[i]), float(shear[i])
        # glyph -> canvas is rotation @ shear @ scale; Pillow wants canvas -> glyph, the inverse:
        # diag(1/kx, 1/k) @ [[1, -sh], [0, 1]] @ [[cos, sin], [-sin, cos]]
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        a, b = (cos + sh * sin) / kx, (sin - sh * cos) / kx
        d, e = -sin / k, cos / k
        ox = out_size / 2 + over * float(shift[i, 0])  # where the ink centre goes
        oy = out_size / 2 + over * float(shift[i, 1])
        data = (a, b, glyph.cx - a * ox - b * oy, d, e, glyph.cy - d * ox - e * oy)
        canvas = glyph.image.transform((out_size, out_size), Image.Transform.AFFINE, data,
                                       resample=Image.Resampling.BILINEAR)
        small = canvas.reduce(over)
        if blur[i] > 0:
            small = small.filter(ImageFilter.GaussianBlur(float(blur[i])))
        out[i] = np.asarray(small, np.float32)
    out *= ink[:, None, None].astype(np.float32)
    grain = rng.standard_normal(out.shape, dtype=np.float32)
    grain *= (255 * noise)[:, None, None].astype(np.float32)
    out += grain
    return _to_uint8(out)[:, None]


# -- shapes --------------------------------------------------------------------------------

SHAPE_SCALE = 4  # shapes are drawn as masks this many times larger, then shrunk
MIN_CONTRAST = 0.3  # least difference in brightness (0-1) between a shape and its background
POSITION_SPREAD = 0.3  # how much of the room a shape has that its centre may wander over


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114])


def _colours(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(background, shape) colours in [0, 1], each pair differing by MIN_CONTRAST in brightness at least."""
    background = rng.random((n, 3))
    shape = rng.random((n, 3))
    bad = np.abs(_luma(shape) - _luma(background)) < MIN_CONTRAST
    while bad.any():  # redraw the shape colour until it stands out; ~half pass each round
        shape[bad] = rng.random((int(bad.sum()), 3))
        bad = np.abs(_luma(shape) - _luma(background)) < MIN_CONTRAST
    return background, shape


def _polygon(cx: float, cy: float, points: list[tuple[float, float]], angle: float) -> list[tuple[float, float]]:
    """``points`` turned by ``angle`` about the origin, then moved to (cx, cy)."""
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]


def _bar(half_length: float, half_width: float) -> list[tuple[float, float]]:
    return [(-half_length, -half_width), (half_length, -half_width),
            (half_length, half_width), (-half_length, half_width)]


def _star(reach: float, dent: float) -> list[tuple[float, float]]:
    """Five points at ``reach`` with inner corners at ``dent`` x ``reach`` between them."""
    turns = [k * math.pi / 5 - math.pi / 2 for k in range(10)]
    return [(reach * (1 if k % 2 == 0 else dent) * math.cos(u), reach * (1 if k % 2 == 0 else dent) * math.sin(u))
            for k, u in enumerate(turns)]


def _arrow(reach: float, head: float) -> list[tuple[float, float]]:
    """An arrow from -``reach`` to ``reach`` along x: a shaft, then a head that takes the share
    ``head`` of the length and is 1.2 times as wide as it is long: a line with a solid triangle on
    its end (a narrower head left its barbs looking like an L's arms)."""
    shaft, tip = 0.15 * reach, reach * (1 - 2 * head)
    wing = 1.2 * head * reach
    return [(-reach, -shaft), (tip, -shaft), (tip, -wing), (reach, 0.0),
            (tip, wing), (tip, shaft), (-reach, shaft)]


def _corner(reach: float, arm: float) -> list[tuple[float, float]]:
    """An L: two arms of width ``arm`` x side meeting at a right angle, its box centred."""
    h = reach / math.sqrt(2)
    t = 2 * h * arm
    return [(-h, -h), (h, -h), (h, -h + t), (-h + t, -h + t), (-h + t, h), (-h, h)]


def _draw_shapes(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    n = len(labels)
    s = SHAPE_SCALE
    big = size * s
    # reach from the centre, in sample pixels; from 0.18, not 0.15, since five more classes came in:
    # a smaller triangle, square or crescent is a blob of much the same few pixels
    radius = rng.uniform(0.18, 0.36, n) * size
    line_length = rng.uniform(0.32, 0.46, n) * size  # half a line's length
    arrow_length = rng.uniform(0.24, 0.42, n) * size  # half an arrow's length: its head must show
    radius = np.where(labels == SHAPE_CLASSES.index("line"), line_length, radius)
    radius = np.where(labels == SHAPE_CLASSES.index("arrow"), arrow_length, radius)
    margin = radius + 0.04 * size
    # the centre within the middle POSITION_SPREAD of where the shape would fit: tinyvgg's one
    # fully connected layer learns each place apart, and on the 20,000 samples the memory budget
    # allows, ten classes placed anywhere left it below 90% (measured; over half the room, 95%)
    cx = size / 2 + (rng.random(n) - 0.5) * POSITION_SPREAD * (size - 2 * margin)
    cy = size / 2 + (rng.random(n) - 0.5) * POSITION_SPREAD * (size - 2 * margin)
    angle = rng.uniform(0.0, 2 * math.pi, n)
    arm = rng.uniform(0.2, 0.34, n)  # a cross's half arm width / its reach
    line_width = rng.uniform(0.025, 0.05, n) * size  # half a line's width
    corners = rng.uniform(-0.15, 0.15, (n, 3))  # jitter of a triangle's corner angles
    hole = rng.uniform(0.45, 0.65, n)  # a ring's inner radius / its outer one
    dent = rng.uniform(0.38, 0.5, n)  # a star's inner corners' reach / its points' reach
    head = rng.uniform(0.35, 0.45, n)  # the share of an arrow's length its head takes
    bite = rng.uniform(0.45, 0.6, n)  # how far a crescent's bite is off its centre / its radius
    corner_arm = rng.uniform(0.25, 0.35, n)  # a corner's arm width / its side: thin, or it is a notched square

    alpha = np.empty((n, size, size), np.float32)
    for i in range(n):
        mask = Image.new("L", (big, big), 0)
        draw = ImageDraw.Draw(mask)
        x, y, r, a = float(cx[i] * s), float(cy[i] * s), float(radius[i] * s), float(angle[i])
        kind = SHAPE_CLASSES[labels[i]]
        if kind == "circle":
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
        elif kind == "square":
            h = r / math.sqrt(2)
            draw.polygon(_polygon(x, y, [(-h, -h), (h, -h), (h, h), (-h, h)], a), fill=255)
        elif kind == "triangle":
            turns = [k * 2 * math.pi / 3 + float(corners[i, k]) for k in range(3)]
            draw.polygon(_polygon(x, y, [(r * math.cos(u), r * math.sin(u)) for u in turns], a), fill=255)
        elif kind == "cross":
            w = float(arm[i]) * r
            draw.polygon(_polygon(x, y, _bar(r, w), a), fill=255)
            draw.polygon(_polygon(x, y, _bar(w, r), a), fill=255)
        elif kind == "line":
            draw.polygon(_polygon(x, y, _bar(r, float(line_width[i] * s)), a), fill=255)
        elif kind == "ring":
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
            q = r * float(hole[i])
            draw.ellipse((x - q, y - q, x + q, y + q), fill=0)
        elif kind == "star":
            draw.polygon(_polygon(x, y, _star(r, float(dent[i])), a), fill=255)
        elif kind == "crescent":  # a disc with a disc of 0.85 its radius cut out off-centre
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
            q, bx, by = 0.85 * r, x + float(bite[i]) * r * math.cos(a), y + float(bite[i]) * r * math.sin(a)
            draw.ellipse((bx - q, by - q, bx + q, by + q), fill=0)
        elif kind == "arrow":
            draw.polygon(_polygon(x, y, _arrow(r, float(head[i])), a), fill=255)
        else:  # corner
            draw.polygon(_polygon(x, y, _corner(r, float(corner_arm[i])), a), fill=255)
        alpha[i] = np.asarray(mask.reduce(s), np.float32)
    alpha *= np.float32(1 / 255)

    background, colour = _colours(n, rng)
    # a gentle gradient of light across the picture, in a random direction, and grain
    direction = rng.uniform(0.0, 2 * math.pi, n)
    depth = rng.uniform(-0.12, 0.12, n)
    noise = rng.uniform(0.0, 0.04, n)
    ramp = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    across = (np.cos(direction) * depth).astype(np.float32)[:, None, None]
    down = (np.sin(direction) * depth).astype(np.float32)[:, None, None]
    light = rng.standard_normal((n, size, size), dtype=np.float32)  # the same in each channel
    light *= noise.astype(np.float32)[:, None, None]
    light += across * ramp[None, None, :]
    light += down * ramp[:, None]
    light += np.float32(0.5 / 255)  # so that truncating to bytes below rounds
    out = np.empty((n, 3, size, size), np.uint8)
    plane = np.empty_like(light)
    for c in range(3):
        np.multiply(alpha, (colour[:, c] - background[:, c]).astype(np.float32)[:, None, None], out=plane)
        plane += background[:, c].astype(np.float32)[:, None, None]
        plane += light
        plane *= np.float32(255)
        np.clip(plane, 0, 255, out=plane)
        out[:, c] = plane  # truncates
    return out


# -- the cache -----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("cnntui", appauthor=False) / "datasets"


def cache_name(name: str, count: int, seed: int, size: int) -> str:
    return f"{name}-{size}-{count}-{seed}-v{CACHE_VERSION}.npz"


def _read_cache(path: Path, name: str, count: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The cached (uint8 pixels, labels); ValueError if the file is not what it should be.

    Read as weights are: a regular file only (a pipe here would hang the reader), and the arrays'
    headers checked against the size this dataset has before anything is allocated."""
    from ..core.errors import CnntuiError
    from ..core.weights import read_npz

    if not os.path.lexists(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    try:
        data = read_npz(path, _cache_bytes(name, count, size))
        pixels, labels, classes = data["x"], data["y"], data["classes"]
    except CnntuiError as error:  # not a regular file, unreadable, forged or damaged: set aside, drawn again
        raise ValueError(error.message.args.get("reason") or str(error)) from None
    except KeyError as error:
        raise ValueError(f"it has no array {error}") from None
    expected = CLASSES[name]
    if pixels.dtype != np.uint8 or pixels.shape != (count, CHANNELS[name], size, size):
        raise ValueError(f"images are {pixels.dtype} {pixels.shape}")
    if labels.shape != (count,) or labels.dtype.kind not in "iu" \
            or (count and (labels.min() < 0 or labels.max() >= len(expected))):
        raise ValueError("the labels are wrong")
    if classes.dtype.kind != "U" or classes.tolist() != expected:
        raise ValueError("the class names are wrong")
    return pixels, labels.astype(np.int64)


def _cache_bytes(name: str, count: int, size: int) -> int:
    """The most a good cache file's arrays can take: the pixels, 8-byte labels and the class names."""
    return count * (CHANNELS[name] * size * size + 8) + (64 << 10)


def load_dataset(name: str, count: int, seed: int, size: int | None = None,
                 cache_dir: str | Path | None = None, progress: Progress | None = None) -> Dataset:
    """The dataset from the cache if it is there, else drawn (see ``make_dataset``) and cached.

    ``cache_dir`` is the folder holding the files (default: the user's cache
    folder / "datasets"). A damaged cache file is set aside and the data drawn
    again; a folder that cannot be written is not an error, the data is just not
    kept. ``Dataset.note`` says what happened. ``progress(done, total)`` is
    called while drawing, never when reading the cache.
    """
    size = check_args(name, count, seed, size)
    count, seed = int(count), int(seed)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / cache_name(name, count, seed, size)
    classes = list(CLASSES[name])
    notes = []
    try:
        pixels, labels = _read_cache(path, name, count, size)
    except FileNotFoundError:
        pass
    except ValueError as error:
        try:
            moved = set_aside(path)
        except OSError as move_error:
            notes.append(f"the cache file {path} was damaged ({error}) and could not be moved "
                         f"({move_error.strerror or move_error})")
        else:
            notes.append(f"the cache file {path} was damaged ({error}); moved it to {moved.name}")
    else:
        return Dataset(name, to_float(pixels), labels, classes, seed, f"{name}: read from {path}")

    pixels, labels = make_arrays(name, count, seed, size, progress, as_float=name not in CACHED)
    notes.insert(0, f"{name}: drew {count} samples of {pixels.shape[1]}x{size}x{size} from seed {seed}")
    if name not in CACHED:
        notes.append("not cached: drawing them again is as quick as reading them back")
        return Dataset(name, pixels, labels, classes, seed, "; ".join(notes))
    try:
        _write_cache(path, pixels, labels, classes)
    except OSError as error:
        notes.append(f"not cached: cannot write to {folder} ({error.strerror or error})")
    else:
        notes.append(f"cached in {path}")
    return Dataset(name, to_float(pixels), labels, classes, seed, "; ".join(notes))


def _write_cache(path: Path, pixels: np.ndarray, labels: np.ndarray, classes: list[str]) -> None:
    """The drawn bytes, compressed, at ``path``. A function of its own so that the compressed copy
    is let go before the samples are turned into floats."""
    make_folder(path.parent)  # as root (sudo), a new folder still belongs to the student
    buffer = io.BytesIO()  # compress first: the file is open for as short a time as can be
    np.savez_compressed(buffer, x=pixels, y=labels, classes=np.array(classes, dtype=str))
    with atomic_write(path) as handle:
        handle.write(buffer.getbuffer())
