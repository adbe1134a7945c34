"""Computed quiz questions: every answer recomputed here, independently of the engine.

The expected values come from plain-Python formulas written in this file
(PyTorch's output-size rules, parameter and MAC counts, the receptive-field
recurrence), applied to the network JSON each question carries, its
``quantity`` and ``layer``, and the values in ``given``. Nothing here calls
cnntui's engine or the generators' helpers to get an expected value.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnntui.quiz.generate import GENERATORS, generate
from cnntui.quiz.generate_modern import MODERN_GENERATORS
from cnntui.quiz.grading import mark
from cnntui.quiz.questions import FORMS, LANGUAGES, question_by_id

SEEDS = range(15)
# The modern lesson's generators ask about blocks, groups and batch norm, which walk() below does not model,
# and answer by choice; tests/test_quiz_modern.py recomputes them by hand.
FORMULA_GENERATORS = [name for name in GENERATORS if name not in MODERN_GENERATORS]
CASES = [(name, difficulty, seed) for name in FORMULA_GENERATORS for difficulty in (1, 2, 3) for seed in SEEDS]

# -- the formulas --------------------------------------------------------------------


def pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def window_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's output size along one axis; 0 when the window does not fit the padded input."""
    span = dilation * (kernel - 1) + 1
    room = size + 2 * padding - span
    if room < 0:
        return 0
    if not ceil_mode:
        return room // stride + 1
    out = -(-room // stride) + 1
    if (out - 1) * stride >= size + padding:  # the last window must start inside the input or left padding
        out -= 1
    return out


def walk(spec: dict) -> list[dict]:
    """Per layer: output shape, parameters, MACs, receptive field, and the input shape it saw."""
    shape, rf, jump = tuple(spec["input"]), 1, 1
    rows = []
    for layer in spec["layers"]:
        kind, seen, params, macs = layer["type"], shape, 0, 0
        if kind in ("conv2d", "maxpool2d", "avgpool2d"):
            c, h, w = shape
            k, d, p = pair(layer["kernel_size"]), pair(layer.get("dilation", 1)), pair(layer.get("padding", 0))
            s = pair(layer.get("stride", 1 if kind == "conv2d" else layer["kernel_size"]))
            ceil = layer.get("ceil_mode", False)
            out_h = window_out(h, k[0], s[0], p[0], d[0], ceil)
            out_w = window_out(w, k[1], s[1], p[1], d[1], ceil)
            channels = layer["out_channels"] if kind == "conv2d" else c
            shape = (channels, out_h, out_w)
            if kind == "conv2d":
                bias = 1 if layer.get("bias", True) else 0
                params = (k[0] * k[1] * c + bias) * channels
                macs = channels * out_h * out_w * c * k[0] * k[1]
            rf += (d[0] * (k[0] - 1)) * jump
            jump *= s[0]
        elif kind == "global_avg_pool":
            shape = (shape[0],)
        elif kind == "flatten":
            shape = (math.prod(shape),)
        elif kind == "linear":
            (n_in,) = shape
            bias = 1 if layer.get("bias", True) else 0
            params = (n_in + bias) * layer["out_features"]
            macs = n_in * layer["out_features"]
            shape = (layer["out_features"],)
        else:
            assert kind == "relu", kind
        rows.append({"type": kind, "in": seen, "out": shape, "params": params, "macs": macs, "rf": rf})
    return rows


def fits(spec: dict) -> bool:
    """Every window layer's (dilated) kernel fits its padded input."""
    shape = tuple(spec["input"])
    for layer in spec["layers"]:
        if layer["type"] in ("conv2d", "maxpool2d", "avgpool2d"):
            k, d, p = pair(layer["kernel_size"]), pair(layer.get("dilation", 1)), pair(layer.get("padding", 0))
            if any(d[i] * (k[i] - 1) + 1 > shape[1 + i] + 2 * p[i] for i in range(2)):
                return False
        shape = walk({"input": list(shape), "layers": [layer]})[0]["out"]
    return True


def forward_value(spec: dict, given_values: dict, layer_index: int) -> float:
    """A vector network (flatten, linear, relu) on the given input and weights, by hand."""
    values = [v for plane in given_values["input"] for row in plane for v in row]
    for index, layer in enumerate(spec["layers"][:layer_index + 1]):
        if layer["type"] == "linear":
            weights, bias = given_values["weights"][f"{index}.weight"], given_values["weights"][f"{index}.bias"]
            values = [sum(w * x for w, x in zip(row, values)) + b for row, b in zip(weights, bias)]
        elif layer["type"] == "relu":
            values = [max(0, v) for v in values]
        else:
            assert layer["type"] == "flatten"
    (value,) = values
    return value


def pool_value(spec: dict, given_values: dict, layer_index: int) -> float:
    layer = spec["layers"][layer_index]
    assert layer_index == 0 and layer.get("padding", 0) == 0
    k, s = layer["kernel_size"], layer.get("stride", layer["kernel_size"])
    channel, row, col = given_values["position"]
    grid = given_values["input"][channel]
    window = [grid[row * s + i][col * s + j] for i in range(k) for j in range(k)]
    return max(window) if layer["type"] == "maxpool2d" else sum(window) / len(window)


def conv_value(spec: dict, given_values: dict, layer_index: int) -> float:
    """A conv layer's output at one position, stride 1 and no padding: every channel's window times its slice."""
    layer = spec["layers"][layer_index]
    assert layer_index == 0 and layer.get("padding", 0) == 0 and layer.get("stride", 1) == 1
    k = layer["kernel_size"]
    channel, row, col = given_values["position"]
    kernel = given_values["weights"]["0.weight"][channel]
    total = sum(grid[row + i][col + j] * kernel[c][i][j] for c, grid in enumerate(given_values["input"])
                for i in range(k) for j in range(k))
    return total + given_values["weights"]["0.bias"][channel]


def logit_gradient(given_values: dict) -> float:
    """(p - y) / N at one class, from the probabilities shown, after checking them against a softmax by hand."""
    exps = [math.exp(z) for z in given_values["logits"]]
    assert all(abs(e / sum(exps) - p) <= 0.005 + 1e-9 for e, p in zip(exps, given_values["probabilities"]))
    k = given_values["class"]
    right = 1 if k == given_values["label"] else 0
    return (given_values["probabilities"][k] - right) / given_values["batch"]


def expected(q) -> object:
    """The answer, recomputed from what the question carries."""
    spec, index, quantity = q.network, q.layer, q.quantity
    if quantity == "valid":
        return fits(spec)
    if quantity == "logit_gradient":  # a softmax, which walk() does not size
        return logit_gradient(q.given)
    rows = walk(spec)
    if quantity == "output_shape":
        return list(rows[index]["out"])
    if quantity == "output_size":
        return list(rows[index]["out"][1:])
    if quantity == "params":
        return rows[index]["params"]
    if quantity == "total_params":
        return sum(row["params"] for row in rows)
    if quantity == "macs":
        return rows[index]["macs"]
    if quantity == "receptive_field":
        return rows[index]["rf"]
    if quantity == "fc_equivalent_params":
        return (math.prod(rows[index]["in"]) + 1) * math.prod(rows[index]["out"])
    if quantity == "hidden_layers":
        return sum(layer["type"] == "linear" for layer in spec["layers"]) - 1
    if quantity == "most_params_layer":
        counts = [row["params"] for row in rows]
        assert counts.count(max(counts)) == 1, f"{q.id}: two layers share the most parameters"
        return counts.index(max(counts))
    if quantity == "padding":
        layer = spec["layers"][index]
        k, d = layer["kernel_size"], layer.get("dilation", 1)
        assert d * (k - 1) % 2 == 0
        size = spec["input"][1]
        padding = d * (k - 1) // 2
        assert window_out(size, k, 1, padding, d) == size  # that padding keeps the size
        assert layer.get("padding", 0) == padding  # and the network carries it
        return padding
    if quantity == "output_value":
        if spec["layers"][index]["type"] in ("maxpool2d", "avgpool2d"):
            return pool_value(spec, q.given, index)
        if spec["layers"][index]["type"] == "conv2d":
            return conv_value(spec, q.given, index)
        return forward_value(spec, q.given, index)
    raise AssertionError(f"{q.id}: unknown quantity {quantity}")


# -- every generator, difficulty and seed ---------------------------------------------

@pytest.mark.parametrize("name", FORMULA_GENERATORS)
def test_every_computed_answer_matches_the_formulas(name):
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate(name, difficulty, seed)
            assert q.kind == "computed" and q.network is not None and q.quantity, q.id
            want = expected(q)
            if q.form == "number":
                assert q.answer == pytest.approx(want, abs=1e-9), q.id
            else:
                assert q.answer == want, (q.id, q.answer, want)


@pytest.mark.parametrize("name", FORMULA_GENERATORS)
def test_answers_have_their_form_and_grade_right_when_typed(name):
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate(name, difficulty, seed)
            assert q.form in FORMS and q.difficulty == difficulty
            typed = {"integer": lambda a: f"{a:,}", "number": str, "size": lambda a: "x".join(map(str, a)),
                     "shape": lambda a: "x".join(map(str, a)), "bool": lambda a: "yes" if a else "no"}[q.form]
            if q.form == "integer":
                assert isinstance(q.answer, int) and not isinstance(q.answer, bool)
            elif q.form == "size":
                assert len(q.answer) == 2 and all(isinstance(v, int) and v >= 1 for v in q.answer)
            elif q.form == "shape":
                assert len(q.answer) == 3 and all(isinstance(v, int) and v >= 1 for v in q.answer)
            elif q.form == "bool":
                assert isinstance(q.answer, bool)
            assert mark(q, typed(q.answer)).correct, q.id


@pytest.mark.parametrize("name", GENERATORS)
def test_answers_vary_with_the_seed(name):
    """No generator is degenerate: across seeds it asks different things with different answers."""
    prompts, answers = set(), set()
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate(name, difficulty, seed)
            prompts.add(q.prompt["en"])
            answers.add(repr(q.answer))
    assert len(prompts) >= 10 and len(answers) >= 2, name


def test_valid_config_asks_both_ways():
    answers = {generate("valid_config", d, s).answer for d in (1, 2, 3) for s in SEEDS}
    assert answers == {True, False}


# -- the words match the network ------------------------------------------------------

def layer0(q) -> dict:
    return q.network["layers"][0]


PROMPT_FACTS = {
    "conv_params": lambda q: [f"{layer0(q)['out_channels']} filters",
                              f"{layer0(q)['kernel_size']}x{layer0(q)['kernel_size']}",
                              f"{q.network['input'][0]}-channel input"],
    "linear_params": lambda q: [f"{q.network['input'][0]} inputs", f"{q.network['layers'][1]['out_features']} outputs"],
    "feature_map_shape": lambda q: ["x".join(map(str, q.network["input"])), f"kernel {layer0(q)['kernel_size']}",
                                    f"stride {layer0(q).get('stride', 1)}", f"padding {layer0(q).get('padding', 0)}"],
    "conv_output_size": lambda q: [f"{q.network['input'][1]}x{q.network['input'][2]}",
                                   f"kernel {layer0(q)['kernel_size']}", f"stride {layer0(q).get('stride', 1)}",
                                   f"padding {layer0(q).get('padding', 0)}",
                                   f"dilation {layer0(q).get('dilation', 1)}"],
    "pool_output_size": lambda q: [f"{q.network['input'][1]}x{q.network['input'][2]}", layer0(q)["type"],
                                   f"kernel {layer0(q)['kernel_size']}",
                                   f"stride {layer0(q).get('stride', layer0(q)['kernel_size'])}",
                                   f"padding {layer0(q).get('padding', 0)}",
                                   f"ceil_mode: {'on' if layer0(q).get('ceil_mode') else 'off'}"],
    "same_padding": lambda q: [f"kernel {layer0(q)['kernel_size']}", f"dilation {layer0(q).get('dilation', 1)}",
                               f"{q.network['input'][1]}x{q.network['input'][1]}"],
    "conv_macs": lambda q: ["x".join(map(str, q.network["input"])), f"{layer0(q)['out_channels']} filters",
                            f"kernel {layer0(q)['kernel_size']}", f"padding {layer0(q).get('padding', 0)}"],
    "valid_config": lambda q: [f"kernel {layer0(q)['kernel_size']}", f"padding {layer0(q).get('padding', 0)}",
                               f"dilation {layer0(q).get('dilation', 1)}",
                               f"{q.network['input'][1]}x{q.network['input'][1]}"],
    "fc_equivalent": lambda q: [f"{layer0(q)['out_channels']} filters", "x".join(map(str, q.network["input"])),
                                f"{math.prod(q.network['input'])} inputs"],
    "gap_head": lambda q: [f"{q.network['input'][0]}x{q.network['input'][1]}x{q.network['input'][2]}",
                           f"{q.network['layers'][1]['out_features']} classes",
                           "global average pooling" if layer0(q)["type"] == "global_avg_pool" else "flatten"],
    "neuron_output": lambda q: [f"x = {[row[0][0] for row in q.given['input']]}",
                                f"w = {q.given['weights']['1.weight'][0]}", f"b = {q.given['weights']['1.bias'][0]}"],
    "pool_value": lambda q: [layer0(q)["type"], f"row {q.given['position'][1]}", f"column {q.given['position'][2]}",
                             *("  " + " ".join(map(str, row)) for row in q.given["input"][0])],
    "hidden_layers": lambda q: [" -> ".join(["flatten 784", *(f"linear {layer['out_features']} + relu" for layer in
                                                             q.network["layers"][1:-1:2]),
                                             f"linear {q.network['layers'][-1]['out_features']}"])],
    "multi_channel_value": lambda q: [f"{q.network['input'][0]} channels", f"bias {q.given['weights']['0.bias'][0]}",
                                      f"row {q.given['position'][1]}", f"column {q.given['position'][2]}",
                                      *(f"channel {c}: " + " / ".join(" ".join(map(str, r)) for r in grid)
                                        for c, grid in enumerate(q.given["input"]))],
    "logit_gradient": lambda q: [", ".join(map(str, q.given["logits"])), f"right class is {q.given['label']}",
                                 f"class {q.given['class']} ",
                                 "one example" if q.given["batch"] == 1 else f"batch of {q.given['batch']}"],
    "receptive_field": lambda q: [" -> ".join(f"conv k{layer['kernel_size']}" if layer["type"] == "conv2d"
                                              else f"maxpool {layer['kernel_size']}" for layer in q.network["layers"])],
}


@pytest.mark.parametrize("name", FORMULA_GENERATORS)
def test_prompts_describe_the_network_they_carry(name):
    """What the student reads is the network a checker would analyse."""
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate(name, difficulty, seed)
            facts = PROMPT_FACTS.get(name)
            if facts is None:  # network_params, most_params_layer: the text form of the whole network
                assert f"in {'x'.join(map(str, q.network['input']))} |" in q.prompt["en"]
                continue
            for fact in facts(q):
                assert fact in q.prompt["en"], (q.id, fact, q.prompt["en"])


@pytest.mark.parametrize("name", FORMULA_GENERATORS)
def test_explanations_state_the_answer(name):
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate(name, difficulty, seed)
            if q.form == "bool":
                shown = {"en": "yes" if q.answer else "no", "zh": "可以" if q.answer else "不行"}
            else:
                text = "x".join(map(str, q.answer)) if q.form in ("size", "shape") else \
                    f"{q.answer:,}" if isinstance(q.answer, int) else f"{q.answer:g}"
                shown = {"en": text, "zh": text}
            for lang in LANGUAGES:
                assert shown[lang] in q.explanation[lang], (q.id, lang, q.explanation[lang])


# -- determinism and texts -------------------------------------------------------------

def filled(text: str) -> bool:
    return bool(text.strip()) and not re.search(r"[{}]", text)


@given(name=st.sampled_from(sorted(GENERATORS)), difficulty=st.integers(1, 3), seed=st.integers(0, 2**40))
def test_generate_is_deterministic_and_rebuilt_from_its_id(name, difficulty, seed):
    q = generate(name, difficulty, seed)
    assert q == generate(name, difficulty, seed)
    assert q.id == f"{name}:{difficulty}:{seed}"
    assert question_by_id(q.id) == q
    assert q.topic == GENERATORS[name].topic and q.form == GENERATORS[name].form
    for part in (q.prompt, q.explanation, q.hint):
        assert set(part) == set(LANGUAGES)
        for lang in LANGUAGES:
            assert filled(part[lang]), (q.id, lang, part[lang])
    assert re.search(r"[\u4e00-\u9fff]", q.prompt["zh"]) and re.search(r"[\u4e00-\u9fff]", q.explanation["zh"])


@given(name=st.sampled_from(sorted(FORMULA_GENERATORS)), difficulty=st.integers(1, 3), seed=st.integers(0, 2**40))
def test_random_seeds_give_answers_that_match_the_formulas(name, difficulty, seed):
    q = generate(name, difficulty, seed)
    want = expected(q)
    assert q.answer == (pytest.approx(want) if q.form == "number" else want), q.id


def test_to_json_carries_what_a_checker_needs():
    for name in GENERATORS:
        data = generate(name, 2, 7).to_json()
        assert {"id", "topic", "kind", "prompt", "answer", "explanation", "network", "layer", "quantity"} <= set(data)
        assert set(data["prompt"]) == set(data["explanation"]) == set(LANGUAGES)


def test_unknown_generator_or_difficulty_is_a_key_error():
    with pytest.raises(KeyError):
        generate("no_such", 1, 0)
    with pytest.raises(KeyError):
        generate("conv_params", 4, 0)
    with pytest.raises(KeyError):
        question_by_id("conv_params:0:1")


def test_the_share_of_the_heaviest_layer_is_rounded_down_never_a_false_100_percent():
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate("most_params_layer", difficulty, seed)
            counts = [row["params"] for row in walk(q.network)]
            tenths = 1000 * counts[q.answer] // sum(counts)
            shown = re.search(r"holds ([\d.]+)% of all", q.explanation["en"]).group(1)
            assert float(shown) == tenths / 10 and float(shown) < 100, q.id


def test_pooling_words_are_in_the_question_language():
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate("pool_value", difficulty, seed)
            maximum = q.network["layers"][0]["type"] == "maxpool2d"
            assert ("its max:" if maximum else "its mean:") in q.explanation["en"]
            assert ("最大值" if maximum else "平均值") in q.explanation["zh"]
            assert not re.search(r"mean|max:", q.explanation["zh"])


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_a_gradient_question_is_never_answered_by_guessing_zero(difficulty):
    """Some entries of p - y are tiny; those are not asked, or "0" would pass within the 0.01 tolerance."""
    from cnntui.quiz.grading import mark

    for seed in range(200):
        question = generate("logit_gradient", difficulty, seed)
        assert not mark(question, "0").correct, question.prompt["en"]
        assert mark(question, str(question.answer)).correct


def test_a_pooling_size_question_links_to_its_own_kind_or_to_the_options_page():
    for difficulty in (1, 2, 3):
        for seed in range(60):
            question = generate("pool_output_size", difficulty, seed)
            layer = question.network["layers"][0]
            expected = ("pooling-padding-options" if layer.get("ceil_mode") else
                        "max-pooling" if layer["type"] == "maxpool2d" else "average-pooling")
            assert question.concept == expected, question.id
