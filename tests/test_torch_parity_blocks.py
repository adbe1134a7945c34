"""Random block networks against PyTorch: keys, shapes, parameters, forward and backward, in
evaluation and in training.

Hypothesis draws networks that are valid by construction (nested sequentials, residuals with and
without a shortcut and an activation, concats of 2-3 branches with identity branches, SqueezeNet's
transparent names; conv2d with groups and depthwise, batch norm, dropout, pools, adaptive pooling,
then a head). tests/torch_from_spec.py builds each one in torch from the JSON alone, so the
state-dict keys are checked, not copied.

Tolerance. Torch runs in float64, so its figures are the exact ones and every difference is the
engine's float32 rounding (relative 6e-8 per operation). An output sums at most a few hundred
products (K) per layer over at most ~40 steps; rounding grows like sqrt(K) per layer and adds over
layers, about 40 * 20 * 6e-8 = 5e-5 of the array's largest value. So each array must agree within
TOLERANCE = 2e-4 of its own largest magnitude, or FLOOR = 2e-5 of the largest in its group (all
outputs; all gradients, those of every step's output included), or CONDITIONING = 10 times the error of the same pass in torch's own
float32, whichever is largest. The last two cover values that are small only because much larger
terms cancel (a conv's bias gradient just before a training-mode batch norm is exactly 0 in
theory; a one-channel batch norm's input gradient is divided by a small deviation): there float32
cannot do better, in PyTorch either. A bug is off by far more: a wrong mask, index, statistic or
sign moves values by their own size. num_batches_tracked must be equal, shape and dtype included.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnntui.core import Network
from conftest import window_out
from engine_states import random_state

torch = pytest.importorskip("torch")
from torch_from_spec import SpecDropout, load_engine_weights, parameter_count, torch_from_spec  # noqa: E402

TOLERANCE = 2e-4
FLOOR = 2e-5
CONDITIONING = 10
BATCH = 3  # batch norm in training needs more than one value per channel; 3 images at 1x1 still give 3
MAX_CHANNELS = 8
ACTIVATIONS = ("relu", "relu6", "silu", "hardswish")
LEAVES = ("conv2d", "batchnorm2d", "dropout", "maxpool2d", "avgpool2d", "adaptive_avg_pool2d", *ACTIVATIONS)


# -- random block networks -------------------------------------------------------------------

class Drawer:
    """Draws nodes that fit the shape they are given and returns (node, output shape).

    ``same_size`` nodes keep height and width (residual bodies, concat branches). Names are
    either left to their default (the position), or a fresh ``n<k>`` that no sibling can have.
    """

    def __init__(self, draw, max_depth: int = 3):
        self.draw = draw
        self.max_depth = max_depth
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def named(self, node: dict) -> dict:
        if self.draw(st.booleans()):
            node["name"] = self.fresh()
        return node

    # leaves

    def conv(self, shape, same_size: bool, out_channels: int | None = None):
        c, h, w = shape
        # groups divides both channel counts; groups = c is a depthwise convolution
        groups = self.draw(st.sampled_from([g for g in range(1, c + 1)
                                            if c % g == 0 and (out_channels or g) % g == 0]))
        if out_channels is None:
            out_channels = groups * self.draw(st.integers(1, max(1, MAX_CHANNELS // groups)))
        if same_size:
            kernel, stride = self.draw(st.sampled_from([1, 3])), 1
            dilation = self.draw(st.sampled_from([1, 2])) if kernel == 3 else 1
            padding = dilation * (kernel // 2)
        else:
            kernel, stride, dilation = self.draw(st.integers(1, 3)), self.draw(st.integers(1, 2)), 1
            padding = self.draw(st.integers(0, kernel // 2))
            kernel = min(kernel, h + 2 * padding, w + 2 * padding)
        node = {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel}
        if stride != 1:
            node["stride"] = stride
        if padding:
            node["padding"] = padding
        if dilation != 1:
            node["dilation"] = dilation
        if groups != 1:
            node["groups"] = groups
        if self.draw(st.booleans()):
            node["bias"] = self.draw(st.booleans())
        out = [window_out(n, kernel, stride, padding, padding, dilation) for n in (h, w)]
        return node, (out_channels, *out)

    def pool(self, shape, same_size: bool):
        c, h, w = shape
        kind = self.draw(st.sampled_from(["maxpool2d", "avgpool2d"]))
        if same_size:
            kernel, stride, padding, ceil = 3, 1, 1, False
        else:
            kernel = self.draw(st.integers(2, 3))
            stride = self.draw(st.integers(1, 2))
            padding = self.draw(st.integers(0, kernel // 2))
            ceil = self.draw(st.booleans())
            if min(h, w) + 2 * padding < kernel:
                kernel, stride, padding, ceil = 1, 1, 0, False
        node = {"type": kind, "kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil}
        if kind == "avgpool2d":
            node["count_include_pad"] = self.draw(st.booleans())
        out = [window_out(n, kernel, stride, padding, padding, 1, ceil) for n in (h, w)]
        return node, (c, *out)

    def leaf(self, shape, same_size: bool):
        c, h, w = shape
        kind = self.draw(st.sampled_from(LEAVES))
        if kind == "conv2d":
            node, out = self.conv(shape, same_size)
        elif kind in ("maxpool2d", "avgpool2d"):
            node, out = self.pool(shape, same_size)
        elif kind == "batchnorm2d":
            node, out = {"type": kind}, shape
            for key, values in (("eps", [1e-5, 1e-3]), ("momentum", [0.1, None, 0.5]),
                                ("affine", [True, False]), ("track_running_stats", [True, False])):
                if self.draw(st.booleans()):
                    node[key] = self.draw(st.sampled_from(values))
        elif kind == "dropout":
            node, out = {"type": kind, "p": self.draw(st.sampled_from([0.0, 0.2, 0.5]))}, shape
        elif kind == "adaptive_avg_pool2d":
            # windows overlap when the output does not divide the input, and repeat when it is larger
            size = (h, w) if same_size else (self.draw(st.integers(1, h + 1)), self.draw(st.integers(1, w + 1)))
            node, out = {"type": kind, "output_size": list(size)}, (c, *size)
        else:
            node, out = {"type": kind}, shape
        return self.named(node), out

    # containers

    def node(self, shape, depth: int, same_size: bool):
        kinds = ["leaf", "leaf", "leaf"]
        if depth < self.max_depth:
            kinds += ["sequential", "residual", "concat"]
            if shape[0] <= 4:
                kinds.append("fire")
        kind = self.draw(st.sampled_from(kinds))
        if kind == "leaf":
            return self.leaf(shape, same_size)
        return getattr(self, kind)(shape, depth + 1, same_size)

    def stack(self, shape, depth: int, same_size: bool, low: int = 1, high: int = 3):
        nodes = []
        for _ in range(self.draw(st.integers(low, high))):
            node, shape = self.node(shape, depth, same_size)
            nodes.append(node)
        return nodes, shape

    def sequential(self, shape, depth: int, same_size: bool):
        layers, out = self.stack(shape, depth, same_size)
        return self.named({"type": "sequential", "layers": layers}), out

    def residual(self, shape, depth: int, same_size: bool):
        c, h, w = shape
        kind = self.draw(st.sampled_from(["identity", "conv", "downsample"] + ([] if same_size else ["stride2"])))
        body, first = [], shape
        if kind == "stride2":  # ResNet's first block of a stage: both sides halve the map
            node, _ = self.conv(shape, same_size=False)
            node.update(kernel_size=3, stride=2, padding=1)
            first = (node["out_channels"], (h - 1) // 2 + 1, (w - 1) // 2 + 1)
            body.append(node)
        nodes, out = self.stack(first, depth, same_size=True)
        body += nodes
        node = {"type": "residual", "body": body}
        if kind == "identity":
            if out[0] != c:  # the sum needs the input's channels back
                closing, out = self.conv(out, same_size=True, out_channels=c)
                body.append(closing)
        else:
            stride = 2 if kind == "stride2" else 1
            conv = {"type": "conv2d", "out_channels": out[0], "kernel_size": 1, "bias": False}
            if stride == 2:
                conv["stride"] = 2
            node["shortcut"] = (conv if kind == "conv" else
                                {"type": "sequential", "name": "downsample", "layers": [conv, {"type": "batchnorm2d"}]})
        if self.draw(st.booleans()):
            node["activation"] = self.draw(st.sampled_from(ACTIVATIONS))
        return self.named(node), out

    def concat(self, shape, depth: int, same_size: bool):
        branches, channels = [], 0
        for position in range(self.draw(st.integers(2, 3))):
            if position < 2 and self.draw(st.integers(0, 3)) == 0:
                branch, out = {"type": "sequential", "layers": []}, shape  # the identity, as DenseNet
            else:
                branch, out = self.node(shape, depth, same_size=True)
            branches.append(branch)
            channels += out[0]
        return self.named({"type": "concat", "branches": branches}), (channels, *shape[1:])

    def fire(self, shape, depth: int, same_size: bool):
        """SqueezeNet's Fire: a transparent concat of two transparent sequentials, so the expand
        convolutions sit beside the squeeze one (``<fire>.expand1x1``)."""
        squeeze = self.draw(st.integers(1, 3))
        left, right = self.draw(st.integers(1, 3)), self.draw(st.integers(1, 3))
        expand = [{"type": "sequential", "name": "", "layers": [
            {"type": "conv2d", "name": f"expand{k}x{k}", "out_channels": n, "kernel_size": k, "padding": k // 2},
            {"type": "relu", "name": f"expand{k}x{k}_activation"}]} for k, n in ((1, left), (3, right))]
        layers = [{"type": "conv2d", "name": "squeeze", "out_channels": squeeze, "kernel_size": 1},
                  {"type": "relu", "name": "squeeze_activation"},
                  {"type": "concat", "name": "", "branches": expand}]
        return {"type": "sequential", "name": self.fresh(), "layers": layers}, (left + right, *shape[1:])


@st.composite
def block_networks(draw):
    """A random valid block network's spec, ending in a linear layer."""
    drawer = Drawer(draw)
    shape = (draw(st.integers(1, 4)), draw(st.integers(3, 8)), draw(st.integers(3, 8)))
    layers, _ = drawer.stack(shape, 0, same_size=False, low=1, high=4)
    head = draw(st.sampled_from(["global_avg_pool", "flatten", "adaptive-flatten"]))
    if head == "adaptive-flatten":
        layers.append({"type": "adaptive_avg_pool2d", "output_size": 2})
        head = "flatten"
    layers.append({"type": head})
    for _ in range(draw(st.integers(0, 1))):
        layers.append({"type": "linear", "out_features": draw(st.integers(2, 6))})
        layers.append({"type": draw(st.sampled_from(["dropout", *ACTIVATIONS]))})
    layers.append(drawer.named({"type": "linear", "out_features": draw(st.integers(1, 5))}))
    return {"input": list(shape), "layers": layers}


