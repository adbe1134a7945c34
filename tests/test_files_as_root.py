"""Root (sudo cnntui) never follows a student's link to another file, and odd files are one-line problems:
a number too long to read, a folder in place of a file (no descriptor leaked), trained weights that
forward's --save-weights must not take for its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnntui.core.files import atomic_write, load_json_object, read_json_object, update_json

# Python refuses to turn more than 4300 digits into an int (a guard against slow parsing), with a
# ValueError that is not a JSONDecodeError.
LONG_NUMBER = "1" * 5000


def test_settings_file_with_a_huge_number_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"theme": ' + LONG_NUMBER + "}", encoding="utf-8")
    data, problem = read_json_object(path)
    assert data == {}
    assert problem is not None and problem.code == "long_number"


def test_network_with_a_huge_number_is_one_line_and_exit_2(tmp_path):
    net = tmp_path / "net.json"
    net.write_text('{"input": [1, 8, 8], "layers": [{"type": "dense", "units": ' + LONG_NUMBER + "}]}",
                   encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cnntui", "summary", str(net)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "internal error" not in done.stderr
    assert "digits" in done.stderr


def test_a_folder_in_place_of_a_json_file_leaks_no_descriptor(tmp_path):
    (tmp_path / "settings.json").mkdir()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        assert read_json_object(tmp_path / "settings.json")[1].code == "folder"
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands files to the folder's owner")
def test_a_planted_lock_link_never_makes_root_chown_or_create_another_file(tmp_path):
    """As root (sudo cnntui with the student's HOME), a lock file the student replaced by a link to a
    file of root's must not be followed: root would open that file and give it to the student."""
    folder = tmp_path / "config"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    secret = tmp_path / "secret"
    secret.write_text("root's\n")
    secret.chmod(0o600)
    (folder / "settings.json.lock").symlink_to(secret)
    (folder / "other.json.lock").symlink_to(tmp_path / "made-by-root")
    for name in ("settings.json", "other.json"):
        try:
            update_json(folder / name, lambda current: {**current, "language": "en"})
        except OSError:
            pass  # refusing is fine: the save then says it could not be written
    assert secret.stat().st_uid == 0 and secret.read_text() == "root's\n"
    assert not (tmp_path / "made-by-root").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can be led by a student's link to a file of root's")
def test_root_follows_no_link_a_student_made_to_a_file_of_roots(tmp_path):
    """sudo -E cnntui with a student's HOME whose settings.json is a link to /etc/shadow: root must neither
    set that file aside (rename it) nor write over it nor create a file where a dangling link points."""
    tmp_path.chmod(0o755)
    config = tmp_path / "config"
    config.mkdir()
    os.chown(config, 65534, 65534)
    secret = tmp_path / "shadow"
    secret.write_text("root:x:0:0\n")
    link = config / "settings.json"
    link.symlink_to(secret)
    os.chown(link, 65534, 65534, follow_symlinks=False)
    dangling = config / "progress.json"
    dangling.symlink_to(tmp_path / "made-by-root")
    os.chown(dangling, 65534, 65534, follow_symlinks=False)
    found = load_json_object(link)
    assert found.problem is not None and found.moved_to is None
    for path in (link, dangling):
        with pytest.raises(OSError):
            update_json(path, lambda current: {**current, "language": "en"})
        with pytest.raises(OSError), atomic_write(path) as handle:
            handle.write(b"{}")
    assert secret.read_text() == "root:x:0:0\n" and sorted(os.listdir(tmp_path)) == ["config", "shadow"]


@pytest.mark.skipif(os.geteuid() != 0, reason="what root does with a student's links")
def test_root_follows_no_folder_link_a_student_made_to_a_folder_of_roots(tmp_path):
    """The student's config folder itself a link to a folder of root's (~/.config/cnntui -> /etc)."""
    tmp_path.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    roots = tmp_path / "etc"
    roots.mkdir()
    (roots / "settings.json").write_text("root's, not JSON")  # damaged, so a load would set it aside
    config = home / "cnntui"
    config.symlink_to(roots)
    os.chown(config, 65534, 65534, follow_symlinks=False)
    settings = config / "settings.json"
    found = load_json_object(settings)
    assert found.problem is not None and found.moved_to is None  # left alone, not renamed
    with pytest.raises(OSError):
        update_json(settings, lambda current: {**current, "language": "en"})
    with pytest.raises(OSError), atomic_write(config / "current.json") as handle:
        handle.write(b"{}")
    assert sorted(os.listdir(roots)) == ["settings.json"]
    assert (roots / "settings.json").read_text() == "root's, not JSON"


def test_a_students_own_link_is_still_written_through(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text('{"theme": "cnntui"}')
    link = tmp_path / "settings.json"
    link.symlink_to(target)
    update_json(link, lambda current: {**current, "language": "en"})
    assert link.is_symlink() and json.loads(target.read_text()) == {"theme": "cnntui", "language": "en"}


def test_forward_save_weights_never_takes_trained_weights_for_its_own(tmp_path):
    """Trained weights have the same members as --save-weights writes; the record beside them says a
    training made them, and seeded random weights must not replace that work without --force."""
    import io

    import numpy as np

    from cnntui.outputs import is_weights
    from cnntui.train.record import save_with_record

    content = io.BytesIO()
    np.savez(content, **{"0.weight": np.ones((2, 1, 3, 3), np.float32), "0.bias": np.zeros(2, np.float32)})
    trained, saved = tmp_path / "trained.npz", tmp_path / "saved.npz"
    save_with_record(trained, content.getvalue(), {"network": "tiny", "command": "cnntui train tiny"})
    saved.write_bytes(content.getvalue())
    assert is_weights(saved)
    assert not is_weights(trained)
