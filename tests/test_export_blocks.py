"""Exported code for block networks: the PyTorch model's state_dict() has the engine's keys, in
its order and shapes, loads the engine's weights with strict=True and computes the same logits;
Keras code is functional and joins where the blocks do. A plain list keeps its old code exactly.
"""

from __future__ import annotations

import ast
import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnntui.core import Network
from cnntui.core.assets import preset_names
from cnntui.core.export import to_keras, to_pytorch
from engine_states import random_state


def conv(out: int, kernel: int = 3, **fields) -> dict:
    return {"type": "conv2d", "out_channels": out, "kernel_size": kernel, **fields}


def named(name: str, node: dict) -> dict:
    return {"type": node["type"], "name": name, **{k: v for k, v in node.items() if k != "type"}}


BN, RELU = {"type": "batchnorm2d"}, {"type": "relu"}
# Each container, shortcuts with and without a name, identity branches, and the ways a node can be
# transparent: a branch (DenseNet), a concat in a sequential (SqueezeNet's Fire), a residual at the
# top level, a sequential spliced into a residual's body. (A transparent concat in a residual's
# body would give its join the residual's path: the engine refuses that.)
NETWORKS = {
    "resnet": {"input": [3, 8, 8], "layers": [
        named("conv1", conv(4, padding=1, bias=False)), named("bn1", BN), named("relu", RELU),
        {"type": "sequential", "name": "layer1", "layers": [
            {"type": "residual", "body": [named("conv1", conv(4, padding=1, bias=False)), named("bn1", BN),
                                          named("relu", RELU), named("conv2", conv(4, padding=1, bias=False)),
                                          named("bn2", BN)], "activation": "relu"},
            {"type": "residual", "body": [named("conv1", conv(8, stride=2, padding=1, bias=False)), named("bn1", BN)],
             "shortcut": {"type": "sequential", "name": "downsample", "layers": [conv(8, 1, stride=2, bias=False), BN]},
             "activation": "relu"}]},
        named("avgpool", {"type": "adaptive_avg_pool2d", "output_size": 1}), named("flatten", {"type": "flatten"}),
        named("fc", {"type": "linear", "out_features": 5})]},
    "dense_and_fire": {"input": [2, 6, 6], "layers": [
        {"type": "sequential", "name": "features", "layers": [
            {"type": "concat", "name": "denselayer1", "branches": [
                {"type": "sequential", "layers": []},
                {"type": "sequential", "name": "", "layers": [named("norm1", BN), named("relu1", RELU),
                                                              named("conv1", conv(3, padding=1))]}]},
            {"type": "sequential", "name": "fire", "layers": [
                named("squeeze", conv(2, 1)), named("squeeze_activation", RELU),
                {"type": "concat", "name": "", "branches": [
                    {"type": "sequential", "name": "", "layers": [named("expand1x1", conv(3, 1)),
                                                                  named("expand1x1_activation", RELU)]},
                    {"type": "sequential", "name": "", "layers": [named("expand3x3", conv(3, padding=1)),
                                                                  named("expand3x3_activation", RELU)]}]}]}]},
        {"type": "flatten"}, {"type": "linear", "out_features": 3}]},
    "nested": {"input": [4, 8, 8], "layers": [
        # (a residual named "" at the top would leave its sum without a name: refused)
        {"type": "residual", "name": "first", "body": [named("dw", conv(4, groups=4, padding=1)),
                                                  named("act", {"type": "relu6"})]},
        {"type": "concat", "name": "mix", "branches": [
            {"type": "residual", "body": [conv(4, padding=1), {"type": "silu"}], "shortcut": conv(4, 1)},
            {"type": "sequential", "layers": [{"type": "avgpool2d", "kernel_size": 3, "stride": 1, "padding": 1},
                                              {"type": "hardswish"}]},
            named("same", {"type": "sequential", "layers": []})]},
        {"type": "residual", "name": "res", "body": [
            {"type": "concat", "branches": [named("a", conv(6, padding=1)), named("b", conv(6, 1))]},
            {"type": "sequential", "name": "", "layers": [named("squash", conv(12, 1, groups=3)),
                                                          {"type": "leaky_relu", "negative_slope": 0.2}]}],
         "activation": "tanh"},
        {"type": "maxpool2d", "kernel_size": 2}, named("drop", {"type": "dropout", "p": 0.3}),
        {"type": "adaptive_avg_pool2d", "output_size": [3, 2]}, {"type": "flatten"},
        {"type": "linear", "out_features": 4}]},
}


def exported(spec: dict):
    """The model the exported PyTorch code makes."""
    scope: dict = {}
    exec(compile(to_pytorch(spec), "exported.py", "exec"), scope)  # noqa: S102  (our own output)
    return scope["model"]


def assert_same_state(model, net: Network) -> None:
    state = model.state_dict()
    assert list(state) == list(net.state_shapes())  # the same keys, in PyTorch's order
    assert {key: tuple(value.shape) for key, value in state.items()} == net.state_shapes()
    assert [key for key, _ in model.named_parameters()] == list(net.param_shapes())


