"""The app with block networks (#16): Build's rows and side panel for blocks and named layers, duplicating a
named entry, View's and Train's conv-and-activation pairing through a concat, the saturating activations."""

from __future__ import annotations

import json

import numpy as np

from cnntui.content import text
from cnntui.core import Network, analyze
from cnntui.core.assets import find_network
from cnntui.tui.screens.build_text import duplicate_of, side_text, table_rows
from cnntui.tui.screens.build_tree import tree_rows
from test_app import make_app, until
from test_build import start
from test_build import table_rows as screen_rows


def words(language: str = "en"):
    return lambda key, **args: text(language, key, **args)


def preset(name: str) -> dict:
    return json.loads(find_network(name).read_text(encoding="utf-8"))


# -- Build ---------------------------------------------------------------------------------------


def test_a_row_with_a_problem_is_red_even_when_its_shape_is_known():
    spec = {"input": [1, 8, 8], "layers": [{"type": "conv2d", "name": "conv1", "out_channels": 2, "kernel_size": 3},
                                           {"type": "conv2d", "name": "conv1", "out_channels": 2, "kernel_size": 3}]}
    summary = analyze(spec)
    assert summary.top_level[1].ok and summary.top_level[1].error is not None  # the case: shape known, name taken
    rows = table_rows(spec, summary, words(), ascii_only=False)
    assert rows[1][0] == "0"
    assert rows[2][0] == ("!", "bold red") and rows[2][1][1] == "red"
    assert rows[2][2] == "2x4x4", "the numbers it has are still shown"


def test_a_block_row_names_the_block_its_kind_and_what_it_holds():
    spec = preset("resnet18")
    summary = analyze(spec)
    rows = table_rows(spec, summary, words(), ascii_only=False)
    assert rows[5][1] == "▸ layer1: seq (2 blocks, 10 layers)"  # folded
    assert rows[6][1] == "▸ layer2: seq (2 blocks, 12 layers)"  # the first block's downsample holds two more
    assert rows[1][1] == "conv1: conv 64 k7 s2 p3 nobias"
    assert rows[5][2:4] == ("64x56x56", "147,968")
    inner = spec["layers"][4]["layers"][0]
    one = {"input": [64, 56, 56], "layers": [inner, {"type": "sequential", "layers": []}]}
    rows = table_rows(one, analyze(one), words(), ascii_only=False)
    assert rows[1][1] == "▸ 0: res (5 layers)" and rows[2][1] == "▸ 1: seq (empty)"
    zh_rows = table_rows(spec, summary, words("zh"), ascii_only=False)
    assert zh_rows[5][1] == "▸ layer1: seq（2 个块，10 层）"


def test_a_plain_networks_rows_are_its_text_form():
    spec = preset("lenet5")
    rows = table_rows(spec, analyze(spec), words(), ascii_only=False)
    assert [row[1] for row in rows[1:4]] == ["conv 6 k5", "relu", "avgpool 2"]


def test_the_side_panel_title_names_a_blocks_path():
    spec = preset("resnet18")
    summary = analyze(spec)
    row = tree_rows(spec, summary)[5]
    assert side_text(summary, row, words(), "en").plain.splitlines()[0] == "Layer 4: layer1 (sequential) → 64x56x56"
    assert side_text(summary, row, words("zh"), "zh").plain.splitlines()[0] == "第 4 层：layer1（sequential）→ 64x56x56"
    lenet = preset("lenet5")
    plain = analyze(lenet)
    assert side_text(plain, tree_rows(lenet, plain)[1], words(), "en").plain.splitlines()[0] == \
        "Layer 0: conv2d → 6x28x28"


def test_a_duplicate_of_a_named_entry_takes_its_position_or_a_copy_name():
    layers = [{"type": "relu", "name": "act"}, {"type": "relu"}, {"type": "sigmoid", "name": "last"}]
    assert duplicate_of(layers, 0) == {"type": "relu"}  # it goes to position 1; the unnamed relu moves on to "2"
    assert duplicate_of(layers, 2) == {"type": "sigmoid"}
    assert duplicate_of([{"type": "relu", "name": "a"}, {"type": "tanh", "name": "1"}], 0) == \
        {"type": "relu", "name": "a_copy"}  # position 1's name is taken by the tanh
    taken = [{"type": "relu", "name": "a"}, {"type": "relu", "name": "1"}, {"type": "relu", "name": "a_copy"}]
    assert duplicate_of(taken, 0) == {"type": "relu", "name": "a_copy2"}
    for original, copied in ((layers, duplicate_of(layers, 0)), (taken, duplicate_of(taken, 0))):
        assert not analyze({"input": [1, 4, 4], "layers": [original[0], copied, *original[1:]]}).problems
    assert duplicate_of([{"type": "relu"}], 0) == {"type": "relu"}


