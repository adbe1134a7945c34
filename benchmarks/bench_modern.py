"""Modern CNNs in cnntui's NumPy engine, side by side with PyTorch in one run.

    python benchmarks/bench_modern.py [--rounds 5] [--only resnet18,mobilenet_v2,minires,analysis]

Both single-threaded (set before NumPy and torch load). The torch model is built from the same
network file by tests/torch_from_spec.py and holds the same weights. The two engines are timed in
alternating rounds in one process, so load from other users of a shared machine hits both alike;
the ratio of medians is the figure to read. Targets (issue #16): ResNet-18 forward on one
3x224x224 image within 1.5x of PyTorch, MobileNetV2 within 2x, a training step of minires (batch
64: forward in training mode, cross-entropy, backward, Adam) within 2x, and the analysis of
ResNet-50 (shapes, parameters, MACs; no weights) under 5 ms. Needs torch for the ratios;
without it, only the NumPy figures print.
"""

from __future__ import annotations

import os

# One thread for NumPy's BLAS as well as for torch; must be set before numpy loads.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from cnntui.core import Network, analyze  # noqa: E402
from cnntui.train.losses import loss_and_grad  # noqa: E402
from cnntui.train.optim import Adam  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # torch_from_spec
from bench_forward import per_call_ms  # noqa: E402  (this folder is on the path when run as a script)

TRAIN_BATCH = 64  # the training loop's default batch size


def torch_twin(net: Network, drop_softmax: bool = False):
    """The same network in torch (float32) with the same weights; without its final softmax
    when ``drop_softmax`` (torch's cross_entropy takes the logits)."""
    import torch
    from torch_from_spec import load_engine_weights, torch_from_spec

    spec = net.to_dict()
    if drop_softmax and spec["layers"][-1]["type"] == "softmax":
        spec["layers"] = spec["layers"][:-1]
    return load_engine_weights(torch_from_spec(spec), net.weights, torch.float32)


def forward_case(name: str, torch, rounds: int, repeat: int) -> tuple[float, float | None]:
    net = Network.load(name)
    net.init_weights(0)
    x = np.random.default_rng(0).random(net.input_shape, dtype=np.float32)
    model = torch_twin(net).eval() if torch else None
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(per_call_ms(lambda: net.infer(x), repeat))  # the output only, as torch's forward
        if torch:
            tensor = torch.from_numpy(x[None])
            with torch.inference_mode():
                theirs.append(per_call_ms(lambda: model(tensor), repeat))
    return statistics.median(ours), statistics.median(theirs) if torch else None


def training_case(name: str, torch, rounds: int, repeat: int) -> tuple[float, float | None]:
    """One update on a batch: the engine's path (cnntui.train.loop.train_step's steps) against
    torch's usual one, both with Adam at the training loop's defaults."""
    net = Network.load(name)
    net.init_weights(0)
    rng = np.random.default_rng(0)
    x = rng.random((TRAIN_BATCH, *net.input_shape), dtype=np.float32)
    labels = rng.integers(0, net.summary().layers[-1].output_shape[0], TRAIN_BATCH)
    optimizer = Adam(1e-3)

    def ours_step():
        outputs = net.forward(x, training=True)
        _, start, grad = loss_and_grad(net, outputs, labels)
        _, grads = net.backward(x, outputs, grad, from_layer=start)
        optimizer.step(net.weights, grads)

    if torch:
        model = torch_twin(net, drop_softmax=True).train()
        torch_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        tensor, target = torch.from_numpy(x), torch.from_numpy(labels)

        def torch_step():
            torch_optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(tensor), target).backward()
            torch_optimizer.step()

    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(per_call_ms(ours_step, repeat))
        if torch:
            theirs.append(per_call_ms(torch_step, repeat))
    return statistics.median(ours), statistics.median(theirs) if torch else None


def report(label: str, ours: float, theirs: float | None, target: float) -> None:
    line = f"{label:<44} numpy {ours:9.2f} ms"
    if theirs is not None:
        ratio = ours / theirs
        verdict = "ok" if ratio <= target else f"MISSES {target:g}x"
        line += f"   torch {theirs:9.2f} ms   ratio {ratio:5.2f}x (target {target:g}x: {verdict})"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="resnet18,mobilenet_v2,minires,analysis",
                        help="comma-separated cases to run")
    args = parser.parse_args()
    cases = set(args.only.split(","))
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: NumPy figures only")

    if "resnet18" in cases:
        report("resnet18 forward, one image 3x224x224", *forward_case("resnet18", torch, args.rounds, 3), 1.5)
    if "mobilenet_v2" in cases:
        report("mobilenet_v2 forward, one image 3x224x224", *forward_case("mobilenet_v2", torch, args.rounds, 3), 2)
    if "minires" in cases:
        report(f"minires training step, batch {TRAIN_BATCH} 3x64x64",
               *training_case("minires", torch, args.rounds, 3), 2)
    if "analysis" in cases:
        spec = Network.load("resnet50").to_dict()
        ms = statistics.median(per_call_ms(lambda: analyze(spec), 50) for _ in range(args.rounds))
        verdict = "ok" if ms < 5 else "MISSES 5 ms"
        print(f"{'resnet50 analysis (no weights)':<44} {ms:9.2f} ms   (target under 5 ms: {verdict})")


if __name__ == "__main__":
    main()
