"""Errors for user mistakes: each says what is wrong and how to fix it."""

from __future__ import annotations

import difflib
import errno
import json
import re
from collections.abc import Iterable, Mapping

from .messages import Message
from .printable import printable


# The system's common reasons a file could not be read or written, as engine messages (both languages).
SYSTEM_REASONS = {errno.EACCES: "os_denied", errno.EPERM: "os_denied", errno.EISDIR: "os_folder",
                  errno.ENOTDIR: "os_not_folder", errno.ENOENT: "os_missing", errno.ENOSPC: "os_full",
                  errno.EDQUOT: "os_quota", errno.EROFS: "os_read_only", errno.ENAMETOOLONG: "os_long_name",
                  errno.EWOULDBLOCK: "os_locked"}


def system_reason(error: OSError) -> Message | str:
    """Why the system refused, as a message the app can put in the reader's language; a rare
    reason in the system's own words."""
    code = SYSTEM_REASONS.get(error.errno)
    return Message(code, {}) if code else error.strerror or str(error)


class CnntuiError(Exception):
    """A mistake in what the user gave us, never a bug in cnntui."""

    def __init__(self, code: str, **args):
        self.message = Message(code, args)
        super().__init__(str(self.message))


class SpecError(CnntuiError, ValueError):
    """A network description that cannot work.

    ``index`` (the step's position), ``path`` (its dotted module name, "3" or "layer1.0.conv1")
    and ``layer_type`` name the layer or block (None for the network itself); ``problems`` lists
    every problem found, so a builder can show them at once.
    """

    def __init__(self, code: str, *, index: int | None = None, layer_type: str | None = None,
                 field: str | None = None, path: str | None = None, **args):
        self.index = index
        self.path = path
        self.layer_type = layer_type
        self.field = field
        self.problems: list[SpecError] = [self]
        if field is not None:
            args["field"] = field
        super().__init__(code, **args)

    def where_message(self) -> Message | None:
        """Where the problem is, as a message to put before it: "layer 3 conv2d: ", or by path where
        blocks name the layer ("layer1.0.conv1 conv2d: "); None for the network itself."""
        if self.index is None:
            return None
        kind = str(self.layer_type or "?")
        if self.path is None or self.path == str(self.index):
            return Message("where_layer", {"index": self.index, "type": kind})
        return Message("where_path", {"path": self.path or "(top)", "type": kind})

    @property
    def where(self) -> str:
        message = self.where_message()
        return "" if message is None else str(message)

    def __str__(self) -> str:
        return "; ".join(p.where + str(p.message) for p in self.problems)

    @classmethod
    def gather(cls, problems: list[SpecError]) -> SpecError:
        """One error that carries all ``problems``, the first one leading."""
        first = problems[0]
        first.problems = list(problems)
        return first


class WeightsError(CnntuiError, ValueError):
    """Weights that do not fit the network, or cannot be made or read."""


class BudgetError(CnntuiError, MemoryError):
    """Work that would need more memory than the budget allows."""


def loose(name: str) -> str:
    """``name`` as an alias table keys it: lower case, without "_", "-" or spaces."""
    return re.sub(r"[\s_-]", "", name.lower())


def closest(word: object, choices: Iterable[str], aliases: Mapping[str, str] | None = None) -> Message | str:
    """A " (did you mean 'x'?)" hint for a mistyped name, or ''. ``aliases`` maps other names for a
    choice, keyed by ``loose``, to the choice: they are hinted whatever their spelling distance."""
    if not isinstance(word, str):
        return ""
    if aliases and loose(word) in aliases:
        return Message("did_you_mean", {"name": aliases[loose(word)]})
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return Message("did_you_mean", {"name": match[0]}) if match else ""


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 11th, 21st: where an entry stands in a file a problem names."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def shown(value: object) -> str:
    """A value as the user wrote it, in JSON-ish form, kept short; control characters escaped
    (JSON leaves C1 controls and bidirectional marks as they are)."""
    try:
        text = printable(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        text = printable(repr(value))
    return text if len(text) <= 40 else text[:37] + "..."
