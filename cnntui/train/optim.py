"""Optimisers that update weight arrays in place, with torch.optim's exact semantics.

``step(weights, grads)`` takes the network's ``weights`` dict and the gradients
``Network.backward`` returned (same keys); a key without a gradient is left alone.
Weight decay is L2 as in torch.optim.SGD/Adam: ``weight_decay * w`` is added to the
gradient before anything else (not AdamW's decoupled decay).
"""

from __future__ import annotations

import math

import numpy as np


class Optimizer:
    def __init__(self, lr: float, weight_decay: float = 0.0):
        if lr < 0 or weight_decay < 0:
            raise ValueError("lr and weight_decay must be >= 0")
        self.lr = lr
        self.weight_decay = weight_decay
        self.state: dict[str, dict] = {}

    def step(self, weights: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key, grad in grads.items():
            weight = weights[key]
            grad = np.asarray(grad, dtype=weight.dtype)
            if self.weight_decay:
                grad = grad + weight.dtype.type(self.weight_decay) * weight
            self.update(key, weight, grad, self.state.setdefault(key, {}))

    def update(self, key: str, weight: np.ndarray, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """w -= lr * g, with g = grad + weight_decay*w; with momentum, g is replaced by
    buf = momentum*buf + g (buf starts as the first g), as torch.optim.SGD does
    (dampening 0, no Nesterov)."""

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if momentum < 0:
            raise ValueError("momentum must be >= 0")
        self.momentum = momentum

    def update(self, key, weight, grad, state):
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= weight.dtype.type(self.momentum)
                buf += grad
            grad = buf
        weight -= weight.dtype.type(self.lr) * grad


class Adam(Optimizer):
    """torch.optim.Adam (amsgrad off): m and v are running means of g and g*g, and
    w -= lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)."""

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1) or eps < 0:
            raise ValueError("betas must be in [0, 1) and eps >= 0")
        self.betas = betas
        self.eps = eps

    def update(self, key, weight, grad, state):
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(weight), exp_avg_sq=np.zeros_like(weight))
        beta1, beta2 = self.betas
        state["step"] += 1
        step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        kind = weight.dtype.type
        exp_avg += (grad - exp_avg) * kind(1 - beta1)  # torch's lerp
        exp_avg_sq *= kind(beta2)
        exp_avg_sq += kind(1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1 ** step)
        denom = np.sqrt(exp_avg_sq) / kind(math.sqrt(1 - beta2 ** step)) + kind(self.eps)
        weight -= kind(step_size) * exp_avg / denom
