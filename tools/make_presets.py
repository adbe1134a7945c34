"""Write torchvision's classification models as cnntui presets (assets/presets/*.json).

Run from the checkout: ``python tools/make_presets.py``. The JSON files are what ships; this
script is how they were made, so a change to a model is a change here, then a rerun.

Every node's name is the attribute or index torchvision gives the module, so a node's path
(the dotted join of names, see the network-file schema) is the module's name in torchvision's
``state_dict`` and a torchvision weights file loads without renaming. Steps torchvision
writes as function calls (``torch.flatten``, ``F.relu``) get names no module has.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PRESETS = Path(__file__).resolve().parent.parent / "assets" / "presets"
IMAGENET_INPUT = [3, 224, 224]
# The mean and std torchvision's ImageNet weights were trained with (its ImageClassification transform).
IMAGENET_NORMALIZE = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
# GoogLeNet's weights were ported from TensorFlow and expect (x - 0.5) / 0.5: torchvision gets
# there with transform_input=True on ImageNet-normalised input; the preset has no such step,
# so it normalises that way directly.
INCEPTION_NORMALIZE = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
TORCHVISION = "Its module names are torchvision's, so a torchvision state_dict loads unchanged."


# Nodes ---------------------------------------------------------------------------------------

def named(node: dict, name: str | None) -> dict:
    return node if name is None else {"type": node["type"], "name": name,
                                      **{k: v for k, v in node.items() if k != "type"}}


def conv(out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0, *,
         bias: bool = True, groups: int = 1, name: str | None = None) -> dict:
    node = {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel_size}
    if stride != 1:
        node["stride"] = stride
    if padding:
        node["padding"] = padding
    if groups != 1:
        node["groups"] = groups
    if not bias:
        node["bias"] = False
    return named(node, name)


def batchnorm(name: str | None = None, eps: float | None = None) -> dict:
    return named({"type": "batchnorm2d"} if eps is None else {"type": "batchnorm2d", "eps": eps}, name)


def layer(kind: str, name: str | None = None, **fields) -> dict:
    return named({"type": kind, **fields}, name)


def maxpool(kernel_size: int, stride: int, padding: int = 0, *, ceil_mode: bool = False,
            name: str | None = None) -> dict:
    node = {"type": "maxpool2d", "kernel_size": kernel_size, "stride": stride}
    if padding:
        node["padding"] = padding
    if ceil_mode:
        node["ceil_mode"] = True
    return named(node, name)


def sequential(layers: list[dict], name: str | None = None) -> dict:
    return named({"type": "sequential", "layers": layers}, name)


def residual(body: list[dict], *, shortcut: dict | None = None, activation: str | None = None,
             name: str | None = None) -> dict:
    node = {"type": "residual", "body": body}
    if shortcut is not None:
        node["shortcut"] = shortcut
    if activation is not None:
        node["activation"] = activation
    return named(node, name)


def concat(branches: list[dict], name: str | None = None) -> dict:
    return named({"type": "concat", "branches": branches}, name)


def classifier_head(*steps: dict) -> dict:
    """An ``nn.Sequential`` named classifier: its children are numbered like torchvision's."""
    return sequential(list(steps), "classifier")


def preset(name: str, description: str, layers: list[dict],
           normalize: dict = IMAGENET_NORMALIZE, origin: str = TORCHVISION) -> dict:
    return {"name": name, "description": f"{description} {origin}", "input": IMAGENET_INPUT,
            "normalize": normalize, "layers": layers}


# ResNet --------------------------------------------------------------------------------------

def basic_block(planes: int, stride: int, downsample: bool) -> dict:
    body = [conv(planes, 3, stride, 1, bias=False, name="conv1"), batchnorm("bn1"), layer("relu", "relu"),
            conv(planes, 3, 1, 1, bias=False, name="conv2"), batchnorm("bn2")]
    return residual(body, shortcut=downsample_path(planes, stride) if downsample else None,
                    activation="relu")


