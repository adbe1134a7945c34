"""View's layer list as a tree (ResNet-18's blocks fold and unfold, any leaf's maps can be shown),
and big networks' forward passes in the background: progress on the status line, a superseded
pass stopped."""

from __future__ import annotations

import threading

import pytest
from test_app import make_app, until
from test_view import key_bar, ready, title

from cnntui.tui.screens.view_forward import ViewForward
from cnntui.tui.state import read_network
from cnntui.tui.view_panels import Superseded

LAYER1_0 = ("layers", 4, "layers", 0)  # resnet18's layer1.0: steps 4 (conv1) .. 9 (its sum)
FOLDED = ["conv1 conv", "bn1 bn", "relu", "maxpool", "▸ layer1 seq", "▸ layer2 seq", "▸ layer3 seq",
          "▸ layer4 seq", "avgpool adaptivepool", "flatten", "fc linear"]
LAYER1_0_OPEN = [" ▾ 0 res", "  conv1 conv", "  bn1 bn", "  relu", "  conv2 conv", "  bn2 bn"]


def names(screen) -> list[str]:
    return [row[0] for row in screen.query_one("#view-layers").plain_rows()]


def cursor_name(screen) -> str:
    return names(screen)[screen.query_one("#view-layers").cursor]


async def resnet18(pilot):
    """The app's default network first, then ResNet-18 loaded as Ctrl+P would, and its maps drawn."""
    screen = await ready(pilot)
    assert pilot.app.load_network("resnet18")
    await until(pilot, lambda: screen.drawn and screen.result.net.name == "resnet18", "resnet18's maps", 20)
    return screen


def test_a_concat_block_folds_to_one_row_and_its_join_row_needs_it_unfolded():
    """Without the app: the rows, in ASCII, and where a step's row is when its block is folded."""
    from cnntui.core import Network
    from cnntui.core.textform import parse
    from cnntui.tui.view_tree import key_of_step, layout, table_cells, visible_key

    spec = {"name": "b", **parse("in 3x8x8 | conv 4 k3 p1 | cat( conv 4 k3 p1 ; relu ) | relu")}
    summary = Network.from_dict(spec).summary()  # steps: conv, the branches' conv and relu, the concat, relu
    block = ("layers", 1)

    def t(key, **args):
        return {"view.input": "input", "view.col.layer": "Layer", "view.col.output": "Output",
                "engine.join_concat": "= concat {counts}"}[key].format(**args)

    folded = layout(spec, summary, frozenset())
    assert table_cells(folded, summary, t, ascii_only=True)[1] == [
        ("input", "3x8x8"), ("0 conv", "4x8x8"), ("+ 1 cat", "8x8x8"), ("2 relu", "8x8x8")]
    assert folded.step_at(2) == 3  # the block's row shows its concatenation
    key, around = key_of_step(summary, 3)
    assert key == ("join", block) and around == {block}  # the join row is inside its block
    assert visible_key(summary, folded, key) == ("block", block)
    assert visible_key(summary, folded, key_of_step(summary, 2)[0]) == ("block", block)

    unfolded = layout(spec, summary, around)
    assert [cells[0] for cells in table_cells(unfolded, summary, t, ascii_only=False)[1]] == [
        "input", "0 conv", "▾ 1 cat", " 0 conv", " 1 relu", " = concat 4+4", "2 relu"]
    assert [unfolded.step_at(position) for position in range(7)] == [-1, 0, 3, 1, 2, 3, 4]
    assert unfolded.position(key) == 5


