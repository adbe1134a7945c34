"""Build's block templates: each compiles where it is put, and matches torchvision's block of that size."""

import json
import subprocess
import sys

import pytest

from cnntui.content import catalog
from cnntui.core.analysis import analyze
from cnntui.core.assets import assets_dir
from cnntui.core.templates import TEMPLATE_NAMES, make_template
from cnntui.render.text import cell_width

SHAPES = [(64, 56, 56), (24, 7, 7), (3, 1, 1), (7, 9, 9), (256, 14, 14)]


def analysed(name: str, shape, before: list | None = None):
    spec = {"input": list(shape), "layers": [*(before or []), make_template(name, shape)]}
    return analyze(spec)


def bn(c: int) -> int:
    return 2 * c  # gamma and beta


def conv(c_in: int, c_out: int, k: int, groups: int = 1, bias: bool = False) -> int:
    return c_out * (c_in // groups) * k * k + (c_out if bias else 0)


# Hand-computed from torchvision's module shapes (for ResNet-18's layer1.0, ResNet-50's layer1.1,
# MobileNetV2's features.3, SqueezeNet 1.1's features.4, GoogLeNet's inception3a, DenseNet-121's
# denseblock1.denselayer1: the preset block of the same size is checked to agree below).
TORCHVISION = {
    "basic": ((64, 56, 56), 2 * (conv(64, 64, 3) + bn(64)), 64),  # 73,728 + 256 = 73,984
    "bottleneck": ((256, 56, 56), conv(256, 64, 1) + conv(64, 64, 3) + conv(64, 256, 1) + bn(64) * 2 + bn(256), 256),
    "inverted_residual": ((24, 56, 56), conv(24, 144, 1) + conv(144, 144, 3, groups=144) + conv(144, 24, 1)
                          + 2 * bn(144) + bn(24), 24),
    "fire": ((128, 55, 55), conv(128, 16, 1, bias=True) + conv(16, 64, 1, bias=True) + conv(16, 64, 3, bias=True), 128),
    "inception": ((192, 28, 28), conv(192, 64, 1) + bn(64) + conv(192, 96, 1) + bn(96) + conv(96, 128, 3) + bn(128)
                  + conv(192, 16, 1) + bn(16) + conv(16, 32, 3) + bn(32) + conv(192, 32, 1) + bn(32), 256),
    "dense_layer": ((64, 56, 56), bn(64) + conv(64, 128, 1) + bn(128) + conv(128, 32, 3), 96),
}
PRESET_BLOCK = {"basic": ("resnet18", "layer1.0"), "bottleneck": ("resnet50", "layer1.1"),
                "inverted_residual": ("mobilenet_v2", "features.3"), "fire": ("squeezenet1_1", "features.4"),
                "inception": ("googlenet", "inception3a"),
                "dense_layer": ("densenet121", "features.denseblock1.denselayer1")}


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_each_template_compiles_with_no_problems_for_several_shapes(name):
    for shape in SHAPES:
        summary = analysed(name, shape)
        assert summary.problems == [], (name, shape, [str(p) for p in summary.problems])
        out = summary.output_shape
        assert out[1:] == shape[1:], (name, shape, out)  # every template keeps height and width
        if name in ("inception", "dense_layer"):
            assert out[0] > shape[0]  # these grow the channels, as their descriptions say
        elif name == "fire" and shape[0] == 1:
            assert out[0] == 2  # a squeeze to 1 channel still expands into two branches
        else:
            assert out[0] == shape[0]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_each_template_has_torchvision_parameters_and_output(name):
    shape, params, channels = TORCHVISION[name]
    summary = analysed(name, shape)
    assert summary.total_params == params
    assert summary.output_shape == (channels, *shape[1:])
    preset, path = PRESET_BLOCK[name]
    reference = analyze(json.loads((assets_dir() / "presets" / f"{preset}.json").read_text()))
    block = next(b for b in reference.blocks if b.path == path)
    assert (block.input_shape, block.params, block.buffers) == (shape, params, summary.total_buffers)


def test_the_figures_the_descriptions_quote():
    assert TORCHVISION["basic"][1] == 73_728 + 256
    # A dense layer adds k = 32 channels whatever comes in; an Inception module gives 4/3 of them.
    assert analysed("dense_layer", (100, 8, 8)).output_shape == (132, 8, 8)
    assert analysed("inception", (96, 8, 8)).output_shape == (128, 8, 8)
    body = make_template("inverted_residual", (16, 8, 8))["body"][0]["layers"]
    assert body[0]["layers"][0]["out_channels"] == 96 and body[1]["layers"][0]["groups"] == 96


def test_unknown_or_missing_shape_gives_64_channels_and_a_bad_name_is_refused():
    for shape in (None, (10,)):
        assert make_template("basic", shape) == make_template("basic", (64, 32, 32))
    with pytest.raises(ValueError, match="unknown template 'resnet'"):
        make_template("resnet", None)


def test_torchvision_names_so_paths_match_the_presets():
    summary = analyze({"input": [64, 8, 8], "layers": [make_template("basic", None), make_template("fire", None)]})
    paths = [r.path for r in summary.layers]
    assert paths[:6] == ["0.conv1", "0.bn1", "0.relu", "0.conv2", "0.bn2", "0"]
    # Fire's concat and branches are transparent: expand1x1 is the Fire module's own child.
    assert "1.expand1x1" in paths and "1.expand3x3_activation" in paths and "1.squeeze" in paths


def test_every_template_has_a_line_in_both_languages():
    for language in ("en", "zh"):
        for name in TEMPLATE_NAMES:
            line = catalog(language)[f"build.template.{name}"]
            assert line and "\n" not in line and cell_width(line) <= 47  # one row of the add dialog at 80x24


def test_templates_import_without_numpy():
    code = "import sys, cnntui.core.templates as t; t.make_template('inception', None); print('numpy' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
