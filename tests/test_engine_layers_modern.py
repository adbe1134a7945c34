"""The layer types of modern CNNs, one layer at a time: grouped and depthwise convolution, batch norm,
dropout, ReLU6, SiLU, hardswish and adaptive average pooling.

Each is checked against numbers worked by hand, against a naive loop implementation written here,
against central finite differences in float64 and, where torch is installed, against PyTorch forward
and backward, in training and in evaluation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnntui.core import CnntuiError, SpecError
from cnntui.core.layers import LAYER_TYPES
from conftest import window_out
from test_engine_backward import numeric_grad

TOL = 1e-6


def make(spec: dict, shape: tuple[int, ...]):
    """The layer ``spec`` describes, checked against input ``shape`` as the analysis does; and its output shape."""
    layer = LAYER_TYPES[spec["type"]].parse(0, spec)
    return layer, layer.output_shape(shape)


def random_params(layer, shape, rng) -> dict[str, np.ndarray]:
    return {kind: rng.standard_normal(s) for kind, s in layer.param_shapes(shape).items()}


def check_gradients(layer, x, params, training=False, state=None):
    """backward against finite differences of L = sum(y * G), for the input and every parameter.
    ``state`` (buffers) is copied afresh for each forward pass, so a training pass's update of the
    running statistics cannot leak from one evaluation of L into the next."""
    state = state or {}
    g = np.random.default_rng(1).standard_normal(layer.forward(x, {**params, **copied(state)}, training).shape)

    def loss():
        return float((layer.forward(x, {**params, **copied(state)}, training) * g).sum())

    y = layer.forward(x, {**params, **copied(state)}, training)
    grad_x, grads = layer.backward(x, y, g, {**params, **copied(state)}, training)
    np.testing.assert_allclose(grad_x, numeric_grad(loss, x), rtol=TOL, atol=TOL)
    assert set(grads) == set(params)
    for kind, value in params.items():
        np.testing.assert_allclose(grads[kind], numeric_grad(loss, value), rtol=TOL, atol=TOL, err_msg=kind)


def copied(state: dict) -> dict:
    return {kind: value.copy() for kind, value in state.items()}


# -- grouped and depthwise convolution ------------------------------------------------------------

def loop_conv(x, weight, bias, stride, padding, dilation, groups):
    """Convolution by its definition: every output is one group's window times its filter, plus the bias."""
    n, c_in, h, w = x.shape
    c_out, per_group, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = window_out(h, kh, stride, padding, padding, dilation)
    cols = window_out(w, kw, stride, padding, padding, dilation)
    y = np.zeros((n, c_out, rows, cols))
    for o in range(c_out):
        group = o // (c_out // groups)
        channels = slice(group * per_group, (group + 1) * per_group)
        for r in range(rows):
            for c in range(cols):
                window = padded[:, channels, r * stride:r * stride + dilation * (kh - 1) + 1:dilation,
                                c * stride:c * stride + dilation * (kw - 1) + 1:dilation]
                y[:, o, r, c] = (window * weight[o]).sum(axis=(1, 2, 3)) + bias[o]
    return y


def loop_conv_backward(x, weight, grad_y, stride, padding, dilation, groups):
    """dL/dx and dL/dW of ``loop_conv``, one output at a time."""
    c_out, per_group, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_padded, grad_weight = np.zeros_like(padded), np.zeros_like(weight)
    for o in range(c_out):
        group = o // (c_out // groups)
        channels = slice(group * per_group, (group + 1) * per_group)
        for r in range(grad_y.shape[2]):
            for c in range(grad_y.shape[3]):
                rows = slice(r * stride, r * stride + dilation * (kh - 1) + 1, dilation)
                cols = slice(c * stride, c * stride + dilation * (kw - 1) + 1, dilation)
                g = grad_y[:, o, r, c][:, None, None, None]
                grad_weight[o] += (padded[:, channels, rows, cols] * g).sum(axis=0)
                grad_padded[:, channels, rows, cols] += weight[o][None] * g
    h, w = x.shape[2:]
    return grad_padded[:, :, padding:padding + h, padding:padding + w], grad_weight


CONV_CASES = [  # c_in, c_out, groups, kernel, stride, padding, dilation, size
    (4, 6, 2, 3, 1, 1, 1, 6),
    (6, 9, 3, 3, 2, 1, 1, 7),
    (4, 4, 4, 3, 1, 1, 1, 6),  # depthwise
    (3, 6, 3, 3, 2, 1, 1, 7),  # depthwise, channel multiplier 2, stride 2
    (5, 5, 5, 3, 3, 2, 2, 9),  # depthwise, stride 3 and dilation 2
    (4, 8, 4, 2, 2, 0, 1, 7),  # depthwise, even kernel, an unused last row and column
    (8, 4, 4, 1, 1, 0, 1, 5),
]


def conv_spec(c_out, groups, kernel, stride, padding, dilation, bias=True):
    return {"type": "conv2d", "out_channels": c_out, "kernel_size": kernel, "stride": stride, "padding": padding,
            "dilation": dilation, "groups": groups, "bias": bias}


