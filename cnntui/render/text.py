"""Text in terminal columns: CJK characters take two, and Chinese wraps between characters.

The same line-breaking rules serve the plain-text wrappers here (worksheets, panels) and, through
cnntui/tui/widgets/linebreak.py, everything Textual and Rich wrap on screen.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata

# Chinese line-breaking rules (禁则): a line never starts with closing punctuation, nor ends with opening.
NO_BREAK_BEFORE = frozenset("，。、；：？！）」』”’》,.;:?!)")
NO_BREAK_AFTER = frozenset("（「『“‘《(")
NO_BREAK_SPACES = frozenset("\u00a0\u2007\u202f")  # they keep their neighbours on one line: "a)\u00a0text"
# What a line is made of: runs of ASCII letters, digits and signs (a word, a number, "3x3"), runs of
# spaces, and single other characters (each Chinese character, or an accent inside a Latin word).
ATOM = re.compile(r"[!-~]+|\s+|.", re.DOTALL)
# ASCII text breaks only at spaces, so the rules matter only where punctuation stands apart from words.
LOOSE_PUNCTUATION = re.compile(r"\s[,.;:?!)]|\(\s")


def is_wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in "WF"


def cell_width(line: str) -> int:
    """Columns ``line`` takes in a terminal: CJK characters take two."""
    if line.isascii():
        return len(line)
    return sum(2 if is_wide(c) else 1 for c in line)


def needs_rules(text: str) -> bool:
    """Whether breaking ``text`` at spaces alone could break a rule (or could not break Chinese at all)."""
    return not text.isascii() or LOOSE_PUNCTUATION.search(text) is not None


def break_points(text: str) -> list[int]:
    """Where a line of ``text`` may break: after spaces, and before or after a Chinese character; never
    before NO_BREAK_BEFORE, nor after NO_BREAK_AFTER (even with spaces between), nor before a space,
    nor after a no-break space."""
    points: list[int] = []
    previous = last_visible = ""  # the atom before this one, and the last character that is not a space
    for match in ATOM.finditer(text):
        atom, start = match.group(), match.start()
        if (last_visible and not atom[0].isspace() and previous[-1] not in NO_BREAK_SPACES
                and (previous.isspace() or is_wide(previous[-1]) or is_wide(atom[0]))
                and atom[0] not in NO_BREAK_BEFORE and last_visible not in NO_BREAK_AFTER):
            points.append(start)
        previous = atom
        if not atom.isspace():
            last_visible = atom[-1]
    return points


def break_offsets(text: str, width: int, fold: bool = True, first: int = 0, rest: int = 0) -> list[int]:
    """The indices at which lines of ``text`` wrapped to ``width`` columns start, as Rich's and Textual's
    ``divide_line`` give them, with Chinese broken between characters under the rules above.

    ``first`` and ``rest`` are columns already taken on the first and on later lines (a label, an
    indent); a line never holds the label alone. What fits no line is cut at the width when ``fold``."""
    offsets: list[int] = []
    used, has_text = first, False  # the current line's columns, and whether any of ``text`` is on it
    edges = [0, *break_points(text), len(text)]
    for start, end in zip(edges, edges[1:]):
        piece = text[start:end]
        visible = cell_width(piece.rstrip())
        if has_text and used + visible > width:
            offsets.append(start)
            used, has_text = rest, False
        if used + visible <= width or not fold:
            used += cell_width(piece)
            has_text = has_text or not piece.isspace()
            continue
        line_start = offsets[-1] if offsets else 0
        for index in range(start, end):  # longer than a line: cut where the width ends
            size = cell_width(text[index])
            if has_text and used + size > width and not text[index].isspace():
                # Back to where the rules allow a cut, if the new line then still fits; else cut here,
                # breaking a rule rather than making a line wider than the width (that would lose text).
                cut = next((cut for cut in range(index, line_start, -1)
                            if may_cut(text, cut) and rest + cell_width(text[cut:index]) + size <= width), index)
                offsets.append(cut)
                line_start, used = cut, rest + cell_width(text[cut:index])
            used += size
            has_text = has_text or not text[index].isspace()
    return offsets


def may_cut(text: str, index: int) -> bool:
    """Whether a line may start at ``index`` inside a word, as far as the rules go."""
    if text[index].isspace() or text[index] in NO_BREAK_BEFORE:
        return False
    before = index - 1
    while before >= 0 and text[before].isspace():
        before -= 1
    return before < 0 or text[before] not in NO_BREAK_AFTER


def wrap_line(line: str, width: int, first: str = "", indent: str = "") -> list[str]:
    """One line wrapped to ``width`` columns, starting with ``first`` and then ``indent``."""
    if not needs_rules(line):
        return textwrap.wrap(line, width, initial_indent=first, subsequent_indent=indent,
                             break_on_hyphens=False) or [first.rstrip()]
    offsets = break_offsets(line, width, first=cell_width(first), rest=cell_width(indent))
    pieces = [line[start:end] for start, end in zip([0, *offsets], [*offsets, len(line)])]
    return [((indent if i else first) + piece).rstrip() for i, piece in enumerate(pieces)]


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


def terminal_width(least: int, most: int) -> int:
    """The terminal's width (or $COLUMNS; 80 when output is no terminal), kept within ``least`` and ``most``."""
    import shutil

    return max(least, min(most, shutil.get_terminal_size().columns))


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


def compact(count: int) -> str:
    """1,234,567 -> 1.23M: for MACs, which can be huge."""
    for limit, suffix in ((1e9, "G"), (1e6, "M")):
        if count >= limit:
            return f"{count / limit:.2f}{suffix}"
    return f"{count:,}"
