"""The contract every registered layer type keeps: one class owns its type.

For each type in LAYER_TYPES: it has a text-form word, and a layer with a non-default value in every
field round-trips through the text form; its exported PyTorch and Keras code is Python; every
sentence it can say is in both languages; and where torch is installed, its exported module
computes what the engine computes, forward and backward, in evaluation and in training.

A new type fails here until it has its samples in SAMPLES, its word, its strings and its code.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re

import numpy as np
import pytest

from cnntui.content import catalog
from cnntui.core import LAYER_TYPES, Network
from cnntui.core.analysis import analyze
from cnntui.core.export import to_keras, to_pytorch
from cnntui.core.layers.base import ABOUTS, Layer
from cnntui.core.messages import TEMPLATES
from cnntui.core.textform import BLOCK_WORDS, EXAMPLES, KEYWORDS, TextFormError, layer_text, parse
from cnntui.quiz.bank_file import _solution_lines
from cnntui.tui.screens.build_text import BUILD_ORDER

MAPS = (4, 9, 8)
VECTOR = (7,)
# For each type: layers that between them give every field a value other than its default, each
# with the input shape it runs on.
SAMPLES: dict[str, list[tuple[dict, tuple[int, ...]]]] = {
    "conv2d": [({"out_channels": 6, "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 2], "dilation": [1, 2],
                 "groups": 2, "bias": False}, MAPS),
               ({"out_channels": 4, "kernel_size": 3, "padding": "same", "groups": 4}, MAPS),
               ({"out_channels": 3, "kernel_size": 2, "padding": "valid"}, MAPS)],
    "maxpool2d": [({"kernel_size": 3, "stride": 2, "padding": 1, "dilation": [1, 2], "ceil_mode": True}, MAPS)],
    "avgpool2d": [({"kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0], "ceil_mode": True,
                   "count_include_pad": False}, MAPS)],
    "adaptive_avg_pool2d": [({"output_size": [2, 3]}, MAPS), ({"output_size": 4}, MAPS)],
    "global_avg_pool": [({}, MAPS)],
    "flatten": [({}, MAPS)],
    "linear": [({"out_features": 5, "bias": False}, VECTOR), ({"out_features": 3}, VECTOR)],
    "batchnorm2d": [({"eps": 0.001, "momentum": 0.3, "affine": False}, MAPS),
                    ({"momentum": None}, MAPS), ({"track_running_stats": False}, MAPS)],
    "dropout": [({"p": 0.25}, MAPS), ({"p": 0.5}, VECTOR)],
    "relu": [({}, MAPS)],
    "relu6": [({}, MAPS)],
    "leaky_relu": [({"negative_slope": 0.2}, MAPS), ({"negative_slope": 1e-05}, VECTOR)],
    "silu": [({}, MAPS)],
    "hardswish": [({}, MAPS)],
    "sigmoid": [({}, MAPS)],
    "tanh": [({}, VECTOR)],
    "softmax": [({}, VECTOR)],
}
TYPES = sorted(LAYER_TYPES)
CASES = [pytest.param(kind, layer, shape, id=f"{kind}-{n}")
         for kind in TYPES for n, (layer, shape) in enumerate(SAMPLES.get(kind, []))]
# A sentence a layer can say: the code given to self.error, SpecError, CnntuiError or Message.
SAID = re.compile(r"(?:\.error|SpecError|CnntuiError|Message)\(\s*\"(\w+)\"")
BATCH = 4  # batch norm's statistics need more than one value per channel


def sample(kind: str, layer: dict) -> dict:
    return {"type": kind, **layer}


def settings_of(layer: dict) -> dict:
    """Every field of ``layer``, defaults filled in, as the engine reads it."""
    cls = LAYER_TYPES[layer["type"]]
    return {name: field.parse(name, layer.get(name, field.default)) for name, field in cls.fields.items()}


def network(kind: str, layer: dict, shape) -> dict:
    return {"name": f"one {kind}", "input": list(shape) if len(shape) == 3 else [shape[0], 1, 1],
            "layers": ([] if len(shape) == 3 else [{"type": "flatten"}]) + [sample(kind, layer)]}


# -- every type is covered -------------------------------------------------------------------

@pytest.mark.parametrize("kind", TYPES)
def test_the_samples_set_every_field_away_from_its_default(kind):
    assert kind in SAMPLES, f"add samples of {kind} to SAMPLES"
    cls = LAYER_TYPES[kind]
    for name, field in cls.fields.items():
        if field.required:
            continue
        default = field.parse(name, field.default)
        assert any(settings_of(sample(kind, layer))[name] != default for layer, _ in SAMPLES[kind]), (kind, name)


@pytest.mark.parametrize("kind", TYPES)
def test_each_type_has_its_own_word_and_a_place_in_builds_list(kind):
    cls = LAYER_TYPES[kind]
    assert cls.keyword and KEYWORDS[cls.keyword] == kind
    assert cls.keyword not in BLOCK_WORDS and cls.keyword != "in"
    assert kind in BUILD_ORDER  # Build offers every registered type, in its chosen place
    for prefix, name in cls.text_options.items():
        assert name in cls.fields and prefix.isalpha(), (kind, prefix)
    for flag, (name, value) in cls.text_flags.items():
        assert name in cls.fields and cls.fields[name].parse(name, value) != cls.defaults[name], flag
    assert not set(cls.text_flags) & set(cls.text_options), kind


def test_build_order_lists_only_registered_types_once():
    assert len(set(BUILD_ORDER)) == len(BUILD_ORDER) and set(BUILD_ORDER) <= set(LAYER_TYPES)


# -- the text form ---------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "layer", "shape"), CASES)
def test_a_layer_round_trips_through_the_text_form(kind, layer, shape):
    text = layer_text(sample(kind, layer))
    assert text.split()[0] == LAYER_TYPES[kind].keyword
    parsed = parse(f"in 3x8x8 | {text}")["layers"][0]
    assert settings_of(parsed) == settings_of(sample(kind, layer)), text
    assert layer_text(parsed) == text


@pytest.mark.parametrize("kind", TYPES)
def test_a_word_that_is_no_option_is_told_which_options_there_are(kind):
    cls = LAYER_TYPES[kind]
    with pytest.raises(TextFormError) as caught:
        parse(f"in 3x8x8 | {EXAMPLES[kind]} zz9")
    assert caught.value.token == "zz9"
    message = str(caught.value)
    for word in [*cls.text_options, *cls.text_flags]:
        assert f" {word}" in message, (word, message)
    if not cls.text_options and not cls.text_flags:
        assert f"{cls.keyword} takes no options" in message


# -- code for frameworks ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "layer", "shape"), CASES)
def test_a_layer_exports_to_python_for_both_frameworks(kind, layer, shape):
    spec = network(kind, layer, shape)
    record = Network.from_dict(spec).summary()[-1]
    pytorch, keras = to_pytorch(spec), to_keras(spec)
    ast.parse(pytorch)
    ast.parse(keras)
    assert f"    {record.layer.pytorch_module(record.input_shape)}," in pytorch
    for expression in record.layer.keras_layers(record.input_shape).layers:
        assert f"    {expression}," in keras


# -- derivation lines say what they work out ----------------------------------------------------

ENDS_IN_NUMBER = re.compile(r"= (\d+)$")
# Types that change the shape with no formula for it: the length is a setting (linear's out_features)
# or the channel count (global pooling). Every other type that changes the shape has a "shape" line.
SHAPE_WITHOUT_FORMULA = {"linear", "global_avg_pool"}
# Residual blocks with and without an activation, a concatenation of maps and one of vectors.
JOINED = {"name": "joined", "input": [3, 8, 8], "layers": [
    {"type": "residual", "body": [{"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}]},
    {"type": "residual", "body": [{"type": "relu"}], "activation": "relu"},
    {"type": "concat", "branches": [{"type": "conv2d", "out_channels": 2, "kernel_size": 1},
                                    {"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}]},
    {"type": "flatten"},
    {"type": "concat", "branches": [{"type": "linear", "out_features": 4}, {"type": "sequential", "layers": []}]},
]}


def shows_output_size(line: str, out: tuple[int, ...]) -> bool:
    """Whether ``line`` ends in one of the output's sizes ("H_out = ... = 5") or names its maps' HxW."""
    end = ENDS_IN_NUMBER.search(line)
    return (end is not None and int(end[1]) in out) or (len(out) == 3 and f"{out[1]}x{out[2]}" in line)


def assert_lines_say_what_they_work_out(record) -> None:
    """Each line's kind agrees with the record's figures: a "params" line ends in the parameter count,
    a "macs" line in the MACs, a "shape" line shows an output size, "RF" starts the "rf" lines only."""
    lines = record.derivation
    assert lines and all(line.about in ABOUTS for line in lines), [(line, line.about) for line in lines]
    about = {kind: [line for line in lines if line.about == kind] for kind in ABOUTS}
    for kind, figure in (("params", record.params), ("macs", record.macs)):
        assert all(ENDS_IN_NUMBER.search(line) for line in about[kind]), (kind, about[kind])
        assert [int(ENDS_IN_NUMBER.search(line)[1]) for line in about[kind]] == [figure] * len(about[kind])
        assert about[kind] or not figure, f"{record.path} has {kind} but no {kind} line"
    assert all(shows_output_size(line, record.output_shape) for line in about["shape"]), about["shape"]
    assert all(line.startswith("RF") for line in about["rf"]) and \
        not any(line.startswith("RF") for line in lines if line.about != "rf")


@pytest.mark.parametrize(("kind", "layer", "shape"), CASES)
def test_every_derivation_line_says_what_it_works_out(kind, layer, shape):
    record = Network.from_dict(network(kind, layer, shape)).summary()[-1]
    assert_lines_say_what_they_work_out(record)
    changes_shape = record.output_shape != record.input_shape and kind not in SHAPE_WITHOUT_FORMULA
    assert any(line.about == "shape" for line in record.derivation) or not changes_shape
    assert record.receptive_field == record.reach_before.size or any(line.about == "rf" for line in record.derivation)
    copied = copy.deepcopy(record.derivation)
    assert copied == record.derivation and [line.about for line in copied] == [line.about for line in record.derivation]


def test_join_and_block_lines_say_what_they_work_out():
    summary = analyze(JOINED)
    joins = [record for record in summary.layers if record.is_join]
    assert [record.type for record in joins] == ["residual", "residual", "concat", "concat"]
    assert all(any(line.about == "shape" for line in record.derivation) for record in joins)
    for record in [*summary.layers, *summary.blocks]:
        assert_lines_say_what_they_work_out(record)


def test_an_instructors_worked_solution_shows_only_the_lines_about_its_quantity():
    spec = {"name": "pooled", "input": [1, 9, 9], "layers": [{"type": "maxpool2d", "kernel_size": 3},
                                                             {"type": "dropout"}]}
    summary = analyze(spec)
    pool, dropout = summary.layers
    assert _solution_lines(summary, pool, "output_shape", "en") == pool.derivation[:2]  # H_out, W_out
    assert _solution_lines(summary, pool, "params", "en") == ["params = 0"]
    assert _solution_lines(summary, dropout, "output_shape", "en") == ["output shape = 1x3x3"]  # no mask line


# -- strings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", TYPES)
def test_everything_a_type_says_is_in_both_languages(kind):
    cls = LAYER_TYPES[kind]
    source = "".join(inspect.getsource(klass) for klass in cls.__mro__
                     if issubclass(klass, Layer) and klass is not Layer)
    codes = set(SAID.findall(source))
    english, chinese = catalog("en"), catalog("zh")
    for code in codes:
        assert code in TEMPLATES, (kind, code)
        assert f"engine.{code}" in english and f"engine.{code}" in chinese, (kind, code)
    assert f"build.type.{kind}" in english and f"build.type.{kind}" in chinese


# -- against torch ---------------------------------------------------------------------------

def random_state(net: Network, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Starting weights with every bias, batch-norm scale and running statistic moved off its start."""
    state = net.initial_weights(0)
    for key, value in state.items():
        kind = key.rsplit(".", 1)[-1]
        if kind == "num_batches_tracked":
            state[key] = np.array(3, dtype=np.int64)
        elif kind in ("bias", "running_mean"):
            value[...] = rng.standard_normal(value.shape) * 0.3
        elif kind == "running_var" or (kind == "weight" and value.ndim == 1):
            value[...] = rng.uniform(0.5, 1.5, value.shape)
    return state


