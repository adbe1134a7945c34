"""The Learn pages on modern CNN layers: batch norm, dropout, residual connections, 1x1 and grouped convolution.

Every number the pages show comes from the engine when a page opens (cnntui/learn/examples.py);
here each is worked out again by hand, from the layer sizes or with NumPy, and the pages' claims
about the presets (where dropout sits, which convolutions have no bias) are checked on the presets.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from cnntui.content import LANGUAGES
from cnntui.core import analyze
from cnntui.learn.examples import build_namespace, preset_spec
from cnntui.learn.pages import LINK, load_pages, search
from cnntui.learn.render import Renderer, problems
from cnntui.render.text import cell_width
from test_app import make_app, until
from test_learn import PLACEHOLDER, wait_for_page

PAGES = ["batch-normalization", "dropout", "residual-connection", "pointwise-convolution", "grouped-convolution"]


def namespace(page_id: str) -> dict:
    return build_namespace(load_pages()[page_id].example["setup"])


def rendered(page_id: str, language: str = "en") -> str:
    return Renderer(load_pages()[page_id], language).markdown()


def flat(markdown: str) -> str:
    """The page's text with its links reduced to their words, as a reader sees it."""
    return re.sub(r"\[([^\]]+)\]\(concept:[\w-]+\)", r"\1", markdown)


def leaf_types(layers: list) -> list[dict]:
    """A preset's layers in run order, blocks opened (a residual's body, then its shortcut)."""
    found = []
    for node in layers:
        if node["type"] in ("sequential", "residual", "concat"):
            children = node.get("layers") or node.get("body", []) + ([node["shortcut"]] if "shortcut" in node else [])
            found += leaf_types(children + [branch for branch in node.get("branches", [])])
        else:
            found.append(node)
    return found


# -- every page -----------------------------------------------------------------------------------

def test_the_pages_have_no_problems_and_are_linked_from_the_pages_that_mention_them():
    assert [problem for problem in problems() if problem.split(":")[0] in PAGES] == []
    pages = load_pages()
    linked_from = {target: set() for target in PAGES}
    for page in pages.values():
        blocks = page.explanation + (page.example or {}).get("blocks", [])
        texts = [page.definition["en"]] + [str(block) for block in blocks]
        targets = {match.group(1) for text in texts for match in LINK.finditer(text)} | set(page.related)
        for target in targets & set(PAGES):
            if page.id != target:
                linked_from[target].add(page.id)
    assert {"overfitting", "fully-connected-layer"} <= linked_from["dropout"]
    assert {"parameter", "relations"} <= linked_from["batch-normalization"]
    assert {"backpropagation", "relations"} <= linked_from["residual-connection"]
    assert {"convolutional-layer", "fully-connected-layer"} <= linked_from["pointwise-convolution"]
    assert {"convolutional-layer", "multi-channel-convolution"} <= linked_from["grouped-convolution"]
    # The multi-channel page used to say conv2d has no depthwise form; it has one now.
    assert "does not offer" not in str(pages["multi-channel-convolution"].explanation)


@pytest.mark.parametrize("page_id", PAGES)
def test_each_page_renders_in_both_languages_with_every_number_filled(page_id):
    page = load_pages()[page_id]
    assert page.kind == "concept" and page.explanation and page.formula and page.related and page.try_it
    for language in LANGUAGES:
        markdown = rendered(page_id, language)
        assert not PLACEHOLDER.search(markdown.replace("{{", "")), "a placeholder was not filled"
        assert "[[" not in markdown and "]]" not in markdown
        # The page's own formulas fit the Learn pane (~55 cells at 80x24); they would wrap otherwise.
        formulas = [page.formula] + [block["formula"] for block in page.explanation if "formula" in block]
        for formula in formulas:
            lines = (formula if isinstance(formula, str) else formula[language]).splitlines()
            assert max(cell_width(line) for line in lines) <= 52, lines
        if language == "zh":
            body = markdown.split("\n", 3)[3]
            assert sum("\u4e00" <= ch <= "\u9fff" for ch in body) > 300


@pytest.mark.parametrize(("query", "page_id"), [
    ("batch norm", "batch-normalization"), ("批归一化", "batch-normalization"), ("dropout", "dropout"),
    ("随机失活", "dropout"), ("skip connection", "residual-connection"), ("残差连接", "residual-connection"),
    ("1x1", "pointwise-convolution"), ("逐点卷积", "pointwise-convolution"), ("depthwise", "grouped-convolution"),
    ("深度可分离", "grouped-convolution"), ("分组卷积", "grouped-convolution")])
