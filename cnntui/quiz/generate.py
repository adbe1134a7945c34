"""Computed questions: sensible random networks from a seed, with the answers taken from the engine.

Each generator draws a configuration for a difficulty (1 easy to 3 hard),
builds the network, and reads the answer off the engine's analysis or
forward pass. The words come from content/quiz/computed.json, filled with
the numbers. The same (generator, difficulty, seed) always gives the same
question, so a worksheet or a review can be made again from its id.
"""

from __future__ import annotations

import random
from typing import Any

from ..core.shapes import shape_text
from .generate_modern import MODERN_GENERATORS
from .made import Generator, Made
from .questions import LANGUAGES, Question, computed_texts


def _summary(spec: dict):
    from ..core import check

    return check(spec)


YES = {"en": "yes", "zh": "有"}
NO = {"en": "no", "zh": "无"}
# One layer's step in a receptive-field solution, and how steps are joined.
RF_STEP = {"en": "RF = {rf} + ({span}-1)*{jump} = {rf_after}, jump = {jump}*{stride} = {jump_after}",
           "zh": "感受野 = {rf} + ({span}-1)*{jump} = {rf_after}，跳距 = {jump}*{stride} = {jump_after}"}
STEP_JOIN = {"en": "; ", "zh": "；"}


def _conv(out_channels: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
          bias: bool = True) -> dict:
    layer = {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel}
    for name, value, default in (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1),
                                 ("bias", bias, True)):
        if value != default:
            layer[name] = value
    return layer


# -- building blocks -------------------------------------------------------------------

def neuron_output(rng: random.Random, difficulty: int) -> Made:
    import numpy as np

    from ..core import Network

    count = difficulty + 1
    xs = [rng.randint(-3, 3) for _ in range(count)]
    ws = [rng.choice([-2, -1, 1, 2, 3]) for _ in range(count)]
    bias = rng.randint(-3, 3)
    spec = {"input": [count, 1, 1], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 1},
                                               {"type": "relu"}]}
    net = Network.from_dict(spec)
    net.set_weights({"1.weight": np.array([ws], dtype=np.float32), "1.bias": np.array([bias], dtype=np.float32)})
    outputs = net.forward(np.array(xs, dtype=np.float32).reshape(count, 1, 1))
    z, y = round(float(outputs[1][0])), round(float(outputs[2][0]))
    terms = " + ".join(f"({w})*({x})" for w, x in zip(ws, xs))
    return Made({"xs": xs, "ws": ws, "b": bias, "terms": terms, "z": z, "y": y}, y, spec, 2, "output_value",
                {"weights": {"1.weight": [ws], "1.bias": [bias]}, "input": [[[x]] for x in xs]})


def linear_params(rng: random.Random, difficulty: int) -> Made:
    inputs = rng.choice([[4, 8, 10, 16], [64, 120, 128, 256, 400], [784, 1024, 1690, 4096]][difficulty - 1])
    outputs = rng.choice([[2, 3, 4, 10], [10, 32, 84, 120], [10, 84, 128, 512]][difficulty - 1])
    bias = difficulty < 3 or rng.random() < 0.5
    layer = {"type": "linear", "out_features": outputs, **({} if bias else {"bias": False})}
    spec = {"input": [inputs, 1, 1], "layers": [{"type": "flatten"}, layer]}
    params = _summary(spec)[1].params
    formula = f"({inputs} + 1) * {outputs}" if bias else f"{inputs} * {outputs}"
    return Made({"n_in": inputs, "n_out": outputs, "bias": YES if bias else NO, "formula": formula,
                 "params": params}, params, spec, 1, "params")


def hidden_layers(rng: random.Random, difficulty: int) -> Made:
    widths = [rng.choice([16, 32, 64, 128, 256]) for _ in range(difficulty + 1)]
    classes = rng.choice([2, 3, 10])
    layers: list[dict] = [{"type": "flatten"}]
    for width in widths:
        layers += [{"type": "linear", "out_features": width}, {"type": "relu"}]
    layers.append({"type": "linear", "out_features": classes})
    spec = {"input": [1, 28, 28], "layers": layers}
    summary = _summary(spec)
    linear = [r for r in summary if r.type == "linear"]
    hidden = len(linear) - 1
    text = " -> ".join(["flatten 784", *[f"linear {w} + relu" for w in widths], f"linear {classes}"])
    return Made({"layers": text, "hidden": hidden, "classes": classes, "widths": ", ".join(map(str, widths))},
                hidden, spec, None, "hidden_layers")


