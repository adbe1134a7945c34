"""Text from files and arguments never drives the terminal, numbers never wrap, warnings never leak,
and a network file's "weights" stays inside its folder (issue #14, "Messages and the terminal")."""

from __future__ import annotations

import ast
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from cnntui.cli import main
from cnntui.core import Network
from cnntui.core.assets import assets_dir
from cnntui.core.printable import is_printable

# A forged second error line, a screen clear, a window title, a clipboard write (OSC 52), a C1 CSI
# and a right-to-left override: each must be shown, never obeyed.
HOSTILE = {
    "newline": "relu\ncnntui: error: forged",
    "carriage return": "relu\rcnntui: error: forged",
    "clear screen": "relu\x1b[2J",
    "window title": "relu\x1b]0;pwned\x07",
    "clipboard": "relu\x1b]52;c;cm0gLXJmIH4=\x07",
    "C1 CSI": "relu\x9b2J",
    "bidi override": "relu\u202egnp.exe",
}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    assert not caught, [str(w.message) for w in caught]  # no RuntimeWarning leaks
    return code, out, err


def assert_clean(text: str) -> None:
    """Every line free of control characters: nothing on the terminal but what is shown."""
    assert all(is_printable(line) for line in text.split("\n")), repr(text)


def assert_one_error_line(code: int, out: str, err: str) -> str:
    lines = err.splitlines()
    assert code == 2, err
    assert [line for line in lines if line.startswith("cnntui: error:")] == lines[-1:], err
    assert all(line.startswith("cnntui: ") for line in lines), err
    assert_clean(out)
    assert_clean(err)
    return lines[-1]


def write_net(folder: Path, spec: dict, name: str = "net.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


TINY = {"name": "tiny", "input": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 3}]}


# -- control characters -------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_layer_type_gives_one_clean_error_line(capsys, tmp_path, text):
    path = write_net(tmp_path, {"input": [1, 8, 8], "layers": [{"type": text}]})
    line = assert_one_error_line(*run_cli(capsys, "summary", path))
    assert "unknown layer type" in line


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_unknown_key_and_field_give_one_clean_error_line(capsys, tmp_path, text):
    path = write_net(tmp_path, {**TINY, text: 1})
    assert "unknown key" in assert_one_error_line(*run_cli(capsys, "summary", path))
    path = write_net(tmp_path, {"input": [1, 8, 8], "layers": [{"type": "relu", text: 1}]})
    assert "unknown field" in assert_one_error_line(*run_cli(capsys, "summary", path))


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_network_name_is_shown_escaped_in_the_table_and_errors(capsys, tmp_path, text):
    path = write_net(tmp_path, {**TINY, "name": text})
    code, out, err = run_cli(capsys, "summary", path, "--explain")
    assert code == 0 and out.startswith("relu")
    assert_clean(out)
    assert_clean(err)
    line = assert_one_error_line(*run_cli(capsys, "render", path, "--layer", "7"))
    assert "out of range" in line


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_name_gives_one_clean_error_line(capsys, tmp_path, text):
    missing = tmp_path / f"{text}.json"
    assert "cannot read" in assert_one_error_line(*run_cli(capsys, "summary", missing))
    broken = tmp_path / f"{text}.json"
    broken.write_text("{", encoding="utf-8")
    assert "line 1" in assert_one_error_line(*run_cli(capsys, "summary", broken))
    assert_one_error_line(*run_cli(capsys, "forward", "mlp", "--input", tmp_path / f"{text}.npy",
                                   "--out", tmp_path / "out.npz"))


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_input_file_name_is_said_escaped(capsys, tmp_path, text):
    x = tmp_path / f"{text}.npy"
    np.save(x, np.zeros((1, 28, 28), dtype=np.float32))
    code, out, err = run_cli(capsys, "forward", "mlp", "--input", x, "--out", tmp_path / "out.npz")
    assert code == 0, err
    assert_clean(err)
    lines = err.splitlines()
    assert all(line.startswith("cnntui: ") and not line.startswith("cnntui: error") for line in lines), err


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_argparse_choice_gives_one_clean_error_line(capsys, text):
    line = assert_one_error_line(*run_cli(capsys, "export", "lenet5", "--to", text))
    assert "invalid choice" in line


def test_an_oserror_file_name_is_escaped():
    from cnntui.cli import report

    import io
    import contextlib

    stream = io.StringIO()
    with contextlib.redirect_stderr(stream):
        code = report(PermissionError(13, "Permission denied", "a\nb\x1b[2J"))
    assert code == 2 and stream.getvalue() == "cnntui: error: a\\nb\\x1b[2J: Permission denied\n"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_summary_json_escapes_c1_and_bidi_and_keeps_the_data(capsys, tmp_path, text):
    path = write_net(tmp_path, {**TINY, "name": text})
    code, out, err = run_cli(capsys, "summary", path, "--json")
    assert code == 0, err
    assert_clean(out)
    assert json.loads(out)["name"] == text


