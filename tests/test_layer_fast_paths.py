"""The layers' faster ways of computing (issue #16's benchmarks) give what the plain ways give.

Batch norm's training backward from what its forward kept, max pooling's backward for windows that
share no value, ReLU's masking without np.where, a 1x1 convolution reading an image as its own
im2col columns, and the convolution backward that sums its columns' gradients in the phase planes'
layout: each is checked against a definition written out here.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnntui.core.layers import LAYER_TYPES
from cnntui.core.layers.activation import kept
from test_engine_layers_modern import loop_conv, loop_conv_backward


def make(spec: dict, shape: tuple[int, ...]):
    layer = LAYER_TYPES[spec["type"]].parse(0, spec)
    layer.output_shape(shape)
    return layer


@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_training_backward_from_the_forwards_memo_equals_working_it_out_again(affine):
    layer = make({"type": "batchnorm2d", "affine": affine}, (3, 4, 5))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 4, 5)) * 3 + 1
    params = {"weight": rng.standard_normal(3), "bias": rng.standard_normal(3)} if affine else {}
    state = {"running_mean": np.zeros(3), "running_var": np.ones(3), "num_batches_tracked": np.zeros((), np.int64)}
    memo = {}
    y = layer.forward(x, {**params, **state}, training=True, memo=memo)
    assert memo["centred"].shape == x.shape and memo["inv_std"].shape == (3,)
    grad_y = rng.standard_normal(y.shape)
    from_memo = layer.backward(x, y, grad_y, {**params, **state}, training=True, memo=memo)
    worked_out = layer.backward(x, y, grad_y, {**params, **state}, training=True, memo={})
    np.testing.assert_allclose(from_memo[0], worked_out[0], rtol=1e-12, atol=1e-12)
    assert set(from_memo[1]) == set(worked_out[1]) == set(params)
    for kind in params:
        np.testing.assert_allclose(from_memo[1][kind], worked_out[1][kind], rtol=1e-12, atol=1e-12)
    # The same x and grad by the textbook formula, the statistics taken afresh.
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + 1e-5)
    g = grad_y * (params["weight"][:, None, None] if affine else 1)
    want = (g - g.mean(axis=(0, 2, 3), keepdims=True)
            - x_hat * (g * x_hat).mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(from_memo[0], want, rtol=1e-10, atol=1e-10)


def test_batchnorm_in_evaluation_keeps_nothing_in_the_memo():
    layer = make({"type": "batchnorm2d"}, (2, 3, 3))
    state = {"weight": np.ones(2), "bias": np.zeros(2), "running_mean": np.zeros(2), "running_var": np.ones(2),
             "num_batches_tracked": np.zeros((), np.int64)}
    memo = {}
    layer.forward(np.ones((2, 2, 3, 3)), state, training=False, memo=memo)
    assert memo == {}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kept_is_np_where_with_zero_including_inf_nan_and_the_sign_of_zero(dtype):
    grad = np.array([1.5, -2.0, np.inf, np.nan, -np.inf, -3.0, -0.0, 7.0], dtype=dtype)
    keep = np.array([True, False, True, False, False, True, True, False])
    got = kept(grad, keep)
    want = np.where(keep, grad, dtype(0))
    assert got.dtype == grad.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))  # +0 where not kept, never -0
    out = np.full((2, 8), 9.0, dtype=dtype)
    kept(grad, keep, out=out[1])
    np.testing.assert_array_equal(out[1], want)
    assert (out[0] == 9).all()


def loop_maxpool_backward(x, grad_y, kernel, stride):
    """Each output's grad to the first maximum of its window in row-then-column order."""
    grad_x = np.zeros_like(x)
    n, c, rows, cols = grad_y.shape
    for image in range(n):
        for channel in range(c):
            for r in range(rows):
                for q in range(cols):
                    window = x[image, channel, r * stride:r * stride + kernel, q * stride:q * stride + kernel]
                    i, j = divmod(int(np.argmax(window)), kernel)
                    grad_x[image, channel, r * stride + i, q * stride + j] += grad_y[image, channel, r, q]
    return grad_x