@pytest.mark.parametrize(("c_in", "c_out", "groups", "kernel", "stride", "padding", "dilation", "size"), CONV_CASES)
def test_grouped_conv_forward_and_backward_match_the_loop_definition(c_in, c_out, groups, kernel, stride, padding,
                                                                      dilation, size):
    layer, out = make(conv_spec(c_out, groups, kernel, stride, padding, dilation), (c_in, size, size))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, c_in, size, size))
    params = random_params(layer, (c_in, size, size), rng)
    assert params["weight"].shape == (c_out, c_in // groups, kernel, kernel)
    y = layer.forward(x, params)
    expected = loop_conv(x, params["weight"], params["bias"], stride, padding, dilation, groups)
    assert y.shape == (2, *out) == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    grad_y = rng.standard_normal(y.shape)
    grad_x, grads = layer.backward(x, y, grad_y, params)
    want_x, want_w = loop_conv_backward(x, params["weight"], grad_y, stride, padding, dilation, groups)
    np.testing.assert_allclose(grad_x, want_x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["weight"], want_w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["bias"], grad_y.sum(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize(("c_in", "c_out", "groups"), [(4, 6, 2), (3, 6, 3), (2, 2, 2)])
def test_grouped_conv_gradients_match_finite_differences(c_in, c_out, groups):
    layer, _ = make(conv_spec(c_out, groups, 3, 2, 1, 1), (c_in, 5, 5))
    rng = np.random.default_rng(2)
    check_gradients(layer, rng.standard_normal((2, c_in, 5, 5)), random_params(layer, (c_in, 5, 5), rng))


@st.composite
def grouped_convs(draw):
    groups = draw(st.integers(1, 4))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel, stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.integers(0, kernel // 2 + 1))
    size = draw(st.integers(dilation * (kernel - 1) + 1, 8))
    return c_in, c_out, groups, kernel, stride, padding, dilation, size, draw(st.booleans())


@settings(max_examples=40)
@given(grouped_convs(), st.integers(1, 3), st.integers(0, 2**16))
def test_a_grouped_conv_is_its_groups_convolved_apart_and_stacked(case, batch, seed):
    c_in, c_out, groups, kernel, stride, padding, dilation, size, bias = case
    shape = (c_in, size, size)
    layer, _ = make(conv_spec(c_out, groups, kernel, stride, padding, dilation, bias), shape)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape))
    params = random_params(layer, shape, rng)
    per_in, per_out = c_in // groups, c_out // groups
    plain, _ = make(conv_spec(per_out, 1, kernel, stride, padding, dilation, bias), (per_in, size, size))
    parts, grad_parts = [], []
    grad_y = rng.standard_normal((batch, *layer.output_shape(shape)))
    for g in range(groups):
        part = {kind: value[g * per_out:(g + 1) * per_out] for kind, value in params.items()}
        x_part = x[:, g * per_in:(g + 1) * per_in]
        y_part = plain.forward(x_part, part)
        parts.append(y_part)
        grad_parts.append(plain.backward(x_part, y_part, grad_y[:, g * per_out:(g + 1) * per_out], part))
    y = layer.forward(x, params)
    np.testing.assert_allclose(y, np.concatenate(parts, axis=1), rtol=1e-10, atol=1e-10)
    grad_x, grads = layer.backward(x, y, grad_y, params)
    np.testing.assert_allclose(grad_x, np.concatenate([g[0] for g in grad_parts], axis=1), rtol=1e-10, atol=1e-10)
    for kind in params:
        np.testing.assert_allclose(grads[kind], np.concatenate([g[1][kind] for g in grad_parts]), rtol=1e-10,
                                   atol=1e-10)


def test_depthwise_conv_in_float32_stays_float32_and_close_to_float64():
    layer, _ = make(conv_spec(32, 32, 3, 2, 1, 1), (32, 15, 15))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 32, 15, 15))
    params = random_params(layer, (32, 15, 15), rng)
    y64 = layer.forward(x, params)
    y32 = layer.forward(x.astype(np.float32), {k: v.astype(np.float32) for k, v in params.items()})
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-4)


def test_groups_count_parameters_macs_and_the_derivation():
    layer, out = make(conv_spec(128, 2, 3, 1, 1, 1), (64, 56, 56))
    assert layer.param_shapes((64, 56, 56)) == {"weight": (128, 32, 3, 3), "bias": (128,)}
    assert layer.macs((64, 56, 56), out) == 128 * 56 * 56 * 32 * 3 * 3
    lines = layer.derivation((64, 56, 56), out)
    assert "params = (3*3*(64/2) + 1)*128 = 36992" in lines
    assert f"MACs = 128*56*56*(64/2)*3*3 = {128 * 56 * 56 * 32 * 9}" in lines
    assert layer.notes((64, 56, 56), out) == []
    assert not any("depthwise" in line for line in lines)


def test_a_depthwise_conv_says_so():
    layer, out = make(conv_spec(32, 32, 3, 1, 1, 1, bias=False), (32, 112, 112))
    lines = layer.derivation((32, 112, 112), out)
    assert "groups = C_in = 32 (depthwise)" in lines
    assert "params = 3*3*(32/32)*32 = 288" in lines
    assert [note.code for note in layer.notes((32, 112, 112), out)] == ["depthwise_conv"]
    assert "depthwise convolution" in str(layer.notes((32, 112, 112), out)[0])


