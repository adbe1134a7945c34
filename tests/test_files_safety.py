"""Writing the user's files safely on a shared server: atomic writes that keep mode, owner and symlinks,
temporary files that fit the file system and are cleaned up, files that cannot be read set aside or left
alone (never written over), and saves that merge under a lock so two sessions keep each other's steps."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest

from cnntui.core.files import LeftAlone, atomic_write, load_json_object, locked, save_json, update_json
from cnntui.quiz.progress import Progress, ProgressStore
from cnntui.tui.settings import Settings, SettingsStore

NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="ownership can only be given away by root")


def write(path: Path, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


@pytest.fixture
def shared_dir():
    """A folder another user (nobody) can reach: pytest's tmp_path sits in a folder only root may enter."""
    folder = Path(tempfile.mkdtemp(prefix="cnntui-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_nobody(work):
    """``work()`` in a forked child running as the user nobody (a student without root): its result, as JSON.
    The interpreter lives in root's home, so the child forks from this one rather than starting a new one."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child
        os.close(reader)
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            out = json.dumps(work()).encode()
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            out = json.dumps({"error": repr(error)}).encode()
        os.write(writer, out)
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        out = pipe.read()
    os.waitpid(child, 0)
    result = json.loads(out)
    assert "error" not in result, result
    return result


# -- atomic_write ------------------------------------------------------------------------------------


def test_a_rewrite_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("old")
    path.chmod(0o600)
    write(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_file_gets_the_usual_mode(tmp_path):
    mask = os.umask(0o022)
    try:
        write(tmp_path / "new.json", "x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


def linked_settings(folder: Path, content: str) -> tuple[Path, Path]:
    """(settings.json, the file it links to in dotfiles/), as a student who keeps dotfiles in a repository has."""
    (folder / "dotfiles").mkdir()
    target = folder / "dotfiles" / "settings.json"
    target.write_text(content)
    link = folder / "settings.json"
    link.symlink_to(target)
    return link, target


def test_writing_through_a_symlink_keeps_the_link_and_writes_its_target(tmp_path):
    link, target = linked_settings(tmp_path, "old")
    write(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dotfiles", "settings.json"]


def test_a_dangling_symlink_is_written_at_its_target(tmp_path):
    link = tmp_path / "settings.json"
    link.symlink_to(tmp_path / "real.json")
    write(link, "new")
    assert link.is_symlink() and (tmp_path / "real.json").read_text() == "new"


@as_root
def test_root_rewriting_a_students_file_keeps_its_owner(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("old")
    os.chown(path, NOBODY, NOBODY)
    write(path, "new")
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (NOBODY, NOBODY) and path.read_text() == "new"


@as_root
def test_root_making_files_and_folders_in_a_students_folder_gives_them_to_the_student(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    save_json(home / "config" / "cnntui" / "settings.json", {"language": "zh"})
    update_json(home / "progress.json", lambda data: {**data, "session": 1})
    made = [home / "config", home / "config" / "cnntui", home / "config" / "cnntui" / "settings.json",
            home / "progress.json", home / "progress.json.lock"]
    assert [(p.stat().st_uid, p.stat().st_gid) for p in made] == [(NOBODY, NOBODY)] * len(made)


def test_a_legal_250_byte_name_can_be_written(tmp_path):
    name = "ab" + "é" * 122 + ".npz"  # 250 bytes of UTF-8: legal, and cut short in the temporary name
    assert len(name.encode()) == 250
    write(tmp_path / name, "weights")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_the_temporary_file_has_a_distinctive_name_beside_the_target(tmp_path):
    seen = []
    with atomic_write(tmp_path / "net.json", "w") as handle:
        seen = [p.name for p in tmp_path.iterdir()]
        handle.write("{}")
    assert len(seen) == 1 and seen[0].startswith(".net.json.cnntui-") and seen[0].endswith(".tmp")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "net.json"
    path.write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_write(path, "w") as handle:
        handle.write("half")
        1 / 0
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["net.json"]


def make_stale(path: Path, age: float = 120) -> Path:
    path.write_text("left by a killed write")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_left_over_temporary_files_are_cleaned_by_the_next_write_but_not_a_locked_or_young_one(tmp_path):
    stale = make_stale(tmp_path / ".net.json.cnntui-0a1b2c3d.tmp")
    young = make_stale(tmp_path / ".net.json.cnntui-11111111.tmp", age=5)
    busy = make_stale(tmp_path / ".big.npz.cnntui-22222222.tmp")
    not_ours = make_stale(tmp_path / ".net.json.tmp")
    with open(busy) as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another writer, still writing
        write(tmp_path / "other.json", "{}")
    assert not stale.exists()
    assert young.exists() and busy.exists() and not_ours.exists()


# -- a file that cannot be read ------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"\xff\xfe", b'{"a": ', b"[1, 2]", b'"text"'])
def test_a_file_that_is_not_a_json_object_is_set_aside(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    found = load_json_object(path)
    assert found.data == {} and found.problem and not found.left_alone
    assert found.moved_to.read_bytes() == content and not path.exists()


def test_a_folder_in_place_of_the_file_is_set_aside(tmp_path):
    path = tmp_path / "settings.json"
    path.mkdir()
    (path / "inside").write_text("kept")
    found = load_json_object(path)
    assert found.problem and found.moved_to.is_dir() and (found.moved_to / "inside").read_text() == "kept"
    save_json(path, {"language": "en"})
    assert json.loads(path.read_text()) == {"language": "en"}


def test_a_missing_file_is_no_problem(tmp_path):
    found = load_json_object(tmp_path / "none.json")
    assert (found.data, found.problem, found.moved_to, found.left_alone) == ({}, None, None, False)


@pytest.mark.parametrize("data, kept, rewritten", [
    ({"language": 5}, Settings(), None),
    ({"language": "zh", "theme": ["x"], "colors": "16"}, Settings(language="zh", colors="16"),
     {"language": "zh", "colors": "16"}),
    ({"network": "", "colors": "rainbow"}, Settings(), {"colors": "rainbow"}),  # a newer version's colours
    ({"colors": None, "theme": 3}, Settings(), None)])
def test_settings_with_a_value_of_the_wrong_kind_are_set_aside_and_the_rest_kept(tmp_path, data, kept, rewritten):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    store = SettingsStore(path)
    assert store.load() == kept
    assert store.problem and store.moved_to and json.loads(store.moved_to.read_text()) == data
    assert (json.loads(path.read_text()) if path.exists() else None) == rewritten


@pytest.mark.parametrize("data", [{"language": None, "from_a_newer_version": 3},
                                  {"language": "fr", "colors": "hdr"}])  # values a newer version may know
def test_unknown_settings_and_values_are_not_damage(tmp_path, data):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    store = SettingsStore(path)
    assert store.load() == Settings() and store.problem is None
    store.save(Settings(theme="textual-light"), ["theme"])
    assert json.loads(path.read_text()) == {**data, "theme": "textual-light"}  # kept for the version that knows


def load_and_save(folder: Path):
    """What a student's session does: load both stores, then save a change to each."""
    def work() -> dict:
        settings, progress = SettingsStore(folder / "settings.json"), ProgressStore(folder / "progress.json")
        settings.load(), progress.load()
        settings.save(Settings(language="zh"), ["language"])
        progress.save(Progress(session=9))
        return {"settings": [settings.problem, str(settings.moved_to), settings.read_only],
                "progress": [progress.problem, str(progress.moved_to), progress.read_only]}
    return work


@as_root
def test_files_the_student_cannot_read_are_set_aside_when_the_folder_allows_it(shared_dir):
    os.chown(shared_dir, NOBODY, NOBODY)
    for name in ("settings.json", "progress.json"):
        (shared_dir / name).write_text('{"language": "en", "session": 4}')
        (shared_dir / name).chmod(0)
    report = as_nobody(load_and_save(shared_dir))
    for name in ("settings", "progress"):
        problem, moved_to, read_only = report[name]
        assert "Permission denied" in problem and not read_only
        assert Path(moved_to).read_text() == '{"language": "en", "session": 4}'  # kept, as it was
    assert json.loads((shared_dir / "settings.json").read_text()) == {"language": "zh"}
    assert json.loads((shared_dir / "progress.json").read_text())["session"] == 9


@as_root
def test_files_that_can_be_neither_read_nor_moved_are_left_alone_and_never_written(shared_dir):
    for name in ("settings.json", "progress.json"):  # root's folder: the student cannot rename in it
        (shared_dir / name).write_text("root's")
        (shared_dir / name).chmod(0)
    report = as_nobody(load_and_save(shared_dir))
    for name in ("settings", "progress"):
        problem, moved_to, read_only = report[name]
        assert "Permission denied" in problem and moved_to == "None" and read_only
        assert (shared_dir / f"{name}.json").read_text() == "root's"
    assert sorted(p.name for p in shared_dir.iterdir()) == ["progress.json", "settings.json"]


def test_a_store_that_was_left_alone_never_saves(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    path.write_text("not json")
    monkeypatch.setattr("cnntui.core.files.set_aside", _refuse_rename)
    store = ProgressStore(path)
    store.load()
    assert store.read_only and store.moved_to is None
    store.save(Progress(session=3))
    assert path.read_text() == "not json"


def _refuse_rename(path):
    raise PermissionError(13, "Permission denied", str(path))


def test_update_json_refuses_a_file_it_can_neither_read_nor_set_aside(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    path.write_text("[")
    monkeypatch.setattr("cnntui.core.files.set_aside", _refuse_rename)
    with pytest.raises(LeftAlone) as raised:
        update_json(path, lambda data: {"language": "en"})
    assert "left as it is" in str(raised.value) and path.read_text() == "["


# -- two sessions at once --------------------------------------------------------------------------


def _increment(path: str, times: int) -> None:
    for _ in range(times):
        update_json(path, lambda data: {**data, "count": data.get("count", 0) + 1})


def test_two_processes_updating_one_file_lose_nothing(tmp_path):
    path = tmp_path / "counter.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_increment, args=(str(path), 200)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert json.loads(path.read_text()) == {"count": 400}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter.json", "counter.json.lock"]


def test_the_lock_is_a_side_file_and_excludes_others(tmp_path):
    path = tmp_path / "settings.json"
    with locked(path):
        with open(tmp_path / "settings.json.lock") as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert not path.exists()


def test_a_save_behind_a_lock_held_elsewhere_gives_up_in_bounded_time(tmp_path, monkeypatch):
    import cnntui.core.files as files

    monkeypatch.setattr(files, "LOCK_WAIT", 0.3)
    path = tmp_path / "settings.json"
    path.write_text('{"language": "en"}')
    (tmp_path / "settings.json.lock").touch()
    with open(tmp_path / "settings.json.lock") as holder:  # another program holding it for as long as it likes
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(OSError, match="stayed locked"):
            update_json(path, lambda data: {**data, "language": "zh"})
        assert time.monotonic() - started < 5
    assert json.loads(path.read_text()) == {"language": "en"}
    assert update_json(path, lambda data: {**data, "language": "zh"}) == {"language": "zh"}  # free again


def test_a_settings_save_writes_only_what_changed_and_keeps_unknown_keys(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"from_a_newer_version": [1, 2]}))
    first, second = SettingsStore(path), SettingsStore(path)
    mine, theirs = first.load(), second.load()
    first.save(Settings(language="zh", theme=mine.theme), ["language"])
    second.save(Settings(theme="textual-dark", language=theirs.language), ["theme"])
    assert json.loads(path.read_text()) == {"from_a_newer_version": [1, 2], "language": "zh",
                                            "theme": "textual-dark"}


@pytest.mark.parametrize("order", ["behind-saves-last", "ahead-saves-last"])
def test_one_lesson_worked_in_two_sessions_keeps_the_further_step(tmp_path, order):
    path = tmp_path / "progress.json"
    ProgressStore(path).save(Progress(lessons={"numbers": {"step": 1, "attempt": 0, "done": False}}))
    stores = [ProgressStore(path), ProgressStore(path)]
    ahead, behind = (store.load() for store in stores)
    for _ in range(3):
        ahead.advance("numbers", 5)  # step 4
    behind.advance("numbers", 5)  # step 2
    saves = [(stores[0], ahead), (stores[1], behind)]
    for store, progress in (saves if order == "behind-saves-last" else saves[::-1]):
        store.save(progress)
    assert ProgressStore(path).load().lessons["numbers"] == {"step": 4, "attempt": 0, "done": False}


def test_a_session_behind_on_a_lesson_never_moves_the_file_back(tmp_path):
    path = tmp_path / "progress.json"
    stores = [ProgressStore(path), ProgressStore(path)]
    ahead, behind = (store.load() for store in stores)
    for _ in range(3):
        ahead.advance("numbers", 5)
    stores[0].save(ahead)  # step 3 on disk
    behind.advance("numbers", 5)
    stores[1].save(behind)  # step 1 here: the file keeps 3, this session keeps its own place
    assert behind.lessons["numbers"]["step"] == 1
    behind.record("q", "kernel", correct=True, hinted=False)
    stores[1].save(behind)  # a save with no new step
    behind.advance("numbers", 5)
    stores[1].save(behind)  # step 2 here
    assert ProgressStore(path).load().lessons["numbers"]["step"] == 3
    for _ in range(2):
        behind.advance("numbers", 5)
    stores[1].save(behind)  # step 4: now the further one
    assert ProgressStore(path).load().lessons["numbers"]["step"] == 4


def test_a_lesson_finished_in_one_session_stays_finished_when_the_other_saves_last(tmp_path):
    path = tmp_path / "progress.json"
    ProgressStore(path).save(Progress(lessons={"numbers": {"step": 1, "attempt": 0, "done": False}}))
    stores = [ProgressStore(path), ProgressStore(path)]
    finished, behind = (store.load() for store in stores)
    for _ in range(4):
        finished.advance("numbers", 5)  # past the last step: done, the next attempt at step 0
    behind.advance("numbers", 5)  # step 2 of the first attempt
    stores[0].save(finished)
    stores[1].save(behind)
    assert ProgressStore(path).load().lessons["numbers"] == {"step": 0, "attempt": 1, "done": True}


def test_two_progress_stores_merge_each_others_steps(tmp_path):
    path = tmp_path / "progress.json"
    start = Progress(session=2, lessons={"numbers": {"step": 1, "attempt": 0, "done": False}},
                     topics={"kernel": {"asked": 2, "score": 1.0}},
                     review={"old": {"box": 2, "due": 4, "topic": "kernel"},
                             "gone": {"box": 1, "due": 3, "topic": "kernel"}})
    ProgressStore(path).save(start)
    stores = [ProgressStore(path), ProgressStore(path)]
    a, b = (store.load() for store in stores)
    a.session += 1
    stores[0].save(a)
    b.session += 1
    a.advance("numbers", 5)
    a.record("new-a", "kernel", correct=False, hinted=False)
    a.record("gone", "kernel", correct=True, hinted=False)  # moves up a box
    b.lesson("structure")  # only looked at: not a change
    b.advance("padding", 5)
    b.record("new-b", "padding", correct=False, hinted=False)
    b.record("kernel-q", "kernel", correct=True, hinted=True)
    del b.review["old"]
    stores[1].save(b)
    stores[0].save(a)
    merged = ProgressStore(path).load()
    assert merged.session == 4
    assert merged.lessons["numbers"]["step"] == 2 and merged.lessons["padding"]["step"] == 1
    assert "structure" not in merged.lessons or merged.lessons["structure"]["step"] == 0
    assert merged.topics == {"kernel": {"asked": 5, "score": 2.5}, "padding": {"asked": 1, "score": 0.0}}
    assert set(merged.review) == {"gone", "new-a", "new-b"} and merged.review["gone"]["box"] == 2
    assert a == merged  # the instance's object holds the merged result


def test_the_good_entries_of_a_damaged_progress_file_are_saved_again(tmp_path):
    path = tmp_path / "progress.json"
    good = {"numbers": {"step": 2, "attempt": 0, "done": False}}
    path.write_text(json.dumps({"lessons": {**good, "bad": {"step": "x"}},
                                "topics": {"kernel": {"asked": 3, "score": 2}}, "session": 5}))
    store = ProgressStore(path)
    progress = store.load()
    assert store.moved_to and progress.lessons == good
    store.save(progress)
    again = ProgressStore(path).load()
    assert again.lessons == good and again.topics == {"kernel": {"asked": 3, "score": 2}} and again.session == 5


def test_the_good_settings_of_a_damaged_file_are_saved_again(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"language": "zh", "colors": 16, "from_a_newer_version": 1}))
    store = SettingsStore(path)
    settings = store.load()
    assert store.moved_to and settings == Settings(language="zh")
    assert json.loads(path.read_text()) == {"language": "zh", "from_a_newer_version": 1}  # back at once
    store.save(Settings(language="zh", theme="textual-light"), ["theme"])
    assert json.loads(path.read_text()) == {"language": "zh", "from_a_newer_version": 1, "theme": "textual-light"}


