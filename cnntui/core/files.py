"""Writing the user's files so that nothing is ever lost: on a shared lab server, by root by mistake,
from two sessions at once, or killed half-way.

- ``atomic_write`` writes a temporary file beside the target and renames it over: readers see the old
  file or the new one. It keeps the replaced file's mode and (as root) its owner, writes through a
  symlink, and cleans up what killed writes left behind.
- ``load_json_object`` reads a JSON object; whatever cannot be read is set aside (renamed, kept for the
  user) or, if even that fails, left alone and reported: it is never written over.
- ``update_json`` reads, changes and writes a file under a lock on a side file, so two sessions of one
  student merge their steps instead of the last save winning.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

TEMP_TAG = ".cnntui-"
TEMP_SUFFIX = ".tmp"
# A temporary file of ours: ".{name}.cnntui-{8 hex digits}.tmp" (the name may be cut short).
TEMP_NAME = re.compile(r"^\..*\.cnntui-[0-9a-f]{8}\.tmp$", re.DOTALL)
MAX_JSON_BYTES = 16 * 2**20  # far more than any settings or progress file; more is not one of ours
LOCK_WAIT = 2.0  # seconds a save waits for another session's lock before it gives up and says so
STALE_AFTER = 60.0  # seconds: an older temporary file whose writer holds no lock was left by a killed write


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for a moment, for every thread)."""
    with suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- ownership when run as root ---------------------------------------------------------------------


def _give_to_folder_owner(path: str | os.PathLike, fd: int | None = None) -> None:
    """As root, hand a file or folder just made to the owner of the folder it is in, so the student whose
    folder it is can still write it later (sudo cnntui by mistake). Quietly nothing when it cannot."""
    if os.geteuid() != 0:
        return
    with suppress(OSError):
        folder = os.stat(os.path.dirname(os.path.abspath(path)))
        _chown(path, fd, folder.st_uid, folder.st_gid)


def _chown(path: str | os.PathLike, fd: int | None, uid: int, gid: int) -> None:
    with suppress(OSError):
        if fd is not None:
            os.fchown(fd, uid, gid)
        else:
            os.chown(path, uid, gid, follow_symlinks=False)


def real_path(path: str | os.PathLike) -> str:
    """Where ``path`` leads through symlinks. As root, every link along it (the file's, and its folders')
    is followed only when whoever made the link owns what it leads to (or, for a file not made yet, the
    folder it would be made in): a student's settings.json linked to /etc/shadow, or a config folder
    linked to /etc, must not make sudo cnntui rename or write root's files. PermissionError otherwise."""
    if os.geteuid() == 0:
        whole = Path(os.path.abspath(path))
        for step in (*reversed(whole.parents), whole):
            if os.path.islink(step):
                _check_link_owner(step)
    return os.path.realpath(path)


def _check_link_owner(link: Path) -> None:
    target = os.path.realpath(link)
    maker = os.lstat(link).st_uid
    try:
        owner = os.stat(target).st_uid
    except FileNotFoundError:
        owner = os.stat(os.path.dirname(target)).st_uid
    if maker not in (0, owner):
        raise PermissionError(errno.EACCES, "it is a link to a file that the link's owner does not own", str(link))


def make_folder(folder: str | os.PathLike) -> None:
    """``mkdir -p``, each new folder owned (as root) by the owner of the folder it is made in."""
    folder = Path(folder)
    if folder.is_dir():
        return
    make_folder(folder.parent)
    with suppress(FileExistsError):
        folder.mkdir()
        _give_to_folder_owner(folder)


# -- atomic writes ------------------------------------------------------------------------------------


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _temp_name(target_name: str, folder: str) -> str:
    """``.{name}.cnntui-XXXXXXXX.tmp``, the name cut short (at a character) so the whole fits the file system."""
    room = _name_max(folder) - len(f".{TEMP_TAG}00000000{TEMP_SUFFIX}".encode())
    stem = target_name.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return f".{stem}{TEMP_TAG}{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _open_temp(folder: str, target_name: str) -> tuple[int, str]:
    while True:
        temp = os.path.join(folder, _temp_name(target_name, folder))
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), temp
        except FileExistsError:
            continue


def clean_stale_temps(folder: str | os.PathLike) -> None:
    """Remove the temporary files killed writes left in ``folder``: only ours by name, older than a
    minute, and not locked, so another writer's file is never taken from under it."""
    now = time.time()
    with suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not TEMP_NAME.match(entry.name):
                continue
            with suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_AFTER:
                    _unlink_if_unlocked(entry.path)


