"""torchvision's classification models as presets: counts, state-dict keys, shapes, MACs and logits.

The reference models are written in torch directly (tests/torch_models.py), with torchvision's
module names. Each preset's torch run (hooks, logits) and NumPy forward happen once per preset,
whichever tests ask for them.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from cnntui.core import Network, assets_dir

# torchvision's parameter counts (the "num_params" of its ImageNet weights).
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "squeezenet1_1": 1_235_496,
    "googlenet": 6_624_904,
    "densenet121": 7_978_856,
    "vgg11": 132_863_336,
    "vgg16_bn": 138_365_992,
    "vgg16": 138_357_544,
    "alexnet": 61_100_840,
}
PRESETS = list(TORCHVISION_PARAMS)
# The generator also writes nin, which has no torchvision twin (tests/test_learn_timeline.py checks it).
GENERATED = [*PRESETS, "nin"]
# Checked against a torch model too: the presets, and minires, the small modern net that trains here.
WITH_TORCH = [*PRESETS, "minires"]
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


@functools.cache
def network(name: str) -> Network:
    return Network.load(name)


def engine_steps(name: str) -> dict[str, object]:
    """Every step's record by path."""
    return {record.path: record for record in network(name).summary()}


@pytest.mark.parametrize("name", PRESETS)
def test_preset_has_torchvisions_parameter_count(name):
    assert network(name).summary().total_params == TORCHVISION_PARAMS[name]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_takes_an_imagenet_image_and_gives_1000_scores(name):
    spec = json.loads((assets_dir() / "presets" / f"{name}.json").read_text(encoding="utf-8"))
    assert spec["input"] == [3, 224, 224]
    assert network(name).summary().layers[-1].output_shape == (1000,)
    assert "classes" not in spec
    # GoogLeNet's ported weights expect (x - 0.5) / 0.5 (torchvision's transform_input).
    assert spec["normalize"] == ({"mean": [0.5] * 3, "std": [0.5] * 3} if name == "googlenet" else IMAGENET)


def test_the_generator_wrote_the_shipped_files():
    # The checkout's generator (tools/ is not installed), against the presets the installed package ships.
    path = Path(__file__).resolve().parent.parent / "tools" / "make_presets.py"
    spec = importlib.util.spec_from_file_location("make_presets", path)
    make_presets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_presets)
    written = {preset["name"]: preset for preset in make_presets.presets()}
    assert sorted(written) == sorted(GENERATED)
    for name, preset in written.items():
        shipped = (assets_dir() / "presets" / f"{name}.json").read_text(encoding="utf-8")
        assert json.loads(shipped) == preset, name
        assert shipped == make_presets.to_json(preset) + "\n", name


# -- against torch ----------------------------------------------------------------------------

@functools.cache
def torch_run(name: str) -> dict:
    """The torch model in eval mode with a random, non-trivial state; its state dict as NumPy,
    a random input, its logits, and each leaf module's first output shape and conv/linear MACs."""
    torch = pytest.importorskip("torch")
    import torch_models  # tests/ is on the path under pytest, and this module needs torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch_models.MODELS[name]()
    shape = network(name).input_shape
    randomise_weights(model, torch)
    randomise_batch_norm(model, torch, shape)
    model.eval()
    shapes, macs = {}, {}
    handles = [module.register_forward_hook(recorder(path, shapes, macs, torch))
               for path, module in model.named_modules() if path and not list(module.children())]
    x = np.random.default_rng(1).standard_normal((1, *shape)).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()[0]
    for handle in handles:
        handle.remove()
    state = {key: value.numpy() for key, value in model.state_dict().items()}
    return {"model": model, "state": state, "x": x[0], "logits": logits, "shapes": shapes, "macs": macs}


def randomise_weights(model, torch) -> None:
    """He-normal weights and nonzero biases: with torch's default init the signal of a network
    without batch norm fades layer by layer until the logits are little more than the last biases,
    which a wrong early layer would hardly change."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    module.bias.normal_(0, 0.1)


def randomise_batch_norm(model, torch, shape) -> None:
    """Scale and shift away from 1 and 0, and running statistics from two training-mode passes
    (cumulative averages, so they fit the data the eval pass sees)."""
    norms = [module for module in model.modules() if isinstance(module, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for norm in norms:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.normal_(0, 0.1)
            norm.momentum = None
        if norms:
            model.train()
            for _ in range(2):
                model(torch.randn(2, *shape))
    for norm in norms:
        norm.momentum = 0.1


def recorder(path: str, shapes: dict, macs: dict, torch):
    def hook(module, inputs, output):
        if path in shapes:  # a module called twice (ResNet's relu): its first call is its step
            return
        shapes[path] = tuple(output.shape[1:])
        if isinstance(module, torch.nn.Conv2d):
            weight = module.weight.shape  # (C_out, C_in / groups, kh, kw)
            macs[path] = output.shape[1:].numel() * weight[1] * weight[2] * weight[3]
        elif isinstance(module, torch.nn.Linear):
            macs[path] = module.in_features * module.out_features
    return hook


@pytest.mark.parametrize("name", PRESETS)
def test_reference_model_has_torchvisions_parameter_count(name):
    model = torch_run(name)["model"]
    assert sum(parameter.numel() for parameter in model.parameters()) == TORCHVISION_PARAMS[name]


@pytest.mark.parametrize("name", WITH_TORCH)
def test_state_dict_keys_order_and_shapes_equal_torchs(name):
    state = torch_run(name)["state"]
    expected = [(key, tuple(value.shape)) for key, value in state.items()]
    assert list(network(name).state_shapes().items()) == expected


@pytest.mark.parametrize("name", WITH_TORCH)
def test_every_module_output_shape_equals_torchs(name):
    steps = engine_steps(name)
    shapes = torch_run(name)["shapes"]
    assert set(shapes) <= set(steps), sorted(set(shapes) - set(steps))
    assert {path: steps[path].output_shape for path in shapes} == shapes


@pytest.mark.parametrize("name", WITH_TORCH)
def test_conv_and_linear_macs_equal_torchs(name):
    expected = torch_run(name)["macs"]
    ours = {record.path: record.macs for record in network(name).summary()
            if record.type in ("conv2d", "linear")}
    assert ours == expected


@pytest.mark.parametrize("name", WITH_TORCH)
def test_torch_state_dict_gives_torchs_logits(name):
    run = torch_run(name)
    net = Network.load(name)
    net.set_weights(run["state"])
    logits = net.forward(run["x"])[-1]
    expected = run["logits"]
    assert np.abs(logits - expected).max() / np.abs(expected).max() < 1e-3


def test_minires_shipped_weights_load_into_torch_and_agree():
    torch = pytest.importorskip("torch")
    import torch_models
    from cnntui.core.assets import find_sample
    from cnntui.images import load_image

    net = Network.load("minires")
    net.load_weights(net.shipped_weights)
    model = torch_models.minires()
    model.load_state_dict({key: torch.from_numpy(value) for key, value in net.weights.items()}, strict=True)
    model.eval()
    images = np.stack([load_image(find_sample(shape), net.input_shape)[0]
                       for shape in ("circle", "square", "triangle", "cross")])
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).numpy()
    assert np.abs(net.forward(images)[-1] - expected).max() < 1e-4
    assert [net.classes[i] for i in expected.argmax(axis=1)] == ["circle", "square", "triangle", "cross"]
