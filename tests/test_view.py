"""View mode, driven by keys: layers, channels, the cursor, the step-through, weights, inputs and export."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from PIL import Image
from test_app import make_app
from test_app import until as app_until

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


# -- every panel fits or scrolls, in one number style and the app's language ------------------

until = partial(app_until, timeout=2.0)  # every panel here is drawn from maps already computed


def visible_strips(screen: ViewScreen) -> list:
    """The picture's lines as drawn now, after scrolling."""
    picture = screen.query_one("#view-picture")
    return [picture.render_line(y) for y in range(picture.size.height)]


def visible_text(screen: ViewScreen) -> str:
    return "\n".join(strip.text for strip in visible_strips(screen))


def outlined_columns(strip) -> list[int]:
    """The columns of a drawn line in the outline's colour (magenta, for the window and the cursor)."""
    from rich.color import Color

    mark = Color.from_rgb(255, 0, 255)
    columns, x = [], 0
    for segment in strip:
        if segment.style is not None and mark in (segment.style.color, segment.style.bgcolor):
            columns += range(x, x + segment.cell_length)
        x += segment.cell_length
    return columns


def key_bar(app) -> str:
    from test_app import bar_text

    from cnntui.tui.widgets.chrome import KeyBar

    return bar_text(app, KeyBar)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_step_through_scrolls_down_to_the_outlined_input_map(tmp_path, size):
    app = view_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        await pilot.press("enter", "s", *["down"] * 6, *["right"] * 6)
        assert screen.panel == "step" and screen.cursor == (6, 6)
        picture = screen.query_one("#view-picture")
        assert picture.max_scroll_y > 0 and key_bar(app).index("PgUp/PgDn Scroll") < 5  # named first
        half = picture.size.width // 2

        def input_outline_rows() -> int:
            """Lines showing the window's ring on the input map (the left one of the two)."""
            return sum(1 for strip in visible_strips(screen) if [x for x in outlined_columns(strip) if x < half])

        assert input_outline_rows() == 0  # below the fold at first
        await pilot.press("pagedown")
        await until(pilot, lambda: picture.scroll_offset.y > 0, "PageDown scrolls")
        await pilot.press("end")
        await until(pilot, lambda: picture.scroll_offset.y == picture.max_scroll_y, "End reaches the end")
        # Window rows 6-10 with the ring on rows 5 and 11: about four lines of half blocks.
        assert input_outline_rows() >= 3
        assert "input, channel 0: the window" in visible_text(screen)
        await pilot.press("home")
        await until(pilot, lambda: picture.scroll_offset.y == 0, "Home goes back up")
        await pilot.press("pageup")  # at the top already: nothing happens, nothing breaks
        assert picture.scroll_offset.y == 0 and screen.panel == "step"


async def test_every_kernel_row_of_the_map_panel_can_be_reached(tmp_path):
    app = view_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("enter", "right", "enter")  # channel 1 of conv2d:0, large
        assert screen.panel == "map"
        kernel = screen.result.net.weights["0.weight"][1, 0]
        lines = ["".join(" " + number(float(v), 5) for v in row) for row in kernel]
        picture = screen.query_one("#view-picture")
        if picture.max_scroll_y:
            assert "PgUp/PgDn" in key_bar(app)
            await pilot.press("end")
            await until(pilot, lambda: picture.scroll_offset.y == picture.max_scroll_y, "End reaches the end")
        text = visible_text(screen)
        assert all(line in text for line in lines), text
        await pilot.press("down")  # the cursor moves: the view scrolls back up to it
        await until(pilot, lambda: picture.scroll_offset.y == 0, "the cursor's row scrolls into view")


async def test_the_grid_scrolls_to_the_channel_chosen(tmp_path):
    app = view_app(tmp_path, network="tinyvgg")  # 3 input channels under the colour picture
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await ready(pilot)
        screen.select_layer(-1)
        await pilot.pause()
        await pilot.press("enter")
        picture = screen.query_one("#view-picture")
        assert "2" not in visible_text(screen).split()  # channel 2 is below the fold
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.channel == 2
        await until(pilot, lambda: "2" in visible_text(screen).split(), "channel 2's label scrolls into view")
        assert picture.scroll_offset.y > 0


