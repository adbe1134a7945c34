"""View mode, driven by keys: layers, channels, the cursor, the step-through, weights, inputs and export."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from test_app import make_app

from cnntui.core import Network
from cnntui.core.assets import find_sample
from cnntui.core.kernels import classic_kernel
from cnntui.images import load_image
from cnntui.render.panels import number
from cnntui.render.picture import picture_text
from cnntui.tui.screens.dialogs import ChoiceDialog, PromptDialog
from cnntui.tui.screens.view import ViewScreen
from cnntui.tui.state import read_network


async def ready(pilot) -> ViewScreen:
    """Wait for the forward pass and the first picture."""
    for _ in range(200):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if isinstance(screen, ViewScreen) and screen.drawn:
            await pilot.pause(0.1)
            return screen
    raise AssertionError("View never finished its forward pass")


def shown_text(screen: ViewScreen) -> str:
    return picture_text(screen.query_one("#view-picture").rows)


def title(screen: ViewScreen) -> str:
    return str(screen.query_one("#view-title").content)


def view_app(tmp_path, network: str = "lenet5", **options):
    return make_app(tmp_path, mode="view", network=read_network(network), **options)


def expected_outputs(network: str = "lenet5", seed: int | None = None, sample: str = "digit-3"):
    """The same forward pass, done here without the app: with the preset's trained
    weights as View starts (seed 0 if it ships none), or seeded random ones."""
    net = Network.load(network)
    if seed is None and net.shipped_weights is not None:
        net.load_weights(net.shipped_weights)
    else:
        net.init_weights(seed or 0)
    x, _ = load_image(find_sample(sample), net.input_shape)
    return net, x, net.forward(x)


async def test_view_opens_on_the_first_conv_layer_with_every_channel(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert screen.shown_layer == 0 and screen.panel == "grid"
        assert "conv2d:0 6x28x28" in title(screen)
        labels = shown_text(screen).split("\n")
        assert all(str(c) in " ".join(labels) for c in range(6))
        _, _, outputs = expected_outputs()
        for got, want in zip(screen.result.outputs, outputs):
            np.testing.assert_array_equal(got, want)
        assert "trained" in str(screen.query_one("#view-status").content)


async def test_arrows_pick_layers_and_channels(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("down", "down")
        assert screen.shown_layer == 2 and "avgpool2d:2 6x14x14" in title(screen)
        await pilot.press("up", "up", "up")
        assert screen.shown_layer == -1 and "input 1x32x32" in title(screen)
        await pilot.press("down", "enter")  # into the picture
        await pilot.press("right", "right")
        assert screen.channel == 2 and "channel 2 of 6" in title(screen)
        await pilot.press("right_square_bracket")
        assert screen.channel == 3
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket",
                          "left_square_bracket")
        assert screen.channel == 5  # wraps around


async def test_the_cursor_moves_over_one_channel_and_reads_its_value(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("enter", "right", "enter")  # picture, channel 1, open it
        assert screen.panel == "map" and screen.channel == 1
        await pilot.press(*["down"] * 12, *["right"] * 9)
        assert screen.cursor == (12, 9)
        _, _, outputs = expected_outputs()
        value = outputs[0][1, 12, 9]
        assert f"row 12, column 9: {number(float(value)).strip()}" in shown_text(screen)
        await pilot.press(*["left"] * 20)
        assert screen.cursor == (12, 0)  # stops at the edge
        await pilot.press("escape")
        assert screen.panel == "grid"


@pytest.mark.parametrize(("layer", "position"), [(0, (5, 7)), (1, (9, 4)), (2, (6, 6)), (3, (4, 5))])
async def test_the_step_through_ends_at_the_forward_passs_value(tmp_path, layer, position):
    app = view_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.select_layer(layer)
        await pilot.pause()
        await pilot.press("enter", "right", "s")  # channel 1
        row, col = position
        await pilot.press(*["down"] * row, *["right"] * col)
        assert screen.panel == "step" and screen.cursor == position
        net, _, outputs = expected_outputs()
        text = shown_text(screen)
        value = number(float(outputs[layer][1, row, col])).strip()
        if layer == 0:  # conv: the sum plus bias is the value
            assert f"+ bias {number(float(net.weights['0.bias'][1])).strip()} = {value}" in text
        elif layer == 1:  # relu after conv: the conv's value, then relu
            pre = number(float(outputs[0][1, row, col])).strip()
            assert f"relu({pre}) = {value}" in text
        elif layer == 2:  # average pooling of 2x2
            assert f"/ 4 values = {value}" in text
        else:  # a conv over six input channels lists them
            assert "sum over all 6 input channels" in text and f"= {value}" in text


async def test_the_step_through_of_a_conv_shows_other_input_channels(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.select_layer(3)
        await pilot.pause()
        await pilot.press("enter", "s", "right_curly_bracket", "right_curly_bracket")
        assert screen.in_channel == 2
        assert "input channel 2 = " in shown_text(screen)


async def test_compare_shows_each_activation_and_both_poolings(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("enter", "a")
        text = shown_text(screen)
        for word in ("before", "relu", "sigmoid", "tanh", "avgpool2d 2x2", "maxpool2d 2x2"):
            assert word in text
        _, _, outputs = expected_outputs()
        pre = outputs[0][0]
        assert f"{number(float(np.tanh(pre).min())).strip()}..{number(float(np.tanh(pre).max())).strip()}" in text


async def test_new_seed_and_a_classic_kernel_change_the_maps(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        before = screen.result.outputs[0].copy()
        await pilot.press("w")
        assert isinstance(app.screen, ChoiceDialog)
        assert [key for key, _ in app.screen.choices][:4] == ["shipped", "seeded", "reseed", "file"]
        await pilot.press("down", "down", "enter")  # after trained and seed 0: new random weights
        screen = await ready(pilot)
        assert screen.result.request.seed == 1 and "seed 1" in str(screen.query_one("#view-status").content)
        assert not np.allclose(screen.result.outputs[0], before)

        await pilot.press("enter", "right", "right")  # channel 2 of conv 0
        await pilot.press("w", "down", "down", "down", "down", "enter")  # a classic kernel...
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("down", "down", "down", "enter")  # ...sobel_x
        screen = await ready(pilot)
        weight = screen.result.net.weights["0.weight"][2, 0]
        np.testing.assert_array_equal(weight, np.pad(classic_kernel("sobel_x"), 1))
        x = screen.result.x[0]
        # A 3x3 Sobel centred in the 5x5 filter: output (r, c) is the Sobel at input (r+2, c+2).
        sobel = classic_kernel("sobel_x")
        want = sum(sobel[i, j] * x[3 + i - 1 + 0, 7 + j - 1 + 0] for i in range(3) for j in range(3))
        assert screen.result.outputs[0][2, 1, 5] == pytest.approx(want, abs=1e-5)


async def test_a_bad_image_is_reported_and_the_maps_stay(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        before = screen.result
        await pilot.press("i")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("end", "enter")  # "An image file..."
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*str(bad), "enter")
        await pilot.pause(0.5)
        assert any("notes.png" in n.message for n in app._notifications)
        assert screen.result is before and screen.result.request.input == "digit-3"


async def test_an_image_file_is_converted_to_the_networks_input(tmp_path):
    picture = tmp_path / "photo.jpg"
    Image.new("RGB", (50, 40), (200, 30, 30)).save(picture)
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("i", "end", "enter", *str(picture), "enter")
        screen = await ready(pilot)
        assert screen.result.request.input == str(picture)
        assert screen.result.x.shape == (1, 32, 32)
        assert "photo.jpg: 50x40 RGB -> grey 1x32x32" in str(screen.query_one("#view-status").content)


async def test_a_network_too_big_for_memory_says_so(tmp_path):
    app = view_app(tmp_path, network="vgg16")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert screen.result is None
        assert "138,357,544 parameters" in shown_text(screen).replace("\n", " ")
        await pilot.press("s", "a", "w", "right_square_bracket", "e")  # nothing to act on: no crash
        assert app.screen is screen


async def test_a_network_with_problems_points_to_build(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        from cnntui.tui.state import CurrentNetwork

        app.network = CurrentNetwork("broken", {"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 2,
                                                                                "kernel_size": 7}]}, "")
        screen = await ready(pilot)
        assert screen.result is None
        assert "layer 0 conv2d" in shown_text(screen)
        assert "Build" in str(screen.query_one("#view-status").content)


async def test_export_writes_a_png_of_the_grid_and_of_one_channel(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        grid = tmp_path / "grid.png"
        await pilot.press("e")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one("Input").value = str(grid)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert grid.is_file() and any("grid.png" in n.message for n in app._notifications)
        one = tmp_path / "one.png"
        await pilot.press("enter", "enter", "e")
        app.screen.query_one("Input").value = str(one)
        await pilot.press("enter")
        await pilot.pause(0.3)
        with Image.open(one) as image:
            assert image.width % 28 == 0 and image.height % 28 == 0


async def test_export_to_an_unwritable_place_is_reported(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("e")
        app.screen.query_one("Input").value = str(tmp_path / "missing-dir" / "x.png")
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert any("missing-dir" in n.message for n in app._notifications)


async def test_a_try_it_link_opens_the_layer_it_names(tmp_path):
    app = make_app(tmp_path, mode="learn")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        app.try_it({"mode": "view", "preset": "tinyvgg", "layer": 4})
        screen = await ready(pilot)
        assert app.network.name == "tinyvgg"
        assert screen.shown_layer == 4 and "maxpool2d:4" in title(screen)


async def test_view_speaks_chinese(tmp_path):
    app = view_app(tmp_path, language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert "通道 0/6" in title(screen)
        await pilot.press("l")
        await pilot.pause(0.2)
        assert "channel 0 of 6" in title(screen)


@pytest.mark.parametrize("colors", ["256", "16", "none"])
async def test_every_colour_mode_draws_the_maps(tmp_path, colors):
    app = view_app(tmp_path, colors=colors)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        text = shown_text(screen)
        if colors == "none":
            assert "▀" not in text and set("@%#") & set(text)  # the character ramp
        else:
            assert "▀" in text


async def test_edits_elsewhere_are_caught_up_when_view_is_shown_again(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        serial = screen.serial
        await pilot.press("2")
        await pilot.pause(0.3)
        app.load_network("tinyvgg")
        await pilot.pause(0.3)
        assert screen.serial == serial  # no forward pass while View is hidden
        await pilot.press("3")
        screen = await ready(pilot)
        assert screen.serial == serial + 1 and screen.result.net.name == "tinyvgg"
        assert screen.result.x.shape == (3, 64, 64) and "scene" in str(screen.query_one("#view-status").content)


async def test_a_colour_input_is_shown_in_colour_above_its_channels(tmp_path):
    app = view_app(tmp_path, network="tinyvgg", colors="truecolor")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.select_layer(-1)
        await pilot.pause(0.2)
        rows = screen.query_one("#view-picture").rows
        assert "In colour" in picture_text(rows[:1])
        # The scene's sky is blue at the top left: the first pixel's colour is the image's own.
        red, green, blue = (np.rint(screen.result.x[:, 0, 0] * 255)).astype(int)
        code = rows[1][0].upper[0]
        assert (code >> 16 & 255, code >> 8 & 255, code & 255) == (red, green, blue)
        assert "0" in picture_text(rows) and len(rows) > 10


async def test_weights_from_a_file_are_used_and_a_bad_file_is_reported(tmp_path):
    trained = Network.load("lenet5")
    trained.init_weights(7)
    trained.save_weights(tmp_path / "mine.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("w", "down", "down", "down", "enter")  # after trained, seed 0, new seed: from a file...
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one("Input").value = str(tmp_path / "mine.npz")
        await pilot.press("enter")
        screen = await ready(pilot)
        assert "mine.npz" in str(screen.query_one("#view-status").content)
        x, _ = load_image(find_sample("digit-3"), trained.input_shape)
        np.testing.assert_array_equal(screen.result.outputs[-1], trained.forward(x)[-1])
        before = screen.result
        await pilot.press("w", "down", "down", "down", "enter")
        app.screen.query_one("Input").value = str(tmp_path / "broken.npz")
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert any("broken.npz" in n.message for n in app._notifications)
        assert screen.result is before
