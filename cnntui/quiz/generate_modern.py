"""Computed questions of the "Modern CNNs" lesson: batch norm, grouped and depthwise convolutions, the
depthwise-separable pair, residual shortcuts and concatenation.

Each is multiple choice: the right option is the engine's number (or, for a
shortcut, the one candidate the engine accepts), and every other option is
the number a named mistake gives (forgetting the bias or the groups, counting
the running statistics as parameters, ...), with that mistake as its "why".
The words are in content/quiz/computed.json (prompt, explanation, hint) and
computed-modern.json (the mistakes, and what changes with the difficulty).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import cache
from typing import Any

from ..core.shapes import shape_text
from .made import Generator, Made
from .questions import QUIZ_CONTENT

Text = dict[str, str]


@cache
def modern_texts() -> dict:
    return json.loads((QUIZ_CONTENT / "computed-modern.json").read_text(encoding="utf-8"))


def _summary(spec: dict):
    from ..core import check

    return check(spec)


def _conv(out_channels: int, kernel: int, stride: int = 1, padding: int = 0, groups: int = 1,
          bias: bool = True) -> dict:
    layer: dict[str, Any] = {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel}
    for name, value, default in (("stride", stride, 1), ("padding", padding, 0), ("groups", groups, 1),
                                 ("bias", bias, True)):
        if value != default:
            layer[name] = value
    return layer


def _choices(rng: random.Random, right: Any, mistakes: list[tuple[Any, str]],
             shown: Callable[[Any], str] = lambda value: f"{value:,}") -> tuple[list[dict], int]:
    """The right value and the first three distinct mistakes (value, key in "mistakes") as options, in an
    order drawn from ``rng``; with the right one's place. A mistake that lands on the right value is none."""
    texts = modern_texts()
    options = [{"text": {"en": shown(right), "zh": shown(right)}, "why": texts["right"]}]
    seen = {shown(right)}
    for value, mistake in mistakes:
        if shown(value) not in seen and len(options) < 4:
            seen.add(shown(value))
            options.append({"text": {"en": shown(value), "zh": shown(value)}, "why": texts["mistakes"][mistake]})
    return _shuffled(rng, options)


def _shuffled(rng: random.Random, options: list[dict]) -> tuple[list[dict], int]:
    """``options`` (the right one first) in an order drawn from ``rng``, and where the right one went."""
    order = list(range(len(options)))
    rng.shuffle(order)
    return [options[i] for i in order], order.index(0)


def _level_words(name: str, difficulty: int, numbers: dict[str, Any]) -> dict[str, Text]:
    """The question ("ask") and the working ("work"), which a generator words differently at each
    difficulty, filled with ``numbers``."""
    words = modern_texts()["levels"][name][str(difficulty)]
    return {part: {lang: text.format(**numbers) for lang, text in words[part].items()} for part in ("ask", "work")}


def _bias_word(bias: bool) -> Text:
    return modern_texts()["bias"]["yes" if bias else "no"]


def _describe(spec: dict) -> str:
    from ..core.textform import format_text

    return format_text(spec)


# -- batch norm -------------------------------------------------------------------------------

