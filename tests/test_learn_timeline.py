"""Learn's architecture timeline: landmark CNNs measured from their presets, and the claim "the fully
connected layers usually hold the most parameters" judged on those figures.

Every expected figure here is summed from the engine's per-step records by type, or worked out by
hand (NiN), never taken from cnntui.learn.architectures, which is what is under test.
"""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets._markdown import MarkdownTableCellContents, MarkdownTableContent

from cnntui.core import analyze
from cnntui.learn.architectures import Architecture, Timeline
from cnntui.learn.examples import preset_spec
from cnntui.learn.pages import load_pages
from cnntui.learn.render import Renderer
from cnntui.render.text import cell_width, compact
from cnntui.tui.widgets.links import LinkBar
from test_app import make_app, until
from test_learn import table_rows, wait_for_page

PAGE = "architecture-timeline"
# The networks the issue names, with the year each is known by.
NETWORKS = {"lenet5": 1998, "alexnet": 2012, "nin": 2013, "vgg16": 2014, "googlenet": 2014, "resnet18": 2015,
            "resnet50": 2015, "densenet121": 2017, "mobilenet_v2": 2018}
# Learn's page pane at 80 columns: 80 less the list (22) and the page's scroll bar (2).
PANE_AT_80 = 56


def page_setup() -> list[dict]:
    return load_pages()[PAGE].example["setup"]["timeline"]


def by_hand(preset: str) -> dict:
    """A preset's figures summed from its steps: every step's parameters and MACs, and those of the
    linear (fully connected) steps."""
    steps = analyze(preset_spec(preset)).layers
    linear = [step for step in steps if step.type == "linear"]
    params = sum(step.params for step in steps)
    return {"params": params, "macs": sum(step.macs for step in steps),
            "fc_params": sum(step.params for step in linear),
            "fc_share": 100 * sum(step.params for step in linear) / params}


def verdict_block() -> dict:
    return next(block["verdict"] for block in load_pages()[PAGE].example["blocks"] if "verdict" in block)


def fake_row(name: str, params: int, fc_params: int, year: int = 2000) -> Architecture:
    return Architecture(input=(3, 8, 8), params=params, macs=params, fc_params=fc_params, fc_macs=fc_params,
                        first_fc_inputs=None, first_fc_outputs=None, first_fc_params=0, preset=name.lower(),
                        name=name, year=year)


def verdict_text(timeline: Timeline, language: str) -> str:
    renderer = Renderer(load_pages()[PAGE], language)
    renderer.namespace = {"timeline": timeline}
    return renderer.verdict(verdict_block())


# -- the figures -----------------------------------------------------------------------------