def test_separable_pairs_are_found_through_per_value_layers_and_not_across_a_branch():
    import json

    from cnntui.core import analyze
    from cnntui.core.assets import find_network
    from cnntui.core.separable import plain_equivalent, separable_pairs

    depthwise = {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 8}
    summary = analyze({"input": [8, 6, 6], "layers": [
        depthwise, {"type": "batchnorm2d"}, {"type": "relu6"}, {"type": "conv2d", "out_channels": 16, "kernel_size": 1},
        {"type": "conv2d", "out_channels": 16, "kernel_size": 1},  # a 1x1 after a 1x1: no pair
        {"type": "residual", "body": [{**depthwise, "out_channels": 16, "groups": 16}]},  # the join ends it
        {"type": "conv2d", "out_channels": 16, "kernel_size": 1, "groups": 2},  # grouped: not pointwise
    ]})
    assert [(first.index, second.index) for first, second in separable_pairs(summary)] == [(0, 3)]
    assert [record.layer.pointwise() for record in summary.layers if record.type == "conv2d"] == [
        False, True, True, False, False]
    plain = plain_equivalent(summary.layers[0], summary.layers[3])
    assert (plain.params, plain.macs) == ((3 * 3 * 8 + 1) * 16, 16 * 6 * 6 * 8 * 3 * 3)
    # MobileNetV2: each of its 17 inverted residual blocks has one depthwise conv and the 1x1 that projects.
    mobilenet = json.loads(find_network("mobilenet_v2").read_text(encoding="utf-8"))
    assert len(separable_pairs(analyze(mobilenet))) == 17


def test_plain_conv_derivation_is_unchanged():
    layer, out = make({"type": "conv2d", "out_channels": 6, "kernel_size": 5}, (1, 32, 32))
    assert layer.groups == 1
    assert layer.derivation((1, 32, 32), out)[2:] == ["params = (5*5*1 + 1)*6 = 156", "MACs = 6*28*28*1*5*5 = 117600",
                                                     "FC equivalent = (1*32*32 + 1)*(6*28*28) = 4821600"]


@pytest.mark.parametrize(("c_in", "c_out", "groups", "message"), [
    (64, 128, 3, "groups 3 does not divide the 64 input channels; groups that divide both 64 and 128: "
                 "1, 2, 4, 8, 16, 32, 64"),
    (64, 100, 8, "groups 8 does not divide the 100 output channels (out_channels); groups that divide both 64 and "
                 "100: 1, 2, 4"),
    (720, 720, 7, "groups 7 does not divide the 720 input channels; groups that divide both 720 and 720: "
                  "1, 2, 3, 4, ..., 360, 720"),
])
def test_groups_that_do_not_divide_say_which_would(c_in, c_out, groups, message):
    layer = LAYER_TYPES["conv2d"].parse(0, conv_spec(c_out, groups, 3, 1, 1, 1))
    with pytest.raises(SpecError) as caught:
        layer.output_shape((c_in, 8, 8))
    assert str(caught.value) == f"layer 0 conv2d: {message}"
    assert caught.value.field == "groups"


def test_the_step_through_of_a_grouped_conv_reads_only_its_group():
    layer, _ = make(conv_spec(6, 3, 3, 1, 1, 1), (6, 5, 5))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 5, 5))
    params = random_params(layer, (6, 5, 5), rng)
    y = layer.forward(x[None], params)[0]
    step = layer.step(x, params, 3, 2, 1)  # output channel 3 is in group 1: input channels 2 and 3
    assert step.channels == [2, 3]
    assert step.kernels.shape == (2, 3, 3)
    assert step.value == pytest.approx(y[3, 2, 1], abs=1e-12)


# -- batch norm --------------------------------------------------------------------------------------

def batchnorm(shape=(1, 2, 2), **fields):
    return make({"type": "batchnorm2d", **fields}, shape)[0]


def test_batchnorm_training_normalises_by_the_batch_and_updates_the_running_stats_by_hand():
    layer = batchnorm()
    state = layer.initial_state((1, 2, 2), "he", np.random.default_rng(0))
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = layer.forward(x, state, training=True)
    # mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25
    np.testing.assert_allclose(y[0, 0], (x[0, 0] - 2.5) / math.sqrt(1.25 + 1e-5), rtol=1e-6)
    # running = 0.9*start + 0.1*batch, the variance unbiased: 1.25*4/3
    assert state["running_mean"][0] == pytest.approx(0.25, rel=1e-6)
    assert state["running_var"][0] == pytest.approx(0.9 + 0.1 * 1.25 * 4 / 3, rel=1e-6)
    assert state["num_batches_tracked"] == 1 and state["num_batches_tracked"].dtype == np.int64


def test_batchnorm_eval_uses_the_running_stats_by_hand():
    layer = batchnorm()
    state = {"weight": np.array([2.0]), "bias": np.array([0.5]), "running_mean": np.array([1.0]),
             "running_var": np.array([4.0]), "num_batches_tracked": np.array(3)}
    x = np.array([[[[1.0, 3.0], [5.0, -1.0]]]])
    y = layer.forward(x, state)
    np.testing.assert_allclose(y[0, 0], (x[0, 0] - 1.0) / math.sqrt(4.0 + 1e-5) * 2.0 + 0.5, rtol=1e-12)
    assert state["running_mean"][0] == 1.0 and state["num_batches_tracked"] == 3  # evaluation changes nothing