def _unlink_if_unlocked(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: its writer is still at work
        os.unlink(path)
    finally:
        os.close(fd)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable, not only the file's bytes."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_args) -> Iterator[IO]:
    """Write to a temporary file beside ``path``, then rename it over ``path``.

    Readers see the old file or the new one, never a mixture. Through a symlink the link stays and its
    target is written. A replaced file keeps its mode, and its owner when run as root; a new file gets
    the usual mode and, as root, the owner of its folder.
    """
    target = real_path(path)  # through symlinks: a link stays a link
    folder, name = os.path.split(target)
    clean_stale_temps(folder)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    fd, temp = _open_temp(folder, name)
    handle = None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # tells clean_stale_temps this file is being written
        os.fchmod(fd, stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask())
        if os.geteuid() == 0:
            if old:
                _chown(temp, fd, old.st_uid, old.st_gid)
            else:
                _give_to_folder_owner(temp, fd)
        handle = os.fdopen(fd, mode, **open_args)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temp, target)  # before the close that drops the lock
        _fsync_folder(folder)
    except BaseException:
        if handle is None:
            os.close(fd)
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def save_json(path: str | os.PathLike, data: dict) -> None:
    """Write ``data`` as JSON at ``path`` atomically, making its folder; OSError if that cannot be done."""
    target = Path(path)
    make_folder(target.parent)
    with atomic_write(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)


# -- locks --------------------------------------------------------------------------------------------


@contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock for ``path`` on the side file ``path.lock``: never on the file itself, which
    a write replaces by rename. Makes the folder; OSError when the lock file cannot be made."""
    lock_path = Path(real_path(path) + ".lock")
    make_folder(lock_path.parent)
    # Never through a link, and handed to the folder's owner only when made here: as root, a lock
    # file replaced by a link to /etc/shadow would otherwise be opened, created or given away.
    flags = os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        fd = os.open(lock_path, flags | os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        try:
            fd = os.open(lock_path, flags | os.O_RDWR)
        except PermissionError:  # someone else's lock file (still lockable when only readable)
            fd = os.open(lock_path, flags | os.O_RDONLY)
    else:
        _give_to_folder_owner(lock_path, fd)
    try:
        _wait_for_lock(fd, lock_path)
        yield
    finally:
        os.close(fd)


def _wait_for_lock(fd: int, lock_path: Path) -> None:
    """The lock, waited for at most LOCK_WAIT seconds: cnntui holds it for milliseconds, so a longer
    wait means something else holds it (or a home on a stalled network mount), and the app must not
    freeze behind it. OSError (EWOULDBLOCK) then: the save is reported as not made."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise OSError(errno.EWOULDBLOCK, f"{lock_path.name} stayed locked for {LOCK_WAIT:g} s "
                              "(by another program?)", str(lock_path)) from None
            time.sleep(0.01)


# -- reading what may be damaged --------------------------------------------------------------------


class LeftAlone(OSError):
    """A file that could be neither read nor set aside: it must not be written. ``problem`` says why."""

    def __init__(self, path: str | os.PathLike, why: Problem):
        self.problem = Problem("left_alone", "it could not be read ({reason}) and was left as it is", reason=why)
        super().__init__(errno.EACCES, self.problem, str(path))


@dataclass
class JsonFile:
    """A JSON object read from a file, and what went wrong if anything.

    ``problem`` says why (part of) the file could not be read; the file was then set aside as
    ``moved_to``, or, when even that failed, left where it is (``left_alone``): never write over it.
    """

    data: dict
    problem: Problem | None = None
    moved_to: Path | None = None

    @property
    def left_alone(self) -> bool:
        return self.problem is not None and self.moved_to is None


def set_aside(path: str | os.PathLike) -> Path:
    """Move a damaged file out of the way, keeping it for the user; returns its new path.
    A rename needs no permission to read the file, only to write its folder."""
    source = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = source.with_name(f"{source.name}.corrupt-{stamp}")
    counter = 1
    while os.path.lexists(target):
        counter += 1
        target = source.with_name(f"{source.name}.corrupt-{stamp}-{counter}")
    os.replace(source, target)
    return target


class Problem(str):
    """Why a file could not be read: English text, plus a ``code`` and ``values`` with which the app
    words it in the student's language (UI strings ``files.problem.<code>``)."""

    code: str
    values: dict

    def __new__(cls, code: str, english: str, **values) -> Problem:
        problem = super().__new__(cls, english.format(**values))
        problem.code, problem.values = code, values
        return problem


# Problems found in a file that was read: its good parts are kept (the rest of it set aside).
PARTLY_READ = {"bad_settings", "bad_entries"}


def partly_read(problem: Problem | None) -> str:
    """Which notice fits a file that was set aside: "corrupt" when part of it was read and kept,
    "set_aside" when none of it could be read."""
    return "corrupt" if getattr(problem, "code", None) in PARTLY_READ else "set_aside"


class NotOurs(OSError):
    """Something at a path of ours that is not a small regular file."""

    def __init__(self, problem: Problem):
        super().__init__(errno.EINVAL, problem)
        self.problem = problem


def os_problem(error: OSError) -> Problem:
    if isinstance(error, NotOurs):
        return error.problem
    if isinstance(error, IsADirectoryError):
        return Problem("folder", "a folder is in its place")
    if isinstance(error, PermissionError):
        return Problem("denied", "Permission denied")
    return Problem("system", "{detail}", detail=error.strerror or str(error))