# -- comparing -------------------------------------------------------------------------------

def engine_pass(net: Network, state: dict, x: np.ndarray, grad_out: np.ndarray, training: bool,
                seed: int) -> tuple[dict[str, dict[str, np.ndarray]], list[dict]]:
    """The engine's forward and backward pass from ``state``: every step's output by path, the
    gradients (the input's and every parameter's) and the buffers after the pass; and the
    steps' memos (dropout's masks)."""
    net.set_weights({key: value.copy() for key, value in state.items()})
    outputs = net.forward(x, training=training, seed=seed)
    grad_x, grads = net.backward(x, outputs, grad_out)
    steps = {record.path: output for record, output in zip(net.summary(), outputs)}
    buffers = {key: net.weights[key] for key in net.state_shapes() if key not in net.param_shapes()}
    return {"output": steps, "gradient": {"input": grad_x, **grads}, "buffer": buffers}, outputs.memos


def torch_pass(spec: dict, state: dict, x: np.ndarray, grad_out: np.ndarray, training: bool,
               masks: dict[str, np.ndarray], dtype) -> dict[str, dict[str, np.ndarray]]:
    """The same pass in torch, in ``dtype``, replaying the engine's dropout ``masks`` (by path)."""
    model = load_engine_weights(torch_from_spec(spec), state, dtype).train(training)
    for path, module in model.named_modules():
        if isinstance(module, SpecDropout):
            module.mask = torch.from_numpy(masks[path]) if training else None
    value = torch.from_numpy(x).to(dtype).requires_grad_(True)
    model.trace = {}
    result = model(value)
    for step in model.trace.values():
        step.retain_grad()
    result.backward(torch.from_numpy(grad_out).to(dtype))
    grads = {key: parameter.grad for key, parameter in model.named_parameters()}
    return {"output": {path: out.detach().numpy() for path, out in model.trace.items()},
            "gradient": {"input": value.grad.numpy(), **{key: grad.numpy() for key, grad in grads.items()}},
            "buffer": {key: buffer.numpy() for key, buffer in model.named_buffers()},
            "step gradient": {path: out.grad.numpy() for path, out in model.trace.items()}}