def assert_same_logits(spec: dict, seed: int = 0) -> None:
    torch = pytest.importorskip("torch")
    net = Network.from_dict(spec)
    model = exported(spec)
    assert_same_state(model, net)
    state = random_state(net, seed)
    model.load_state_dict({key: torch.from_numpy(value.copy()) for key, value in state.items()}, strict=True)
    net.set_weights({key: value.copy() for key, value in state.items()})
    x = np.random.default_rng(seed).standard_normal((2, *spec["input"])).astype(np.float32)
    ours = net.forward(x)[-1]
    with torch.no_grad():
        theirs = model.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * float(np.abs(theirs).max()))


@pytest.mark.parametrize("name", NETWORKS)
def test_the_exported_model_loads_the_engines_weights_and_gives_its_logits(name):
    assert_same_logits(NETWORKS[name])


def test_the_exported_code_reads_like_torchvisions():
    code = to_pytorch(NETWORKS["resnet"])
    assert "class Residual(nn.Module):" in code and "class Concat" not in code  # only the classes it uses
    assert '    ("layer1", nn.Sequential(\n        Residual(\n            body=[\n' in code
    assert '            shortcut=("downsample", nn.Sequential(\n' in code
    assert "            activation=nn.ReLU(),\n" in code
    assert "# layer1.1.downsample.0: 8x4x4" in code  # each leaf's path and output shape
    fire = to_pytorch(NETWORKS["dense_and_fire"])
    assert '("fire", Chain([' in fire and '("", Concat([' in fire and '("denselayer1", Concat([' in fire


@pytest.mark.parametrize("name", preset_names())
def test_every_presets_exported_model_has_the_engines_state_dict(name):
    pytest.importorskip("torch")
    net = Network.load(name)
    assert_same_state(exported(net.to_dict()), net)


@pytest.mark.parametrize("name", ["minires", "lenet5", "squeezenet1_1"])
def test_presets_exported_give_the_engines_logits(name):
    spec = Network.load(name).to_dict()
    if name == "squeezenet1_1":
        spec["input"] = [3, 64, 64]  # its shapes work at 64x64 too, and the engine runs it faster
    assert_same_logits(spec)


def test_a_plain_list_keeps_the_code_it_always_had():
    # The text below is what the exporter wrote before blocks existed (git show 872fecd:cnntui/core/export.py).
    spec = {"name": "small", "input": [1, 8, 8], "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1}, {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2, "stride": 2}, {"type": "flatten"},
        {"type": "linear", "out_features": 3, "bias": False}]}
    assert to_pytorch(spec) == (
        "# small: input 1x8x8, 116 parameters; written by cnntui for PyTorch\n"
        "import torch\n"
        "from torch import nn\n"
        "\n"
        "model = nn.Sequential(\n"
        "    nn.Conv2d(1, 2, kernel_size=3, padding=1),   # 0: 2x8x8\n"
        "    nn.ReLU(),                                   # 1: 2x8x8\n"
        "    nn.MaxPool2d(kernel_size=2, stride=2),       # 2: 2x4x4\n"
        "    nn.Flatten(),                                # 3: 32\n"
        "    nn.Linear(32, 3, bias=False),                # 4: 3\n"
        ")\n"
        "\n"
        "# Weights saved by cnntui (--save-weights W.npz) load as they are:\n"
        "# import numpy as np\n"
        "# model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load('W.npz').items()})\n")
    assert to_keras(spec) == (
        "# small: input 1x8x8, 116 parameters; written by cnntui for Keras\n"
        "import keras\n"
        "from keras import layers\n"
        "\n"
        "model = keras.Sequential([\n"
        "    keras.Input(shape=(8, 8, 1)),  # Keras is channels-last: height, width, channels\n"
        "    layers.ZeroPadding2D(padding=1),\n"
        "    layers.Conv2D(2, kernel_size=3),             # 0: 2x8x8\n"
        "    layers.ReLU(),                               # 1: 2x8x8\n"
        "    layers.MaxPooling2D(pool_size=2, strides=2), # 2: 2x4x4\n"
        "    layers.Flatten(),                            # 3: 32\n"
        "    # Keras flattens in height, width, channel order; PyTorch puts channels first\n"
        "    layers.Dense(3, use_bias=False),             # 4: 3\n"
        "])\n")


def keras_calls(code: str) -> list[str]:
    tree = ast.parse(code)
    return [ast.unparse(node.func.func) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Call)]


@pytest.mark.parametrize("name", [*NETWORKS, "resnet50", "googlenet", "densenet121", "mobilenet_v2"])
def test_keras_code_is_functional_and_joins_where_the_blocks_do(name):
    spec = NETWORKS[name] if name in NETWORKS else Network.load(name).to_dict()
    summary = Network.from_dict(spec).summary()
    code = to_keras(spec)
    calls = keras_calls(code)  # layers.X(...)(inputs): each layer applied in the functional API
    assert calls.count("layers.Add") == sum(record.type == "residual" for record in summary)
    assert calls.count("layers.Concatenate") == sum(record.type == "concat" for record in summary)
    assert "model = keras.Model(inputs, x)" in code
    assert "not by the state_dict names" in code


# Random block networks from the torch parity test's strategy (valid by construction, every
# container); that module needs torch, so it is imported only where torch is.
if importlib.util.find_spec("torch") is not None:
    from test_torch_parity_blocks import block_networks
else:
    block_networks = None


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_block_networks_export_to_the_same_model(data):
    if block_networks is None:
        pytest.skip("needs torch")
    assert_same_logits(data.draw(block_networks()), data.draw(st.integers(0, 2**16)))
