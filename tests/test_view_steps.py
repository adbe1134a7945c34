"""View's step-through for the modern operations, on small hand-made networks: batch norm, a residual sum,
a depthwise and a grouped convolution, a concatenation, and padding windows. Each worked value printed
must be the engine's own output value."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from cnntui.content import text
from cnntui.core import Network
from cnntui.render.panels import number, positions
from cnntui.render.picture import picture_text
from cnntui.tui.view_panels import InputNote, Look, Panels, Result


def run(layers: list, input_shape: list, weights: dict | None = None, seed: int = 0) -> Result:
    """A network run on a seeded random input, with ``weights`` put over its seeded ones."""
    net = Network.from_dict({"name": "steps", "input": input_shape, "layers": layers})
    net.init_weights(seed)
    arrays = dict(net.weights)
    arrays.update({key: np.asarray(value, dtype=arrays[key].dtype) for key, value in (weights or {}).items()})
    net.set_weights(arrays)
    x = np.random.default_rng(seed).standard_normal(input_shape).astype(np.float32)
    return Result(None, net, x, net.forward(x), InputNote("random", "x".join(map(str, input_shape))), "seeded", 1)


def step_text(result: Result, layer: int, channel: int, cursor: tuple[int, int], in_channel: int = 0,
              language: str = "en", width: int = 200) -> str:
    """The step-through as text, wide enough that no sentence wraps."""
    look = Look(layer, channel, cursor, in_channel, "step", "auto", None, "truecolor", False)
    rows, _, _ = Panels(result, look, partial(text, language)).rows(width, 20)
    return picture_text(rows)


def shown(value) -> str:
    return number(float(value)).strip()


def line_starting(body: str, start: str) -> str:
    return next(line for line in body.split("\n") if line.strip().startswith(start))


# -- batch norm ------------------------------------------------------------------------------------

BN_WEIGHTS = {"0.running_mean": [0.5, -1.0], "0.running_var": [4.0, 0.25], "0.weight": [2.0, 0.5],
              "0.bias": [0.1, -0.3]}


def test_batch_norm_puts_the_running_statistics_gamma_and_beta_into_the_formula():
    result = run([{"type": "batchnorm2d"}], [2, 4, 4], BN_WEIGHTS)
    result.x[1, 2, 3] = 1.5
    result.outputs[:] = result.net.forward(result.x)
    body = step_text(result, 0, 1, (2, 3))
    by_hand = (1.5 - -1.0) / np.sqrt(0.25 + 1e-5) * 0.5 + -0.3
    out = float(result.outputs[0][1, 2, 3])
    assert out == pytest.approx(by_hand, rel=1e-6)
    assert "x = 1.50: the input at row 2, column 3, from input" in body
    assert "mean = -1.00, var = 0.25: channel 1's running mean and variance; eps = 0.00001" in body
    assert "gamma = 0.50, beta = -0.30" in body
    assert "= (1.50 - (-1.00)) / sqrt(0.25 + 0.00001) * 0.50 + (-0.30)" in body
    assert "= 2.50 / 0.50 * 0.50 + (-0.30)" in body and "= 5.00 * 0.50 + (-0.30)" in body
    assert line_starting(body, "= 2.20").strip() == f"= {shown(out)}"
    assert "rounded" not in body  # every step redone with the shown numbers gives the same digits


def test_batch_norm_without_affine_or_running_statistics_says_what_it_uses_instead():
    result = run([{"type": "batchnorm2d", "affine": False, "track_running_stats": False}], [2, 4, 4])
    body = step_text(result, 0, 0, (1, 1))
    channel = result.x[0].astype(np.float64)
    mean, var = channel.mean(), channel.var()  # the biased variance, as PyTorch normalises by
    out = float(result.outputs[0][0, 1, 1])
    assert out == pytest.approx((channel[1, 1] - mean) / np.sqrt(var + 1e-5), rel=1e-5)
    assert "track_running_stats off" in body and "own mean and variance, over its 16 values" in body
    assert f"mean = {shown(mean)}, var = {shown(var)}: the mean and variance of channel 0's 16 values" in body
    assert "No gamma or beta (affine off)" in body and "gamma =" not in body
    assert line_starting(body, f"= {shown(out)}")


def test_an_activation_after_batch_norm_shows_the_batch_norm_and_one_after_a_conv_the_conv():
    conv = {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1}
    result = run([conv, {"type": "batchnorm2d"}, {"type": "relu"}, conv, {"type": "relu"}], [1, 5, 5],
                 {"1.running_mean": [0.2, -0.1], "1.running_var": [0.5, 2.0]})
    assert [result.step_layer(i) for i in range(5)] == [0, 1, 1, 3, 3]
    assert result.kernel_target(2) is None and result.step_source_channels(2) == 0
    assert result.kernel_target(4) == 3 and result.step_source_channels(4) == 2
    body = step_text(result, 2, 1, (2, 2))
    bn_value, relu_value = result.outputs[1][1, 2, 2], result.outputs[2][1, 2, 2]
    assert "Batch norm in eval mode" in body and "from conv2d:0" in body
    assert f"then relu({shown(bn_value)}) = {shown(relu_value)}, the value in this layer" in body
    assert "The next layer, relu:2, applies its activation" in step_text(result, 1, 1, (2, 2))
    assert "The next layer" not in step_text(result, 0, 1, (2, 2))  # the conv's next is batch norm


# -- the residual sum ----------------------------------------------------------------------------------

RESIDUAL = {"type": "residual", "name": "block", "activation": "relu",
            "body": [{"type": "conv2d", "name": "conv", "out_channels": 2, "kernel_size": 3, "padding": 1}]}


def test_a_residual_sum_adds_the_body_and_the_identity_shortcut_then_its_activation():
    result = run([{"type": "conv2d", "name": "stem", "out_channels": 2, "kernel_size": 1}, RESIDUAL], [1, 4, 4])
    body_out, block_in, out = result.outputs[1], result.outputs[0], result.outputs[2]
    for channel, cursor in ((0, (1, 2)), (1, (3, 0))):
        row, col = cursor
        body_value, shortcut_value = float(body_out[channel, row, col]), float(block_in[channel, row, col])
        value = float(out[channel, row, col])
        assert value == pytest.approx(max(body_value + shortcut_value, 0.0), rel=1e-6, abs=1e-7)
        shown_body = step_text(result, 2, channel, cursor)
        assert "Residual sum of block block" in shown_body
        assert f"body = {shown(body_value)}, from conv2d:block.conv (the body's last step)" in shown_body
        assert f"shortcut = {shown(shortcut_value)}: the identity, so this is the block's own input" in shown_body
        assert "(from conv2d:stem)" in shown_body
        total = shown(body_value + shortcut_value)
        assert f"= {total}\n" in shown_body
        assert f"then relu({total}) = {shown(value)}" in shown_body


def test_a_residual_sum_with_a_shortcut_layer_names_it_and_says_when_rounding_shows():
    block = {**RESIDUAL, "activation": None,
             "shortcut": {"type": "conv2d", "name": "down", "out_channels": 2, "kernel_size": 1}}
    result = run([block], [1, 4, 4], {"block.conv.weight": np.zeros((2, 1, 3, 3)), "block.conv.bias": [0.004, 0.0],
                                      "block.down.weight": np.zeros((2, 1, 1, 1)), "block.down.bias": [0.004, 1.0]})
    body = step_text(result, 2, 0, (0, 0))
    assert "shortcut = 0.00, from conv2d:block.down (the shortcut's last step)" in body
    assert "y = body + shortcut = 0.00 + 0.00 = 0.01" in body  # 0.004 + 0.004 = 0.008
    assert "Rounded to two decimals" in body
    assert "Rounded" not in step_text(result, 2, 1, (0, 0))  # 0.00 + 1.00 = 1.00


# -- depthwise and grouped convolutions -------------------------------------------------------------------

def test_a_depthwise_filter_reads_only_its_own_input_channel():
    result = run([{"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1, "groups": 3}], [3, 5, 5])
    assert result.step_source_channels(0) == 0  # nothing for { and } to choose
    body = step_text(result, 0, 2, (2, 2))
    assert "Depthwise convolution (groups = 3, one per input channel): filter 2 reads only input channel 2." in body
    assert "input, channel 2: the window" in body and "sum over all" not in body
    bias = result.net.weights["0.bias"][2]
    assert f"+ bias {shown(bias)} = {shown(result.outputs[0][2, 2, 2])}" in body


def test_a_grouped_filter_reads_its_groups_channels_and_curly_brackets_choose_among_them():
    result = run([{"type": "conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1, "groups": 2}], [4, 5, 5])
    assert result.step_source_channels(0) == 2
    body = step_text(result, 0, 4, (1, 3), in_channel=1)
    assert "Grouped convolution (2 groups): filter 4 is in group 1 and reads only input channels 2..3, 2 of 4." in body
    assert "Shown: input channel 3 (1 of its group's 2)" in body and "input, channel 3: the window" in body
    assert "sum over all 2 input channels" in body
    assert f"+ bias {shown(result.net.weights['0.bias'][4])} = {shown(result.outputs[0][4, 1, 3])}" in body


# -- concatenation ----------------------------------------------------------------------------------------

CONCAT = {"type": "concat", "name": "cat", "branches": [
    {"type": "sequential", "layers": []},
    {"type": "conv2d", "name": "wide", "out_channels": 3, "kernel_size": 1},
    {"type": "sequential", "name": "deep", "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 1},
                                                      {"type": "relu"}]}]}


def test_a_concatenation_says_which_channels_came_from_which_branch():
    result = run([CONCAT], [2, 4, 4])
    join = len(result.outputs) - 1
    out = result.outputs[join]
    body = step_text(result, join, 6, (3, 1))
    assert "Concatenation cat: the branches' channels one after another, 7 in all:" in body
    assert "channels 0..1: branch 0 (the block's input, from input)" in body
    assert "channels 2..4: branch 1 (cat.wide)" in body
    assert "channels 5..6: branch 2 (cat.deep)" in body
    branch_value = result.outputs[join - 1][1, 3, 1]
    assert float(branch_value) == float(out[6, 3, 1])
    assert f"Channel 6 is channel 1 of branch 2: {shown(branch_value)} there, {shown(out[6, 3, 1])} here" in body
    assert "branch 2, channel 1" in body  # the map it was copied from
    first = step_text(result, join, 1, (0, 0))
    assert f"Channel 1 is channel 1 of branch 0: {shown(result.x[1, 0, 0])} there" in first


def test_the_modern_step_throughs_speak_chinese():
    result = run([CONCAT, {"type": "batchnorm2d"},
                  {"type": "residual", "body": [{"type": "relu"}]}], [2, 4, 4])
    concat, bn, join = 3, 4, 6
    assert "拼接 cat" in step_text(result, concat, 3, (0, 0), language="zh")
    assert "评估模式下的批归一化" in step_text(result, bn, 3, (0, 0), language="zh")
    assert "捷径 shortcut" in step_text(result, join, 3, (0, 0), language="zh")


# -- padding windows ----------------------------------------------------------------------------------------

def test_a_window_over_the_padding_shows_its_rows_as_a_range_and_names_the_padding():
    assert positions(np.array([-1, 0, 1])) == "-1..1" and positions(np.array([0, 2, 4])) == "0, 2, 4"
    conv = {"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1}
    result = run([conv, {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}], [1, 4, 4])
    corner = step_text(result, 0, 0, (0, 3))
    assert "window: rows -1..1," in corner and "columns 2..4" in corner
    assert "Padding (outside the map): row -1 and column 4; those cells show 0." in corner
    assert "Padding" not in step_text(result, 0, 0, (1, 2))
    pool = step_text(result, 1, 0, (3, 1))
    assert "Padding (outside the map): row 4; those cells show -inf." in pool
    assert "第 -1..1 行" in step_text(result, 0, 0, (0, 0), language="zh")


# -- in the app --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "language", "ascii_only"), [((80, 24), "en", True), ((120, 40), "zh", False)])
async def test_minires_batch_norm_and_residual_join_step_through_in_the_app(tmp_path, size, language, ascii_only):
    from test_ascii import foreign, screen_text
    from test_view import key_bar, ready, shown_text, until, view_app

    from cnntui.render.picture import row_width

    app = view_app(tmp_path, network="minires", language=language, ascii_only=ascii_only)
    words = {"en": ("Batch norm in eval mode", "Residual sum of block layer2.0"),
             "zh": ("评估模式下的批归一化", "残差块 layer2.0 的相加")}[language]
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        picture = screen.query_one("#view-picture")
        net = screen.result.net
        steps = {record.path: record.index for record in net.summary() if not record.is_join}
        bn, relu, join = steps["bn1"], steps["relu"], len(net.layers) - 4  # layer2.0's join, before the head
        assert net.summary()[join].type == "residual"
        for step, channel, expect in ((bn, 5, words[0]), (relu, 5, words[0]), (join, 7, words[1])):
            screen.select_layer(step)
            screen.action_panel("step")
            await until(pilot, lambda: screen.shown_layer == step and screen.panel == "step", f"step {step} shown")
            screen.go(channel=channel, cursor=(0, 0))
            await pilot.press("down", "down", "right")  # the cursor, moved by keys as a student does
            await until(pilot, lambda: screen.cursor == (2, 1) and expect in shown_text(screen), f"step {step}")
            text = shown_text(screen)
            value = screen.result.outputs[step][channel, 2, 1]
            assert f"= {shown(value)}" in text, text
            assert max(row_width(row) for row in picture.rows) <= picture.size.width  # no line cut off
            assert (len(picture.rows) > picture.size.height) == ("PgUp/PgDn" in key_bar(app))
            assert not (ascii_only and foreign(screen_text(app))), screen_text(app)
        assert "batchnorm2d:layer2.0.downsample.1" in text  # the shortcut's last step
        body, shortcut = (screen.result.outputs[source][7, 2, 1] for source in net.summary()[join].sources)
        assert float(value) == pytest.approx(max(float(body) + float(shortcut), 0.0), abs=1e-6)
        assert f"{shown(body)} + {shown(shortcut) if shortcut >= 0 else f'({shown(shortcut)})'}" in text
