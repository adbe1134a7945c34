"""Reading a typed answer and marking it.

An answer that cannot be read in the question's form is not marked wrong:
the student is told which form is wanted (e.g. "14x14, or 14 for a square")
and may type again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .questions import Question

TRUE_WORDS = {"y", "yes", "t", "true", "1", "是", "对", "正确", "真", "可以", "有效"}
FALSE_WORDS = {"n", "no", "f", "false", "0", "否", "错", "错误", "假", "不", "不可以", "无效"}
SEPARATORS = re.compile(r"\s*(?:x|×|\*|,|，)\s*")


class Unreadable(ValueError):
    """The text is not an answer of the wanted form; ``form`` names the form to ask for."""

    def __init__(self, form: str):
        super().__init__(form)
        self.form = form


@dataclass(frozen=True)
class Mark:
    correct: bool
    given: Any  # the answer as read


def read_answer(question: Question, text: str) -> Any:
    """The typed ``text`` as a value of the question's form; Unreadable if it is not one."""
    text = text.strip().lower().rstrip(".。")
    reader = {"integer": _integer, "number": _number, "size": _size, "shape": _shape, "bool": _bool,
              "choice": lambda t: _choice(t, len(question.options))}[question.form]
    value = reader(text)
    if value is None:
        raise Unreadable(question.form)
    if question.form == "size" and len(value) == 3:
        value = value[1:]  # "6x14x14" names the channels too; the size is the last two
    return value


def mark(question: Question, text: str) -> Mark:
    given = read_answer(question, text)
    if question.form == "number":
        correct = abs(given - float(question.answer)) <= 0.01 + 1e-9
    elif question.form in ("size", "shape"):
        correct = list(given) == list(question.answer)
    else:
        correct = given == question.answer
    return Mark(correct, given)


def _integer(text: str) -> int | None:
    digits = text.replace(",", "").replace("_", "").replace(" ", "").replace("，", "")
    return int(digits) if re.fullmatch(r"[-+]?\d+", digits) else None


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace(" ", ""))
    except ValueError:
        return None


def _dims(text: str) -> list[int] | None:
    parts = SEPARATORS.split(text.strip("()[] "))
    if not all(re.fullmatch(r"\d+", part) for part in parts):
        return None
    return [int(part) for part in parts]


def _size(text: str) -> list[int] | None:
    dims = _dims(text)
    if dims is None or len(dims) > 3:
        return None
    return dims * 2 if len(dims) == 1 else dims


def _shape(text: str) -> list[int] | None:
    dims = _dims(text)
    return dims if dims is not None and len(dims) == 3 else None


def _bool(text: str) -> bool | None:
    if text in TRUE_WORDS:
        return True
    return False if text in FALSE_WORDS else None


def _choice(text: str, count: int) -> int | None:
    letters = "abcdefgh"[:count]
    if len(text) == 1 and text in letters:
        return letters.index(text)
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text) - 1
    return None
