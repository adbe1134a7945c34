"""The forward pass against a deliberately naive float64 reference.

The reference below loops over every output pixel, channel and kernel tap, and
follows PyTorch's documented semantics (cross-correlation, zero padding for conv
and avgpool, -inf for maxpool, ceil_mode's last-window rule, avgpool's divisor).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from cnntui.core import BudgetError, CnntuiError, Network, WeightsError
from cnntui.core.network import Outputs

RTOL = 1e-5
ATOL = 1e-5


# -- the naive reference ----------------------------------------------------------


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def axis_out(size, k, s, lo, hi, d=1, ceil_mode=False):
    span = d * (k - 1) + 1
    room = size + lo + hi - span
    if ceil_mode:
        out = math.ceil(room / s) + 1
        if (out - 1) * s >= size + lo:  # the last window must start inside input or left padding
            out -= 1
        return out
    return math.floor(room / s) + 1


def ref_conv2d(x, w, b, stride=1, padding=0, dilation=1):
    """x (C, H, W) float64; padding int, pair or 'same'/'valid'."""
    c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    if padding == "valid":
        top = bottom = left = right = 0
    elif padding == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        top, bottom, left, right = th // 2, th - th // 2, tw // 2, tw - tw // 2
    else:
        ph, pw = pair(padding)
        top = bottom = ph
        left = right = pw
    ho = axis_out(h, kh, sh, top, bottom, dh)
    wo = axis_out(wd, kw, sw, left, right, dw)
    y = np.zeros((c_out, ho, wo))
    for o in range(c_out):
        for i in range(ho):
            for j in range(wo):
                acc = 0.0 if b is None else float(b[o])
                for c in range(c_in):
                    for u in range(kh):
                        for v in range(kw):
                            r = i * sh + u * dh - top
                            q = j * sw + v * dw - left
                            if 0 <= r < h and 0 <= q < wd:
                                acc += float(w[o, c, u, v]) * float(x[c, r, q])
                y[o, i, j] = acc
    return y


def ref_maxpool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    c, h, wd = x.shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride if stride is not None else kernel_size)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    ho = axis_out(h, kh, sh, ph, ph, dh, ceil_mode)
    wo = axis_out(wd, kw, sw, pw, pw, dw, ceil_mode)
    y = np.full((c, ho, wo), -np.inf)
    for ch in range(c):
        for i in range(ho):
            for j in range(wo):
                for u in range(kh):
                    for v in range(kw):
                        r = i * sh + u * dh - ph
                        q = j * sw + v * dw - pw
                        if 0 <= r < h and 0 <= q < wd:
                            y[ch, i, j] = max(y[ch, i, j], x[ch, r, q])
    return y


def ref_avgpool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    c, h, wd = x.shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(stride if stride is not None else kernel_size)
    ph, pw = pair(padding)
    ho = axis_out(h, kh, sh, ph, ph, 1, ceil_mode)
    wo = axis_out(wd, kw, sw, pw, pw, 1, ceil_mode)
    y = np.zeros((c, ho, wo))
    for ch in range(c):
        for i in range(ho):
            for j in range(wo):
                total = 0.0
                for u in range(kh):
                    for v in range(kw):
                        r, q = i * sh + u - ph, j * sw + v - pw
                        if 0 <= r < h and 0 <= q < wd:
                            total += x[ch, r, q]
                # PyTorch's divisor: the window clipped to the padded input ...
                r0, q0 = i * sh - ph, j * sw - pw
                r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, wd + pw)
                if count_include_pad:
                    divisor = (r1 - r0) * (q1 - q0)
                else:
                    # ... and, without count_include_pad, to the real input.
                    divisor = (min(r1, h) - max(r0, 0)) * (min(q1, wd) - max(q0, 0))
                y[ch, i, j] = total / divisor
    return y


def ref_global_avg_pool(x):
    c, h, w = x.shape
    y = np.zeros(c)
    for ch in range(c):
        total = 0.0
        for i in range(h):
            for j in range(w):
                total += x[ch, i, j]
        y[ch] = total / (h * w)
    return y


def ref_flatten(x):
    c, h, w = x.shape
    y = np.zeros(c * h * w)
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                y[ch * h * w + i * w + j] = x[ch, i, j]
    return y


def ref_linear(x, w, b):
    out, n = w.shape
    y = np.zeros(out)
    for o in range(out):
        acc = 0.0 if b is None else float(b[o])
        for i in range(n):
            acc += float(w[o, i]) * float(x[i])
        y[o] = acc
    return y


def elementwise(x, f):
    return np.vectorize(f, otypes=[float])(x)


def ref_relu(x):
    return elementwise(x, lambda v: v if v > 0 else 0.0)


def ref_leaky_relu(x, slope=0.01):
    return elementwise(x, lambda v: v if v > 0 else slope * v)


def ref_sigmoid(x):
    return elementwise(x, lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)))


def ref_tanh(x):
    return elementwise(x, math.tanh)


def ref_softmax(x):
    m = max(x)
    e = [math.exp(v - m) for v in x]
    return np.array([v / sum(e) for v in e])


# -- helpers -----------------------------------------------------------------------


def single(layer, input_shape, weights=None) -> Network:
    net = Network.from_dict({"input": list(input_shape), "layers": [layer]})
    if weights is not None:
        net.set_weights(weights)
    return net


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


# -- conv2d ------------------------------------------------------------------------


CONV_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, padding=1),
    dict(kernel_size=[2, 3], stride=[2, 1], padding=[1, 0]),
    dict(kernel_size=3, dilation=2),
    dict(kernel_size=[3, 2], dilation=[1, 3], padding=2, stride=[1, 2]),
    dict(kernel_size=4, padding="same"),
    dict(kernel_size=[2, 3], padding="same", dilation=[3, 1]),
    dict(kernel_size=3, padding="valid", bias=False),
    dict(kernel_size=1, stride=3, bias=False),
    dict(kernel_size=5, padding=2, stride=3),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: str(c))
def test_conv2d_matches_reference(case):
    c_in, c_out, shape = 2, 3, (2, 7, 8)
    layer = {"type": "conv2d", "out_channels": c_out, **case}
    kh, kw = pair(case["kernel_size"])
    weights = {"0.weight": rand((c_out, c_in, kh, kw), 1)}
    bias = case.get("bias", True)
    if bias:
        weights["0.bias"] = rand((c_out,), 2)
    net = single(layer, shape, weights)
    x = rand(shape, 3)
    expected = ref_conv2d(x.astype(np.float64), weights["0.weight"], weights.get("0.bias"),
                          case.get("stride", 1), case.get("padding", 0), case.get("dilation", 1))
    (y,) = net.forward(x)
    assert y.shape == expected.shape
    assert net.summary()[0].output_shape == expected.shape
    assert y.dtype == np.float32
    close(y, expected)


def test_conv_tiny_by_hand():
    net = single({"type": "conv2d", "out_channels": 1, "kernel_size": 2}, (1, 3, 3),
                 {"0.weight": np.ones((1, 1, 2, 2)), "0.bias": np.zeros(1)})
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3)  # [[1,2,3],[4,5,6],[7,8,9]]
    (y,) = net.forward(x)
    # 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28
    np.testing.assert_array_equal(y, [[[12, 16], [24, 28]]])

    net.set_weights({"0.weight": np.ones((1, 1, 2, 2)), "0.bias": np.array([0.5])})
    np.testing.assert_array_equal(net.forward(x)[0], [[[12.5, 16.5], [24.5, 28.5]]])


def test_conv_is_cross_correlation_not_convolution():
    kernel = np.array([[[[1, 0], [0, 0]]]], dtype=np.float32)  # picks the window's top-left
    net = single({"type": "conv2d", "out_channels": 1, "kernel_size": 2, "bias": False}, (1, 3, 3),
                 {"0.weight": kernel})
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3)
    # a flipped (true) convolution would pick the bottom-right: [[5, 6], [8, 9]]
    np.testing.assert_array_equal(net.forward(x)[0], [[[1, 2], [4, 5]]])


def test_conv_zero_padding_by_hand():
    net = single({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "padding": 1}, (1, 2, 2),
                 {"0.weight": np.ones((1, 1, 3, 3)), "0.bias": np.zeros(1)})
    x = np.array([[[1, 2], [3, 4]]], dtype=np.float32)
    # every 3x3 window around a 2x2 input covers all four values; padding adds 0
    np.testing.assert_array_equal(net.forward(x)[0], np.full((1, 2, 2), 10.0))


def test_conv_multichannel_by_hand():
    # two input channels, weights 1 and 10: output = ch0 + 10*ch1 at each pixel
    w = np.array([[[[1.0]], [[10.0]]]])
    net = single({"type": "conv2d", "out_channels": 1, "kernel_size": 1}, (2, 2, 2),
                 {"0.weight": w, "0.bias": np.array([-1.0])})
    x = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], dtype=np.float32)
    np.testing.assert_array_equal(net.forward(x)[0], [[[50, 61], [72, 83]]])


# -- pooling -----------------------------------------------------------------------


MAXPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),  # 7 -> ceil rule trims in H
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, dilation=2),
    dict(kernel_size=3, dilation=2, padding=1, stride=2, ceil_mode=True),
    dict(kernel_size=[3, 2], stride=[1, 3], padding=[1, 0]),
]


@pytest.mark.parametrize("case", MAXPOOL_CASES, ids=lambda c: str(c))
def test_maxpool_matches_reference(case):
    shape = (2, 7, 8)
    net = single({"type": "maxpool2d", **case}, shape)
    x = rand(shape, 4)
    expected = ref_maxpool2d(x.astype(np.float64), **case)
    (y,) = net.forward(x)
    assert y.shape == expected.shape
    assert np.isfinite(y).all()
    close(y, expected)


def test_maxpool_negative_values_with_padding():
    # padding is -inf for max pooling, so an all-negative input never yields 0
    net = single({"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}, (1, 2, 2))
    x = np.array([[[-1, -2], [-3, -4]]], dtype=np.float32)
    np.testing.assert_array_equal(net.forward(x)[0], np.full((1, 2, 2), -1.0))


AVGPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=2, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    dict(kernel_size=[3, 2], stride=[2, 1], padding=[1, 1], count_include_pad=False),
]


@pytest.mark.parametrize("case", AVGPOOL_CASES, ids=lambda c: str(c))
def test_avgpool_matches_reference(case):
    shape = (2, 7, 8)
    net = single({"type": "avgpool2d", **case}, shape)
    x = rand(shape, 5)
    expected = ref_avgpool2d(x.astype(np.float64), **case)
    (y,) = net.forward(x)
    assert y.shape == expected.shape
    close(y, expected)


def test_avgpool_divisor_by_hand():
    # 1x3x3 of ones, k2 s2 p1. Windows on the padded 5x5 start at -1 and 1.
    x = np.ones((1, 3, 3), dtype=np.float32)
    include = single({"type": "avgpool2d", "kernel_size": 2, "padding": 1}, (1, 3, 3))
    exclude = single({"type": "avgpool2d", "kernel_size": 2, "padding": 1, "count_include_pad": False}, (1, 3, 3))
    # count_include_pad: corner window covers 1 real value / 4 -> 0.25; edge 2/4; interior 4/4
    np.testing.assert_allclose(include.forward(x)[0], [[[0.25, 0.5], [0.5, 1.0]]])
    # without it, each window divides by its real values only -> all ones
    np.testing.assert_allclose(exclude.forward(x)[0], np.ones((1, 2, 2)))


def test_avgpool_ceil_window_past_padding_divisor():
    # H=W=5 of ones, k2 s2 p0 ceil: third window starts at 4 and hangs past the input;
    # PyTorch clips it to the padded input (no padding here) first: divisor 1, mean 1.
    net = single({"type": "avgpool2d", "kernel_size": 2, "ceil_mode": True}, (1, 5, 5))
    y = net.forward(np.ones((1, 5, 5), dtype=np.float32))[0]
    np.testing.assert_allclose(y, np.ones((1, 3, 3)))


# -- dense and activations -----------------------------------------------------------


def test_global_avg_pool():
    shape = (3, 5, 4)
    x = rand(shape, 6)
    (y,) = single({"type": "global_avg_pool"}, shape).forward(x)
    assert y.shape == (3,)
    close(y, ref_global_avg_pool(x.astype(np.float64)))


def test_flatten_order_is_c_order():
    shape = (2, 3, 4)
    x = rand(shape, 7)
    (y,) = single({"type": "flatten"}, shape).forward(x)
    np.testing.assert_array_equal(y, ref_flatten(x))
    x = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    np.testing.assert_array_equal(single({"type": "flatten"}, (2, 2, 2)).forward(x)[0], np.arange(8))


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    spec = {"input": [2, 3, 2], "layers": [{"type": "flatten"},
                                            {"type": "linear", "out_features": 5, "bias": bias}]}
    net = Network.from_dict(spec)
    weights = {"1.weight": rand((5, 12), 8)}
    if bias:
        weights["1.bias"] = rand((5,), 9)
    net.set_weights(weights)
    x = rand((2, 3, 2), 10)
    flat, y = net.forward(x)
    close(y, ref_linear(ref_flatten(x.astype(np.float64)), weights["1.weight"], weights.get("1.bias")))


def test_linear_by_hand():
    net = Network.from_dict({"input": [1, 1, 2], "layers": [{"type": "flatten"},
                                                            {"type": "linear", "out_features": 2}]})
    net.set_weights({"1.weight": np.array([[1.0, 2.0], [-1.0, 0.5]]), "1.bias": np.array([0.0, 1.0])})
    x = np.array([[[3.0, 4.0]]], dtype=np.float32)
    # [1*3 + 2*4 + 0, -3 + 2 + 1]
    np.testing.assert_array_equal(net.forward(x)[1], [11.0, 0.0])


ACTIVATION_CASES = [
    ({"type": "relu"}, ref_relu),
    ({"type": "leaky_relu"}, ref_leaky_relu),
    ({"type": "leaky_relu", "negative_slope": 0.2}, lambda x: ref_leaky_relu(x, 0.2)),
    ({"type": "sigmoid"}, ref_sigmoid),
    ({"type": "tanh"}, ref_tanh),
]


@pytest.mark.parametrize("layer, ref", ACTIVATION_CASES, ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_activations(layer, ref):
    shape = (2, 4, 5)
    x = rand(shape, 11) * 3
    x[0, 0, 0] = 0.0
    (y,) = single(layer, shape).forward(x)
    assert y.shape == shape and y.dtype == np.float32
    close(y, ref(x.astype(np.float64)))


def test_activation_values_by_hand():
    x = np.array([[[-2.0, 0.0, 3.0]]], dtype=np.float32)
    np.testing.assert_array_equal(single({"type": "relu"}, (1, 1, 3)).forward(x)[0], [[[0, 0, 3]]])
    np.testing.assert_allclose(single({"type": "leaky_relu", "negative_slope": 0.5}, (1, 1, 3)).forward(x)[0],
                               [[[-1.0, 0.0, 3.0]]])
    np.testing.assert_allclose(single({"type": "sigmoid"}, (1, 1, 3)).forward(x)[0][0, 0, 1], 0.5)


def test_sigmoid_extremes_without_warnings():
    x = np.array([[[-100.0, -50.0, 0.0, 50.0, 100.0]]], dtype=np.float32)
    net = single({"type": "sigmoid"}, (1, 1, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            (y,) = net.forward(x)
    assert np.isfinite(y).all()
    assert y[0, 0, 0] == pytest.approx(math.exp(-100), rel=1e-3)
    assert y[0, 0, 2] == 0.5
    assert y[0, 0, 4] == 1.0
    assert (np.diff(y[0, 0]) >= 0).all()


def test_tanh_extremes():
    x = np.array([[[-100.0, 0.0, 100.0]]], dtype=np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        (y,) = single({"type": "tanh"}, (1, 1, 3)).forward(x)
    np.testing.assert_array_equal(y, [[[-1.0, 0.0, 1.0]]])


def softmax_net(n):
    return Network.from_dict({"input": [1, 1, n], "layers": [{"type": "flatten"}, {"type": "softmax"}]})


def test_softmax_matches_reference():
    x = rand((1, 1, 7), 12) * 4
    (_, y) = softmax_net(7).forward(x)
    close(y, ref_softmax(x.ravel().astype(np.float64)))
    assert y.sum() == pytest.approx(1.0, abs=1e-6)


def test_softmax_large_values_stable():
    x = np.array([[[1000.0, 1000.0, 0.0, -1000.0]]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            (_, y) = softmax_net(4).forward(x)
    np.testing.assert_allclose(y, [0.5, 0.5, 0.0, 0.0], atol=1e-7)


def test_softmax_batched_rows_independent():
    x = np.stack([rand((1, 1, 5), 13), rand((1, 1, 5), 14) + 50])
    (_, y) = softmax_net(5).forward(x)
    assert y.shape == (2, 5)
    close(y[0], ref_softmax(x[0].ravel().astype(np.float64)))
    close(y[1], ref_softmax(x[1].ravel().astype(np.float64)))


# -- whole networks, batches, kernels, budgets, errors ------------------------------


def test_lenet5_against_reference_chain():
    net = Network.load("lenet5")
    net.init_weights(3)
    w = net.weights
    x = np.random.default_rng(0).random((1, 32, 32)).astype(np.float32)
    outs = net.forward(x)
    assert len(outs) == 13
    a = ref_conv2d(x.astype(np.float64), w["0.weight"], w["0.bias"])
    close(outs[0], a)
    a = ref_avgpool2d(ref_relu(a), 2)
    close(outs[2], a)
    a = ref_conv2d(a, w["3.weight"], w["3.bias"])
    close(outs[3], a)
    a = ref_flatten(ref_avgpool2d(ref_relu(a), 2))
    close(outs[6], a)
    a = ref_relu(ref_linear(a, w["7.weight"], w["7.bias"]))
    a = ref_relu(ref_linear(a, w["9.weight"], w["9.bias"]))
    a = ref_softmax(ref_linear(a, w["11.weight"], w["11.bias"]))
    close(outs[12], a)


def test_batched_and_unbatched_shapes():
    net = Network.load("tinyvgg-gap")
    net.init_weights(0)
    x = np.random.default_rng(1).random((3, 3, 64, 64)).astype(np.float32)
    batched = net.forward(x)
    expected = [r.output_shape for r in net.summary()]
    assert [o.shape for o in batched] == [(3, *s) for s in expected]
    single_outs = net.forward(x[1])
    assert [o.shape for o in single_outs] == expected
    for b, s in zip(batched, single_outs):
        np.testing.assert_allclose(b[1], s, rtol=1e-6, atol=1e-6)
    assert expected[-1] == (10,)  # one output per built-in shape


def test_forward_accepts_other_numeric_dtypes():
    net = single({"type": "relu"}, (1, 2, 2))
    y = net.forward(np.array([[[1, -2], [3, -4]]], dtype=np.int64))[0]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[[1, 0], [3, 0]]])


def test_put_kernel_sobel_x():
    net = Network.from_dict({"input": [1, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3}]})
    net.init_weights(0)
    net.put_kernel(0, 0, "sobel_x")
    np.testing.assert_array_equal(net.weights["0.weight"][0, 0], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert net.weights["0.bias"][0] == 0

    vertical = np.zeros((1, 8, 8), dtype=np.float32)
    vertical[:, :, 4:] = 1.0  # dark left, bright right: a vertical edge between columns 3 and 4
    y = net.forward(vertical)[0][0]
    # output column j reads input columns j..j+2; j=2 and j=3 straddle the edge: 1+2+1 = 4
    expected = np.zeros((6, 6))
    expected[:, 2:4] = 4.0
    np.testing.assert_array_equal(y, expected)

    horizontal = np.zeros((1, 8, 8), dtype=np.float32)
    horizontal[:, 4:, :] = 1.0
    np.testing.assert_array_equal(net.forward(horizontal)[0][0], np.zeros((6, 6)))

    # sobel_y sees the horizontal edge instead
    net.put_kernel(0, 1, "sobel_y")
    y = net.forward(horizontal)[0][1]
    expected = np.zeros((6, 6))
    expected[2:4, :] = 4.0
    np.testing.assert_array_equal(y, expected)


def test_put_kernel_one_input_channel():
    net = Network.from_dict({"input": [3, 5, 5], "layers": [
        {"type": "conv2d", "out_channels": 1, "kernel_size": 3}]})
    net.init_weights(0)
    net.put_kernel(0, 0, "identity", in_channel=1)
    x = rand((3, 5, 5), 20)
    np.testing.assert_allclose(net.forward(x)[0][0], x[1, 1:-1, 1:-1])


def test_put_kernel_centres_a_smaller_kernel_in_a_larger_filter():
    net = Network.from_dict({"input": [1, 7, 7], "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 5}]})
    net.init_weights(0)
    net.put_kernel(0, 0, "sobel_x")
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(net.weights["0.weight"][0, 0, 1:4, 1:4], sobel)
    assert net.weights["0.weight"][0, 0].sum() == 0 and np.count_nonzero(net.weights["0.weight"][0, 0]) == 6
    x = rand((1, 7, 7), 21)
    # The 5x5 window centred at (2 + r, 2 + c) sees exactly what a 3x3 Sobel there would see.
    want = [[(x[0, 1 + r:4 + r, 1 + c:4 + c] * sobel).sum() for c in range(3)] for r in range(3)]
    np.testing.assert_allclose(net.forward(x)[0][0], want, rtol=1e-5, atol=1e-6)


def test_put_kernel_errors():
    net = Network.from_dict({"input": [1, 6, 6], "layers": [
        {"type": "relu"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 5}]})
    with pytest.raises(WeightsError):
        net.put_kernel(1, 0, "sobel_x")  # no weights yet
    net.init_weights(0)
    with pytest.raises(CnntuiError, match="not conv2d"):
        net.put_kernel(0, 0, "sobel_x")
    with pytest.raises(CnntuiError, match="4x4 but layer 1 has 5x5"):
        net.put_kernel(1, 0, np.ones((4, 4)))  # cannot sit exactly in the middle
    with pytest.raises(CnntuiError, match="7x7"):
        net.put_kernel(1, 0, np.ones((7, 7)))  # larger than the filter
    with pytest.raises(CnntuiError, match="out of range"):
        net.put_kernel(1, 2, np.zeros((5, 5)))
    with pytest.raises(CnntuiError, match="did you mean 'sobel_x'"):
        net.put_kernel(1, 0, "sobelx")


def test_memory_budget():
    net = single({"type": "relu"}, (1, 4, 4))
    x = np.zeros((1, 4, 4), dtype=np.float32)
    # input 16 values + output 16 values, float32: 128 bytes for one sample, no weights
    with pytest.raises(BudgetError) as info:
        net.forward(x, memory_budget=100)
    assert "128 B" in str(info.value) and "100 B" in str(info.value)
    assert isinstance(info.value, MemoryError)
    net.forward(x, memory_budget=128)  # exactly enough is fine
    with pytest.raises(BudgetError, match="batch 3"):
        net.forward(np.zeros((3, 1, 4, 4)), memory_budget=128 * 3 - 1)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32, 1), (32, 32), (2, 1, 32, 31), (1, 1, 1, 32, 32)])
def test_input_shape_mismatch(shape):
    net = Network.load("lenet5")
    net.init_weights(0)
    with pytest.raises(CnntuiError, match="1x32x32"):
        net.forward(np.zeros(shape, dtype=np.float32))


def test_non_numeric_input():
    net = single({"type": "relu"}, (1, 1, 2))
    with pytest.raises(CnntuiError):
        net.forward(np.array([[["a", "b"]]]))


def test_forward_needs_weights():
    net = Network.load("lenet5")
    with pytest.raises(WeightsError, match="init_weights"):
        net.forward(np.zeros((1, 32, 32)))
    # a network with nothing to learn runs without weights
    assert single({"type": "relu"}, (1, 2, 2)).forward(np.ones((1, 2, 2)))[0].shape == (1, 2, 2)


@pytest.mark.parametrize(("name", "shape"), [("minires", None), ("squeezenet1_1", (3, 64, 64)),
                                             ("densenet121", (3, 48, 48)), ("lenet5", None)])
def test_infer_gives_forwards_last_output_and_lets_the_others_go(name, shape):
    net = Network.load(name, shape)
    net.init_weights(1)
    rng = np.random.default_rng(0)
    for x in (rng.random(net.input_shape, dtype=np.float32), rng.random((2, *net.input_shape), dtype=np.float32)):
        np.testing.assert_array_equal(net.infer(x), net.forward(x)[-1])
    kept = Outputs(False, [{} for _ in net.layers])
    last_reader = {source: i for i, record in enumerate(net.summary()) for source in record.sources}
    net._run(np.asarray(x, dtype=np.float32), kept, False, last_reader)
    assert kept[-1] is not None and sum(output is not None for output in kept) == 1
