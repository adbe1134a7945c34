"""Worksheets in Moodle's GIFT text format, for a course site to import and grade.

Each question is one block: ``::title::[plain]text{answers####worked solution}``, the blocks
apart by a blank line and grouped by topic under ``$CATEGORY:`` lines. A choice gives every
option its feedback (``=right#why ~wrong#why``), a true-false statement ``{TRUE#why#why}`` (the
feedback for a wrong answer, then for a right one), a number ``{#answer:tolerance}`` and a size
or shape the spellings a student may type (``{=7x7 =7 x 7 =7×7 =7}``). The text is marked
[plain] so that Moodle keeps its line breaks and the spaces of a grid, and shows ``<`` as ``<``.
"""

from __future__ import annotations

import re

from ..core.printable import printable
from .questions import Question
from .worksheet import Sheet, sheet_string, topic_name

SPECIAL = re.compile(r"([\\~=#{}:])")  # what GIFT reads as markup; each is written after a backslash
# A number's answer is accepted within this much either way: the same margin as grading.mark gives.
NUMBER_TOLERANCE = 0.01
FORMED = ("integer", "number", "size", "shape")  # the prompt says how to write the answer


def gift_escape(text: str) -> str:
    """``text`` as GIFT reads it back: markup characters and backslashes escaped, newlines as ``\\n``
    (a blank line would end the question), and other control characters shown as escapes."""
    lines = [printable(line) for line in text.split("\n")]
    return "\\n".join(SPECIAL.sub(r"\\\1", line) for line in lines)


def gift_text(sheet: Sheet) -> str:
    """The sheet's questions in GIFT, in its (one) language, each topic a category."""
    (lang,) = sheet.languages
    lines = [f"// {printable(sheet_string(lang, 'title', count=len(sheet.questions)))}"
             + (printable(sheet_string(lang, 'seed', seed=sheet.seed)) if sheet.seed is not None else "")]
    lines += [f"// {printable(sheet_string(lang, 'field.' + field))}: {printable(value)}"
              for field, value in (("class", sheet.class_name), ("date", sheet.date)) if value]
    numbered = list(enumerate(sheet.questions, 1))
    topics = list(dict.fromkeys(question.topic for question in sheet.questions))  # in the order they come
    for topic in topics:
        category = printable(topic_name(lang, topic)).replace("/", "//")  # Moodle's / separates levels
        lines += ["", f"$CATEGORY: cnntui/{category}"]
        lines += ["\n" + gift_question(question, number, lang) for number, question in numbered
                  if question.topic == topic]
    return "\n".join(lines) + "\n"


def gift_question(question: Question, number: int, lang: str) -> str:
    title = gift_escape(f"{number:02d} {question.id}")
    prompt = question.prompt[lang]
    if question.form in FORMED:
        prompt += "\n" + sheet_string(lang, f"form.{question.form}")
    solution = "####" + gift_escape(sheet_string(lang, "solution", text=question.explanation[lang]))
    return f"::{title}::[plain]{gift_escape(prompt)}{{\n{_answers(question, lang)}\n{solution}\n}}"


def _answers(question: Question, lang: str) -> str:
    answer = question.answer
    if question.form == "choice":
        return "\n".join(f"{'=' if index == answer else '~'}{gift_escape(option['text'][lang])}"
                         f"#{gift_escape(option['why'][lang])}" for index, option in enumerate(question.options))
    if question.form == "bool":
        why = gift_escape(question.why.get(lang, "")) if question.kind == "truefalse" else ""
        return ("TRUE" if answer else "FALSE") + (f"#{why}#{why}" if why else "")  # wrong, then right
    if question.form == "integer":
        return f"#{answer}:0"
    if question.form == "number":
        return f"#{float(answer):.10g}:{NUMBER_TOLERANCE:g}"
    return " ".join(f"={gift_escape(spelling)}" for spelling in spellings(answer))


def spellings(dims: list[int]) -> list[str]:
    """The ways a student may write a size or shape that grading.read_answer accepts, the usual first:
    7x7, 7 x 7, 7×7, and 7 alone for a square size."""
    words = [separator.join(map(str, dims)) for separator in ("x", " x ", "×", ", ")]
    if len(dims) == 2 and dims[0] == dims[1]:
        words.append(str(dims[0]))
    return words
