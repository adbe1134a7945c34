"""The shipped sample images: what they are, finding them by name, and remaking them."""

from __future__ import annotations

import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnntui.core.assets import assets_dir, find_sample, sample_names
from cnntui.core.errors import CnntuiError

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_samples.py"
DIGITS = [f"digit-{n}" for n in range(10)]
SHAPES = ["circle", "square", "triangle", "cross", "ring", "star", "crescent", "arrow", "corner", "lines"]


def pixels(name: str) -> np.ndarray:
    with Image.open(find_sample(name)) as image:
        return np.asarray(image)


def test_the_samples_are_the_digits_shapes_and_scene_digits_first():
    names = sample_names()
    assert set(names) == {*DIGITS, *SHAPES, "scene"}
    assert names[:10] == DIGITS


@pytest.mark.parametrize("name", DIGITS)
def test_digits_are_32x32_grey(name):
    with Image.open(find_sample(name)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (32, 32))


@pytest.mark.parametrize("name", [*SHAPES, "scene"])
def test_shapes_and_scene_are_64x64_rgb(name):
    with Image.open(find_sample(name)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (64, 64))


@pytest.mark.parametrize("name", DIGITS)
def test_digits_are_a_bright_digit_on_black(name):
    grey = pixels(name)
    assert grey.max() > 200
    assert grey.mean() < 0.35 * grey.max()
    assert grey[0].max() < 30 and grey[-1].max() < 30 and grey[:, 0].max() < 30 and grey[:, -1].max() < 30


def test_every_digit_differs_from_every_other():
    for a, b in combinations(DIGITS, 2):
        difference = np.abs(pixels(a).astype(int) - pixels(b).astype(int))
        assert (difference > 64).sum() > 20, (a, b)


def test_the_samples_are_small():
    assert sum(find_sample(name).stat().st_size for name in sample_names()) < 60_000


def test_find_sample_gives_existing_files_in_the_assets():
    for name in sample_names():
        path = find_sample(name)
        assert path.is_file() and path.stem == name
        assert path.parent == assets_dir() / "samples"


def test_an_unknown_sample_suggests_the_closest_name():
    with pytest.raises(CnntuiError) as caught:
        find_sample("digit-7x")
    text = str(caught.value)
    assert "'digit-7x'" in text and "did you mean 'digit-7'" in text
    assert "scene" in text  # the known names are listed


def test_an_unknown_sample_with_no_close_name_lists_them_all():
    with pytest.raises(CnntuiError) as caught:
        find_sample("zebra")
    assert "did you mean" not in str(caught.value)
    assert ", ".join(sample_names()) in str(caught.value)


def test_the_script_remakes_the_shipped_files(tmp_path):
    """The same pixels, give or take what another FreeType or zlib build could change at glyph edges."""
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True)
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made == sorted(f"{name}.png" for name in sample_names())
    for name in made:
        with Image.open(tmp_path / name) as new, Image.open(assets_dir() / "samples" / name) as shipped:
            assert (new.mode, new.size) == (shipped.mode, shipped.size), name
            difference = np.abs(np.asarray(new, dtype=float) - np.asarray(shipped, dtype=float))
        assert difference.mean() < 1.0, name


def test_the_script_is_deterministic(tmp_path):
    for run in ("a", "b"):
        subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / run)], check=True, capture_output=True)
    for path in sorted((tmp_path / "a").glob("*.png")):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