def test_search_finds_each_page_by_its_names(query, page_id):
    assert search(query)[0].id == page_id


# -- batch normalisation ------------------------------------------------------------------------

def test_batch_norm_numbers_for_resnet18_worked_by_hand():
    r = namespace("batch-normalization")["r"]
    assert (r.L0.weights, r.L0.biases) == (64 * 3 * 7 * 7, 0)
    assert (r.L1.type, r.L1.params, r.L1.buffers) == ("batchnorm2d", 2 * 64, 2 * 64 + 1)
    summary = analyze(preset_spec("resnet18"))
    norms = [record for record in summary if record.type == "batchnorm2d"]
    assert r.total_buffers == sum(2 * record.output_shape[0] + 1 for record in norms)
    # The page's claim: in ResNet every batch norm follows a convolution without a bias.
    for record in norms:
        before = summary[record.sources[0]]
        assert before.type == "conv2d" and before.biases == 0, record.path
    from cnntui.core.layers.norm import BatchNorm2d

    assert (BatchNorm2d.fields["eps"].default, BatchNorm2d.fields["momentum"].default) == (1e-5, 0.1)
    text = rendered("batch-normalization")
    assert "9,408 weights, 64 x 3 x 7 x 7, and 0 biases" in text
    assert "with 128 parameters" in text and "keeps 129 buffer values: 128 running statistics" in text
    assert f"{r.total_buffers:,} buffer values beside its 11,689,512 parameters" in text


def test_one_batch_norm_value_in_training_and_in_evaluation_worked_by_hand():
    setup = load_pages()["batch-normalization"].example["setup"]["forwards"]
    x = np.array(setup["bt"]["input"], dtype=np.float64).ravel()
    mean, var = x.mean(), x.var()
    assert (mean, var) == (5, 4)
    gamma, beta, eps, momentum = 1.5, 0.5, 1e-5, 0.1
    assert (setup["bt"]["weights"]["0.weight"], setup["bt"]["weights"]["0.bias"]) == ([gamma], [beta])
    y = gamma * (x - mean) / np.sqrt(var + eps) + beta
    facts = namespace("batch-normalization")
    assert facts["bt"].out[0].array.ravel() == pytest.approx(y, rel=1e-5)
    running_mean = (1 - momentum) * 0 + momentum * mean
    running_var = (1 - momentum) * 1 + momentum * var * len(x) / (len(x) - 1)  # the unbiased variance
    assert facts["bt"].w["0.running_mean"][0] == pytest.approx(running_mean)
    assert facts["bt"].w["0.running_var"][0] == pytest.approx(running_var, rel=1e-6)
    y_eval = gamma * (9 - 4) / np.sqrt(5 + eps) + beta
    assert facts["be"].out[0][1][0][0][3] == pytest.approx(y_eval, rel=1e-6)
    text = flat(rendered("batch-normalization"))
    assert f"= {y[-1]:.1f}\n" in text and "mean 5 and variance 4" in text
    assert f"0.1 * 5 = {running_mean:g} and 0.9 * 1 + 0.1 * 4 * 8/7 = {running_var:.4f}" in text
    assert f"the same 9 gives {y_eval:.4f}" in text


# -- dropout ------------------------------------------------------------------------------------

def test_dropout_keeps_and_scales_as_worked_by_hand():
    facts = namespace("dropout")
    x = np.arange(1, 9, dtype=np.float32)
    keep = np.random.default_rng(0).random((1, 1, 1, 8)) >= 0.5  # the engine's mask: one draw per value
    assert facts["dt"].out[0].array.ravel() == pytest.approx(x * keep.ravel() * 2)
    kept = int(keep.sum())
    assert facts["dt"].out[0].nonzero == kept and kept != 4, "the page says so few values stray from 1 - p"
    many = np.random.default_rng(0).random((1, 1, 100, 100)) >= 0.5
    assert facts["mt"].out[0].nonzero == many.sum()
    assert facts["mt"].out[0].mean == pytest.approx(2 * many.mean()) and abs(many.mean() - 0.5) < 0.01
    assert list(facts["de"].out[0].array.ravel()) == list(x)  # evaluation: the identity
    text = rendered("dropout")
    assert f"{kept} of the 8 values survived, {100 * kept / 8:g}%, each multiplied by 1/(1 - 0.5) = 2" in text
    assert f"{100 * many.mean():.2f}% survived" in text and f"{2 * many.mean():.4f}" in text