def test_json_output_escapes_only_what_drives_the_terminal():
    from cnntui.cli import json_text

    value = {"name": "\x9b2J \u202e \x7f 中文 \n"}
    text = json_text(value)
    assert json.loads(text) == value
    assert "中文" in text and "\\u009b" in text and "\\u202e" in text and "\\u007f" in text
    assert_clean(text)


@pytest.mark.parametrize("framework", ["pytorch", "keras"])
@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_exported_code_with_a_hostile_name_parses_and_is_clean(capsys, tmp_path, framework, text):
    hostile = text.replace("relu", "x\nimport os\nos.system('echo pwned')\n")
    path = write_net(tmp_path, {**TINY, "name": hostile, "weights": hostile + "\u2028.npz"})
    code, out, err = run_cli(capsys, "export", path, "--to", framework)
    assert code == 0, err
    tree = ast.parse(out)
    assert not any(isinstance(node, ast.Import) and node.names[0].name == "os" for node in ast.walk(tree))
    assert_clean(out)


def test_a_message_escapes_its_arguments_and_nested_messages():
    from cnntui.core.errors import SpecError
    from cnntui.core.messages import Message

    hint = Message("did_you_mean", {"name": "a\x1b]52;c;x\x07"})
    text = str(Message("unknown_type", {"got": "b\n\u202e", "hint": hint, "known": "relu"}))
    assert is_printable(text) and "b\\n\\u202e" in text and "a\\x1b]52;c;x\\x07" in text
    error = SpecError("unknown_field", index=0, layer_type="c\x9b", got="d", hint="", type="relu", known="x")
    assert is_printable(str(error)) and "c\\x9b" in str(error)


def test_shown_escapes_c1_and_bidi():
    from cnntui.core.errors import shown

    assert is_printable(shown("\x9b\u202e\x85"))


# -- wrong numbers ------------------------------------------------------------

# Every number within the engine's limits (1,000,000 per field, 100,000 per input size), yet the
# parameter count passes 2**63.
HUGE = {"name": "huge", "input": [100000, 10000, 10000],
        "layers": [{"type": "conv2d", "out_channels": 10**6, "kernel_size": 10000, "padding": 5000, "bias": False},
                   {"type": "flatten"}]}


def test_explain_counts_beyond_int64_exactly(capsys, tmp_path):
    path = write_net(tmp_path, HUGE)
    code, out, err = run_cli(capsys, "summary", path, "--explain")
    assert code == 0, err
    params = 10000 * 10000 * 100000 * 10**6
    assert params > 2**63
    assert f"params = 10000*10000*100000*{10**6} = {params}" in out
    features = 10**6 * 10001 * 10001
    assert f"= {features}" in out and "-" not in out.split("features =")[1].split("\n")[0]
    assert f"Total params: {params:,}" in out
    summary = Network.from_dict(HUGE).summary()
    assert summary[1].output_shape == (features,)
    assert summary[0].macs == 10**6 * 10001 * 10001 * 10000 * 10000 * 100000


def test_the_summary_table_keeps_a_space_between_huge_columns(capsys, tmp_path):
    path = write_net(tmp_path, HUGE)
    code, out, _ = run_cli(capsys, "summary", path)
    row = next(line for line in out.splitlines() if line.startswith("conv2d:0"))
    assert row.split()[:3] == ["conv2d:0", "1000000x10001x10001", f"{10**19:,}"]


# -- non-finite inputs and overflow --------------------------------------------

def test_a_nan_or_infinite_input_is_one_line_saying_so(capsys, tmp_path):
    x = np.zeros((1, 28, 28), dtype=np.float32)
    x[0, 0, :3] = np.nan
    x[0, 1, 1] = -np.inf
    np.save(tmp_path / "bad.npy", x)
    line = assert_one_error_line(*run_cli(capsys, "forward", "mlp", "--input", tmp_path / "bad.npy",
                                          "--out", tmp_path / "out.npz"))
    assert "3 NaN, 1 infinite" in line
    assert not (tmp_path / "out.npz").exists()
    line = assert_one_error_line(*run_cli(capsys, "render", "mlp", "--layer", "1", "--input", tmp_path / "bad.npy"))
    assert "NaN" in line


def test_an_overflowing_input_is_one_line_and_no_warning(capsys, tmp_path):
    np.save(tmp_path / "big.npy", np.full((1, 32, 32), 1e38, dtype=np.float32))
    line = assert_one_error_line(*run_cli(capsys, "forward", "lenet5", "--input", tmp_path / "big.npy",
                                          "--out", tmp_path / "out.npz"))
    assert "overflowed from layer 0 conv2d" in line and "1e+38" in line
    line = assert_one_error_line(*run_cli(capsys, "render", "lenet5", "--layer", "9", "--input",
                                          tmp_path / "big.npy"))
    assert "overflowed" in line


