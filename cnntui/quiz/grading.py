"""Reading a typed answer and marking it.

An answer that cannot be read in the question's form is not marked wrong:
the student is told which form is wanted (e.g. "14x14, or 14 for a square")
and may type again. A multiple-choice answer is the option's letter, its
text or its value ("16x32x32"), in either language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .questions import Question

TRUE_WORDS = {"y", "yes", "t", "true", "1", "是", "对", "正确", "真", "可以", "有效"}
FALSE_WORDS = {"n", "no", "f", "false", "0", "否", "错", "错误", "假", "不", "不可以", "无效"}
SEPARATORS = re.compile(r"\s*(?:x|×|\*|,|，)\s*")
# The value an option starts with, once spaces and thousands commas are gone: "1408", "2.75", "16x32x32".
LEADING_VALUE = re.compile(r"[-+]?\d+(?:\.\d+)?(?:x\d+)*")
LETTERS = "abcdefgh"


class Unreadable(ValueError):
    """The text is not an answer of the wanted form; ``form`` names the form to ask for."""

    def __init__(self, form: str):
        super().__init__(form)
        self.form = form


class Ambiguous(Unreadable):
    """The text is the text or value of more than one option; ``letters`` are theirs, e.g. "bc"."""

    def __init__(self, letters: str):
        super().__init__("choice")
        self.letters = letters


@dataclass(frozen=True)
class Mark:
    correct: bool
    given: Any  # the answer as read


def read_answer(question: Question, text: str, language: str | None = None) -> Any:
    """The typed ``text`` as a value of the question's form; Unreadable if it is not one.

    ``language`` is the one the student sees: a choice's value is read from its options in that
    language only (the Chinese text of an option may start with a number its English text does
    not); None reads every language's."""
    text = text.strip().lower().rstrip(".。")
    reader = {"integer": _integer, "number": _number, "size": _size, "shape": _shape, "bool": _bool,
              "choice": lambda t: _choice(t, question.options, language)}[question.form]
    value = reader(text)
    if value is None:
        raise Unreadable(question.form)
    if question.form == "size" and len(value) == 3:
        value = value[1:]  # "6x14x14" names the channels too; the size is the last two
    return value


def mark(question: Question, text: str, language: str | None = None) -> Mark:
    given = read_answer(question, text, language)
    if question.form == "number":
        correct = abs(given - float(question.answer)) <= 0.01 + 1e-9
    elif question.form in ("size", "shape"):
        correct = list(given) == list(question.answer)
    else:
        correct = given == question.answer
    return Mark(correct, given)


def read_integer(text: str) -> int | None:
    """A whole number as a student types it ("16,064", "16 064"), or None."""
    return _integer(text.strip().rstrip(".。"))


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


def _choice(text: str, options: list[dict], language: str | None) -> int | None:
    """An option's index from its letter, its whole text (any language) or the value it starts with
    (in ``language``); a plain number is the option's position only when no option starts with one."""
    letters = LETTERS[:len(options)]
    if len(text) == 1 and text in letters:
        return letters.index(text)
    typed = _squeezed(text)
    for matches in (_matching(options, None, lambda words: _squeezed(words) == typed),
                    _matching(options, language, lambda words: _same_value(_leading_value(words), typed))):
        if len(matches) > 1:
            raise Ambiguous("".join(letters[index] for index in matches))
        if matches:
            return matches[0]
    valued = any(_leading_value(words) for option in options for words in _texts(option, language))
    if text.isdigit() and 1 <= int(text) <= len(options) and not valued:
        return int(text) - 1
    return None


def _matching(options: list[dict], language: str | None, test) -> list[int]:
    return [index for index, option in enumerate(options) if any(test(words) for words in _texts(option, language))]


def _texts(option: dict, language: str | None) -> list[str]:
    texts = option["text"]
    return [texts[language]] if language in texts else list(texts.values())


def _squeezed(text: str) -> str:
    """Text compared without case, spaces, thousands commas or a final full stop; × and * as x."""
    text = re.sub(r"\s+", "", text.casefold()).rstrip(".。")
    return re.sub(r"(?<=\d),(?=\d{3})", "", text).replace("×", "x").replace("*", "x")


def _leading_value(words: str) -> str | None:
    found = LEADING_VALUE.match(_squeezed(words))
    return found.group(0) if found else None


def _same_value(value: str | None, typed: str) -> bool:
    if value is None or not LEADING_VALUE.fullmatch(typed):
        return False
    if "x" in value or "x" in typed:
        return value == typed
    return float(value) == float(typed)
