"""Build's table as a tree (#17): rows from the network's tree, the fold state kept right through edits,
editing inside blocks by address, templates, errors inside a block; and the screen driven by keys."""

from __future__ import annotations

import json

import pytest

from cnntui.content import text
from cnntui.core import analyze
from cnntui.core.assets import find_network
from cnntui.core.blocks import node_at
from cnntui.tui.screens.build_form import edit_spec, form_rows, new_node
from cnntui.tui.screens.build_text import table_rows
from cnntui.tui.screens.build_tree import (
    after_delete,
    after_insert,
    after_swap,
    block_addresses,
    insertion_point,
    join_words,
    shape_reaching,
    still_blocks,
    tree_rows,
)

LAYER1 = ("layers", 4)
LAYER1_0 = ("layers", 4, "layers", 0)
LAYER2_0 = ("layers", 5, "layers", 0)


def words(language: str = "en"):
    return lambda key, **args: text(language, key, **args)


def preset(name: str) -> dict:
    return json.loads(find_network(name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def resnet18():
    spec = preset("resnet18")
    return spec, analyze(spec)


# -- rows ------------------------------------------------------------------------------------------


def test_folded_blocks_are_one_row_and_unfolded_ones_show_their_layers_and_join(resnet18):
    spec, summary = resnet18
    folded = table_rows(spec, summary, words(), False, tree_rows(spec, summary))
    assert [row[0] for row in folded] == ["", *map(str, range(11))]
    assert folded[5][:4] == ("4", "▸ layer1: seq (2 blocks, 10 layers)", "64x56x56", "147,968")
    rows = table_rows(spec, summary, words(), True, tree_rows(spec, summary, {LAYER1, LAYER1_0}))
    layer1 = [row[:4] for row in rows[5:14]]
    assert layer1 == [
        ("4", "- layer1: seq (2 blocks, 10 layers)", "64x56x56", "147,968"),  # --ascii marks
        ("", "  - 0: res (5 layers)", "64x56x56", "73,984"),
        ("", "    conv1: conv 64 k3 p1 nobias", "64x56x56", "36,864"),
        ("", "    bn1: bn", "64x56x56", "128"),
        ("", "    relu: relu", "64x56x56", "0"),
        ("", "    conv2: conv 64 k3 p1 nobias", "64x56x56", "36,864"),
        ("", "    bn2: bn", "64x56x56", "128"),
        ("", "    = body + shortcut, relu", "64x56x56", "0"),
        ("", "  + 1: res (5 layers)", "64x56x56", "73,984"),
    ]
    assert rows[14][0] == "5", "the next top-level entry keeps its index"


def test_the_join_row_reads_like_the_clis_summary():
    googlenet = preset("googlenet")
    summary = analyze(googlenet)
    concat = next(record for record in summary.layers if record.is_join and record.type == "concat")
    assert join_words(concat, words()) == "= concat 64+128+32+32"
    assert join_words(concat, words("zh")) == "= 拼接 64+128+32+32"
    from cnntui.cli import tree_table

    assert "= concat 64+128+32+32" in tree_table(summary)


def test_a_problem_inside_a_block_marks_its_row_and_the_folded_blocks_holding_it(resnet18):
    spec = json.loads(json.dumps(resnet18[0]))
    node_at(spec, (*LAYER1_0, "body", 3))["out_channels"] = 32  # the body ends with 32 channels, the shortcut 64
    summary = analyze(spec)
    open_rows = table_rows(spec, summary, words(), False, tree_rows(spec, summary, {LAYER1, LAYER1_0}))
    join = open_rows[12]
    assert join[0] == ("!", "bold red") and join[1] == ("    = body + shortcut, relu", "red")
    assert open_rows[11][0] == "" and open_rows[11][2] == "32x56x56", "the rows before it keep their numbers"
    assert open_rows[13][1:3] == ("  ▸ 1: res (5 layers)", "-"), "after it: unknown"
    assert open_rows[5][0] == "4" and open_rows[6][0] == "", "an unfolded block leaves the mark to the row"
    folded = table_rows(spec, summary, words(), False, tree_rows(spec, summary))
    assert folded[5][0] == ("!", "bold red") and folded[5][1][1] == "red", "the folded block holding it"
    assert folded[6][2] == "-" and folded[6][0] == "5"


# -- the fold state --------------------------------------------------------------------------------


def test_the_fold_state_follows_inserts_deletes_and_moves_in_the_same_list():
    inside = ("layers", 4, "layers")
    open_ = {("layers", 4), ("layers", 4, "layers", 0), ("layers", 4, "layers", 1, "body", 2), ("layers", 6)}
    assert after_insert(open_, inside, 1) == {("layers", 4), ("layers", 4, "layers", 0),
                                               ("layers", 4, "layers", 2, "body", 2), ("layers", 6)}
    assert after_insert(open_, ("layers",), 5) == {("layers", 4), ("layers", 4, "layers", 0),
                                                    ("layers", 4, "layers", 1, "body", 2), ("layers", 7)}
    assert after_delete(open_, inside, 0) == {("layers", 4), ("layers", 4, "layers", 0, "body", 2), ("layers", 6)}
    assert after_delete(open_, ("layers",), 4) == {("layers", 5)}, "what was in the deleted block goes"
    assert after_swap(open_, inside, 0, 1) == {("layers", 4), ("layers", 4, "layers", 1),
                                                ("layers", 4, "layers", 0, "body", 2), ("layers", 6)}
    assert after_insert(set(), inside, 0) == set()


def test_a_fold_state_from_another_spec_keeps_only_its_blocks(resnet18):
    spec, _ = resnet18
    assert LAYER1_0 in block_addresses(spec) and ("layers", 0) not in block_addresses(spec)
    assert still_blocks({LAYER1, ("layers", 0), ("layers", 40, "layers", 2)}, spec) == {LAYER1}
    assert tree_rows(spec, analyze(spec), {("layers", 40)})[-1].address == ("layers", 10), "a stale one: no row"


# -- where edits go ----------------------------------------------------------------------------------


def test_add_goes_into_the_list_the_selected_row_is_in(resnet18):
    spec, summary = resnet18
    rows = {(row.kind, row.address): row
            for row in tree_rows(spec, summary, {LAYER1, LAYER1_0, ("layers", 5), LAYER2_0})}
    conv2 = rows["layer", (*LAYER1_0, "body", 3)]
    assert insertion_point(conv2, True) == ((*LAYER1_0, "body"), 4)
    assert insertion_point(conv2, False) == ((*LAYER1_0, "body"), 3)
    assert insertion_point(rows["block", LAYER1_0], True) == ((*LAYER1_0, "body"), 0), "after an open block's row"
    assert insertion_point(rows["block", LAYER1_0], False) == ((*LAYER1, "layers"), 0)
    assert insertion_point(rows["join", LAYER1_0], False) == ((*LAYER1_0, "body"), 5), "the end of its body"
    assert insertion_point(rows["block", ("layers", 6)], True) == (("layers",), 7), "a folded block: next to it"
    assert insertion_point(rows["block", (*LAYER2_0, "shortcut")], True) is None, "a shortcut is no list"
    assert insertion_point(rows["input", ()], True) == (("layers",), 0)
    assert shape_reaching(summary, (*LAYER1_0, "body"), 4) == (64, 56, 56)
    assert shape_reaching(summary, ("layers", 5, "layers"), 0) == (64, 56, 56), "a block's first: its input"
    assert shape_reaching(summary, ("layers",), 0) == (3, 224, 224)


def test_a_template_is_sized_for_the_shape_that_reaches_it(resnet18):
    _, summary = resnet18
    block = new_node("template:basic", shape_reaching(summary, ("layers", 5, "layers"), 2))
    assert block["type"] == "residual" and block["body"][0]["out_channels"] == 128
    assert new_node("relu", None) == {"type": "relu"}


def test_the_form_edits_a_layer_or_a_block_by_address_and_keeps_names(resnet18):
    spec = json.loads(json.dumps(resnet18[0]))
    conv2 = (*LAYER1_0, "body", 3)
    title, rows = form_rows(spec, conv2, words(), "layer1.0.conv2")
    assert title == "Layer layer1.0.conv2 (conv2d)" and ("out_channels", "64", "a whole number ≥ 1") in rows
    edit_spec(spec, conv2, "out_channels", "32")
    assert node_at(spec, conv2)["out_channels"] == 32
    assert edit_spec(spec, conv2, "type", "conv2d") is False
    assert node_at(spec, conv2)["name"] == "conv2", "retyping the same type keeps the layer"
    assert edit_spec(spec, conv2, "type", "relu") is True
    assert node_at(spec, conv2) == {"type": "relu", "name": "conv2"}, "a new type keeps the name"
    title, rows = form_rows(spec, LAYER1_0, words("zh"), "layer1.0")
    assert title.startswith("块 layer1.0（residual）") and [row[0] for row in rows] == ["name", "activation"]
    edit_spec(spec, LAYER1_0, "activation", "")
    edit_spec(spec, LAYER1_0, "name", "first")
    assert "activation" not in node_at(spec, LAYER1_0) and node_at(spec, LAYER1_0)["name"] == "first"
    assert node_at(spec, LAYER1_0)["body"], "the block keeps its layers"


# -- the screen, by keys -------------------------------------------------------------------------------


def screen_rows(screen) -> list[list[str]]:
    from cnntui.tui.widgets.table import LayerTable

    return [[cell.strip() for cell in row] for row in screen.query_one("#build-table", LayerTable).plain_rows()]


def layer_cells(screen) -> list[str]:
    return [row[1] for row in screen_rows(screen)]


def row_named(screen, start: str, after: int = 0) -> int:
    """The first row from ``after`` on whose node's words begin with ``start``."""
    cells = layer_cells(screen)
    return next(index for index in range(after, len(cells)) if cells[index].lstrip("▸▾ ").startswith(start))


async def go_to(pilot, screen, row: int) -> None:
    """Move the cursor to ``row`` with the arrow keys, as a person would."""
    from cnntui.tui.widgets.table import LayerTable

    table = screen.query_one("#build-table", LayerTable)
    while table.cursor != row:
        await pilot.press("down" if table.cursor < row else "up")


@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")])
async def test_editing_inside_resnet18s_blocks_by_keys(tmp_path, size, language):
    from test_app import make_app, until
    from test_build import side_text, start, type_into_field

    from cnntui.content import message_text
    from cnntui.tui.screens.dialogs import ChoiceDialog
    from cnntui.tui.widgets.table import LayerTable

    app = make_app(tmp_path, mode="build", language=language)
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot, app)
        assert app.load_network("resnet18", quiet=True)
        await until(pilot, lambda: len(screen_rows(screen)) == 12, "resnet18, its blocks folded")
        table = screen.query_one("#build-table", LayerTable)
        # The numbers stay on screen (the table is 72 columns wide at 120): the Layer column gives way.
        shown = [width for width in table.widths if width]
        assert 1 + sum(shown) + 2 * len(shown) <= table.scrollable_content_region.width
        assert all(table.widths[column] for column in (2, 3, 5)), "Output, Params and MACs"
        await go_to(pilot, screen, 5)
        await pilot.press("enter")  # unfold layer1
        await until(pilot, lambda: layer_cells(screen)[6].startswith("▸ 0:"), "layer1's blocks")
        await pilot.press("down", "right")  # and layer1.0
        join_row = app.t("engine.join_sum_then", activation="relu")  # "= body + shortcut, relu"
        await until(pilot, lambda: join_row in layer_cells(screen), "layer1.0's layers and join")
        assert screen_rows(screen)[5][0] == "4" and screen_rows(screen)[7][0] == "", "# only for the top level"

        # Edit conv2 inside it: the body now ends with 32 channels, the shortcut gives 64.
        conv2 = row_named(screen, "conv2:")
        await go_to(pilot, screen, conv2)
        await pilot.press("e")
        await until(pilot, lambda: screen.editing == (*LAYER1_0, "body", 3) and screen.query("#field-out_channels"))
        await type_into_field(pilot, "out_channels", "32")
        await until(pilot, lambda: node_at(app.network.spec, (*LAYER1_0, "body", 3))["out_channels"] == 32)
        await pilot.press("enter")
        await until(pilot, lambda: screen.editing is None)
        join = conv2 + 2
        rows = screen_rows(screen)
        assert rows[join][0] == "!" and rows[join][1] == join_row
        assert rows[conv2][2] == "32x56x56" and rows[join + 1][2:4] == ["-", "-"], "after the problem: unknown"
        await go_to(pilot, screen, join)
        problem = analyze(app.network.spec).problems[0]
        await until(pilot, lambda: message_text(language, problem.message) in side_text(screen).replace("\n", " "),
                    "the engine's message and fix, in the app's language")

        await pilot.press("u")
        await until(pilot, lambda: node_at(app.network.spec, (*LAYER1_0, "body", 3))["out_channels"] == 64)
        assert "!" not in [row[0] for row in screen_rows(screen)]
        assert join_row in layer_cells(screen), "undo keeps the blocks unfolded"
        await pilot.press("r")
        await until(pilot, lambda: screen_rows(screen)[join][0] == "!", "redo brings the problem back")
        await pilot.press("u")
        await until(pilot, lambda: not analyze(app.network.spec).problems)

        # Move, duplicate and delete stay inside the block's body.
        await go_to(pilot, screen, conv2 - 2)  # layer1.0's bn1
        await pilot.press("K")
        await until(pilot, lambda: node_at(app.network.spec, (*LAYER1_0, "body", 0))["name"] == "bn1")
        assert table.cursor == conv2 - 3, "the cursor follows the moved layer"
        await pilot.press("u", "D")
        await until(pilot, lambda: len(node_at(app.network.spec, (*LAYER1_0, "body"))) == 6)
        assert node_at(app.network.spec, (*LAYER1_0, "body", 2))["type"] == "batchnorm2d"
        await pilot.press("x")
        await until(pilot, lambda: len(node_at(app.network.spec, (*LAYER1_0, "body"))) == 5)
        await pilot.press("left")  # inside a block: folds it and selects its row
        await until(pilot, lambda: layer_cells(screen)[table.cursor].startswith("▸ 0:"), "layer1.0 folded")

        # A template goes in where the row is, sized for the shape there, unfolded.
        await go_to(pilot, screen, row_named(screen, "layer2:"))
        await pilot.press("enter", "down")
        before = set(screen.expanded)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.press(*"basic", "enter")
        await until(pilot, lambda: len(node_at(app.network.spec, ("layers", 5, "layers"))) == 3)
        added = node_at(app.network.spec, ("layers", 5, "layers", 1))
        assert added["type"] == "residual" and added["body"][0]["out_channels"] == 128
        assert not analyze(app.network.spec).problems
        assert layer_cells(screen)[table.cursor].startswith("▾ 1:"), "the new block, unfolded and selected"
        await pilot.press("u")  # the blocks open before the insert open again, not the ones at their addresses
        await until(pilot, lambda: len(node_at(app.network.spec, ("layers", 5, "layers"))) == 2)
        assert screen.expanded == before
        await pilot.press("r")
        await until(pilot, lambda: ("layers", 5, "layers", 1) in screen.expanded, "redo: the new block open again")
        await go_to(pilot, screen, row_named(screen, "1: res", after=row_named(screen, "layer2:")))
        await pilot.press("e")  # a block's own settings: its name and the activation after the sum
        await until(pilot, lambda: screen.query("#field-activation"))
        await type_into_field(pilot, "name", "extra")
        await pilot.press("enter")
        await until(pilot, lambda: node_at(app.network.spec, ("layers", 5, "layers", 1)).get("name") == "extra")
        assert node_at(app.network.spec, ("layers", 5, "layers", 1))["activation"] == "relu"

        # x on a shortcut takes the key away: the block adds its input back unchanged.
        await pilot.press("up", "right")  # layer2.0, unfolded
        await go_to(pilot, screen, row_named(screen, "downsample:"))
        await pilot.press("x")
        await until(pilot, lambda: "shortcut" not in node_at(app.network.spec, LAYER2_0))
        await pilot.press("u")
        await until(pilot, lambda: "shortcut" in node_at(app.network.spec, LAYER2_0))
        await go_to(pilot, screen, row_named(screen, "downsample:"))
        await pilot.press("a")  # a shortcut is one node, not a list: said, and nothing opens
        await until(pilot, lambda: app.t("build.no_list") in [n.message for n in app._notifications])
        assert app.screen is screen

        await pilot.press("f")  # every block unfolded
        await until(pilot, lambda: len(screen_rows(screen)) > 80)
        await pilot.press("f")
        await until(pilot, lambda: len(screen_rows(screen)) == 12, "and all folded again")


async def test_the_form_never_edits_a_node_that_moved_or_went_away(tmp_path):
    """Keys a field does not take (shift+down, ctrl+z) reached the screen and moved the node under an
    open form, which then typed into the relu; another network loaded meanwhile left the form on an
    address that no longer existed, and the next key raised IndexError."""
    from test_app import make_app, until
    from test_build import start

    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await go_to(pilot, screen, 1)
        await pilot.press("e")
        await until(pilot, lambda: screen.editing == ("layers", 0) and screen.query("#field-out_channels"))
        layers = [layer["type"] for layer in screen.spec["layers"]]
        await pilot.press("shift+down", "ctrl+z", "ctrl+y")  # move, undo, redo: off while the form is open
        assert [layer["type"] for layer in screen.spec["layers"]] == layers and screen.editing == ("layers", 0)

        assert app.load_network("mlp", quiet=True)  # as the palette or a try-it would, under the open form
        await until(pilot, lambda: screen.spec is app.network.spec and screen.editing is None)
        before = json.dumps(screen.spec)
        await pilot.press("1", "2")  # once the form has closed, these reach no field
        assert json.dumps(screen.spec) == before and app.is_running

        await go_to(pilot, screen, len(screen.spec["layers"]))
        await pilot.press("e")
        await until(pilot, lambda: screen.editing is not None and screen.query("#field-type"))
        field = screen.query_one("#field-type")
        del screen.spec["layers"][-1]  # the node goes while the form is open (no key can do that now)
        field.value = "relu"
        await until(pilot, lambda: screen.editing is None, "the form closed")
        assert any(n.message == app.t("build.form.gone") for n in app._notifications)


def test_a_null_entry_inside_a_block_shows_as_null_on_a_red_row():
    """Its words came from the cache's default, which was None too: the row's Layer cell was empty."""
    spec = {"input": [1, 8, 8], "layers": [{"type": "sequential", "layers": [None, {"type": "relu"}]}]}
    summary = analyze(spec)
    rows = table_rows(spec, summary, words(), False, tree_rows(spec, summary, {("layers", 0)}), {})
    assert rows[2][0] == ("!", "bold red") and rows[2][1] == ("  null", "red")
