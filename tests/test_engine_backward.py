"""The backward pass against central finite differences, in float64.

Each layer's ``backward`` is checked on tiny random inputs for the loss
L = sum(y * G) with a fixed random G, so dL/dy = G. Inputs are built so that
no finite difference crosses a kink: max pooling gets well-separated distinct
values (no ties) and ReLU inputs stay away from 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnntui.core import Network
from cnntui.train import cross_entropy_on_probabilities, loss_and_grad, softmax_cross_entropy
from conftest import valid_network_specs

STEP = 1e-6
TOL = 1e-6


def numeric_grad(loss, array: np.ndarray) -> np.ndarray:
    """dloss/darray by central differences, perturbing ``array`` in place."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        keep = array[index]
        array[index] = keep + STEP
        up = loss()
        array[index] = keep - STEP
        down = loss()
        array[index] = keep
        grad[index] = (up - down) / (2 * STEP)
    return grad


def distinct(rng, shape) -> np.ndarray:
    """Values all different by at least 0.1: no max-pooling ties, nothing near 0."""
    values = (rng.permutation(int(np.prod(shape))) - np.prod(shape) / 2 + 0.5) * 0.1
    return values.reshape(shape)


def away_from_zero(rng, shape) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)


def spec_for(layer: dict, shape: tuple[int, ...]) -> dict:
    """A network whose last layer is ``layer`` and sees ``shape``; inputs are (C, H, W),
    so a vector comes from flattening a (C, 1, 1) input."""
    if len(shape) == 1:
        return {"input": [shape[0], 1, 1], "layers": [{"type": "flatten"}, layer]}
    return {"input": list(shape), "layers": [layer]}


def one_layer(layer: dict, shape: tuple[int, ...]):
    return Network.from_dict(spec_for(layer, shape)).layers[-1]


def check_layer(layer: dict, shape: tuple[int, ...], x: np.ndarray | None = None, batch: int = 2, seed: int = 0):
    """Compare the layer's backward (input and parameter grads) with finite differences."""
    net = Network.from_dict(spec_for(layer, shape))
    layer_object = net.layers[-1]
    rng = np.random.default_rng(seed)
    params = {key.split(".")[1]: rng.standard_normal(s) for key, s in net.param_shapes().items()}
    x = rng.standard_normal((batch, *shape)) if x is None else x
    y = layer_object.forward(x, params)
    g = rng.standard_normal(y.shape)

    def loss():
        return float((layer_object.forward(x, params) * g).sum())

    grad_x, grads = layer_object.backward(x, y, g, params)
    assert grad_x.shape == x.shape and grad_x.dtype == np.float64
    np.testing.assert_allclose(grad_x, numeric_grad(loss, x), rtol=TOL, atol=TOL)
    assert set(grads) == set(params)
    for kind, value in params.items():
        assert grads[kind].shape == value.shape
        np.testing.assert_allclose(grads[kind], numeric_grad(loss, value), rtol=TOL, atol=TOL, err_msg=kind)
    return grad_x, grads


# -- one layer at a time ---------------------------------------------------------


@pytest.mark.parametrize("layer, shape", [
    ({"type": "conv2d", "out_channels": 3, "kernel_size": 3}, (2, 5, 5)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1}, (2, 6, 5)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 3, "dilation": 2, "padding": 1}, (1, 6, 7)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 4, "padding": "same"}, (2, 5, 4)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": [2, 3], "dilation": [1, 2], "padding": "same"}, (1, 4, 6)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 2, "stride": [2, 1], "bias": False}, (3, 5, 4)),
    ({"type": "conv2d", "out_channels": 1, "kernel_size": 3, "stride": 3, "padding": [1, 0]}, (2, 7, 5)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 1, "padding": "valid", "bias": False}, (2, 3, 3)),
])
def test_conv2d_backward(layer, shape):
    check_layer(layer, shape)


