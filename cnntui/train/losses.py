"""Cross-entropy losses for classification, each returning the loss and its gradient.

Both average over the batch, as ``torch.nn.CrossEntropyLoss()`` does by default.
``logits``/``probs`` are (N, K) (or (K,) for one sample, with a scalar label) and
``labels`` the class indices (N,).

A network may end with a softmax layer or not. Without one, its last output is
the logits: use ``softmax_cross_entropy`` and backpropagate from the last layer.
With one, the loss of the probabilities, -log p[label], differentiated through
the softmax gives the simple (p - onehot) / N with respect to the softmax's
*input*; going through the softmax layer's own backward would divide by p
and lose precision where p is tiny. So ``cross_entropy_on_probabilities``
returns that gradient, and the trainer skips the softmax layer's backward and
starts one layer earlier. ``loss_and_grad`` makes that choice, so a trainer
never needs to know::

    loss, start, grad = loss_and_grad(net, outputs, labels)
    grad_x, grads = net.backward(x, outputs, grad, from_layer=start)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _batch(values: np.ndarray, labels: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    values = np.asarray(values)
    single = values.ndim == 1
    if single:
        values = values[None]
    labels = np.asarray(labels).reshape(-1)
    if values.ndim != 2 or labels.shape != (values.shape[0],):
        raise ValueError(f"cross-entropy: {values.shape} scores for {labels.shape} labels")
    if labels.dtype.kind not in "iu" or labels.min(initial=0) < 0 or labels.max(initial=0) >= values.shape[1]:
        raise ValueError(f"cross-entropy: labels must be class indices 0..{values.shape[1] - 1}")
    return values, labels, single


def _onehot_minus(probs: np.ndarray, labels: np.ndarray, single: bool) -> np.ndarray:
    """(probs - onehot(labels)) / N, in the dtype of ``probs``."""
    grad = probs.copy()
    grad[np.arange(len(labels)), labels] -= 1
    grad /= np.asarray(len(labels), dtype=grad.dtype)
    return grad[0] if single else grad


def softmax_cross_entropy(logits: np.ndarray, labels: Any) -> tuple[float, np.ndarray]:
    """(mean cross-entropy of softmax(logits), dL/dlogits), stable for any logits
    (log-sum-exp with the row maximum taken out first)."""
    logits, labels, single = _batch(logits, labels)
    if logits.dtype.kind != "f":
        logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    log_probs = shifted - np.log(total)
    loss = float(-log_probs[np.arange(len(labels)), labels].astype(np.float64).mean())
    return loss, _onehot_minus(exp / total, labels, single)


def cross_entropy_on_probabilities(probs: np.ndarray, labels: Any) -> tuple[float, np.ndarray]:
    """(mean of -log probs[label], dL/d(the softmax's input)) for probabilities that a
    softmax layer produced.

    The gradient is (probs - onehot) / N with respect to the logits the softmax was
    given, NOT with respect to ``probs``: backpropagate it from the layer before the
    softmax (see the module docstring, or use ``loss_and_grad``). A probability that
    underflowed to 0 counts as the smallest positive float, so the loss stays finite.
    """
    probs, labels, single = _batch(probs, labels)
    if probs.dtype.kind != "f":
        probs = probs.astype(np.float64)
    picked = probs[np.arange(len(labels)), labels].astype(np.float64)
    loss = float(-np.log(np.maximum(picked, np.finfo(probs.dtype).tiny)).mean())
    return loss, _onehot_minus(probs, labels, single)


def loss_and_grad(network, outputs: list[np.ndarray], labels: Any) -> tuple[float, int, np.ndarray]:
    """(loss, layer to start the backward pass from, dL/d(that layer's output)) for a
    classifier's ``outputs = network.forward(x)``.

    If the network ends with softmax, the gradient is taken at the softmax's input and
    the start is the layer before it (-1 when the softmax is the only layer: the
    gradient is then the input's own); otherwise it is the last layer. Pass both to
    ``network.backward(x, outputs, grad, from_layer=start)``.
    """
    last = len(network.layers) - 1
    if last >= 0 and network.layers[last].type == "softmax":
        loss, grad = cross_entropy_on_probabilities(outputs[last], labels)
        return loss, last - 1, grad
    loss, grad = softmax_cross_entropy(outputs[last], labels)
    return loss, last, grad
