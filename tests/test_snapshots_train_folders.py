"""Snapshots of Train mode with a folder of images chosen: the preview of a few images of each class,
at 80x24 and 120x40 (and in Chinese), from a folder made here with fixed pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from test_snapshots import app, settled
from test_train_folders import lenet5_ending_in

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """Three classes of bright blobs on dark noise (one colour a class) and a file that is no image."""
    folder = tmp_path_factory.mktemp("snap") / "pets"
    rng = np.random.default_rng(0)
    for index, name in enumerate(["cat", "dog", "fish"]):
        (folder / name).mkdir(parents=True)
        for number in range(8):
            pixels = rng.integers(0, 60, (16, 16, 3)).astype(np.uint8)
            top, left = rng.integers(2, 8, 2)
            pixels[top:top + 7, left:left + 7, index] = 230
            Image.fromarray(pixels).save(folder / name / f"{number}.png")
    (folder / "dog" / "notes.txt").write_text("not an image")
    return folder


def choosing(folder):
    """A run_before that chooses ``folder`` as the dataset and waits until its preview is drawn."""
    from test_app import until

    async def choose(pilot):
        await settled(pilot)
        screen = pilot.app.screen
        screen.take_folder(str(folder))
        await pilot.app.workers.wait_for_complete()
        picture = screen.query_one("#train-picture")
        await until(pilot, lambda: picture.key is not None and picture.key[-1] == id(screen.folder_preview)
                    and screen.folder_preview is not None, "the folder's preview")
        await pilot.pause()

    return choose


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_folder_preview(snap_compare, pets, size):
    assert snap_compare(app("train", network=lenet5_ending_in(3)), terminal_size=size, run_before=choosing(pets))


def test_train_folder_preview_chinese(snap_compare, pets):
    assert snap_compare(app("train", "zh", network=lenet5_ending_in(3)), terminal_size=(120, 40),
                        run_before=choosing(pets))
