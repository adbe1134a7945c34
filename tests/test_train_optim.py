"""Optimisers: two steps worked by hand, then parity with torch.optim over five steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnntui.train import SGD, Adam


def two_steps(optimizer, w0=1.0, grads=(0.5, -0.2)):
    weights = {"0.weight": np.array([w0])}
    seen = []
    for grad in grads:
        optimizer.step(weights, {"0.weight": np.array([grad])})
        seen.append(float(weights["0.weight"][0]))
    return seen


def test_sgd_plain():
    assert two_steps(SGD(lr=0.1)) == pytest.approx([0.95, 0.97])


def test_sgd_with_momentum_and_weight_decay():
    # step 1: g = 0.5 + 0.01*1 = 0.51, buf = 0.51, w = 1 - 0.1*0.51 = 0.949
    # step 2: g = -0.2 + 0.01*0.949 = -0.19051, buf = 0.9*0.51 - 0.19051 = 0.26849,
    #         w = 0.949 - 0.1*0.26849 = 0.922151
    assert two_steps(SGD(lr=0.1, momentum=0.9, weight_decay=0.01)) == pytest.approx([0.949, 0.922151], abs=1e-12)


def test_adam_two_steps():
    # step 1: m = 0.05, v = 0.00025; m/(1-0.9) = 0.5, sqrt(v/(1-0.999)) = 0.5
    #         w = 1 - 0.1 * 0.5/(0.5 + 1e-8)
    w1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    # step 2: m = 0.9*0.05 + 0.1*(-0.2) = 0.025, v = 0.999*0.00025 + 0.001*0.04 = 0.00028975
    #         w = w1 - 0.1/(1-0.81) * 0.025/(sqrt(0.00028975)/sqrt(1-0.998001) + 1e-8)
    w2 = w1 - 0.1 / 0.19 * 0.025 / (math.sqrt(0.00028975) / math.sqrt(0.001999) + 1e-8)
    assert two_steps(Adam(lr=0.1)) == pytest.approx([w1, w2], abs=1e-12)
    assert w2 == pytest.approx(0.86544, abs=1e-5)  # 0.9 - 0.5263*0.025/0.3807


def test_adam_weight_decay_is_l2_added_to_the_gradient():
    # step 1 with g = 0.5 + 0.1*1 = 0.6: Adam's first step moves by lr whatever the size of g
    w1 = 1 - 0.1 * 0.6 / (0.6 + 1e-8)
    g2 = -0.2 + 0.1 * w1
    m = 0.9 * 0.06 + 0.1 * g2
    v = 0.999 * 0.00036 + 0.001 * g2 * g2
    w2 = w1 - 0.1 / 0.19 * m / (math.sqrt(v) / math.sqrt(0.001999) + 1e-8)
    assert two_steps(Adam(lr=0.1, weight_decay=0.1)) == pytest.approx([w1, w2], abs=1e-12)


def test_step_updates_in_place_and_leaves_keys_without_grads_alone():
    weights = {"0.weight": np.ones((2, 2), dtype=np.float32), "0.bias": np.zeros(2, dtype=np.float32)}
    weight = weights["0.weight"]
    SGD(lr=0.5).step(weights, {"0.weight": np.ones((2, 2), dtype=np.float32)})
    assert weights["0.weight"] is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(weight, 0.5)
    np.testing.assert_array_equal(weights["0.bias"], 0)


def test_bad_settings_raise():
    with pytest.raises(ValueError):
        SGD(lr=-1)
    with pytest.raises(ValueError):
        Adam(lr=0.1, betas=(1.0, 0.999))


@pytest.mark.parametrize("make, make_torch", [
    (lambda: SGD(lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    (lambda: SGD(lr=0.05, momentum=0.9, weight_decay=0.01),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
    (lambda: Adam(lr=0.01), lambda t, p: t.optim.Adam(p, lr=0.01)),
    (lambda: Adam(lr=0.03, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
     lambda t, p: t.optim.Adam(p, lr=0.03, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
])
def test_five_steps_match_torch_optim(make, make_torch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    weights = {"0.weight": rng.standard_normal((3, 2, 2, 2)).astype(np.float32),
               "0.bias": rng.standard_normal(3).astype(np.float32)}
    params = {key: torch.tensor(value.copy(), requires_grad=True) for key, value in weights.items()}
    ours, theirs = make(), make_torch(torch, list(params.values()))
    for _ in range(5):
        grads = {key: rng.standard_normal(value.shape).astype(np.float32) for key, value in weights.items()}
        ours.step(weights, grads)
        for key, param in params.items():
            param.grad = torch.from_numpy(grads[key])
        theirs.step()
        for key, param in params.items():
            np.testing.assert_allclose(weights[key], param.detach().numpy(), rtol=1e-6, atol=1e-6, err_msg=key)
