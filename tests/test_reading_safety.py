"""Reading what a student names safely (issue 14): only regular files, never read whole when too
large, memory budgets checked before anything is allocated, and one line instead of a crash.

Command-line cases run in a subprocess with a timeout (a named pipe used to block for ever) and,
for memory, under an address-space limit, so that a regression fails here instead of taking
the machine into the out-of-memory killer.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from cnntui import cli
from cnntui.core import analysis
from cnntui.core.errors import CnntuiError, WeightsError
from cnntui.core.reading import NETWORK_FILE_LIMIT, open_regular, read_bytes
from cnntui.core.weights import read_npz
from cnntui.images import load_input
from test_app import make_app
from test_cli import assert_user_error

MEMORY_LIMIT = 3 << 29  # 1.5 GiB of address space: far below what the bad files below would take
TIMEOUT = 20  # seconds; every case here answers in about one


def run(*args, cwd: Path, memory_limit: int | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    return subprocess.run([sys.executable, "-m", "cnntui", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=TIMEOUT, preexec_fn=limit_memory if memory_limit else None,
                          env={**os.environ, **(env or {})})


def network_file(folder: Path, name: str, input_shape, layers=({"type": "relu"},)) -> Path:
    path = folder / name
    path.write_text(json.dumps({"name": path.stem, "input": list(input_shape), "layers": list(layers)}))
    return path


def npy_header(shape, descr: str = "<f4") -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": False, "shape": shape})
    return stream.getvalue()


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "small.png"
    Image.new("L", (20, 20), 128).save(path)
    return path


# -- 1. only regular files -------------------------------------------------------

@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("role", ["network", "weights", "input"])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(role, fifo, tmp_path, image):
    pipe = fifo.rename(tmp_path / {"network": "pipe.json", "weights": "pipe.npz", "input": "pipe.npy"}[role])
    args = {"network": ["forward", pipe, "--input", image, "--seed", "0"],
            "weights": ["forward", "lenet5", "--input", image, "--weights", pipe],
            "input": ["forward", "lenet5", "--input", pipe, "--seed", "0"]}[role]
    result = run(*args, "--out", tmp_path / "out.npz", cwd=tmp_path)
    assert_user_error(result, str(pipe), "named pipe", "not a regular file")
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize(("target", "kind"), [("/dev/zero", "a device"), (".", "a folder")])
def test_a_device_or_a_folder_as_the_network_is_refused_by_name(target, kind, tmp_path):
    result = run("summary", target, cwd=tmp_path)
    assert_user_error(result, f"{target}: it is {kind}, not a regular file")


def test_a_50_mb_junk_file_as_the_network_is_refused_before_it_is_read(tmp_path):
    junk = tmp_path / "junk.json"
    with open(junk, "wb") as handle:  # sparse: 50 MB long, nothing on disk
        handle.truncate(50 * 10**6)
    result = run("summary", junk, cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "junk.json is 47.7 MiB", "network file", "4.0 MiB at most")


def test_a_file_is_read_only_up_to_the_limit(tmp_path):
    path = tmp_path / "net.json"
    path.write_bytes(b" " * 100)
    assert read_bytes(path, 100) == b" " * 100
    with pytest.raises(CnntuiError, match="more than any file needs"):
        read_bytes(path, 99)
    assert NETWORK_FILE_LIMIT == 4 << 20


def test_a_socket_is_named_as_one(tmp_path):
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        with pytest.raises(CnntuiError, match="it is a socket"), open_regular(tmp_path / "sock"):
            pass


def test_a_regular_file_swapped_for_a_pipe_after_the_check_is_still_refused(tmp_path, monkeypatch):
    """The name is checked, then the open file again: a swap in between is caught."""
    path = tmp_path / "net.json"
    path.write_text("{}")
    real_open = os.open

    def swapping_open(name, flags, *rest):
        os.unlink(name)
        os.mkfifo(name)
        return real_open(name, flags, *rest)

    monkeypatch.setattr(os, "open", swapping_open)
    with pytest.raises(CnntuiError, match="named pipe"), open_regular(path):
        pass


class PipeWatch:
    """Watches for a reader on a named pipe: a writer's non-blocking open succeeds only while something
    has the pipe open for reading, and it also frees a reader stuck in open(). So a regression (the app
    opening the pipe) is seen and fails the test, instead of hanging it, however slow the machine."""

    def __init__(self, path: Path):
        self.path, self.reader_seen, self.done = path, False, threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self) -> None:
        while not self.done.wait(0.05):
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # ENXIO: nobody reading, as it should be
                continue
            self.reader_seen = True

    def stop(self) -> bool:
        """Stop watching; True when a reader was ever seen."""
        self.done.set()
        self.thread.join()
        return self.reader_seen


async def test_the_app_starts_with_lenet5_when_its_last_network_is_a_pipe(tmp_path, fifo):
    (tmp_path / "settings.json").write_text(json.dumps({"network": str(fifo)}))
    watch = PipeWatch(fifo)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        started = time.monotonic()
        while not app._notifications and time.monotonic() - started < TIMEOUT:
            await pilot.pause()
        assert not watch.stop(), "the app opened the pipe"
        assert app.network.name == "lenet5"
        notices = [n.message for n in app._notifications]
        assert any(str(fifo) in notice and "named pipe" in notice and "lenet5" in notice for notice in notices), notices


# -- 2. budgets before allocating ------------------------------------------------

@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A 9 MiB .npz whose one array inflates to 2 GiB of zeros, with an honest header."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("0.weight.npy", "w", force_zip64=True) as member:
            member.write(npy_header((1 << 29,)))
            zeros = bytes(1 << 24)
            for _ in range(128):
                member.write(zeros)
    return path


def forged_npz(folder: Path) -> Path:
    """350 bytes that claim 10^11 floats, in an archive that declares the entry that long."""
    path = folder / "forged.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("0.weight.npy", npy_header((10**11,)))
    return path


def test_a_forged_weights_header_is_refused_before_allocating(tmp_path, image):
    weights = forged_npz(tmp_path)
    assert weights.stat().st_size < 350
    result = run("forward", "lenet5", "--input", image, "--weights", weights, "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "forged.npz is damaged", "'0.weight' holds 372.5 GiB")


def test_a_zip_bomb_of_weights_is_refused_from_its_headers(tmp_path, image, bomb):
    result = run("forward", "lenet5", "--input", image, "--weights", bomb, "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "bomb.npz would hold 2.0 GiB of arrays", "128.0 MiB allowed for weights")


def test_headers_are_checked_against_the_budget_in_the_engine(tmp_path, bomb):
    with pytest.raises(WeightsError, match="would hold 2.0 GiB"):
        read_npz(bomb, 64 << 20)
    with pytest.raises(WeightsError, match="damaged"):
        read_npz(forged_npz(tmp_path), 64 << 20)
    good = tmp_path / "good.npz"
    np.savez(good, **{"0.weight": np.ones((2, 3), np.float32)})
    assert read_npz(good, 24)["0.weight"].shape == (2, 3)
    with pytest.raises(WeightsError, match=r"would hold 24 B of arrays \(as their headers say\), more than the 23 B"):
        read_npz(good, 23)


def test_a_huge_network_input_is_refused_before_the_image_is_resized(tmp_path, image):
    network = network_file(tmp_path, "huge.json", (1, 30000, 30000))
    result = run("forward", network, "--input", image, "--seed", "0", "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "would need about 6.7 GiB", "1.0 GiB budget")


def test_a_huge_npy_input_is_refused_from_its_header(tmp_path):
    network = network_file(tmp_path, "huge.json", (1, 30000, 30000))
    array = tmp_path / "big.npy"
    header = npy_header((1, 30000, 30000))
    with open(array, "wb") as handle:  # the whole 3.4 GiB, but sparse
        handle.write(header)
        handle.truncate(len(header) + 30000 * 30000 * 4)
    result = run("forward", network, "--input", array, "--seed", "0", "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "would need about 6.7 GiB", "batch 1")


def test_a_npy_batch_too_large_to_run_is_refused_before_reading(tmp_path):
    array = tmp_path / "batch.npy"
    header = npy_header((1_000_000, 1, 32, 32))
    with open(array, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + 1_000_000 * 32 * 32 * 4)
    result = run("forward", "lenet5", "--input", array, "--seed", "0", "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "batch 1000000", "1.0 GiB budget")


def test_a_huge_png_is_refused_without_decoding(tmp_path):
    picture = tmp_path / "huge.png"
    Image.new("L", (15000, 15000)).save(picture)
    result = run("forward", "lenet5", "--input", picture, "--seed", "0", "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=MEMORY_LIMIT)
    assert_user_error(result, "huge.png is too large to decode safely")


def test_an_input_within_the_budget_but_beyond_free_memory_gets_the_figures(tmp_path, image):
    """A MemoryError the budgets did not foresee (the machine has less free) is one line with figures."""
    network = network_file(tmp_path, "mid.json", (1, 8000, 8000), [{"type": "relu"}, {"type": "relu"}])
    result = run("forward", network, "--input", image, "--seed", "0", "--out", tmp_path / "out.npz",
                 cwd=tmp_path, memory_limit=600 << 20)
    assert_user_error(result, "'cnntui forward' ran out of memory: Unable to allocate", "1.0 GiB for a forward pass")


# -- 3. crashes that become one line ----------------------------------------------

def test_json_nested_100000_deep_is_one_line(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert_user_error(run("summary", deep, cwd=tmp_path), "nests lists and objects more than 32 deep")


def test_json_nested_a_little_too_deep_is_refused_before_the_engine_recurses(tmp_path):
    nested = json.loads("[" * 600 + "]" * 600)  # parses, but copying the network recursed past the limit
    network = network_file(tmp_path, "nested.json", (1, 8, 8), [{"type": "relu", "x": nested}])
    assert_user_error(run("summary", network, cwd=tmp_path), "more than 32 deep")


@pytest.mark.parametrize("size", [10**20, 100_001])
def test_an_input_size_beyond_the_limit_is_a_spec_error(tmp_path, size):
    network = network_file(tmp_path, "big.json", (1, size, 28))
    result = run("render", network, "--layer", "0", "--seed", "0", cwd=tmp_path)
    assert_user_error(result, "each size in \"input\" must be at most 100,000", f"got [1, {size}, 28]")


def test_the_command_line_input_shape_has_the_same_limit(tmp_path):
    assert cli.MAX_INPUT_SIZE == analysis.MAX_INPUT_SIZE
    result = run("summary", "lenet5", "--input", f"1x{10**20}x28", cwd=tmp_path)
    assert_user_error(result, "each size must be at most 100,000")
    assert run("summary", "lenet5", "--input", "1x100000x28", cwd=tmp_path).returncode == 0


def test_a_npy_batch_of_zero_images_is_one_line(tmp_path):
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 1, 32, 32), np.float32))
    result = run("forward", "lenet5", "--input", empty, "--seed", "0", "--out", tmp_path / "out.npz", cwd=tmp_path)
    assert_user_error(result, "empty.npy holds a batch of 0 inputs (shape 0x1x32x32)")
    with pytest.raises(CnntuiError, match="batch of 0"):
        load_input(empty, (1, 32, 32))


def test_a_npy_shorter_than_its_header_is_damaged(tmp_path):
    short = tmp_path / "short.npy"
    short.write_bytes(npy_header((1, 32, 32)) + bytes(100))
    with pytest.raises(CnntuiError, match="promises 4.0 KiB of data but the file holds 100 B"):
        load_input(short, (1, 32, 32))


@pytest.mark.parametrize("chunk", ["zTXt", "iCCP"])
def test_a_png_whose_text_or_colour_profile_inflates_too_far_is_one_line(tmp_path, chunk):
    picture = tmp_path / f"{chunk}.png"
    inflated = b"A" * (8 << 20)  # compresses to a few KiB; Pillow refuses past 1 MiB
    if chunk == "zTXt":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", inflated.decode(), zip=True)
        Image.new("L", (8, 8)).save(picture, pnginfo=info)
    else:
        Image.new("L", (8, 8)).save(picture, icc_profile=inflated)
    assert picture.stat().st_size < 64 << 10
    result = run("forward", "lenet5", "--input", picture, "--seed", "0", "--out", tmp_path / "out.npz", cwd=tmp_path)
    assert_user_error(result, f"{chunk}.png is not an image Pillow can read", "Decompressed data too large")


def test_chinese_on_a_latin_1_output_is_replaced_and_said_once(tmp_path):
    result = run("quiz", "--lang", "zh", "--print", "2", cwd=tmp_path, env={"PYTHONIOENCODING": "latin-1"})
    assert result.returncode == 0, result.stderr
    assert "?" in result.stdout and "Traceback" not in result.stderr
    notes = result.stderr.splitlines()
    assert len(notes) == 1 and "cannot show Chinese" in notes[0] and "UTF-8 locale" in notes[0], notes


def test_an_unencodable_network_name_does_not_crash_an_ascii_output(tmp_path):
    network = tmp_path / "net.json"
    network.write_text(json.dumps({"name": "网络", "input": [1, 8, 8], "layers": [{"type": "relu"}]}),
                       encoding="utf-8")
    result = run("summary", network, cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("??: input 1x8x8")


def test_the_reading_and_output_checking_modules_need_no_numpy():
    # The command line checks its outputs and reads networks before it decides whether NumPy is needed.
    code = ("import sys, cnntui.core.reading, cnntui.core.assets, cnntui.outputs, cnntui.train.record; "
            "print('numpy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"