def test_the_page_measures_the_nine_networks_in_order_of_year():
    setup = page_setup()
    assert {entry["preset"]: entry["year"] for entry in setup} == NETWORKS
    rows = Timeline.from_setup(setup).rows
    assert [row.year for row in rows] == sorted(NETWORKS.values())
    assert [row.preset for row in rows][:3] == ["lenet5", "alexnet", "nin"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_row_shows_the_presets_own_figures(language):
    text = Renderer(load_pages()[PAGE], language).markdown()
    timeline = Timeline.from_setup(page_setup())
    for entry in page_setup():
        expected = by_hand(entry["preset"])
        row = getattr(timeline, entry["preset"])
        assert (row.params, row.macs, row.fc_params) == (expected["params"], expected["macs"], expected["fc_params"])
        assert table_rows(text, entry["name"])[0] == [
            entry["name"], str(entry["year"]), compact(expected["params"]), compact(expected["macs"]),
            f"{expected['fc_share']:.1f}%"]


def test_the_classic_heads_hold_most_parameters_and_the_pooled_ones_do_not():
    shares = {preset: by_hand(preset)["fc_share"] for preset in NETWORKS}
    assert {preset for preset, share in shares.items() if share > 50} == {"lenet5", "alexnet", "vgg16"}
    assert shares["nin"] == 0 and max(shares[p] for p in ("googlenet", "resnet18", "resnet50", "densenet121")) < 20


def test_nin_has_the_parameters_worked_out_by_hand():
    # Four mlpconv blocks: a k x k convolution, then two 1x1 ones; a convolution has (k*k*C_in + 1) * C_out
    # parameters. The last block's second 1x1 convolution gives one map per class. No linear layer.
    worked_out = ((11 * 11 * 3 + 1) * 96 + (96 + 1) * 96 + (96 + 1) * 96
               + (5 * 5 * 96 + 1) * 256 + (256 + 1) * 256 + (256 + 1) * 256
               + (3 * 3 * 256 + 1) * 384 + (384 + 1) * 384 + (384 + 1) * 384
               + (3 * 3 * 384 + 1) * 1024 + (1024 + 1) * 1024 + (1024 + 1) * 1000)
    assert worked_out == 7_595_176
    summary = analyze(preset_spec("nin"))
    assert summary.problems == [] and summary.total_params == worked_out
    types = [step.type for step in summary.layers]
    assert types.count("conv2d") == 12 and "linear" not in types
    # 224 -> (224 - 11) / 4 + 1 = 54 -> pool 26 -> 26 -> pool 12 -> 12 -> pool 5; then one 5x5 map per class
    assert summary.record_at(("layers", 7)).output_shape == (1000, 5, 5) and summary.output_shape == (1000,)
    description = preset_spec("nin")["description"]
    assert "no torchvision twin" in description and "d2l" in description


# -- the verdict -----------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "heavy", "light"), [
    ("en", "true for LeNet-5, AlexNet and VGG-16 (3 of 9)", "False for NiN, GoogLeNet,"),
    ("zh", "对 LeNet-5、AlexNet 和 VGG-16 成立（9 个中的 3 个）", "对 NiN、GoogLeNet、")])
def test_the_verdict_names_the_networks_whose_shares_are_over_half(language, heavy, light):
    text = Renderer(load_pages()[PAGE], language).markdown()
    assert heavy in text and light in text
    lowest_heavy = min(by_hand(p)["fc_share"] for p in ("lenet5", "alexnet", "vgg16"))
    highest_light = max(by_hand(p)["fc_share"] for p in NETWORKS if p not in ("lenet5", "alexnet", "vgg16"))
    assert f"{lowest_heavy:.1f}%" in text and f"{highest_light:.1f}%" in text


