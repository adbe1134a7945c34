"""Worked examples that are small experiments rather than one network's analysis or forward pass.

- ``depth``: random inputs through a deep stack of linear+ReLU layers, under several weight
  scales, and how large the values are after each layer (the initialisation page).
- ``opt``: a few steps of SGD, SGD with momentum and Adam on a one-weight loss, with
  the optimisers Train uses (the optimiser page).
- ``training``: a short real training run with Train's own loop, its per-epoch curves, the epoch
  early stopping would keep and a test set scored once (the data-splits page).

Each is deterministic, so its result is kept for the session: a page is rendered in two languages
and again whenever it is opened. cnntui.train is imported inside the functions, so that pages
without these examples never load it (it is NumPy and Pillow only, no Textual).
"""

from __future__ import annotations

import json
import math
from functools import cache, wraps
from types import SimpleNamespace

import numpy as np

from ..core import Network
from .examples import Values, network_spec
from .placeholders import ExampleError


def once_per_setup(experiment):
    """``experiment(setup)``, run once per session for each JSON setup (kept under its sorted text)."""
    run = cache(lambda key: experiment(json.loads(key)))

    @wraps(experiment)
    def cached(setup: dict):
        return run(json.dumps(setup, sort_keys=True))

    return cached


# -- the initialisation page: values through a deep stack ----------------------------------------

class ScaleFacts:
    """One weight scale: the weights' standard deviation and the RMS of the values after each layer
    (``rms[0]`` is the input's, ``rms[k]`` the k-th linear+ReLU layer's output)."""

    def __init__(self, std: float, rms: list[float]):
        self.std = std
        self.rms = Values(rms)


class DepthFacts:
    def __init__(self, width: int, layers: int, samples: int, scales: dict[str, ScaleFacts]):
        self.width, self.layers, self.samples = width, layers, samples
        self.scales = scales
        # PyTorch's default for nn.Linear and nn.Conv2d: kaiming_uniform_(a=sqrt(5)), uniform in
        # +-1/sqrt(fan_in), whose standard deviation is 1/sqrt(3 * fan_in).
        self.torch_std = 1 / math.sqrt(3 * width)

    def __getattr__(self, name: str) -> ScaleFacts:
        scales = self.__dict__.get("scales", {})
        if name in scales:
            return scales[name]
        raise AttributeError(f"the depth example has no scale '{name}'")


def deep_stack_spec(width: int, layers: int) -> dict:
    body = [layer for _ in range(layers) for layer in ({"type": "linear", "out_features": width}, {"type": "relu"})]
    return {"name": "deep stack", "input": [1, 1, width], "layers": [{"type": "flatten"}, *body]}


@once_per_setup
def depth_facts(setup: dict) -> DepthFacts:
    width, layers, samples, seed = setup["width"], setup["layers"], setup["samples"], setup.get("seed", 0)
    net = Network.from_dict(deep_stack_spec(width, layers))
    # Its own stream: drawn from ``seed`` alone, the input would repeat the first layer's weights.
    x = np.random.default_rng([seed, 1]).standard_normal((samples, 1, 1, width), dtype=np.float32)
    scales = {}
    for name, (scheme, factor) in setup["scales"].items():
        if scheme not in ("he", "xavier"):
            raise ExampleError(f"depth: unknown scheme '{scheme}' (he or xavier)")
        # The engine's own He or Xavier weights, stretched by ``factor``; biases stay 0.
        weights = net.initial_weights(seed, scheme)
        for key, array in weights.items():
            if key.endswith(".weight"):
                array *= np.float32(factor)
        net.set_weights(weights)
        outputs = net.forward(x)
        after_relu = [x, *outputs[2::2]]  # layer 0 flattens; then linear, relu, linear, relu...
        rms = [float(np.sqrt(np.mean(np.square(value, dtype=np.float64)))) for value in after_relu]
        std = float(np.concatenate([w.ravel() for k, w in weights.items() if k.endswith(".weight")]).std())
        scales[name] = ScaleFacts(std, rms)
    return DepthFacts(width, layers, samples, scales)


# -- the optimiser page: a few steps on a one-weight loss ----------------------------------------

class StepsFacts:
    """One optimiser's run: ``w[k]`` after k steps (``w[0]`` the start), ``g[k]`` the gradient at
    ``w[k]``; for Adam also ``m[k]``, ``v[k]`` and their bias-corrected ``m_hat[k]``, ``v_hat[k]``
    after step k (index 0 is the zero they start from; all zeros for SGD)."""

    def __init__(self, w: list[float], g: list[float], moments: list[tuple[float, float, float, float]]):
        self.w, self.g = Values(w), Values(g)
        self.m, self.v, self.m_hat, self.v_hat = (Values(column) for column in zip(*moments))


class OptimizerFacts:
    """``sgd``, ``heavy`` (SGD with momentum) and ``adam`` on the loss (w - target)^2, and ``big.sgd``,
    ``big.adam`` on the same loss times ``scale``; ``beta1``, ``beta2``, ``eps`` are Adam's defaults."""

    def __init__(self, setup: dict, runs: dict[str, StepsFacts], scaled: dict[str, StepsFacts], adam):
        self.lr, self.momentum, self.steps = setup["lr"], setup["momentum"], setup["steps"]
        self.target, self.start, self.scale = setup["target"], setup["start"], setup["scale"]
        self.sgd, self.heavy, self.adam = runs["sgd"], runs["momentum"], runs["adam"]
        self.big = SimpleNamespace(**scaled)
        (self.beta1, self.beta2), self.eps = adam.betas, adam.eps