@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")])
async def test_resnet18s_blocks_fold_and_unfold_and_any_leaf_shows_its_maps(tmp_path, size, language):
    app = make_app(tmp_path, mode="view", language=language)
    join = {"en": "  = body + shortcut, relu", "zh": "  = 主体+捷径，relu"}[language]
    unfold, fold = {"en": ("Unfold", "Fold"), "zh": ("展开", "折叠")}[language]
    scene = {"en": "scene.png: 64x64 RGB -> RGB 3x224x224, normalised by the network's mean and std",
             "zh": "scene.png：64x64 RGB -> RGB 3x224x224，已按网络的均值和标准差归一化"}[language]
    async with app.run_test(size=size) as pilot:
        screen = await resnet18(pilot)
        assert scene in str(screen.query_one("#view-status").content)  # the sample scene, as ImageNet nets take it
        assert names(screen)[1:] == FOLDED  # the top-level blocks start folded
        assert screen.shown_layer == 0 and "conv2d:conv1 64x112x112" in title(screen)

        await pilot.press(*["down"] * 4)  # layer1's row shows the block's output: its last step
        await until(pilot, lambda: screen.shown_layer == 15, "layer1's output")
        assert "sequential:layer1 64x56x56" in title(screen) and f"space {unfold}" in key_bar(app)
        await pilot.press("enter", "down", "space", "down")  # unfold layer1, then layer1.0, onto its conv1
        await until(pilot, lambda: screen.shown_layer == 4, "layer1.0.conv1's maps")
        rows = names(screen)
        at = rows.index(" ▾ 0 res")
        assert rows[at - 1] == "▾ layer1 seq" and rows[at:at + 7] == [*LAYER1_0_OPEN, join]
        assert rows[at + 7:at + 9] == [" ▸ 1 res", "▸ layer2 seq"]
        assert cursor_name(screen) == "  conv1 conv" and "conv2d:layer1.0.conv1 64x56x56" in title(screen)
        assert screen.maps() is screen.result.outputs[4]

        await pilot.press(*["down"] * 5)  # the join row: the residual sum, after its relu
        await until(pilot, lambda: screen.shown_layer == 9, "layer1.0's sum")
        assert cursor_name(screen) == join and "residual:layer1.0 64x56x56" in title(screen)
        assert screen.result.net.summary()[9].is_join

        await pilot.press("left")  # from inside a block up to its row, which shows the same sum
        await until(pilot, lambda: cursor_name(screen) == " ▾ 0 res", "layer1.0's row")
        assert screen.shown_layer == 9 and f"space {fold}" in key_bar(app)
        await pilot.press("left", "left", "left")  # fold layer1.0, up to layer1, fold layer1
        await until(pilot, lambda: names(screen)[1:] == FOLDED, "everything folded again")
        assert cursor_name(screen) == "▸ layer1 seq" and screen.shown_layer == 15

        screen.select_layer(4)  # a step inside folded blocks: they unfold to show its row
        await until(pilot, lambda: cursor_name(screen) == "  conv1 conv", "layer1.0.conv1 shown")
        screen.go(unfolded=frozenset())  # folded over the row shown: the outer block's row is chosen
        await until(pilot, lambda: cursor_name(screen) == "▸ layer1 seq", "layer1's row chosen")
        assert screen.shown_layer == 15 and screen.place.row == ("block", ("layers", 4))

        app.requested_layer = {"path": "layer2.0.downsample.0"}  # a "try it" link naming a path
        screen.select_requested()
        await until(pilot, lambda: cursor_name(screen) == "   0 conv", "layer2.0.downsample.0 shown")
        assert "conv2d:layer2.0.downsample.0 128x28x28" in title(screen) and app.requested_layer is None


async def test_a_superseded_forward_pass_stops_and_the_status_line_counts_the_steps(tmp_path, monkeypatch):
    """ResNet-18's pass is held at its first step until a second network is loaded; it must stop at
    its next step, and the maps shown must be the second network's."""
    reporter = ViewForward.progress_reporter
    held, let_go = threading.Event(), threading.Event()
    seen: dict[int, list[int]] = {}
    stopped: list[int] = []

    def holding_reporter(self, serial, worker):
        report = reporter(self, serial, worker)

        def progress(done, count):
            seen.setdefault(serial, []).append(done)
            try:
                report(done, count)
            except Superseded:
                stopped.append(serial)
                raise
            if count == 61 and done == 1:  # resnet18: 61 steps
                held.set()
                let_go.wait(10)

        return progress

    monkeypatch.setattr(ViewForward, "progress_reporter", holding_reporter)
    app = make_app(tmp_path, mode="view", network=read_network("lenet5"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        status = screen.query_one("#view-status")
        assert app.load_network("resnet18")
        await until(pilot, held.is_set, "resnet18's pass at its first step")
        first = screen.serial
        await until(pilot, lambda: "Running the forward pass: step 1 of 61..." in str(status.content),
                    "the step on the status line")
        assert app.load_network("minires")
        await until(pilot, lambda: screen.serial > first, "minires's pass asked for")  # and resnet18's cancelled
        let_go.set()
        await until(pilot, lambda: screen.drawn and screen.result.net.name == "minires", "minires's maps")
        assert stopped == [first] and seen[first] == [1, 2]  # stopped at the step after the hold
        assert screen.result.serial == screen.serial > first
        assert "Running" not in str(status.content)
