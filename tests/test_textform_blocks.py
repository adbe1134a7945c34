"""The text form of blocks: seq( ), res( ; ) act=, cat( ; ), names before a layer or block.

Every network round-trips: parse(format_text(spec)) is the spec again once both have their
defaults filled in the same way (a layer's fields, a node's default name). Mistakes are one
TextFormError that points at the token.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnntui.content import catalog
from cnntui.core import LAYER_TYPES, Network, analyze
from cnntui.core.assets import preset_names
from cnntui.core.textform import TextFormError, format_text, parse

CHILDREN = {"sequential": "layers", "residual": "body", "concat": "branches"}


def normal(node: dict, default: str) -> dict:
    """``node`` with its name written out and, for a layer, every field as the engine reads it
    (defaults filled in); a residual's absent shortcut and activation left out."""
    kind = node["type"]
    named = {"type": kind, "name": node.get("name", default)}
    if kind not in CHILDREN:
        fields = LAYER_TYPES[kind].fields
        return {**named, **{name: field.parse(name, node.get(name, field.default)) for name, field in fields.items()}}
    children = [normal(child, str(i)) for i, child in enumerate(node[CHILDREN[kind]])]
    named[CHILDREN[kind]] = children
    if kind == "residual":
        if node.get("shortcut") is not None:
            named["shortcut"] = normal(node["shortcut"], "shortcut")
        if node.get("activation") is not None:
            named["activation"] = node["activation"]
    return named


def normal_network(spec: dict) -> dict:
    return {"input": list(spec["input"]), "layers": [normal(node, str(i)) for i, node in enumerate(spec["layers"])]}


def assert_round_trip(spec: dict) -> str:
    text = format_text(spec)
    again = parse(text)
    assert normal_network(again) == normal_network(spec), text
    assert format_text(again) == text
    return text


def conv(out: int, kernel: int = 3, **fields) -> dict:
    return {"type": "conv2d", "out_channels": out, "kernel_size": kernel, **fields}


def named(name: str, node: dict) -> dict:
    return {"type": node["type"], "name": name, **{k: v for k, v in node.items() if k != "type"}}


BN, RELU = {"type": "batchnorm2d"}, {"type": "relu"}
BASIC_BLOCK = {"type": "residual", "body": [named("conv1", conv(8, stride=2, padding=1, bias=False)), named("bn1", BN),
                                            named("relu", RELU), named("conv2", conv(8, padding=1, bias=False)),
                                            named("bn2", BN)],
               "shortcut": {"type": "sequential", "name": "downsample",
                            "layers": [conv(8, 1, stride=2, bias=False), BN]},
               "activation": "relu"}
FIRE = {"type": "sequential", "name": "3", "layers": [
    named("squeeze", conv(4, 1)), named("squeeze_activation", RELU),
    {"type": "concat", "name": "", "branches": [
        {"type": "sequential", "name": "", "layers": [named("expand1x1", conv(4, 1)),
                                                      named("expand1x1_activation", RELU)]},
        {"type": "sequential", "name": "", "layers": [named("expand3x3", conv(4, 3, padding=1)),
                                                      named("expand3x3_activation", RELU)]}]}]}
DENSE_LAYER = {"type": "concat", "name": "denselayer1", "branches": [
    {"type": "sequential", "layers": []},
    {"type": "sequential", "name": "", "layers": [named("norm1", BN), named("relu1", RELU),
                                                  named("conv1", conv(4, padding=1))]}]}


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_round_trips_names_and_all(name):
    assert_round_trip(Network.load(name).to_dict())


def test_the_blocks_are_written_as_the_grammar_says():
    spec = {"input": [4, 8, 8], "layers": [
        named("stem", conv(4, padding=1)), BASIC_BLOCK, {"type": "sequential", "name": "features", "layers": [FIRE]},
        DENSE_LAYER, {"type": "residual", "body": [], "shortcut": conv(12, 1)}, {"type": "residual", "body": [RELU]},
        {"type": "global_avg_pool"}]}
    text = assert_round_trip(spec)
    assert text == (
        "in 4x8x8 | stem:conv 4 k3 p1"
        " | res( conv1:conv 8 k3 s2 p1 nobias | bn1:bn | relu:relu | conv2:conv 8 k3 p1 nobias | bn2:bn"
        " ; downsample:seq( conv 8 k1 s2 nobias | bn ) ) act=relu"
        " | features:seq( 3:seq( squeeze:conv 4 k1 | squeeze_activation:relu"
        " | :cat( :seq( expand1x1:conv 4 k1 | expand1x1_activation:relu )"
        " ; :seq( expand3x3:conv 4 k3 p1 | expand3x3_activation:relu ) ) ) )"
        " | denselayer1:cat( seq() ; :seq( norm1:bn | relu1:relu | conv1:conv 4 k3 p1 ) )"
        " | res( ; conv 12 k1 ) | res( relu ) | gap")
    assert analyze(parse(text)).problems == []


def test_a_default_name_is_not_written_and_any_other_is():
    spec = {"input": [1, 4, 4], "layers": [named("0", RELU), named("2", RELU), {"type": "residual", "body": [
        named("0", RELU)], "shortcut": named("shortcut", RELU)}, {"type": "residual", "body": [RELU],
                                                                  "shortcut": named("skip", RELU)}]}
    assert format_text(spec) == "in 1x4x4 | relu | 2:relu | res( relu ; relu ) | res( relu ; skip:relu )"