@pytest.mark.parametrize("layer, shape", [
    ({"type": "conv2d", "out_channels": 3, "kernel_size": 3}, (2, 5, 5)),
    ({"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2}, (2, 7, 6)),
])
def test_conv2d_in_blocks_of_images_equals_one_block(layer, shape, monkeypatch):
    """A batch is put through im2col a few images at a time; however it is cut, the
    forward pass and every gradient come out the same."""
    from cnntui.core.layers import conv

    layer_object = one_layer(layer, shape)
    rng = np.random.default_rng(3)
    params = {"weight": rng.standard_normal((layer["out_channels"], shape[0], 3, 3)).astype(np.float32),
              "bias": rng.standard_normal(layer["out_channels"]).astype(np.float32)}
    x = rng.standard_normal((7, *shape)).astype(np.float32)
    y = layer_object.forward(x, params)
    g = rng.standard_normal(y.shape).astype(np.float32)
    grad_x, grads = layer_object.backward(x, y, g, params)
    column_bytes = shape[0] * 9 * y.shape[2] * y.shape[3] * 4  # one image's im2col columns
    for block_bytes in (1, 3 * column_bytes):  # one image per block; blocks of 3, 3 and 1
        monkeypatch.setattr(conv, "COLUMN_BLOCK_BYTES", block_bytes)
        np.testing.assert_allclose(layer_object.forward(x, params), y, rtol=1e-5, atol=1e-5)
        blocked_x, blocked = layer_object.backward(x, y, g, params)
        np.testing.assert_allclose(blocked_x, grad_x, rtol=1e-5, atol=1e-5)
        for kind in params:
            np.testing.assert_allclose(blocked[kind], grads[kind], rtol=1e-5, atol=1e-5)


def test_conv2d_scratch_memory_is_not_shared_between_threads():
    """View and Train run networks in worker threads; the conv's reused work arrays are per thread."""
    from concurrent.futures import ThreadPoolExecutor

    nets = [Network.load(name) for name in ("lenet5", "lenet5")]
    for seed, net in enumerate(nets):
        net.init_weights(seed)
    rng = np.random.default_rng(5)
    xs = [rng.random((40, 1, 32, 32), dtype=np.float32) for _ in nets]
    alone = [net.forward(x)[-1] for net, x in zip(nets, xs)]
    with ThreadPoolExecutor(2) as pool:
        for _ in range(5):
            together = list(pool.map(lambda pair: pair[0].forward(pair[1])[-1], zip(nets, xs)))
            for got, want in zip(together, alone):
                np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("layer, shape", [
    ({"type": "maxpool2d", "kernel_size": 2}, (2, 4, 4)),
    ({"type": "maxpool2d", "kernel_size": 2, "padding": 1, "ceil_mode": True}, (2, 5, 4)),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (1, 6, 7)),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}, (2, 4, 5)),
    ({"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
     (1, 6, 6)),
    ({"type": "maxpool2d", "kernel_size": [2, 3], "stride": [1, 2], "ceil_mode": True}, (2, 5, 6)),
])
def test_maxpool2d_backward(layer, shape):
    x = distinct(np.random.default_rng(1), (2, *shape))
    check_layer(layer, shape, x=x)


def test_maxpool2d_tie_goes_to_first_maximum_in_window_order():
    layer = one_layer({"type": "maxpool2d", "kernel_size": 2, "stride": 1}, (1, 2, 3))
    x = np.array([[[[1.0, 5.0, 5.0], [5.0, 5.0, 0.0]]]])
    y = layer.forward(x, {})
    grad_x, grads = layer.backward(x, y, np.array([[[[1.0, 10.0]]]]), {})
    # window 0 ties at (0,1) and (1,0): row first, so (0,1); window 1 ties at (0,1),(0,2),(1,1): (0,1)
    np.testing.assert_array_equal(grad_x, [[[[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]]]])
    assert grads == {}