@settings(max_examples=30)
@given(st.sampled_from([(True, True), (False, True), (True, False), (False, False)]),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_batchnorm_step_is_exactly_the_forward_value(flags, dtype, seed):
    """View's worked value (BatchNorm2d.step) is forward's, to the last bit, in evaluation."""
    affine, track = flags
    rng = np.random.default_rng(seed)
    shape = (3, 4, 5)
    layer = batchnorm(shape, affine=affine, track_running_stats=track)
    state = {kind: rng.standard_normal(size).astype(dtype) for kind, size in layer.param_shapes(shape).items()}
    if track:
        state.update(running_mean=rng.standard_normal(3).astype(dtype),
                     running_var=rng.uniform(0.1, 3, 3).astype(dtype), num_batches_tracked=np.array(5))
    x = (rng.standard_normal((1, *shape)) * 3 + 1).astype(dtype)
    y = layer.forward(x, state)
    channel, row, col = (int(rng.integers(size)) for size in shape)
    step = layer.step(x[0], state, channel, row, col)
    assert step.output == float(y[0, channel, row, col])  # exactly: View shows forward's value
    assert step.uses_running_stats is track and step.x == float(x[0, channel, row, col])
    values = x[0, channel].astype(np.float64)
    mean, var = ((state["running_mean"][channel], state["running_var"][channel]) if track
                 else (values.mean(), values.var()))  # without running statistics: the image's, biased
    assert (step.mean, step.var) == (pytest.approx(mean, rel=1e-5), pytest.approx(var, rel=1e-5))
    assert step.normalised == pytest.approx((step.x - mean) / math.sqrt(var + 1e-5), rel=1e-4, abs=1e-5)
    gamma, beta = (state["weight"][channel], state["bias"][channel]) if affine else (None, None)
    assert (step.gamma, step.beta) == (gamma, beta)
    assert step.output == pytest.approx(step.normalised * (1 if gamma is None else gamma) + (beta or 0),
                                        rel=1e-4, abs=1e-5)


def test_batchnorm_with_momentum_null_keeps_a_cumulative_average():
    layer = batchnorm(momentum=None)
    state = layer.initial_state((1, 2, 2), "he", np.random.default_rng(0))
    batches = [np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), np.array([[[[0.0, 0.0], [0.0, 8.0]]]])]
    for x in batches:
        layer.forward(x, state, training=True)
    assert state["running_mean"][0] == pytest.approx((2.5 + 2.0) / 2)
    assert state["running_var"][0] == pytest.approx((np.var(batches[0], ddof=1) + np.var(batches[1], ddof=1)) / 2)
    assert state["num_batches_tracked"] == 2


def test_batchnorm_without_running_stats_always_uses_the_batch():
    layer = batchnorm((2, 3, 3), track_running_stats=False, affine=False)
    assert layer.buffer_shapes((2, 3, 3)) == {} and layer.param_shapes((2, 3, 3)) == {}
    x = np.random.default_rng(5).standard_normal((4, 2, 3, 3)) * 3 + 1
    np.testing.assert_allclose(layer.forward(x, {}), layer.forward(x, {}, training=True))
    np.testing.assert_allclose(layer.forward(x, {}).mean(axis=(0, 2, 3)), 0, atol=1e-12)


def test_batchnorm_shapes_initial_state_and_counts():
    layer = batchnorm((64, 56, 56))
    assert layer.param_shapes((64, 56, 56)) == {"weight": (64,), "bias": (64,)}
    assert layer.buffer_shapes((64, 56, 56)) == {"running_mean": (64,), "running_var": (64,),
                                                 "num_batches_tracked": ()}
    state = layer.initial_state((64, 56, 56), "he", np.random.default_rng(0))
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert (state["weight"] == 1).all() and (state["bias"] == 0).all() and state["weight"].dtype == np.float32
    assert (state["running_mean"] == 0).all() and (state["running_var"] == 1).all()
    assert state["num_batches_tracked"].shape == () and state["num_batches_tracked"].dtype == np.int64
    assert layer.macs((64, 56, 56), (64, 56, 56)) == 0
    assert layer.derivation((64, 56, 56), (64, 56, 56)) == [
        "y = (x - mean_c) / sqrt(var_c + 1e-05) * weight_c + bias_c", "params = 2*C = 2*64 = 128",
        "running statistics = 2*C = 2*64 = 128 (kept, not learned)"]
    note = layer.notes((64, 56, 56), (64, 56, 56))
    assert [n.code for n in note] == ["batchnorm_buffers"] and "128 values" in str(note[0])


@settings(max_examples=30)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 4), st.integers(0, 2**16))
def test_batchnorm_training_gives_each_channel_mean_0_and_variance_1_before_the_scale(batch, channels, size, seed):
    if batch * size * size == 1:
        return  # one value per channel: refused (tested below)
    rng = np.random.default_rng(seed)
    layer = batchnorm((channels, size, size))
    weight, bias = rng.uniform(0.5, 2, channels), rng.standard_normal(channels)
    state = {"weight": weight, "bias": bias, "running_mean": np.zeros(channels), "running_var": np.ones(channels),
             "num_batches_tracked": np.array(0)}
    x = rng.standard_normal((batch, channels, size, size)) * rng.uniform(0.5, 10) + rng.uniform(-5, 5)
    normalised = (layer.forward(x, state, training=True) - bias[:, None, None]) / weight[:, None, None]
    np.testing.assert_allclose(normalised.mean(axis=(0, 2, 3)), 0, atol=1e-9)
    variance = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(normalised.var(axis=(0, 2, 3)), variance / (variance + 1e-5), rtol=1e-9)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("affine", "track"), [(True, True), (False, True), (True, False)])
