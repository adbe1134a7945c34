"""The cnntui command, run as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnntui.core import Network

SCRIPT = Path(sys.executable).with_name("cnntui")


def run(*args: str, cwd: Path | None = None, module: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "cnntui"] if module else [str(SCRIPT)]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr starting 'cnntui: error:', no traceback."""
    lines = result.stderr.splitlines()
    error_lines = [line for line in lines if line.startswith("cnntui: error:")]
    assert result.returncode == 2, result.stderr
    assert len(error_lines) == 1 and lines[-1] == error_lines[0], result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]


@pytest.fixture
def image_file(tmp_path) -> Path:
    path = tmp_path / "digit.png"
    pixels = np.zeros((40, 40), dtype=np.uint8)
    pixels[10:30, 18:22] = 255
    Image.fromarray(pixels).save(path)
    return path


# -- summary ------------------------------------------------------------------

def test_summary_runs_from_any_directory_with_packaged_presets(tmp_path):
    result = run("summary", "lenet5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Total params: 61,706" in result.stdout


def test_summary_table_shows_each_layer_and_linear_share():
    result = run("summary", "tinyvgg")
    rows = [line.split() for line in result.stdout.splitlines() if line.split(" ")[0][-1:].isdigit()]
    assert [row[0] for row in rows] == [f"{t}:{i}" for i, t in enumerate(
        ["conv2d", "relu", "conv2d", "relu", "maxpool2d", "conv2d", "relu", "conv2d", "relu",
         "maxpool2d", "flatten", "linear", "softmax"])]
    linear = rows[11]
    assert linear[1:4] == ["10", "16,910", "84.9%"]  # (1690 + 1)*10 of 19,920
    assert rows[0][1] == "10x62x62" and rows[9][1] == "10x13x13"
    assert "Total params: 19,920 (weights 19,870, biases 50)" in result.stdout


def test_summary_explain_shows_derivations_with_numbers():
    result = run("summary", "lenet5", "--explain")
    assert "H_out = floor((32 + 2*0 - 1*(5-1) - 1)/1) + 1 = 28" in result.stdout
    assert "params = (5*5*1 + 1)*6 = 156" in result.stdout
    assert "params = (400 + 1)*120 = 48120" in result.stdout


def test_summary_json_matches_the_engine_and_honours_input_override():
    result = run("summary", "tinyvgg", "--json", "--input", "3x32x32")
    data = json.loads(result.stdout)
    assert data["input"] == [3, 32, 32]
    expected = Network.load("tinyvgg", (3, 32, 32)).summary()
    assert data["total_params"] == expected.total_params == 280 + 3 * 910 + (10 * 5 * 5 + 1) * 10
    assert data["total_macs"] == expected.total_macs
    for record, row in zip(expected, data["layers"]):
        assert row["index"] == record.index and row["type"] == record.type
        assert row["output_shape"] == list(record.output_shape)
        assert row["params"] == record.params and row["macs"] == record.macs
        assert row["receptive_field"] == list(record.receptive_field)


def test_summary_reports_unused_input_rows_as_a_note(tmp_path):
    spec = {"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2}]}
    path = tmp_path / "strided.json"
    path.write_text(json.dumps(spec))
    result = run("summary", path)
    assert result.returncode == 0
    assert "note: stride 2 leaves input rows 27 unused" in result.stdout


def test_plain_cnntui_and_python_dash_m_work():
    assert run().returncode == 0
    result = run("summary", "mlp", module=True)
    assert result.returncode == 0 and "Total params: 235,146" in result.stdout


# -- forward ------------------------------------------------------------------

def test_forward_from_image_writes_every_layer_matching_the_engine(tmp_path, image_file):
    out, weights = tmp_path / "acts.npz", tmp_path / "w.npz"
    result = run("forward", "lenet5", "--input", image_file, "--seed", "3", "--out", out, "--save-weights", weights)
    assert result.returncode == 0, result.stderr
    assert "40x40 L -> grey 1x32x32" in result.stderr
    assert "seed 3" in result.stderr
    with np.load(out, allow_pickle=False) as acts:
        assert sorted(acts.files, key=lambda k: (k != "input", k == "output", len(k), k)) == [
            "input", *map(str, range(13)), "output"]
        x = acts["input"]
        assert x.shape == (1, 32, 32) and x.dtype == np.float32
        assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.5  # the bright stroke survived
        net = Network.load("lenet5")
        net.load_weights(weights)
        outputs = net.forward(x)
        for i, expected in enumerate(outputs):
            np.testing.assert_allclose(acts[str(i)], expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(acts["output"], acts["12"])


def test_forward_npy_batch_with_given_weights(tmp_path):
    net = Network.load("tinyvgg-gap")
    net.init_weights(7)
    net.save_weights(tmp_path / "w.npz")
    x = np.random.default_rng(1).random((2, 3, 64, 64), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run("forward", "tinyvgg-gap", "--input", tmp_path / "x.npy", "--weights", tmp_path / "w.npz",
                 "--out", tmp_path / "a.npz")
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "a.npz") as acts:
        np.testing.assert_allclose(acts["12"], net.forward(x)[12], rtol=1e-6)
        assert acts["12"].shape == (2, 10)


def test_forward_uses_a_presets_trained_weights_unless_a_seed_is_given(tmp_path, image_file):
    result = run("forward", "lenet5", "--input", image_file, "--out", tmp_path / "a.npz")
    assert result.returncode == 0, result.stderr
    assert "weights: trained, shipped with lenet5 (lenet5-digits.npz" in result.stderr
    net = Network.load("lenet5")
    net.load_weights(net.shipped_weights)
    with np.load(tmp_path / "a.npz") as acts:
        np.testing.assert_allclose(acts["12"], net.forward(acts["input"])[12], rtol=1e-6, atol=1e-7)
    result = run("forward", "lenet5", "--input", image_file, "--seed", "0", "--out", tmp_path / "b.npz")
    assert result.returncode == 0 and "seed 0" in result.stderr and "trained" not in result.stderr
    with np.load(tmp_path / "a.npz") as trained, np.load(tmp_path / "b.npz") as seeded:
        assert not np.allclose(trained["0"], seeded["0"])


def test_forward_without_weights_says_it_uses_seed_zero(tmp_path, image_file):
    result = run("forward", "mlp", "--input", image_file, "--out", tmp_path / "a.npz")
    assert result.returncode == 0
    assert "seed 0" in result.stderr and "ships no trained weights" in result.stderr


# -- every user mistake: exit 2, one line, no traceback -------------------------

def huge_png(path: Path) -> Path:
    """A tiny file whose header claims 30000x30000 pixels: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def files(tmp_path, image_file):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"input": [1, 28, 28],\n  "layers": [\n    {"type": "relu"} {"type": "relu"}]}')
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"input": [1, 4, 4], "layers": [
        {"type": "relu"}, {"type": "relu"}, {"type": "relu"},
        {"type": "conv2d", "out_channels": 2, "kernel_size": 5}]}))
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(b'{"name": "caf\xe9"}')
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    wrong_shape = tmp_path / "wrong.npy"
    np.save(wrong_shape, np.zeros((3, 32, 32), dtype=np.float32))
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"this is not a picture at all")
    other_net = Network.load("tinyvgg")
    other_net.init_weights(0)
    other_weights = tmp_path / "tinyvgg.npz"
    other_net.save_weights(other_weights)
    not_npz = tmp_path / "weights.npz"
    not_npz.write_text("hello")
    return {
        "bad_json": bad_json, "invalid": invalid, "not_utf8": not_utf8, "pickled": pickled,
        "wrong_shape": wrong_shape, "garbage": garbage, "image": image_file, "bomb": huge_png(tmp_path / "bomb.png"),
        "other_weights": other_weights, "not_npz": not_npz, "dir": tmp_path,
    }


ERROR_CASES = {
    "unknown preset": (["summary", "lenet"], ["unknown network 'lenet'", "did you mean 'lenet5'"]),
    "missing file": (["summary", "{dir}/none.json"], ["cannot read", "none.json"]),
    "directory": (["summary", "{dir}"], ["cannot read"]),
    "bad json": (["summary", "{bad_json}"], ["bad.json: line 3 column 22: Expecting ',' delimiter"]),
    "not utf-8": (["summary", "{not_utf8}"], ["not UTF-8"]),
    "invalid network": (["summary", "{invalid}"],
                        ["layer 3 conv2d: the 5x5 kernel does not fit the 4x4 input (padding 0); use padding >= 1"]),
    "bad input shape": (["summary", "lenet5", "--input", "1x32"], ["not a shape like 3x64x64"]),
    "json and explain": (["summary", "lenet5", "--json", "--explain"], ["not allowed with"]),
    "unknown command": (["frobnicate"], ["invalid choice"]),
    "missing net": (["summary"], ["required"]),
    "missing input file": (["forward", "lenet5", "--input", "{dir}/none.png", "--out", "{dir}/a.npz"],
                           ["cannot read", "none.png"]),
    "unreadable image": (["forward", "lenet5", "--input", "{garbage}", "--out", "{dir}/a.npz"],
                         ["not an image Pillow can read"]),
    "decompression bomb": (["forward", "lenet5", "--input", "{bomb}", "--out", "{dir}/a.npz"],
                           ["too large to decode safely"]),
    "pickled npy": (["forward", "lenet5", "--input", "{pickled}", "--out", "{dir}/a.npz"],
                    ["not a NumPy .npy array", "allow_pickle"]),
    "wrong input shape": (["forward", "lenet5", "--input", "{wrong_shape}", "--out", "{dir}/a.npz"],
                          ["3x32x32", "lenet5 takes 1x32x32"]),
    "weights of another net": (["forward", "lenet5", "--input", "{image}", "--weights", "{other_weights}",
                                "--out", "{dir}/a.npz"], ["'0.weight' has shape (10, 3, 3, 3) but layer 0 conv2d needs (6, 1, 5, 5)"]),
    "weights not npz": (["forward", "lenet5", "--input", "{image}", "--weights", "{not_npz}", "--out", "{dir}/a.npz"],
                        ["not an .npz archive"]),
    "missing weights": (["forward", "lenet5", "--input", "{image}", "--weights", "{dir}/no.npz", "--out", "{dir}/a.npz"],
                        ["no such file or folder"]),
    "weights and seed": (["forward", "lenet5", "--input", "{image}", "--weights", "{not_npz}", "--seed", "1",
                          "--out", "{dir}/a.npz"], ["not allowed with"]),
    "bad seed": (["forward", "lenet5", "--input", "{image}", "--seed", "-1", "--out", "{dir}/a.npz"],
                 ["not a seed"]),
    "output folder missing": (["forward", "lenet5", "--input", "{image}", "--out", "{dir}/no/such/a.npz"],
                              ["cannot write", "a.npz"]),
    "analysis-only net": (["forward", "vgg16", "--input", "{image}", "--out", "{dir}/a.npz"],
                          ["138,357,544 parameters", "meant for analysis: 'cnntui summary"]),
    "app with an unknown network": (["build", "lenet"], ["unknown network 'lenet'"]),
    "app with an invalid network": (["view", "{invalid}"], ["layer 3 conv2d: the 5x5 kernel does not fit"]),
    "app with a bad language": (["--lang", "fr"], ["invalid choice: 'fr'"]),
    "grey image into 4 channels": (["forward", "{four_channels}", "--input", "{image}", "--out", "{dir}/a.npz"],
                                   ["takes 4 input channels"]),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_user_mistakes_get_one_line_and_exit_2(case, files, tmp_path):
    four = tmp_path / "four.json"
    four.write_text(json.dumps({"name": "four", "input": [4, 8, 8], "layers": [{"type": "flatten"}]}))
    args, fragments = ERROR_CASES[case]
    result = run(*(a.format(**files, four_channels=four) for a in args))
    assert_user_error(result, *fragments)
    assert not (tmp_path / "a.npz").exists()


# -- export ---------------------------------------------------------------------

@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_export_of_lenet5_says_what_its_final_softmax_means_for_the_loss(framework):
    import ast

    result = run("export", "lenet5", "--to", framework)
    assert result.returncode == 0, result.stderr
    code = result.stdout
    ast.parse(code)
    comments = " ".join(line.lstrip("# ") for line in code.splitlines() if line.startswith("#"))
    assert "The last layer is a Softmax, so the model outputs probabilities" in comments
    if framework == "pytorch":
        assert "To train with nn.CrossEntropyLoss, leave the final Softmax out (use model[:-1])" in comments
        assert "applies log-softmax itself and expects the raw scores (logits)" in comments
    else:
        assert "train it with a plain keras.losses.CategoricalCrossentropy()" in comments
        assert "Or drop the Softmax and pass from_logits=True to that loss" in comments


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
def test_export_of_a_network_without_a_final_softmax_has_no_such_comment(tmp_path, framework):
    import ast

    logits = tmp_path / "logits.json"
    logits.write_text(json.dumps({"name": "logits", "input": [1, 8, 8],
                                  "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]}))
    result = run("export", logits, "--to", framework)
    assert result.returncode == 0, result.stderr
    ast.parse(result.stdout)
    assert "Softmax" not in result.stdout and "logits" in result.stdout.splitlines()[0]
