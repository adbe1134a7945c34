"""Learn mode: the content is complete and correct, its numbers come from the engine, and the screen works."""

from __future__ import annotations

import json
import re

import pytest
from textual.color import Color
from textual.css.stylesheet import Stylesheet
from textual.widgets import Input, Markdown, OptionList

from cnntui.learn.diagrams import neuron_diagram
from cnntui.learn.placeholders import ExampleError, evaluate, fill, format_number
from cnntui.learn.pages import KINDS, LINK, load_pages, search
from cnntui.learn.render import Renderer, problems
from cnntui.render.plot import plot_curve
from cnntui.render.text import cell_width
from cnntui.tui.screens.learn import LearnScreen
from cnntui.tui.widgets.chrome import KeyBar, TopBar
from cnntui.tui.widgets.links import LinkBar
from test_app import make_app

# The concepts the issue asks for, and the thirteen the article's reader asked about.
REQUIRED_CONCEPTS = [
    "neuron", "weight", "bias", "parameter", "activation-function", "relu", "sigmoid", "tanh", "softmax",
    "input-shape", "convolutional-layer", "kernel", "stride", "padding", "dilation", "feature-map",
    "receptive-field", "weight-sharing", "average-pooling", "max-pooling", "global-average-pooling", "flatten",
    "fully-connected-layer", "hidden-layer", "output-layer", "forward-pass", "backpropagation", "overfitting",
    "loss", "multi-channel-convolution", "pooling-padding-options",
]
ARTICLE_CONCEPTS = {
    "神经元": "neuron", "权重": "weight", "激活函数": "activation-function", "参数": "parameter",
    "图片尺寸": "input-shape", "卷积层": "convolutional-layer", "卷积核": "kernel", "特征图": "feature-map",
    "平均池化": "average-pooling", "全局平均池化": "global-average-pooling", "全连接层": "fully-connected-layer",
    "隐藏层": "hidden-layer", "输出层": "output-layer",
}
COMPARISONS = ["cmp-conv-fc", "cmp-pooling", "cmp-activations", "cmp-hidden-output", "cmp-neuron-parameter",
               "cmp-kernel-feature-map"]
PLACEHOLDER = re.compile(r"\{[^{}]+\}")


def test_the_content_has_no_problems():
    assert problems() == []


@pytest.mark.parametrize("page_id", REQUIRED_CONCEPTS)
def test_each_concept_has_every_part(page_id):
    page = load_pages()[page_id]
    assert page.kind == "concept"
    assert page.definition["en"] and page.definition["zh"]
    assert page.explanation, "needs an explanation"
    assert page.related and page.try_it
    example_texts = [str(block) for block in page.example["blocks"]]
    computed = [b for b in page.example["blocks"] if set(b) & {"derivation", "layers", "plot", "neuron"}]
    assert computed or any(PLACEHOLDER.search(text) for text in example_texts), \
        "the worked example must take its numbers from the engine"


def test_every_concept_of_the_article_has_an_entry_found_by_its_chinese_name():
    for chinese, page_id in ARTICLE_CONCEPTS.items():
        assert page_id in [page.id for page in search(chinese)], chinese


def test_comparisons_and_relations_pages_exist_with_tables():
    pages = load_pages()
    for page_id in COMPARISONS:
        page = pages[page_id]
        assert page.kind == "comparison"
        blocks = page.explanation + page.example["blocks"]
        assert any("table" in b or "layers" in b for b in blocks), page_id
    assert pages["relations"].kind == "relations"
    assert [p.kind for p in pages.values()] == sorted((p.kind for p in pages.values()), key=KINDS.index)


def test_the_start_page_links_every_concept_the_reader_asked_about():
    links = {match.group(1) for block in load_pages()["start"].explanation if "text" in block
             for match in LINK.finditer(block["text"]["en"])}
    assert set(ARTICLE_CONCEPTS.values()) <= links


def test_search_works_in_either_language_and_by_alias():
    assert search("stride")[0].id == "stride"
    assert search("步长")[0].id == "stride"
    assert "relu" in [page.id for page in search("rectified")]
    assert search("no such thing at all") == []


# -- numbers come from the engine, checked here by hand ------------------------------

def test_stride_example_numbers_match_the_formula_worked_by_hand():
    text = Renderer(load_pages()["stride"], "en").markdown()
    out_stride_2 = (28 - 3) // 2 + 1
    assert f"4x{out_stride_2}x{out_stride_2}" in text
    assert f"{4 * out_stride_2 * out_stride_2 * 9:,}" in text  # MACs with stride 2


