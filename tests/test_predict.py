"""`cnntui predict`: a network's top classes for a folder of images made here, run in-process."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from rich.cells import cell_len

from cnntui import predict as predict_module
from cnntui.cli import main
from cnntui.core import Network
from cnntui.core.assets import find_sample
from cnntui.core.messages import TEMPLATES
from cnntui.train.record import save_with_record

LONG_NAME = "a digit drawn in a paint program by a student who names files at length, 3.png"
DIGITS = [f"digit-{digit}.png" for digit in range(10)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The ten shipped digit samples, one of them again under a long name, a text file, a PNG cut
    short, and a hidden file that is skipped."""
    root = tmp_path_factory.mktemp("images")
    for name in DIGITS:
        shutil.copy(find_sample(name.removesuffix(".png")), root / name)
    shutil.copy(root / "digit-3.png", root / LONG_NAME)
    (root / "notes.txt").write_text("not a picture\n")
    (root / "torn.png").write_bytes((root / "digit-7.png").read_bytes()[:200])
    (root / ".hidden.png").write_text("skipped\n")
    (root / "inner").mkdir()  # not recursive: a subfolder is no image
    return root


@pytest.fixture(scope="module")
def linear_net(tmp_path_factory):
    """A small network ending in a linear layer (no softmax), with its classes named and no weights
    shipped, and weights for it in a file."""
    root = tmp_path_factory.mktemp("net")
    spec = {"name": "tiny", "input": [1, 8, 8], "classes": ["cat", "dog", "a class with a long long name"],
            "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 3}]}
    (root / "tiny.json").write_text(json.dumps(spec))
    net = Network.from_dict(spec)
    net.init_weights(1)
    net.save_weights(root / "tiny.npz")
    # the same weights as cnntui train leaves them after a folder dataset: its class names in the record
    save_with_record(root / "fruit.npz", (root / "tiny.npz").read_bytes(), {"classes": ["apple", "pear", "plum"]})
    return root


@pytest.fixture(autouse=True)
def terminal_80_wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # the table follows the terminal's width


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["predict", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = err.splitlines()
    assert lines[-1].startswith("cnntui: error: "), err
    assert "Traceback" not in err
    return lines[-1]


def test_the_table_names_each_shipped_digit_and_says_why_a_file_could_not_be_read(capsys, folder, monkeypatch):
    monkeypatch.chdir(folder.parent)  # names as short as a user's: images0/digit-3.png
    code, out, err = run(capsys, "lenet5", folder.name, "--unicode")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["image", "class", "probability", "next"]
    assert all(cell_len(line) <= 80 for line in lines), out
    rows = {line.split()[0].rsplit("/", 1)[-1]: line.split() for line in lines[1:] if line[0] != " "}
    for digit, name in enumerate(DIGITS):
        assert rows[name][1] == str(digit), rows[name]  # lenet5 reads the shipped samples right
        assert rows[name][2].endswith("%") and len(rows[name]) == 3 + 2 * 2  # two more as "name 12.3%"
    assert rows["notes.txt"][1:3] == ["cannot", "read:"] and rows["torn.png"][1:3] == ["cannot", "read:"]
    # A long name keeps its end, where the file's own name is, in the image column's 28
    [cut] = [line for line in lines if line.startswith("…")]
    assert f"{folder.name}/{LONG_NAME}".endswith(cut[1:28]) and cut[28:30] == "  " and cut[30:].split()[0] == "3"
    assert ".hidden" not in out and "inner" not in out
    # The digit preparation's steps, one line per image that was read
    steps = [line for line in err.splitlines() if line.startswith(f"cnntui: {folder.name}/")]
    words = tuple(template for code, template in TEMPLATES.items() if code.startswith("digit_"))
    assert len(steps) == 11 and all(line.endswith(words) for line in steps), err


@pytest.mark.parametrize(("locale", "more"), [("en_US.UTF-8", "…"), ("C", "~")])
def test_a_long_name_is_cut_with_the_locales_ellipsis(capsys, folder, monkeypatch, locale, more):
    from cnntui.render import terminal

    monkeypatch.setattr(terminal, "launch_environ", lambda: {"LANG": locale})
    code, out, _ = run(capsys, "lenet5", folder / LONG_NAME)
    assert code == 0 and out.splitlines()[1].startswith(more)


def test_json_gives_every_file_in_order_with_top_classes_or_the_error(capsys, folder):
    code, out, err = run(capsys, "lenet5", folder, "--json", "--top", "2")
    assert code == 0, err
    entries = json.loads(out)
    names = [entry["image"].rsplit("/", 1)[-1] for entry in entries]
    assert names == sorted([*DIGITS, LONG_NAME, "notes.txt", "torn.png"])
    by_name = dict(zip(names, entries))
    assert "not an image" in by_name["notes.txt"]["error"] and "top" not in by_name["notes.txt"]
    assert "error" in by_name["torn.png"]
    for digit, name in enumerate(DIGITS):
        first, second = by_name[name]["top"]
        assert (first["class"], first["index"]) == (str(digit), digit)
        assert 1 >= first["probability"] >= second["probability"] >= 0
        assert by_name[name]["steps"]  # what the digit preparation did, as codes
    assert column(by_name[LONG_NAME], "index") == column(by_name["digit-3.png"], "index")
    assert "only resized" not in err  # steps go in the JSON, not on stderr


def test_top_k_is_clipped_to_the_classes_and_raw_skips_the_digit_preparation(capsys, folder):
    code, out, err = run(capsys, "lenet5", folder / "digit-4.png", "--top", "40", "--json", "--raw")
    assert code == 0, err
    [entry] = json.loads(out)
    assert sorted(guess["index"] for guess in entry["top"]) == list(range(10))
    assert "lenet5 has 10 classes, so showing all 10" in err
    assert "steps" not in entry
    assert "--raw: the images are only resized, not prepared as digits" in err
    code, out, _ = run(capsys, "lenet5", folder / "digit-4.png", "--top", "1")
    assert code == 0 and out.splitlines()[0].split() == ["image", "class", "probability"]
    code, _, err = run(capsys, "lenet5", folder / "digit-4.png", "--top", "0")
    assert code == 2 and "'0' is not a valid number of classes to show" in error_line(err)


def test_many_images_run_in_chunks_give_the_same_answers(capsys, folder, monkeypatch):
    _, whole, _ = run(capsys, "lenet5", folder, "--json")
    monkeypatch.setattr(predict_module, "MAX_CHUNK", 3)
    code, chunked, err = run(capsys, "lenet5", folder, "--json")
    assert code == 0
    for alone, together in zip(json.loads(chunked), json.loads(whole), strict=True):
        # the same classes; the probabilities to float32's rounding, which a batch's size can change
        assert alone.keys() == together.keys() and alone.get("error") == together.get("error")
        assert column(alone, "index") == column(together, "index")
        assert np.allclose(column(alone, "probability"), column(together, "probability"), rtol=1e-4, atol=1e-7)
    assert "13 files in chunks of 3" in err


def column(entry: dict, key: str) -> list:
    return [guess[key] for guess in entry.get("top", [])]


def test_a_chunk_fits_the_memory_budget():
    net = Network.load("lenet5")
    budget = net.memory_needed(10) + 1
    assert predict_module.chunk_size(net, budget) == 10
    assert predict_module.chunk_size(net, net.memory_needed(10_000)) == predict_module.MAX_CHUNK


@pytest.mark.parametrize(("args", "words"), [
    (["nonet", "x.png"], "nonet"),
    (["lenet5"], "the following arguments are required: IMAGE"),
    (["lenet5", "no/such/file.png"], "no/such/file.png does not exist"),
])
def test_a_bad_command_is_one_line_and_exit_2(capsys, args, words):
    code, out, err = run(capsys, *args)
    assert code == 2 and words in error_line(err) and out == ""


def test_the_table_fits_a_narrow_terminal(capsys, folder, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    code, out, err = run(capsys, "lenet5", folder / LONG_NAME, folder / "digit-5.png", folder / "notes.txt")
    assert code == 0, err
    lines = out.splitlines()
    assert all(cell_len(line) <= 60 for line in lines) and max(map(cell_len, lines)) > 50, out
    at = lines[0].index("class")
    rows = [line[at:].split() for line in lines[1:] if not line.startswith(" ")]
    assert [row[0] for row in rows] == ["3", "5", "cannot"], out
    assert all(line.count("%") == 2 for line in lines if line.startswith(" ") and "%" in line), out  # the next two


def test_a_folder_of_class_folders_says_to_give_them(capsys, tmp_path):
    for name in ("dog", "cat"):
        (tmp_path / "pets" / name).mkdir(parents=True)
    code, out, err = run(capsys, "lenet5", tmp_path / "pets")
    expected = f"{tmp_path / 'pets'} holds folders, not images: give them, e.g. {tmp_path / 'pets' / 'cat'}"
    assert code == 2 and out == "" and error_line(err) == f"cnntui: error: {expected}"


def test_a_folder_without_files_and_one_of_nothing_readable(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("")
    code, out, err = run(capsys, "lenet5", tmp_path / "empty")
    assert code == 2 and out == "" and "has no files (hidden ones are skipped)" in error_line(err)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("text")
    (tmp_path / "junk" / "b\x1b[2J.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "junk" / f"{'手写数字' * 15}.txt").write_text("text")  # wider than a line: broken, never cut
    code, out, err = run(capsys, "lenet5", tmp_path / "junk")
    assert code == 2
    assert "no file could be read as an image (3 tried" in error_line(err)
    assert "\x1b" not in out and "b\\x1b[2J.png" in out and out.count("cannot read:") == 3
    assert all(cell_len(line) <= 80 for line in out.splitlines())
    assert "".join(out.split()).count("手写数字" * 15) == 1  # the reason names it whole, over two lines


def test_a_network_without_weights_needs_them_and_a_linear_end_gets_a_softmax(capsys, folder, linear_net):
    code, _, err = run(capsys, linear_net / "tiny.json", folder / "digit-1.png")
    assert code == 2 and "tiny has no trained weights" in error_line(err) and "--weights" in error_line(err)
    code, _, err = run(capsys, "mlp", folder / "digit-1.png")
    assert code == 2 and "mlp has no trained weights" in error_line(err)
    code, out, err = run(capsys, linear_net / "tiny.json", folder / "digit-1.png", folder / "digit-2.png",
                         "--weights", linear_net / "tiny.npz", "--ascii")
    assert code == 0, err
    assert err.count("the softmax of tiny's outputs (its last layer is linear") == 1
    lines = out.splitlines()[1:]
    assert all(cell_len(line) <= 80 for line in lines)
    rows = [line for line in lines if not line.startswith(" ")]  # the next classes wrap under their column
    assert len(rows) == 2 and all(row.startswith("~") for row in rows), out  # the long path's end, in ASCII
    assert all(out.count(name) == 2 for name in ("cat ", "dog ", "a class with a~ ")), out
    assert "…" not in out and "a class with a long long name" not in out  # cut at 16 columns, "~" in ASCII
    code, out, _ = run(capsys, linear_net / "tiny.json", folder / "digit-1.png", "--weights",
                       linear_net / "tiny.npz", "--json", "--top", "3")
    assert code == 0
    assert abs(sum(guess["probability"] for guess in json.loads(out)[0]["top"]) - 1) < 1e-6


def test_a_npy_batch_gives_a_row_per_sample(capsys, tmp_path):
    batch = np.zeros((3, 1, 32, 32), dtype=np.float32)
    batch[1, 0, 5, 5] = np.nan  # its row says so; the other samples go on
    np.save(tmp_path / "batch.npy", batch)
    np.save(tmp_path / "wrong.npy", np.zeros((2, 2), dtype=np.float32))
    code, out, err = run(capsys, "lenet5", tmp_path / "batch.npy", tmp_path / "wrong.npy", "--json")
    assert code == 0, err
    entries = json.loads(out)
    assert [entry["image"].rsplit("/", 1)[-1] for entry in entries] == ["batch.npy[0]", "batch.npy[1]",
                                                                         "batch.npy[2]", "wrong.npy"]
    assert column(entries[0], "index") == column(entries[2], "index")
    assert "1 NaN" in entries[1]["error"] and "1x32x32" in entries[3]["error"]


def test_weights_with_a_record_are_named_by_its_classes(capsys, folder, linear_net):
    code, out, err = run(capsys, linear_net / "tiny.json", folder / "digit-5.png", "--weights",
                         linear_net / "fruit.npz", "--json", "--top", "3")
    assert code == 0, err
    assert sorted(guess["class"] for guess in json.loads(out)[0]["top"]) == ["apple", "pear", "plum"]