def test_the_engine_refuses_non_finite_input_and_stays_silent_on_overflow():
    from cnntui.core import CnntuiError

    net = Network.load("lenet5")
    net.init_weights(0)
    with pytest.raises(CnntuiError) as caught:
        net.forward(np.full((1, 32, 32), np.inf, dtype=np.float32))
    assert caught.value.message.code == "input_not_finite" and caught.value.message.args == {"nan": 0, "inf": 1024}
    with pytest.raises(CnntuiError) as caught:
        net.forward(np.full((1, 32, 32), 1e300))  # float64 that float32 cannot hold
    assert caught.value.message.code == "input_beyond_float32" and caught.value.message.args["largest"] == "1e+300"
    big = np.full((1, 32, 32), 1e38, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = net.forward(big)
    assert net.overflow_problem(big, outputs).code == "outputs_overflowed"
    small = np.zeros((1, 32, 32), dtype=np.float32)
    assert net.overflow_problem(small, net.forward(small)) is None


# -- the weights a network file names ------------------------------------------

@pytest.fixture
def npz(tmp_path) -> Path:
    """A real weights file for TINY, outside the network's folder."""
    net = Network.from_dict(TINY)
    net.init_weights(1)
    path = tmp_path / "elsewhere" / "tiny.npz"
    path.parent.mkdir()
    net.save_weights(path)
    return path


def net_in(tmp_path, weights: str) -> Path:
    folder = tmp_path / "nets"
    folder.mkdir(exist_ok=True)
    return write_net(folder, {**TINY, "weights": weights})


def weights_cases(tmp_path, npz) -> dict[str, tuple[str, str]]:
    folder = tmp_path / "nets"
    folder.mkdir(exist_ok=True)
    (folder / "link.npz").symlink_to(npz)
    (folder / "sub").mkdir()
    return {"absolute": (str(npz), "weights_absolute"),
            "etc passwd": ("/etc/passwd", "weights_absolute"),
            "up and out": ("../elsewhere/tiny.npz", "weights_outside"),
            "deep up": ("../../../../../../../etc/passwd", "weights_outside"),
            "symlink out": ("link.npz", "weights_link_outside"),
            "missing": ("tiny.npz", "weights_not_found"),
            "a folder": ("sub", "weights_not_file")}


@pytest.mark.parametrize("case", ["absolute", "etc passwd", "up and out", "deep up", "symlink out", "missing",
                                  "a folder"])
def test_weights_outside_the_folder_or_missing_are_refused_and_said(capsys, tmp_path, npz, case):
    weights, code = weights_cases(tmp_path, npz)[case]
    path = net_in(tmp_path, weights)
    net = Network.load(path)
    assert net.shipped_weights is None
    problem = net.weights_problem()
    assert problem is not None and problem.code == code and problem.args["got"] == weights
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 8, 8), dtype=np.float32))
    status, out, err = run_cli(capsys, "forward", path, "--input", x, "--out", tmp_path / "out.npz")
    assert status == 0, err
    assert f"cnntui: {problem}; using seeded random weights (seed 0)\n" in err
    assert_clean(err)


def test_the_missing_weights_line_names_both_files(capsys, tmp_path):
    shutil.copy(assets_dir() / "presets" / "lenet5.json", tmp_path / "lenet5.json")
    spec = json.loads((tmp_path / "lenet5.json").read_text())
    (tmp_path / "lenet5.json").write_text(json.dumps({**spec, "weights": "lenet5.npz"}))
    status, _, err = run_cli(capsys, "render", tmp_path / "lenet5.json", "--layer", "0")
    assert status == 0, err
    assert ("cnntui: lenet5.json names the weights lenet5.npz, not found beside it; "
            "using seeded random weights (seed 0)\n") in err


def test_weights_inside_the_folder_are_used(tmp_path, npz):
    folder = tmp_path / "nets"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(npz, folder / "sub" / "tiny.npz")
    (folder / "inner.npz").symlink_to(folder / "sub" / "tiny.npz")
    for weights in ("sub/tiny.npz", "inner.npz", "sub/../sub/tiny.npz"):
        net = Network.load(write_net(folder, {**TINY, "weights": weights}))
        assert net.weights_problem() is None
        assert net.shipped_weights == folder / weights


def test_the_presets_shipped_weights_are_still_found():
    for name in ("lenet5", "tinyvgg"):
        net = Network.load(name)
        assert net.weights_problem() is None and net.shipped_weights is not None
    assert Network.load("mlp").weights_problem() is None  # names no weights: nothing wrong


@pytest.mark.parametrize("value", [10**6 + 1, 10**400])
def test_a_field_beyond_the_engines_limit_is_one_line_not_an_overflow(capsys, tmp_path, value):
    net = {"name": "wide", "input": [1, 28, 28], "layers": [{"type": "flatten"},
                                                            {"type": "linear", "out_features": value}]}
    for flags in ([], ["--explain"], ["--json"]):
        line = assert_one_error_line(*run_cli(capsys, "summary", write_net(tmp_path, net), *flags))
        assert "out_features must be at most 1,000,000" in line
