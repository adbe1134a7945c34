"""The record ``cnntui train`` keeps beside its weights (W.json for W.npz), written and read back.

The record is written first, holding the sha256 of the weights it describes, and the weights are
renamed into place after it. A process killed between the two leaves a new record beside the old
weights, whose hash does not match them: a reader treats that record as stale, so a record never
vouches for weights it does not describe. Textual-free and NumPy-free: the CLI, the app and
predicting from saved weights all use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from contextlib import suppress
from pathlib import Path

from ..core.errors import CnntuiError
from ..core.files import atomic_write
from ..core.reading import open_regular, read_bytes

MADE_BY = "cnntui train"
RECORD_LIMIT = 1 << 20  # a record is about a kilobyte; a larger file is not one, and is not read


def record_path(weights: str | os.PathLike) -> Path:
    """Where the record of ``weights`` lives: the same name with .json."""
    return Path(weights).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str | None:
    """The sha256 of a regular file's bytes, read in pieces; None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open_regular(path) as handle:
            for piece in iter(lambda: handle.read(1 << 20), b""):
                digest.update(piece)
    except (OSError, CnntuiError):
        return None
    return digest.hexdigest()


def is_ours(data: object) -> bool:
    """True for a JSON object ``cnntui train`` wrote; older records, without "made_by", by their command."""
    if not isinstance(data, dict):
        return False
    command = data.get("command")
    return data.get("made_by") == MADE_BY or (isinstance(command, str) and command.startswith(MADE_BY + " "))


def read_record(path: str | os.PathLike) -> dict | None:
    """The record at ``path``, or None when it is not one: missing, not a regular file, over
    RECORD_LIMIT, not UTF-8 JSON, or JSON that cnntui train did not write. Never raises for content."""
    text = _record_bytes(path)
    if text is None:
        return None
    try:
        data = json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return data if is_ours(data) else None


def names(record: dict, weights: str | os.PathLike) -> bool:
    """True when ``record`` is about the file ``weights``: its "weights" name, or an older
    record's ``--out`` in its command."""
    name = Path(weights).name
    if "weights" in record:
        return record["weights"] == name
    try:
        words = shlex.split(record.get("command", ""))
    except ValueError:
        return False
    return any(word == "--out" and index + 1 < len(words) and Path(words[index + 1]).name == name
               for index, word in enumerate(words))


def made_by_train(weights: str | os.PathLike) -> bool:
    """Whether a record of cnntui train beside ``weights`` names them, matching or not: a record that no
    longer matches was left by a run killed between writing it and its weights, and what is there now
    came from cnntui train all the same (an earlier run's weights, or ones it was told to replace)."""
    record = read_record(record_path(weights))
    return record is not None and names(record, weights)


def weights_record(weights: str | os.PathLike) -> dict | None:
    """The record beside ``weights`` if it is cnntui's, names them and (when it holds a hash) matches
    their bytes; None otherwise, a stale record included."""
    record = read_record(record_path(weights))
    if record is None or not names(record, weights):
        return None
    expected = record.get("weights_sha256")
    if expected is not None and expected != file_sha256(weights):
        return None
    return record


def recorded_classes(weights: str | os.PathLike) -> list[str] | None:
    """The class names the record beside ``weights`` gives (a folder's, for a folder dataset), when the
    record is one that vouches for them (see ``weights_record``); else None."""
    record = weights_record(weights)
    classes = record.get("classes") if record is not None else None
    return classes if isinstance(classes, list) and all(isinstance(name, str) for name in classes) else None


def save_with_record(weights: str | os.PathLike, content: bytes, fields: dict) -> dict:
    """Write ``content`` (an .npz file's bytes) to ``weights`` and the record ``fields`` beside it.

    The record goes first, then the weights are renamed into place; see the module's note. If the
    weights cannot be written (a full disk), the record that was there before is put back, so the
    pair on disk still agrees. Returns the record written; OSError if a write fails.
    """
    target = record_path(weights)
    record = {"made_by": MADE_BY, **fields, "weights": Path(weights).name,
              "weights_sha256": hashlib.sha256(content).hexdigest()}
    existed = os.path.lexists(target)
    previous = _record_bytes(target) if existed else None
    text = json.dumps(record, indent=1, ensure_ascii=False)
    with atomic_write(target, "w", encoding="utf-8") as handle:
        # a folder's path that is not UTF-8 holds surrogates (Python's stand-ins for its bytes): written as
        # JSON's \udcXX escapes, which read back as the same path, where UTF-8 could not encode them
        handle.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    try:
        with atomic_write(weights) as handle:
            handle.write(content)
    except OSError:
        _put_back(target, existed, previous)
        raise
    return record


def save_beside_record(weights: str | os.PathLike, content: bytes, fields: dict) -> bool:
    """``save_with_record``, unless the record's place holds a file that is not a record (a network
    saved as NAME.json beside NAME.npz, say): that file is left alone and the weights are written
    without a record. True if a record was written; OSError if a write fails."""
    target = record_path(weights)
    if os.path.lexists(target) and read_record(target) is None:
        with atomic_write(weights) as handle:
            handle.write(content)
        return False
    save_with_record(weights, content, fields)
    return True


def _record_bytes(path: str | os.PathLike) -> bytes | None:
    """The file's bytes if it is a regular file of at most RECORD_LIMIT; else None."""
    try:
        return read_bytes(path, RECORD_LIMIT, "record")
    except (OSError, CnntuiError):
        return None


def _put_back(path: Path, existed: bool, previous: bytes | None) -> None:
    """Undo the record's write: remove it if there was none, else restore what was there when it
    could be kept. Best effort: the caller reports the write that failed, not this."""
    with suppress(OSError):
        if not existed:
            path.unlink()
        elif previous is not None:
            with atomic_write(path) as handle:
                handle.write(previous)