def test_maxpool2d_window_wholly_in_the_padding_passes_no_gradient():
    # height 1, padding 1, dilation 2: the taps of every window's rows are -1 and 1
    layer = one_layer({"type": "maxpool2d", "kernel_size": 2, "padding": 1, "dilation": 2}, (1, 1, 4))
    x = np.arange(4.0).reshape(1, 1, 1, 4)
    y = layer.forward(x, {})
    assert np.isneginf(y).all()
    grad_x, _ = layer.backward(x, y, np.ones_like(y), {})
    np.testing.assert_array_equal(grad_x, np.zeros_like(x))


@pytest.mark.parametrize("layer, shape", [
    ({"type": "avgpool2d", "kernel_size": 2}, (2, 4, 5)),
    ({"type": "avgpool2d", "kernel_size": 2, "padding": 1, "ceil_mode": True}, (2, 5, 4)),
    ({"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
      "count_include_pad": False}, (1, 6, 7)),
    ({"type": "avgpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (1, 6, 7)),
    ({"type": "avgpool2d", "kernel_size": [3, 2], "stride": 1, "padding": [1, 1], "count_include_pad": False},
     (2, 4, 4)),
])
def test_avgpool2d_backward(layer, shape):
    check_layer(layer, shape)


@pytest.mark.parametrize("layer, shape", [
    ({"type": "global_avg_pool"}, (3, 4, 5)),
    ({"type": "flatten"}, (2, 3, 4)),
    ({"type": "flatten"}, (5,)),
    ({"type": "linear", "out_features": 4}, (6,)),
    ({"type": "linear", "out_features": 3, "bias": False}, (5,)),
    ({"type": "sigmoid"}, (2, 3, 3)),
    ({"type": "tanh"}, (7,)),
    ({"type": "softmax"}, (6,)),
])
def test_dense_and_smooth_layers_backward(layer, shape):
    check_layer(layer, shape, batch=3)


@pytest.mark.parametrize("layer", [{"type": "relu"}, {"type": "leaky_relu"},
                                   {"type": "leaky_relu", "negative_slope": 0.2}])
def test_piecewise_activations_backward(layer):
    shape = (2, 3, 4)
    check_layer(layer, shape, x=away_from_zero(np.random.default_rng(2), (2, *shape)))


def test_softmax_backward_is_the_jacobian_vector_product():
    layer = one_layer({"type": "softmax"}, (4,))
    x = np.random.default_rng(3).standard_normal((2, 4))
    y = layer.forward(x, {})
    g = np.random.default_rng(4).standard_normal((2, 4))
    jacobians = [np.diag(p) - np.outer(p, p) for p in y]
    expected = np.stack([jac.T @ gi for jac, gi in zip(jacobians, g)])
    np.testing.assert_allclose(layer.backward(x, y, g, {})[0], expected, rtol=1e-12, atol=1e-12)


def test_backward_keeps_float32():
    net = Network.load("tinyvgg")
    net.init_weights(0)
    x = np.random.default_rng(0).random((2, *net.input_shape)).astype(np.float32)
    outputs = net.forward(x)
    grad_x, grads = net.backward(x, outputs, np.ones_like(outputs[-1]))
    assert grad_x.dtype == np.float32
    assert all(value.dtype == np.float32 for value in grads.values())


# -- the whole network -----------------------------------------------------------

SMALL = {"input": [1, 6, 6], "layers": [
    {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1},
    {"type": "relu"},
    {"type": "maxpool2d", "kernel_size": 2},
    {"type": "flatten"},
    {"type": "linear", "out_features": 4},
    {"type": "softmax"},
]}


def float64_net(spec: dict, seed: int = 0) -> Network:
    """A network whose weights are float64 (random biases too), for finite differences."""
    net = Network.from_dict(spec)
    rng = np.random.default_rng(seed)
    net.weights = {key: rng.standard_normal(shape) * 0.5 for key, shape in net.param_shapes().items()}
    return net


def forward64(net: Network, x: np.ndarray) -> list[np.ndarray]:
    """Network.forward computes in float32; the same layers, in float64."""
    outputs, value = [], x
    for index, layer in enumerate(net.layers):
        params = {kind: net.weights[f"{index}.{kind}"] for kind in ("weight", "bias")
                  if f"{index}.{kind}" in net.weights}
        value = layer.forward(value, params)
        outputs.append(value)
    return outputs


def test_network_backward_matches_finite_differences_of_cross_entropy():
    net = float64_net(SMALL, seed=5)
    x = np.random.default_rng(6).standard_normal((3, 1, 6, 6))
    labels = np.array([0, 3, 1])
    outputs = forward64(net, x)
    # no ReLU input near its kink, no near-tie among the positive values a max pool compares
    assert np.abs(outputs[0]).min() > 1e-4
    windows = np.sort(outputs[1].reshape(3, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4), axis=1)
    gaps = windows[:, -1] - windows[:, -2]
    assert gaps[windows[:, -1] > 0].min() > 1e-4

    def loss():
        return cross_entropy_on_probabilities(forward64(net, x)[-1], labels)[0]

    value, start, grad = loss_and_grad(net, outputs, labels)
    assert start == 4 and value == pytest.approx(loss())
    grad_x, grads = net.backward(x, outputs, grad, from_layer=start)
    assert list(grads) == list(net.weights)
    np.testing.assert_allclose(grad_x, numeric_grad(loss, x), rtol=TOL, atol=TOL)
    for key, weight in net.weights.items():
        np.testing.assert_allclose(grads[key], numeric_grad(loss, weight), rtol=TOL, atol=TOL, err_msg=key)


def test_starting_before_softmax_equals_going_through_it():
    net = float64_net(SMALL, seed=7)
    x = np.random.default_rng(8).standard_normal((4, 1, 6, 6))
    labels = np.array([3, 0, 2, 2])
    outputs = forward64(net, x)
    _, start, grad = loss_and_grad(net, outputs, labels)
    shortcut = net.backward(x, outputs, grad, from_layer=start)
    # through the softmax layer: dL/dp = -onehot / (p N)
    probs = outputs[-1]
    grad_probs = np.zeros_like(probs)
    grad_probs[np.arange(4), labels] = -1 / (probs[np.arange(4), labels] * 4)
    full = net.backward(x, outputs, grad_probs)
    np.testing.assert_allclose(shortcut[0], full[0], rtol=1e-9, atol=1e-12)
    for key in net.weights:
        np.testing.assert_allclose(shortcut[1][key], full[1][key], rtol=1e-9, atol=1e-12)


def test_network_backward_unbatched_matches_a_batch_of_one():
    net = Network.load("lenet5")
    net.init_weights(1)
    x = np.random.default_rng(9).random(net.input_shape).astype(np.float32)
    outputs = net.forward(x)
    grad = np.random.default_rng(10).standard_normal(outputs[-1].shape).astype(np.float32)
    grad_x, grads = net.backward(x, outputs, grad)
    batch_x, batch_grads = net.backward(x[None], net.forward(x[None]), grad[None])
    assert grad_x.shape == x.shape
    np.testing.assert_array_equal(grad_x, batch_x[0])
    for key in grads:
        np.testing.assert_array_equal(grads[key], batch_grads[key])


def test_network_backward_rejects_a_misshapen_gradient():
    net = Network.load("lenet5")
    net.init_weights(0)
    x = np.zeros((2, *net.input_shape), dtype=np.float32)
    outputs = net.forward(x)
    with pytest.raises(ValueError):
        net.backward(x, outputs, np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        net.backward(x, outputs[:-1], np.zeros_like(outputs[-1]))


@settings(max_examples=40)
@given(valid_network_specs(max_side=8), st.integers(1, 2), st.integers(0, 1000))
def test_backward_shapes_match_inputs_and_weights(spec_and_shapes, batch, seed):
    spec, _ = spec_and_shapes
    net = Network.from_dict(spec)
    net.init_weights(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *spec["input"])).astype(np.float32)
    outputs = net.forward(x)
    grad = rng.standard_normal(outputs[-1].shape if outputs else x.shape).astype(np.float32)
    grad_x, grads = net.backward(x, outputs, grad)
    assert grad_x.shape == x.shape
    assert list(grads) == list(net.weights)
    assert {key: value.shape for key, value in grads.items()} == net.param_shapes()
    assert np.isfinite(grad_x).all() and all(np.isfinite(value).all() for value in grads.values())


# -- losses ----------------------------------------------------------------------


def test_softmax_cross_entropy_matches_finite_differences():
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((5, 4)) * 3
    labels = np.array([0, 3, 3, 1, 2])
    loss, grad = softmax_cross_entropy(logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = -(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))[np.arange(5), labels].mean()
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(grad, numeric_grad(lambda: softmax_cross_entropy(logits, labels)[0], logits),
                               rtol=TOL, atol=TOL)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss, grad = softmax_cross_entropy(np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]]), [0, 0])
    assert loss == pytest.approx(1000.0)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-12)
    loss32, _ = softmax_cross_entropy(np.array([[1e4, 0.0]], dtype=np.float32), [1])
    assert loss32 == pytest.approx(1e4)