@pytest.mark.parametrize(("kernel", "stride", "size"), [(2, 2, 6), (2, 2, 7), (2, 3, 8), (3, 3, 7), (2, 1, 5)])
def test_maxpool_backward_with_ties_matches_the_loop_definition(kernel, stride, size):
    # Small integers: many ties, which go to the first maximum in window order as in PyTorch.
    layer = make({"type": "maxpool2d", "kernel_size": kernel, "stride": stride}, (3, size, size))
    rng = np.random.default_rng(size)
    x = rng.integers(0, 3, (2, 3, size, size)).astype(np.float32)
    y = layer.forward(x, {})
    grad_y = rng.standard_normal(y.shape).astype(np.float32)
    grad_x, grads = layer.backward(x, y, grad_y, {})
    assert grads == {} and grad_x.dtype == np.float32
    # (Overlapping windows sum several grads into one value, in another order than the loop's.)
    np.testing.assert_allclose(grad_x, loop_maxpool_backward(x, grad_y, kernel, stride), rtol=1e-6, atol=1e-6)


def test_relu_and_relu6_backward_pass_only_where_the_slope_is_1():
    x = np.array([[-1.0, 0.0, 0.5, 6.0, 7.0, 3.0]], dtype=np.float32)
    grad = np.array([[np.inf, -2.0, -3.0, 4.0, np.nan, 5.0]], dtype=np.float32)
    relu, relu6 = make({"type": "relu"}, (6,)), make({"type": "relu6"}, (6,))
    np.testing.assert_array_equal(relu.backward(x, relu.forward(x, {}), grad, {})[0],
                                  [[0, 0, -3, 4, np.nan, 5]])
    np.testing.assert_array_equal(relu6.backward(x, relu6.forward(x, {}), grad, {})[0], [[0, 0, -3, 0, 0, 5]])


@pytest.mark.parametrize("groups", [1, 2])
def test_a_1x1_conv_on_one_image_is_the_loop_definition_and_the_same_as_in_a_batch(groups):
    layer = make({"type": "conv2d", "out_channels": 6, "kernel_size": 1, "groups": groups}, (4, 5, 3))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 5, 3))
    params = {"weight": rng.standard_normal((6, 4 // groups, 1, 1)), "bias": rng.standard_normal(6)}
    y = layer.forward(x, params)
    np.testing.assert_allclose(y, loop_conv(x, params["weight"], params["bias"], 1, 0, 1, groups), rtol=1e-12)
    x32, params32 = x.astype(np.float32), {kind: value.astype(np.float32) for kind, value in params.items()}
    alone = layer.forward(x32, params32)
    np.testing.assert_allclose(layer.forward(np.concatenate([x32, x32]), params32)[1], alone[0], rtol=1e-6)


@pytest.mark.parametrize(("c_in", "c_out", "groups", "kernel", "stride", "padding", "dilation", "size"), [
    (3, 4, 1, 3, 1, 1, 1, 5),
    (3, 4, 1, 3, 2, 1, 1, 8),  # two phases each way
    (2, 3, 1, 3, 3, 2, 2, 9),  # stride 3 and dilation 2: taps in different planes
    (4, 6, 2, 2, 2, 0, 1, 7),  # even kernel, groups, an unused last row and column
    (2, 2, 1, 1, 2, 0, 1, 5),  # a strided 1x1: ResNet's shortcut
    (3, 2, 1, 5, 1, 2, 1, 4),  # kernel wider than the map
])
def test_conv_backward_in_phase_planes_matches_the_loop_definition(c_in, c_out, groups, kernel, stride, padding,
                                                                    dilation, size):
    spec = {"type": "conv2d", "out_channels": c_out, "kernel_size": kernel, "stride": stride, "padding": padding,
            "dilation": dilation, "groups": groups}
    layer = make(spec, (c_in, size, size))
    rng = np.random.default_rng(size)
    x = rng.standard_normal((3, c_in, size, size))
    params = {"weight": rng.standard_normal((c_out, c_in // groups, kernel, kernel)),
              "bias": rng.standard_normal(c_out)}
    y = layer.forward(x, params)
    grad_y = rng.standard_normal(y.shape)
    grad_x, grads = layer.backward(x, y, grad_y, params)
    want_x, want_w = loop_conv_backward(x, params["weight"], grad_y, stride, padding, dilation, groups)
    np.testing.assert_allclose(grad_x, want_x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["weight"], want_w, rtol=1e-12, atol=1e-12)
