"""Training speed: seconds per epoch of LeNet-5 on the digits, NumPy engine next to PyTorch CPU.

    python benchmarks/bench_train.py [--samples 10000] [--rounds 3] [--batch 64]

Same network, same data, same batch size, Adam, one thread for both (set
before NumPy loads). Epochs alternate between the two engines in one process,
so load from other users hits both alike; the ratio of medians is the figure
to read (target: at most 3x). Without torch, only the NumPy figures print.
"""

from __future__ import annotations

import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from bench_forward import torch_model  # noqa: E402

from cnntui.core import Network  # noqa: E402
from cnntui.train.datasets import load_dataset  # noqa: E402
from cnntui.train.loop import Settings, evaluate, train  # noqa: E402


def numpy_epoch(net: Network, data, batch: int, seed: int) -> float:
    start = time.perf_counter()
    train(net, data, data.split(1)[1], Settings(epochs=1, batch_size=batch, seed=seed))
    return time.perf_counter() - start


def torch_epoch(model, data, batch: int, seed: int, optimizer) -> float:
    import torch

    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    order = np.random.default_rng(seed).permutation(len(data))
    loss_function = torch.nn.NLLLoss()  # the model ends in softmax, as the preset does
    start = time.perf_counter()
    for first in range(0, len(order), batch):
        index = torch.from_numpy(order[first:first + batch])
        optimizer.zero_grad()
        loss = loss_function(torch.log(model(x[index]).clamp_min(1e-30)), y[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    data = load_dataset("digits", args.samples, 0, 32)
    net = Network.load("lenet5")
    net.init_weights(0)
    try:
        import torch

        torch.set_num_threads(1)
        model = torch_model(net).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    except ImportError:
        model = None
    ours, theirs = [], []
    for round_ in range(args.rounds):
        ours.append(numpy_epoch(net, data, args.batch, round_))
        if model is not None:
            theirs.append(torch_epoch(model, data, args.batch, round_, optimizer))
    _, accuracy = evaluate(net, data)
    print(f"lenet5, {args.samples:,} digits, batch {args.batch}, Adam, 1 thread; median of {args.rounds} epochs:")
    print(f"  NumPy engine: {statistics.median(ours):6.2f} s per epoch (training accuracy after "
          f"{args.rounds} epochs {accuracy:.1%})")
    if theirs:
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"  PyTorch CPU:  {statistics.median(theirs):6.2f} s per epoch")
        print(f"  ratio {ratio:.2f}x (target <= 3x); per-round ratios "
              + ", ".join(f"{a / b:.2f}" for a, b in zip(ours, theirs)))


if __name__ == "__main__":
    main()
