"""Forward-pass speed of cnntui's NumPy engine, side by side with PyTorch when installed.

    python benchmarks/bench_forward.py [--rounds 7] [--repeat 50]

Both run single-threaded. The two engines are timed in alternating rounds in
one process, so load from other users of a shared machine hits both alike;
the ratio of medians is the figure to read. Also times the analysis of VGG-16
(shapes and parameter counts only, no weights).
"""

from __future__ import annotations

import os

# One thread for NumPy's BLAS as well as for torch; must be set before numpy loads.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from cnntui.core import Network, analyze  # noqa: E402

CASES = [("tinyvgg", 0), ("lenet5", 256)]  # (preset, batch; 0 = one unbatched image)


def per_call_ms(function, repeat: int) -> float:
    function()  # warm caches and allocator
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat * 1e3


def torch_model(net: Network):
    """The same network as an nn.Sequential holding the same weights."""
    import torch
    from torch import nn

    modules = []
    for record in net.summary():
        spec, kind = record.spec, record.type
        if kind == "conv2d":
            module = nn.Conv2d(record.input_shape[0], spec["out_channels"], spec["kernel_size"],
                               stride=spec.get("stride", 1), padding=spec.get("padding", 0),
                               dilation=spec.get("dilation", 1), bias=spec.get("bias", True))
        elif kind == "linear":
            module = nn.Linear(record.input_shape[0], spec["out_features"], bias=spec.get("bias", True))
        elif kind == "maxpool2d":
            module = nn.MaxPool2d(spec["kernel_size"], spec.get("stride"), spec.get("padding", 0))
        elif kind == "avgpool2d":
            module = nn.AvgPool2d(spec["kernel_size"], spec.get("stride"), spec.get("padding", 0))
        elif kind == "softmax":
            module = nn.Softmax(dim=1)
        else:
            module = {"relu": nn.ReLU, "flatten": nn.Flatten, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[kind]()
        modules.append(module)
    model = nn.Sequential(*modules).eval()
    model.load_state_dict({key: torch.from_numpy(value) for key, value in net.weights.items()})
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: NumPy figures only")

    for name, batch in CASES:
        net = Network.load(name)
        net.init_weights(0)
        shape = net.input_shape if batch == 0 else (batch, *net.input_shape)
        x = np.random.default_rng(0).random(shape, dtype=np.float32)
        ours, theirs = [], []
        model = torch_model(net) if torch else None
        tensor = torch.from_numpy(x if batch else x[None]) if torch else None
        repeat = max(1, args.repeat // (8 if batch else 1))
        for _ in range(args.rounds):
            ours.append(per_call_ms(lambda: net.forward(x), repeat))
            if torch:
                with torch.inference_mode():
                    theirs.append(per_call_ms(lambda: model(tensor), repeat))
        label = f"{name}, {'one image' if batch == 0 else f'batch of {batch}'} {'x'.join(map(str, net.input_shape))}"
        line = f"{label:<34} numpy {statistics.median(ours):8.3f} ms"
        if torch:
            ratio = statistics.median(ours) / statistics.median(theirs)
            line += f"   torch {statistics.median(theirs):8.3f} ms   ratio {ratio:.2f}x"
        print(line)

    spec = Network.load("vgg16").to_dict()
    analysis = [per_call_ms(lambda: analyze(spec), 200) for _ in range(args.rounds)]
    print(f"{'vgg16 analysis (no weights)':<34} {statistics.median(analysis):8.3f} ms")


if __name__ == "__main__":
    main()