async def test_duplicating_a_named_block_gives_a_network_without_problems(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        assert app.load_network("minires", quiet=True)
        await until(pilot, lambda: len(screen_rows(screen)) == 10, "minires in the table")
        screen.select(5)  # layer1
        await pilot.press("D")
        await until(pilot, lambda: len(app.network.spec["layers"]) == 10, "the copy")
        copied = app.network.spec["layers"][5]
        assert "name" not in copied and copied["layers"] == preset("minires")["layers"][4]["layers"]
        # the copy is a 16-channel block fed 16 channels: the network stays valid
        assert not analyze(app.network.spec).problems
        assert [row[0] for row in screen_rows(screen)].count("!") == 0
        assert screen_rows(screen)[6][1] == "▸ 5: seq (1 block, 5 layers)"


# -- View and Train: an activation is a conv's only when it reads that conv ----------------------

BRANCHES = "in 3x8x8 | cat( conv 4 k3 p1 ; relu )"  # step 0 conv, step 1 a relu of the raw input, step 2 the join


def branches_network():
    from cnntui.core.textform import parse
    from cnntui.tui.state import CurrentNetwork

    return CurrentNetwork("branches", {"name": "branches", **parse(BRANCHES)}, "")


async def test_views_step_through_does_not_pair_a_conv_with_another_branchs_activation(tmp_path):
    from test_view import ready, shown_text

    app = make_app(tmp_path, mode="view", network=branches_network())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.select_layer(1)
        await pilot.press("enter", "s", "down", "right")
        await until(pilot, lambda: screen.panel == "step" and screen.cursor == (1, 1), "the step-through at (1, 1)")
        result = screen.result
        assert result.step_layer(1) == 1 and result.kernel_target(1) is None
        x, relu_out = float(result.x[0, 1, 1]), float(result.outputs[1][0, 1, 1])
        text = shown_text(screen)
        assert "relu works on each value alone" in text and "bias" not in text, text
        assert f"relu({number(x)}) = {number(relu_out)}" in text
        screen.select_layer(0)  # the conv's own step-through names no activation after it
        await until(pilot, lambda: screen.shown_layer == 0, "the conv selected")
        assert "applies its activation" not in shown_text(screen) and "+ bias" in shown_text(screen)


def test_trains_watched_maps_are_the_convs_when_the_next_step_reads_something_else():
    from cnntui.core.textform import parse
    from cnntui.train.live import watched_layer

    assert watched_layer(Network.from_dict(parse(BRANCHES)), 0) == 0
    assert watched_layer(Network.from_dict(parse("in 3x8x8 | conv 4 k3 p1 | relu")), 0) == 1


def number(value: float) -> str:
    from cnntui.render.panels import number as shown

    return shown(value).strip()


def bracketed(value: float) -> str:
    """A number after an operator in View's worked formulas: negative ones in brackets."""
    text = number(value)
    return f"({text})" if text.startswith("-") else text


# -- View's sentences for batch norm, the residual sum and global pooling -----------------------


async def step_text(pilot, screen, layer: int, channel: int, cursor: tuple[int, int]) -> str:
    from test_view import shown_text

    screen.select_layer(layer)
    await until(pilot, lambda: screen.shown_layer == layer, f"step {layer} selected")
    screen.go(panel="step", channel=channel, cursor=cursor)
    await until(pilot, lambda: screen.panel == "step" and screen.cursor == cursor and screen.channel == channel,
                "the step-through at the cursor")
    return " ".join(shown_text(screen).split())  # the sentence as one line, wherever the panel wrapped it


async def test_views_sentences_for_minires_steps_give_the_engines_numbers(tmp_path):
    from test_view import ready

    from cnntui.tui.state import read_network

    net = Network.load("minires")
    net.load_weights(net.shipped_weights)
    weights = net.weights
    app = make_app(tmp_path, mode="view", network=read_network("minires"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.result.weights == "shipped"
        x, outputs = screen.result.x, screen.result.outputs
        assert np.allclose(outputs[-1], net.forward(x)[-1])  # the app's forward pass is the engine's

        text = await step_text(pilot, screen, 5, 3, (2, 4))  # layer1.0.bn1, channel 3
        conv = float(outputs[4][3, 2, 4])
        mean, var = (float(weights[f"layer1.0.bn1.{kind}"][3]) for kind in ("running_mean", "running_var"))
        weight, bias = (float(weights[f"layer1.0.bn1.{kind}"][3]) for kind in ("weight", "bias"))
        expected = (conv - mean) / np.sqrt(var + 1e-5) * weight + bias
        assert abs(expected - float(outputs[5][3, 2, 4])) < 1e-4
        assert (f"x = {number(conv)}" in text and f"mean = {number(mean)}, var = {number(var)}" in text
                and f"gamma = {number(weight)}, beta = {number(bias)}" in text), text
        assert (f"= ({number(conv)} - {bracketed(mean)}) / sqrt({number(var)} + 0.00001) * {bracketed(weight)}"
                f" + {bracketed(bias)}") in text and text.split(" = ")[-1].startswith(number(expected)), text
        assert "batchnorm2d:layer1.0.bn1" in str(screen.query_one("#view-title").content)

        text = await step_text(pilot, screen, 9, 2, (5, 1))  # layer1.0: bn2's output + the block's input, relu
        body, shortcut = float(outputs[8][2, 5, 1]), float(outputs[3][2, 5, 1])
        total = body + shortcut
        assert abs(max(total, 0.0) - float(outputs[9][2, 5, 1])) < 1e-5
        assert (f"y = body + shortcut = {number(body)} + {bracketed(shortcut)} = {number(total)} "
                f"then relu({number(total)}) = {number(max(total, 0.0))}") in text, text

        text = await step_text(pilot, screen, 17, 7, (3, 6))  # layer2.0: its shortcut is downsample's output
        body, shortcut = float(outputs[14][7, 3, 6]), float(outputs[16][7, 3, 6])
        assert f"= {number(body)} + {bracketed(shortcut)} = {number(body + shortcut)}" in text, text

        text = await step_text(pilot, screen, 18, 0, (0, 4))  # global average pooling, unit 4
        mean = float(outputs[17][4].mean())
        assert abs(mean - float(outputs[18][4])) < 1e-5
        assert f"mean of channel 4's whole 8x8 map = {number(mean)}" in text, text


async def test_views_adaptive_pooling_sentence_names_pytorchs_window(tmp_path):
    from test_view import ready

    from cnntui.core.textform import parse
    from cnntui.tui.state import CurrentNetwork

    spec = {"name": "adaptive", **parse("in 1x5x5 | adaptivepool 2")}
    app = make_app(tmp_path, mode="view", network=CurrentNetwork("adaptive", spec, ""))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        text = await step_text(pilot, screen, 0, 0, (1, 0))
        x, out = screen.result.x, screen.result.outputs[0]
        mean = float(x[0, 2:5, 0:3].mean())  # 5 rows into 2: rows 0..2 and 2..4 (they overlap), columns 0..2
        assert abs(mean - float(out[0, 1, 0])) < 1e-6
        assert f"rows 2..4 and columns 0..2 (9 values) = {number(mean)}" in text, text


# -- the app's notice for a bad network -----------------------------------------------------------


async def test_a_bad_block_network_is_reported_in_the_apps_language_with_where(tmp_path):
    spec = {"name": "bad", "input": [3, 8, 8], "layers": [
        {"type": "residual", "name": "block", "body": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}]},
        {"type": "relu", "name": "r"}, {"type": "relu", "name": "r"}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    app = make_app(tmp_path, mode="build", language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, app)
        before = app.network
        assert not app.load_network(str(path))
        await until(pilot, lambda: any(str(path) in n.message for n in app._notifications), "the notice")
        notice = next(n.message for n in app._notifications if str(path) in n.message)
        assert app.network is before
        assert notice.startswith(f"无法加载 {path}：block residual：主体输出 4x6x6，捷径输出 3x8x8"), notice
        assert "；r relu：" in notice and "两个子层都叫 'r'" in notice, notice  # the second problem, by its path
        assert "body" not in notice and "two children" not in notice  # no English sentence left


# -- Train's advice for saturating activations ----------------------------------------------------


def test_trains_guessing_advice_finds_saturating_activations_inside_blocks():
    from types import SimpleNamespace

    from cnntui.core import LAYER_TYPES
    from cnntui.core.textform import parse
    from cnntui.tui.screens.train_picture import squashes

    def run(text: str):
        return SimpleNamespace(plan=SimpleNamespace(spec=parse(text)))

    assert {kind for kind, cls in LAYER_TYPES.items() if getattr(cls, "saturates", False)} == {"sigmoid", "tanh"}
    assert squashes(run("in 1x8x8 | seq( conv 4 k3 | tanh ) | flatten | linear 2"))
    assert squashes(run("in 1x8x8 | res( conv 1 k3 p1 ) act=sigmoid | flatten | linear 2"))
    assert not squashes(run("in 1x8x8 | seq( conv 4 k3 | relu ) | flatten | linear 2 | sigmoid"))
    assert not squashes(SimpleNamespace(plan=None))