def test_a_damaged_symlinked_settings_file_is_set_aside_behind_the_link_which_stays(tmp_path):
    link, target = linked_settings(tmp_path, "[1, 2]")
    store = SettingsStore(link)
    store.load()
    assert store.moved_to.parent == target.parent and store.moved_to.read_text() == "[1, 2]"
    store.save(Settings(language="zh"), ["language"])
    assert link.is_symlink() and json.loads(target.read_text()) == {"language": "zh"}


def test_an_autosave_goes_beside_a_file_that_changed_since_it_was_seen(tmp_path):
    from cnntui.core.files import save_json_unless_changed

    path = tmp_path / "current.json"
    first = save_json_unless_changed(path, {"name": "mine"}, None)  # no file yet: written there
    assert (first.path, first.outcome) == (path, "written")
    again = save_json_unless_changed(path, {"name": "mine, edited"}, first.written)  # still ours: replaced
    assert (again.path, again.outcome) == (path, "written")
    path.write_text('{"name": "theirs"}')  # another session's autosave
    moved = save_json_unless_changed(path, {"name": "mine, edited again"}, again.written)
    assert (moved.path.name, moved.outcome) == ("current-2.json", "theirs")
    assert json.loads(path.read_text()) == {"name": "theirs"}
    assert json.loads(moved.path.read_text()) == {"name": "mine, edited again"}
    (tmp_path / "current-3.json").write_text("{}")
    assert save_json_unless_changed(path, {}, again.written).path.name == "current-4.json"  # a free name