def test_neuron_example_computes_the_weighted_sum():
    text = Renderer(load_pages()["neuron"], "zh").markdown()
    z = 1 * 0.5 + 2 * -1.0 + 3 * 0.25 + 0.1
    assert f"{z:.2f}" in text and "ReLU(z)" in text


def test_placeholders_cannot_reach_python():
    for bad in ("__import__('os')", "().__class__", "x._secret", "open('f')", "[1, 2]"):
        with pytest.raises(ExampleError):
            evaluate(bad, {"x": object()})
    assert fill("{a + b:.1f} and {{braces}}", {"a": 1, "b": 0.25}) == "1.2 and {braces}"


@pytest.mark.parametrize(("value", "text"), [(19920, "19,920"), (0.25, "0.25"), (-0.65, "-0.65"),
                                              (2.0, "2"), (0.0, "0"), (1e-7, "0"), (84.884, "84.884")])
def test_numbers_are_formatted_for_reading(value, text):
    assert format_number(value) == text


def test_plots_are_braille_or_pure_ascii():
    import numpy as np

    xs = np.linspace(-6, 6, 100)
    fancy = plot_curve(xs, np.tanh(xs), width=30, height=6, y_range=(-1.2, 1.2), marks=(-1, 1))
    plain = plot_curve(xs, np.tanh(xs), width=30, height=6, y_range=(-1.2, 1.2), marks=(-1, 1), ascii_only=True)
    assert any(0x2800 <= ord(ch) <= 0x28FF for line in fancy for ch in line)
    assert all(line.isascii() for line in plain) and any("*" in line for line in plain)
    assert plain[0].startswith(" 1") and "-1" in plain[-2]


def test_neuron_diagram_survives_ascii():
    lines = neuron_diagram([1, 2], [0.5, -1], 0.1, -1.4, "ReLU", 0, ascii_only=True)
    assert all(line.isascii() for line in lines)
    assert "z = 1*0.5 + 2*(-1) + 0.1 = -1.4" in "\n".join(lines)


# -- the screen ----------------------------------------------------------------------

async def wait_for_page(pilot, app, page_id: str, language: str = "en") -> LearnScreen:
    screen = app.screen
    for _ in range(300):  # up to 15 s: the first page also loads NumPy and the engine
        await pilot.pause(0.05)
        if screen.shown and screen.shown[:2] == (page_id, language):
            return screen
    raise AssertionError(f"{page_id} never shown; showing {screen.shown}")


