"""The generated datasets: shapes and ranges, balance, determinism, the cache, split and batches."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cnntui.train import datasets
from cnntui.train.datasets import Dataset, cache_name, load_dataset, make_dataset


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return make_dataset("digits", 400, 3)


@pytest.fixture(scope="module")
def shapes() -> Dataset:
    return make_dataset("shapes", 200, 3)


def test_digits_shape_dtype_range(digits):
    assert digits.x.shape == (400, 1, 32, 32) and digits.x.dtype == np.float32
    assert digits.y.shape == (400,) and digits.y.dtype == np.int64
    assert 0.0 <= digits.x.min() and digits.x.max() <= 1.0
    assert digits.classes == [str(d) for d in range(10)]
    assert digits.shape == (1, 32, 32) and len(digits) == 400 and digits.seed == 3 and digits.name == "digits"
    small = make_dataset("digits", 20, 3, size=28)
    assert small.x.shape == (20, 1, 28, 28)


def test_shapes_shape_dtype_range(shapes):
    assert shapes.x.shape == (200, 3, 64, 64) and shapes.x.dtype == np.float32
    assert shapes.y.dtype == np.int64
    assert 0.0 <= shapes.x.min() and shapes.x.max() <= 1.0
    assert shapes.classes == ["circle", "square", "triangle", "cross", "line",
                              "ring", "star", "crescent", "arrow", "corner"]


def test_classes_are_balanced_and_shuffled(digits, shapes):
    assert digits.counts().tolist() == [40] * 10
    assert shapes.counts().tolist() == [20] * 10
    assert make_dataset("digits", 13, 0).counts().tolist() == [2, 2, 2] + [1] * 7
    assert not np.array_equal(digits.y[:20], np.arange(20) % 10)  # not in drawing order


def test_values_are_whole_bytes(digits, shapes):
    # pixels are made as bytes, so the cache (which stores bytes) loses nothing
    for data in (digits, shapes):
        scaled = data.x * np.float32(255)
        assert np.abs(scaled - np.round(scaled)).max() < 1e-3


def test_same_seed_same_data_other_seed_other_data(digits):
    again = make_dataset("digits", 400, 3)
    assert np.array_equal(again.x, digits.x) and np.array_equal(again.y, digits.y)
    other = make_dataset("digits", 400, 4)
    assert not np.array_equal(other.x, digits.x)
    assert not np.array_equal(make_dataset("digits", 400, 3, size=28).x[:, :, :28, :28], digits.x[:, :, :28, :28])
    a, b = make_dataset("shapes", 30, 1), make_dataset("shapes", 30, 1)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(make_dataset("shapes", 30, 2).x, a.x)


def test_same_data_in_another_process(tmp_path):
    script = textwrap.dedent("""
        import sys, numpy as np
        from cnntui.train.datasets import make_dataset
        for name in ("digits", "shapes"):
            d = make_dataset(name, 40, 11)
            np.save(sys.argv[1] + "/" + name + "-x.npy", d.x)
            np.save(sys.argv[1] + "/" + name + "-y.npy", d.y)
    """)
    env = dict(os.environ, PYTHONHASHSEED="12345")  # a different str hash() must not matter
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, env=env, timeout=60)
    for name in ("digits", "shapes"):
        here = make_dataset(name, 40, 11)
        assert np.array_equal(np.load(tmp_path / f"{name}-x.npy"), here.x)
        assert np.array_equal(np.load(tmp_path / f"{name}-y.npy"), here.y)


def test_digits_are_white_on_black(digits):
    x = digits.x[:, 0]
    assert x.mean() < 0.2
    assert (x.reshape(len(x), -1).max(axis=1) > 0.7).all()
    border = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)
    assert border.mean() < 0.06  # the edges are background


def test_each_digit_looks_different(digits):
    means = np.stack([digits.x[digits.y == c].mean(axis=0).ravel() for c in range(10)])
    gaps = np.linalg.norm(means[:, None] - means[None], axis=2)
    off_diagonal = gaps[~np.eye(10, dtype=bool)]
    assert off_diagonal.min() > 1.0
    # and a nearest-class-mean guess is far better than chance on fresh digits
    test = make_dataset("digits", 200, 99)
    guess = np.linalg.norm(test.x.reshape(200, 1, -1) - means[None], axis=2).argmin(axis=1)
    assert (guess == test.y).mean() > 0.3  # chance is 0.1; about 0.4 here


def test_shapes_stand_out_from_their_background(shapes):
    assert set(shapes.y.tolist()) == set(range(10))
    luma = np.tensordot(shapes.x, np.array([0.299, 0.587, 0.114], np.float32), axes=([1], [0]))
    for image in luma:
        corners = np.array([image[:3, :3].mean(), image[:3, -3:].mean(), image[-3:, :3].mean(),
                            image[-3:, -3:].mean()])
        background = np.median(corners)
        far = np.abs(image - background)
        # the shape is a patch of pixels much brighter or darker than the background
        assert (far > 0.2).sum() >= 20


def test_shape_pixels_differ_in_colour_from_background():
    background, colour = datasets._colours(1000, np.random.default_rng(0))
    assert (np.abs(datasets._luma(colour) - datasets._luma(background)) >= datasets.MIN_CONTRAST).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown dataset"):
        make_dataset("cats", 10, 0)
    with pytest.raises(ValueError, match="sizes"):
        make_dataset("digits", 10, 0, size=30)
    with pytest.raises(ValueError, match="count"):
        make_dataset("digits", 0, 0)
    with pytest.raises(ValueError, match="seed"):
        make_dataset("digits", 10, -1)


# -- the cache -----------------------------------------------------------------------------


class Counter:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))


def test_cache_round_trip(tmp_path):
    drawn_progress = Counter()
    first = load_dataset("digits", 300, 5, cache_dir=tmp_path, progress=drawn_progress)
    path = tmp_path / cache_name("digits", 300, 5, 32)
    assert path.name == "digits-32-300-5-v1.npz" and path.is_file()
    assert drawn_progress.calls[0] == (0, 300) and drawn_progress.calls[-1] == (300, 300)
    assert "cached in" in first.note
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind

    with np.load(path, allow_pickle=False) as data:
        assert data["x"].dtype == np.uint8 and data["classes"].dtype.kind == "U"

    read_progress = Counter()
    second = load_dataset("digits", 300, 5, cache_dir=tmp_path, progress=read_progress)
    assert read_progress.calls == []  # not drawn again
    assert "read from" in second.note
    assert np.array_equal(second.x, first.x) and np.array_equal(second.y, first.y)
    assert second.x.dtype == np.float32 and second.y.dtype == np.int64
    assert second.classes == first.classes and second.seed == 5
    assert np.array_equal(second.x, make_dataset("digits", 300, 5).x)


def test_cache_default_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "default_cache_dir", lambda: tmp_path / "cache" / "datasets")
    data = load_dataset("digits", 10, 0)
    assert (tmp_path / "cache" / "datasets" / "digits-32-10-0-v1.npz").is_file()
    assert data.x.shape == (10, 1, 32, 32)


def test_shapes_are_drawn_each_time_not_cached(tmp_path):
    """Noisy colour shapes hardly compress, so a cache would cost many MB per user for no speed."""
    data = load_dataset("shapes", 10, 0, cache_dir=tmp_path)
    assert not list(tmp_path.iterdir()) and "not cached" in data.note
    assert np.array_equal(data.x, load_dataset("shapes", 10, 0, cache_dir=tmp_path).x)


def test_default_cache_dir_is_the_users_cache():
    from platformdirs import user_cache_path

    assert datasets.default_cache_dir() == user_cache_path("cnntui", appauthor=False) / "datasets"


@pytest.mark.parametrize("damage", [b"not a zip file", b"", "wrong-shape", "pickled"])
def test_corrupt_cache_is_set_aside_and_redrawn(tmp_path, damage):
    path = tmp_path / cache_name("digits", 50, 1, 32)
    if damage == "wrong-shape":
        np.savez_compressed(path, x=np.zeros((50, 1, 28, 28), np.uint8), y=np.zeros(50, np.int64),
                            classes=np.array([str(d) for d in range(10)]))
    elif damage == "pickled":
        np.savez(path, x=np.zeros((50, 1, 32, 32), np.uint8), y=np.zeros(50, np.int64),
                 classes=np.array([str(d) for d in range(10)], dtype=object))
    else:
        path.write_bytes(damage)
    calls = Counter()
    data = load_dataset("digits", 50, 1, cache_dir=tmp_path, progress=calls)
    assert calls.calls  # drawn again
    assert np.array_equal(data.x, make_dataset("digits", 50, 1).x)
    assert "damaged" in data.note
    moved = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(moved) == 1 and moved[0].name.startswith(path.name)
    # and the fresh cache file is good
    again = load_dataset("digits", 50, 1, cache_dir=tmp_path)
    assert "read from" in again.note and np.array_equal(again.x, data.x)


def test_truncated_cache_is_set_aside(tmp_path):
    load_dataset("digits", 50, 2, cache_dir=tmp_path)
    path = tmp_path / cache_name("digits", 50, 2, 32)
    path.write_bytes(path.read_bytes()[:-100])
    data = load_dataset("digits", 50, 2, cache_dir=tmp_path)
    assert "damaged" in data.note and len(data) == 50
    assert any(".corrupt-" in p.name for p in tmp_path.iterdir())


NOBODY = 65534


def as_a_student(body) -> None:
    """``body()`` as a user whom permissions stop: here, or, as root (who writes anywhere), in a forked
    child whose effective user is nobody; it fails if ``body`` fails there."""
    if os.geteuid() != 0:
        body()
        return
    import encodings.ascii  # noqa: F401 - as the fonts, read here: nobody cannot enter the folders they are in
    import traceback

    datasets.glyphs()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        code = 1
        try:
            os.setegid(NOBODY)
            os.seteuid(NOBODY)
            body()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the check failed in the child: its traceback is in the captured stderr"


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX permissions")
def test_unwritable_cache_dir_still_gives_data():
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)  # pytest's tmp_path is root's alone; this one anybody may enter
        locked = Path(name) / "locked"
        locked.mkdir()
        locked.chmod(0o555)  # nobody, not even its owner unless root, may create anything in it

        def loads_uncached() -> None:
            for cache in (locked / "datasets", locked):
                data = load_dataset("digits", 30, 0, cache_dir=cache)
                assert len(data) == 30 and "not cached" in data.note, data.note

        try:
            as_a_student(loads_uncached)
        finally:
            locked.chmod(0o700)
        assert not any(locked.iterdir()), "nothing was written"


def test_cache_dir_that_is_a_file_still_gives_data(tmp_path):
    # works even as root, where permissions do not stop writing
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    data = load_dataset("digits", 30, 0, cache_dir=blocker / "datasets")
    assert len(data) == 30 and "not cached" in data.note
    assert np.array_equal(data.x, make_dataset("digits", 30, 0).x)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", broken)
    data = load_dataset("digits", 20, 0, cache_dir=tmp_path)
    assert len(data) == 20 and "not cached" in data.note and "No space" in data.note
    assert list(tmp_path.iterdir()) == []


# -- split and batches ---------------------------------------------------------------------


def test_split_fraction_and_count(digits):
    train, val = digits.split(0.25)
    assert len(train) == 300 and len(val) == 100
    assert np.array_equal(np.concatenate([train.x, val.x]), digits.x)
    assert np.array_equal(np.concatenate([train.y, val.y]), digits.y)
    assert train.classes == val.classes == digits.classes and train.name == "digits"
    _, val2 = digits.split(0.25)
    assert np.array_equal(val2.x, val.x)  # the same every time
    train, val = digits.split(40)
    assert len(train) == 360 and len(val) == 40
    assert len(set(val.y.tolist())) >= 8  # a random mix, not one class
    for bad in (0.0, 1.0, -1, 401, True, "half"):
        with pytest.raises((ValueError, TypeError)):
            digits.split(bad)


def test_batches_cover_everything_once(digits):
    seen_x, seen_y = [], []
    sizes = []
    for xb, yb in digits.batches(64, np.random.default_rng(0)):
        assert xb.dtype == np.float32 and xb.shape[1:] == (1, 32, 32) and len(xb) == len(yb)
        sizes.append(len(xb))
        seen_x.append(xb)
        seen_y.append(yb)
    assert sizes == [64] * 6 + [16]
    xs, ys = np.concatenate(seen_x), np.concatenate(seen_y)
    order = np.lexsort(xs.reshape(len(xs), -1).T)
    expected = np.lexsort(digits.x.reshape(len(digits), -1).T)
    assert np.array_equal(xs[order], digits.x[expected]) and np.array_equal(ys[order], digits.y[expected])
    assert not np.array_equal(ys, digits.y)  # shuffled
    assert [len(b[0]) for b in digits.batches(64, 0, drop_last=True)] == [64] * 6


def test_batches_follow_the_rng(digits):
    def labels(rng):
        return np.concatenate([yb for _, yb in digits.batches(50, rng)])

    assert np.array_equal(labels(np.random.default_rng(7)), labels(np.random.default_rng(7)))
    assert np.array_equal(labels(7), labels(7))
    rng = np.random.default_rng(7)
    first, second = labels(rng), labels(rng)  # a new order each epoch from one generator
    assert not np.array_equal(first, second)
    unshuffled = np.concatenate([yb for _, yb in digits.batches(50, shuffle=False)])
    assert np.array_equal(unshuffled, digits.y)


def test_making_is_quick_enough():
    import time

    start = time.perf_counter()
    make_dataset("digits", 500, 0)
    assert time.perf_counter() - start < 5  # about 0.1 s: 10,000 take a couple of seconds


def test_no_textual_import():
    code = "import sys, cnntui.train.datasets; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_a_pipe_in_place_of_the_cache_is_set_aside_not_waited_on(tmp_path):
    path = tmp_path / cache_name("digits", 50, 3, 28)
    os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    data = load_dataset("digits", 50, 3, size=28, cache_dir=tmp_path)
    assert len(data) == 50 and "damaged" in data.note and "named pipe" in data.note
    assert path.is_file()  # drawn again and cached in its place
    assert any(".corrupt-" in p.name for p in tmp_path.iterdir())


def test_a_cache_whose_header_claims_too_much_is_set_aside_before_allocating(tmp_path):
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (100_000_000, 1, 28, 28)})
    path = tmp_path / cache_name("digits", 50, 4, 28)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue() + b"\0" * 64)
    data = load_dataset("digits", 50, 4, size=28, cache_dir=tmp_path)  # 73 GiB if it were believed
    assert len(data) == 50 and "damaged" in data.note
    assert np.array_equal(data.x, make_dataset("digits", 50, 4, size=28).x)
