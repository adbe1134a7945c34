"""Showing text that came from a file or an argument without letting it drive the terminal."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL move the cursor, clear the screen, set the window title or write the
# clipboard (OSC 52); the bidirectional marks and overrides reorder what the reader sees; the line and
# paragraph separators break a line where none was written.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\n``, ``\\x1b``, ``\\u202e``):
    a file or an argument may say anything, but what it says is shown, never obeyed."""
    return _CONTROLS.sub(_escape, text)


def is_printable(text: str) -> bool:
    """True when ``text`` holds no character that ``printable`` would escape."""
    return _CONTROLS.search(text) is None
