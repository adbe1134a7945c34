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

from .losses import cross_entropy_on_probabilities, loss_and_grad, softmax_cross_entropy
from .optim import SGD, Adam

__all__ = ["SGD", "Adam", "cross_entropy_on_probabilities", "loss_and_grad", "softmax_cross_entropy"]
