"""Where the CLI writes: never over an input, another output or someone else's file; checked before any
work; `cnntui train` keeps finished epochs on Ctrl-C and never leaves new weights beside an old record.

Real files in tmp_path and the installed console script in a subprocess, as a student runs it.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnntui.core import Network

SCRIPT = Path(sys.executable).with_name("cnntui")
SMALL = {"name": "small", "input": [1, 28, 28], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 5}, {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 4},
    {"type": "flatten"}, {"type": "linear", "out_features": 10}]}
NOBODY = 65534


def environment(folder: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(folder / "cache"), "HOME": str(folder),
            "OPENBLAS_NUM_THREADS": "1"}


def run(*args, cwd: Path, timeout: float = 300, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env=environment(cwd), **options)


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, one line on stderr, 'cnntui: error: ...', holding every fragment; returns the line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("cnntui: error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "net2.json").write_text(json.dumps(SMALL))
    Image.fromarray(np.full((28, 28), 200, np.uint8), "L").save(tmp_path / "digit.png")
    return tmp_path


def train(folder: Path, *extra, out="w.npz", samples=100, epochs=1, **options):
    return run("train", "net2.json", "--dataset", "digits", "--samples", samples, "--epochs", epochs,
               "--out", out, *extra, cwd=folder, **options)


# -- 1. never over an input or an unrelated file -------------------------------------------------

def test_the_record_of_out_net2_npz_never_replaces_the_network_net2_json(folder):
    before = (folder / "net2.json").read_bytes()
    result = train(folder, out="net2.npz")
    assert_user_error(result, "net2.json", "net2.npz", "--out")
    assert (folder / "net2.json").read_bytes() == before
    assert not (folder / "net2.npz").exists()
    assert "epoch" not in result.stderr and "drew" not in result.stderr


def test_an_output_that_is_an_input_through_a_hard_link_or_a_symlink_is_refused(folder):
    os.link(folder / "digit.png", folder / "hard.npz")
    os.symlink(folder / "net2.json", folder / "link.npz")
    before = (folder / "digit.png").read_bytes()
    for out in ("hard.npz", "link.npz", "digit.png"):
        result = run("forward", "net2.json", "--input", "digit.png", "--seed", "0", "--out", out, "--force", cwd=folder)
        assert_user_error(result, out)
    assert (folder / "digit.png").read_bytes() == before and (folder / "net2.json").read_text() == json.dumps(SMALL)


def test_two_outputs_of_one_command_may_not_be_the_same_file(folder):
    result = run("forward", "net2.json", "--input", "digit.png", "--seed", "0", "--out", "a.npz",
                 "--save-weights", "./a.npz", cwd=folder)
    assert_user_error(result, "a.npz", "--save-weights")
    assert not (folder / "a.npz").exists()


@pytest.mark.parametrize("out", ["", ".", "sub/", ".."])
def test_an_output_name_that_can_only_be_a_folder_is_refused(folder, out):
    (folder / "sub").mkdir()
    for command in (["train", "net2.json", "--dataset", "digits", "--samples", "100"],
                    ["forward", "net2.json", "--input", "digit.png", "--seed", "0"]):
        assert_user_error(run(*command, "--out", out, cwd=folder), f"'{out}' names a folder")
    assert sorted(path.name for path in folder.iterdir()) == ["digit.png", "net2.json", "sub"]


def test_train_refuses_a_record_that_would_replace_its_own_weights_input(folder):
    result = run("train", "net2.json", "--dataset", "digits", "--samples", "100", "--epochs", "1",
                 "--out", "net2.json", cwd=folder)
    assert_user_error(result, "net2.json")
    assert (folder / "net2.json").read_text() == json.dumps(SMALL)


def foreign_files(folder: Path) -> dict[str, bytes]:
    """An existing file of each output kind that cnntui did not make."""
    buffer = io.BytesIO()
    np.savez(buffer, data=np.arange(3))
    picture = io.BytesIO()
    Image.new("L", (4, 4)).save(picture, format="PNG")
    return {"w.npz": buffer.getvalue(), "w.json": b'{"my": "notes"}', "a.npz": buffer.getvalue(),
            "s.npz": buffer.getvalue(), "p.png": picture.getvalue()}


COMMANDS = {
    "train weights": ("w.npz", ["train", "net2.json", "--dataset", "digits", "--samples", "100", "--epochs", "1",
                                "--out", "w.npz"]),
    "train record": ("w.json", ["train", "net2.json", "--dataset", "digits", "--samples", "100", "--epochs", "1",
                                "--out", "w.npz"]),
    "forward activations": ("a.npz", ["forward", "net2.json", "--input", "digit.png", "--seed", "0", "--out", "a.npz"]),
    "forward weights": ("s.npz", ["forward", "net2.json", "--input", "digit.png", "--seed", "0", "--out", "a2.npz",
                                  "--save-weights", "s.npz"]),
    "render png": ("p.png", ["render", "net2.json", "--input", "digit.png", "--seed", "0", "--layer", "0",
                             "--colors", "none", "--png", "p.png"]),
}


@pytest.mark.parametrize("case", COMMANDS)
def test_a_foreign_existing_output_is_refused_unless_forced(folder, case):
    name, command = COMMANDS[case]
    content = foreign_files(folder)[name]
    (folder / name).write_bytes(content)
    result = run(*command, cwd=folder)
    assert_user_error(result, name, "--force")
    assert (folder / name).read_bytes() == content
    forced = run(*command, "--force", cwd=folder)
    assert forced.returncode == 0, forced.stderr
    assert (folder / name).read_bytes() != content


@pytest.mark.parametrize("case", COMMANDS)
def test_a_file_the_same_command_made_is_replaced_without_force(folder, case):
    name, command = COMMANDS[case]
    first = run(*command, cwd=folder)
    assert first.returncode == 0, first.stderr
    made = (folder / name).stat().st_ino  # a replaced file is a new inode (written beside, then renamed)
    again = run(*command, cwd=folder)
    assert again.returncode == 0, again.stderr
    assert (folder / name).stat().st_ino != made


def test_an_older_record_without_made_by_counts_as_cnntuis(folder):
    first = train(folder)
    assert first.returncode == 0, first.stderr
    record = json.loads((folder / "w.json").read_text())
    assert record["made_by"] == "cnntui train" and record["weights"] == "w.npz"
    old = {key: value for key, value in record.items() if key not in ("made_by", "weights", "weights_sha256")}
    (folder / "w.json").write_text(json.dumps(old))
    assert train(folder).returncode == 0


def test_a_run_killed_between_record_and_weights_is_redone_without_force(folder):
    # The kill leaves the new record beside the old weights: both cnntui train's, so the same
    # command run again replaces the pair, and the record matches its weights again.
    from cnntui.train.record import file_sha256, weights_record

    assert train(folder).returncode == 0
    record = json.loads((folder / "w.json").read_text())
    (folder / "w.json").write_text(json.dumps({**record, "weights_sha256": "0" * 64}))
    assert weights_record(folder / "w.npz") is None  # stale: not to be trusted
    result = train(folder)
    assert result.returncode == 0, result.stderr
    assert weights_record(folder / "w.npz")["weights_sha256"] == file_sha256(folder / "w.npz")


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_an_output_that_is_a_folder_or_a_pipe_is_refused_even_with_force(folder, kind):
    target = folder / "w.npz"
    target.mkdir() if kind == "folder" else os.mkfifo(target)
    result = train(folder, "--force", timeout=60)
    assert_user_error(result, "w.npz", "folder" if kind == "folder" else "pipe")
    assert "epoch" not in result.stderr


def run_as_nobody(*args, cwd: Path) -> subprocess.CompletedProcess:
    """``cnntui ARGS`` in a forked child whose effective user is nobody. Not a new process: the
    interpreter lives under /root, which nobody cannot enter, so everything the command imports is
    imported here first."""
    import cnntui.cli
    import cnntui.core.network
    import cnntui.outputs
    import cnntui.train.datasets
    import cnntui.train.loop  # noqa: F401

    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status and the pipe
        code = 3
        try:
            os.close(read_end)
            os.chdir(cwd)
            os.environ.update(environment(cwd))
            sys.stderr = os.fdopen(write_end, "w")
            os.setegid(NOBODY)
            os.seteuid(NOBODY)
            code = cnntui.cli.main([str(arg) for arg in args])
            sys.stderr.flush()
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        stderr = pipe.read()
    _, status = os.waitpid(child, 0)
    return subprocess.CompletedProcess(args, os.waitstatus_to_exitcode(status), "", stderr)


@pytest.fixture
def open_folder():
    """A folder everyone may enter (pytest's tmp_path is root's alone), removed afterwards."""
    with tempfile.TemporaryDirectory() as name:
        os.chmod(name, 0o755)
        yield Path(name)


def test_an_unwritable_folder_is_refused_before_drawing_or_training(open_folder):
    (open_folder / "net2.json").write_text(json.dumps(SMALL))
    locked = open_folder / "locked"
    locked.mkdir(mode=0o755)  # root's: nobody may look inside but not create files there
    started = time.perf_counter()
    result = run_as_nobody("train", "net2.json", "--dataset", "digits", "--samples", "2000", "--epochs", "20",
                           "--out", "locked/w.npz", cwd=open_folder)
    assert_user_error(result, "locked/w.npz", "ermission denied")
    assert time.perf_counter() - started < 20
    assert "epoch" not in result.stderr and "drew" not in result.stderr
    assert not list(locked.iterdir())


def test_the_record_says_what_it_describes(folder):
    assert train(folder).returncode == 0
    from cnntui.train.record import file_sha256, read_record, weights_record

    record = read_record(folder / "w.json")
    assert record["weights_sha256"] == file_sha256(folder / "w.npz") and record["interrupted"] is False
    assert record["epochs_done"] == 1
    assert weights_record(folder / "w.npz") == record


# -- 2. train: Ctrl-C, and a kill between the two writes --------------------------------------------

def hear_ctrl_c() -> None:
    """In the child, before cnntui starts: SIGINT heard and by default handled. A child inherits an
    ignored or blocked SIGINT through exec, and Python then never raises KeyboardInterrupt; under
    pytest-xdist (two workers) these tests saw runs go on to the end after Ctrl-C."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_in_training_keeps_the_finished_epochs(folder):
    process = subprocess.Popen([str(SCRIPT), "train", "net2.json", "--dataset", "digits", "--samples", "400",
                                "--epochs", "200", "--out", "w.npz"], cwd=folder, env=environment(folder),
                               stderr=subprocess.PIPE, text=True, preexec_fn=hear_ctrl_c)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith("cnntui: epoch 1/200"):
            break
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130, "".join(seen) + rest
    record = json.loads((folder / "w.json").read_text())
    done = record["epochs_done"]
    assert record["interrupted"] is True and 1 <= done < 200
    assert f"interrupted in epoch {done + 1} of 200: saved the weights after epoch {done} to w.npz" in rest
    assert "Traceback" not in rest
    net = Network.load(folder / "net2.json")
    net.load_weights(folder / "w.npz")


