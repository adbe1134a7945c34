"""Text in terminal columns: CJK characters take two, and Chinese wraps between characters."""

from __future__ import annotations

import re
import textwrap
import unicodedata

NO_BREAK_BEFORE = set("，。、；：？！）》」』”’,.;:?!)")  # a line never starts with these


def cell_width(line: str) -> int:
    """Columns ``line`` takes in a terminal: CJK characters take two."""
    if line.isascii():
        return len(line)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def wrap_line(line: str, width: int, first: str = "", indent: str = "") -> list[str]:
    """One line wrapped to ``width`` columns, starting with ``first`` and then ``indent``."""
    if cell_width(line) == len(line):
        return textwrap.wrap(line, width, initial_indent=first, subsequent_indent=indent,
                             break_on_hyphens=False) or [first.rstrip()]
    # Chinese has no spaces between words: break between its characters, keeping runs of
    # Latin letters and digits (numbers, formulas' words) whole, counting CJK characters as two columns.
    rows, row, used = [], first, cell_width(first)
    tokens = re.findall(r"[!-~]+| +|.", line)
    for i, token in enumerate(tokens):
        size = cell_width(token)
        glued = i + 1  # punctuation that must stay on this token's line
        while glued < len(tokens) and tokens[glued] in NO_BREAK_BEFORE:
            size += cell_width(tokens[glued])
            glued += 1
        if used + size > width and row.strip() and token not in NO_BREAK_BEFORE:
            rows.append(row.rstrip())
            row, used = indent, len(indent)
            if token.isspace():
                continue
        row += token
        used += cell_width(token)
    rows.append(row.rstrip())
    return rows


HANGING = re.compile(r"^(\S.{0,12}?(?:[:：] +| {2,}))\S")  # "Enter:  text": wrapped lines line up with "text"


def wrap_text(text: str, width: int) -> list[str]:
    """Every line of ``text`` wrapped to ``width`` columns; lines starting with spaces are kept as they are,
    and a short label ending in a colon or two spaces gets a hanging indent."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip() or line.startswith("  "):
            out.append(line)
            continue
        label = HANGING.match(line)
        indent = " " * cell_width(label.group(1)) if label and cell_width(label.group(1)) < width // 2 else ""
        out += wrap_line(line, width, indent=indent)
    return out


def fit_cells(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns ("<" left, ">" right, "^" centred); cut if longer."""
    while cell_width(text) > width:
        text = text[:-1]
    missing = width - cell_width(text)
    if align == ">":
        return " " * missing + text
    if align == "^":
        return " " * (missing // 2) + text + " " * (missing - missing // 2)
    return text + " " * missing