async def test_learn_lists_concepts_and_shows_a_computed_page(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_page(pilot, app, "start")
        listing = screen.query_one("#learn-list", OptionList)
        ids = [option.id for option in listing.options if option.id]
        assert ids[:4] == ["start", "neuron", "weight", "bias"] and "relations" in ids
        assert app.focused is listing
        await pilot.press("down")
        await wait_for_page(pilot, app, "neuron")
        assert "-0.65" in str(screen.query_one(Markdown).source)


async def test_search_filters_in_chinese_and_enter_opens(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_page(pilot, app, "start")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"步长")
        listing = app.screen.query_one("#learn-list", OptionList)
        assert [o.id for o in listing.options if o.id] == ["stride"]
        await pilot.press("enter")
        await wait_for_page(pilot, app, "stride")
        assert app.focused is listing
        await pilot.press("b")
        await wait_for_page(pilot, app, "start")


async def test_related_links_and_markdown_links_navigate(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_page(pilot, app, "start")
        bar = screen.query_one(LinkBar)
        bar.focus()
        first = bar.links[0].target
        await pilot.press("enter")
        await wait_for_page(pilot, app, first)
        markdown = screen.query_one(Markdown)
        markdown.post_message(Markdown.LinkClicked(markdown, "concept:kernel"))
        await wait_for_page(pilot, app, "kernel")


@pytest.mark.parametrize("page_id", [p for p in REQUIRED_CONCEPTS])
async def test_every_try_it_opens_its_mode_with_its_preset(tmp_path, page_id):
    target = load_pages()[page_id].try_it
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.try_it(target)
        await pilot.pause()
        assert app.current_mode == target["mode"]
        assert app.network.source == target["preset"]
        if target["mode"] == "build":  # Build selects the layer the page is about, once its table is filled
            for _ in range(200):
                await pilot.pause(0.05)
                if app.screen.selected_index() == target["layer"]:
                    break
            assert app.screen.selected_index() == target["layer"]
        elif target["mode"] == "train":  # Train is set up to train that network
            assert app.screen.plan.name == target["preset"]
        else:  # View shows it, once its forward pass is done
            for _ in range(100):
                await pilot.pause(0.05)
                if app.screen.drawn:
                    break
            assert app.screen.shown_layer == target["layer"]
        assert app.requested_layer is None


async def test_palette_opens_any_concept_and_language_rerenders(tmp_path):
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", *"Learn: Dilation")
        await pilot.pause(0.3)
        await pilot.press("enter")
        screen = await wait_for_page(pilot, app, "dilation")
        await pilot.press("l")
        await wait_for_page(pilot, app, "dilation", "zh")
        assert "膨胀" in screen.query_one("#learn-list", OptionList).get_option("dilation").prompt


# -- start-up: Learn is the first mode, so its first frame is the app's ------------------

async def test_starting_and_first_visits_to_modes_parse_the_stylesheets_once(tmp_path, monkeypatch):
    # A full re-parse of app.tcss costs about 10 ms; Textual did three before the first frame.
    reparses = []
    reparse = Stylesheet.reparse
    monkeypatch.setattr(Stylesheet, "reparse", lambda self: reparses.append(self) or reparse(self))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_page(pilot, app, "start")
        await pilot.press("4")
        assert app.current_mode == "quiz"
        assert reparses == []
        app.theme = "textual-light"  # a change of theme still re-parses and reaches every screen
        await pilot.pause()
        assert reparses
        assert app.screen.query_one(TopBar).styles.background == Color.parse(app.current_theme.panel)


@pytest.mark.parametrize("theme", ["cnntui", "textual-light"])
async def test_the_saved_theme_colours_the_first_frame(tmp_path, theme):
    (tmp_path / "settings.json").write_text(json.dumps({"theme": theme}), encoding="utf-8")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_page(pilot, app, "start")
        assert app.current_theme.name == theme
        assert app.has_class(f"-theme-{theme}") and app.has_class("-light-mode") != app.current_theme.dark
        assert app.screen.query_one(TopBar).styles.background == Color.parse(app.current_theme.panel)


@pytest.mark.parametrize(("language", "labels"), [("en", ["/ Search", "b Back", "Tab List/page"]),
                                                  ("zh", ["/ 搜索", "b 返回", "Tab 列表/正文"])])
async def test_key_bar_names_search_back_and_tab(tmp_path, language, labels):
    app = make_app(tmp_path, language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_page(pilot, app, "start", language)
        bar = str(app.screen.query_one(KeyBar).render())
        assert all(label in bar for label in labels), bar
        assert cell_width(bar.rstrip()) <= 80 and bar.rstrip().endswith(app.t("key.quit"))


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_search_placeholder_fits_its_field(tmp_path, language, size):
    app = make_app(tmp_path, language=language)
    async with app.run_test(size=size) as pilot:
        await wait_for_page(pilot, app, "start", language)
        field = app.screen.query_one("#learn-search", Input)
        # the cursor takes the last column
        assert cell_width(field.placeholder) < field.content_region.width, field.placeholder


async def test_page_down_after_a_search_scrolls_the_page_not_the_results(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_page(pilot, app, "start")
        await pilot.press("slash", *"pool")
        listing = screen.query_one("#learn-list", OptionList)
        results = [option.id for option in listing.options if option.id]
        assert len(results) > 3
        scroll = screen.query_one("#learn-scroll")
        await pilot.press("pagedown")  # from the search field
        await pilot.wait_for_scheduled_animations()
        assert scroll.scroll_y > 0
        await pilot.press("enter")
        await wait_for_page(pilot, app, results[0])
        assert app.focused is listing and scroll.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.wait_for_scheduled_animations()
        assert scroll.scroll_y > 0 and listing.highlighted == listing.get_option_index(results[0])
        assert screen.page_id == results[0]
        down = scroll.scroll_y
        await pilot.press("pageup")
        await pilot.wait_for_scheduled_animations()
        assert scroll.scroll_y < down
        await pilot.press("tab")  # from the list to the page, as the key bar says
        assert app.focused is scroll


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_long_title_in_the_list_wraps_under_itself(tmp_path, language):
    app = make_app(tmp_path, language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if isinstance(app.screen, LearnScreen) and app.screen.query("#learn-list") \
                    and app.screen.query_one("#learn-list", OptionList).option_count:
                break
        listing = app.screen.query_one("#learn-list", OptionList)
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)
                   if listing.get_option_at_index(i).id]
        wrapped = [prompt for prompt in prompts if "\n" in prompt]
        assert wrapped, "no title is long enough to wrap: the test no longer tests anything"
        for prompt in prompts:
            first, *rest = prompt.split("\n")
            assert first.startswith("  ") and all(line.startswith("    ") for line in rest), prompt
            assert all(cell_width(line) < listing.content_region.width for line in [first, *rest]), prompt


async def test_long_formula_lines_wrap_at_80_columns_but_plots_keep_their_shape(tmp_path):
    """A keyboard cannot scroll a fence sideways: a formula wraps, a drawing keeps its lines."""
    from test_app import until

    from cnntui.tui.widgets.page import PageFence

    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_page(pilot, app, "start")
        screen.open("softmax")
        await wait_for_page(pilot, app, "softmax")
        fences = lambda: [f for f in screen.query(PageFence) if "p_i / p_j" in f.code]  # noqa: E731
        await until(pilot, fences, "the formula mounted")
        formula = fences()[0]
        await until(pilot, lambda: formula.size.width > 0, "the formula laid out")
        longest = max(len(line) for line in formula.code.splitlines())
        assert longest > formula.size.width, "the test needs a line longer than the pane"
        assert formula.size.height > len(formula.code.splitlines()), "the long line wraps"
        assert not formula.has_class("-drawing")
        screen.open("sigmoid")
        await wait_for_page(pilot, app, "sigmoid")
        plots = lambda: [f for f in screen.query(PageFence) if f.lexer == "drawing"]  # noqa: E731
        await until(pilot, plots, "the plot mounted")
        plot = plots()[0]
        await until(pilot, lambda: plot.size.height > 0, "the plot laid out")
        assert plot.has_class("-drawing") and plot.size.height == len(plot.code.splitlines())


async def test_two_pages_opened_at_once_settle_on_the_last(tmp_path):
    """Each open moves the list's highlight; the first one's late highlight event must not reopen
    its page (the two used to reopen each other for ever, rendering without end)."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_page(pilot, app, "start")
        renders = []
        original = screen.put_page
        screen.put_page = lambda shown, markdown: (renders.append(shown[0]), original(shown, markdown))
        screen.open("stride")
        screen.open("padding")
        await wait_for_page(pilot, app, "padding")
        for _ in range(20):  # a while longer: nothing more is rendered
            await pilot.pause(0.02)
        assert screen.page_id == "padding" and screen.shown[0] == "padding"
        assert len(renders) <= 2, renders


# -- neurons are the units of conv and linear layers; every layer has values -----------

def lenet5_summary():
    from cnntui.core import analyze
    from cnntui.learn.examples import preset_spec

    return analyze(preset_spec("lenet5"))


def test_only_conv_and_linear_layers_have_neurons_but_every_layer_has_values():
    summary = lenet5_summary()
    for record in summary:
        values = 1
        for size in record.output_shape:
            values *= size
        assert record.values == values, record.type
        assert record.neurons == (values if record.type in ("conv2d", "linear") else 0), record.type
    # 6*28*28 + 16*10*10 + 120 + 84 + 10 neurons; every layer's outputs together
    assert sum(r.neurons for r in summary) == 4704 + 1600 + 120 + 84 + 10 == 6518
    assert sum(r.values for r in summary) == 2 * 4704 + 1176 + 2 * 1600 + 2 * 400 + 2 * 120 + 2 * 84 + 2 * 10 == 15012
    # memory still counts every value: the input plus all 15,012 outputs, 4 bytes each
    assert summary.activation_bytes == (32 * 32 + 15012) * 4


def test_worked_examples_count_neurons_and_values_apart():
    from cnntui.learn.examples import NetFacts

    facts = NetFacts(lenet5_summary())
    assert (facts.total_neurons, facts.total_values) == (6518, 15012)
    assert [layer.values for layer in facts.layers][:3] == [4704, 4704, 1176]
    assert [layer.neurons for layer in facts.layers][:3] == [4704, None, None]


def test_a_sentence_counting_neurons_of_a_layer_without_them_is_a_content_problem():
    from cnntui.learn.pages import Page

    page = Page("bad", "concept", {"en": "Bad", "zh": "坏"}, {"en": "d", "zh": "d"},
                example={"setup": {"nets": {"l": "lenet5"}},
                         "blocks": [{"text": {"en": "{l.L6.neurons:,} neurons", "zh": "{l.L6.neurons:,} 个"}}]})
    found = problems({"bad": page})
    assert any(problem.startswith("bad: en does not render") for problem in found), found


def test_summary_json_gives_neurons_only_to_conv_and_linear_layers():
    from test_cli import run

    result = run("summary", "lenet5", "--json")
    assert result.returncode == 0, result.stderr
    layers = json.loads(result.stdout)["layers"]
    by_type = {(row["type"], row["neurons"], row["values"]) for row in layers}
    assert ("relu", 0, 4704) in by_type and ("avgpool2d", 0, 1176) in by_type
    assert ("flatten", 0, 400) in by_type and ("softmax", 0, 10) in by_type
    assert ("conv2d", 4704, 4704) in by_type and ("linear", 120, 120) in by_type


def table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    """The cells of every Markdown table row whose first cell starts with ``first_cell``."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in markdown.splitlines()
            if line.startswith("|")]
    return [row for row in rows if row[0].startswith(first_cell)]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page_id", ["cmp-neuron-parameter", "relations"])
def test_layer_tables_show_neurons_only_for_conv_and_linear_rows(page_id, language):
    text = Renderer(load_pages()[page_id], language).markdown()
    # columns: layer, neurons, values, parameters
    assert table_rows(text, "relu:1")[0][1:] == ["-", "4,704", "0"]
    assert table_rows(text, "avgpool2d:2")[0][1:] == ["-", "1,176", "0"]
    assert table_rows(text, "flatten:6")[0][1:] == ["-", "400", "0"]
    assert table_rows(text, "conv2d:0")[0][1:] == ["4,704", "4,704", "156"]
    assert table_rows(text, "linear:11")[0][1:] == ["10", "10", "850"]
    total = table_rows(text, "Total" if language == "en" else "合计")[0]
    assert total[1:] == ["6,518", "15,012", "61,706"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_forward_pass_table_counts_values(language):
    text = Renderer(load_pages()["forward-pass"], language).markdown()
    header = next(line for line in text.splitlines() if line.startswith("|"))
    assert ("Values" if language == "en" else "值") in header and ("Neurons" not in header and "神经元" not in header)
    assert table_rows(text, "relu:1")[0][2] == "38,440"
    total = table_rows(text, "Total" if language == "en" else "合计")[0]
    assert total[2:4] == ["190,480", "5,608,780"]


# -- the corrected facts, with their numbers -------------------------------------------

def page_text(page_id: str, language: str) -> str:
    return Renderer(load_pages()[page_id], language).markdown()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_softmax_keeps_the_order_and_the_ratio_is_e_to_the_difference(language):
    text = page_text("softmax", language)
    assert "e^(z_i - z_j)" in text
    # [2, 1] -> [0.7311, 0.2689]: the gap shrinks from 1 to 0.46, the ratio is e^1
    assert "[0.7311, 0.2689]" in text and "0.7311 / 0.2689 = 2.7183" in text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_input_shape_shows_the_pooling_between_conv_and_flatten(language):
    text = page_text("input-shape", language)
    pooled = table_rows(text, "max pooling output" if language == "en" else "最大池化输出")[0]
    assert pooled[1:] == ["6x12x12", "6x30x30"]
    flattened = table_rows(text, "flattened values" if language == "en" else "展平后的值")[0]
    assert flattened[1:] == ["864", "5400"] and 6 * 12 * 12 == 864 and 6 * 30 * 30 == 5400


@pytest.mark.parametrize("language", ["en", "zh"])
def test_padding_says_each_dimension_shrinks_by_k_minus_1(language):
    text = page_text("padding", language)
    # a 5x5 kernel without padding: 28 -> 24, 4 rows and columns, 2 at each edge
    assert ("28 to 24" if language == "en" else "28 变成 24") in text
    assert ("4 rows fewer, 2 at each edge" if language == "en" else "上下两条边各 2 行") in text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_hidden_layer_table_counts_four_hidden_layers_in_lenet5(language):
    text = page_text("hidden-layer", language)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "|---" not in line][1:]
    hidden = "hidden layer" if language == "en" else "隐藏层"
    assert [row.count(hidden) > 0 for row in rows] == [True, True, True, True, False]
    assert ("flatten" if language == "en" else "展平") in rows[1] and "16x5x5" not in rows[1] and "400" in rows[1]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_neuron_page_counts_lenet5_neurons_and_values(language):
    text = page_text("cmp-neuron-parameter", language)
    assert "6,518" in text and "15,012" in text


OLD_FALSE_PHRASES = {
    "en": ["the gaps grow", "each side loses k - 1", "has neither problem", "Every computed value is a",
           "feeds 0 and 1 through", "runs 0 and 1 through", "hidden (reshape only)", "once per input",
           "are tuned by [[backpropagation", "Feature-map values are [[neuron", "{t.L9.neurons:,} neurons",
           "Convolutional, pooling and fully connected layers can all be hidden",
           "Any layer between the input and the [[output-layer", "is any layer between the input and the last one"],
    "zh": ["差距会被拉大", "每条边都少掉 k - 1", "没有这两个毛病", "每个被算出来的值都是一个", "依次送进 ReLU",
           "隐藏层（只改形状）", "一点点调好", "特征图上的每个值是一个[[neuron", "{t.L9.neurons:,} 个神经元",
           "卷积层、池化层和全连接层都可以是隐藏层", "之间的任何一层", "输入与最后一层之间的每一层都是"],
}


def all_page_texts(language: str) -> str:
    """Every authored sentence of every page in one language, placeholders unfilled."""
    from cnntui.learn.render import _texts

    found = []
    for page in load_pages().values():
        for item in _texts(page):
            value = item[language]
            found += value if isinstance(value, list) else [value]
    return "\n".join(found)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_page_repeats_a_corrected_false_statement(language):
    text = all_page_texts(language)
    assert [phrase for phrase in OLD_FALSE_PHRASES[language] if phrase in text] == []


# -- how a network learns: loss, several input channels, pooling and padding options --------
# Every expected number is worked out here with NumPy by hand, never by the engine.

def matrix_text(matrix) -> str:
    """A matrix as the pages print it (the ``rows`` format): [1, 2] [3, 4]."""
    import numpy as np

    return " ".join("[" + ", ".join(format_number(float(v)) for v in row) + "]" for row in np.atleast_2d(matrix))


def softmax_by_hand(z):
    import numpy as np

    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


LOSS_W = [[1.0, -0.5, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.5, 0.0]]
LOSS_B = [0.1, 0.0, -0.1]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_loss_page_works_out_p_minus_y_from_a_real_forward_pass(language):
    import numpy as np

    text = page_text("loss", language)
    w, b, x = np.array(LOSS_W), np.array(LOSS_B), np.array([1.0, 0.5, -1.0])
    z = w @ x + b
    p = softmax_by_hand(z)
    grad = p - np.eye(3)[0]  # the right class is 0
    assert table_rows(text, "logits z")[0][1:] == [format_number(v) for v in z]
    assert table_rows(text, "p - y")[0][1:] == [format_number(v) for v in grad]
    trainer = "trainer's gradient" if language == "en" else "训练器算出的梯度"
    assert table_rows(text, trainer)[0][1:] == [format_number(v) for v in grad]
    loss = -np.log(p[0])
    assert text.count(f"{loss:.4f}") >= 2  # worked out on the page, and the trainer's
    # The slope of the loss against the bias of class 0 (0.09 -> 0.11) is p_0 - 1.
    losses = [-np.log(softmax_by_hand(z + [delta, 0, 0])[0]) for delta in (-0.01, 0.01)]
    assert f"{losses[0]:.6f}" in text and f"{losses[1]:.6f}" in text
    assert f"{(losses[1] - losses[0]) / 0.02:.4f}" == f"{grad[0]:.4f}" and f"{grad[0]:.4f}" in text
    # A batch of two: the mean loss, and each row of the gradient halved.
    x2 = np.array([0.0, 1.0, 0.5])
    p2 = softmax_by_hand(w @ x2 + b)
    assert f"{(loss - np.log(p2[1])) / 2:.4f}" in text
    assert "[" + ", ".join(format_number(v) for v in grad / 2) + "]" in text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_loss_page_shows_why_the_loss_takes_logits(language):
    import numpy as np

    text = page_text("loss", language)
    # logits [0, 120], class 0 right: the exact loss is 120; float32 probabilities round p_0 to 0
    assert f"{120 + np.log1p(np.exp(-120.0)):.2f}" in text and np.float32(np.exp(np.float32(-120))) == 0
    assert f"{-np.log(np.finfo(np.float32).tiny):.2f}" in text  # what the trainer counts instead


MC_INPUT = [[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]],
            [[0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 0, 2], [0, 2, 1, 0]]]
MC_WEIGHT = [[[[1, 0, -1], [1, 0, -1], [1, 0, -1]], [[0, 1, 0], [1, -1, 1], [0, 1, 0]]],
             [[[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0.5, 0.5, 0.5], [0, 0, 0], [-0.5, -0.5, -0.5]]]]
MC_BIAS = [0.5, -1.0]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_multi_channel_page_adds_one_sum_per_channel_and_the_bias(language):
    import numpy as np

    text = page_text("multi-channel-convolution", language)
    x, w, b = np.array(MC_INPUT, float), np.array(MC_WEIGHT, float), np.array(MC_BIAS)
    sums = [float((x[c, 0:3, 1:4] * w[0, c]).sum()) for c in range(2)]  # filter 0 at row 0, column 1
    for channel, total in enumerate(sums):
        window, kernel = matrix_text(x[channel, 0:3, 1:4]), matrix_text(w[0, channel])
        sentence = {"en": f"Channel {channel}: the window {window} times the slice {kernel}, element by element and "
                          f"summed, gives {format_number(total)}.",
                    "zh": f"通道 {channel}：窗口 {window} 与切片 {kernel} 逐元素相乘再求和，得到 {format_number(total)}。"}
        assert sentence[language] in text
    value = sum(sums) + b[0]
    assert f"{format_number(sums[0])} + {format_number(sums[1])} = {format_number(sum(sums))}" in text
    assert text.count(format_number(value)) >= 2  # worked out, and the forward pass's own value
    maps = np.array([[[sum((x[c, i:i + 3, j:j + 3] * w[o, c]).sum() for c in range(2)) + b[o]
                       for j in range(2)] for i in range(2)] for o in range(2)])
    assert matrix_text(maps[0]) in text and matrix_text(maps[1]) in text
    assert f"params = (3*3*2 + 1)*2 = {(3 * 3 * 2 + 1) * 2}" in text


def max_pool_by_hand(x, k, s, pad, ceil):
    """PyTorch's max pooling along both axes, its ceil_mode rule written out."""
    import numpy as np

    n = x.shape[0]
    room = n + 2 * pad - k
    out = -(-room // s) + 1 if ceil else room // s + 1
    if ceil and (out - 1) * s >= n + pad:  # the last window may not start in the right padding
        out -= 1
    padded = np.full((n + 2 * pad + k, n + 2 * pad + k), -np.inf)
    padded[pad:pad + n, pad:pad + n] = x
    return np.array([[padded[i * s:i * s + k, j * s:j * s + k].max() for j in range(out)] for i in range(out)])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_options_page_rounds_with_ceil_mode_and_drops_a_window_in_the_padding(language):
    import numpy as np

    text = page_text("pooling-padding-options", language)
    x = np.arange(1, 26, dtype=float).reshape(5, 5)
    floor, ceil, trimmed = (max_pool_by_hand(x, 2, 2, pad, c) for pad, c in ((0, False), (0, True), (1, True)))
    assert floor.shape == (2, 2) and ceil.shape == (3, 3) and trimmed.shape == (3, 3)
    assert -(-(5 + 2 - 2) // 2) + 1 == 4  # rounding up alone would give a fourth window, at padded 6
    rows = table_rows(text, "ceil_mode")
    assert [row[1:] for row in rows] == [["1x2x2", matrix_text(floor)], ["1x3x3", matrix_text(ceil)],
                                         ["1x3x3", matrix_text(trimmed)]]
    assert "ceil((5 + 2*1 - 1*(2-1) - 1)/2) + 1 - 1 = 3" in text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_options_page_divides_the_corner_average_with_and_without_the_padding(language):
    import numpy as np

    text = page_text("pooling-padding-options", language)
    padded = np.pad(np.arange(1, 17, dtype=float).reshape(4, 4), 1)
    windows = [[padded[2 * i:2 * i + 3, 2 * j:2 * j + 3] for j in range(2)] for i in range(2)]
    real = [[(np.pad(np.ones((4, 4)), 1)[2 * i:2 * i + 3, 2 * j:2 * j + 3]).sum() for j in range(2)] for i in range(2)]
    with_pad = np.array([[window.sum() / 9 for window in row] for row in windows])
    without = np.array([[windows[i][j].sum() / real[i][j] for j in range(2)] for i in range(2)])
    assert real[0][0] == 4 and windows[0][0].sum() == 14
    assert table_rows(text, "True")[0][1:] == ["9", f"{with_pad[0, 0]:.4f}", matrix_text(with_pad)]
    assert table_rows(text, "False")[0][1:] == ["4", f"{without[0, 0]:.4f}", matrix_text(without)]
    assert with_pad[1, 1] == without[1, 1]  # a window wholly inside the input


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_options_page_pads_an_even_same_kernel_at_the_bottom_and_right(language):
    import numpy as np

    text = page_text("pooling-padding-options", language)
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    padded = np.pad(x, ((0, 1), (0, 1)))  # k = 2: total 1, nothing on top and left, 1 at the bottom and right
    out = np.array([[padded[i:i + 2, j:j + 2].sum() for j in range(3)] for i in range(3)])
    assert matrix_text(out) in text and out[0, 0] == 12 and out[2, 2] == 9
    assert "floor((3 + 0 + 1 - 1*(2-1) - 1)/1) + 1 = 3" in text
    total = 4 - 1
    words = {"en": f"needs {total} padded rows: {total // 2} on top and {total - total // 2} at the bottom",
             "zh": f"需要补 {total} 行：上边 {total // 2} 行，下边 {total - total // 2} 行"}
    assert words[language] in text


def test_a_step_needs_a_window_layer():
    from cnntui.learn.examples import build_namespace

    setup = {"nets": {"n": {"input": [1, 2, 2], "layers": [{"type": "relu"}]}},
             "forward": {"net": "n", "input": [[[1, -1], [2, 0]]],
                         "step": {"layer": 0, "channel": 0, "row": 0, "col": 0}}}
    with pytest.raises(ExampleError, match="conv or pooling"):
        build_namespace(setup)


def test_the_quiz_explains_hidden_layers_by_the_learn_pages_rule():
    from cnntui.content import CONTENT_DIR

    computed = json.loads((CONTENT_DIR / "quiz" / "computed.json").read_text(encoding="utf-8"))
    explanation = computed["hidden_layers"]["explanation"]
    definition = load_pages()["hidden-layer"].definition
    for language, rule in (("en", "a layer of neurons, convolutional or fully connected"), ("zh", "一层神经元")):
        assert rule in explanation[language].lower() and rule in definition[language].lower()
    assert "not as a hidden layer of its own" in explanation["en"] and "不单独算作隐藏层" in explanation["zh"]


CORRECTED_STATEMENTS = {  # page: what it must now say, in each language
    "sigmoid": {"en": ["not zero-centred either", "[Tanh](concept:tanh) is."], "zh": ["同样不以 0 为中心", "以 0 为中心的是"]},
    "relu": {"en": ["the activation slopes alone never shrink"], "zh": ["单看激活函数的斜率"]},
    "backpropagation": {"en": ["from the activation slopes alone", "(concept:optimizer)", "changes no weight"],
                        "zh": ["单看激活函数的斜率", "(concept:optimizer)", "本身不改动任何权重"]},
    "activation-function": {"en": ["acts on the whole vector of sums at once"], "zh": ["一次作用于整个向量"]},
    "cmp-activations": {"en": ["Each function at 0", "sigmoid(0) = 0.5"], "zh": ["每个函数在 0 处的值", "Sigmoid(0) = 0.5"]},
    "relations": {"en": ["Each function at 0", "sigmoid(0) = 0.5"], "zh": ["每个函数在 0 处的值", "Sigmoid(0) = 0.5"]},
    "parameter": {"en": ["modern variant", "1,516 in the paper", "RBF"], "zh": ["现代变体", "原文是 1,516 个", "RBF"]},
}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page_id", sorted(CORRECTED_STATEMENTS))
def test_pages_state_the_corrected_facts(page_id, language):
    text = page_text(page_id, language)
    assert [phrase for phrase in CORRECTED_STATEMENTS[page_id][language] if phrase not in text] == []


def formula_of(page_id: str, language: str) -> str:
    """The code block under a page's "Formula" heading, as rendered."""
    from cnntui.content import text

    return page_text(page_id, language).split("## " + text(language, "learn.formula"), 1)[1].split("```")[1]


def test_a_formula_written_in_words_reads_in_the_pages_language():
    """A formula is one language-neutral string, or, where it is written in words, both languages."""
    assert "training set" in formula_of("data-splits", "en")
    zh = formula_of("data-splits", "zh")
    assert "训练集" in zh and "training set" not in zh


def test_a_formula_in_words_without_both_languages_is_a_content_problem():
    from cnntui.learn.pages import Page

    page = Page("bad", "concept", {"en": "Bad", "zh": "坏"}, {"en": "d", "zh": "d"}, formula={"en": "one neuron"})
    assert any(problem.startswith("bad: text without both languages") for problem in problems({"bad": page}))