def bottleneck(planes: int, stride: int, downsample: bool) -> dict:
    # torchvision's v1.5: the stride sits on the 3x3 conv, not the first 1x1.
    # torchvision calls one ReLU module three times; each of our steps needs its own name.
    body = [conv(planes, 1, bias=False, name="conv1"), batchnorm("bn1"), layer("relu", "relu"),
            conv(planes, 3, stride, 1, bias=False, name="conv2"), batchnorm("bn2"), layer("relu", "relu2"),
            conv(planes * 4, 1, bias=False, name="conv3"), batchnorm("bn3")]
    return residual(body, shortcut=downsample_path(planes * 4, stride) if downsample else None,
                    activation="relu")


def downsample_path(channels: int, stride: int) -> dict:
    return sequential([conv(channels, 1, stride, bias=False), batchnorm()], "downsample")


def resnet(block, blocks_per_stage: list[int]) -> list[dict]:
    expansion = 4 if block is bottleneck else 1
    layers = [conv(64, 7, 2, 3, bias=False, name="conv1"), batchnorm("bn1"), layer("relu", "relu"),
              maxpool(3, 2, 1, name="maxpool")]
    channels = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), blocks_per_stage), start=1):
        stride = 1 if stage == 1 else 2
        stage_blocks = []
        for index in range(count):
            first = index == 0
            stage_blocks.append(block(planes, stride if first else 1,
                                      first and (stride != 1 or channels != planes * expansion)))
            channels = planes * expansion
        layers.append(sequential(stage_blocks, f"layer{stage}"))
    return layers + [layer("adaptive_avg_pool2d", "avgpool", output_size=1), layer("flatten", "flatten"),
                     layer("linear", "fc", out_features=1000)]


# MobileNetV2 ---------------------------------------------------------------------------------

def conv_norm_relu6(out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1,
                    name: str | None = None) -> dict:
    """torchvision's Conv2dNormActivation: a Sequential of conv (no bias), batch norm, ReLU6."""
    return sequential([conv(out_channels, kernel_size, stride, (kernel_size - 1) // 2, bias=False,
                            groups=groups), batchnorm(), layer("relu6")], name)


def inverted_residual(in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> dict:
    hidden = in_channels * expand_ratio
    steps = [conv_norm_relu6(hidden, 1)] if expand_ratio != 1 else []
    steps += [conv_norm_relu6(hidden, 3, stride, groups=hidden),  # depthwise
              conv(out_channels, 1, bias=False), batchnorm()]  # linear bottleneck: no activation
    body = [sequential(steps, "conv")]
    if stride == 1 and in_channels == out_channels:
        return residual(body)
    return sequential(body)


def mobilenet_v2() -> list[dict]:
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]  # expansion t, channels c, repeats n, first stride s
    features = [conv_norm_relu6(32, 3, 2)]
    channels = 32
    for expand_ratio, out_channels, repeats, stride in settings:
        for index in range(repeats):
            features.append(inverted_residual(channels, out_channels, stride if index == 0 else 1,
                                              expand_ratio))
            channels = out_channels
    features.append(conv_norm_relu6(1280, 1))
    return [sequential(features, "features"), layer("adaptive_avg_pool2d", "avgpool", output_size=1),
            layer("flatten", "flatten"),
            classifier_head(layer("dropout", p=0.2), layer("linear", out_features=1000))]


# SqueezeNet 1.1 ------------------------------------------------------------------------------

def fire(squeeze: int, expand: int) -> dict:
    """A Fire module: its expand convs are attributes of the module itself, so the branches and
    the concatenation that hold them are transparent (name "")."""
    return sequential([
        conv(squeeze, 1, name="squeeze"), layer("relu", "squeeze_activation"),
        concat([sequential([conv(expand, 1, name="expand1x1"), layer("relu", "expand1x1_activation")], ""),
                sequential([conv(expand, 3, 1, 1, name="expand3x3"), layer("relu", "expand3x3_activation")], "")],
               ""),
    ])