def test_where_the_dropout_page_says_the_presets_put_dropout():
    def dropouts(name):  # (p, the type of the layer before, the type after) for each dropout
        leaves = leaf_types(preset_spec(name)["layers"])
        return [(leaf["p"], leaves[i - 1]["type"], leaves[i + 1]["type"])
                for i, leaf in enumerate(leaves) if leaf["type"] == "dropout"]

    assert [(p, after) for p, _, after in dropouts("alexnet")] == [(0.5, "linear"), (0.5, "linear")]
    assert [(p, before) for p, before, _ in dropouts("vgg16")] == [(0.5, "relu"), (0.5, "relu")]
    vgg = leaf_types(preset_spec("vgg16")["layers"])
    assert [leaf["type"] for leaf in vgg[-7:]] == ["linear", "relu", "dropout", "linear", "relu", "dropout", "linear"]
    assert dropouts("resnet18") == []
    assert dropouts("mobilenet_v2") == [(0.2, "flatten", "linear")]
    assert leaf_types(preset_spec("mobilenet_v2")["layers"])[-1]["type"] == "linear"


# -- residual connections -----------------------------------------------------------------------

def test_residual_shapes_and_the_downsample_worked_by_hand():
    r = namespace("residual-connection")["r"]
    first, second = r.at["layer1.0"], r.at["layer2.0"]
    assert (first.input, r.at["layer1.0.bn2"].output) == ((64, 56, 56), (64, 56, 56))
    assert first.params == 2 * (64 * 64 * 9 + 2 * 64)  # two 3x3 convs and two batch norms, no shortcut
    assert (second.input, r.at["layer2.0.bn2"].output) == ((64, 56, 56), (128, 28, 28))
    assert r.at["layer2.0.downsample.0"].params == 64 * 128 and r.at["layer2.0.downsample.1"].params == 2 * 128
    assert second.params == 64 * 128 * 9 + 128 * 128 * 9 + 2 * 2 * 128 + 64 * 128 + 2 * 128
    # Only the first block of stages 2 to 4 needs a shortcut, a 1x1 convolution with stride 2.
    stages = preset_spec("resnet18")["layers"][4:8]
    assert [[("shortcut" in block) for block in stage["layers"]] for stage in stages] == \
        [[False, False], [True, False], [True, False], [True, False]]
    for stage in stages[1:]:
        conv = stage["layers"][0]["shortcut"]["layers"][0]
        assert (conv["kernel_size"], conv["stride"]) == (1, 2)
    text = rendered("residual-connection")
    assert "| body output | 64x56x56 | 128x28x28 |" in text and "| shortcut | x | downsample, 128x28x28 |" in text
    assert "| parameters | 73,984 | 230,144 |" in text
    assert f"8,448 parameters, {100 * 8448 / 230144:.1f}% of the block's" in text
    assert "y = body + shortcut (128x28x28 + 128x28x28)" in text


def test_the_gradient_through_ten_blocks_has_the_plus_one_in_each_factor():
    facts = namespace("residual-connection")
    weight = 0.1
    assert facts["fp"].dx.array.ravel() == pytest.approx([weight ** 10] * 2, rel=1e-5)  # plain: 0.1^10
    assert facts["fr"].dx.array.ravel() == pytest.approx([(weight + 1) ** 10] * 2, rel=1e-5)  # (dF/dx + 1)^10
    assert facts["fr"].out[-1].array.ravel() == pytest.approx(np.array([1, 2]) * 1.1 ** 10, rel=1e-5)
    text = rendered("residual-connection")
    assert "d(output)/d(input) = 1.0e-10, that is 0.1^10" in text
    assert f"dF/dx + 1 = 1.1 instead, and the backward pass gives {1.1 ** 10:.4f}, which is 1.1^10" in text


def test_the_engine_refuses_a_residual_whose_shapes_differ_and_names_the_1x1_fix():
    conv = {"type": "conv2d", "out_channels": 128, "kernel_size": 3, "stride": 2, "padding": 1}
    summary = analyze({"input": [64, 56, 56], "layers": [{"type": "residual", "name": "b", "body": [conv]}]})
    message = str(summary.problems[0])
    assert "1x1 conv2d with stride 2 and 128 output channels" in message, message


# -- 1x1 convolution ----------------------------------------------------------------------------

