"""Training on top of the engine's backward pass: datasets drawn from a seed (``datasets``),
losses and optimisers (exported here) and the training loop (``loop``).

NumPy (and Pillow for drawing the datasets), no textual::

    from cnntui.train import SGD, loss_and_grad
    outputs = net.forward(x)
    loss, start, grad = loss_and_grad(net, outputs, labels)
    _, grads = net.backward(x, outputs, grad, from_layer=start)
    SGD(lr=0.01, momentum=0.9).step(net.weights, grads)
"""

from __future__ import annotations

import importlib

# Loaded when first used, so that cnntui.train.record (and the command line that checks its outputs
# before any work) can be imported without NumPy.
_EXPORTS = {"SGD": "optim", "Adam": "optim", "cross_entropy_on_probabilities": "losses",
            "loss_and_grad": "losses", "softmax_cross_entropy": "losses"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