def batchnorm_counts(rng: random.Random, difficulty: int) -> Made:
    """A conv without bias, then batch norm. 1: batch norm's learned parameters (2C); 2: the numbers it
    keeps but does not learn (2C running statistics and a counter); 3: the two layers' parameters."""
    channels = rng.choice([[16, 32, 64], [64, 128, 256], [32, 64, 128]][difficulty - 1])
    c_in, kernel, size = rng.choice([3, 16, 32]), rng.choice([1, 3]), rng.choice([8, 16, 32])
    spec = {"input": [c_in, size, size],
            "layers": [_conv(channels, kernel, padding=kernel // 2, bias=False), {"type": "batchnorm2d"}]}
    summary = _summary(spec)
    conv, norm = summary[0], summary[1]
    if difficulty == 1:
        right, quantity, layer = norm.params, "params", 1
        mistakes = [(channels, "scale_only"), (4 * channels, "running_as_params"), (0, "learns_nothing")]
    elif difficulty == 2:
        right, quantity, layer = norm.buffers, "buffers", 1
        mistakes = [(2 * channels, "no_counter"), (norm.buffers + norm.params, "params_as_buffers"),
                    (channels + 1, "one_statistic")]
    else:
        right, quantity, layer = summary.total_params, "total_params", None
        mistakes = [(right + channels, "conv_bias"), (right + 2 * channels, "running_as_params"),
                    (conv.params, "conv_only")]
    options, answer = _choices(rng, right, mistakes)
    numbers = {"c": channels, "conv": f"{conv.params:,}", "bn": norm.params, "answer": f"{right:,}",
               "formula": f"{kernel}*{kernel}*{c_in}*{channels}"}
    return Made({"c": channels, "c_in": c_in, "k": kernel, **_level_words("batchnorm_counts", difficulty, numbers)},
                answer, spec, layer, quantity, options=options)


# -- grouped and depthwise convolutions ----------------------------------------------------------

def grouped_conv_params(rng: random.Random, difficulty: int) -> Made:
    groups = rng.choice([[2], [2, 4], [4, 8, 16]][difficulty - 1])
    c_in = groups * rng.choice([[4, 8, 16], [4, 8, 16], [2, 4, 8]][difficulty - 1])
    c_out = groups * rng.choice([4, 8, 16])
    kernel = rng.choice([[3], [3, 5], [1, 3, 5]][difficulty - 1])
    bias = difficulty < 3 or rng.random() < 0.5
    spec = {"input": [c_in, 16, 16],
            "layers": [_conv(c_out, kernel, padding=kernel // 2, groups=groups, bias=bias)]}
    right = _summary(spec)[0].params
    plain = _summary({**spec, "layers": [_conv(c_out, kernel, padding=kernel // 2, groups=1, bias=bias)]})[0].params
    weights, biases = c_out * (c_in // groups) * kernel * kernel, c_out if bias else 0
    one_group = (c_out // groups) * (c_in // groups) * kernel * kernel + biases // groups
    mistakes = [(plain, "no_groups"), (weights, "no_bias") if bias else (weights + c_out, "added_bias"),
                (one_group, "one_group")]
    options, answer = _choices(rng, right, mistakes)
    formula = f"{c_out}*({c_in}/{groups})*{kernel}*{kernel}" + (f" + {c_out}" if bias else "")
    return Made({"c_in": c_in, "c_out": c_out, "g": groups, "k": kernel, "bias": _bias_word(bias),
                 "formula": formula, "plain": f"{plain:,}"}, answer, spec, 0, "params", options=options)


def depthwise_cost(rng: random.Random, difficulty: int) -> Made:
    """1: a depthwise conv's parameters; 2: its MACs at stride 1; 3: its MACs at stride 2."""
    channels = rng.choice([[8, 16, 32], [16, 32, 64], [32, 64, 96]][difficulty - 1])
    kernel = 3 if difficulty < 3 else rng.choice([3, 5])
    stride = 2 if difficulty == 3 else 1
    size = rng.choice([[8, 16], [14, 28], [28, 56]][difficulty - 1])
    bias = difficulty == 1 and rng.random() < 0.5
    spec = {"input": [channels, size, size],
            "layers": [_conv(channels, kernel, stride, kernel // 2, groups=channels, bias=bias)]}
    record = _summary(spec)[0]
    _, out_h, out_w = record.output_shape
    window = kernel * kernel
    if difficulty == 1:
        right, quantity = record.params, "params"
        biases = channels if bias else 0
        mistakes = [(channels * channels * window + biases, "plain_conv"),
                    (window * channels, "no_bias") if bias else (window * channels + channels, "added_bias"),
                    (window + (1 if bias else 0), "one_filter")]
        formula = f"{channels}*{kernel}*{kernel}" + (f" + {channels}" if bias else "")
    else:
        right, quantity = record.macs, "macs"
        mistakes = [(channels * right, "plain_conv"),
                    *([(channels * window * size * size, "input_size")] if stride > 1 else []),
                    (channels * window, "no_positions"), (window * out_h * out_w, "no_channels")]
        formula = f"{channels}*{kernel}*{kernel}*{out_h}*{out_w}"
    options, answer = _choices(rng, right, mistakes)
    numbers = {"c": channels, "k": kernel, "s": stride, "out": shape_text(record.output_shape), "formula": formula,
               "answer": f"{right:,}"}
    return Made({"c": channels, "k": kernel, "s": stride, "p": kernel // 2, "input": shape_text(spec["input"]),
                 "bias": _bias_word(bias), **_level_words("depthwise_cost", difficulty, numbers)},
                answer, spec, 0, quantity, options=options)


def separable_saving(rng: random.Random, difficulty: int) -> Made:
    """A plain 3x3 conv against the depthwise 3x3 + 1x1 pair that replaces it: 1 and 2, the parameters
    saved (without, then with biases); 3, how many times fewer MACs the pair takes. The question carries
    the pair as its network and the plain conv as given["replaces"]."""
    c_in, c_out = rng.choice([[16, 32], [32, 64], [64, 128]][difficulty - 1]), rng.choice([32, 64, 128])
    kernel, size = 3, rng.choice([14, 28])
    bias = difficulty == 2
    plain_spec = {"input": [c_in, size, size], "layers": [_conv(c_out, kernel, padding=1, bias=bias)]}
    pair_spec = {"input": [c_in, size, size],
                 "layers": [_conv(c_in, kernel, padding=1, groups=c_in, bias=bias), _conv(c_out, 1, bias=bias)]}
    plain, pair = _summary(plain_spec), _summary(pair_spec)
    depthwise = pair[0]
    if difficulty < 3:
        right, quantity = plain.total_params - pair.total_params, "params_saved"
        mistakes = [(plain.total_params - depthwise.params, "no_pointwise"), (pair.total_params, "pair_total"),
                    *([(right - c_in, "no_biases")] if bias else []), (plain.total_params, "plain_total")]
        options, answer = _choices(rng, right, mistakes)
        shown = f"{right:,}"
    else:
        quantity = "macs_ratio"
        mistakes = [(kernel * kernel, "depthwise_only"), (c_out, "pointwise_only"),
                    (c_out * kernel * kernel / (c_in * kernel * kernel + c_out), "depthwise_as_plain")]
        ratio = plain.total_macs / pair.total_macs
        options, answer = _choices(rng, ratio, mistakes, shown=lambda value: f"{value:.1f}")
        shown = f"{ratio:.1f}"
    numbers = {"plain": f"{plain.total_params:,}", "dw": f"{depthwise.params:,}", "pw": f"{pair[1].params:,}",
               "pair": f"{pair.total_params:,}", "plain_macs": f"{plain.total_macs:,}",
               "pair_macs": f"{pair.total_macs:,}", "c_out": c_out, "k2": kernel * kernel, "answer": shown}
    return Made({"c_in": c_in, "c_out": c_out, "k": kernel, "size": size,
                 "biases": modern_texts()["biases"]["yes" if bias else "no"],
                 **_level_words("separable_saving", difficulty, numbers)},
                answer, pair_spec, None, quantity, given={"replaces": plain_spec}, options=options)


# -- blocks -------------------------------------------------------------------------------------

def residual_shortcut(rng: random.Random, difficulty: int) -> Made:
    """Which shortcut lets the block add: the engine checks the block with each candidate, and the first
    that passes is the answer; the options are it and three that fail. 1: a basic block that keeps or
    widens the channels; 2: one that may also halve the size; 3: a bottleneck, four times wider at its end
    than in its middle."""
    from ..core import analyze

    c_in, size = rng.choice([[16, 32, 64], [64, 128], [64, 256]][difficulty - 1]), rng.choice([14, 28, 56])
    stride = 1 if difficulty == 1 else rng.choice([1, 2])
    if difficulty < 3:
        c_out = rng.choice([c_in, 2 * c_in])
        body = [_conv(c_out, 3, stride, 1, bias=False), {"type": "batchnorm2d"}, {"type": "relu"},
                _conv(c_out, 3, 1, 1, bias=False), {"type": "batchnorm2d"}]
    else:
        middle = rng.choice([c_in // 4, c_in // 2])
        c_out = 4 * middle
        body = [_conv(middle, 1, bias=False), {"type": "batchnorm2d"}, {"type": "relu"},
                _conv(middle, 3, stride, 1, bias=False), {"type": "batchnorm2d"}, {"type": "relu"},
                _conv(c_out, 1, bias=False), {"type": "batchnorm2d"}]
    # A 1x1 conv with stride 1 and C_in channels gives the identity's shape: it would only repeat that option.
    widths = sorted({c_in, c_out, 2 * c_in})
    candidates: list[dict | None] = [None, *(_conv(c, 1, s, bias=False) for s in (1, 2) for c in widths
                                             if (s, c) != (1, c_in))]
    fitting = [s for s in candidates if analyze(_block_spec(c_in, size, body, s)).ok]
    failing = [s for s in candidates if s not in fitting]
    body_shape = _summary({"input": [c_in, size, size], "layers": body}).top_level[-1].output_shape

    def slips(shortcut: dict | None) -> float:
        """How many things a wrong shortcut gets wrong: the likeliest mistakes (one slip) come first."""
        if shortcut is None:
            return 1.5
        return (shortcut.get("stride", 1) != stride) + (shortcut["out_channels"] != c_out)

    chosen = [fitting[0], *sorted(failing, key=slips)[:3]]
    options, answer = _shuffled(rng, [_shortcut_option(s, c_in, size, body_shape) for s in chosen])
    return Made({"input": shape_text((c_in, size, size)), "body": shape_text(body_shape),
                 "layers": _describe({"input": [c_in, size, size], "layers": body})},
                answer, _block_spec(c_in, size, body, fitting[0]), 0, "shortcut", options=options)


def _block_spec(c_in: int, size: int, body: list[dict], shortcut: dict | None) -> dict:
    block: dict[str, Any] = {"type": "residual", "body": body, "activation": "relu"}
    if shortcut is not None:
        block["shortcut"] = shortcut
    return {"input": [c_in, size, size], "layers": [block]}


def _shortcut_option(shortcut: dict | None, c_in: int, size: int, body_shape) -> dict:
    """An option's words, and why it fits or not from the shape the engine gives the shortcut's output."""
    texts = modern_texts()
    if shortcut is None:
        words, shape = texts["identity"], (c_in, size, size)
    else:
        words = {lang: text.format(s=shortcut.get("stride", 1), c=shortcut["out_channels"])
                 for lang, text in texts["projection"].items()}
        shape = _summary({"input": [c_in, size, size], "layers": [shortcut]})[0].output_shape
    why = texts["fits"] if tuple(shape) == tuple(body_shape) else texts["misfits"]
    shapes = {"input": shape_text((c_in, size, size)), "shape": shape_text(shape), "body": shape_text(body_shape)}
    return {"text": words, "why": {lang: text.format(**shapes) for lang, text in why.items()}}


def concat_channels(rng: random.Random, difficulty: int) -> Made:
    """An Inception-like block: 1, a 1x1, a 3x3 and a pooling + 1x1 branch; 2, with 1x1 reductions and a
    5x5 branch; 3, as 2 with a bare pooling branch, which passes all its input's channels on."""
    c_in, size = rng.choice([[32, 64], [64, 192], [96, 128]][difficulty - 1]), rng.choice([14, 28])
    a, b, c, d = (rng.choice([8, 16, 32, 64]) for _ in range(4))
    r3, r5 = rng.choice([16, 32, 48]), rng.choice([8, 16])
    pool = {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}
    if difficulty == 1:
        c = r3 = r5 = 0
        branches = [_conv(a, 1), _conv(b, 3, padding=1), _sequence(pool, _conv(d, 1))]
    else:
        branches = [_conv(a, 1), _sequence(_conv(r3, 1), _conv(b, 3, padding=1)),
                    _sequence(_conv(r5, 1), _conv(c, 5, padding=2)),
                    pool if difficulty == 3 else _sequence(pool, _conv(d, 1))]
    spec = {"input": [c_in, size, size], "layers": [{"type": "concat", "branches": branches}]}
    right = _summary(spec).top_level[0].output_shape[0]
    widths = [_summary({"input": [c_in, size, size], "layers": [branch]}).top_level[0].output_shape[0]
              for branch in branches]
    convs = a + b + c
    if difficulty < 3:
        mistakes = [(convs, "no_pool_branch"), (convs + d + r3 + r5, "reductions_counted"),
                    (max(widths), "widest_branch"), (convs + d + c_in, "input_kept")]
    else:
        mistakes = [(convs, "pool_adds_nothing"), (convs + c_in + r3 + r5, "reductions_counted"),
                    (convs + 2 * c_in, "input_twice")]
    options, answer = _choices(rng, right, mistakes)
    return Made({"input": shape_text(spec["input"]), "layers": _describe(spec), "size": size,
                 "parts": " + ".join(map(str, widths))}, answer, spec, 0, "output_channels", options=options)


def _sequence(*layers: dict) -> dict:
    return {"type": "sequential", "layers": list(layers)}


MODERN_GENERATORS: dict[str, Generator] = {
    "batchnorm_counts": Generator("batch-norm", "batch-normalization", "choice", batchnorm_counts),
    "grouped_conv_params": Generator("grouped-conv", "grouped-convolution", "choice", grouped_conv_params),
    "depthwise_cost": Generator("grouped-conv", "grouped-convolution", "choice", depthwise_cost),
    "separable_saving": Generator("grouped-conv", "grouped-convolution", "choice", separable_saving),
    "residual_shortcut": Generator("residual", "residual-connection", "choice", residual_shortcut),
    "concat_channels": Generator("concat", "feature-map", "choice", concat_channels),
}