def interrupt_on_a_terminal(folder: Path, samples: int, epochs: int, when: bytes) -> tuple[int, str]:
    """Run `cnntui train` with stderr on a pseudo-terminal, so its progress bar draws; press Ctrl-C
    (SIGINT) as soon as ``when`` appears on it. Returns the exit status and everything it printed."""
    import pty

    main, side = pty.openpty()
    process = subprocess.Popen([str(SCRIPT), "train", "net2.json", "--dataset", "digits", "--samples", str(samples),
                                "--epochs", str(epochs), "--out", "w.npz"], cwd=folder, env=environment(folder),
                               stderr=side, stdout=subprocess.DEVNULL, preexec_fn=hear_ctrl_c)
    os.close(side)
    shown = b""
    interrupted = False
    while True:
        try:
            piece = os.read(main, 4096)
        except OSError:  # the other side closed: the process ended
            break
        if not piece:
            break
        shown += piece
        if not interrupted and when in shown:
            process.send_signal(signal.SIGINT)
            interrupted = True
    os.close(main)
    return process.wait(timeout=60), shown.decode("utf-8", "replace")


def test_ctrl_c_while_drawing_the_dataset_stops_cleanly_and_writes_nothing(folder):
    status, shown = interrupt_on_a_terminal(folder, 5000, 1, b"drawing digits [")
    assert status == 130, shown
    assert "interrupted while drawing the digits dataset: nothing written" in shown and "Traceback" not in shown
    assert not (folder / "w.npz").exists() and not (folder / "w.json").exists()


