"""Build's side panel explains the new layers and the blocks with their real numbers, in both languages
(the numbers here are worked out by hand from the layers' shapes)."""

from __future__ import annotations

import json

import pytest

from cnntui.content import text
from cnntui.core import analyze
from cnntui.core.assets import find_network
from cnntui.core.templates import make_template
from cnntui.tui.screens.build_text import side_text
from cnntui.tui.screens.build_tree import tree_rows


def words(language: str):
    return lambda key, **args: text(language, key, **args)


def preset(name: str) -> dict:
    return json.loads(find_network(name).read_text(encoding="utf-8"))


def side(spec: dict, address: tuple, language: str = "en", kind: str | None = None) -> str:
    """The side text of the row at ``address`` (every block unfolded); ``kind`` "join" for a join row."""
    summary = analyze(spec)
    rows = tree_rows(spec, summary, {block.address for block in summary.blocks})
    row = next(r for r in rows if r.address == address and (kind is None or r.kind == kind))
    return " ".join(side_text(summary, row, words(language), language).plain.split())  # one line: wraps aside


def conv(out: int, kernel: int, **settings) -> dict:
    return {"type": "conv2d", "out_channels": out, "kernel_size": kernel, **settings}


BN_NET = {"input": [16, 8, 8], "layers": [conv(16, 3, padding=1), {"type": "batchnorm2d"},
                                          {"type": "batchnorm2d", "affine": False, "track_running_stats": False},
                                          {"type": "batchnorm2d", "momentum": None}]}


def test_batch_norm_says_its_2c_learned_parameters_and_2c_kept_statistics():
    en = side(BN_NET, ("layers", 1))
    assert "the scale gamma (weight) and the shift beta (bias), one each per channel: 2 x 16 = 32 parameters" in en
    assert "the running mean and variance, 16 each = 32 values (and num_batches_tracked)" in en
    assert "this batch's own mean and variance" in en and "(momentum 0.1)" in en
    assert "Eval (validation, View): the running mean and variance are used instead" in en
    zh = side(BN_NET, ("layers", 1), "zh")
    assert "2 x 16 = 32 个参数" in zh and "各 16 个，共 32 个值" in zh and "momentum 0.1" in zh
    assert "滑动统计量 = 2*C = 2*16 = 32 (保存但不学习)" in zh  # the engine's formula in Chinese words
    neither = side(BN_NET, ("layers", 2))
    assert "affine is off: no gamma and beta, so no parameters" in neither and "track_running_stats is off" in neither
    assert "16 each" not in neither
    assert "momentum null: a cumulative average over all batches" in side(BN_NET, ("layers", 3))


GROUPED = {"input": [8, 6, 6], "layers": [conv(16, 3, groups=4)]}
# A depthwise 3x3 (32 channels), batch norm and ReLU, then a 1x1 to 64: MobileNet's pair, at 10x10.
SEPARABLE = {"input": [32, 10, 10], "layers": [
    conv(32, 3, padding=1, groups=32, bias=False), {"type": "batchnorm2d"}, {"type": "relu"},
    conv(64, 1, bias=False)]}


def test_a_grouped_convolution_shows_its_weight_with_the_numbers():
    en = side(GROUPED, ("layers", 0))
    assert "the 8 input channels form 4 groups of 2" in en
    assert "Weight C_out x C_in/groups x k x k = 16 x 2 x 3 x 3 = 288, 4 times fewer than with groups = 1" in en
    assert "Depthwise" not in en and "pair" not in en
    zh = side(GROUPED, ("layers", 0), "zh")
    assert "8 个输入通道分成 4 组，每组 2 个" in zh and "= 16 x 2 x 3 x 3 = 288，是 groups = 1 时的 1/4" in zh