def squeezenet1_1() -> list[dict]:
    def pool() -> dict:
        return maxpool(3, 2, ceil_mode=True)

    features = [conv(64, 3, 2), layer("relu"), pool(), fire(16, 64), fire(16, 64), pool(),
                fire(32, 128), fire(32, 128), pool(), fire(48, 192), fire(48, 192), fire(64, 256),
                fire(64, 256)]
    return [sequential(features, "features"),
            classifier_head(layer("dropout", p=0.5), conv(1000, 1), layer("relu"),
                            layer("adaptive_avg_pool2d", output_size=1)),
            layer("flatten", "flatten")]


# GoogLeNet -----------------------------------------------------------------------------------

def basic_conv(out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
               name: str | None = None) -> dict:
    """GoogLeNet's BasicConv2d: conv (no bias) and batch norm (eps 0.001) as attributes, then F.relu."""
    return sequential([conv(out_channels, kernel_size, stride, padding, bias=False, name="conv"),
                       batchnorm("bn", eps=0.001), layer("relu", "relu")], name)


def inception(ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int,
              name: str) -> dict:
    return concat([
        basic_conv(ch1x1, 1, name="branch1"),
        sequential([basic_conv(ch3x3red, 1), basic_conv(ch3x3, 3, padding=1)], "branch2"),
        # torchvision's known quirk (vision#906): a 3x3 conv where the paper has 5x5.
        sequential([basic_conv(ch5x5red, 1), basic_conv(ch5x5, 3, padding=1)], "branch3"),
        sequential([maxpool(3, 1, 1, ceil_mode=True), basic_conv(pool_proj, 1)], "branch4"),
    ], name)


def googlenet() -> list[dict]:
    def pool(kernel_size: int, name: str) -> dict:
        return maxpool(kernel_size, 2, ceil_mode=True, name=name)

    return [
        basic_conv(64, 7, 2, 3, "conv1"), pool(3, "maxpool1"),
        basic_conv(64, 1, name="conv2"), basic_conv(192, 3, padding=1, name="conv3"), pool(3, "maxpool2"),
        inception(64, 96, 128, 16, 32, 32, "inception3a"),
        inception(128, 128, 192, 32, 96, 64, "inception3b"), pool(3, "maxpool3"),
        inception(192, 96, 208, 16, 48, 64, "inception4a"),
        inception(160, 112, 224, 24, 64, 64, "inception4b"),
        inception(128, 128, 256, 24, 64, 64, "inception4c"),
        inception(112, 144, 288, 32, 64, 64, "inception4d"),
        inception(256, 160, 320, 32, 128, 128, "inception4e"), pool(2, "maxpool4"),
        inception(256, 160, 320, 32, 128, 128, "inception5a"),
        inception(384, 192, 384, 48, 128, 128, "inception5b"),
        layer("adaptive_avg_pool2d", "avgpool", output_size=1), layer("flatten", "flatten"),
        layer("dropout", "dropout", p=0.2), layer("linear", "fc", out_features=1000),
    ]


# DenseNet-121 --------------------------------------------------------------------------------

def dense_layer(growth: int, bn_size: int, index: int) -> dict:
    """One dense layer: its input joined along channels with the growth-many maps it computes.
    The first branch is the identity; the second is transparent, so its steps are named as
    torchvision's _DenseLayer attributes (denselayer1.norm1, ...)."""
    new_features = sequential([batchnorm("norm1"), layer("relu", "relu1"),
                               conv(bn_size * growth, 1, bias=False, name="conv1"),
                               batchnorm("norm2"), layer("relu", "relu2"),
                               conv(growth, 3, 1, 1, bias=False, name="conv2")], "")
    return concat([sequential([]), new_features], f"denselayer{index}")