def test_pointwise_numbers_worked_by_hand():
    facts = namespace("pointwise-convolution")
    p, q, r = facts["p"], facts["q"], facts["r"]
    assert (p.L0.weights, p.L0.biases, p.L0.macs) == (256 * 64, 64, 256 * 64 * 56 * 56)
    assert p.L0.output == (64, 56, 56)
    block = r.at["layer1.1"]
    assert (r.at["layer1.1.conv1"].params, r.at["layer1.1.conv2"].params, r.at["layer1.1.conv3"].params) == \
        (256 * 64, 64 * 64 * 9, 64 * 256)
    assert block.params == 256 * 64 + 64 * 64 * 9 + 64 * 256 + 2 * (64 + 64 + 256)
    assert block.macs == (256 * 64 + 64 * 64 * 9 + 64 * 256) * 56 * 56
    assert (q.L0.params, q.L0.macs) == (256 * 256 * 9, 256 * 256 * 9 * 56 * 56)
    text = rendered("pointwise-convolution")
    assert "16,384 weights (256 x 64) and 64 biases, 16,448 parameters, and 51,380,224 multiply-accumulates" in text
    assert f"{q.L0.params / block.params:.1f} times the parameters and {q.L0.macs / block.macs:.1f} times" in text


def test_a_1x1_convolution_is_a_fully_connected_layer_at_each_pixel():
    forward = load_pages()["pointwise-convolution"].example["setup"]["forward"]
    w = np.array(forward["weights"]["0.weight"])[:, :, 0, 0]
    b = np.array(forward["weights"]["0.bias"])
    x = np.array(forward["input"], dtype=np.float64)
    by_hand = np.einsum("oc,chw->ohw", w, x) + b[:, None, None]
    out = namespace("pointwise-convolution")["fwd"].out[0].array
    assert out == pytest.approx(by_hand)
    assert list(w @ x[:, 0, 1] + b) == [0, 3.5]
    text = rendered("pointwise-convolution")
    assert "y[0] = 0 + (1)*(2) + (0)*(1) + (-1)*(2)\n     = 0\n" in text and "     = 3.5\n" in text


# -- grouped and depthwise-separable convolution ------------------------------------------------