# How each verdict sentence begins, for the made-up tables below.
VERDICT_STARTS = {
    "en": {"heavy": "Verdict: true for Heavy (1 of 2)", "lean": "Verdict: true for Lean (1 of 2)",
           "all": "Verdict: true for all 2 networks", "none": "Verdict: false for all 2 networks"},
    "zh": {"heavy": "判断：对 Heavy 成立（2 个中的 1 个）", "lean": "判断：对 Lean 成立（2 个中的 1 个）",
           "all": "判断：对全部 2 个网络都成立", "none": "判断：对全部 2 个网络都不成立"},
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_verdict_follows_the_shares_of_a_made_up_table(language):
    starts = VERDICT_STARTS[language]
    lean, heavy, medium = fake_row("Lean", 1000, 100), fake_row("Heavy", 1000, 900), fake_row("Medium", 1000, 600)
    both = verdict_text(Timeline([lean, heavy]), language)
    assert both.startswith(starts["heavy"]) and "10.0%" in both and "90.0%" in both
    flipped = Timeline([dataclasses.replace(lean, fc_params=700), dataclasses.replace(heavy, fc_params=50)])
    assert verdict_text(flipped, language).startswith(starts["lean"])
    every = verdict_text(Timeline([heavy, medium]), language)
    assert every.startswith(starts["all"]) and "60.0%" in every and "Medium" in every
    # exactly half is not "the most"
    none = verdict_text(Timeline([lean, fake_row("Half", 1000, 500)]), language)
    assert none.startswith(starts["none"]) and "50.0%" in none and "Half" in none


def test_a_verdict_without_a_sentence_for_each_case_is_a_content_problem():
    from cnntui.learn.pages import Page
    from cnntui.learn.render import problems

    sentence = {"en": "Verdict: {heavy}.", "zh": "判断：{heavy}。"}
    page = Page("bad", "relations", {"en": "Bad", "zh": "坏"}, {"en": "d", "zh": "d"},
                example={"setup": {"timeline": [{"preset": "lenet5", "name": "LeNet-5", "year": 1998}]},
                         "blocks": [{"verdict": {"timeline": "timeline", "all": sentence, "some": sentence}}]})
    assert "bad: text without both languages: {}" in problems({"bad": page})


# -- the page --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_table_fits_the_page_pane_at_80_columns(language):
    text = Renderer(load_pages()[PAGE], language).markdown()
    lines = [line for line in text.splitlines() if line.startswith("|") and not line.startswith("|---")]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    assert len(cells) == 1 + len(NETWORKS)
    widths = [max(cell_width(row[column]) for row in cells) for column in range(len(cells[0]))]
    # each cell has a space either side, and a border before every column and after the last
    assert sum(widths) + 3 * len(widths) + 1 <= PANE_AT_80, widths


def test_the_page_is_linked_from_the_pages_about_its_claim():
    pages = load_pages()
    for page_id in ("fully-connected-layer", "global-average-pooling", "relations", "cmp-conv-fc"):
        assert PAGE in pages[page_id].related, page_id
    start = " ".join(block["text"]["en"] for block in pages["start"].explanation if "text" in block)
    assert f"[[{PAGE}|" in start
    assert pages[PAGE].kind == "relations" and pages[PAGE].try_it == {"mode": "build", "preset": "nin"}


@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")])
async def test_the_page_opens_with_every_cell_of_the_table_whole(tmp_path, size, language):
    app = make_app(tmp_path, language=language)
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_page(pilot, app, "start", language)
        await pilot.press("slash", *"timeline", "enter")
        await wait_for_page(pilot, app, PAGE, language)
        await until(pilot, lambda: len(screen.query(MarkdownTableCellContents)) == 5 * (1 + len(NETWORKS)),
                    "the table's cells mounted")
        table = screen.query_one(MarkdownTableContent)
        await until(pilot, lambda: table.size.width > 0, "the table laid out")
        assert table.region.right <= screen.query_one("#learn-scroll").content_region.right
        cells = list(screen.query(MarkdownTableCellContents))
        texts = [cell.render().plain for cell in cells]
        assert "DenseNet-121" in texts and "MobileNetV2" in texts and "0.0%" in texts
        cut = [text for cell, text in zip(cells, texts) if cell_width(text) > cell.content_region.width]
        assert cut == [], cut
        # Its try-it link, the last (Left from the first wraps round to it), opens NiN in Build.
        bar = screen.query_one(LinkBar)
        assert bar.links[-1].target == "try:"
        bar.focus()
        await pilot.press("left", "enter")
        await until(pilot, lambda: app.current_mode == "build" and app.network.source == "nin", "NiN in Build")


# -- the same figures in the CLI -------------------------------------------------------------

def test_summary_of_several_networks_prints_a_row_of_totals_for_each():
    from test_cli import assert_user_error, run

    result = run("summary", "alexnet", "nin", "resnet18")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    for preset in ("alexnet", "nin", "resnet18"):
        expected = by_hand(preset)
        assert rows[preset] == ["3x224x224", f"{expected['params']:,}", f"{expected['macs']:,}",
                                f"{expected['fc_params']:,}", f"{expected['fc_share']:.1f}%"], preset
    assert max(len(line) for line in lines) <= 80
    assert_user_error(run("summary", "alexnet", "nin", "--explain"), "--explain shows the layers of one network",
                      "give one NET")