def test_ctrl_c_in_the_first_epoch_writes_nothing_and_says_so(folder):
    status, shown = interrupt_on_a_terminal(folder, 2000, 3, b"epoch 1/3 [")
    assert status == 130, shown
    assert "interrupted in epoch 1 of 3, before any epoch was complete: nothing written" in shown
    assert not (folder / "w.npz").exists() and not (folder / "w.json").exists()


class Killed(BaseException):
    """Stands for SIGKILL between the record and the weights: nothing after it runs."""


def test_a_kill_between_the_record_and_the_weights_leaves_a_stale_record(tmp_path, monkeypatch):
    from cnntui.train import record as records

    weights = tmp_path / "w.npz"
    records.save_with_record(weights, b"old weights", {"note": "old"})
    assert records.weights_record(weights)["note"] == "old"

    real_replace = os.replace

    def killed_at_the_weights(source, target):
        if Path(target) == weights:
            raise Killed
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", killed_at_the_weights)
    with pytest.raises(Killed):
        records.save_with_record(weights, b"new weights", {"note": "new"})
    monkeypatch.undo()
    assert weights.read_bytes() == b"old weights"
    assert records.read_record(tmp_path / "w.json")["note"] == "new"
    assert records.weights_record(weights) is None  # stale: it describes weights that are not there


