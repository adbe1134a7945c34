"""Image folders as datasets (cnntui/train/folders.py): the scan, the checks, reading and the split, the
command line's `train --dataset DIR`, class names from the record beside the weights, and Train mode's
folder choice. Every folder is made here: 3 classes of 10 tiny images, and a tiny network."""

from __future__ import annotations

import copy
import json
import shutil
from functools import partial

import numpy as np
import pytest
from PIL import Image

from cnntui import cli
from cnntui.core import CnntuiError, Network
from cnntui.core.errors import BudgetError
from cnntui.render.picture import picture_text
from cnntui.train.folders import (
    check_folder_memory,
    check_network,
    read_folder,
    reorder_rows,
    scan_folder,
    stratified_order,
)
from cnntui.train.record import recorded_classes
from test_app import make_app
from test_app import until as app_until

CLASSES = ["cat", "dog", "fish"]  # dog's images are bright in green, fish's in blue: learnable in an epoch
TINY = {"name": "tiny", "input": [3, 16, 16],
        "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"},
                   {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"},
                   {"type": "linear", "out_features": 3}]}
until = partial(app_until, timeout=60.0)


def make_images(folder, classes=CLASSES, count: int = 10, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for number in range(count):
            pixels = rng.integers(0, 80, (16, 16, 3)).astype(np.uint8)
            pixels[..., index % 3] += 160
            Image.fromarray(pixels).save(folder / name / f"{number:02}.png")


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """cat, dog, fish with 10 images each, a text file among the cats, hidden things to be skipped."""
    folder = tmp_path_factory.mktemp("folders") / "pets"
    make_images(folder)
    (folder / "cat" / "notes.txt").write_text("not an image")
    (folder / "cat" / ".DS_Store").write_bytes(b"\0\1")
    (folder / ".thumbnails").mkdir()
    (folder / "README").write_text("a file beside the class folders is not a class")
    return folder


@pytest.fixture(scope="module")
def tiny_net(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "tiny.json"
    path.write_text(json.dumps(TINY))
    return path


@pytest.fixture(scope="module")
def trained(pets, tiny_net, tmp_path_factory):
    """`cnntui train tiny.json --dataset pets` run once: (exit status, stderr, weights path)."""
    out = tmp_path_factory.mktemp("out") / "w.npz"
    with pytest.MonkeyPatch.context() as patch:
        messages = []
        patch.setattr(cli, "say", messages.append)
        status = cli.main(["train", str(tiny_net), "--dataset", str(pets), "--epochs", "1", "--out", str(out)])
    return status, "\n".join(messages), out


def test_classes_and_files_are_sorted_and_hidden_ones_skipped(pets):
    scan = scan_folder(pets)
    assert scan.classes == CLASSES
    assert [path.name for path in scan.files[0]] == [f"{n:02}.png" for n in range(10)] + ["notes.txt"]
    assert scan.total == 31


def test_a_class_folder_named_in_bytes_that_are_not_utf8_is_a_name_a_record_can_hold(tmp_path):
    import os

    make_images(tmp_path, ["cat", os.fsdecode(b"d\xf6g")], count=5)
    scan = scan_folder(tmp_path)
    assert scan.classes == ["cat", "d\\xf6g"]
    json.dumps(scan.classes).encode("utf-8")  # the surrogate Python kept for the byte could not be written
    assert [path.name for path in scan.files[1]][:2] == ["00.png", "01.png"]


def test_a_record_keeps_a_folder_path_that_is_not_utf8(tmp_path):
    import os

    from cnntui.train.record import read_record, record_path, save_with_record

    folder = os.fsdecode(b"/data/p\xe9ts")
    save_with_record(tmp_path / "w.npz", b"weights", {"dataset": folder, "classes": ["cat", "dog"]})
    assert read_record(record_path(tmp_path / "w.npz"))["dataset"] == folder


def test_unreadable_files_are_skipped_and_counted_and_the_split_is_stratified(pets):
    calls = []
    folder = read_folder(scan_folder(pets), (3, 16, 16), seed=4, progress=lambda done, total: calls.append(done))
    data = folder.data
    assert data.x.shape == (30, 3, 16, 16) and data.classes == CLASSES
    assert [name for name, _ in folder.skipped] == ["cat/notes.txt"]
    assert "skipped 1 unreadable file (cat/notes.txt)" in data.note
    assert calls[0] == 0 and calls[-1] == 31 and calls == sorted(calls)
    train, validation = data.split(folder.validation)
    assert np.bincount(validation.y).tolist() == [2, 2, 2] and np.bincount(train.y).tolist() == [8, 8, 8]
    # each image keeps its label: a dog is greenest
    assert all(int(np.argmax(image.mean(axis=(1, 2)))) == label for image, label in zip(data.x, data.y))
    again = read_folder(scan_folder(pets), (3, 16, 16), seed=4)
    other = read_folder(scan_folder(pets), (3, 16, 16), seed=5)
    assert np.array_equal(again.data.x, data.x) and np.array_equal(again.data.y, data.y)
    assert not np.array_equal(other.data.x, data.x)


def test_rows_are_reordered_in_place_as_indexing_would():
    rng = np.random.default_rng(0)
    for count in (1, 2, 7, 50):
        array = rng.random((count, 2, 3)).astype(np.float32)
        order = rng.permutation(count)
        expected = array[order]
        reorder_rows(array, order)
        assert np.array_equal(array, expected)
    order, held = stratified_order(np.array([0] * 10 + [1] * 5), 0.2, seed=0)
    assert sorted(order.tolist()) == list(range(15)) and held == 3


def bad_folder(tmp_path, kind: str):
    root = tmp_path / "data"
    if kind == "not a folder":
        root.write_text("x")
    elif kind == "no classes":
        root.mkdir()
        Image.new("RGB", (8, 8)).save(root / "loose.png")
    elif kind == "one class":
        make_images(root, ["cat"])
    elif kind == "empty class":
        make_images(root, ["cat", "dog"])
        (root / "eel").mkdir()
    elif kind == "unreadable class":
        make_images(root, ["cat", "dog"])
        (root / "eel").mkdir()
        for number in range(5):
            (root / "eel" / f"{number}.png").write_bytes(b"not a png")
    elif kind == "few":
        make_images(root, ["cat"])
        make_images(root, ["dog"], count=4)
    elif kind == "few readable":
        make_images(root, ["cat", "fish"])
        make_images(root, ["dog"], count=5)
        (root / "dog" / "00.png").write_bytes(b"not a png")
    elif kind == "too many classes":
        make_images(root, ["a", "b", "c", "d"], count=5)
    elif kind == "too few classes":
        make_images(root, ["a", "b"], count=5)
    return root


@pytest.mark.parametrize(("kind", "code", "words"), [
    ("not a folder", "folder_not_folder", "is not a folder; give a folder with one subfolder of images per class, "
                                          "such as pets/cat/1.png"),
    ("no classes", "folder_no_classes", "has no class folders"),
    ("one class", "folder_one_class", "one class folder (cat)"),
    ("empty class", "folder_class_empty", "the class folder eel"),
    ("unreadable class", "folder_class_unreadable", "eel in"),
    ("few", "folder_class_few_files", "the class folder dog in {root} has only 4 files"),
    ("few readable", "folder_class_few", "the class dog"),
    ("too many classes", "folder_outputs", "tiny ends in 3 outputs but {root} has 4 classes: make the last layer's "
                                           "out_features 4 (Build: e on it; or in the network's JSON file)"),
    ("too few classes", "folder_outputs", "tiny ends in 3 outputs but {root} has 2 classes"),
])
def test_bad_folders_say_what_is_wrong(tmp_path, tiny_net, capsys, kind, code, words):
    root = bad_folder(tmp_path, kind)
    with pytest.raises(CnntuiError) as caught:
        scan = scan_folder(root)
        check_network(Network.load(tiny_net), scan)
        read_folder(scan, (3, 16, 16), 0)
    assert caught.value.message.code == code
    status = cli.main(["train", str(tiny_net), "--dataset", str(root), "--out", str(tmp_path / "w.npz")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("cnntui: error: ")
    assert words.format(root=root) in lines[0]
    assert not (tmp_path / "w.npz").exists()


def test_memory_is_checked_before_decoding(pets, tiny_net):
    net = Network.load(tiny_net)
    scan = scan_folder(pets)
    check_folder_memory(net, scan, 64, 1 << 30)
    with pytest.raises(BudgetError) as caught:
        check_folder_memory(net, scan, 64, 200_000)
    assert caught.value.message.code == "folder_memory" and caught.value.message.args["count"] == 31


def test_cli_trains_on_a_folder_and_records_its_classes(trained, pets):
    status, said, out = trained
    assert status == 0
    assert "30 images in 3 classes as 3x16x16, 6 held back for validation" in said
    assert "skipped 1 unreadable file (cat/notes.txt)" in said
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["classes"] == CLASSES and record["dataset"] == str(pets)
    assert (record["samples"], record["train_samples"], record["validation_samples"]) == (30, 24, 6)
    assert "--samples" not in record["command"]


def test_weights_with_their_record_name_the_classes(trained, tiny_net, tmp_path):
    out = trained[2]
    assert recorded_classes(out) == CLASSES
    net = Network.load(tiny_net)
    net.load_weights(out, classes=recorded_classes(out))
    assert net.classes == CLASSES
    net.init_weights(0)
    assert net.classes is None  # other weights: the names no longer apply
    # a network with more outputs than the folder had classes: the rest are named by number
    wide = Network.from_dict({**TINY, "layers": [*TINY["layers"][:-1], {"type": "linear", "out_features": 5}]})
    wide.load_weights(_wide_weights(wide, tmp_path), classes=CLASSES)
    assert wide.classes == [*CLASSES, "3", "4"]
    # a record that no longer matches its weights vouches for nothing
    copy = tmp_path / "copy.npz"
    shutil.copy(out, copy)
    record = json.loads(out.with_suffix(".json").read_text())
    copy.with_suffix(".json").write_text(json.dumps({**record, "weights": "copy.npz", "weights_sha256": "0" * 64}))
    assert recorded_classes(copy) is None


def _wide_weights(net, tmp_path):
    net.init_weights(1)
    path = tmp_path / "wide.npz"
    net.save_weights(path)
    return path


def test_predict_names_the_folder_classes(trained, tiny_net, pets, capsys):
    out = trained[2]
    status = cli.main(["predict", str(tiny_net), str(pets / "dog" / "03.png"), "--weights", str(out), "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert status == 0 and {row["class"] for row in rows[0]["top"]} <= set(CLASSES)


def lenet5_ending_in(outputs: int):
    """lenet5 as the app's current network, edited so that its last linear layer gives ``outputs`` classes."""
    from cnntui.tui.state import CurrentNetwork, read_network

    network = read_network("lenet5")
    spec = {key: value for key, value in copy.deepcopy(network.spec).items() if key not in ("classes", "weights")}
    [*_, last] = (layer for layer in spec["layers"] if layer["type"] == "linear")
    last["out_features"] = outputs
    return CurrentNetwork(network.name, spec, "")  # no source: an edited network, not the preset


@pytest.fixture
def own_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


async def test_train_mode_takes_a_folder_shows_it_trains_and_view_names_the_classes(tmp_path, pets, own_folders):
    app = make_app(tmp_path, mode="train", network=lenet5_ending_in(len(CLASSES)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        before = screen.plan

        async def choose_folder(path: str) -> None:
            await pilot.press("d")
            await until(pilot, lambda: app.screen is not screen)
            options = app.screen.query_one("OptionList")
            options.highlighted = options.option_count - 1  # "a folder of your images..."
            await pilot.press("enter")
            await until(pilot, lambda: app.screen.query("Input"))
            app.screen.query_one("Input").value = path  # typed key by key, a long path takes seconds
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is screen)

        await choose_folder(str(tmp_path / "nothing-here"))
        assert screen.plan == before  # refused: the setup stays
        assert any("Cannot train on that folder: there is no folder" in n.message for n in app._notifications)

        few = tmp_path / "few"
        make_images(few, count=4)
        await choose_folder(str(few))
        assert screen.plan == before  # refused when chosen, not when training starts
        assert any("has only 4 files" in n.message for n in app._notifications)

        await choose_folder(str(pets))
        await app.workers.wait_for_complete()
        await until(pilot, lambda: screen.folder_preview is not None)
        assert screen.plan.folder == str(pets) and screen.plan.folder_images == 31
        picture = picture_text(screen.picture_rows(100, 30))
        assert all(f"{name} (" in picture for name in CLASSES)
        assert "pets 1x32x32" in str(screen.query_one("#train-side").render())

        await pilot.press("e", "ctrl+a", "ctrl+k", "1", "enter")
        await pilot.press("enter")
        await until(pilot, lambda: screen.run is not None and screen.run.state == "done")
        assert screen.run.classes == CLASSES
        assert any("(1): cat/notes.txt" in n.message for n in app._notifications)

        await pilot.press("v")
        view = app.screen
        await until(pilot, lambda: getattr(view, "mode_name", "") == "view" and view.drawn and view.result)
        assert view.result.net.classes[:3] == CLASSES
        assert any(name in view.prediction_text() for name in CLASSES)


def test_the_preview_fits_many_classes_side_by_side():
    from cnntui.render.picture import picture_text
    from cnntui.tui.screens.train_picture import folder_rows

    classes = [(f"class{index}", 100) for index in range(10)]
    images = [[np.full((1, 32, 32), index / 10, np.float32)] * 6 for index in range(10)]
    rows = folder_rows(lambda key, **_: key, "/data/many", classes, images, 50, 20, "truecolor", False)
    text = picture_text(rows)
    assert len(rows) <= 20 and all(f"class{index} (100)" in text for index in range(10))
    assert "train.preview.more" not in text
    rows = folder_rows(lambda key, **_: key, "/data/many", classes * 4, images * 4, 50, 20, "truecolor", False)
    assert len(rows) <= 20 and "train.preview.more" in picture_text(rows)
