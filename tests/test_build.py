"""Build mode, driven by keys: building, invalid values, undo, files, compare, text form and export."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from cnntui.core import Network, analyze, preset_names
from cnntui.core.export import to_keras, to_pytorch
from cnntui.core.templates import TEMPLATE_NAMES
from cnntui.core.textform import TextFormError, format_text, parse
from cnntui.tui.screens.build import BuildScreen
from cnntui.tui.screens.build_text import BUILD_ORDER, field_value, pack_text_form, share_bar
from cnntui.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from cnntui.tui.widgets.table import LayerTable
from test_app import make_app, until

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


async def conv_then_relu(pilot, app) -> BuildScreen:
    """A new network of a 4-filter 3x3 conv and a ReLU, the ReLU selected."""
    await pilot.press("n")
    screen = await start(pilot, app)
    await add_layer(pilot, "conv2d", {"out_channels": "4", "kernel_size": "3"})
    await add_layer(pilot, "relu", {})
    return screen


async def add_layer(pilot, kind: str, fields: dict[str, str]) -> None:
    """Add ``kind`` as a learner would: type its name to narrow the list, Enter takes the first match."""
    from cnntui.core import LAYER_TYPES

    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoiceDialog)
    await pilot.press(*kind, "enter")
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
        screen = await conv_then_relu(pilot, app)
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
        weights = saved.pop("weights")  # copied beside the file (see the test below)
        assert saved == {key: value for key, value in app.network.spec.items() if key != "weights"}
        assert weights == Path(app.network.spec["weights"]).name and (tmp_path / weights).is_file()
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
        # the text form says nothing of the details: they stay; the old weights do not fit the new layers
        spec = app.network.spec
        assert spec["name"] == "lenet5" and spec["classes"][9] == "9" and "LeNet-5" in spec["description"]
        assert "weights" not in spec


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
        # a flatten where the other has global_avg_pool: compared by kind, the fully connected row shows
        # (1690 + 1)*10 = 16,910 against (10 + 1)*10 = 110
        assert rows[2][0] == "linear (FC)" and rows[2][2] == "16,910" and rows[2][5] == "110" and rows[2][7] == "-16,800"
        assert rows[-1][7] == "-16,800"


async def test_try_it_selects_the_layer_and_shows_its_derivation(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.try_it({"mode": "build", "preset": "tinyvgg", "layer": 11})
        screen = await start(pilot, app)
        await until(pilot, lambda: screen.selected_index() == 11)  # the preset loads, then the row is selected
        await until(pilot, lambda: "params = (1690 + 1)*10 = 16910" in side_text(screen))


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


PLAIN_PRESETS = [name for name in preset_names() if not analyze(Network.load(name).to_dict()).blocks]


@pytest.mark.parametrize("name", PLAIN_PRESETS)  # block networks: tests/test_export_blocks.py
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
    assert field_value("bool", "否") is False and field_value("bool", "y") is True  # as the Chinese hint says


# -- reaching everything at 80x24, the dialogs, the network's details ----------------------

def inside_screen(app, widget) -> bool:
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= app.size.height


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_export_dialog_keeps_its_key_line_and_scrolls_the_code_both_ways(tmp_path, size):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=size) as pilot:
        await start(pilot, app)
        await pilot.press("E")
        await until(pilot, lambda: app.screen.query(".dialog-code"))
        code = app.screen.query_one(".dialog-code")
        await until(pilot, lambda: code.max_scroll_y > 0)
        assert inside_screen(app, app.screen.query_one(".dialog-hint")), "the key line is always shown"
        assert "PageUp/PageDown" in str(app.screen.query_one(".dialog-hint").render())
        assert code.max_scroll_x > 0, "long lines scroll sideways"
        await pilot.press("end")
        await until(pilot, lambda: code.scroll_y == code.max_scroll_y)
        await pilot.press("right", "right", "right")
        await until(pilot, lambda: code.scroll_x > 0)
        assert inside_screen(app, app.screen.query_one(".dialog-hint"))
        await pilot.press("k")  # Keras is longer still, and scrolls the same way
        await pilot.press("pageup")
        await until(pilot, lambda: code.scroll_y < code.max_scroll_y)


def test_the_exported_loading_comment_names_the_networks_own_weights():
    from cnntui.core.assets import find_network, read_json

    lenet5 = to_pytorch(read_json(find_network("lenet5")))  # its "weights" is ../weights/lenet5-digits.npz
    assert "np.load('lenet5-digits.npz')" in lenet5 and "W.npz" not in lenet5
    plain = to_pytorch(read_json(find_network("mlp")))  # no weights of its own
    assert "np.load('W.npz')" in plain and "--save-weights W.npz" in plain


def preset_json_descriptions() -> dict[str, str]:
    from cnntui.core.assets import find_network, read_json

    return {name: read_json(find_network(name))["description"] for name in preset_names()}


def test_every_preset_description_is_in_both_languages_and_english_matches_the_file():
    from cnntui.content import catalog

    english, chinese = catalog("en"), catalog("zh")
    for name, description in preset_json_descriptions().items():
        assert english[f"preset.description.{name}"] == description
        assert any("\u4e00" <= char <= "\u9fff" for char in chinese[f"preset.description.{name}"]), name


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_preset_dialog_shows_the_highlighted_description_whole(tmp_path, language):
    from cnntui.content import catalog

    app = make_app(tmp_path, mode="build", language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, app)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        details = app.screen.query_one(".dialog-details", Static)
        names = preset_names()  # the dialog lists them in this order
        for presses, name in ((names.index("alexnet"), "alexnet"),
                              (names.index("lenet5") - names.index("alexnet"), "lenet5")):
            await pilot.press(*["down"] * presses)
            await pilot.pause()
            expected = catalog(language)[f"preset.description.{name}"]
            assert str(details.render()).replace("\n", "").replace(" ", "") == expected.replace(" ", "")
            assert details.region.height >= 3 and inside_screen(app, details), "wrapped over several lines"
        assert inside_screen(app, app.screen.query_one(".dialog-hint"))
        await pilot.press("enter")
        await until(pilot, lambda: app.network.name == "lenet5")


async def test_the_preset_list_narrows_as_you_type_and_enter_loads_the_one_left(tmp_path):
    """With seventeen presets, typing "resnet" used to move nothing, and Enter loaded the first preset."""
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, app)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        options = app.screen.query_one("OptionList")
        ids = lambda: [options.get_option_at_index(i).id for i in range(options.option_count)]  # noqa: E731
        assert set(ids()) == set(app.preset_names())
        await pilot.press(*"resnet")
        await until(pilot, lambda: ids() == ["resnet18", "resnet34", "resnet50"])
        await pilot.press(*"34", "enter")
        await until(pilot, lambda: app.network.name == "resnet34")


async def test_the_add_layer_list_is_in_build_order_and_narrows_as_you_type(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("n", "a")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        options = app.screen.query_one("OptionList")

        def ids():
            return [options.get_option_at_index(i).id for i in range(options.option_count)]

        assert ids() == [*BUILD_ORDER, *(f"template:{name}" for name in TEMPLATE_NAMES)] and ids()[0] == "conv2d"
        assert app.focused is app.screen.query_one(".dialog-filter"), "typing goes to the filter"
        await pilot.press(*"pool")
        await until(pilot, lambda: ids() == ["maxpool2d", "avgpool2d", "adaptive_avg_pool2d", "global_avg_pool"])
        await pilot.press(*" avg")
        await until(pilot, lambda: ids() == ["avgpool2d", "adaptive_avg_pool2d", "global_avg_pool"])
        await pilot.press("down", "up", "down", "down")  # the arrows move the choice while typing goes on in the filter
        await pilot.press("enter")
        await until(pilot, lambda: screen.spec.get("layers"))
        assert screen.spec["layers"][0]["type"] == "global_avg_pool"
        await pilot.press("a", *"nothing like it", "enter")  # no match: Enter adds nothing
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and app.screen.query_one("OptionList").option_count == 0
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert len(screen.spec["layers"]) == 1


def text_line(screen) -> list[str]:
    return screen.query_one("#build-text").text.plain.splitlines()


async def test_the_text_line_wraps_between_layers_and_scrolls_when_long(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        panel = screen.query_one("#build-text")
        whole = format_text(app.network.spec)
        lines = text_line(screen)
        assert len(lines) == 2 and " ".join(lines) == whole  # lenet5 fits in two rows at 80 columns
        assert all(len(line) <= panel.content_region.width for line in lines)
        assert all(line.endswith(" |") for line in lines[:-1]), "a line breaks between two layers"
        app.load_network("vgg16")
        await until(pilot, lambda: " ".join(text_line(screen)) == format_text(app.network.spec))
        await until(pilot, lambda: panel.max_scroll_y > 0)
        assert panel.region.height == 2
        await pilot.press("shift+tab")  # from the table up to the text line
        assert app.focused is panel
        await pilot.press("down")
        await until(pilot, lambda: panel.scroll_y == 1)
        await pilot.press("pagedown", "pagedown", "pagedown")
        await until(pilot, lambda: panel.scroll_y == panel.max_scroll_y)


def test_the_text_form_is_packed_without_splitting_a_layer():
    text = "in 1x32x32 | conv 6 k5 | relu | avgpool 2 | linear 10"
    assert pack_text_form(text, 30) == ["in 1x32x32 | conv 6 k5 |", "relu | avgpool 2 | linear 10"]
    assert pack_text_form(text, 200) == [text]
    assert pack_text_form("in 1x28x28", 5) == ["in 1x28x28"]  # too long for any line: a line of its own


async def test_the_fully_connected_comparison_can_be_scrolled_to(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("down")  # conv 0: formulas, then the comparison with a fully connected layer
        panel = screen.query_one("#build-derivation")
        await until(pilot, lambda: "weight sharing" in side_text(screen) and panel.max_scroll_y > 0)
        await pilot.press("tab")
        assert app.focused is panel
        await pilot.press("pagedown")
        await until(pilot, lambda: panel.scroll_y == panel.max_scroll_y)
        shown = [panel.render_line(y).text for y in range(panel.size.height)]
        assert any("weight sharing" in line for line in shown), shown


async def test_name_description_and_classes_are_edited_and_undone(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("d")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "field-name")
        assert app.focused.value == "lenet5"
        await type_into_field(pilot, "name", "[bold red]x")
        await type_into_field(pilot, "description", "my first CNN")
        await type_into_field(pilot, "classes", "zero, one,two")
        await pilot.press("enter")
        await until(pilot, lambda: screen.editing is None)
        spec = app.network.spec
        assert (spec["name"], spec["description"]) == ("[bold red]x", "my first CNN")
        assert spec["classes"] == ["zero", "one", "two"]
        assert app.network.name == "[bold red]x"
        assert "1 problem" in str(screen.query_one("#build-totals").content)  # 10 outputs, 3 class names
        assert "[bold red]x" in str(screen.query_one("TopBar").render())
        await pilot.press("d")  # the form shows the markup-like name as typed
        await until(pilot, lambda: app.focused is not None and app.focused.id == "field-name")
        assert app.focused.value == "[bold red]x"
        await pilot.press("escape")
        await pilot.press("u")  # the whole form session is one undo step
        await until(pilot, lambda: app.network.spec.get("name") == "lenet5")
        assert "classes" in app.network.spec and app.network.spec["classes"][0] == "0"
        assert "my first CNN" not in json.dumps(app.network.spec)


async def test_saving_an_untitled_network_names_it_after_the_file(tmp_path):
    target = tmp_path / "mylenet.json"
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("n", "s")
        await until(pilot, lambda: isinstance(app.screen, PromptDialog))
        assert app.screen.query_one("Input").value == "untitled.json"
        app.screen.query_one("Input").value = str(target)
        await pilot.press("enter")
        await until(pilot, target.exists)
        assert json.loads(target.read_text())["name"] == "mylenet"
        assert app.network.name == "mylenet"
        await pilot.press("u")  # naming it is an edit like any other
        await until(pilot, lambda: app.network.spec.get("name") == "untitled")
        assert screen.future


async def test_chinese_form_labels_and_yes_no(tmp_path):
    app = make_app(tmp_path, mode="build", language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("down", "e")  # conv 0
        await until(pilot, lambda: screen.query(".form-label"))
        labels = [str(label.render()) for label in screen.query(".form-label")]
        assert "步长 stride" in labels and "偏置 bias" in labels
        bias = screen.query_one("#field-bias")
        assert bias.placeholder == "是/否（y/n）"
        await type_into_field(pilot, "bias", "否")
        await until(pilot, lambda: app.network.spec["layers"][0].get("bias") is False)
        await pilot.press("escape", "e")
        await until(pilot, lambda: screen.query("#field-bias"))
        assert screen.query_one("#field-bias").value == "否"


async def test_markup_like_text_shows_as_typed_in_builds_dialogs(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PromptDialog))
        hint = str(app.screen.query_one(".dialog-hint").render())
        assert "[sS]" in hint and "[nobias]" in hint and "[SLOPE]" in hint  # the grammar, not markup
        await pilot.press("escape")
        screen.change({**screen.edited_copy(), "name": "[bold red]x"})
        await pilot.press("M")
        screen.change({**screen.edited_copy(), "name": "[i]y"})
        await pilot.press("m")
        table = screen.query_one("#build-compare", DataTable)
        await until(pilot, lambda: table.display and table.columns)
        caption = screen.query_one("#build-totals").content  # which network is A and B, in place of the totals
        assert "A = [bold red]x, B = [i]y:" in caption
        assert any("[bold red]x" in n.message for n in app._notifications)  # "Pinned [bold red]x."


async def test_help_opens_at_the_section_of_the_mode_it_is_called_from(tmp_path):
    for mode in ("build", "train"):
        app = make_app(tmp_path, mode=mode)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current_mode == mode and app.screen.query("KeyBar"))
            await pilot.press("question_mark")
            await until(pilot, lambda: getattr(app.screen, "ready", False))
            scroll = app.screen.query_one("#help")
            section = app.screen.query_one(f"#help-{mode}")
            assert scroll.scroll_y > 0
            top = section.region.y - section.styles.margin.top
            assert top == scroll.content_region.y, "the mode's section starts at the top"


def test_the_formulas_words_are_in_the_readers_language():
    from cnntui.content import text
    from cnntui.tui.screens.build_text import formula_words

    def words(language):
        return lambda key, **args: text(language, key, **args)

    line = "RF_h = 1 + (5-1)*1 = 5, jump_h = 1*1 = 1"
    assert formula_words(words("en"), line) == line
    assert formula_words(words("zh"), line) == "感受野_h = 1 + (5-1)*1 = 5, 跳距_h = 1*1 = 1"
    assert formula_words(words("zh"), "FC equivalent = (1*32*32 + 1)*(6*28*28) = 4821600").startswith("等价全连接参数 = (1")
    assert formula_words(words("zh"), "RF = whole input, 5x5") == "感受野 = 整个输入, 5x5"


async def test_a_saved_preset_finds_its_weights_and_an_edited_one_drops_them(tmp_path):
    from cnntui.core import Network

    unchanged, edited = tmp_path / "kept.json", tmp_path / "edited.json"
    app = make_app(tmp_path, mode="build")  # lenet5, which names its trained weights
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        assert app.network.spec["weights"] == "../weights/lenet5-digits.npz"
        screen.save_to(str(unchanged))
        await until(pilot, unchanged.exists)
        saved = json.loads(unchanged.read_text())
        # A network file names only weights in its own folder: the trained weights are copied beside it.
        assert saved["weights"] == "lenet5-digits.npz"
        assert (tmp_path / "lenet5-digits.npz").read_bytes() == Network.load("lenet5").shipped_weights.read_bytes()
        assert Network.load(str(unchanged)).shipped_weights == tmp_path / "lenet5-digits.npz"
        spec = screen.edited_copy()
        spec["layers"][0]["out_channels"] = 8
        screen.change(spec)  # the trained weights no longer fit
        assert "weights" not in app.network.spec
        screen.save_to(str(edited))
        await until(pilot, edited.exists)
        assert "weights" not in json.loads(edited.read_text())
        await pilot.press("u")
        await until(pilot, lambda: "weights" in app.network.spec)  # undo brings them back with the layers


async def test_enter_closes_the_form_after_typing_a_new_layer_type(tmp_path):
    """Typing a type rebuilds the form for that type's fields; the type field keeps the focus, so Enter closes it."""
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await conv_then_relu(pilot, app)
        await pilot.press("e")
        await until(pilot, lambda: screen.editing == ("layers", 1) and screen.query("#field-type"))
        await type_into_field(pilot, "type", "sigmoid")
        await until(pilot, lambda: app.network.spec["layers"][1]["type"] == "sigmoid")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "field-type")  # the new form's
        await pilot.press("enter")
        await until(pilot, lambda: screen.editing is None)
        assert app.network.spec["layers"][1] == {"type": "sigmoid"}