def test_batchnorm_gradients_match_finite_differences(training, affine, track):
    layer = batchnorm((2, 3, 3), affine=affine, track_running_stats=track)
    rng = np.random.default_rng(6)
    params = random_params(layer, (2, 3, 3), rng)
    state = {"running_mean": rng.standard_normal(2), "running_var": rng.uniform(0.5, 2, 2),
             "num_batches_tracked": np.array(0)} if track else {}
    check_gradients(layer, rng.standard_normal((3, 2, 3, 3)), params, training, state)


def test_batchnorm_refuses_a_vector_with_advice():
    layer = LAYER_TYPES["batchnorm2d"].parse(2, {"type": "batchnorm2d"})
    with pytest.raises(SpecError, match=r"^layer 2 batchnorm2d: batchnorm2d normalises each channel of feature maps, "
                                        r"but its input is a vector of 120 values; put it after a conv layer"):
        layer.output_shape((120,))


def test_batchnorm_in_training_refuses_one_value_per_channel():
    layer = batchnorm((3, 1, 1))
    layer.path = "layer4.1.bn2"
    state = layer.initial_state((3, 1, 1), "he", np.random.default_rng(0))
    with pytest.raises(CnntuiError, match="batchnorm2d layer4.1.bn2 in training needs more than one value per "
                                          "channel .* train with a batch of 2 or more"):
        layer.forward(np.ones((1, 3, 1, 1)), state, training=True)
    assert layer.forward(np.ones((1, 3, 1, 1)), state).shape == (1, 3, 1, 1)  # evaluation is fine
    assert layer.forward(np.ones((2, 3, 1, 1)), state, training=True).shape == (2, 3, 1, 1)


@pytest.mark.parametrize(("fields", "message"), [
    ({"eps": 0}, "eps must be more than 0 (it keeps the division by the standard deviation finite), got 0"),
    ({"momentum": "fast"}, 'momentum must be a number or null, got "fast"'),
    ({"affine": 1}, "affine must be true or false, got 1"),
])
def test_batchnorm_field_errors(fields, message):
    with pytest.raises(SpecError) as caught:
        LAYER_TYPES["batchnorm2d"].parse(0, {"type": "batchnorm2d", **fields})
    assert str(caught.value) == f"layer 0 batchnorm2d: {message}"


# -- dropout -------------------------------------------------------------------------------------------

def test_dropout_is_the_identity_in_evaluation():
    layer, out = make({"type": "dropout"}, (7,))
    assert layer.p == 0.5 and out == (7,)
    x = np.arange(14.0).reshape(2, 7)
    np.testing.assert_array_equal(layer.forward(x, {}), x)
    np.testing.assert_array_equal(layer.backward(x, x, x + 1, {})[0], x + 1)


def test_dropout_in_training_drops_with_the_seeded_mask_and_scales_the_rest():
    layer, _ = make({"type": "dropout", "p": 0.25}, (3, 4, 4))
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    memo = {"rng": np.random.default_rng(42)}
    y = layer.forward(x, {}, training=True, memo=memo)
    mask = np.random.default_rng(42).random(x.shape) >= 0.25
    np.testing.assert_array_equal(memo["mask"], mask)
    np.testing.assert_allclose(y, x * mask / 0.75, rtol=1e-6)
    assert y.dtype == np.float32
    grad_x, grads = layer.backward(x, y, np.ones_like(x), {}, training=True, memo=memo)
    np.testing.assert_allclose(grad_x, mask / 0.75, rtol=1e-6)
    assert grads == {}
    again = layer.forward(x, {}, training=True, memo={"rng": np.random.default_rng(42)})
    np.testing.assert_array_equal(again, y)  # the same seed, the same drops


@settings(max_examples=20)
@given(st.floats(0, 0.9), st.integers(0, 2**16))
def test_dropout_keeps_the_expected_value(p, seed):
    layer, _ = make({"type": "dropout", "p": p}, (20000,))
    x = np.full((1, 20000), 2.0)
    y = layer.forward(x, {}, training=True, memo={"rng": np.random.default_rng(seed)})
    kept = (y != 0).mean()
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / 20000) + 1e-9
    assert y.mean() == pytest.approx(2.0 * kept / (1 - p))
    assert abs(y.mean() - 2.0) < 10 * 2.0 * math.sqrt(p / (1 - p) / 20000) + 1e-9


@pytest.mark.parametrize("p", [1, 1.5, -0.1])
def test_dropout_p_outside_0_to_1_is_refused(p):
    with pytest.raises(SpecError) as caught:
        LAYER_TYPES["dropout"].parse(0, {"type": "dropout", "p": p})
    assert str(caught.value) == f"layer 0 dropout: p is the fraction of values dropped, at least 0 and below 1, got {p}"
    assert LAYER_TYPES["dropout"].parse(0, {"type": "dropout", "p": 0}).p == 0