def test_a_failed_weights_write_puts_the_old_record_back(tmp_path, monkeypatch):
    from cnntui.train import record as records

    weights = tmp_path / "w.npz"
    records.save_with_record(weights, b"old weights", {"note": "old"})
    real_replace = os.replace

    def disk_full(source, target):
        if Path(target) == weights:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        records.save_with_record(weights, b"new weights", {"note": "new"})
    monkeypatch.undo()
    assert records.weights_record(weights)["note"] == "old"


# -- 2. --samples -------------------------------------------------------------------------------

def test_too_few_samples_to_split_are_refused_with_the_smallest_that_works(folder):
    result = train(folder, samples=1)
    line = assert_user_error(result, "--samples 1", "give --samples 50 or more")
    assert "held-out" not in line and not (folder / "w.npz").exists()
    assert train(folder, samples=50).returncode == 0


SHAPES_NET = {"name": "tiny", "input": [3, 64, 64], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "stride": 4}, {"type": "relu"},
    {"type": "flatten"}, {"type": "linear", "out_features": 10}]}


def limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))


def test_samples_beyond_the_memory_budget_are_refused_before_drawing(folder):
    (folder / "tiny.json").write_text(json.dumps(SHAPES_NET))
    started = time.perf_counter()
    result = run("train", "tiny.json", "--dataset", "shapes", "--samples", "200000", "--out", "w.npz", cwd=folder,
                 preexec_fn=limit_memory)
    line = assert_user_error(result, "--samples 200000", "1.0 GiB budget", "GiB")
    assert time.perf_counter() - started < 20
    largest = int(line.split("give --samples ")[1].split()[0])
    assert 10_000 < largest < 200_000
    assert not (folder / "w.npz").exists()


# -- 3. the app's Train save writes the same record ------------------------------------------------

async def test_the_apps_train_save_writes_a_record_but_never_over_another_json(tmp_path, monkeypatch):
    from test_app import make_app
    from test_train_app import train_until, type_into_dialog, until

    from cnntui.train.record import weights_record

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    network = tmp_path / "mine2.json"
    network.write_text(json.dumps(SMALL))
    app = make_app(tmp_path, mode="train")
    async with app.run_test(size=(120, 40)) as pilot:
        await train_until(pilot, "done", samples="200", epochs="1")
        await type_into_dialog(pilot, "w", str(tmp_path / "mine.npz"))
        await until(pilot, lambda: (tmp_path / "mine.npz").exists())
        record = weights_record(tmp_path / "mine.npz")
        assert record is not None and record["made_by"] == "cnntui train" and record["dataset"] == "digits"
        assert record["epochs_done"] == 1 and record["interrupted"] is False and record["network"] == "lenet5"

        await type_into_dialog(pilot, "w", str(tmp_path / "mine2.npz"))
        await until(pilot, lambda: (tmp_path / "mine2.npz").exists())
        assert network.read_text() == json.dumps(SMALL)
        notes = [str(note.message) for note in app._notifications]
        assert app.t("train.save.done_no_record", path=str(tmp_path / "mine2.npz"), record=str(network)) in notes


def test_the_cached_dataset_the_command_reads_is_an_input_even_with_force(folder):
    assert train(folder).returncode == 0  # draws the digits and caches them
    [cache] = (folder / "cache" / "cnntui" / "datasets").glob("digits-*.npz")
    before = cache.read_bytes()
    result = train(folder, "--force", out=str(cache))
    assert_user_error(result, "cached digits dataset")
    assert cache.read_bytes() == before