LENET_LAYERS = [-1, 0, 1, 2, 3, 6, 7, 12]  # the input, conv, relu, pool, a conv over 6 channels, flatten, linear


@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((60, 20), "zh")])
async def test_every_panel_fits_or_scrolls_with_named_keys(tmp_path, size, language):
    from cnntui.render.picture import row_width

    app = view_app(tmp_path, language=language)
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        picture = screen.query_one("#view-picture")
        for layer in LENET_LAYERS:
            screen.select_layer(layer)
            for panel in ("grid", "map", "step", "compare"):
                screen.action_panel(panel)
                await pilot.pause()
                where = f"layer {layer}, {panel}"
                assert max(row_width(row) for row in picture.rows) <= picture.size.width, where  # no line cut off
                scrolls = len(picture.rows) > picture.size.height
                assert scrolls == ("PgUp/PgDn" in key_bar(app)), where
                if scrolls:
                    await pilot.press("end")
                    await until(pilot, lambda: picture.scroll_offset.y + picture.size.height >= len(picture.rows),
                                f"the end of {where}")
            screen.action_panel("grid")


EXPONENT = r"\d[eE][-+]?\d"


@pytest.mark.parametrize("panel", ["grid", "map", "step", "compare"])
async def test_numbers_print_in_one_style(tmp_path, panel):
    import re

    app = view_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        for layer in (0, 1, 2, 3, 4, 5, 6, 7, 12):
            screen.select_layer(layer)
            screen.action_panel(panel)
            for cursor in ((0, 0), (2, 3)):  # the corner reads padding and zeros; inside, real sums
                screen.go(cursor=cursor)
                await pilot.pause()
                text = shown_text(screen)
                assert not re.search(EXPONENT, text) and "-0.00" not in text, (layer, cursor, text)


def test_number_rounds_tiny_values_to_zero_and_never_uses_an_exponent():
    assert [number(v).strip() for v in (-4e-9, 4e-9, -0.0, -0.004, 0.006, -1.234)] == \
        ["0.00", "0.00", "0.00", "0.00", "0.01", "-1.23"]
    assert number(123456.7) == "123457" and number(-12.345, 5) == "  -12"


async def test_the_status_line_speaks_chinese(tmp_path):
    picture = tmp_path / "照片.jpg"
    Image.new("RGB", (50, 40), (200, 30, 30)).save(picture)
    app = view_app(tmp_path, language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)

        def status() -> str:
            return str(screen.query_one("#view-status").content)

        assert status() == "权重：已训练 | digit-3.png：32x32 L -> 灰度 1x32x32"
        screen.with_request(input=str(picture), weights="seeded", seed=3, kernels=((0, 2, "sobel_x"),))
        screen = await ready(pilot)
        # one colour all over: no digit for the digit preparation to find
        assert status() == ("权重：随机种子 3，sobel_x 位于 0/2 | 照片.jpg：50x40 RGB -> 灰度 1x32x32；"
                            "没有找到数字，只做了缩放")
        await pilot.press("l")
        await until(pilot, lambda: "seed 3, sobel_x in 0/2 | 照片.jpg: 50x40 RGB -> grey" in status(),
                    "the status line in English")


async def test_an_array_input_and_a_file_name_with_brackets_show_as_they_are(tmp_path):
    array = tmp_path / "[bold]x.npy"
    np.save(array, np.zeros((1, 32, 32), dtype=np.float64))
    app = view_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.with_request(input=str(array))
        screen = await ready(pilot)
        status = screen.query_one("#view-status")
        assert str(status.content).endswith("| [bold]x.npy: array 1x32x32 float64, used as it is")
        assert "[bold]x.npy" in str(status.render())