# -- ReLU6, SiLU, hardswish ---------------------------------------------------------------------------

EDGES = np.array([-7.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 7.0])


@pytest.mark.parametrize(("kind", "values", "slopes"), [
    ("relu6", [0, 0, 0, 0, 1, 3, 6, 6], [0, 0, 0, 0, 1, 1, 0, 0]),
    ("hardswish", [0, 0, -1 / 3, 0, 2 / 3, 3, 6, 7], [0, 0, 1 / 6, 0.5, 5 / 6, 1, 1, 1]),  # as torch 2.13
])
def test_piecewise_activations_by_hand(kind, values, slopes):
    layer, _ = make({"type": kind}, (8,))
    x = EDGES[None]
    np.testing.assert_allclose(layer.forward(x, {})[0], values, atol=1e-15)
    np.testing.assert_allclose(layer.backward(x, layer.forward(x, {}), np.ones_like(x), {})[0][0], slopes, atol=1e-15)


def test_silu_by_hand_and_without_overflow():
    layer, _ = make({"type": "silu"}, (5,))
    x = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is right
        y = layer.forward(x, {})
        grad = layer.backward(x, y, np.ones_like(x), {})[0]
    np.testing.assert_allclose(y[0], [0, -1 / (1 + math.e), 0, 1 / (1 + math.exp(-1)), 1000], rtol=1e-6, atol=1e-30)
    # dy/dx = s*(1 + x*(1 - s)) with s = sigmoid(x): s^2 at x = -1
    np.testing.assert_allclose(grad[0], [0, (1 / (1 + math.e)) ** 2, 0.5,
                                         (1 + math.exp(-1) + math.exp(-1)) / (1 + math.exp(-1)) ** 2, 1], rtol=1e-6)
    assert y.dtype == np.float32


@pytest.mark.parametrize("kind", ["relu6", "silu", "hardswish"])
def test_new_activations_are_element_wise_he_initialised_and_have_correct_gradients(kind):
    cls = LAYER_TYPES[kind]
    assert cls.is_activation and cls.wants_he_init and not cls.has_neurons
    layer, out = make({"type": kind}, (2, 4, 4))
    assert out == (2, 4, 4) and layer.param_shapes((2, 4, 4)) == {}
    assert layer.derivation((2, 4, 4), out)[-1] == "params = 0"
    rng = np.random.default_rng(7)
    x = rng.uniform(-8, 8, (2, 2, 4, 4))
    x = np.where(np.min(np.abs(x[..., None] - np.array([-3, 0, 3, 6])), axis=-1) < 0.1, 1.5, x)  # off the kinks
    check_gradients(layer, x, {})


# -- adaptive average pooling -------------------------------------------------------------------------

def loop_adaptive(x, out_h, out_w):
    """PyTorch's definition: output (i, j) averages rows floor(i*H/out) .. ceil((i+1)*H/out) - 1, columns alike."""
    h, w = x.shape[2:]
    y = np.zeros((*x.shape[:2], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * h // out_h, math.ceil((i + 1) * h / out_h))
            cols = slice(j * w // out_w, math.ceil((j + 1) * w / out_w))
            y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


def test_adaptive_avg_pool_by_hand():
    layer, out = make({"type": "adaptive_avg_pool2d", "output_size": [1, 2]}, (1, 1, 5))
    assert out == (1, 1, 2)
    # columns 0-2 and 2-4: floor(0*5/2) = 0 to ceil(5/2) = 3, floor(5/2) = 2 to ceil(10/2) = 5
    y = layer.forward(np.array([[[[1.0, 2.0, 3.0, 4.0, 10.0]]]]), {})
    np.testing.assert_allclose(y[0, 0, 0], [2.0, 17 / 3])


@pytest.mark.parametrize(("size", "output_size"), [((7, 7), 1), ((7, 7), 7), ((14, 14), 7), ((13, 10), [6, 4]),
                                                   ((5, 3), [7, 8]), ((6, 6), [4, 1])])
def test_adaptive_avg_pool_matches_the_loop_definition_forward_and_backward(size, output_size):
    layer, out = make({"type": "adaptive_avg_pool2d", "output_size": output_size}, (3, *size))
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, *size))
    y = layer.forward(x, {})
    assert y.shape == (2, *out)
    np.testing.assert_allclose(y, loop_adaptive(x, *out[1:]), rtol=1e-12, atol=1e-14)
    check_gradients(layer, x, {})


@settings(max_examples=40)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**16))
def test_adaptive_avg_pool_is_the_loop_definition_for_any_sizes(height, width, out_h, out_w, seed):
    layer, out = make({"type": "adaptive_avg_pool2d", "output_size": [out_h, out_w]}, (2, height, width))
    x = np.random.default_rng(seed).standard_normal((2, 2, height, width))
    y = layer.forward(x, {})
    np.testing.assert_allclose(y, loop_adaptive(x, out_h, out_w), rtol=1e-12, atol=1e-14)
    # Backward is the transpose: <grad, forward(x)> = <backward(grad), x> for every x, as the map is linear.
    grad = np.random.default_rng(seed + 1).standard_normal(y.shape)
    grad_x = layer.backward(x, y, grad, {})[0]
    assert float((grad * y).sum()) == pytest.approx(float((grad_x * x).sum()), rel=1e-9, abs=1e-12)