def densenet121(growth: int = 32, bn_size: int = 4, block_sizes=(6, 12, 24, 16)) -> list[dict]:
    features = [conv(64, 7, 2, 3, bias=False, name="conv0"), batchnorm("norm0"), layer("relu", "relu0"),
                maxpool(3, 2, 1, name="pool0")]
    channels = 64
    for block, size in enumerate(block_sizes, start=1):
        features.append(sequential([dense_layer(growth, bn_size, index) for index in range(1, size + 1)],
                                   f"denseblock{block}"))
        channels += size * growth
        if block != len(block_sizes):
            channels //= 2
            features.append(sequential([batchnorm("norm"), layer("relu", "relu"),
                                        conv(channels, 1, bias=False, name="conv"),
                                        layer("avgpool2d", "pool", kernel_size=2, stride=2)],
                                       f"transition{block}"))
    features.append(batchnorm("norm5"))
    return [sequential(features, "features"), layer("relu", "relu"),
            layer("adaptive_avg_pool2d", "avgpool", output_size=1), layer("flatten", "flatten"),
            layer("linear", "classifier", out_features=1000)]


# VGG and AlexNet -----------------------------------------------------------------------------

VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg(configuration: list, batch_norm: bool = False) -> list[dict]:
    features = []
    for item in configuration:
        if item == "M":
            features.append(maxpool(2, 2))
        else:  # VGG's convs keep their bias even before batch norm
            features += [conv(item, 3, 1, 1)] + ([batchnorm()] if batch_norm else []) + [layer("relu")]
    return [sequential(features, "features"), layer("adaptive_avg_pool2d", "avgpool", output_size=7),
            layer("flatten", "flatten"),
            classifier_head(layer("linear", out_features=4096), layer("relu"), layer("dropout", p=0.5),
                            layer("linear", out_features=4096), layer("relu"), layer("dropout", p=0.5),
                            layer("linear", out_features=1000))]


def alexnet() -> list[dict]:
    features = [conv(64, 11, 4, 2), layer("relu"), maxpool(3, 2),
                conv(192, 5, 1, 2), layer("relu"), maxpool(3, 2),
                conv(384, 3, 1, 1), layer("relu"), conv(256, 3, 1, 1), layer("relu"),
                conv(256, 3, 1, 1), layer("relu"), maxpool(3, 2)]
    return [sequential(features, "features"), layer("adaptive_avg_pool2d", "avgpool", output_size=6),
            layer("flatten", "flatten"),
            classifier_head(layer("dropout", p=0.5), layer("linear", out_features=4096), layer("relu"),
                            layer("dropout", p=0.5), layer("linear", out_features=4096), layer("relu"),
                            layer("linear", out_features=1000))]


# Network in Network -------------------------------------------------------------------------

def mlpconv(out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
            last_channels: int | None = None) -> dict:
    """NiN's block: a convolution, then two 1x1 convolutions, a small MLP applied at every position."""
    return sequential([conv(out_channels, kernel_size, stride, padding), layer("relu"),
                       conv(out_channels, 1), layer("relu"),
                       conv(last_channels or out_channels, 1), layer("relu")])


def nin() -> list[dict]:
    # Unnamed nodes take their index as name, so the paths are those of d2l's nn.Sequential.
    return [mlpconv(96, 11, 4), maxpool(3, 2), mlpconv(256, 5, 1, 2), maxpool(3, 2),
            mlpconv(384, 3, 1, 1), maxpool(3, 2), layer("dropout", p=0.5),
            mlpconv(1024, 3, 1, 1, last_channels=1000),
            layer("adaptive_avg_pool2d", output_size=1), layer("flatten")]


D2L_NIN = ("It has no torchvision twin: its paths are the indices of d2l's PyTorch nn.Sequential, and it "
           "comes without trained weights.")


# The presets ---------------------------------------------------------------------------------

