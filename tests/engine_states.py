"""Engine states for the tests that compare a network with torch: numpy only."""

from __future__ import annotations

import numpy as np

from cnntui.core import Network


def random_state(net: Network, seed: int) -> dict[str, np.ndarray]:
    """Initial weights with every bias, batch-norm scale and running statistic moved off its
    start, so that each of them changes the outputs."""
    rng = np.random.default_rng(seed)
    state = net.initial_weights(seed)
    for key, value in state.items():
        kind = key.rsplit(".", 1)[-1]
        if kind == "num_batches_tracked":
            state[key] = np.array(rng.integers(0, 5), dtype=np.int64)
        elif kind in ("bias", "running_mean"):
            value[...] = rng.standard_normal(value.shape) * 0.3
        elif kind == "running_var" or (kind == "weight" and value.ndim == 1):
            value[...] = rng.uniform(0.5, 1.5, value.shape)
    return state