def largest(arrays) -> float:
    return max((float(np.abs(array).max(initial=0)) for array in arrays), default=0.0)


def assert_close(ours: dict, exact: dict, rounded: dict, what: str, scales: dict | None = None) -> None:
    """Each engine array (``ours``) equals torch's float64 one (``exact``) within the bound the
    module docstring gives, or within CONDITIONING times torch's own float32 error (``rounded``),
    whichever is larger: where a value comes out of cancelling much larger terms (a conv's bias
    gradient before a training-mode batch norm is exactly 0 in theory), float32 cannot do better,
    in PyTorch either. FLOOR applies to the largest of ``exact`` and ``scales`` (for gradients,
    torch's gradient of every step's output: the sizes that cancelled)."""
    assert list(ours) == list(exact), f"{what}: the engine has {list(ours)}, torch {list(exact)}"
    group = max(largest(exact.values()), largest((scales or {}).values()))
    for key, want in exact.items():
        got = ours[key]
        assert got.shape == want.shape, f"{what} {key}: shape {got.shape}, torch's {want.shape}"
        if want.dtype.kind == "i":  # num_batches_tracked
            assert got.dtype.kind == "i" and (got == want).all(), f"{what} {key}: {got} against torch's {want}"
            continue
        error = float(np.abs(got.astype(np.float64) - want).max(initial=0))
        scale = float(np.abs(want).max(initial=0))
        torch_error = float(np.abs(rounded[key].astype(np.float64) - want).max(initial=0))
        bound = max(TOLERANCE * scale, FLOOR * group, CONDITIONING * torch_error)
        assert error <= bound, (f"{what} {key or 'of the network'}: off by {error:.3g} where torch's largest is "
                                f"{scale:.3g} (torch's float32 is off by {torch_error:.3g})")


