"""The MNIST-style preparation of a digit picture (cnntui/digit_input.py) and its use by the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from cnntui import cli
from cnntui.core import Network
from cnntui.digit_input import is_digit_network, prepare_digit
from cnntui.images import load_image

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def lenet5():
    net = Network.load("lenet5")
    net.load_weights(net.shipped_weights)
    return net


def dark_on_light_digit(path: Path, digit: str, size=(160, 120)) -> Path:
    """A digit in a font the training never used, black on white, small and off to one side."""
    if not DEJAVU_SANS.exists():
        pytest.skip(f"{DEJAVU_SANS} is missing")
    image = Image.new("RGB", size, (250, 248, 240))
    font = ImageFont.truetype(str(DEJAVU_SANS), 60)
    ImageDraw.Draw(image).text((12, 40), digit, fill=(30, 30, 30), font=font, stroke_width=2, stroke_fill=(30, 30, 30))
    image.save(path)
    return path


def test_is_digit_network(lenet5):
    assert is_digit_network(lenet5)
    assert not is_digit_network(Network.load("tinyvgg"))  # three channels, shapes


def test_light_background_is_inverted_and_the_digit_centred():
    grey = np.ones((100, 60), np.float32)
    grey[10:40, 5:15] = 0.0  # a dark bar in the top-left corner
    out, steps = prepare_digit(grey, 28)
    assert steps == ("inverted", "centred")
    assert out.shape == (28, 28) and out[0, 0] == 0 and out.max() > 0.9
    ys, xs = np.indices(out.shape)
    assert (ys * out).sum() / out.sum() == pytest.approx(13.5, abs=1)  # its centre of mass in the middle
    assert (xs * out).sum() / out.sum() == pytest.approx(13.5, abs=1)
    rows = np.nonzero(out.max(axis=1) > 0.3)[0]
    assert rows[-1] - rows[0] + 1 == pytest.approx(21 / 32 * 28, abs=1.5)  # the longer side fills the box


def test_faint_contrast_is_stretched_and_a_digit_in_place_kept():
    grey = np.full((32, 32), 0.2, np.float32)
    grey[5:27, 13:19] = 0.6  # grey on dark grey, already the training's size and place
    out, steps = prepare_digit(grey, 32)
    assert steps == ("stretched", "kept")
    assert out.min() == pytest.approx(0, abs=0.01) and out.max() == pytest.approx(1, abs=0.01)


def test_paper_noise_is_not_taken_for_ink():
    rng = np.random.default_rng(0)
    grey = np.clip(0.9 + rng.normal(0, 25 / 255, (150, 150)), 0, 1).astype(np.float32)  # grainy paper
    grey[20:80, 10:30] = 0.1  # a dark bar in the top-left part
    out, steps = prepare_digit(grey, 28)
    assert steps == ("inverted", "stretched", "centred")
    rows = np.nonzero(out.max(axis=1) > 0.5)[0]
    assert rows[-1] - rows[0] + 1 == pytest.approx(21 / 32 * 28, abs=1.5)  # the bar fills the box, not the noise
    ys, xs = np.indices(out.shape)
    assert (xs * out).sum() / out.sum() == pytest.approx(13.5, abs=1.5)


def test_a_drawn_digit_on_noisy_paper_is_read(tmp_path, lenet5):
    path = dark_on_light_digit(tmp_path / "four.png", "4")
    rng = np.random.default_rng(1)
    grain = rng.normal(0, 25, (120, 160, 1))
    Image.fromarray(np.clip(np.asarray(Image.open(path), np.float32) + grain, 0, 255).astype(np.uint8)).save(path)
    x, note = load_image(path, lenet5.input_shape, lenet5.name, digits=True)
    assert "centred" in note
    assert int(np.argmax(lenet5.forward(x)[-1])) == 4


def test_blank_picture_is_left_as_it_is():
    grey = np.full((40, 40), 0.9, np.float32)
    out, steps = prepare_digit(grey, 32)
    assert steps == ("empty",)
    assert np.allclose(out, 0.9)


def test_a_drawn_dark_on_light_digit_is_read_after_preparation(tmp_path, lenet5):
    path = dark_on_light_digit(tmp_path / "four.png", "4")
    x, note = load_image(path, lenet5.input_shape, lenet5.name, digits=True)
    assert "light background: inverted" in note
    assert int(np.argmax(lenet5.forward(x)[-1])) == 4


def test_forward_prepares_digits_unless_raw(tmp_path, capsys):
    path = dark_on_light_digit(tmp_path / "four.png", "4")
    assert cli.main(["forward", "lenet5", "--input", str(path), "--out", str(tmp_path / "a.npz")]) == 0
    said = capsys.readouterr().err
    assert "; light background: inverted; contrast stretched; cropped to the digit, scaled and centred" in said
    assert "(--raw gives the network the image only resized)" in said
    prepared = np.load(tmp_path / "a.npz")["input"]
    assert cli.main(["forward", "lenet5", "--input", str(path), "--out", str(tmp_path / "b.npz"), "--raw"]) == 0
    said = capsys.readouterr().err
    assert "inverted" not in said and "--raw" not in said
    raw = np.load(tmp_path / "b.npz")["input"]
    assert prepared[0, 0, 0] < 0.1 < 0.9 < raw[0, 0, 0]  # black background prepared, white raw


def test_render_prepares_a_digit_file_but_not_a_sample(tmp_path, capsys):
    path = dark_on_light_digit(tmp_path / "four.png", "4")
    assert cli.main(["render", "lenet5", "--input", str(path), "--layer", "input", "--colors", "none"]) == 0
    assert "light background: inverted" in capsys.readouterr().err
    assert cli.main(["render", "lenet5", "--input", str(path), "--layer", "input", "--colors", "none", "--raw"]) == 0
    assert "inverted" not in capsys.readouterr().err
    assert cli.main(["render", "lenet5", "--layer", "input", "--colors", "none"]) == 0
    said = capsys.readouterr().err  # the samples are drawn as the training digits are
    assert "sample digit-3" in said and "--raw" not in said and "digit already" not in said


async def test_view_switch_gives_the_image_raw_and_keeps_the_choice(tmp_path):
    from test_app import make_app, until

    from cnntui.tui.state import read_network

    path = dark_on_light_digit(tmp_path / "four.png", "4")
    app = make_app(tmp_path, mode="view", network=read_network("lenet5"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.drawn, "the first pass")
        screen.with_request(input=str(path))
        await until(pilot, lambda: screen.drawn and screen.result.request.input == str(path), "the digit read")

        def status() -> str:
            return str(screen.query_one("#view-status").content)

        assert "light background: inverted" in status() and screen.result.x[0, 0, 0] == 0
        assert int(np.argmax(screen.result.outputs[-1])) == 4
        await pilot.press("r")
        await until(pilot, lambda: screen.drawn and screen.result.request.raw, "the raw pass")
        assert "raw, only resized (r prepares it as a digit)" in status() and "inverted" not in status()
        assert screen.result.x[0, 0, 0] > 0.9  # the white paper as it is
        screen.select_layer(3)  # another layer: still raw
        await until(pilot, lambda: screen.shown_layer == 3, "layer 3")
        assert screen.raw_input and screen.result.request.raw
        await pilot.press("r")
        await until(pilot, lambda: screen.drawn and not screen.result.request.raw, "the prepared pass again")
        assert "inverted" in status()