def test_a_depthwise_conv_and_the_1x1_after_it_against_the_plain_conv_they_replace():
    # depthwise 32*3*3 = 288 and 1x1 32*64 = 2,048: 2,336; a plain 3x3 from 32 to 64: 64*32*3*3 = 18,432.
    # MACs: 288*100 + 2,048*100 = 233,600 against 1,843,200. 2,336 / 18,432 = 12.7%, about 1/7.9.
    pair = ("Depthwise-separable pair 0 + 3: 2,336 parameters and 233,600 MACs, against 18,432 and 1,843,200 "
            "for the plain 3x3 conv 32 → 64 it replaces.")
    ratio = "The pair needs 12.7% (1/7.9) of the parameters and 12.7% (1/7.9) of the MACs."
    depthwise = side(SEPARABLE, ("layers", 0))
    assert "Depthwise: groups = C_in = 32, so each filter reads one input channel" in depthwise
    assert "32 x 1 x 3 x 3 = 288, 32 times fewer" in depthwise
    assert pair in depthwise and ratio in depthwise
    assert pair in side(SEPARABLE, ("layers", 3))  # the 1x1's row says it too
    zh = side(SEPARABLE, ("layers", 0), "zh")
    assert "深度可分离卷积对 0 + 3：2,336 个参数、233,600 次乘加" in zh and "需要 18,432 个参数、1,843,200 次乘加" in zh
    assert "这一对只需要 12.7% (1/7.9) 的参数和 12.7% (1/7.9) 的乘加" in zh
    # MobileNetV2's first block, where the 1x1 sits one level up from the depthwise conv's sequential:
    # 32*9 + 32*16 = 800 against 16*32*9 = 4,608.
    mobilenet = side(preset("mobilenet_v2"), ("layers", 0, "layers", 1, "layers", 0, "layers", 0, "layers", 0))
    assert "pair features.1.conv.0.0 + features.1.conv.1: 800 parameters" in mobilenet
    assert "against 4,608" in mobilenet and "17.4% (1/5.8) of the parameters" in mobilenet


def test_no_pair_when_something_else_comes_between_or_the_first_is_not_depthwise():
    pooled = {"input": [32, 10, 10], "layers": [conv(32, 3, padding=1, groups=32),
                                                {"type": "maxpool2d", "kernel_size": 2}, conv(64, 1)]}
    assert "pair" not in side(pooled, ("layers", 0)) and "pair" not in side(pooled, ("layers", 2))
    plain = {"input": [32, 10, 10], "layers": [conv(32, 3, padding=1), conv(64, 1)]}
    assert "pair" not in side(plain, ("layers", 1))


def test_a_1x1_convolution_is_channel_mixing_with_its_numbers():
    en = side(SEPARABLE, ("layers", 3))
    assert ("1x1 convolution: channel mixing. Each output value is a weighted sum of the 32 input values at one "
            "position") in en
    assert "64 such sums at each of the 100 positions, all sharing the same 2,048 parameters" in en
    zh = side(SEPARABLE, ("layers", 3), "zh")
    assert "1x1 卷积：混合通道" in zh and "同一位置上 32 个输入值" in zh and "在 100 个位置上各算 64 个" in zh


def test_a_residual_block_and_its_join_say_body_plus_shortcut_equals_output():
    spec = preset("resnet18")
    block = side(spec, ("layers", 5, "layers", 0), kind="block")
    assert block.startswith("layer2.0 (residual) → 128x28x28")
    assert "Unknown until" not in block and "params = " not in block  # its sums are in the sentence below
    assert "Residual block: the body's output is added, value by value, to the shortcut's." in block
    # conv1 64*128*9 = 73,728, conv2 128*128*9 = 147,456, downsample 64*128 = 8,192, three batch norms 3*256:
    # 230,144 of ResNet-18's 11,689,512 (2.0%); each batch norm keeps 2*128 + 1 = 257 values.
    assert "64x56x56 → 128x28x28 · 230,144 parameters (2.0% of the network) · 771 buffer values" in block
    assert "body 128x28x28 + shortcut 128x28x28 = 128x28x28" in block
    assert "The shortcut is layer2.0.downsample" in block and "After the sum: relu." in block
    join = side(spec, ("layers", 5, "layers", 0), kind="join")
    assert join.startswith("layer2.0 (residual: where the branches meet) → 128x28x28")
    assert "body 128x28x28 + shortcut 128x28x28 = 128x28x28" in join
    identity = side(spec, ("layers", 4, "layers", 1), "zh", kind="join")
    assert "主体 64x56x56 + 捷径 64x56x56 = 64x56x56" in identity and "捷径是恒等映射" in identity
    assert "主体 + 捷径" in identity  # the join's own formula, y = body + shortcut, in Chinese words
    mobile = side(make_spec("inverted_residual", 24), ("layers", 0), kind="block")
    assert "No activation after the sum" in mobile