def test_the_separable_ratio_is_one_over_c_out_plus_one_over_k_squared():
    facts = namespace("grouped-convolution")
    plain, sep, g4 = facts["plain"], facts["sep"], facts["g4"]
    c_in, c_out, k, hw = 32, 64, 3, 112 * 112
    assert (plain.L0.params, plain.L0.macs) == (c_out * c_in * k * k, c_out * c_in * k * k * hw)
    assert (sep.L0.params, sep.L0.macs) == (c_in * k * k, c_in * k * k * hw)
    assert (sep.L1.params, sep.L1.macs) == (c_in * c_out, c_in * c_out * hw)
    assert g4.L0.params == c_out * (c_in // 4) * k * k and g4.L0.macs == g4.L0.params * hw
    ratio = Fraction(sep.total_params, plain.total_params)
    assert ratio == Fraction(1, c_out) + Fraction(1, k * k) == Fraction(sep.total_macs, plain.total_macs)
    text = rendered("grouped-convolution")
    assert f"needs {float(ratio):.4f} of the plain convolution's parameters and {float(ratio):.4f} of its MACs" in text
    assert f"1/64 + 1/9 = {1 / 64 + 1 / 9:.4f}: {1 / float(ratio):.1f} times fewer" in text
    assert "| depthwise + 1x1 | 2,336 | 29,302,784 |" in text and "| 3x3, 4 groups | 4,608 | 57,802,752 |" in text


def test_the_sentences_take_their_figures_from_the_setup_not_from_the_text():
    """Another p, width and kernel in the setup: the dropout and separable sentences follow them."""
    import copy
    from dataclasses import replace

    pages = load_pages()
    dropout = copy.deepcopy(pages["dropout"].example)
    dropout["setup"]["nets"]["d"]["layers"][0]["p"] = 0.2
    text = flat(Renderer(replace(pages["dropout"], example=dropout), "en").markdown())
    assert "each multiplied by 1/(1 - 0.2) = 1.25" in text and "1/(1 - 0.5)" not in text
    grouped = copy.deepcopy(pages["grouped-convolution"].example)
    nets = grouped["setup"]["nets"]
    nets["plain"]["layers"][0].update(out_channels=128, kernel_size=5, padding=2)
    nets["sep"]["layers"][0].update(kernel_size=5, padding=2)
    nets["sep"]["layers"][1]["out_channels"] = 128
    text = flat(Renderer(replace(pages["grouped-convolution"], example=grouped), "zh").markdown())
    assert f"正好是 1/128 + 1/25 = {1 / 128 + 1 / 25:.4f}" in text


def test_what_the_grouped_page_says_of_mobilenet_v2():
    mb = namespace("grouped-convolution")["mb"]
    depthwise, pointwise = mb.at["features.1.conv.0.0"], mb.at["features.1.conv.1"]
    assert (depthwise.input, depthwise.params, pointwise.params) == ((32, 112, 112), 32 * 9, 32 * 16)
    assert mb.at["features.2.conv.1.0"].params == 96 * 9 and mb.at["features.2.conv.1.0"].output == (96, 56, 56)
    assert mb.at["features.2"].params == 16 * 96 + 96 * 9 + 96 * 24 + 2 * (96 + 96 + 24)
    assert (mb.at["features.2"].type, mb.at["features.3"].type) == ("sequential", "residual")
    # An inverted residual widens by 6 and its last 1x1 is followed by batch norm only, no activation.
    summary = analyze(preset_spec("mobilenet_v2"))
    block = [record for record in summary if record.path.startswith("features.2.")]
    assert block[0].output_shape[0] == 6 * block[0].input_shape[0]
    assert [record.type for record in block[-2:]] == ["conv2d", "batchnorm2d"]
    assert load_pages()["grouped-convolution"].try_it["path"] == "features.2"  # the block the page works out


# -- in the app ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")])
async def test_two_pages_open_and_a_try_it_opens_build_on_its_preset(tmp_path, size, language):
    from textual.widgets import Markdown, OptionList

    from cnntui.tui.widgets.links import LinkBar

    app = make_app(tmp_path, language=language)
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_page(pilot, app, "start", language)
        listing = screen.query_one("#learn-list", OptionList)
        assert set(PAGES) <= {option.id for option in listing.options}
        source = lambda: str(screen.query_one(Markdown).source)  # noqa: E731
        app.open_concept("grouped-convolution")
        await wait_for_page(pilot, app, "grouped-convolution", language)
        await until(pilot, lambda: "2,336" in source() and "0.1267" in source(), "the separable pair's numbers")
        await pilot.press("slash", *("residual" if language == "en" else "残差连接"), "enter")
        await wait_for_page(pilot, app, "residual-connection", language)
        await until(pilot, lambda: "230,144" in source(), "layer2.0's parameters")
        bar = screen.query_one(LinkBar)
        assert bar.links[-1].target == "try:"
        bar.focus()
        bar.selected = len(bar.links) - 1
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "build", "Build opened")
        assert app.network.source == "resnet18"
        assert load_pages()["residual-connection"].try_it["path"] == "layer2.0"
        # Build unfolds layer2 and selects its first block, the one with the downsample shortcut
        await until(pilot, lambda: getattr(app.screen.selected_row().record, "path", None) == "layer2.0",
                    "layer2.0 selected in Build")
        assert app.screen.selected_row().kind == "block" and ("layers", 5) in app.screen.expanded


def test_a_try_it_may_name_a_block_by_its_path_and_a_wrong_path_is_a_content_problem():
    from cnntui.learn.render import _try_problems

    presets = {"resnet18", "mobilenet_v2"}
    assert _try_problems({"mode": "build", "preset": "resnet18", "path": "layer2.0"}, presets) == []
    assert _try_problems({"mode": "build", "preset": "resnet18", "path": "layer2.0.downsample.0"}, presets) == []
    assert _try_problems({"mode": "build", "preset": "resnet18", "path": "layer9.0"}, presets) == [
        "path 'layer9.0' is not in resnet18"]


async def test_each_pages_try_it_selects_the_layer_or_block_it_is_about_with_its_blocks_unfolded(tmp_path):
    """A try-it used to stop at the folded top-level block around what the page is about."""
    app = make_app(tmp_path, mode="build")
    async with app.run_test(size=(80, 24)) as pilot:
        for page in PAGES:
            target = load_pages()[page].try_it
            app.try_it(target)
            await until(pilot, lambda: app.current_mode == "build" and app.network.source == target["preset"]
                        and app.requested_layer is None, f"{page}'s try-it")
            row = app.screen.selected_row()
            if "path" in target:
                assert row.record.path == target["path"], page
            else:
                assert row.address == ("layers", target["layer"]), page
            shown = [shown_row.address for shown_row in app.screen.shown_rows]
            assert row.address in shown, f"{page}: the selected row is on the table, not inside a folded block"