def test_adaptive_avg_pool_to_one_keeps_maps_and_equals_global_average():
    layer, out = make({"type": "adaptive_avg_pool2d", "output_size": 1}, (512, 7, 7))
    assert out == (512, 1, 1)
    x = np.random.default_rng(9).standard_normal((1, 512, 7, 7)).astype(np.float32)
    gap = make({"type": "global_avg_pool"}, (512, 7, 7))[0]
    np.testing.assert_allclose(layer.forward(x, {}).reshape(1, 512), gap.forward(x, {}), rtol=1e-5, atol=1e-6)


def test_adaptive_avg_pool_reach_and_derivation():
    from cnntui.core.layers import Reach

    layer, out = make({"type": "adaptive_avg_pool2d", "output_size": [6, 7]}, (8, 13, 7))
    before = Reach((5, 5), (2, 2), (32, 32))
    after = layer.reach(before)
    # rows: windows of 3 (13 into 6: 0-2, 2-4, 4-6, 6-8, 8-10, 10-12), steps of 2; columns: windows of 1, step 1
    assert after == Reach((5 + 2 * 2, 5), (4, 2), (32, 32))
    assert layer.reach_text(before, after) == ["RF_h = 5 + (3-1)*2 = 9, jump_h = 2*2 = 4",
                                               "RF_w = 5 + (1-1)*2 = 5, jump_w = 2*1 = 2"]
    assert layer.derivation((8, 13, 7), out) == [
        "window_h(i) = ceil((i+1)*13/6) - floor(i*13/6) = 3", "window_w(i) = ceil((i+1)*7/7) - floor(i*7/7) = 1",
        "y = mean of each window, output 6x7", "params = 0"]
    whole = make({"type": "adaptive_avg_pool2d", "output_size": 1}, (8, 7, 7))[0]
    assert whole.reach(before) == Reach((5 + 6 * 2, 5 + 6 * 2), (14, 14), (32, 32))


def test_adaptive_avg_pool_needs_maps_and_an_output_size():
    layer = LAYER_TYPES["adaptive_avg_pool2d"].parse(0, {"type": "adaptive_avg_pool2d", "output_size": 1})
    with pytest.raises(SpecError, match="needs feature maps"):
        layer.output_shape((10,))
    with pytest.raises(SpecError, match='adaptive_avg_pool2d needs "output_size", e.g. "output_size": 1'):
        LAYER_TYPES["adaptive_avg_pool2d"].parse(0, {"type": "adaptive_avg_pool2d"})


# -- PyTorch parity ------------------------------------------------------------------------------------

def torch_grads(module_forward, x, params):
    """Output, dL/dx and dL/dparams from torch autograd for L = sum(y * G), G as in ``ours``."""
    import torch

    tx = torch.tensor(x, requires_grad=True)
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    y = module_forward(tx, tparams)
    g = np.random.default_rng(11).standard_normal(tuple(y.shape)).astype(x.dtype)
    (y * torch.tensor(g)).sum().backward()
    return y.detach().numpy(), g, tx.grad.numpy(), {k: v.grad.numpy() for k, v in tparams.items()}


def assert_torch_parity(layer, x, params, module_forward, training=False, state=None, rtol=1e-4, atol=1e-5):
    state = state or {}
    ty, g, tgx, tgp = torch_grads(module_forward, x, params)
    ours_state = copied(state)
    y = layer.forward(x, {**params, **ours_state}, training, memo={})
    np.testing.assert_allclose(y, ty, rtol=rtol, atol=atol)
    grad_x, grads = layer.backward(x, y, g, {**params, **copied(state)}, training, memo={})
    np.testing.assert_allclose(grad_x, tgx, rtol=rtol, atol=atol)
    for kind in params:
        np.testing.assert_allclose(grads[kind], tgp[kind], rtol=rtol, atol=atol, err_msg=kind)
    return ours_state


@pytest.mark.parametrize(("c_in", "c_out", "groups", "kernel", "stride", "padding", "dilation", "size"),
                         [*CONV_CASES, (32, 32, 32, 3, 2, 1, 1, 17), (16, 32, 4, 3, 1, 1, 1, 9)])
def test_grouped_conv_matches_torch(c_in, c_out, groups, kernel, stride, padding, dilation, size):
    torch = pytest.importorskip("torch")
    layer, _ = make(conv_spec(c_out, groups, kernel, stride, padding, dilation), (c_in, size, size))
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, c_in, size, size)).astype(np.float32)
    params = {k: v.astype(np.float32) for k, v in random_params(layer, (c_in, size, size), rng).items()}
    assert_torch_parity(layer, x, params, lambda tx, p: torch.nn.functional.conv2d(
        tx, p["weight"], p["bias"], stride=stride, padding=padding, dilation=dilation, groups=groups))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("momentum", "affine", "track"), [(0.1, True, True), (None, True, True), (0.3, False, True),
                                                           (0.1, True, False)])
