"""The block engine (#16) on small hand-written networks: paths and names, shapes where
branches meet, forward and backward through residual and concat blocks, batch norm's state,
and the CLI's tree, JSON, forward and render for block networks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cnntui.core import Network, WeightsError, analyze
from cnntui.core.analysis import BlockRecord, LayerRecord
from test_cli import assert_user_error, run
from test_engine_backward import numeric_grad

INPUT = [3, 8, 8]
BN_KINDS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def conv(channels: int, kernel: int = 3, **settings) -> dict:
    return {"type": "conv2d", "out_channels": channels, "kernel_size": kernel, **settings}


def net_spec(*layers) -> dict:
    return {"input": INPUT, "layers": list(layers)}


def paths(summary) -> list[str]:
    return [record.path for record in summary]


def codes(summary) -> list[str]:
    return [problem.message.code for problem in summary.problems]


def write_net(tmp_path: Path, spec: dict, name: str = "net.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return path


# A residual block with an identity shortcut (its input is read twice), a downsampling one with a
# conv shortcut, and a concat with a named branch, an identity branch and a nested sequential.
TANGLED = net_spec(
    conv(4, padding=1, name="stem"),
    {"type": "residual", "name": "res", "body": [conv(4, padding=1), {"type": "tanh"}, conv(4, padding=1)],
     "activation": "tanh"},
    {"type": "residual", "name": "down", "body": [conv(6, stride=2, padding=1)],
     "shortcut": conv(6, 1, stride=2)},
    {"type": "concat", "name": "mix", "branches": [
        conv(2, 1, name="p"),
        {"type": "sequential", "layers": []},
        {"type": "sequential", "layers": [conv(3, padding=1, name="q"), {"type": "tanh"}]}]},
    {"type": "flatten"},
    {"type": "linear", "out_features": 3},
)
TANGLED_PATHS = ["stem", "res.0", "res.1", "res.2", "res", "down.0", "down.shortcut", "down",
                 "mix.p", "mix.2.q", "mix.2.1", "mix", "4", "5"]


# -- 1. paths and names -------------------------------------------------------

def test_default_names_are_positions_and_shortcut():
    summary = analyze(TANGLED)
    assert summary.ok, summary.problems
    assert paths(summary) == TANGLED_PATHS
    by_path = {record.path: record for record in summary}
    assert by_path["res"].sources == (by_path["res.2"].index, by_path["stem"].index)
    assert by_path["down"].sources == (by_path["down.0"].index, by_path["down.shortcut"].index)
    assert by_path["mix"].sources == (by_path["mix.p"].index, by_path["down"].index, by_path["mix.2.1"].index)
    assert [(b.path, b.type) for b in summary.blocks] == [
        ("res", "residual"), ("down", "residual"), ("mix", "concat"), ("mix.1", "sequential"),
        ("mix.2", "sequential")]


def test_a_plain_list_keeps_numbered_paths_and_chained_sources():
    summary = analyze(net_spec(conv(4), {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 2}))
    assert paths(summary) == ["0", "1", "2", "3"]
    assert [record.sources for record in summary] == [(-1,), (0,), (1,), (2,)]
    assert summary.blocks == [] and summary.top_level == summary.layers


def test_a_named_shortcut_sequential_is_one_node_under_the_residual():
    spec = net_spec(
        {"type": "sequential", "name": "layer2", "layers": [
            {"type": "residual", "body": [conv(8, stride=2, padding=1, name="conv1", bias=False),
                                          {"type": "batchnorm2d", "name": "bn1"}],
             "shortcut": {"type": "sequential", "name": "downsample",
                          "layers": [conv(8, 1, stride=2, bias=False), {"type": "batchnorm2d"}]},
             "activation": "relu"}]})
    summary = analyze(spec)
    assert summary.ok, summary.problems
    assert paths(summary) == ["layer2.0.conv1", "layer2.0.bn1", "layer2.0.downsample.0", "layer2.0.downsample.1",
                              "layer2.0"]
    assert [b.path for b in summary.blocks] == ["layer2", "layer2.0", "layer2.0.downsample"]
    assert list(Network.from_dict(spec).state_shapes()) == [
        "layer2.0.conv1.weight", *(f"layer2.0.bn1.{kind}" for kind in BN_KINDS),
        "layer2.0.downsample.0.weight", *(f"layer2.0.downsample.1.{kind}" for kind in BN_KINDS)]


def test_transparent_blocks_put_their_children_in_the_parents_list():
    fire = {"type": "sequential", "name": "fire", "layers": [
        conv(2, 1, name="squeeze"), {"type": "relu", "name": "squeeze_activation"},
        {"type": "concat", "name": "", "branches": [
            {"type": "sequential", "name": "", "layers": [conv(4, 1, name="expand1x1"),
                                                          {"type": "relu", "name": "expand1x1_activation"}]},
            {"type": "sequential", "name": "", "layers": [conv(4, padding=1, name="expand3x3"),
                                                          {"type": "relu", "name": "expand3x3_activation"}]}]}]}
    summary = analyze(net_spec(fire))
    assert summary.ok, summary.problems
    assert paths(summary) == ["fire.squeeze", "fire.squeeze_activation", "fire.expand1x1",
                              "fire.expand1x1_activation", "fire.expand3x3", "fire.expand3x3_activation", "fire"]
    assert summary[-1].type == "concat" and summary[-1].output_shape == (8, 8, 8)
    assert Network.from_dict(net_spec(fire)).param_shapes() == {
        "fire.squeeze.weight": (2, 3, 1, 1), "fire.squeeze.bias": (2,),
        "fire.expand1x1.weight": (4, 2, 1, 1), "fire.expand1x1.bias": (4,),
        "fire.expand3x3.weight": (4, 2, 3, 3), "fire.expand3x3.bias": (4,)}


def test_top_level_has_one_record_per_entry_of_layers():
    summary = analyze(TANGLED)
    top = summary.top_level
    assert len(top) == len(TANGLED["layers"])
    assert [type(record) for record in top] == [LayerRecord, BlockRecord, BlockRecord, BlockRecord, LayerRecord,
                                                LayerRecord]
    assert [record.path for record in top] == ["stem", "res", "down", "mix", "4", "5"]
    assert top[3].output_shape == (11, 4, 4) and top[-1] is summary[-1]


BAD_BLOCKS = {
    "empty_layer_name": ([{"type": "sequential", "name": "stem", "layers": [conv(4, name="")]}], "stem.0"),
    "join_needs_name residual": ([{"type": "residual", "name": "", "body": [conv(3, padding=1)]}],
                                 "(top) residual"),
    "join_needs_name concat": ([{"type": "concat", "name": "", "branches": [conv(3, 1), conv(3, 1)]}],
                               "(top) concat"),
    "duplicate_name": ([{"type": "sequential", "name": "stem", "layers": [conv(4, name="a"), conv(4, name="a")]}],
                       "stem.a"),
    # stem's transparent first child numbers its own children stem.0 and stem.1
    "duplicate_path": ([{"type": "sequential", "name": "stem", "layers": [
        {"type": "sequential", "name": "", "layers": [conv(4), {"type": "relu"}]}, conv(4, name="1")]}], "stem.1"),
    "reserved_path input": ([conv(4, name="input")], "input conv2d"),
    "reserved_path output": ([{"type": "residual", "name": "output", "body": [conv(3, padding=1)]}],
                             "output residual"),
    "bad_name": ([{"type": "sequential", "name": "stem", "layers": [conv(4, name="a.b")]}], "stem.0"),
    "unknown_block_key": ([{"type": "sequential", "name": "stage", "layers": [
        {"type": "residual", "body": [conv(3, padding=1)], "shortcutt": conv(3, 1)}]}], "stage.0 residual"),
    "concat_few_branches": ([{"type": "concat", "name": "mix", "branches": [conv(3, 1)]}], "mix concat"),
    "bad_shortcut": ([{"type": "residual", "name": "blk", "body": [conv(3, padding=1)], "shortcut": [conv(3, 1)]}],
                     "blk residual"),
}


@pytest.mark.parametrize("case", list(BAD_BLOCKS))
def test_bad_blocks_give_one_problem_naming_the_path(case, tmp_path):
    layers, where = BAD_BLOCKS[case]
    summary = analyze(net_spec(*layers))
    assert codes(summary) == [case.split()[0]], [str(p) for p in summary.problems]
    result = run("summary", write_net(tmp_path, net_spec(*layers)))
    assert_user_error(result, where)
    assert result.stdout == ""


def test_two_siblings_with_one_name_are_reported_once(tmp_path):
    layers, _ = BAD_BLOCKS["duplicate_name"]
    result = run("summary", write_net(tmp_path, net_spec(*layers)))
    assert result.stderr.count("named 'a'") == 1 and "would be named" not in result.stderr, result.stderr


# -- 2. shapes ----------------------------------------------------------------

def test_residual_mismatch_without_shortcut_suggests_a_strided_1x1_conv():
    # conv k2 makes the block's input 8x7x7; the body ends 16x4x4
    summary = analyze(net_spec(conv(8, 2), {"type": "sequential", "name": "stage", "layers": [
        {"type": "residual", "body": [conv(16, stride=2, padding=1)]}]}))
    assert codes(summary) == ["residual_mismatch"]
    problem = summary.problems[0]
    assert problem.path == "stage.0"
    fix = problem.message.args["fix"]
    assert (fix.code, fix.args) == ("fix_add_shortcut_conv", {"stride": 2, "channels": 16})
    text = str(problem)
    assert "16x4x4" in text and "8x7x7" in text
    assert "1x1 conv2d with stride 2 and 16 output channels" in text


def test_residual_mismatch_with_a_shortcut_says_what_it_must_output():
    summary = analyze(net_spec(conv(8, 2), {"type": "residual", "name": "blk", "body": [conv(16, stride=2, padding=1)],
                                            "shortcut": conv(16, 1)}))
    assert codes(summary) == ["residual_mismatch"]
    text = str(summary.problems[0])
    assert text.startswith("blk residual: ") and "16x7x7" in text
    assert "change the shortcut so that it outputs 16x4x4" in text


def test_concat_height_mismatch_names_both_branches_and_shapes(tmp_path):
    spec = net_spec({"type": "sequential", "name": "stage", "layers": [
        {"type": "concat", "name": "mix", "branches": [conv(4, 1, name="left"), conv(4, 3, name="right")]}]})
    summary = analyze(spec)
    assert codes(summary) == ["concat_mismatch"]
    text = str(summary.problems[0])
    assert text.startswith("stage.mix concat: ")
    assert "'left' gives 4x8x8" in text and "'right' gives 4x6x6" in text
    assert_user_error(run("summary", write_net(tmp_path, spec)), "stage.mix", "'left' gives 4x8x8",
                      "'right' gives 4x6x6")


def test_a_concat_of_vectors_joins_the_features():
    summary = analyze(net_spec({"type": "flatten"}, {"type": "concat", "name": "mix", "branches": [
        {"type": "linear", "out_features": 5}, {"type": "linear", "out_features": 7}]},
        {"type": "linear", "out_features": 2}))
    assert summary.ok, summary.problems
    assert [r.output_shape for r in summary] == [(192,), (5,), (7,), (12,), (2,)]
    assert summary[-1].params == (12 + 1) * 2


@pytest.mark.parametrize("body, shortcut, field", [
    ([conv(3, padding=1), conv(3, padding=1)], None, 5),  # body 5, identity 1
    ([conv(3, 1)], conv(3, 5, padding=2), 5),  # body 1, shortcut 5
])
def test_a_residuals_receptive_field_is_the_larger_branchs(body, shortcut, field):
    block = {"type": "residual", "name": "blk", "body": body, **({"shortcut": shortcut} if shortcut else {})}
    summary = analyze(net_spec(block))
    assert summary.ok, summary.problems
    assert summary[-1].path == "blk" and summary[-1].receptive_field == (field, field)
    assert summary.blocks[0].receptive_field == (field, field)


def test_block_totals_are_the_sums_of_their_steps():
    spec = net_spec({"type": "sequential", "name": "layer1", "layers": [
        {"type": "residual", "body": [conv(4, padding=1, name="conv1"), {"type": "batchnorm2d", "name": "bn1"}],
         "shortcut": conv(4, 1)}]})
    summary = analyze(spec)
    assert summary.ok, summary.problems
    sequential, residual = summary.blocks
    # conv1 (3*9 + 1)*4 on 8x8; bn1 4 + 4 (and 3*4 buffers' values + the count); shortcut (3 + 1)*4
    assert (residual.params, residual.macs, residual.buffers) == (112 + 8 + 16, 4 * 64 * 27 + 4 * 64 * 3, 9)
    for block in (sequential, residual):
        inside = [r for r in summary if r.path == block.path or r.path.startswith(block.path + ".")]
        assert [r.index for r in inside] == list(range(block.first, block.last + 1))
        assert block.params == sum(r.params for r in inside) == summary.total_params
        assert block.macs == sum(r.macs for r in inside) == summary.total_macs
        assert block.output_shape == (4, 8, 8) and block.input_shape == (3, 8, 8)


# -- 3. the Network -----------------------------------------------------------

def tangled_reference(net: Network, x: np.ndarray) -> dict[str, np.ndarray]:
    """TANGLED's output at every path, composed by hand from each layer's own forward."""
    layers = {record.path: record.layer for record in net.summary()}

    def run_layer(path, value):
        params = {kind: net.weights[f"{path}.{kind}"] for kind in ("weight", "bias") if f"{path}.{kind}" in net.weights}
        out[path] = layers[path].forward(value, params)
        return out[path]

    out = {}
    stem = run_layer("stem", x)
    body = run_layer("res.2", run_layer("res.1", run_layer("res.0", stem)))
    res = out["res"] = np.tanh(body + stem)
    down = out["down"] = run_layer("down.0", res) + run_layer("down.shortcut", res)
    mix = out["mix"] = np.concatenate([run_layer("mix.p", down), down,
                                       run_layer("mix.2.1", run_layer("mix.2.q", down))], axis=1)
    run_layer("5", run_layer("4", mix))
    return out


def seeded(spec: dict, seed: int = 0) -> Network:
    net = Network.from_dict(spec)
    net.init_weights(seed)
    return net


def test_forward_through_residual_and_concat_equals_a_hand_composition():
    net = seeded(TANGLED, 1)
    x = np.random.default_rng(2).standard_normal((2, *INPUT)).astype(np.float32)
    outputs = net.forward(x)
    reference = tangled_reference(net, x)
    assert len(outputs) == len(TANGLED_PATHS)
    for path, output in zip(TANGLED_PATHS, outputs):
        np.testing.assert_allclose(output, reference[path], rtol=1e-5, atol=1e-6, err_msg=path)


def test_backward_sums_the_gradients_of_a_value_read_twice():
    """Finite differences in float64 of the hand composition against Network.backward."""
    net = Network.from_dict(TANGLED)
    rng = np.random.default_rng(3)
    net.weights = {key: rng.standard_normal(shape) * 0.5 for key, shape in net.param_shapes().items()}
    x = rng.standard_normal((2, *INPUT))
    reference = tangled_reference(net, x)
    outputs = [reference[path] for path in TANGLED_PATHS]
    g = rng.standard_normal(outputs[-1].shape)

    def loss():
        return float((tangled_reference(net, x)["5"] * g).sum())

    grad_x, grads = net.backward(x, outputs, g)
    assert list(grads) == list(net.weights)
    np.testing.assert_allclose(grad_x, numeric_grad(loss, x), rtol=1e-6, atol=1e-6)
    for key, weight in net.weights.items():
        np.testing.assert_allclose(grads[key], numeric_grad(loss, weight), rtol=1e-6, atol=1e-6, err_msg=key)


def test_backward_from_a_join_equals_the_network_that_ends_there():
    net = seeded(TANGLED, 4)
    x = np.random.default_rng(5).standard_normal((2, *INPUT)).astype(np.float32)
    outputs = net.forward(x)
    down = TANGLED_PATHS.index("down")
    g = np.random.default_rng(6).standard_normal(outputs[down].shape).astype(np.float32)
    grad_x, grads = net.backward(x, outputs, g, from_layer=down)

    head = seeded(net_spec(*TANGLED["layers"][:3]))
    head.set_weights({key: value for key, value in net.weights.items() if key in head.state_shapes()})
    head_outputs = head.forward(x)
    np.testing.assert_array_equal(head_outputs[-1], outputs[down])
    want_x, want = head.backward(x, head_outputs, g)
    assert list(grads) == list(want) == [key for key in net.param_shapes() if key.split(".")[0] in
                                         ("stem", "res", "down")]
    np.testing.assert_allclose(grad_x, want_x, rtol=1e-6, atol=1e-7)
    for key in want:
        np.testing.assert_allclose(grads[key], want[key], rtol=1e-6, atol=1e-7, err_msg=key)


def test_infer_equals_the_last_forward_output():
    net = seeded(TANGLED, 7)
    batch = np.random.default_rng(8).standard_normal((3, *INPUT)).astype(np.float32)
    np.testing.assert_array_equal(net.infer(batch), net.forward(batch)[-1])
    np.testing.assert_array_equal(net.infer(batch[0]), net.forward(batch[0])[-1])
    assert net.infer(batch[0]).shape == (3,)


def test_outputs_by_path_has_input_every_path_and_output():
    net = seeded(TANGLED)
    x = np.random.default_rng(9).standard_normal(INPUT).astype(np.float32)
    outputs = net.forward(x)
    arrays = net.outputs_by_path(x, outputs)
    assert list(arrays) == ["input", *TANGLED_PATHS, "output"]
    np.testing.assert_array_equal(arrays["input"], x)
    np.testing.assert_array_equal(arrays["output"], outputs[-1])
    np.testing.assert_array_equal(arrays["mix"], outputs[TANGLED_PATHS.index("mix")])


BN_NET = net_spec(conv(4, padding=1, name="stem"),
                  {"type": "residual", "name": "res", "body": [conv(4, padding=1, name="conv1"),
                                                               {"type": "batchnorm2d", "name": "bn1"}],
                   "activation": "relu"},
                  {"type": "flatten", "name": "flat"}, {"type": "linear", "name": "fc", "out_features": 2})
BN_PARAMS = {"stem.weight": (4, 3, 3, 3), "stem.bias": (4,), "res.conv1.weight": (4, 4, 3, 3),
             "res.conv1.bias": (4,), "res.bn1.weight": (4,), "res.bn1.bias": (4,), "fc.weight": (2, 256),
             "fc.bias": (2,)}


def test_state_shapes_include_batch_norm_buffers_and_param_shapes_do_not():
    net = Network.from_dict(BN_NET)
    assert net.param_shapes() == BN_PARAMS
    buffers = {"res.bn1.running_mean": (4,), "res.bn1.running_var": (4,), "res.bn1.num_batches_tracked": ()}
    assert net.state_shapes() == {**BN_PARAMS, **buffers}
    # PyTorch's order: each layer's parameters, then its buffers
    keys = list(net.state_shapes())
    assert keys.index("res.bn1.bias") + 1 == keys.index("res.bn1.running_mean")
    assert keys.index("res.bn1.num_batches_tracked") + 1 == keys.index("fc.weight")


@pytest.mark.parametrize("key, value, code", [
    ("res.bn1.running_var", np.array([1.0, -0.5, 1.0, 1.0], dtype=np.float32), "state_negative_variance"),
    ("res.bn1.num_batches_tracked", np.array(2.7), "state_bad_count"),
    ("res.bn1.num_batches_tracked", np.array(-1, dtype=np.int64), "state_bad_count"),
])
def test_impossible_batch_norm_state_is_refused(key, value, code):
    net = seeded(BN_NET)
    state = dict(net.weights, **{key: value})
    with pytest.raises(WeightsError) as error:
        net.set_weights(state)
    assert error.value.message.code == code
    assert key in str(error.value)


def test_a_0d_batch_count_stays_0d_int64_through_a_file(tmp_path):
    net = seeded(BN_NET)
    state = dict(net.weights, **{"res.bn1.num_batches_tracked": np.array(3, dtype=np.int64)})
    net.set_weights(state)
    assert net.weights["res.bn1.num_batches_tracked"].shape == ()
    net.save_weights(tmp_path / "w.npz")
    again = Network.from_dict(BN_NET)
    again.load_weights(tmp_path / "w.npz")
    count = again.weights["res.bn1.num_batches_tracked"]
    assert count.shape == () and count.dtype == np.int64 and int(count) == 3


@pytest.mark.parametrize("activation, scheme", [("relu", "he"), (None, "xavier")])
def test_init_scheme_counts_a_residuals_activation(activation, scheme):
    block = {"type": "residual", "name": "res", "body": [conv(3, padding=1)],
             **({"activation": activation} if activation else {})}
    net = Network.from_dict(net_spec(conv(3, padding=1), block, {"type": "flatten"},
                                     {"type": "linear", "out_features": 2}))
    assert net.init_scheme() == scheme
    assert net.init_weights(0) == scheme


def test_training_updates_batch_norm_running_stats_and_eval_does_not():
    net = seeded(BN_NET, 2)
    x = np.random.default_rng(3).standard_normal((4, *INPUT)).astype(np.float32)
    before = {key: value.copy() for key, value in net.weights.items()}
    net.forward(x)
    for key in before:
        np.testing.assert_array_equal(net.weights[key], before[key], err_msg=key)

    outputs = net.forward(x, training=True, seed=0)
    seen = outputs[[record.path for record in net.summary()].index("res.conv1")].astype(np.float64)
    mean, var = seen.mean(axis=(0, 2, 3)), seen.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(net.weights["res.bn1.running_mean"], 0.1 * mean, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(net.weights["res.bn1.running_var"], 0.9 + 0.1 * var, rtol=1e-4, atol=1e-6)
    assert int(net.weights["res.bn1.num_batches_tracked"]) == 1
    assert not np.array_equal(net.weights["res.bn1.running_var"], before["res.bn1.running_var"])


# -- 4. the CLI ---------------------------------------------------------------

def table_rows(stdout: str) -> list[str]:
    """The rows between the header's rule and the totals' rule, without notes."""
    lines = stdout.splitlines()
    start = lines.index("-" * 80) + 1
    end = lines.index("=" * 80, start)
    return [line for line in lines[start:end] if not line.lstrip().startswith("note:")]


def test_summary_tree_of_a_block_network_fits_80_columns(tmp_path):
    result = run("summary", write_net(tmp_path, TANGLED))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    labels = [row[:29].rstrip() for row in table_rows(result.stdout)]  # the label column
    assert labels[:7] == ["stem (conv2d)", "res (residual)", "  0 (conv2d)", "  1 (tanh)", "  2 (conv2d)",
                          "  = body + shortcut, tanh", "down (residual)"]
    assert "  = concat 2+6+3" in labels


@pytest.mark.parametrize("preset", ["resnet18", "mobilenet_v2", "densenet121", "googlenet", "squeezenet1_1"])
def test_summary_tree_of_a_preset_fits_80_columns(preset):
    result = run("summary", preset)
    assert result.returncode == 0, result.stderr
    assert "Layer (type)" in result.stdout
    long = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert not long, long


def test_summary_depth_0_shows_only_top_level_rows(tmp_path):
    result = run("summary", write_net(tmp_path, TANGLED), "--depth", "0")
    assert result.returncode == 0, result.stderr
    labels = [row[:29].rstrip() for row in table_rows(result.stdout)]  # the label column
    assert labels == ["stem (conv2d)", "res (residual)", "down (residual)", "mix (concat)", "4 (flatten)",
                      "5 (linear)"]


def test_summary_depth_of_a_plain_network_says_so_and_prints_the_table():
    result = run("summary", "lenet5", "--depth", "1")
    assert result.returncode == 0, result.stderr
    assert "--depth folds blocks, and this network has none" in result.stderr
    assert "Layer (type:index)" in result.stdout and "conv2d:0" in result.stdout


def test_summary_json_lists_every_step_with_sources_that_exist(tmp_path):
    result = run("summary", write_net(tmp_path, TANGLED), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    steps = data["layers"]
    assert [step["path"] for step in steps] == TANGLED_PATHS
    assert [step["index"] for step in steps] == list(range(len(steps)))
    assert [step["path"] for step in steps if step["join"]] == ["res", "down", "mix"]
    assert all(step["type"] in ("residual", "concat") for step in steps if step["join"])
    for step in steps:
        assert step["sources"] and all(source == -1 or 0 <= source < step["index"] for source in step["sources"])
    assert [block["path"] for block in data["blocks"]] == ["res", "down", "mix", "mix.1", "mix.2"]
    assert data["total_params"] == sum(step["params"] for step in steps) == analyze(TANGLED).total_params


def test_forward_writes_every_path_and_may_overwrite_its_own_output(tmp_path):
    net_file = write_net(tmp_path, TANGLED)
    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(0).standard_normal(INPUT).astype(np.float32))
    out = tmp_path / "acts.npz"
    first = run("forward", net_file, "--input", x, "--seed", "0", "--out", out)
    assert first.returncode == 0, first.stderr
    with np.load(out) as arrays:
        assert arrays.files == ["input", *TANGLED_PATHS, "output"]
        np.testing.assert_array_equal(arrays["output"], arrays["5"])
        assert arrays["mix"].shape == (11, 4, 4)
        first_output = arrays["output"].copy()
    second = run("forward", net_file, "--input", x, "--seed", "1", "--out", out)
    assert second.returncode == 0, second.stderr
    with np.load(out) as arrays:
        assert arrays.files == ["input", *TANGLED_PATHS, "output"]
        assert not np.array_equal(arrays["output"], first_output)  # written again, with other weights


def test_render_a_layer_by_path():
    result = run("render", "minires", "--layer", "layer1.0.conv1", "--ascii", "--colors", "none", "--width", "40")
    assert result.returncode == 0, result.stderr
    assert "layer layer1.0.conv1 conv2d 16x16x16" in result.stderr
    assert result.stdout.strip()


def test_render_an_unknown_path_suggests_the_nearest():
    assert_user_error(run("render", "minires", "--layer", "layer1.0.cov1"), "layer1.0.cov1",
                      "did you mean 'layer1.0.conv1'")