def test_both_cross_entropies_agree_on_a_network_with_and_without_softmax():
    with_softmax = float64_net(SMALL, seed=12)
    without = Network.from_dict({**SMALL, "layers": SMALL["layers"][:-1]})
    without.weights = with_softmax.weights
    x = np.random.default_rng(13).standard_normal((3, 1, 6, 6))
    labels = np.array([2, 2, 0])
    outputs = forward64(with_softmax, x)
    loss_a, start_a, grad_a = loss_and_grad(with_softmax, outputs, labels)
    loss_b, start_b, grad_b = loss_and_grad(without, outputs[:-1], labels)
    assert start_a == start_b == 4
    assert loss_a == pytest.approx(loss_b, rel=1e-12)
    np.testing.assert_allclose(grad_a, grad_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad_a, softmax_cross_entropy(outputs[-2], labels)[1], rtol=1e-12, atol=1e-15)


def test_cross_entropy_on_one_sample_and_on_underflowed_probability():
    loss, grad = softmax_cross_entropy(np.array([1.0, 2.0, 3.0]), 2)
    assert grad.shape == (3,)
    assert loss == pytest.approx(np.log(np.exp([1, 2, 3]).sum()) - 3)
    loss, grad = cross_entropy_on_probabilities(np.array([[1.0, 0.0]], dtype=np.float32), [1])
    assert np.isfinite(loss) and loss > 80
    np.testing.assert_array_equal(grad, [[1.0, -1.0]])
    with pytest.raises(ValueError):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 3])


def test_loss_and_grad_on_a_network_that_is_only_flatten_and_softmax():
    net = Network.from_dict({"input": [3, 1, 1], "layers": [{"type": "flatten"}, {"type": "softmax"}]})
    x = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)[:, :, None, None]
    outputs = net.forward(x)
    loss, start, grad = loss_and_grad(net, outputs, [1])
    assert start == 0
    assert loss == pytest.approx(softmax_cross_entropy(x.reshape(1, 3), [1])[0], rel=1e-6)
    grad_x, grads = net.backward(x, outputs, grad, from_layer=start)
    np.testing.assert_allclose(grad_x.reshape(1, 3), softmax_cross_entropy(x.reshape(1, 3), [1])[1], rtol=1e-6)
    assert grads == {}
    # from_layer=-1: the gradient given is the input's own, and no layer runs
    same, none = net.backward(x, outputs, grad_x, from_layer=-1)
    np.testing.assert_array_equal(same, grad_x)
    assert none == {}