def read_json_object(path: str | os.PathLike) -> tuple[dict, Problem | None]:
    """(the JSON object at ``path``, None), or ({}, why it cannot be read). A missing file is ({}, None)."""
    try:
        text = read_small_bytes(path).decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no file (a file in place of its folder is no file either)
        return {}, None
    except UnicodeDecodeError:
        return {}, Problem("not_utf8", "it is not UTF-8 text")
    except OSError as error:
        return {}, os_problem(error)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return {}, Problem("json", "line {line} column {column}: {detail}", line=error.lineno, column=error.colno,
                           detail=error.msg)
    except RecursionError:
        return {}, Problem("nested", "it is nested too deeply")
    except ValueError:  # a number of more digits than Python will convert (sys.get_int_max_str_digits)
        return {}, Problem("long_number", "it holds a number too long to read")
    if not isinstance(data, dict):
        return {}, Problem("not_object", "it does not hold a JSON object")
    return data, None


def read_small_bytes(path: str | os.PathLike, limit: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a pipe or a device is refused before
    anything is read from it (it could hang or never end). OSError (NotOurs for a pipe or a file too large)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:  # checked before os.fdopen, which refuses a folder without closing the descriptor it was given
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "a folder is in its place")
        if not stat.S_ISREG(info.st_mode):
            raise NotOurs(Problem("not_regular", "it is not a regular file"))
    except OSError:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise NotOurs(Problem("too_large", "it is larger than {mb} MB", mb=limit // 2**20))
    return data


Check = Callable[[dict], tuple[dict, Problem | None]]  # data -> (the parts that are fine, what was wrong)


def load_json_object(path: str | os.PathLike, check: Check | None = None) -> JsonFile:
    """The JSON object at ``path``. Whatever cannot be read is set aside; with ``check``, so is a file
    with parts of the wrong kind, and the good parts are kept. When the file cannot even be moved, it is
    left alone (``left_alone``). Never raises for the file's sake."""
    data, problem = read_json_object(path)
    if problem is None and check is not None:
        data, problem = check(data)
    if problem is None:
        return JsonFile(data)
    try:  # the file itself, not a symlink to it: the link stays, and the next write goes through it
        return JsonFile(data, problem, set_aside(real_path(path)))
    except OSError:
        return JsonFile(data, problem)


def update_json(path: str | os.PathLike, change: Callable[[dict], dict], check: Check | None = None) -> dict:
    """Under ``locked(path)``: read the file as it is now, write ``change(current)`` atomically, and return
    it. A file that cannot be read is set aside first (``change`` then gets what could be read); LeftAlone
    when it cannot be set aside either, and nothing is written."""
    with locked(path):
        found = load_json_object(path, check)
        if found.left_alone:
            raise LeftAlone(path, found.problem)
        new = change(found.data)
        save_json(path, new)
        return new


# -- a file only one session should write -----------------------------------------------------------


def peek_bytes(path: str | os.PathLike) -> bytes | None:
    """The bytes of a small regular file, or None when it is missing or cannot be read."""
    try:
        return read_small_bytes(path)
    except OSError:
        return None


@dataclass
class Saved:
    """Where ``save_json_unless_changed`` wrote, the bytes it wrote, and why not at the path asked for.

    ``outcome``: "written" (there); "theirs" (it changed since it was seen: another session's, kept);
    "set_aside" (it could not be read and was moved to ``moved_to``; written there after all);
    "left_alone" (it could be neither read nor moved, and is kept).
    """

    path: Path
    written: bytes
    outcome: str = "written"
    problem: Problem | None = None
    moved_to: Path | None = None


def save_json_unless_changed(path: str | os.PathLike, data: dict, seen: bytes | None) -> Saved:
    """Write ``data`` at ``path`` if the file there is still what this session last read or wrote
    (``seen``: its bytes, None for no file), all under ``locked(path)``. A file someone else wrote, or
    one that cannot be read and cannot be set aside, is kept, and ``data`` goes to the first free name
    beside it (``current-2.json``...): merging two networks would mean nothing. OSError if it cannot
    be written at all."""
    wanted = Path(path)
    written = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    with locked(wanted):
        saved = _where_to_save(wanted, seen, written)
        make_folder(saved.path.parent)
        with atomic_write(saved.path) as handle:
            handle.write(written)
    return saved


def _where_to_save(wanted: Path, seen: bytes | None, written: bytes) -> Saved:
    try:
        now = read_small_bytes(wanted)
    except (FileNotFoundError, NotADirectoryError):
        now = None
    except OSError:
        now = b""  # something is there that cannot be read: not what was seen
    if now is None or (now == seen and _holds_json_object(now)):  # gone, or still as this session saw it
        return Saved(wanted, written)
    found = load_json_object(wanted)  # sets it aside when it cannot be read
    if found.moved_to:
        return Saved(wanted, written, "set_aside", found.problem, found.moved_to)
    outcome = "left_alone" if found.problem else "theirs"
    return Saved(_free_name(wanted), written, outcome, found.problem)


def _holds_json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except (ValueError, RecursionError):
        return False


def _free_name(path: Path) -> Path:
    """``name-2.json``, ``name-3.json``... the first that does not exist (under the caller's lock)."""
    counter = 2
    while os.path.lexists(candidate := path.with_name(f"{path.stem}-{counter}{path.suffix}")):
        counter += 1
    return candidate
