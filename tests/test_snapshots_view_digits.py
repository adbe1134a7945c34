"""Screenshots of View with LeNet-5 reading a digit drawn dark on light, prepared as MNIST's digits were.

After an intended change to the look, review the new pictures and accept them with
`pytest tests/test_snapshots_view_digits.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from test_app import until
from test_snapshots import app, fresh_settings, settled  # noqa: F401  (fresh_settings: the autouse fixture)

from cnntui.tui.state import read_network

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def pen_digit(folder: Path) -> Path:
    """A 7 drawn black on white paper, small and off-centre in a 120x90 picture."""
    if not DEJAVU_SANS.exists():
        pytest.skip(f"{DEJAVU_SANS} is missing")
    image = Image.new("L", (120, 90), 245)
    font = ImageFont.truetype(str(DEJAVU_SANS), 50)
    ImageDraw.Draw(image).text((10, 25), "7", fill=20, font=font, stroke_width=2, stroke_fill=20)
    path = folder / "pen-7.png"
    image.save(path)
    return path


def showing(path: Path, raw: bool = False):
    """A run_before that opens ``path`` as View's input (raw or prepared) on the input's row."""
    async def run_before(pilot) -> None:
        await settled(pilot)
        screen = pilot.app.screen
        if raw:
            await pilot.press("r")
        screen.with_request(input=str(path))
        await until(pilot, lambda: screen.drawn and screen.result.request.input == str(path)
                    and screen.result.request.raw == raw, "the digit drawn")
        screen.select_layer(-1)
        await until(pilot, lambda: screen.shown_layer == -1, "the input's row")
        await pilot.pause()

    return run_before


def test_prepared_pen_digit(snap_compare, tmp_path):
    """The picture inverted, cropped and centred; the status line says so; the prediction reads 7."""
    view = app("view", network=read_network("lenet5"))
    assert snap_compare(view, terminal_size=(80, 24), run_before=showing(pen_digit(tmp_path)))


def test_prepared_pen_digit_in_chinese(snap_compare, tmp_path):
    view = app("view", "zh", network=read_network("lenet5"))
    assert snap_compare(view, terminal_size=(120, 40), run_before=showing(pen_digit(tmp_path)))