def check_pass(spec: dict, state: dict, x: np.ndarray, grad_out: np.ndarray, training: bool, seed: int) -> None:
    """One forward and backward pass, engine against torch, from the same state: every step's
    output, the gradients of the input and of every parameter, and the buffers after the pass
    (batch norm's running statistics move in training only)."""
    net = Network.from_dict(spec)
    ours, memos = engine_pass(net, state, x, grad_out, training, seed)
    masks = {record.path: memo["mask"] for record, memo in zip(net.summary(), memos) if "mask" in memo}
    exact = torch_pass(spec, state, x, grad_out, training, masks, torch.float64)
    rounded = torch_pass(spec, state, x, grad_out, training, masks, torch.float32)
    mode = "training" if training else "eval"
    assert_close(ours["output"], exact["output"], rounded["output"], f"{mode} output")
    assert_close(ours["gradient"], exact["gradient"], rounded["gradient"], f"{mode} gradient",
                 exact["step gradient"])
    assert_close(ours["buffer"], exact["buffer"], rounded["buffer"], f"{mode} buffer")


@settings(max_examples=200, deadline=None)
@given(block_networks(), st.integers(0, 2**16))
def test_random_block_networks_match_torch(spec, seed):
    net = Network.from_dict(spec)
    model = torch_from_spec(spec)
    torch_state = model.state_dict()
    assert list(net.state_shapes()) == list(torch_state)  # the same keys in the same order
    assert net.state_shapes() == {key: tuple(value.shape) for key, value in torch_state.items()}
    assert net.summary().total_params == parameter_count(model)

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, *spec["input"])).astype(np.float32)
    out_shape = net.summary().layers[-1].output_shape
    grad_out = rng.standard_normal((BATCH, *out_shape)).astype(np.float32)
    state = random_state(net, seed)
    for training in (False, True):
        check_pass(spec, state, x, grad_out, training, seed)


# -- dropout's seeded mask -------------------------------------------------------------------

# y = x + drop(x) per value, then a second dropout on the flattened map, then a linear layer, so
# dL/dx = (1 + mask1 / 0.5) * reshape((g @ W) * mask2 / 0.7) exactly.
DROPOUT_NET = {"input": [2, 4, 4], "layers": [
    {"type": "residual", "body": [{"type": "dropout", "p": 0.5}]},
    {"type": "flatten"}, {"type": "dropout", "p": 0.3}, {"type": "linear", "out_features": 3}]}


def dropout_masks(outputs) -> list[np.ndarray]:
    return [memo["mask"] for memo in outputs.memos if "mask" in memo]


def test_dropout_masks_repeat_from_the_seed_and_backward_uses_them():
    net = Network.from_dict(DROPOUT_NET)
    net.init_weights(0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 4, 4)).astype(np.float32)
    first, again = net.forward(x, training=True, seed=7), net.forward(x, training=True, seed=7)
    other = net.forward(x, training=True, seed=8)
    assert [mask.shape for mask in dropout_masks(first)] == [(4, 2, 4, 4), (4, 32)]
    for mask, same, different in zip(dropout_masks(first), dropout_masks(again), dropout_masks(other)):
        np.testing.assert_array_equal(mask, same)
        assert (mask != different).any()
    np.testing.assert_array_equal(first[-1], again[-1])

    grad_out = rng.standard_normal(first[-1].shape).astype(np.float32)
    grad_x, _ = net.backward(x, first, grad_out)
    inner, outer = dropout_masks(first)
    through_linear = (grad_out @ net.weights["3.weight"]) * outer / 0.7
    expected = (1 + inner / 0.5) * through_linear.reshape(x.shape)
    np.testing.assert_allclose(grad_x, expected, rtol=1e-5, atol=1e-6)
