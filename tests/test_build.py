"""Build mode, driven by keys: building, invalid values, undo, files, compare, text form and export."""

from __future__ import annotations

import ast
import json

import pytest
from textual.widgets import DataTable, Static

from cnntui.core import Network, analyze, preset_names
from cnntui.core.export import to_keras, to_pytorch
from cnntui.core.textform import TextFormError, format_text, parse
from cnntui.tui.screens.build import BuildScreen, field_value, share_bar
from cnntui.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from cnntui.tui.widgets.table import LayerTable
from test_app import make_app

LENET5_BY_KEYS = [  # (type, {field: typed text}) as a learner would enter them
    ("conv2d", {"out_channels": "6", "kernel_size": "5"}), ("relu", {}), ("avgpool2d", {"kernel_size": "2"}),
    ("conv2d", {"out_channels": "16", "kernel_size": "5"}), ("relu", {}), ("avgpool2d", {"kernel_size": "2"}),
    ("flatten", {}), ("linear", {"out_features": "120"}), ("relu", {}), ("linear", {"out_features": "84"}),
    ("relu", {}), ("linear", {"out_features": "10"}), ("softmax", {}),
]


def table_rows(screen: BuildScreen) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in screen.query_one("#build-table", LayerTable).plain_rows()]


def side_text(screen: BuildScreen) -> str:
    return screen.query_one("#build-derivation").text.plain


async def start(pilot, app) -> BuildScreen:
    await pilot.pause(0.3)
    assert isinstance(app.screen, BuildScreen)
    return app.screen


async def type_into_field(pilot, name: str, text: str) -> None:
    field = pilot.app.screen.query_one(f"#field-{name}")
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text)


async def add_layer(pilot, kind: str, fields: dict[str, str]) -> None:
    from cnntui.core import LAYER_TYPES

    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoiceDialog)
    await pilot.press(*["down"] * list(LAYER_TYPES).index(kind), "enter")
    await pilot.pause(0.2)
    for name, text in fields.items():
        await type_into_field(pilot, name, text)
    if LAYER_TYPES[kind].fields:
        await pilot.press("enter")  # close the form
    await pilot.pause()


async def test_build_lenet5_from_an_empty_network_by_keys(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("n")
        await pilot.pause()
        assert len(table_rows(screen)) == 1  # only the input row
        await pilot.press("e")
        await pilot.pause(0.2)
        await type_into_field(pilot, "input", "1x32x32")
        await pilot.press("enter")
        for kind, fields in LENET5_BY_KEYS:
            await add_layer(pilot, kind, fields)
        expected = Network.load("lenet5").summary()
        rows = table_rows(screen)[1:]
        assert len(rows) == len(expected.layers)
        for row, record in zip(rows, expected):
            assert row[2] == "x".join(map(str, record.output_shape)), row
            assert row[3] == f"{record.params:,}", row
        assert "Params 61,706" in str(screen.query_one("#build-totals").content)
        assert format_text(app.network.spec) == format_text(Network.load("lenet5").to_dict())


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("kernel_size", "40", "does not fit the 28x28 input"),
    ("kernel_size", "2.5", "kernel_size takes a number or a [height, width] pair"),
    ("out_channels", "0", "out_channels must be at least 1"),
    ("out_channels", "six", "out_channels must be a whole number"),
    ("padding", "-1", "padding must be 0 or more, got -1"),
    ("padding", "sideways", "padding takes a number, a [height, width] pair, \"valid\" or \"same\""),
    ("bias", "maybe", "bias must be true or false"),
    ("stride", "0", "stride must be at least 1"),
    ("type", "conv", "unknown layer type 'conv' (did you mean 'conv2d'?)"),
])
async def test_each_kind_of_bad_value_is_marked_with_the_engines_message(tmp_path, field, typed, message):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        screen = await start(pilot, app)
        await add_layer(pilot, "conv2d", {"out_channels": "4", "kernel_size": "3"})
        await add_layer(pilot, "relu", {})
        await pilot.press("up", "e")
        await pilot.pause(0.2)
        await type_into_field(pilot, field, typed)
        await pilot.pause()
        rows = table_rows(screen)
        assert rows[1][0] == "!", rows
        assert rows[2][2:] == ["-"] * 5, "a layer after a bad one shows no stale numbers"
        await pilot.press("escape")
        await pilot.pause()
        assert message in side_text(screen)
        assert app.network.spec["layers"][0]  # the bad value is kept, not dropped
        assert "problem" in str(screen.query_one("#build-totals").content)


