"""Make the sample input images for the feature-map viewer, in assets/samples/.

    python scripts/make_samples.py [--out DIR]

This is the one command that regenerates them; do not edit the PNGs by hand.
It writes:

- ``digit-0.png`` ... ``digit-9.png``: 32x32 grey, a white digit on black,
  centred, as in MNIST;
- ``circle.png``, ``square.png``, ``triangle.png``, ``cross.png``,
  ``ring.png``, ``star.png``, ``crescent.png``, ``arrow.png``, ``corner.png``
  (the built-in shapes but a line) and ``lines.png`` (diagonal stripes): 64x64
  RGB, one coloured shape on a plain, gently graded background;
- ``scene.png``: 64x64 RGB, a sky, a sun, hills and a small house with a
  window and a door, with a little noise, so there are edges in several
  orientations.

Everything is drawn with Pillow (the digits with the font Pillow ships) and a
fixed seed, so rerunning the script gives the same bytes with the same Pillow.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

OUT = Path(__file__).resolve().parent.parent / "assets" / "samples"
SEED = 20240601
SCALE = 4  # draw this many times larger, then shrink: smooth edges


def save(image: Image.Image, path: Path) -> None:
    # No metadata, fixed settings: the bytes depend only on the pixels.
    image.save(path, format="PNG", optimize=True)


def digit(value: int) -> Image.Image:
    """A white digit on black, 32x32, its ink box centred and about 22 pixels tall."""
    big = 32 * SCALE
    font = ImageFont.load_default(size=26 * SCALE)
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    text = str(value)
    stroke = 3 * SCALE // 2  # 1.5 pixels once shrunk: bold, yet the holes of 6, 8 and 9 stay open
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    x = (big - (right - left)) / 2 - left
    y = (big - (bottom - top)) / 2 - top
    draw.text((round(x), round(y)), text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    small = canvas.resize((32, 32), Image.Resampling.BOX)
    return small.filter(ImageFilter.GaussianBlur(0.4))


def graded(size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """A vertical gradient from ``top`` to ``bottom``."""
    t = np.linspace(0.0, 1.0, size)[:, None, None]
    rows = (1 - t) * np.array(top, float) + t * np.array(bottom, float)
    pixels = np.broadcast_to(rows, (size, size, 3))
    return Image.fromarray(np.round(pixels).astype(np.uint8), "RGB")


def shape(name: str) -> Image.Image:
    """One clear coloured shape on a gently graded background, 64x64 RGB."""
    big = 64 * SCALE
    s = SCALE
    backgrounds = {
        "circle": ((225, 235, 245), (190, 205, 225)),
        "square": ((245, 240, 220), (220, 210, 180)),
        "triangle": ((20, 30, 60), (45, 60, 100)),
        "cross": ((235, 245, 235), (200, 225, 200)),
        "lines": ((250, 250, 250), (250, 250, 250)),
        "ring": ((250, 235, 215), (230, 205, 175)),
        "star": ((25, 40, 90), (50, 70, 130)),
        "crescent": ((230, 240, 250), (200, 215, 235)),
        "arrow": ((240, 245, 225), (215, 225, 190)),
        "corner": ((60, 30, 50), (95, 55, 80)),
    }
    image = graded(big, *backgrounds[name])
    draw = ImageDraw.Draw(image)
    if name == "circle":
        draw.ellipse((14 * s, 14 * s, 50 * s, 50 * s), fill=(210, 40, 40))
    elif name == "square":
        draw.rectangle((16 * s, 16 * s, 48 * s, 48 * s), fill=(30, 90, 200))
    elif name == "triangle":
        # its corners 22 pixels from the centre, as the shapes dataset draws them (it keeps shapes near the middle)
        draw.polygon([(32 * s, 10 * s), (51 * s, 43 * s), (13 * s, 43 * s)], fill=(250, 200, 40))
    elif name == "cross":
        draw.rectangle((27 * s, 10 * s, 37 * s, 54 * s), fill=(30, 140, 60))
        draw.rectangle((10 * s, 27 * s, 54 * s, 37 * s), fill=(30, 140, 60))
    elif name == "ring":
        draw.ellipse((14 * s, 14 * s, 50 * s, 50 * s), outline=(200, 60, 150), width=9 * s)
    elif name == "star":
        points = [(32 + (22 if k % 2 == 0 else 9.5) * math.cos(k * math.pi / 5 - math.pi / 2),
                   33 + (22 if k % 2 == 0 else 9.5) * math.sin(k * math.pi / 5 - math.pi / 2)) for k in range(10)]
        draw.polygon([(x * s, y * s) for x, y in points], fill=(250, 220, 60))
    elif name == "crescent":  # a disc with an off-centre bite, the background showing through
        crescent = Image.new("L", (big, big), 0)
        bite = ImageDraw.Draw(crescent)
        bite.ellipse((12 * s, 12 * s, 52 * s, 52 * s), fill=255)
        bite.ellipse((23 * s, 8 * s, 57 * s, 42 * s), fill=0)
        image.paste((230, 110, 30), mask=crescent)
    elif name == "arrow":
        draw.polygon([(x * s, y * s) for x, y in
                      [(10, 29), (36, 29), (36, 18), (54, 32), (36, 46), (36, 35), (10, 35)]], fill=(40, 110, 170))
    elif name == "corner":
        draw.polygon([(x * s, y * s) for x, y in
                      [(16, 14), (27, 14), (27, 39), (50, 39), (50, 50), (16, 50)]], fill=(120, 230, 160))
    elif name == "lines":
        width = 5 * s
        for start in range(-big, big, 12 * s):  # stripes going down to the right
            draw.polygon([(start, 0), (start + width, 0), (start + width + big, big), (start + big, big)],
                         fill=(120, 40, 160))
    return image.resize((64, 64), Image.Resampling.BOX)


def scene(rng: np.random.RandomState) -> Image.Image:
    """Sky, sun, two hills and a house, with a little noise: edges in many directions."""
    big = 64 * SCALE
    s = SCALE
    image = graded(big, (70, 130, 210), (185, 215, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((44 * s, 5 * s, 58 * s, 19 * s), fill=(255, 215, 70))  # sun

    def hill(height: float, amplitude: float, phase: float, colour: tuple[int, int, int]) -> None:
        points = [(x, (height + amplitude * math.sin(x / big * 2 * math.pi + phase)) * s)
                  for x in range(0, big + 1, s)]
        draw.polygon(points + [(big, big), (0, big)], fill=colour)

    hill(36, 5, 0.6, (90, 150, 80))     # far hill
    hill(46, 3, 2.5, (60, 120, 50))     # near hill
    draw.rectangle((14 * s, 36 * s, 34 * s, 52 * s), fill=(225, 200, 160))               # walls
    draw.polygon([(11 * s, 37 * s), (24 * s, 26 * s), (37 * s, 37 * s)], fill=(170, 50, 40))  # roof
    draw.rectangle((17 * s, 40 * s, 23 * s, 46 * s), fill=(60, 90, 140))                  # window
    draw.line((20 * s, 40 * s, 20 * s, 46 * s), fill=(240, 240, 240), width=s)           # window bars
    draw.line((17 * s, 43 * s, 23 * s, 43 * s), fill=(240, 240, 240), width=s)
    draw.rectangle((26 * s, 43 * s, 31 * s, 52 * s), fill=(100, 60, 30))                  # door
    small = np.asarray(image.resize((64, 64), Image.Resampling.BOX), dtype=np.int16)
    noise = rng.randint(-6, 7, size=(64, 64, 1))  # the same noise in each channel: brightness grain
    return Image.fromarray(np.clip(small + noise, 0, 255).astype(np.uint8), "RGB")


def make_all(out: Path) -> list[Path]:
    if not features.check("freetype2"):
        raise SystemExit("make_samples.py needs Pillow built with FreeType, for its scalable default font")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(SEED)  # the legacy generator: its stream never changes
    images: dict[str, Image.Image] = {f"digit-{n}": digit(n) for n in range(10)}
    for name in ("circle", "square", "triangle", "cross", "ring", "star", "crescent", "arrow", "corner", "lines"):
        images[name] = shape(name)
    images["scene"] = scene(rng)
    written = []
    for name, image in images.items():
        path = out / f"{name}.png"
        save(image, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write to (default {OUT})")
    args = parser.parse_args(argv)
    paths = make_all(args.out)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} images, {total} bytes, to {args.out}")


if __name__ == "__main__":
    main()