@once_per_setup
def optimizer_facts(setup: dict) -> OptimizerFacts:
    from ..train.optim import SGD, Adam  # the optimisers Train mode uses, torch.optim's update rules

    makers = {"sgd": lambda: SGD(setup["lr"]), "momentum": lambda: SGD(setup["lr"], momentum=setup["momentum"]),
              "adam": lambda: Adam(setup["lr"])}
    runs = {name: descend(make(), setup, 1.0) for name, make in makers.items()}
    scaled = {name: descend(makers[name](), setup, setup["scale"]) for name in ("sgd", "adam")}
    return OptimizerFacts(setup, runs, scaled, makers["adam"]())


def descend(optimizer, setup: dict, scale: float) -> StepsFacts:
    """``setup["steps"]`` steps on the loss scale * (w - target)^2, whose gradient is 2 * scale * (w - target)."""
    target = np.float32(setup["target"])
    weights = {"w": np.array([setup["start"]], dtype=np.float32)}
    w, g, moments = [float(weights["w"][0])], [], [(0.0, 0.0, 0.0, 0.0)]
    for _ in range(setup["steps"]):
        gradient = 2 * scale * (weights["w"] - target)
        g.append(float(gradient[0]))
        optimizer.step(weights, {"w": gradient})
        w.append(float(weights["w"][0]))
        moments.append(adam_moments(optimizer))
    g.append(2 * scale * (w[-1] - setup["target"]))
    return StepsFacts(w, g, moments)


def adam_moments(optimizer) -> tuple[float, float, float, float]:
    """Adam's m and v for the weight after its latest step, and the same bias-corrected; zeros for SGD."""
    state = optimizer.state["w"]
    if "exp_avg" not in state:
        return 0.0, 0.0, 0.0, 0.0
    (beta1, beta2), step = optimizer.betas, state["step"]
    m, v = float(state["exp_avg"][0]), float(state["exp_avg_sq"][0])
    return m, v, m / (1 - beta1 ** step), v / (1 - beta2 ** step)


# -- the data-splits page: a real short training run -------------------------------------------

class EpochFacts:
    def __init__(self, report, best: bool):
        self.epoch = report.epoch
        self.train_loss, self.train_accuracy = report.train_loss, report.train_accuracy
        self.val_loss, self.val_accuracy = report.val_loss, report.val_accuracy
        self.mark = "*" if best else ""


class TrainingFacts:
    """Train's loop on a small training part, with a validation part scored after every epoch and
    a test part scored once, at the end, with the weights early stopping keeps (and, to compare,
    with the last epoch's). ``epochs[i]`` is epoch i + 1."""

    def __init__(self, setup: dict, history, test_best: tuple[float, float], test_last: tuple[float, float]):
        self.train, self.validation, self.test = setup["train"], setup["validation"], setup["test"]
        self.seed, self.size, self.lr, self.batch = setup["seed"], setup["size"], setup["lr"], setup["batch"]
        best = min(range(len(history)), key=lambda i: history[i].val_loss)
        self.epochs = [EpochFacts(report, i == best) for i, report in enumerate(history)]
        self.best = self.epochs[best]
        self.last = self.epochs[-1]
        self.test_best_loss, self.test_best_accuracy = test_best
        self.test_last_loss, self.test_last_accuracy = test_last


@once_per_setup
def training_facts(setup: dict) -> TrainingFacts:
    from ..train.datasets import make_dataset
    from ..train.loop import Settings, Trainer, evaluate

    sizes = (setup["train"], setup["validation"], setup["test"])
    # One draw, cut as Train cuts its validation part off the end: the test part first, then validation.
    data = make_dataset(setup["dataset"], sum(sizes), setup["seed"], setup["size"])
    rest, test_set = data.split(setup["test"])
    train_set, val_set = rest.split(setup["validation"])
    net = Network.from_dict(network_spec(setup["net"]))
    net.init_weights(setup["seed"])
    trainer = Trainer(net, train_set, val_set,
                      Settings(setup["epochs"], setup["batch"], "adam", setup["lr"], seed=setup["seed"]))
    best_loss, best_weights = math.inf, None
    while not trainer.done:
        report = trainer.epoch()
        if report.val_loss < best_loss:  # early stopping's bookkeeping: a copy of the best weights so far
            best_loss, best_weights = report.val_loss, {k: w.copy() for k, w in net.weights.items()}
    test_last = evaluate(net, test_set, setup["batch"])
    net.set_weights(best_weights)
    test_best = evaluate(net, test_set, setup["batch"])
    return TrainingFacts(setup, trainer.history, test_best, test_last)


# A page's example setup names these; its placeholders find the facts under the same name.
EXPERIMENTS = {"depth": depth_facts, "opt": optimizer_facts, "training": training_facts}