async def test_every_problem_is_shown_at_once(tmp_path):
    bad = {"name": "two-problems", "input": [1, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 0, "kernel_size": 3}, {"type": "relu"},
        {"type": "linear", "out_features": -2}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        spec = json.loads(path.read_text())
        screen.change(spec)
        await pilot.pause()
        marks = [row[0] for row in table_rows(screen)[1:]]
        assert marks == ["!", "1", "!"]
        assert "2 problem" in str(screen.query_one("#build-totals").content)


async def test_undo_and_redo(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        original = format_text(app.network.spec)
        await pilot.press("down", "x")
        await pilot.pause()
        deleted = format_text(app.network.spec)
        assert deleted != original and len(app.network.spec["layers"]) == 12
        await pilot.press("K")  # move layer 0 up: nothing above it, no change
        await pilot.press("u")
        assert format_text(app.network.spec) == original
        await pilot.press("r")
        assert format_text(app.network.spec) == deleted
        await pilot.press("D")
        assert len(app.network.spec["layers"]) == 13
        await pilot.press("u", "u")
        assert format_text(app.network.spec) == original
        assert screen.history == []


async def test_save_refuses_to_overwrite_without_confirmation(tmp_path):
    target = tmp_path / "net.json"
    target.write_text("precious")
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "precious"
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        saved = json.loads(target.read_text())
        assert saved == app.network.spec
        assert not list(tmp_path.glob(".net.json.*"))  # no temporary file left behind


async def test_opening_a_corrupt_file_reports_it_and_keeps_the_network(tmp_path):
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"input": [1, 28, 28], "layers": [')
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, app)
        before = app.network
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("Input").value = str(corrupt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.network is before
        assert any("corrupt.json: line 1 column" in n.message for n in app._notifications)


async def test_text_form_dialog_points_at_the_bad_token_and_applies(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        field = app.screen.query_one("Input")
        field.value = "in 1x28x28 | conv 6 k5 q3"
        await pilot.pause()
        error = str(app.screen.query_one(".dialog-error", Static).render())
        assert "'q3' is not an option of conv" in error
        assert error.splitlines()[0].index("^") == len("in 1x28x28 | conv 6 k5 ")
        await pilot.press("enter")
        assert isinstance(app.screen, PromptDialog)  # not applied while wrong
        field.value = "in 1x28x28 | conv 6 k5 p2 | relu | maxpool 2 | flatten | linear 10"
        await pilot.press("enter")
        await pilot.pause()
        assert table_rows(screen)[5][2] == "10"
        assert app.network.spec["layers"][0] == {"type": "conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}


async def test_compare_highlights_the_parameters_gap_saves(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        app.load_network("tinyvgg")
        await pilot.press("M")
        app.load_network("tinyvgg-gap")
        await pilot.press("m")
        await pilot.pause()
        table = screen.query_one("#build-compare", DataTable)
        assert table.display
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[10][1].startswith("flatten") and rows[10][4].startswith("global_avg_pool")
        # (1690 + 1)*5 = 8,455 against (10 + 1)*5 = 55
        assert rows[11][2] == "8,455" and rows[11][5] == "55" and rows[11][7] == "-8,400"
        assert rows[-1][7] == "-8,400"


async def test_try_it_selects_the_layer_and_shows_its_derivation(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.try_it({"mode": "build", "preset": "tinyvgg", "layer": 11})
        screen = await start(pilot, app)
        assert screen.selected_index() == 11
        assert "params = (1690 + 1)*5 = 8455" in side_text(screen)


# -- the pieces behind the screen ------------------------------------------------------

@pytest.mark.parametrize("name", preset_names())
def test_text_form_round_trips_every_preset(name):
    spec = Network.load(name).to_dict()
    again = parse(format_text(spec))
    assert format_text(again) == format_text(spec)
    original, parsed = analyze(spec), analyze(again)
    assert [r.output_shape for r in parsed] == [r.output_shape for r in original]
    assert parsed.total_params == original.total_params


@pytest.mark.parametrize(("text", "token"), [("conv 6 k5", "conv"), ("in 1x28 | relu", "1x28"),
                                             ("in 1x8x8 | cnv 6 k3", "cnv"), ("in 1x8x8 | relu || relu", "|"),
                                             ("in 1x8x8 | maxpool", "maxpool"), ("in 1x8x8 | linear ten", "ten")])
def test_text_form_errors_point_at_the_token(text, token):
    with pytest.raises(TextFormError) as caught:
        parse(text)
    assert caught.value.token == token
    assert text[caught.value.position:].startswith(token)


@pytest.mark.parametrize("name", preset_names())
def test_exported_pytorch_code_is_python_with_matching_modules(name):
    spec = Network.load(name).to_dict()
    tree = ast.parse(to_pytorch(spec))
    sequential = next(node for node in ast.walk(tree) if isinstance(node, ast.Call)
                      and ast.unparse(node.func) == "nn.Sequential" and len(node.args) == len(spec["layers"]))
    summary = analyze(spec)
    names = {"conv2d": "nn.Conv2d", "linear": "nn.Linear", "relu": "nn.ReLU", "maxpool2d": "nn.MaxPool2d",
             "avgpool2d": "nn.AvgPool2d", "flatten": "nn.Flatten", "softmax": "nn.Softmax",
             "global_avg_pool": "nn.Sequential"}
    for module, record in zip(sequential.args, summary):
        assert ast.unparse(module.func) == names[record.type]
        if record.type in ("conv2d", "linear"):
            in_size, out_size = (ast.literal_eval(a) for a in module.args[:2])
            assert in_size == record.input_shape[0] and out_size == record.output_shape[0]
    ast.parse(to_keras(spec))


def test_field_values_and_bars():
    assert field_value("pair", "3x5") == [3, 5] and field_value("pair", "3") == 3
    assert field_value("bool", "no") is False and field_value("number", "0.2") == 0.2
    assert field_value("pair", "2.5") == "2.5"  # left as text so the engine reports it
    assert share_bar(0.5, ascii_only=True) == "###" and share_bar(1.0, ascii_only=False) == "██████"
