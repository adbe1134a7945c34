"""How well the shipped LeNet-5 reads digits as people bring them, with and without the preparation.

The digits are drawn with fonts the training never used (the DejaVu family; training draws only
Pillow's own default fonts), dark on light and light on dark, on pictures of assorted sizes
(28 to 300 pixels, some not square), at assorted offsets, stroke widths and blur, with paper
noise (a standard deviation of up to 25 of 255) and, for dark on light, a light tint. Each picture is written as a PNG and read back with
``images.load_image(..., digits=...)`` as ``cnntui forward`` reads it.

    python benchmarks/bench_digits.py [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from cnntui.core import Network
from cnntui.images import load_image

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
PAPER_NOISE = 25 / 255  # the largest standard deviation of the paper's grain, as a share of white


def fonts() -> list[Path]:
    """The DejaVu fonts (but the maths one), or, where they are missing, whatever TrueType fonts exist."""
    found = sorted(path for path in DEJAVU.glob("DejaVu*.ttf") if "Math" not in path.name) if DEJAVU.is_dir() else []
    if not found:
        found = sorted(Path("/usr/share/fonts").rglob("*.ttf"))
        print(f"{DEJAVU} is missing: using the {len(found)} TrueType fonts under /usr/share/fonts instead")
    if not found:
        raise SystemExit("no TrueType fonts found under /usr/share/fonts; install some (e.g. fonts-dejavu-core)")
    return found


def draw_digit(digit: int, font_path: Path, dark_on_light: bool, rng: np.random.Generator) -> Image.Image:
    """One digit on a picture of a random size, as someone might draw or scan it."""
    width = int(rng.integers(28, 301))
    height = width if rng.random() < 0.6 else int(np.clip(width * rng.uniform(0.6, 1.6), 28, 300))
    ink_height = min(width, height) * rng.uniform(0.35, 0.85)
    font = ImageFont.truetype(str(font_path), max(8, round(ink_height * 1.35)))
    stroke = int(rng.integers(0, max(1, round(ink_height / 25)) + 1))
    glyph = Image.new("L", (width * 3, height * 3), 0)
    ImageDraw.Draw(glyph).text((width, height), str(digit), fill=255, font=font, stroke_width=stroke,
                               stroke_fill=255)
    left, top, right, bottom = glyph.getbbox()
    ink = glyph.crop((left, top, right, bottom))
    room_x, room_y = max(0, width - ink.width), max(0, height - ink.height)
    # anywhere the ink fits, leaning to the middle
    x = round(room_x * np.clip(rng.normal(0.5, 0.2), 0, 1))
    y = round(room_y * np.clip(rng.normal(0.5, 0.2), 0, 1))
    canvas = Image.new("L", (width, height), 0)
    canvas.paste(ink, (x, y))
    if rng.random() < 0.5:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5) * min(width, height) / 60))
    values = np.asarray(canvas, dtype=np.float32) / 255 * rng.uniform(0.75, 1.0)
    paper, pen = (rng.uniform(0.8, 1.0), rng.uniform(0.0, 0.25)) if dark_on_light else \
        (rng.uniform(0.0, 0.15), rng.uniform(0.8, 1.0))
    grey = paper + (pen - paper) * values + rng.normal(0, rng.uniform(0, PAPER_NOISE), values.shape)
    tint = rng.uniform(0.9, 1.0, 3) if dark_on_light else np.ones(3)  # paper a little yellow or blue
    rgb = np.clip(grey[..., None] * tint, 0, 1)
    return Image.fromarray(np.rint(rgb * 255).astype(np.uint8), "RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="pictures per polarity (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    net = Network.load("lenet5")
    net.load_weights(net.shipped_weights)
    rng = np.random.default_rng(args.seed)
    font_paths = fonts()
    print(f"{len(font_paths)} fonts, {args.count} pictures per polarity, seed {args.seed}")
    print(f"{'polarity':<16} {'raw':>8} {'prepared':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for dark_on_light, label in ((True, "dark on light"), (False, "light on dark")):
            right = {False: 0, True: 0}
            for index in range(args.count):
                digit = index % 10
                path = Path(folder) / f"{index}.png"
                draw_digit(digit, font_paths[int(rng.integers(len(font_paths)))], dark_on_light, rng).save(path)
                for digits in (False, True):
                    x, _ = load_image(path, net.input_shape, net.name, digits=digits)
                    right[digits] += int(np.argmax(net.forward(x)[-1])) == digit
            print(f"{label:<16} {right[False] / args.count:8.1%} {right[True] / args.count:9.1%}")


if __name__ == "__main__":
    main()
