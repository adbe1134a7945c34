"""Analysis by hand: output shapes, parameters, MACs, receptive fields, derivations,
notes and the errors a wrong network gets. Every expected number below is worked
out from the formulas, not copied from the engine."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from cnntui.core import Network, SpecError, analyze
from cnntui.core.layers import LAYER_TYPES


def one_layer(layer: dict, input_shape) -> dict:
    return {"input": list(input_shape), "layers": [layer]}


def out_shape(layer: dict, input_shape):
    summary = analyze(one_layer(layer, input_shape))
    assert summary.ok, [str(p) for p in summary.problems]
    return summary[0].output_shape


def spec_error(spec) -> SpecError:
    with pytest.raises(SpecError) as info:
        Network.from_dict(spec)
    return info.value


# -- presets: parameter counts ----------------------------------------------


def test_tinyvgg_params_per_layer():
    s = Network.load("tinyvgg").summary()
    # conv1: (3*3*3 + 1)*10; conv2-4: (3*3*10 + 1)*10
    # 64 -> 62 -> 60 -> pool 30 -> 28 -> 26 -> pool 13; linear (10*13*13 + 1)*10, one output per shape,
    # exactly CNN Explainer's 19,920
    conv = [r.params for r in s if r.type == "conv2d"]
    assert conv == [280, 910, 910, 910]
    linear = [r.params for r in s if r.type == "linear"]
    assert linear == [16910]
    assert s.total_params == 280 + 3 * 910 + 16910 == 19920
    assert s.total_biases == 4 * 10 + 10
    assert s.total_weights == 19920 - 50
    assert linear[0] / s.total_params == pytest.approx(0.849, abs=5e-4)
    assert [r.output_shape for r in s][-4:] == [(10, 13, 13), (1690,), (10,), (10,)]


@pytest.mark.parametrize("name, total", [
    # 156 + 2416 + (400+1)*120 + (120+1)*84 + (84+1)*10
    ("lenet5", 156 + 2416 + 48120 + 10164 + 850),
    # 280 + 3*910 + (10+1)*10
    ("tinyvgg-gap", 280 + 3 * 910 + 110),
    # (784+1)*256 + (256+1)*128 + (128+1)*10
    ("mlp", 200960 + 32896 + 1290),
    ("alexnet", 61_100_840),
    ("vgg16", 138_357_544),
])
def test_preset_totals(name, total):
    assert Network.load(name).summary().total_params == total


def test_lenet5_exact_total():
    assert Network.load("lenet5").summary().total_params == 61706
    assert Network.load("tinyvgg-gap").summary().total_params == 3120


def test_vgg16_analysis_allocates_nothing():
    tracemalloc.start()
    try:
        start = time.perf_counter()
        net = Network.load("vgg16")
        summary = net.summary()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.total_params == 138_357_544
    assert net.weights == {}
    assert elapsed < 1.0
    # 138M float32 weights would be 553 MB; analysis stays tiny.
    assert peak < 5 * 2**20
    assert summary.output_shape == (1000,)
    # 224 -> five 2x2 pools -> 7; 512*7*7 = 25088 features
    flat = [r for r in summary if r.type == "flatten"][0]
    assert flat.output_shape == (25088,)


def test_alexnet_shapes():
    s = Network.load("alexnet").summary()
    # (224 + 4 - 11)//4 + 1 = 55; pool (55-3)//2+1 = 27; 27; pool 13; 13; 13; 13; pool 6
    assert s[0].output_shape == (64, 55, 55)
    assert s[2].output_shape == (64, 27, 27)
    assert s[5].output_shape == (192, 13, 13)
    assert s[12].output_shape == (256, 6, 6)
    # torchvision's adaptive pooling to 6x6 is the identity at 224x224
    assert [(r.path, r.output_shape) for r in s][13:15] == [("avgpool", (256, 6, 6)), ("flatten", (9216,))]


# -- output sizes ------------------------------------------------------------


def test_ceil_mode_floor_vs_ceil():
    # (5 - 2)/2 = 1.5 -> floor 1 + 1 = 2, ceil 2 + 1 = 3; the 3rd window starts at 4 < 5
    assert out_shape({"type": "maxpool2d", "kernel_size": 2}, (1, 5, 5)) == (1, 2, 2)
    assert out_shape({"type": "maxpool2d", "kernel_size": 2, "ceil_mode": True}, (1, 5, 5)) == (1, 3, 3)
    assert out_shape({"type": "avgpool2d", "kernel_size": 2, "ceil_mode": True}, (1, 5, 5)) == (1, 3, 3)


def test_ceil_mode_with_padding_no_trim():
    # H=4, k=2, s=2, p=1: (4 + 2 - 2)/2 = 2 exactly, so floor = ceil = 2 + 1 = 3.
    # The last window starts at padded position 4 = input row 3: inside, kept.
    layer = {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}
    assert out_shape(layer, (1, 4, 4)) == (1, 3, 3)
    assert out_shape({**layer, "ceil_mode": False}, (1, 4, 4)) == (1, 3, 3)


def test_ceil_mode_trimming_rule_fires():
    # H=5, k=2, s=2, p=1: padded length 7, (5 + 2 - 2)/2 = 2.5 -> ceil 3, + 1 = 4 windows,
    # starting at padded positions 0, 2, 4, 6. Position 6 is the right padding
    # (the input occupies padded 1..5), so PyTorch drops that window: 3.
    layer = {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}
    summary = analyze(one_layer(layer, (1, 5, 5)))
    assert summary[0].output_shape == (1, 3, 3)
    assert summary[0].derivation[0] == "H_out = ceil((5 + 2*1 - 1*(2-1) - 1)/2) + 1 - 1 = 3"
    # Same for average pooling.
    avg = {"type": "avgpool2d", "kernel_size": 2, "padding": 1, "ceil_mode": True}
    assert out_shape(avg, (1, 5, 5)) == (1, 3, 3)


def test_ceil_mode_extra_window_inside_input_kept():
    # H=6, k=3, s=2, p=1: (6 + 2 - 3)/2 = 2.5 -> floor 3, ceil 4; the 4th window
    # starts at padded 6 = input row 5, which is inside the input, so it is kept.
    layer = {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1}
    assert out_shape(layer, (1, 6, 6)) == (1, 3, 3)
    assert out_shape({**layer, "ceil_mode": True}, (1, 6, 6)) == (1, 4, 4)


def test_dilation():
    # span = 2*(3-1) + 1 = 5; 7 - 5 + 1 = 3
    assert out_shape({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "dilation": 2}, (1, 7, 7)) == (1, 3, 3)
    assert out_shape({"type": "maxpool2d", "kernel_size": 3, "stride": 1, "dilation": 2}, (2, 7, 9)) == (2, 3, 5)


def test_dilated_kernel_too_big_message():
    e = spec_error(one_layer({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "dilation": 3}, (1, 6, 6)))
    # span 3*(3-1)+1 = 7 > 6
    assert "spans 7x7" in str(e)
    assert "6x6" in str(e)


def test_same_padding_even_kernel():
    layer = {"type": "conv2d", "out_channels": 2, "kernel_size": 4, "padding": "same"}
    summary = analyze(one_layer(layer, (1, 10, 10)))
    assert summary[0].output_shape == (2, 10, 10)
    # total padding 3: 1 before, 2 after (PyTorch puts the odd one at the end)
    assert summary[0].derivation[0] == "H_out = floor((10 + 1 + 2 - 1*(4-1) - 1)/1) + 1 = 10"


def test_same_padding_dilated_rectangular():
    layer = {"type": "conv2d", "out_channels": 2, "kernel_size": [3, 2], "dilation": [2, 3], "padding": "same"}
    assert out_shape(layer, (3, 5, 7)) == (2, 5, 7)


def test_same_with_stride_2_is_an_error():
    e = spec_error(one_layer({"type": "conv2d", "out_channels": 2, "kernel_size": 3,
                              "padding": "same", "stride": 2}, (1, 10, 10)))
    assert e.index == 0 and e.layer_type == "conv2d"
    assert "same" in str(e) and "stride" in str(e) and "2" in str(e)


def test_valid_padding():
    assert out_shape({"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": "valid"},
                     (1, 10, 8)) == (2, 8, 6)


def test_rectangular_fields():
    layer = {"type": "conv2d", "out_channels": 4, "kernel_size": [3, 1], "stride": [1, 2], "padding": [0, 1]}
    # H: 9 - 3 + 1 = 7; W: (8 + 2 - 1)//2 + 1 = 5
    assert out_shape(layer, (1, 9, 8)) == (4, 7, 5)


def test_pool_stride_defaults_to_kernel():
    assert out_shape({"type": "avgpool2d", "kernel_size": 3}, (2, 9, 10)) == (2, 3, 3)
    assert out_shape({"type": "maxpool2d", "kernel_size": [2, 3]}, (2, 8, 9)) == (2, 4, 3)


def test_flatten_gap_linear_shapes():
    spec = {"input": [3, 5, 4], "layers": [
        {"type": "flatten"}, {"type": "linear", "out_features": 7}, {"type": "softmax"}]}
    assert [r.output_shape for r in analyze(spec)] == [(60,), (7,), (7,)]
    spec = {"input": [3, 5, 4], "layers": [{"type": "global_avg_pool"}, {"type": "linear", "out_features": 2}]}
    s = analyze(spec)
    assert [r.output_shape for r in s] == [(3,), (2,)]
    assert s[1].params == 3 * 2 + 2


def test_bias_false_params():
    s = analyze({"input": [3, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 5, "kernel_size": 3, "bias": False},
        {"type": "flatten"}, {"type": "linear", "out_features": 4, "bias": False}]})
    assert (s[0].weights, s[0].biases) == (5 * 3 * 3 * 3, 0)
    assert (s[2].weights, s[2].biases) == (5 * 6 * 6 * 4, 0)
    assert s[0].derivation[2] == "params = 3*3*3*5 = 135"


# -- MACs ----------------------------------------------------------------------


def test_macs_lenet5():
    s = Network.load("lenet5").summary()
    assert s[0].macs == 6 * 28 * 28 * 1 * 5 * 5
    assert s[3].macs == 16 * 10 * 10 * 6 * 5 * 5
    assert s[7].macs == 400 * 120
    assert s[9].macs == 120 * 84
    assert s[11].macs == 84 * 10
    for i in (1, 2, 4, 5, 6, 8, 10, 12):
        assert s[i].macs == 0
    assert s.total_macs == 117600 + 240000 + 48000 + 10080 + 840


def test_macs_tinyvgg():
    s = Network.load("tinyvgg").summary()
    expected = (10 * 62 * 62 * 3 * 9 + 10 * 60 * 60 * 10 * 9 + 10 * 28 * 28 * 10 * 9
                + 10 * 26 * 26 * 10 * 9 + 1690 * 10)
    assert s.total_macs == expected


def test_macs_rectangular_strided_conv():
    layer = {"type": "conv2d", "out_channels": 3, "kernel_size": [2, 3], "stride": 2}
    s = analyze(one_layer(layer, (2, 7, 9)))
    # H: (7-2)//2+1 = 3, W: (9-3)//2+1 = 4
    assert s[0].output_shape == (3, 3, 4)
    assert s[0].macs == 3 * 3 * 4 * 2 * 2 * 3


# -- derivations and receptive field -------------------------------------------


def test_lenet5_first_layer_derivation():
    d = Network.load("lenet5").summary()[0].derivation
    assert "H_out = floor((32 + 2*0 - 1*(5-1) - 1)/1) + 1 = 28" in d
    assert "W_out = floor((32 + 2*0 - 1*(5-1) - 1)/1) + 1 = 28" in d
    assert "params = (5*5*1 + 1)*6 = 156" in d
    assert "MACs = 6*28*28*1*5*5 = 117600" in d
    # a fully connected layer from 1*32*32 inputs to 6*28*28 outputs
    assert f"FC equivalent = (1*32*32 + 1)*(6*28*28) = {(1024 + 1) * 4704}" in d


def test_conv_28_derivation():
    s = analyze(one_layer({"type": "conv2d", "out_channels": 6, "kernel_size": 5}, (1, 28, 28)))
    assert s[0].derivation[0] == "H_out = floor((28 + 2*0 - 1*(5-1) - 1)/1) + 1 = 24"
    assert s[0].output_shape == (6, 24, 24)


def test_linear_derivation():
    d = Network.load("lenet5").summary()[7].derivation
    assert "params = (400 + 1)*120 = 48120" in d
    assert "MACs = 400*120 = 48000" in d


def test_lenet5_receptive_field():
    s = Network.load("lenet5").summary()
    # conv5: 1 + 4*1 = 5 (jump 1); pool2: 5 + 1*1 = 6 (jump 2); conv5: 6 + 4*2 = 14 (jump 2);
    # pool2: 14 + 1*2 = 16 (jump 4); flatten only reshapes, so each value still sees 16x16;
    # the linear layers after it see the whole 32x32 input
    expected = {0: (5, 1), 1: (5, 1), 2: (6, 2), 3: (14, 2), 4: (14, 2), 5: (16, 4), 6: (16, 4)}
    for i, (rf, jump) in expected.items():
        assert s[i].receptive_field == (rf, rf), i
        assert s[i].jump == (jump, jump), i
    for r in s.layers[7:]:
        assert r.receptive_field == (32, 32)
    assert "RF = 6 + (5-1)*2 = 14, jump = 2*1 = 2" in s[3].derivation
    assert not any(line.startswith("RF") for line in s[6].derivation)
    assert "RF = whole input, 32x32" in s[7].derivation


def test_receptive_field_dilation_and_rectangles():
    s = analyze({"input": [1, 20, 20], "layers": [
        {"type": "conv2d", "out_channels": 1, "kernel_size": [3, 1], "stride": [2, 1]},
        {"type": "conv2d", "out_channels": 1, "kernel_size": 3, "dilation": 2}]})
    # layer 0: RF (3, 1), jump (2, 1); layer 1 span 5: RF (3 + 4*2, 1 + 4*1) = (11, 5)
    assert (s[0].receptive_field, s[0].jump) == ((3, 1), (2, 1))
    assert (s[1].receptive_field, s[1].jump) == ((11, 5), (2, 1))


# -- notes about unused inputs ---------------------------------------------------


def notes_of(layer, input_shape):
    s = analyze(one_layer(layer, input_shape))
    assert s.ok
    return [str(n) for n in s[0].notes]


def test_unused_tail_row():
    # k3 s2 on 8: windows start at 0, 2, 4 and reach 0..6; row/column 7 is never read
    notes = notes_of({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 2}, (1, 8, 8))
    assert len(notes) == 2
    rows = [n for n in notes if "rows" in n]
    cols = [n for n in notes if "columns" in n]
    assert len(rows) == len(cols) == 1
    assert "7" in rows[0] and "7" in cols[0]
    assert "stride 2" in rows[0]
    for n in notes:
        assert not any(str(i) in n.replace("stride 2", "") for i in (0, 1, 3, 4, 5, 6))


def test_unused_rows_only():
    notes = notes_of({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": [2, 1]}, (1, 8, 8))
    assert len(notes) == 1 and "rows" in notes[0] and "7" in notes[0]


def test_unused_odd_rows_of_strided_1x1():
    notes = notes_of({"type": "conv2d", "out_channels": 1, "kernel_size": 1, "stride": 2}, (1, 8, 8))
    assert len(notes) == 2
    for n in notes:
        assert "1, 3, 5, 7" in n
        assert "0" not in n and "2," not in n


def test_nothing_unused_when_tiled():
    assert notes_of({"type": "maxpool2d", "kernel_size": 2, "stride": 2}, (1, 26, 26)) == []
    assert notes_of({"type": "conv2d", "out_channels": 1, "kernel_size": 3}, (1, 8, 8)) == []
    # padding 1 and k3 s2 on 7: windows start at -1, 1, 3, 5 and reach -1..7: all read
    assert notes_of({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1},
                    (1, 7, 7)) == []


def test_unused_with_floor_pooling():
    # maxpool k2 on 5: windows 0-1, 2-3; row 4 is dropped
    notes = notes_of({"type": "maxpool2d", "kernel_size": 2}, (1, 5, 6))
    assert len(notes) == 1 and "rows" in notes[0] and "4" in notes[0]
    # with ceil_mode the third window reads row 4
    assert notes_of({"type": "maxpool2d", "kernel_size": 2, "ceil_mode": True}, (1, 5, 6)) == []


def test_flatten_of_vector_note():
    s = analyze({"input": [1, 2, 2], "layers": [{"type": "flatten"}, {"type": "flatten"}]})
    assert s.ok
    assert s[0].notes == []
    assert len(s[1].notes) == 1 and "already a vector" in str(s[1].notes[0])


# -- errors --------------------------------------------------------------------


def test_kernel_bigger_than_input_exact_message():
    spec = {"input": [1, 4, 4], "layers": [{"type": "relu"}, {"type": "relu"}, {"type": "relu"},
                                           {"type": "conv2d", "out_channels": 2, "kernel_size": 5}]}
    e = spec_error(spec)
    assert str(e) == ("layer 3 conv2d: the 5x5 kernel does not fit the 4x4 input (padding 0); "
                      "use padding >= 1 or a smaller kernel")
    assert e.index == 3 and e.layer_type == "conv2d"
    assert len(e.problems) == 1


def test_pool_kernel_too_big_suggests_smaller_kernel():
    # a pool's padding is capped at 3//2 = 1, and 5 + 2 < 8, so only a smaller kernel helps
    e = spec_error(one_layer({"type": "maxpool2d", "kernel_size": 3}, (1, 1, 1)))
    assert e.index == 0 and "does not fit" in str(e) and "1x1" in str(e) and "smaller kernel" in str(e)


def test_unknown_layer_type_suggestion():
    e = spec_error({"input": [1, 8, 8], "layers": [{"type": "relu"}, {"type": "conv2", "out_channels": 2}]})
    assert e.index == 1
    assert "conv2" in str(e) and "did you mean 'conv2d'" in str(e)


@pytest.mark.parametrize(("alias", "meant"), [
    ("gap", "global_avg_pool"), ("GlobalAveragePooling2D", "global_avg_pool"),
    ("global_avg_pooling", "global_avg_pool"), ("AdaptiveAvgPool2d", "adaptive_avg_pool2d"),
    ("fc", "linear"), ("Dense", "linear"), ("fully-connected", "linear"),
    ("conv", "conv2d"), ("Conv2D", "conv2d"), ("maxpool", "maxpool2d"), ("MaxPooling2D", "maxpool2d"),
    ("avgpool", "avgpool2d"), ("AveragePooling2D", "avgpool2d"), ("LeakyReLU", "leaky_relu"),
])
def test_other_names_for_a_layer_type_are_suggested_not_accepted(alias, meant):
    e = spec_error({"input": [1, 8, 8], "layers": [{"type": "relu"}, {"type": alias}]})
    assert e.index == 1 and f"unknown layer type '{alias}' (did you mean '{meant}'?)" in str(e)


def test_a_gap_layer_in_a_file_is_one_error_line_naming_global_avg_pool(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"input": [3, 32, 32], "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "gap"},
        {"type": "linear", "out_features": 2}]}), encoding="utf-8")
    result = subprocess.run([str(Path(sys.executable).with_name("cnntui")), "summary", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "cnntui: error: layer 1 gap: unknown layer type 'gap' (did you mean 'global_avg_pool'?); known types: "
        + ", ".join([*LAYER_TYPES, "sequential", "residual", "concat"])]


def test_unknown_field_suggestion():
    e = spec_error(one_layer({"type": "conv2d", "out_channels": 2, "kernal_size": 3}, (1, 8, 8)))
    assert e.index == 0 and e.layer_type == "conv2d"
    text = str(e)
    assert "kernal_size" in text and "did you mean 'kernel_size'" in text
    # kernel_size itself is now missing too; both problems are reported
    assert len(e.problems) == 2
    assert any("needs \"kernel_size\"" in str(p) for p in e.problems)


def test_missing_required_field():
    e = spec_error(one_layer({"type": "linear"}, (5, 1, 1)))
    assert e.layer_type == "linear" and "out_features" in str(e)
    e = spec_error(one_layer({"type": "conv2d", "kernel_size": 3}, (1, 8, 8)))
    assert "out_channels" in str(e)
    assert e.field == "out_channels"


@pytest.mark.parametrize("field, value, words", [
    ("out_channels", 0, ["out_channels", "at least 1", "0"]),
    ("out_channels", -3, ["out_channels", "-3"]),
    ("out_channels", 2.5, ["out_channels", "whole number", "2.5"]),
    ("out_channels", True, ["out_channels", "whole number", "true"]),
    ("out_channels", "4", ["out_channels", "whole number"]),
    ("kernel_size", 0, ["kernel_size", "at least 1"]),
    ("kernel_size", [3, 3, 3], ["kernel_size", "[height, width]"]),
    ("kernel_size", [3, False], ["kernel_size"]),
    ("kernel_size", False, ["kernel_size"]),
    ("stride", 0, ["stride", "at least 1"]),
    ("padding", -1, ["padding", "0 or more"]),
    ("padding", "full", ["padding", "same", "valid"]),
    ("dilation", 0, ["dilation"]),
    ("bias", 1, ["bias", "true or false"]),
])
def test_bad_field_values(field, value, words):
    layer = {"type": "conv2d", "out_channels": 2, "kernel_size": 3, field: value}
    e = spec_error(one_layer(layer, (1, 8, 8)))
    assert e.index == 0 and e.layer_type == "conv2d"
    assert e.field == field
    for word in words:
        assert word in str(e)


def test_bad_number_and_bool_fields():
    e = spec_error(one_layer({"type": "leaky_relu", "negative_slope": "0.1"}, (1, 2, 2)))
    assert "negative_slope" in str(e)
    e = spec_error(one_layer({"type": "leaky_relu", "negative_slope": float("nan")}, (1, 2, 2)))
    assert "negative_slope" in str(e)
    e = spec_error(one_layer({"type": "maxpool2d", "kernel_size": 2, "ceil_mode": "yes"}, (1, 4, 4)))
    assert "ceil_mode" in str(e)


def test_linear_on_maps():
    e = spec_error(one_layer({"type": "linear", "out_features": 10}, (3, 4, 4)))
    assert e.index == 0 and e.layer_type == "linear"
    assert "3x4x4" in str(e) and "flatten" in str(e) and "global_avg_pool" in str(e)


def test_conv_after_flatten():
    e = spec_error({"input": [1, 4, 4], "layers": [
        {"type": "flatten"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 1}]})
    assert e.index == 1 and e.layer_type == "conv2d"
    assert "feature maps" in str(e) and "16" in str(e)


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d", "global_avg_pool"])
def test_maps_layers_after_flatten(kind):
    layer = {"type": kind} if kind == "global_avg_pool" else {"type": kind, "kernel_size": 1}
    e = spec_error({"input": [1, 4, 4], "layers": [{"type": "flatten"}, layer]})
    assert e.index == 1 and e.layer_type == kind


def test_softmax_on_maps():
    e = spec_error(one_layer({"type": "softmax"}, (3, 4, 4)))
    assert e.layer_type == "softmax" and "flatten" in str(e)


def test_pool_padding_over_half_kernel():
    e = spec_error(one_layer({"type": "avgpool2d", "kernel_size": 2, "padding": 2}, (1, 8, 8)))
    assert e.layer_type == "avgpool2d"
    assert "padding 2" in str(e) and "at most 1" in str(e)
    # exactly half is allowed
    assert out_shape({"type": "avgpool2d", "kernel_size": 2, "padding": 1}, (1, 8, 8)) == (1, 5, 5)
    # per axis: [3, 2] kernel allows [1, 1] but not [1, 2]
    assert out_shape({"type": "maxpool2d", "kernel_size": [3, 2], "padding": [1, 1]}, (1, 6, 6)) == (1, 2, 4)
    spec_error(one_layer({"type": "maxpool2d", "kernel_size": [3, 2], "padding": [1, 2]}, (1, 6, 6)))


def test_all_problems_reported():
    spec = {"input": [1, 16, 16], "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "strid": 2},
        {"type": "relu"},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 0},
        {"type": "flatten"},
    ]}
    e = spec_error(spec)
    assert [p.index for p in e.problems] == [1, 4]
    assert "strid" in str(e.problems[0]) and "kernel_size" in str(e.problems[1])
    # str() of the error mentions both
    assert "layer 1 conv2d" in str(e) and "layer 4 maxpool2d" in str(e)

    summary = analyze(spec)  # never raises
    assert not summary.ok
    assert [p.index for p in summary.problems] == [1, 4]
    assert summary[0].output_shape == (4, 14, 14)
    for record in summary.layers[1:]:
        assert record.output_shape is None
        assert not record.ok
    assert summary[1].error is not None and summary[4].error is not None
    assert summary[2].error is None


def test_shape_error_then_later_layers_unknown():
    spec = {"input": [1, 4, 4], "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 5},
        {"type": "relu"},
        {"type": "linear", "out_features": 3},  # also wrong, but only knowable after layer 0
    ]}
    s = analyze(spec)
    assert [p.index for p in s.problems] == [0]
    assert [r.output_shape for r in s] == [None, None, None]
    assert s.output_shape is None


def test_problems_in_fields_and_shapes_together():
    spec = {"input": [1, 4, 4], "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 5},
        {"type": "sigmoid", "alpha": 1},
    ]}
    s = analyze(spec)
    assert [p.index for p in s.problems] == [0, 1]


@pytest.mark.parametrize("spec, words", [
    ([1, 2, 3], ["JSON object"]),
    ("lenet5", ["JSON object"]),
    (None, ["JSON object"]),
    ({"layers": []}, ["needs \"input\""]),
    ({"input": [1, 28, 28]}, ["needs \"layers\""]),
    ({"input": [0, 28, 28], "layers": []}, ["\"input\"", "[0, 28, 28]"]),
    ({"input": [1, 28], "layers": []}, ["\"input\"", "[channels, height, width]"]),
    ({"input": [1, 28, 28.0], "layers": []}, ["\"input\""]),
    ({"input": [True, 28, 28], "layers": []}, ["\"input\""]),
    ({"input": "1x28x28", "layers": []}, ["\"input\""]),
    ({"input": [1, 28, 28], "layers": {"type": "relu"}}, ["\"layers\" must be a list"]),
    ({"input": [1, 28, 28], "layers": [], "layer": []}, ["unknown key 'layer'", "did you mean 'layers'"]),
    ({"inputs": [1, 28, 28], "layers": []}, ["unknown key 'inputs'", "did you mean 'input'"]),
    ({"input": [1, 28, 28], "layers": [], "name": 5}, ["\"name\" must be text"]),
    ({"input": [1, 28, 28], "layers": ["relu"]}, ["a layer must be an object"]),
    ({"input": [1, 28, 28], "layers": [{"kernel_size": 3}]}, ["no \"type\""]),
])
def test_bad_top_level(spec, words):
    summary = analyze(spec)  # never raises
    assert not summary.ok
    e = spec_error(spec)
    for word in words:
        assert word in str(e), str(e)


def test_top_level_error_has_no_index():
    e = spec_error({"input": [0, 28, 28], "layers": []})
    assert e.index is None and e.layer_type is None


def test_explicit_null_input_is_rejected():
    # BUG: "input": null slips through (only a missing key is reported), and the
    # resulting Network has input_shape None and crashes later.
    spec = {"input": None, "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 3}]}
    assert not analyze(spec).ok
    spec_error(spec)


@pytest.mark.parametrize("bad_type", [[1], {"a": 1}, ["conv2d"]])
def test_unhashable_layer_type_is_a_spec_error(bad_type):
    # BUG: {"type": [..]} / {"type": {..}} makes `kind not in LAYER_TYPES` raise TypeError.
    spec = {"input": [1, 8, 8], "layers": [{"type": bad_type}]}
    summary = analyze(spec)
    assert not summary.ok and summary.problems[0].index == 0
    e = spec_error(spec)
    assert "unknown layer type" in str(e)


def test_non_string_layer_type():
    e = spec_error({"input": [1, 8, 8], "layers": [{"type": 5}]})
    assert e.index == 0 and "5" in str(e)


def test_huge_integer_number_field_is_a_spec_error():
    # BUG: math.isfinite(10**400) raises OverflowError; JSON can hold such an integer.
    spec = {"input": [1, 2, 2], "layers": [{"type": "leaky_relu", "negative_slope": 10**400}]}
    assert not analyze(spec).ok
    e = spec_error(spec)
    assert "negative_slope" in str(e)


def test_classes():
    base = {"input": [1, 2, 2], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 2}]}
    assert Network.from_dict({**base, "classes": ["cat", "dog"]}).classes == ["cat", "dog"]
    e = spec_error({**base, "classes": ["cat", "dog", "cow"]})
    assert "2 outputs" in str(e) and "names 3" in str(e)
    spec_error({**base, "classes": "cat"})
    spec_error({**base, "classes": ["cat", 2]})


def test_input_shape_override():
    net = Network.load("tinyvgg-gap", input_shape=(3, 32, 32))
    s = net.summary()
    # 32 -> 30 -> 28 -> 14 -> 12 -> 10 -> 5; the GAP head does not care
    assert s[9].output_shape == (10, 5, 5)
    assert s.total_params == 3120
    # tinyvgg's flatten head does: 10*5*5 = 250 features
    assert Network.load("tinyvgg", input_shape=(3, 32, 32)).summary()[11].params == (250 + 1) * 10


def test_from_dict_does_not_alias_the_spec():
    spec = {"input": [1, 4, 4], "layers": [{"type": "relu"}]}
    net = Network.from_dict(spec)
    spec["layers"].append({"type": "linear", "out_features": 3})
    assert len(net.layers) == 1
    assert net.to_dict() == {"input": [1, 4, 4], "layers": [{"type": "relu"}]}