def make_spec(template: str, channels: int) -> dict:
    return {"input": [channels, 8, 8], "layers": [make_template(template, (channels, 8, 8))]}


def test_a_broken_residual_shows_the_engines_message_and_fix_on_its_rows():
    spec = {"input": [8, 8, 8], "layers": [
        {"type": "residual", "body": [conv(16, 3, padding=1, stride=2)], "activation": "relu"},
        {"type": "sequential", "layers": [conv(4, 1)]}]}
    after = side(spec, ("layers", 1), kind="block")
    assert "Unknown until the layer above is fixed." in after and "Sequential block: its 1 entry" in after
    for kind in ("block", "join"):
        en = side(spec, ("layers", 0), kind=kind)
        assert "the body gives 16x4x4 but the shortcut gives 8x8x8" in en
        assert "give the block a shortcut, a 1x1 conv2d with stride 2 and 16 output channels" in en
        assert "body 16x4x4 + shortcut 8x8x8: the shapes differ, so they cannot be added." in en
    zh = side(spec, ("layers", 0), "zh", kind="join")
    assert "主体 16x4x4 + 捷径 8x8x8：形状不同，无法相加。" in zh


@pytest.mark.parametrize("language, expected", [
    ("en", "channels: 64 (branch1) + 128 (branch2) + 32 (branch3) + 32 (branch4) = 256"),
    ("zh", "通道数：64 (branch1) + 128 (branch2) + 32 (branch3) + 32 (branch4) = 256")])
def test_a_concatenation_adds_up_its_branches_channels(language, expected):
    spec = preset("googlenet")
    block = side(spec, ("layers", 5), language, kind="block")
    assert expected in block
    # the join row has the engine's own sum; the branch names are the block row's
    assert expected not in side(spec, ("layers", 5), language, kind="join")
    dense = side(make_spec("dense_layer", 64), ("layers", 0), language, kind="block")
    assert "64 (0) + 32 (1) = 96" in dense


def test_a_sequential_counts_its_entries_and_dropout_says_train_and_eval():
    spec = preset("resnet18")
    assert "Sequential block: its 2 entries run one after another" in side(spec, ("layers", 4))
    assert "顺序块：它的 2 个成员依次运行" in side(spec, ("layers", 4), "zh")
    assert "one entry" not in side(spec, ("layers", 4))
    dropout = {"input": [4, 2, 2], "layers": [{"type": "flatten"}, {"type": "dropout", "p": 0.3}]}
    en = side(dropout, ("layers", 1))
    assert "Dropout, p = 0.3: no parameters" in en and "zeroed with probability 0.3" in en
    assert "Eval (validation, View): nothing changes, y = x." in en
    assert "以 0.3 的概率被置零" in side(dropout, ("layers", 1), "zh")


def test_rows_inside_a_block_are_titled_by_path_and_the_input_row_by_its_shape():
    spec = preset("resnet18")
    assert side(spec, ("layers", 4, "layers", 0, "body", 0)).startswith("layer1.0.conv1 (conv2d) → 64x56x56")
    assert side(spec, ("layers", 0)).startswith("Layer 0: conv1 (conv2d) → 64x112x112")
    assert side(spec, ()).startswith("Input 3x224x224")
