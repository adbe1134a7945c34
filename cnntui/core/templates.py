"""Block templates: the building blocks of modern CNNs as network JSON, sized for where they go.

Each template is one node with torchvision's structure and module names, so a block added from a
template reads like the same block in the presets (resnet18, resnet50, mobilenet_v2,
squeezenet1_1, googlenet, densenet121). Its sizes come from the shape that reaches the insertion
point; a block keeps its input's channel count unless its nature is to change it (an Inception
module and a dense layer add channels). Plain data only: nothing here imports NumPy.
"""

from __future__ import annotations

from typing import Callable

TEMPLATE_NAMES = ("basic", "bottleneck", "inverted_residual", "fire", "inception", "dense_layer")
DEFAULT_CHANNELS = 64  # when the shape reaching the insertion point is unknown or not C x H x W
EXPANSION = 6  # MobileNetV2's expansion factor t
GROWTH_RATE = 32  # DenseNet-121's k


def make_template(name: str, in_shape: tuple | list | None) -> dict:
    """The block ``name`` (one of TEMPLATE_NAMES) for an input of shape ``in_shape`` (C, H, W);
    None, or a shape that is not C x H x W, gives the block for 64 channels."""
    if name not in BUILDERS:
        raise ValueError(f"unknown template {name!r}; the templates are {', '.join(TEMPLATE_NAMES)}")
    return BUILDERS[name](_channels(in_shape))


def _channels(in_shape) -> int:
    if in_shape is not None and len(in_shape) == 3 and int(in_shape[0]) >= 1:
        return int(in_shape[0])
    return DEFAULT_CHANNELS


def _conv(out: int, kernel: int, name: str | None = None, **settings) -> dict:
    """A conv without bias (batch norm after it has the shift); a 3x3 keeps height and width."""
    node = {**_named("conv2d", name), "out_channels": out, "kernel_size": kernel}
    if kernel == 3:
        node["padding"] = 1
    return {**node, **settings, "bias": False}


def _named(kind: str, name: str | None = None, **settings) -> dict:
    return {"type": kind, **({"name": name} if name is not None else {}), **settings}


def basic(channels: int) -> dict:
    """ResNet-18's BasicBlock: two 3x3 convs with batch norm, the input added back, then ReLU."""
    return {"type": "residual", "body": [
        _conv(channels, 3, "conv1"), _named("batchnorm2d", "bn1"), _named("relu", "relu"),
        _conv(channels, 3, "conv2"), _named("batchnorm2d", "bn2"),
    ], "activation": "relu"}


def bottleneck(channels: int) -> dict:
    """ResNet-50's Bottleneck: 1x1 down to a quarter of the channels, 3x3, 1x1 back up (x4)."""
    width = max(1, channels // 4)
    return {"type": "residual", "body": [
        _conv(width, 1, "conv1"), _named("batchnorm2d", "bn1"), _named("relu", "relu"),
        _conv(width, 3, "conv2"), _named("batchnorm2d", "bn2"), _named("relu", "relu2"),
        _conv(channels, 1, "conv3"), _named("batchnorm2d", "bn3"),
    ], "activation": "relu"}


def inverted_residual(channels: int) -> dict:
    """MobileNetV2's InvertedResidual: expand 1x1 (t = 6), depthwise 3x3, project 1x1, no ReLU after
    the sum (torchvision's module names: conv.0 expand, conv.1 depthwise, conv.2 and conv.3 project)."""
    hidden = channels * EXPANSION
    return {"type": "residual", "body": [{"type": "sequential", "name": "conv", "layers": [
        {"type": "sequential", "layers": [_conv(hidden, 1), _named("batchnorm2d"), _named("relu6")]},
        {"type": "sequential", "layers": [_conv(hidden, 3, groups=hidden), _named("batchnorm2d"), _named("relu6")]},
        _conv(channels, 1), _named("batchnorm2d"),
    ]}]}


def fire(channels: int) -> dict:
    """SqueezeNet's Fire module: squeeze 1x1 to an eighth, then 1x1 and 3x3 expands side by side
    (half the channels each). Its concat and branches are transparent, as in torchvision, where
    expand1x1 and expand3x3 are the Fire module's own children."""
    squeeze, half = max(1, channels // 8), max(1, channels // 2)
    rest = max(1, channels - half)

    def expand(name: str, out: int, kernel: int) -> dict:
        conv = {"type": "conv2d", "name": name, "out_channels": out, "kernel_size": kernel}
        if kernel == 3:
            conv["padding"] = 1
        return {"type": "sequential", "name": "", "layers": [conv, _named("relu", f"{name}_activation")]}

    return {"type": "sequential", "layers": [
        {"type": "conv2d", "name": "squeeze", "out_channels": squeeze, "kernel_size": 1},
        _named("relu", "squeeze_activation"),
        {"type": "concat", "name": "", "branches": [expand("expand1x1", half, 1), expand("expand3x3", rest, 3)]},
    ]}


def inception(channels: int) -> dict:
    """GoogLeNet's Inception module, its channel counts scaled from inception3a's (192 in:
    64, 96->128, 16->32, pool->32; 256 out): the output has 4/3 of the input's channels.
    Like torchvision, the third branch uses a 3x3 conv where the paper has 5x5."""
    def scaled(count: int) -> int:
        return max(1, channels * count // 192)

    def conv_bn(out: int, kernel: int, name: str | None = None) -> dict:
        layers = [_conv(out, kernel, "conv"), _named("batchnorm2d", "bn", eps=0.001), _named("relu", "relu")]
        return {**_named("sequential", name), "layers": layers}

    pool = {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1, "ceil_mode": True}
    return {"type": "concat", "branches": [
        conv_bn(scaled(64), 1, "branch1"),
        {"type": "sequential", "name": "branch2", "layers": [conv_bn(scaled(96), 1), conv_bn(scaled(128), 3)]},
        {"type": "sequential", "name": "branch3", "layers": [conv_bn(scaled(16), 1), conv_bn(scaled(32), 3)]},
        {"type": "sequential", "name": "branch4", "layers": [pool, conv_bn(scaled(32), 1)]},
    ]}


def dense_layer(_channels: int) -> dict:
    """DenseNet's dense layer: its input passed on unchanged beside BN-ReLU-1x1 (4k)-BN-ReLU-3x3 (k)
    new maps, so the output has k = 32 more channels than the input. The input's width does not
    change the layer's shape, only its first batch norm's and 1x1 conv's sizes."""
    new = {"type": "sequential", "name": "", "layers": [
        _named("batchnorm2d", "norm1"), _named("relu", "relu1"), _conv(4 * GROWTH_RATE, 1, "conv1"),
        _named("batchnorm2d", "norm2"), _named("relu", "relu2"), _conv(GROWTH_RATE, 3, "conv2"),
    ]}
    return {"type": "concat", "branches": [{"type": "sequential", "layers": []}, new]}


BUILDERS: dict[str, Callable[[int], dict]] = {
    "basic": basic, "bottleneck": bottleneck, "inverted_residual": inverted_residual,
    "fire": fire, "inception": inception, "dense_layer": dense_layer,
}