# -- structure -------------------------------------------------------------------------

def conv_params(rng: random.Random, difficulty: int) -> Made:
    c_in = rng.choice([[1, 3], [3, 8, 16], [16, 32, 64]][difficulty - 1])
    c_out = rng.choice([[4, 6, 8], [16, 32], [32, 64, 128]][difficulty - 1])
    kernel = rng.choice([[3], [3, 5], [1, 3, 5, 7]][difficulty - 1])
    bias = difficulty < 3 or rng.random() < 0.5
    spec = {"input": [c_in, 32, 32], "layers": [_conv(c_out, kernel, padding=kernel // 2, bias=bias)]}
    params = _summary(spec)[0].params
    formula = f"({kernel}*{kernel}*{c_in} + 1) * {c_out}" if bias else f"{kernel}*{kernel}*{c_in} * {c_out}"
    return Made({"c_in": c_in, "c_out": c_out, "k": kernel, "bias": YES if bias else NO, "formula": formula,
                 "params": params}, params, spec, 0, "params")


def feature_map_shape(rng: random.Random, difficulty: int) -> Made:
    size = rng.choice([28, 32, 64])
    c_in = rng.choice([1, 3])
    c_out = rng.choice([4, 6, 8, 16])
    kernel, stride, padding = _window(rng, difficulty)
    spec = {"input": [c_in, size, size], "layers": [_conv(c_out, kernel, stride, padding)]}
    record = _summary(spec)[0]
    return Made({"input": shape_text(spec["input"]), "c_out": c_out, "k": kernel, "s": stride, "p": padding,
                 "formula": record.derivation[0].split(" = ", 1)[1], "shape": shape_text(record.output_shape)},
                list(record.output_shape), spec, 0, "output_shape")


def _window(rng: random.Random, difficulty: int) -> tuple[int, int, int]:
    if difficulty == 1:
        return rng.choice([3, 5]), 1, 0
    if difficulty == 2:
        kernel = rng.choice([3, 5])
        return kernel, 1, rng.choice([0, kernel // 2])
    kernel = rng.choice([3, 5, 7])
    return kernel, 2, rng.choice([0, 1, kernel // 2])


def pool_value(rng: random.Random, difficulty: int) -> Made:
    import numpy as np

    from ..core import Network

    kind = "maxpool2d" if difficulty == 1 else rng.choice(["avgpool2d", "maxpool2d"]) if difficulty == 2 \
        else "avgpool2d"
    grid = [[rng.randint(0, 9) for _ in range(4)] for _ in range(4)]
    row, col = rng.randint(0, 1), rng.randint(0, 1)
    spec = {"input": [1, 4, 4], "layers": [{"type": kind, "kernel_size": 2}]}
    net = Network.from_dict(spec)
    value = float(net.forward(np.array([grid], dtype=np.float32))[0][0, row, col])
    window = [grid[2 * row + i][2 * col + j] for i in range(2) for j in range(2)]
    answer = int(value) if value.is_integer() else round(value, 2)
    concept = "max-pooling" if kind == "maxpool2d" else "average-pooling"
    return Made({"grid": "\n".join("  " + " ".join(str(v) for v in line) for line in grid), "row": row, "col": col,
                 "kind": kind, "window": ", ".join(map(str, window)), "value": answer,
                 "how": {"en": "max", "zh": "最大值"} if kind == "maxpool2d" else {"en": "mean", "zh": "平均值"}},
                answer, spec, 0, "output_value", {"input": [grid], "position": [0, row, col]}, concept)


def pool_output_size(rng: random.Random, difficulty: int) -> Made:
    size = rng.choice([[28, 32, 64], [13, 27, 30], [7, 13, 15, 27]][difficulty - 1])
    kind = rng.choice(["maxpool2d", "avgpool2d"])
    layer: dict[str, Any] = {"type": kind, "kernel_size": 2}
    if difficulty >= 2:
        layer["kernel_size"] = rng.choice([2, 3])
        layer["stride"] = 2
    if difficulty == 3:
        layer["ceil_mode"] = True
        layer["padding"] = rng.choice([0, 1])
    spec = {"input": [8, size, size], "layers": [layer]}
    record = _summary(spec)[0]
    return Made({"size": size, "kind": kind, "k": layer["kernel_size"], "s": layer.get("stride", layer["kernel_size"]),
                 "p": layer.get("padding", 0), "ceil": {"en": "on", "zh": "开"} if layer.get("ceil_mode")
                 else {"en": "off", "zh": "关"},
                 "formula": record.derivation[0], "out": shape_text(record.output_shape[1:])},
                list(record.output_shape[1:]), spec, 0, "output_size",
                concept="pooling-padding-options" if layer.get("ceil_mode")
                else "max-pooling" if kind == "maxpool2d" else "average-pooling")


def gap_head(rng: random.Random, difficulty: int) -> Made:
    """The classifier head's parameters: after global average pooling (1, 2), or after flatten (3)."""
    channels = rng.choice([[8, 16], [32, 64, 128], [16, 32, 64]][difficulty - 1])
    size, classes = rng.choice([4, 5, 7, 8]), rng.choice([[2, 10], [10, 100], [10, 100]][difficulty - 1])
    pooled = difficulty < 3
    head = {"type": "global_avg_pool"} if pooled else {"type": "flatten"}
    spec = {"input": [channels, size, size], "layers": [head, {"type": "linear", "out_features": classes}]}
    params = _summary(spec)[1].params
    flat = channels * size * size
    words = ({"en": "global average pooling", "zh": "全局平均池化"} if pooled else {"en": "flatten", "zh": "展平"})
    return Made({"c": channels, "h": size, "classes": classes, "flat": flat, "head": words,
                 "inputs": channels if pooled else flat, "params": params,
                 "gap_params": f"{(channels + 1) * classes:,}", "flat_params": f"{(flat + 1) * classes:,}"},
                params, spec, 1, "params")


# -- the numbers -----------------------------------------------------------------------------

def conv_output_size(rng: random.Random, difficulty: int) -> Made:
    while True:
        size = rng.choice([[28, 32], [28, 32, 64, 100], [31, 64, 224, 227]][difficulty - 1])
        kernel, stride, padding = _window(rng, difficulty)
        dilation = 2 if difficulty == 3 and rng.random() < 0.5 else 1
        spec = {"input": [3, size, size], "layers": [_conv(8, kernel, stride, padding, dilation)]}
        summary = _summary_or_none(spec)
        if summary is not None:
            break
    record = summary[0]
    return Made({"size": size, "k": kernel, "s": stride, "p": padding, "d": dilation,
                 "formula": record.derivation[0], "out": shape_text(record.output_shape[1:])},
                list(record.output_shape[1:]), spec, 0, "output_size")


def _summary_or_none(spec: dict):
    from ..core import SpecError

    try:
        return _summary(spec)
    except SpecError:
        return None


def same_padding(rng: random.Random, difficulty: int) -> Made:
    kernel = rng.choice([[3, 5], [3, 5, 7], [3, 5, 7, 9]][difficulty - 1])
    dilation = rng.choice([1, 2, 3]) if difficulty == 3 else 1
    padding = dilation * (kernel - 1) // 2
    size = rng.choice([28, 32, 64])
    spec = {"input": [3, size, size], "layers": [_conv(16, kernel, 1, padding, dilation)]}
    record = _summary(spec)[0]
    assert record.output_shape[1:] == (size, size)  # the engine agrees the size is kept
    return Made({"k": kernel, "d": dilation, "size": size, "p": padding, "formula": record.derivation[0]},
                padding, spec, 0, "padding")


def conv_macs(rng: random.Random, difficulty: int) -> Made:
    c_in, c_out = rng.choice([1, 3, 8]), rng.choice([4, 8, 16])
    size, kernel = rng.choice([[8, 10], [14, 28], [28, 32, 56]][difficulty - 1]), rng.choice([3, 5])
    padding = kernel // 2 if difficulty > 1 else 0
    spec = {"input": [c_in, size, size], "layers": [_conv(c_out, kernel, padding=padding)]}
    record = _summary(spec)[0]
    c, h, w = record.output_shape
    return Made({"input": shape_text(spec["input"]), "c_out": c_out, "k": kernel, "p": padding,
                 "out": shape_text(record.output_shape), "formula": f"{c}*{h}*{w}*{c_in}*{kernel}*{kernel}",
                 "macs": record.macs}, record.macs, spec, 0, "macs")


def receptive_field(rng: random.Random, difficulty: int) -> Made:
    layers: list[dict] = []
    for _ in range(difficulty + 1):
        layers.append(_conv(8, rng.choice([3, 5]), padding=1))
        if difficulty == 3 and rng.random() < 0.6:
            layers.append({"type": "maxpool2d", "kernel_size": 2})
    spec = {"input": [1, 64, 64], "layers": layers}
    summary = _summary(spec)
    last = summary[len(layers) - 1]
    steps = {lang: STEP_JOIN[lang].join(_rf_step(lang, record) for record in summary) for lang in LANGUAGES}
    text = " -> ".join(f"conv k{layer['kernel_size']}" if layer["type"] == "conv2d" else "maxpool 2"
                       for layer in layers)
    return Made({"layers": text, "rf": last.receptive_field[0], "steps": steps}, last.receptive_field[0],
                spec, len(layers) - 1, "receptive_field")


def _rf_step(lang: str, record) -> str:
    """How one (square) layer widens the receptive field: the engine's numbers in ``lang``'s words."""
    rf, jump = record.reach_before.size[0], record.reach_before.jump[0]
    rf_after, jump_after = record.receptive_field[0], record.jump[0]
    return RF_STEP[lang].format(rf=rf, span=(rf_after - rf) // jump + 1, jump=jump, rf_after=rf_after,
                                stride=jump_after // jump, jump_after=jump_after)


def small_cnn(rng: random.Random, difficulty: int) -> dict:
    c1, c2 = rng.choice([4, 6, 8]), rng.choice([8, 16])
    size = rng.choice([28, 32])
    layers: list[dict] = [_conv(c1, rng.choice([3, 5])), {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}]
    if difficulty > 1:
        layers += [_conv(c2, 3), {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}]
    layers += [{"type": "flatten"}, {"type": "linear", "out_features": rng.choice([10, 32, 64])}]
    if difficulty == 3:
        layers += [{"type": "relu"}, {"type": "linear", "out_features": 10}]
    return {"input": [1, size, size], "layers": layers}


def network_params(rng: random.Random, difficulty: int) -> Made:
    spec = small_cnn(rng, difficulty)
    summary = _summary(spec)
    parts = [f"{r.type}:{r.index} {r.params:,}" for r in summary if r.params]
    return Made({"layers": _describe(spec), "parts": ", ".join(parts), "total": summary.total_params},
                summary.total_params, spec, None, "total_params")


def most_params_layer(rng: random.Random, difficulty: int) -> Made:
    while True:
        spec = params_cnn(rng, difficulty)
        summary = _summary(spec)
        counts = sorted((r.params for r in summary), reverse=True)
        if counts[0] != counts[1]:  # a tie for the most would give the question two right answers
            break
    best = max(summary, key=lambda r: r.params)
    parts = [f"{r.type}:{r.index} {r.params:,}" for r in summary if r.params]
    concept = "fully-connected-layer" if best.type == "linear" else "convolutional-layer"
    return Made({"layers": _describe(spec), "parts": ", ".join(parts), "index": best.index, "type": best.type,
                 "share": _share(best.params, summary.total_params)}, best.index, spec, None, "most_params_layer",
                concept=concept)


# How often params_cnn ends in global average pooling (else flatten), per difficulty: chosen so that a
# convolution holds the most parameters in about half the networks (see tests/test_quiz_cues.py).
GAP_HEAD_SHARE = (0.55, 0.25, 0.45)


def params_cnn(rng: random.Random, difficulty: int) -> dict:
    """A small CNN where the heaviest layer may be a convolution (a wide one, or any before a small
    global-average-pooling head) as well as a fully connected layer (a big flatten head)."""
    channels, size = rng.choice([1, 3]), rng.choice([28, 32])
    widths = [rng.choice([4, 8, 16, 32])] + ([rng.choice([16, 32, 64, 128])] if difficulty > 1 else [])
    layers: list[dict] = []
    for width in widths:
        layers += [_conv(width, rng.choice([3, 5])), {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}]
    layers.append({"type": "global_avg_pool" if rng.random() < GAP_HEAD_SHARE[difficulty - 1] else "flatten"})
    if difficulty == 3:
        layers += [{"type": "linear", "out_features": rng.choice([16, 32, 64])}, {"type": "relu"}]
    layers.append({"type": "linear", "out_features": 10})
    return {"input": [channels, size, size], "layers": layers}


def _share(part: int, total: int) -> str:
    """``part`` as a percentage of ``total``, rounded down: never "100%" for less than all."""
    tenths = part * 1000 // total
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}%"


def _describe(spec: dict) -> str:
    from ..core.textform import format_text

    return format_text(spec)


def fc_equivalent(rng: random.Random, difficulty: int) -> Made:
    size = rng.choice([[6, 8], [14, 28], [28, 32]][difficulty - 1])
    c_in, c_out, kernel = rng.choice([1, 3]), rng.choice([1, 4, 8]), 3
    spec = {"input": [c_in, size, size], "layers": [_conv(c_out, kernel, padding=1)]}
    record = _summary(spec)[0]
    inputs, outputs = c_in * size * size, c_out * size * size
    return Made({"input": shape_text(spec["input"]), "c_out": c_out, "out": shape_text(record.output_shape),
                 "n_in": inputs, "n_out": outputs, "fc": record.fc_equivalent_params, "conv": record.params},
                record.fc_equivalent_params, spec, 0, "fc_equivalent_params")


def valid_config(rng: random.Random, difficulty: int) -> Made:
    from ..content import message_text

    size = rng.choice([[5, 6, 7], [5, 7, 9], [4, 6, 8]][difficulty - 1])
    kernel = rng.choice([3, 5, 7, 9])
    padding = rng.choice([0, 1, 2])
    dilation = 2 if difficulty == 3 else 1
    spec = {"input": [1, size, size], "layers": [_conv(4, kernel, padding=padding, dilation=dilation)]}
    summary = _summary_or_none(spec)
    valid = summary is not None
    if valid:
        reason = {lang: summary[0].derivation[0] for lang in LANGUAGES}
    else:
        from ..core import analyze

        problem = analyze(spec).problems[0]
        reason = {lang: message_text(lang, problem.message) for lang in LANGUAGES}
    verdict = {"en": "yes, it works", "zh": "可以"} if valid else {"en": "no, it does not", "zh": "不行"}
    return Made({"size": size, "k": kernel, "p": padding, "d": dilation, "reason": reason, "verdict": verdict},
                valid, spec, 0, "valid")


# -- how a network learns --------------------------------------------------------------

def multi_channel_value(rng: random.Random, difficulty: int) -> Made:
    """One output of a 2x2 filter over 2 or 3 channels: a sum per channel, their total, the bias."""
    import numpy as np

    from ..core import Network

    channels = 2 if difficulty == 1 else 3
    values = [0, 1, 2, 3] if difficulty < 3 else [-2, -1, 0, 1, 2, 3]
    grid = [[[rng.choice(values) for _ in range(3)] for _ in range(3)] for _ in range(channels)]
    kernel = [[[rng.choice([-1, 0, 1, 2]) for _ in range(2)] for _ in range(2)] for _ in range(channels)]
    bias = rng.randint(-3, 3)
    row, col = rng.randint(0, 1), rng.randint(0, 1)
    spec = {"input": [channels, 3, 3], "layers": [_conv(1, 2)]}
    weights = {"0.weight": [kernel], "0.bias": [bias]}
    net = Network.from_dict(spec)
    net.set_weights({key: np.array(value, dtype=np.float32) for key, value in weights.items()})
    x = np.array(grid, dtype=np.float32)
    value = round(float(net.forward(x)[0][0, row, col]))
    step = net.layers[0].step(x, {"weight": net.weights["0.weight"], "bias": net.weights["0.bias"]}, 0, row, col)
    sums = [round(float(s)) for s in step.channel_sums]

    def rows(matrix) -> str:
        return " / ".join(" ".join(map(str, line)) for line in matrix)

    lines = {"en": "\n".join(f"  channel {c}: {rows(grid[c])}; kernel slice {rows(kernel[c])}"
                             for c in range(channels)),
             "zh": "\n".join(f"  通道 {c}：{rows(grid[c])}；卷积核切片 {rows(kernel[c])}" for c in range(channels))}
    return Made({"c": channels, "b": bias, "row": row, "col": col, "channels": lines,
                 "sums": {"en": ", ".join(map(str, sums)), "zh": "、".join(map(str, sums))}, "total": sum(sums)},
                value, spec, 0, "output_value", {"weights": weights, "input": grid, "position": [0, row, col]})


MIN_GRADIENT = 0.05


def logit_gradient(rng: random.Random, difficulty: int) -> Made:
    """One entry of dL/dz = (p - y) / N for softmax and cross-entropy, p from the engine's softmax."""
    import numpy as np

    from ..core import Network

    classes = 2 + difficulty
    spec = {"input": [1, 1, classes], "layers": [{"type": "flatten"}, {"type": "softmax"}]}
    net = Network.from_dict(spec)
    net.init_weights(0)
    while True:
        logits = [rng.randint(-2, 3) for _ in range(classes)]
        label = rng.randrange(classes)
        asked = label if difficulty == 1 else rng.choice([k for k in range(classes) if k != label]) \
            if difficulty == 2 else rng.randrange(classes)
        batch = 1 if difficulty < 3 else rng.choice([2, 4])
        shown = [round(float(p), 2) for p in net.forward(np.array([[logits]], dtype=np.float32))[1]]
        right = 1 if asked == label else 0
        answer = round((shown[asked] - right) / batch, 4)
        # Far enough from 0 that answering "0" is wrong within the grading tolerance of 0.01.
        if abs(answer) >= MIN_GRADIENT:
            break
    work = f"{shown[asked]:.2f} - {right}" if batch == 1 else f"({shown[asked]:.2f} - {right}) / {batch}"
    over = ({"en": "for one example", "zh": "只看一个样本"} if batch == 1 else
            {"en": f"averaged over a batch of {batch} examples", "zh": f"在 {batch} 个样本的批次上取平均"})
    return Made({"logits": ", ".join(map(str, logits)), "probs": ", ".join(f"{p:.2f}" for p in shown),
                 "label": label, "k": asked, "over": over, "work": work},
                answer, spec, 1, "logit_gradient",
                {"logits": logits, "probabilities": shown, "label": label, "class": asked, "batch": batch})


GENERATORS: dict[str, Generator] = {
    "neuron_output": Generator("neuron", "neuron", "integer", neuron_output),
    "linear_params": Generator("parameter", "parameter", "integer", linear_params),
    "hidden_layers": Generator("hidden-layer", "hidden-layer", "integer", hidden_layers),
    "conv_params": Generator("kernel", "kernel", "integer", conv_params),
    "feature_map_shape": Generator("feature-map", "feature-map", "shape", feature_map_shape),
    "pool_value": Generator("pooling", "max-pooling", "number", pool_value),
    "pool_output_size": Generator("pooling", "average-pooling", "size", pool_output_size),
    "gap_head": Generator("gap", "global-average-pooling", "integer", gap_head),
    "conv_output_size": Generator("output-size", "stride", "size", conv_output_size),
    "same_padding": Generator("padding", "padding", "integer", same_padding),
    "conv_macs": Generator("macs", "convolutional-layer", "integer", conv_macs),
    "receptive_field": Generator("receptive-field", "receptive-field", "integer", receptive_field),
    "network_params": Generator("parameter", "parameter", "integer", network_params),
    "most_params_layer": Generator("fully-connected", "fully-connected-layer", "integer", most_params_layer),
    "fc_equivalent": Generator("conv-vs-fc", "weight-sharing", "integer", fc_equivalent),
    "valid_config": Generator("output-size", "padding", "bool", valid_config),
    "multi_channel_value": Generator("multi-channel", "multi-channel-convolution", "integer",
                                     multi_channel_value),
    "logit_gradient": Generator("loss", "loss", "number", logit_gradient),
    **MODERN_GENERATORS,
}


def generate(name: str, difficulty: int, seed: int) -> Question:
    """The question generator ``name`` makes at ``difficulty`` from ``seed``; always the same one."""
    generator = GENERATORS[name]
    if difficulty not in (1, 2, 3):
        raise KeyError(f"difficulty {difficulty}")
    made = generator.make(random.Random(f"{name}:{difficulty}:{seed}"), difficulty)
    texts = computed_texts()[name]
    answer = made.options[made.answer]["text"] if made.options else _answer_text(made.answer, generator.form)
    values = {**made.values, "answer": answer}
    filled = {part: {lang: texts[part][lang].format(**_in_language(values, lang)) for lang in LANGUAGES}
              for part in ("prompt", "explanation", "hint")}
    return Question(f"{name}:{difficulty}:{seed}", generator.topic, "computed", generator.form, filled["prompt"],
                    made.answer, filled["explanation"], made.concept or generator.concept, difficulty, filled["hint"],
                    options=made.options or [], network=made.network, layer=made.layer, quantity=made.quantity,
                    given=made.given)


def _in_language(values: dict[str, Any], lang: str) -> dict[str, Any]:
    """Values that are words ({"en": ..., "zh": ...}) in one language; numbers as they are."""
    return {key: value[lang] if isinstance(value, dict) and set(value) == set(LANGUAGES) else value
            for key, value in values.items()}


def _answer_text(answer: Any, form: str) -> str:
    if form in ("size", "shape"):
        return shape_text(answer)
    if form == "bool":
        return "yes" if answer else "no"
    if isinstance(answer, int):
        return f"{answer:,}"
    return str(answer)