def presets() -> list[dict]:
    return [
        preset("resnet18", "torchvision's ResNet-18 (He et al., 2015): a 7x7 stem, four stages of two "
               "residual blocks of two 3x3 convolutions with batch norm, global average pooling and one "
               "fully connected layer; 11.7 million parameters.", resnet(basic_block, [2, 2, 2, 2])),
        preset("resnet34", "torchvision's ResNet-34 (He et al., 2015): ResNet-18's design with 3, 4, 6 "
               "and 3 residual blocks in its four stages; 21.8 million parameters.",
               resnet(basic_block, [3, 4, 6, 3])),
        preset("resnet50", "torchvision's ResNet-50 (He et al., 2015, in the v1.5 form with the stride on "
               "the 3x3 convolution): bottleneck blocks of a 1x1, a 3x3 and a 1x1 convolution; 25.6 million "
               "parameters.", resnet(bottleneck, [3, 4, 6, 3])),
        preset("mobilenet_v2", "torchvision's MobileNetV2 (Sandler et al., 2018): inverted residual blocks "
               "that widen with a 1x1 convolution, filter each channel with a depthwise 3x3 convolution and "
               "narrow again with no activation; 3.5 million parameters.", mobilenet_v2()),
        preset("squeezenet1_1", "torchvision's SqueezeNet 1.1 (Iandola et al., 2016): Fire modules that "
               "squeeze the channels with 1x1 convolutions, then expand them with 1x1 and 3x3 branches "
               "joined along channels, and a convolution as classifier; 1.2 million parameters.",
               squeezenet1_1()),
        preset("googlenet", "torchvision's GoogLeNet (Szegedy et al., 2014) without its auxiliary heads: "
               "nine Inception blocks of four parallel branches joined along channels; 6.6 million "
               "parameters. torchvision's ImageNet weights for it expect input scaled to -1..1, so it "
               "normalises with mean 0.5 and std 0.5.", googlenet(), INCEPTION_NORMALIZE),
        preset("densenet121", "torchvision's DenseNet-121 (Huang et al., 2016): four dense blocks in which "
               "every layer adds 32 maps to all the maps before it, with transitions that halve the "
               "channels and the size; 8.0 million parameters.", densenet121()),
        preset("vgg11", "torchvision's VGG-11 (Simonyan and Zisserman, 2014, configuration A): eight 3x3 "
               "convolutions in five blocks and three fully connected layers that hold most of its 132.9 "
               "million parameters.", vgg(VGG11)),
        preset("vgg16", "torchvision's VGG-16 (Simonyan and Zisserman, 2014, configuration D): thirteen "
               "3x3 convolutions in five blocks and three fully connected layers that hold most of its "
               "138.4 million parameters.", vgg(VGG16)),
        preset("vgg16_bn", "torchvision's VGG-16 (configuration D) with a batch norm after each of its "
               "thirteen convolutions, a later variant of the 2014 network; 138.4 million parameters.", vgg(VGG16, batch_norm=True)),
        preset("alexnet", "torchvision's AlexNet (Krizhevsky et al., 2012): five convolutions and three "
               "max poolings, then three fully connected layers with dropout; 61.1 million parameters.",
               alexnet()),
        preset("nin", "Network in Network (Lin, Chen and Yan, 2013) for ImageNet, laid out as in Dive into "
               "Deep Learning (d2l.ai, section 8.3) with 3 input channels, 1000 classes and the authors' "
               "1024-channel last block: four mlpconv blocks (a convolution and two 1x1 convolutions), max "
               "pooling, dropout and global average pooling over one map per class, with no fully connected "
               "layer; 7.6 million parameters.", nin(), origin=D2L_NIN),
    ]


# Writing -------------------------------------------------------------------------------------

CHILD_KEYS = ("layers", "body", "branches")


def to_json(node, indent: str = "") -> str:
    """A readable layout: a leaf layer on one line, containers opened one child per line."""
    if isinstance(node, dict) and any(key in node for key in (*CHILD_KEYS, "shortcut")):
        inner = indent + "  "
        items = []
        for key, value in node.items():
            if key in CHILD_KEYS:
                text = "[]" if not value else (
                    "[\n" + ",\n".join(inner + "  " + to_json(child, inner + "  ") for child in value)
                    + "\n" + inner + "]")
            elif key == "shortcut":
                text = to_json(value, inner)
            else:
                text = json.dumps(value, ensure_ascii=False)
            items.append(f"{inner}{json.dumps(key)}: {text}")
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(node, ensure_ascii=False)


def main() -> int:
    for spec in presets():
        path = PRESETS / f"{spec['name']}.json"
        path.write_text(to_json(spec) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
