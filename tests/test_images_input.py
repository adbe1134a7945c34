"""Images as people bring them: every decoding case of images.load_image, each with a file made here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnntui.images import load_image, load_input

GREY = (1, 8, 8)
RGB = (3, 8, 8)


def half_and_half(mode: str, left, right, size=(8, 8)) -> Image.Image:
    """An image whose left half is ``left`` and right half ``right``."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def test_exif_orientation_is_applied(tmp_path):
    # stored 8 wide and 4 high, bright on the left; orientation 6 says "turn 90 degrees clockwise to view"
    image = half_and_half("L", 255, 0, size=(8, 4))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "turned.jpg"
    image.save(path, exif=exif, quality=100)
    x, note = load_image(path, GREY)
    # upright it is 4 wide and 8 high with the bright half at the top
    assert x[0, :3].mean() > 0.9 and x[0, -3:].mean() < 0.1
    assert "turned upright (EXIF)" in note


def test_first_frame_of_an_animation(tmp_path):
    frames = [Image.new("L", (8, 8), 255), Image.new("L", (8, 8), 0)]
    path = tmp_path / "blink.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    x, note = load_image(path, GREY)
    assert x.min() > 0.95
    assert "first of 2 frames" in note


def test_palette_image_keeps_its_colours(tmp_path):
    image = half_and_half("RGB", (255, 0, 0), (0, 0, 255)).quantize(4)
    assert image.mode == "P"
    path = tmp_path / "palette.png"
    image.save(path)
    x, _ = load_image(path, RGB)
    assert x[0, :, :3].mean() > 0.9 and x[2, :, :3].mean() < 0.1
    assert x[2, :, -3:].mean() > 0.9 and x[0, :, -3:].mean() < 0.1


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    values = np.full((8, 8), 32768, np.uint16)  # half of 16-bit white
    values[:, 4:] = 65535
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    x, note = load_image(path, GREY)
    assert x[0, :, :3].mean() == pytest.approx(0.5, abs=0.01)  # clipping would make it 1
    assert x[0, :, -3:].mean() == pytest.approx(1.0, abs=0.01)
    assert "16-bit scaled to 8" in note


def test_cmyk_becomes_rgb(tmp_path):
    image = half_and_half("CMYK", (0, 255, 255, 0), (0, 0, 0, 255))  # red, black
    path = tmp_path / "print.jpg"
    image.save(path, quality=100)
    x, _ = load_image(path, RGB)
    assert x[0, :, :3].mean() > 0.8 and x[1, :, :3].mean() < 0.2
    assert x[:, :, -3:].max() < 0.2


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_dark_drawing_on_transparency_lands_on_white(tmp_path, mode):
    ink = (0, 0, 0, 255) if mode == "RGBA" else (0, 255)
    clear = (0, 0, 0, 0) if mode == "RGBA" else (0, 0)
    path = tmp_path / "pen.png"
    half_and_half(mode, clear, ink).save(path)
    x, note = load_image(path, GREY)
    # the transparent half would be black, like the ink, if the alpha were dropped
    assert x[0, :, :3].mean() > 0.95 and x[0, :, -3:].mean() < 0.05
    assert "transparency on white" in note


def test_light_drawing_on_transparency_lands_on_black(tmp_path):
    path = tmp_path / "chalk.png"
    half_and_half("RGBA", (255, 255, 255, 0), (255, 255, 255, 255)).save(path)
    x, note = load_image(path, GREY)
    assert x[0, :, :3].mean() < 0.05 and x[0, :, -3:].mean() > 0.95
    assert "transparency on black" in note


def test_the_background_of_a_large_transparent_picture_is_judged_without_its_floats(tmp_path):
    import tracemalloc

    path = tmp_path / "large.png"
    half_and_half("LA", (0, 0), (0, 255), size=(800, 800)).save(path)
    tracemalloc.start()
    x, note = load_image(path, GREY)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "transparency on white" in note and x[0, :, :3].mean() > 0.95
    assert peak < 3_000_000  # the picture's floats alone would be 800 x 800 x 4 channels x 4 bytes = 10 MB


def test_palette_with_a_transparent_colour(tmp_path):
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    image.paste(1, (4, 0, 8, 8))
    path = tmp_path / "clear.gif"
    image.save(path, transparency=0)  # colour 0 (black) is transparent; the drawing is white
    x, note = load_image(path, GREY)
    assert x[0, :, -3:].mean() > 0.95 and x[0, :, :3].mean() < 0.05
    assert "transparency on black" in note


def test_plain_images_are_converted_as_before(tmp_path):
    path = tmp_path / "plain.png"
    half_and_half("L", 0, 255).save(path)
    x, note = load_image(path, GREY)
    expected = np.asarray(Image.open(path).resize((8, 8), Image.Resampling.BILINEAR), np.float32) / 255
    assert np.array_equal(x[0], expected)
    assert note == "plain.png: 8x8 L -> grey 1x8x8 (bilinear resize, values scaled to [0, 1])"


def test_digits_keyword_reaches_the_preparation_through_load_input(tmp_path):
    image = Image.new("L", (64, 64), 255)
    image.paste(0, (20, 10, 30, 50))  # a dark bar on white: a "1"
    path = tmp_path / "one.png"
    image.save(path)
    x, note = load_input(path, (1, 28, 28), digits=True)
    plain, _ = load_input(path, (1, 28, 28))
    assert x[0, 0, 0] == 0 and plain[0, 0, 0] == 1  # the background is black once prepared
    assert note.endswith("; light background: inverted; "
                         "cropped to the digit, scaled and centred by its centre of mass")
    # a 3-channel network's input is never prepared as a digit
    _, rgb_note = load_input(path, (3, 28, 28), digits=True)
    assert "inverted" not in rgb_note


@pytest.mark.parametrize("side", [40, 50])  # over the limit (a warning, refused too) and over twice it
def test_an_image_too_big_says_its_own_pixel_count(tmp_path, monkeypatch, side):
    from cnntui.core import CnntuiError

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    Image.new("L", (side, side)).save(tmp_path / "big.png")
    with pytest.raises(CnntuiError) as caught:
        load_image(tmp_path / "big.png", (1, 8, 8))
    assert f"({side * side:,} pixels, limit 1,000)" in str(caught.value)