def test_batchnorm_matches_torch(training, momentum, affine, track):
    torch = pytest.importorskip("torch")
    layer = batchnorm((4, 5, 5), momentum=momentum, affine=affine, track_running_stats=track)
    rng = np.random.default_rng(13)
    x = (rng.standard_normal((3, 4, 5, 5)) * 2 + 1).astype(np.float32)
    params = {k: v.astype(np.float32) for k, v in random_params(layer, (4, 5, 5), rng).items()}
    state = {}
    if track:
        state = {"running_mean": rng.standard_normal(4).astype(np.float32),
                 "running_var": rng.uniform(0.5, 2, 4).astype(np.float32), "num_batches_tracked": np.array(5)}
    module = torch.nn.BatchNorm2d(4, momentum=momentum, affine=affine, track_running_stats=track)
    module.train(training)
    buffers = {kind: torch.tensor(value) for kind, value in state.items()}  # torch updates these in place

    def forward(tx, p):
        return torch.func.functional_call(module, {**p, **buffers}, (tx,))

    ours_state = assert_torch_parity(layer, x, params, forward, training, state)
    for kind in state:
        np.testing.assert_allclose(ours_state[kind], buffers[kind].numpy(), rtol=1e-5, atol=1e-6, err_msg=kind)
    if track:
        assert (ours_state["num_batches_tracked"] == 5 + training).all()


def test_dropout_matches_torch_given_torchs_mask():
    torch = pytest.importorskip("torch")
    layer, _ = make({"type": "dropout", "p": 0.3}, (4, 6, 6))
    x = np.random.default_rng(14).uniform(0.5, 1.5, (2, 4, 6, 6)).astype(np.float32)  # no zeros: a 0 out is a drop
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.dropout(tx, 0.3, training=True)
    g = np.random.default_rng(15).standard_normal(x.shape).astype(np.float32)
    (ty * torch.tensor(g)).sum().backward()
    memo = {"mask": ty.detach().numpy() != 0}
    np.testing.assert_allclose(ty.detach().numpy(), x * memo["mask"] / np.float32(0.7), rtol=1e-6)
    np.testing.assert_allclose(layer.backward(x, None, g, {}, training=True, memo=memo)[0], tx.grad.numpy(),
                               rtol=1e-6)
    np.testing.assert_array_equal(layer.forward(x, {}), torch.nn.functional.dropout(tx, 0.3, training=False)
                                  .detach().numpy())


@pytest.mark.parametrize("kind", ["relu6", "silu", "hardswish"])
def test_activations_match_torch_at_the_kinks_too(kind):
    torch = pytest.importorskip("torch")
    function = {"relu6": torch.nn.functional.relu6, "silu": torch.nn.functional.silu,
                "hardswish": torch.nn.functional.hardswish}[kind]
    layer, _ = make({"type": kind}, (50,))
    x = np.concatenate([EDGES, np.random.default_rng(16).uniform(-9, 9, 42)]).astype(np.float32)[None]
    assert_torch_parity(layer, x, {}, lambda tx, p: function(tx), rtol=1e-6, atol=1e-6)
    big = np.array([[-1e4, -100.0, 100.0, 1e4]], dtype=np.float32)
    assert_torch_parity(layer, big, {}, lambda tx, p: function(tx), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("size", "output_size"), [((7, 7), 1), ((13, 10), [6, 4]), ((5, 3), [7, 8]), ((8, 8), 3)])
def test_adaptive_avg_pool_matches_torch(size, output_size):
    torch = pytest.importorskip("torch")
    layer, _ = make({"type": "adaptive_avg_pool2d", "output_size": output_size}, (3, *size))
    x = np.random.default_rng(17).standard_normal((2, 3, *size)).astype(np.float32)
    target = tuple(output_size) if isinstance(output_size, list) else output_size
    assert_torch_parity(layer, x, {}, lambda tx, p: torch.nn.functional.adaptive_avg_pool2d(tx, target),
                        rtol=1e-5, atol=1e-6)


# -- the step-through of a grouped conv in View ----------------------------------------------------

async def test_view_steps_through_a_grouped_conv_reading_only_its_group(tmp_path):
    """Output channel 5 of a conv with 6 input channels in 3 groups reads input channels 4 and 5;
    {{ and }} choose between those two, and the kernel panel shows that channel's weights."""
    import json

    from test_view import ready, shown_text, view_app

    from cnntui.render.panels import number

    spec = {"input": [3, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1}, {"type": "relu6"},
        {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1, "groups": 3}]}
    path = tmp_path / "grouped.json"
    path.write_text(json.dumps(spec))
    app = view_app(tmp_path, str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        screen.select_layer(2)
        await pilot.pause()
        await pilot.press("enter", *["right"] * 5, "s", "right_curly_bracket")
        assert screen.panel == "step" and screen.channel == 5 and screen.in_channel == 1
        text = shown_text(screen)
        assert "Shown: input channel 5 (" in text and " of its group's 2)" in text and "input channel 5 = " in text
        await pilot.press("right_curly_bracket")  # only two to choose from: back to the first
        assert screen.in_channel == 0 and "input channel 4 = " in shown_text(screen)
        value = number(float(screen.result.outputs[2][5, 0, 0])).strip()
        assert f"= {value}" in shown_text(screen)


def test_the_layers_that_work_value_by_value_say_so_and_softmax_does_not():
    from cnntui.core import LAYER_TYPES

    per_value = {kind for kind, cls in LAYER_TYPES.items() if cls.per_value}
    assert per_value == {"relu", "relu6", "leaky_relu", "sigmoid", "tanh", "silu", "hardswish", "batchnorm2d",
                         "dropout"}