def test_spaces_around_the_punctuation_do_not_matter():
    tight = parse("in 1x4x4|a:seq(relu|b:res(relu;conv 1 k1)act=tanh)|cat(relu;seq())")
    loose = parse("in 1x4x4 | a : seq ( relu | b : res ( relu ; conv 1 k1 ) act=tanh ) | cat ( relu ; seq ( ) )")
    assert tight == loose == {"input": [1, 4, 4], "layers": [
        {"type": "sequential", "name": "a", "layers": [
            {"type": "relu"}, {"type": "residual", "name": "b", "body": [{"type": "relu"}],
                               "shortcut": {"type": "conv2d", "out_channels": 1, "kernel_size": 1},
                               "activation": "tanh"}]},
        {"type": "concat", "branches": [{"type": "relu"}, {"type": "sequential", "layers": []}]}]}


@pytest.mark.parametrize(("text", "token", "code"), [
    ("in 1x8x8 | seq( relu", "(", "text_unclosed"),
    ("in 1x8x8 | res( relu | cat( relu ; relu )", "(", "text_unclosed"),
    ("in 1x8x8 | relu )", ")", "text_stray_close"),
    ("in 1x8x8 | relu ; relu", ";", "text_stray_semicolon"),
    ("in 1x8x8 | seq( relu ; relu )", ";", "text_stray_semicolon"),
    ("in 1x8x8 | cat( relu ; ; relu )", ";", "text_empty_branch"),
    ("in 1x8x8 | cat( relu ; )", ")", "text_empty_branch"),
    ("in 1x8x8 | res( relu ; )", ")", "text_empty_branch"),
    ("in 1x8x8 | cat( relu | relu ; relu )", "|", "text_branch_one_node"),
    ("in 1x8x8 | res( relu ; relu | relu )", "|", "text_shortcut_one_node"),
    ("in 1x8x8 | res( relu ; relu ; relu )", ";", "text_two_shortcuts"),
    ("in 1x8x8 | seq relu", "seq", "text_needs_paren"),
    ("in 1x8x8 | conv-1:conv 6 k3", "conv-1", "text_bad_name"),
    ("in 1x8x8 | a: | relu", ":", "text_misplaced_colon"),
    ("in 1x8x8 | conv 6 k3 : relu", ":", "text_misplaced_colon"),
    ("in 1x8x8 | conv( 6 k3 )", "(", "text_misplaced_paren"),
    ("in 1x8x8 | seq( relu ) act=relu", "act=relu", "text_after_block"),
    ("in 1x8x8 | res( relu ) relu", "relu", "text_after_block"),
    ("in 1x8x8 | res( relu ) act=softmax", "act=softmax", "text_bad_activation"),
    ("in 1x8x8 | seq( relu | )", "|", "text_empty_layer"),
    ("in 1x8x8 | seq( | relu )", "|", "text_empty_layer"),
    ("in 1x8x8 | relu zz", "zz", "text_no_options"),
    ("in 1x8x8 | bn k3", "k3", "text_bad_option"),
    ("in 1x8x8 | sq( relu )", "sq", "text_unknown_word"),
])
def test_block_mistakes_point_at_the_token_in_one_line_in_both_languages(text, token, code):
    with pytest.raises(TextFormError) as caught:
        parse(text)
    error = caught.value
    assert (error.token, error.message.code) == (token, code)
    assert text[error.position:].startswith(token)
    assert "\n" not in str(error)
    for language in ("en", "zh"):
        assert f"engine.{code}" in catalog(language)


def test_an_unknown_word_suggests_the_block_words_too():
    with pytest.raises(TextFormError) as caught:
        parse("in 1x8x8 | sq( relu )")
    assert "did you mean 'seq'" in str(caught.value) and "seq( )" in str(caught.value)


# -- random trees ----------------------------------------------------------------------------

LEAVES = [RELU, {"type": "tanh"}, BN, {"type": "batchnorm2d", "momentum": None, "affine": False},
          conv(3, 1), conv(2, [3, 1], stride=2, padding="same", groups=2), {"type": "dropout", "p": 0.125},
          {"type": "leaky_relu", "negative_slope": 0.3}, {"type": "maxpool2d", "kernel_size": 2, "ceil_mode": True},
          {"type": "adaptive_avg_pool2d", "output_size": [2, 3]}, {"type": "linear", "out_features": 4, "bias": False}]
NAMES = st.one_of(st.none(), st.just(""), st.from_regex(r"[A-Za-z0-9_]{1,6}", fullmatch=True))


def with_name(draw, node: dict) -> dict:
    name = draw(NAMES)
    return node if name is None else named(name, node)


@st.composite
def trees(draw, depth: int = 3) -> dict:
    kind = draw(st.sampled_from(["leaf", "leaf", "sequential", "residual", "concat"] if depth else ["leaf"]))
    if kind == "leaf":
        return with_name(draw, draw(st.sampled_from(LEAVES)))
    children = draw(st.lists(trees(depth - 1), min_size=0 if kind != "concat" else 1, max_size=3))
    node: dict = {"type": kind, CHILDREN[kind]: children}
    if kind == "residual":
        if draw(st.booleans()):
            node["shortcut"] = draw(trees(depth - 1))
        if draw(st.booleans()):
            node["activation"] = draw(st.sampled_from(["relu", "leaky_relu", "hardswish"]))
    return with_name(draw, node)


@given(st.lists(trees(), max_size=4))
def test_random_trees_round_trip(layers):
    assert_round_trip({"input": [3, 8, 8], "layers": layers})
