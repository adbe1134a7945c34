"""Build's compare across architectures: entry by entry when the top levels match, by kind of layer when
they do not, always within 80 columns, with the differing cells highlighted."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable

from cnntui.content import text
from cnntui.core import analyze
from cnntui.core.assets import find_network
from cnntui.render.text import cell_width
from cnntui.tui.screens.build_compare import (
    BY_ENTRY,
    BY_KIND,
    DIFFERS,
    compare_caption,
    compare_columns,
    compare_mode,
    compare_rows,
    weighted_depth,
)
from test_app import make_app, until
from test_build import start


def words(language: str = "en"):
    return lambda key, **args: text(language, key, **args)


def summary(name: str):
    return analyze(json.loads(find_network(name).read_text(encoding="utf-8")))


def plain(rows) -> list[list[str]]:
    return [[str(cell) for cell in row] for row in rows]


def highlighted(row) -> set[int]:
    return {i for i, cell in enumerate(row) if getattr(cell, "style", "") == DIFFERS}


def test_resnet18_against_resnet34_block_by_block():
    a, b = summary("resnet18"), summary("resnet34")
    assert compare_mode(a, b) == BY_ENTRY
    rows = compare_rows(a, b, words())
    cells = plain(rows)
    assert [row[0] for row in cells] == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                                         "avgpool", "flatten", "fc", "total"]
    # layer1: ResNet-18's two basic blocks of 2*(64*64*9 + 2*64) = 73,984 against ResNet-34's three
    assert cells[4] == ["layer1", "64x56x56", "147,968", "462.42M", "221,952", "693.63M", "+73,984"]
    assert highlighted(rows[4]) == {2, 3, 4, 5} and highlighted(rows[0]) == set()
    assert cells[10][2] == cells[10][4] == "513,000" and cells[10][6] == "0"
    assert cells[-1] == ["total", "", "11.69M", "1.81G", "21.80M", "3.66G", "+10.11M"]
    caption = compare_caption("resnet18", "resnet34", BY_ENTRY, words())
    assert caption.startswith("A = resnet18, B = resnet34: the same entries in the same order")


def test_a_tweaked_lenet5_entry_by_entry_shows_both_shapes_where_they_differ():
    spec = json.loads(find_network("lenet5").read_text(encoding="utf-8"))
    tweaked = json.loads(json.dumps(spec))
    tweaked["layers"][0]["out_channels"] = 8  # 8 filters of 1*5*5 + 1 = 208 parameters, not 6's 156
    a, b = analyze(spec), analyze(tweaked)
    assert compare_mode(a, b) == BY_ENTRY
    rows = compare_rows(a, b, words())
    first = plain(rows)[0]
    assert first[:3] == ["0 conv", "6x28x28/8x28x28", "156"] and first[4] == "208" and first[6] == "+52"
    assert highlighted(rows[0]) == {1, 2, 3, 4, 5}


def test_vgg16_against_resnet18_by_kind_with_the_fc_share_and_depth():
    a, b = summary("vgg16"), summary("resnet18")
    assert compare_mode(a, b) == BY_KIND
    rows = compare_rows(a, b, words())
    cells = {row[0]: row for row in plain(rows)}
    # VGG-16: 13 convs of 14,714,688 parameters; its three FC layers 102,764,544 + 16,781,312 + 4,097,000
    # = 123,642,856 of 138,357,544 (89.4%). ResNet-18: 20 convs (17 on the main path and 3 downsamples),
    # 20 batch norms of 2*C, one FC of 513,000 (4.4% of 11,689,512).
    assert cells["convolution"][1:4] == ["13", "14.71M", "15.35G"] and cells["convolution"][4] == "20"
    assert cells["batch norm"][1] == "0" and cells["batch norm"][4:6] == ["20", "9,600"]
    assert cells["linear (FC)"][1:3] == ["3", "123.64M"] and cells["linear (FC)"][4:6] == ["1", "513,000"]
    assert cells["linear (FC)"][7] == "-123.13M"
    assert cells["FC share"][2] == "89.4%" and cells["FC share"][5] == "4.4%"
    assert cells["depth"][1] == "16" and cells["depth"][4] == "18"
    assert cells["total"][2] == "138.36M" and cells["total"][5] == "11.69M" and cells["total"][7] == "-126.67M"
    assert highlighted(rows[0]) == {1, 2, 3, 4, 5, 6}
    assert [weighted_depth(summary(name)) for name in ("resnet34", "resnet50", "googlenet")] == [34, 50, 22]
    zh = {row[0]: row for row in plain(compare_rows(a, b, words("zh")))}
    assert zh["FC 占比"][2] == "89.4%" and zh["深度"][4] == "18"
    assert "按层的种类对比" in compare_caption("vgg16", "resnet18", BY_KIND, words("zh"))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_comparison_fits_80_columns(language):
    pairs = [("vgg16", "resnet18"), ("resnet18", "resnet34"), ("alexnet", "densenet121"), ("lenet5", "lenet5")]
    for first, second in pairs:
        a, b = summary(first), summary(second)
        mode = compare_mode(a, b)
        labels = [str(label) for label in compare_columns(mode, words(language))]
        table = [labels, *plain(compare_rows(a, b, words(language)))]
        widths = [max(cell_width(cell) for cell in column) for column in zip(*table)]
        # with cell padding, within the table at 80x24 (78 columns) and beside the side panel at 120x40 (72)
        assert sum(widths) + 2 * len(widths) <= 72, (first, second, widths)


@pytest.mark.parametrize("size, language", [((80, 24), "en"), ((120, 40), "zh")])
async def test_pin_vgg16_and_compare_resnet18_in_the_app(tmp_path, size, language):
    app = make_app(tmp_path, mode="build", language=language)
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot, app)
        app.load_network("vgg16")
        await until(pilot, lambda: screen.spec.get("name") == "vgg16")
        await pilot.press("M")
        app.load_network("resnet18")
        await until(pilot, lambda: screen.spec.get("name") == "resnet18")
        await pilot.press("m")
        table = screen.query_one("#build-compare", DataTable)
        await until(pilot, lambda: table.display and table.row_count == 7)
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no sideways scrolling
        caption = screen.query_one("#build-totals").content
        depth = "深度" if language == "zh" else "depth"
        assert caption.startswith("A = vgg16") and depth in caption
        shares = [str(cell) for cell in table.get_row_at(3)]
        assert shares[2] == "89.4%" and shares[5] == "4.4%"
        await pilot.press("m")  # back to the table: the totals line is the current network's again
        await until(pilot, lambda: not table.display)
        assert "11,689,512" in screen.query_one("#build-totals").content


def test_a_network_broken_mid_edit_compares_by_kind_with_the_layers_the_engine_read():
    """The FC share is Learn's measure (learn/architectures.py), which must read a network with problems."""
    broken = analyze({"input": [1, 8, 8], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 9},
                                                     {"type": "flatten"}, {"type": "linear", "out_features": 3}]})
    rows = compare_rows(summary("vgg16"), broken, words())
    cells = {row[0]: row for row in plain(rows)}
    assert cells["FC share"][2] == "89.4%" and cells["FC share"][5] == "-"
    assert cells["linear (FC)"][4:6] == ["1", "0"]