def assert_close(ours: np.ndarray, theirs, what: str) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, what
    scale = max(float(np.abs(theirs).max(initial=0)), 1e-3)
    assert float(np.abs(ours.astype(np.float64) - theirs).max(initial=0)) <= 1e-4 * scale, what


def exported_model(spec: dict, state: dict, torch):
    scope: dict = {}
    exec(compile(to_pytorch(spec), "exported", "exec"), scope)  # noqa: S102  (our own output)
    model = scope["model"]
    model.load_state_dict({key: torch.from_numpy(value.copy()) for key, value in state.items()}, strict=True)
    return model


@pytest.mark.parametrize("training", [False, True], ids=["eval", "training"])
@pytest.mark.parametrize(("kind", "layer", "shape"), CASES)
def test_the_exported_module_computes_what_the_engine_computes(kind, layer, shape, training):
    torch = pytest.importorskip("torch")
    spec = network(kind, layer, shape)
    net = Network.from_dict(spec)
    rng = np.random.default_rng(len(kind))
    state = random_state(net, rng)
    net.set_weights({key: value.copy() for key, value in state.items()})
    model = exported_model(spec, state, torch).train(training)
    x = rng.standard_normal((BATCH, *spec["input"])).astype(np.float32) * 3
    outputs = net.forward(x, training=training, seed=1)
    grad_out = rng.standard_normal(outputs[-1].shape).astype(np.float32)
    grad_x, grads = net.backward(x, outputs, grad_out)

    value = torch.from_numpy(x).requires_grad_(True)
    out = model(value)
    out.backward(torch.from_numpy(grad_out))
    if kind == "dropout" and training:
        # Each draws its own mask: both must keep a value scaled by 1/(1-p) or drop it, and pass the
        # gradient back through the same mask.
        p, ours_x = layer["p"], x.reshape(outputs[-1].shape)
        for y, grad, inputs in ((outputs[-1], grad_x.reshape(grad_out.shape), ours_x),
                                (out.detach().numpy(), value.grad.numpy().reshape(grad_out.shape), ours_x)):
            kept = y != 0
            np.testing.assert_allclose(y[kept], inputs[kept] / (1 - p), rtol=1e-5)
            np.testing.assert_allclose(grad, grad_out * kept / (1 - p), rtol=1e-5)
        return
    assert_close(outputs[-1], out, "output")
    assert_close(grad_x, value.grad, "input gradient")
    learned = dict(model.named_parameters())
    assert list(grads) == list(learned)
    for key, parameter in learned.items():
        assert_close(grads[key], parameter.grad, f"gradient of {key}")
    for key, buffer in model.named_buffers():
        assert_close(net.weights[key], buffer, f"{key} after the pass")
