"""A cnntui network file, built in torch from the JSON alone, for the parity tests and benchmarks.

``torch_from_spec(spec)`` reads only the spec (never the engine) and returns an nn.Module whose
modules sit where design16's naming rules put them: a node's name defaults to its position in
its list ("shortcut" for a residual's shortcut), the name "" makes a container transparent (its
children are registered in its parent), and a residual's body children live directly in the
residual's module. So ``state_dict()`` keys are the engine's weight keys, found independently.
Shapes come from pushing a zero probe through torch itself. Importing this module needs torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

Runner = Callable[[torch.Tensor], torch.Tensor]


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class SpecDropout(nn.Dropout):
    """nn.Dropout, or, once a test sets ``mask`` (1 keeps, 0 drops), that mask in training, so
    torch can replay the engine's seeded draw."""

    mask: torch.Tensor | None = None

    def forward(self, x):
        if not self.training or self.mask is None:
            return super().forward(x)
        return x * self.mask.to(x.dtype) / (1 - self.p)


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


def _conv(node: dict, channels: int) -> nn.Module:
    padding = node.get("padding", 0)
    return nn.Conv2d(channels, node["out_channels"], _pair(node["kernel_size"]),
                     stride=_pair(node.get("stride", 1)),
                     padding=padding if isinstance(padding, str) else _pair(padding),
                     dilation=_pair(node.get("dilation", 1)), groups=node.get("groups", 1),
                     bias=node.get("bias", True))


def _pool(node: dict) -> nn.Module:
    stride = node.get("stride")
    common = {"kernel_size": _pair(node["kernel_size"]), "stride": None if stride is None else _pair(stride),
              "padding": _pair(node.get("padding", 0)), "ceil_mode": node.get("ceil_mode", False)}
    if node["type"] == "maxpool2d":
        return nn.MaxPool2d(dilation=_pair(node.get("dilation", 1)), **common)
    return nn.AvgPool2d(count_include_pad=node.get("count_include_pad", True), **common)


ACTIVATIONS: dict[str, Callable[[dict], nn.Module]] = {
    "relu": lambda node: nn.ReLU(),
    "relu6": lambda node: nn.ReLU6(),
    "silu": lambda node: nn.SiLU(),
    "hardswish": lambda node: nn.Hardswish(),
    "sigmoid": lambda node: nn.Sigmoid(),
    "tanh": lambda node: nn.Tanh(),
    "leaky_relu": lambda node: nn.LeakyReLU(node.get("negative_slope", 0.01)),
}


def leaf_module(node: dict, probe: torch.Tensor) -> nn.Module:
    """The nn.Module for one leaf layer whose input is shaped like ``probe`` (N, ...)."""
    kind = node["type"]
    if kind in ACTIVATIONS:
        return ACTIVATIONS[kind](node)
    if kind == "conv2d":
        return _conv(node, probe.shape[1])
    if kind in ("maxpool2d", "avgpool2d"):
        return _pool(node)
    if kind == "batchnorm2d":
        return nn.BatchNorm2d(probe.shape[1], eps=node.get("eps", 1e-5), momentum=node.get("momentum", 0.1),
                              affine=node.get("affine", True),
                              track_running_stats=node.get("track_running_stats", True))
    if kind == "dropout":
        return SpecDropout(node.get("p", 0.5))
    if kind == "adaptive_avg_pool2d":
        return nn.AdaptiveAvgPool2d(_pair(node["output_size"]))
    if kind == "global_avg_pool":
        return GlobalAvgPool()
    if kind == "flatten":
        return nn.Flatten()
    if kind == "linear":
        return nn.Linear(probe.shape[1], node["out_features"], bias=node.get("bias", True))
    if kind == "softmax":
        return nn.Softmax(dim=1)
    raise ValueError(f"torch_from_spec: no torch module for {kind!r}")


class SpecModel(nn.Module):
    """The whole network. ``trace``, when a dict, receives every step's output by its path (a
    residual's or concat's join under the block's path), as the engine's outputs_by_path."""

    def __init__(self):
        super().__init__()
        self.trace: dict[str, torch.Tensor] | None = None
        self.run: Runner = lambda x: x

    def forward(self, x):
        return self.run(x)

    def record(self, path: str, value: torch.Tensor) -> torch.Tensor:
        if self.trace is not None:
            self.trace[path] = value
        return value


class _Builder:
    def __init__(self, model: SpecModel):
        self.model = model

    def sequence(self, nodes: list, owner: nn.Module, prefix: str, probe) -> tuple[Runner, torch.Tensor]:
        runners = []
        for position, node in enumerate(nodes):
            runner, probe = self.node(node, owner, prefix, str(position), probe)
            runners.append(runner)

        def run(x):
            for runner in runners:
                x = runner(x)
            return x
        return run, probe

    def node(self, node: dict, owner: nn.Module, prefix: str, default: str, probe):
        name = node.get("name", default)
        path = f"{prefix}.{name}" if prefix and name else prefix or name
        kind = node["type"]
        if kind not in ("sequential", "residual", "concat"):
            module = leaf_module(node, probe).eval()  # the probe must not move batch norm's statistics
            owner.add_module(name, module)
            with torch.no_grad():
                probe = module(probe)
            return (lambda x: self.model.record(path, module(x))), probe
        if name:  # a named container is a module of its own; a transparent one adds no level
            inner = nn.Module()
            owner.add_module(name, inner)
            owner = inner
        if kind == "sequential":
            return self.sequence(node["layers"], owner, path, probe)
        if kind == "residual":
            return self.residual(node, owner, path, probe)
        return self.concat(node, owner, path, probe)

    def residual(self, node: dict, owner: nn.Module, path: str, probe):
        body, body_probe = self.sequence(node["body"], owner, path, probe)
        shortcut = (lambda x: x)
        if node.get("shortcut") is not None:
            shortcut, _ = self.node(node["shortcut"], owner, path, "shortcut", probe)
        activation = node.get("activation")
        after = ACTIVATIONS[activation]({}) if activation else (lambda x: x)

        def run(x):
            return self.model.record(path, after(body(x) + shortcut(x)))
        return run, after(body_probe)

    def concat(self, node: dict, owner: nn.Module, path: str, probe):
        branches, probes = [], []
        for position, branch in enumerate(node["branches"]):
            runner, out = self.node(branch, owner, path, str(position), probe)
            branches.append(runner)
            probes.append(out)

        def run(x):
            return self.model.record(path, torch.cat([branch(x) for branch in branches], dim=1))
        return run, torch.cat(probes, dim=1)


def torch_from_spec(spec: dict, probe_batch: int = 2) -> SpecModel:
    """``spec``'s network in torch (float32, eval mode, torch's own initial weights). The probe
    has two images: batch norm without running statistics needs more than one value per channel."""
    model = SpecModel()
    probe = torch.zeros((probe_batch, *spec["input"]))
    with torch.no_grad():
        model.run, _ = _Builder(model).sequence(spec["layers"], model, "", probe)
    return model.eval()


def parameter_count(model: nn.Module) -> int:
    return sum(math.prod(p.shape) for p in model.parameters())


def load_engine_weights(model: nn.Module, weights: dict, dtype=torch.float64) -> nn.Module:
    """``model`` in ``dtype`` holding the engine's state dict (NumPy arrays), strictly."""
    model.to(dtype)
    model.load_state_dict({key: torch.from_numpy(value.copy()) for key, value in weights.items()}, strict=True)
    return model
