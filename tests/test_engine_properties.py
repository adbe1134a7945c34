"""Property tests: random valid networks agree with themselves and with PyTorch's
size rule; random broken ones are always a SpecError, never a crash."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cnntui.core import LAYER_TYPES, CnntuiError, Network, SpecError, analyze
from conftest import valid_network_specs


# -- valid networks -----------------------------------------------------------------


# -inf from an all-padding max-pool window (as in PyTorch) can turn into NaN downstream
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=60)
@given(valid_network_specs(), st.integers(1, 2), st.integers(0, 2**16))
def test_analysis_shapes_match_forward(spec_and_shapes, batch, seed):
    spec, expected = spec_and_shapes
    net = Network.from_dict(spec)
    summary = net.summary()
    assert summary.ok
    # analysis agrees with PyTorch's size rule, restated independently in conftest
    assert [r.output_shape for r in summary] == expected
    for record, before in zip(summary, [tuple(spec["input"]), *expected]):
        assert record.input_shape == before

    net.init_weights(seed)
    x = np.random.default_rng(seed).standard_normal((batch, *spec["input"])).astype(np.float32)
    outputs = net.forward(x)
    assert len(outputs) == len(expected)
    for out, shape in zip(outputs, expected):
        assert out.shape == (batch, *shape)
        assert out.dtype == np.float32
        # (values may be -inf: PyTorch's max pooling gives -inf for a window whose
        # dilated taps all land in the padding, and so does the engine)
    single = net.forward(x[0])
    assert [o.shape for o in single] == expected


@settings(max_examples=80)
@given(valid_network_specs(), st.integers(0, 100))
def test_param_counts_match_weight_arrays(spec_and_shapes, seed):
    spec, _ = spec_and_shapes
    net = Network.from_dict(spec)
    summary = net.summary()
    net.init_weights(seed)
    assert summary.total_params == sum(a.size for a in net.weights.values())
    for record in summary:
        w = net.weights.get(f"{record.index}.weight")
        b = net.weights.get(f"{record.index}.bias")
        assert record.weights == (0 if w is None else w.size)
        assert record.biases == (0 if b is None else b.size)
        layer = spec["layers"][record.index]
        if layer["type"] == "conv2d":
            kh, kw = (layer["kernel_size"],) * 2 if isinstance(layer["kernel_size"], int) else layer["kernel_size"]
            c_in = record.input_shape[0]
            assert w.shape == (layer["out_channels"], c_in, kh, kw)
            assert (b is not None) == layer.get("bias", True)
            c_out, h_out, w_out = record.output_shape
            assert record.macs == c_out * h_out * w_out * c_in * kh * kw
        elif layer["type"] == "linear":
            assert w.shape == (layer["out_features"], record.input_shape[0])
            assert record.macs == record.input_shape[0] * layer["out_features"]
        else:
            assert w is None and b is None and record.macs == 0


@settings(max_examples=80)
@given(valid_network_specs())
def test_receptive_field_grows_monotonically(spec_and_shapes):
    spec, _ = spec_and_shapes
    summary = analyze(spec)
    previous, jump = (1, 1), (1, 1)
    for record in summary:
        assert all(a >= b for a, b in zip(record.receptive_field, previous))
        assert all(a >= b for a, b in zip(record.jump, jump))
        previous, jump = record.receptive_field, record.jump
        assert record.derivation  # every valid layer explains itself


def brute_unused(size, kernel, stride, pad, dilation, out):
    reached = {o * stride + t * dilation - pad for o in range(out) for t in range(kernel)}
    return [i for i in range(size) if i not in reached]


@settings(max_examples=100)
@given(st.integers(1, 12), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2), st.integers(1, 3))
def test_unused_notes_match_brute_force(size, kernel, stride, pad, dilation):
    layer = {"type": "conv2d", "out_channels": 1, "kernel_size": [kernel, 1], "stride": [stride, 1],
             "padding": [pad, 0], "dilation": [dilation, 1]}
    summary = analyze({"input": [1, size, 3], "layers": [layer]})
    if not summary.ok:
        assert dilation * (kernel - 1) + 1 > size + 2 * pad
        return
    out = summary[0].output_shape[1]
    unused = brute_unused(size, kernel, stride, pad, dilation, out)
    notes = [str(n) for n in summary[0].notes]
    row_notes = [n for n in notes if "rows" in n]
    assert not [n for n in notes if "columns" in n]
    if not unused:
        assert row_notes == []
    else:
        assert len(row_notes) == 1
        assert str(unused[0]) in row_notes[0]
        if len(unused) > 1:
            assert str(unused[1]) in row_notes[0] or f"{unused[0]}-{unused[-1]}" in row_notes[0]


# -- broken networks -----------------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers(-3, 3) | st.integers()
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
not_int = (st.none() | st.booleans() | st.floats() | st.text(max_size=4)
           | st.dictionaries(st.text(max_size=3), json_scalars, max_size=2))

# Values each kind of field can never accept.
INVALID = {
    "count": not_int | st.integers(max_value=0) | st.lists(st.integers(1, 3), max_size=3),
    "pair": (not_int | st.integers(max_value=0)
             | st.lists(st.integers(1, 3), max_size=4).filter(lambda v: len(v) != 2)
             | st.tuples(st.integers(1, 3), not_int | st.integers(max_value=0)).map(list)),
    "padding": not_int | st.integers(max_value=-1) | st.lists(st.integers(0, 1), min_size=3, max_size=4),
    "conv_padding": (st.none() | st.booleans() | st.floats() | st.integers(max_value=-1)
                     | st.text(max_size=6).filter(lambda t: t not in ("same", "valid"))),
    "bool": st.none() | st.integers() | st.floats() | st.text(max_size=4) | st.lists(st.booleans(), max_size=2),
    "number": (st.none() | st.booleans() | st.text(max_size=4) | st.lists(st.floats(), max_size=2)
               | st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**400, -10**400])),
}
INVALID["optional_pair"] = INVALID["pair"].filter(lambda v: v is not None)


def invalid_for(kind):
    return INVALID[kind]


@st.composite
def broken_specs(draw):
    """A valid network with one change that certainly makes it invalid."""
    spec, shapes = draw(valid_network_specs(max_body=3))
    layers = spec["layers"]
    how = draw(st.sampled_from(["type", "field", "unknown_field", "missing", "layer", "top", "shape"]))
    if how in ("type", "field", "unknown_field", "missing", "layer") and not layers:
        how = "top"
    if how in ("type", "field", "unknown_field", "missing", "layer"):
        i = draw(st.integers(0, len(layers) - 1))
        layer = layers[i]
        fields = LAYER_TYPES[layer["type"]].fields
        if how == "type":
            layer["type"] = draw(json_values.filter(lambda v: not (isinstance(v, str) and v in LAYER_TYPES)))
        elif how == "field" and fields:
            name = draw(st.sampled_from(sorted(fields)))
            layer[name] = draw(invalid_for(fields[name].kind))
        elif how == "missing" and any(f.required for f in fields.values()):
            del layer[draw(st.sampled_from(sorted(n for n, f in fields.items() if f.required)))]
        elif how == "layer":
            layers[i] = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        else:
            name = draw(st.text(min_size=1, max_size=8).filter(lambda n: n not in fields and n != "type"))
            layer[name] = draw(json_values)
    elif how == "top":
        change = draw(st.sampled_from(["input", "layers", "unknown", "drop", "name", "whole"]))
        if change == "input":
            spec["input"] = draw(json_values.filter(
                lambda v: not (isinstance(v, list) and len(v) == 3
                               and all(type(x) is int and x >= 1 for x in v))))
        elif change == "layers":
            spec["layers"] = draw(json_values.filter(lambda v: not isinstance(v, list)))
        elif change == "unknown":
            spec[draw(st.text(max_size=8).filter(
                lambda k: k not in ("input", "layers", "name", "description", "classes", "weights")))] = draw(json_values)
        elif change == "drop":
            del spec[draw(st.sampled_from(["input", "layers"]))]
        elif change == "name":
            spec["name"] = draw(json_values.filter(lambda v: not isinstance(v, str)))
        else:
            spec = draw(json_values.filter(lambda v: not isinstance(v, dict)))
    else:
        # a shape that cannot work: append a layer that does not fit the last output
        last = shapes[-1] if shapes else tuple(spec["input"])
        if len(last) == 3:
            c, h, w = last
            layers.append(draw(st.sampled_from([
                {"type": "linear", "out_features": 2},
                {"type": "softmax"},
                {"type": "conv2d", "out_channels": 1, "kernel_size": [h + 3, w + 3], "padding": 1},
                {"type": "maxpool2d", "kernel_size": [h + 3, w + 3], "padding": 1},
                {"type": "avgpool2d", "kernel_size": 2, "padding": 2},
            ])))
        else:
            layers.append(draw(st.sampled_from([
                {"type": "conv2d", "out_channels": 1, "kernel_size": 1},
                {"type": "maxpool2d", "kernel_size": 1},
                {"type": "global_avg_pool"},
            ])))
    return spec


@settings(max_examples=200)
@given(broken_specs())
# known cases, always tried: an unhashable layer type, an explicit null input,
# an integer too big for a float in a number field
@example({"input": [1, 2, 2], "layers": [{"type": ["relu"]}]})
@example({"input": None, "layers": [{"type": "relu"}]})
@example({"input": [1, 2, 2], "layers": [{"type": "leaky_relu", "negative_slope": 10**400}]})
def test_broken_specs_are_spec_errors(spec):
    summary = analyze(spec)  # must never raise
    assert not summary.ok
    assert summary.problems
    try:
        Network.from_dict(spec)
    except SpecError as error:
        assert error.problems
        assert len(error.problems) == len(summary.problems)
        assert str(error)
    else:
        raise AssertionError(f"accepted a broken network: {spec!r}")


top_level_garbage = st.one_of(
    json_values,
    st.dictionaries(
        st.sampled_from(["input", "layers", "name", "classes", "weights", "description"]) | st.text(max_size=5),
        json_values | st.lists(json_values | st.fixed_dictionaries(
            {"type": st.sampled_from(sorted(LAYER_TYPES)) | json_values}, optional={
                "kernel_size": json_values, "out_channels": json_values, "padding": json_values,
                "stride": json_values, "out_features": json_values, "negative_slope": json_values,
                "ceil_mode": json_values}), max_size=3),
        max_size=4),
)


@settings(max_examples=200)
@given(top_level_garbage)
@example({"layers": [{"type": {}}]})
@example({"input": None, "layers": []})
def test_garbage_never_crashes(spec):
    summary = analyze(spec)  # must never raise
    try:
        net = Network.from_dict(spec)
    except SpecError:
        assert not summary.ok
        return
    # Whatever is accepted must be a usable network.
    assert summary.ok
    shape = net.input_shape
    assert isinstance(shape, tuple) and len(shape) == 3 and all(type(v) is int and v >= 1 for v in shape)
    assert all(r.output_shape is not None for r in net.summary())
    if math.prod(shape) <= 4096 and net.summary().total_params <= 100_000:
        net.init_weights(0)
        try:
            net.forward(np.zeros(shape, dtype=np.float32))
        except CnntuiError:
            pass  # e.g. a memory budget; a user error, not a crash
