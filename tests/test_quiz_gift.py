"""`cnntui quiz --format gift`: Moodle's GIFT, read back by a small parser written from the format's
published grammar (questions apart by blank lines, `//` comments, `$CATEGORY:` lines,
`::title::[format]text{answers####general feedback}`, `=right#feedback ~wrong#feedback`,
`{TRUE#feedback if wrong#feedback if right}`, `{#value:tolerance}`, short answers `{=a =b}`,
and a backslash before `~ = # { } :` and itself, `\\n` for a new line)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

import cnntui.cli
from cnntui.quiz.gift import gift_text
from cnntui.quiz.grading import read_answer
from cnntui.quiz.questions import Question
from cnntui.quiz.worksheet import Sheet, pick_questions, topic_name

SEED = 3


# -- a GIFT reader, from the grammar --------------------------------------------------------------

@dataclass
class Parsed:
    category: str
    title: str
    format: str
    text: str
    kind: str  # "choice", "truefalse", "numerical" or "short"
    answers: list = field(default_factory=list)  # choice: (right?, text, feedback); short: texts
    value: float | None = None
    tolerance: float | None = None
    truth: bool | None = None
    feedback: list[str] = field(default_factory=list)  # truefalse: [if wrong, if right]
    general: str = ""


def unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            out.append("\n" if text[index + 1] == "n" else text[index + 1])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def split_raw(text: str, marks: str) -> list[tuple[str, str]]:
    """``text`` cut at each unescaped character of ``marks``: (the mark before, the raw piece)."""
    pieces, mark, start, index = [], "", 0, 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in marks:
            pieces.append((mark, text[start:index]))
            mark, start = text[index], index + 1
        index += 1
    pieces.append((mark, text[start:]))
    return pieces


def find_raw(text: str, wanted: str, start: int = 0) -> int:
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(wanted, index):
            return index
        index += 1
    return -1


def parse_gift(source: str) -> list[Parsed]:
    questions, category = [], ""
    for block in re.split(r"\n[ \t]*\n", source):
        lines = [line for line in block.split("\n") if line.strip() and not line.lstrip().startswith("//")]
        while lines and lines[0].startswith("$CATEGORY:"):
            category = lines.pop(0).removeprefix("$CATEGORY:").strip()
        if not lines:
            continue
        body = "\n".join(lines)
        assert body.startswith("::"), body
        end = find_raw(body, "::", 2)
        title, rest = unescape(body[2:end]), body[end + 2:]
        form = re.match(r"\[(html|moodle|plain|markdown)\]", rest)
        rest = rest[form.end():] if form else rest
        opening, closing = find_raw(rest, "{"), len(rest.rstrip()) - 1
        assert opening > 0 and rest.rstrip()[closing] == "}" and find_raw(rest, "}") == closing, rest
        question = Parsed(category, title, form.group(1) if form else "moodle", unescape(rest[:opening].strip()), "")
        inside = rest[opening + 1:closing]
        general = find_raw(inside, "####")
        if general >= 0:
            inside, question.general = inside[:general], unescape(inside[general + 4:].strip())
        read_answers(question, inside.strip())
        questions.append(question)
    return questions


def read_answers(question: Parsed, inside: str) -> None:
    if inside.startswith("#"):
        question.kind = "numerical"
        value, _, tolerance = inside[1:].strip().partition(":")
        question.value, question.tolerance = float(value), float(tolerance or 0)
    elif re.fullmatch(r"(TRUE|FALSE|T|F)(#.*)?", inside, re.DOTALL):
        question.kind = "truefalse"
        word, *feedback = [piece for _, piece in split_raw(inside, "#")]
        question.truth, question.feedback = word in ("TRUE", "T"), [unescape(f.strip()) for f in feedback]
    else:
        pieces = [(mark, piece) for mark, piece in split_raw(inside, "=~") if mark]
        question.kind = "choice" if any(mark == "~" for mark, _ in pieces) else "short"
        for mark, piece in pieces:
            words, *feedback = [raw for _, raw in split_raw(piece, "#")]
            feedback = "#".join(feedback)
            if question.kind == "choice":
                question.answers.append((mark == "=", unescape(words.strip()), unescape(feedback.strip())))
            else:
                question.answers.append(unescape(words.strip()))


# -- the written sheet -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sixty() -> list[Question]:
    return pick_questions(60, SEED)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_question_of_a_sixty_question_sheet_reads_back_with_its_answer(sixty, lang):
    parsed = parse_gift(gift_text(Sheet(sixty, (lang,), SEED)))
    assert len(parsed) == 60
    by_number = {int(p.title.split()[0]): p for p in parsed}
    assert sorted(by_number) == list(range(1, 61))
    for number, q in enumerate(sixty, 1):
        p = by_number[number]
        assert p.title == f"{number:02d} {q.id}" and p.format == "plain"
        assert p.category == f"cnntui/{topic_name(lang, q.topic)}"
        assert p.text.startswith(q.prompt[lang]) and q.explanation[lang] in p.general
        if q.form == "choice":
            assert p.kind == "choice" and [right for right, _, _ in p.answers].index(True) == q.answer
            assert [(words, why) for _, words, why in p.answers] == \
                [(o["text"][lang], o["why"][lang]) for o in q.options]
        elif q.form == "bool":
            assert p.kind == "truefalse" and p.truth is q.answer
            if q.kind == "truefalse" and q.why.get(lang):
                assert p.feedback == [q.why[lang], q.why[lang]]
        elif q.form == "integer":
            assert p.kind == "numerical" and p.value == q.answer and p.tolerance == 0
        elif q.form == "number":
            assert p.kind == "numerical" and abs(p.value - q.answer) < 1e-9 and p.tolerance == 0.01
        else:  # a size or a shape: every spelling listed is one the app's grading reads as the answer
            assert p.kind == "short" and "x".join(map(str, q.answer)) in p.answers
            assert all(read_answer(q, spelling) == list(q.answer) for spelling in p.answers), p.answers
    categories = [line for line in gift_text(Sheet(sixty, (lang,), SEED)).split("\n") if line.startswith("$CATEGORY")]
    assert len(categories) == len(set(categories)) == len({q.topic for q in sixty})  # one a topic


SPECIAL = "a~b=c#d{e}f:g\\h // i\nj ::k:: #### {#1:2} =x ~y [plain] %50% <b>"


def test_every_special_character_round_trips():
    options = [{"text": {"en": SPECIAL + " right"}, "why": {"en": "why " + SPECIAL}},
               {"text": {"en": SPECIAL + " wrong"}, "why": {"en": "not " + SPECIAL}}]
    choice = Question("bank:x::y{z}", "padding", "choice", "choice", {"en": SPECIAL}, 0,
                      {"en": "worked " + SPECIAL}, "padding", options=options)
    statement = Question("bank:y", "pooling", "truefalse", "bool", {"en": SPECIAL}, False,
                         {"en": SPECIAL}, "pooling", why={"en": "since " + SPECIAL})
    first, second = parse_gift(gift_text(Sheet([choice, statement], ("en",), 1)))
    assert first.text == SPECIAL and first.answers == [(True, SPECIAL + " right", "why " + SPECIAL),
                                                      (False, SPECIAL + " wrong", "not " + SPECIAL)]
    assert second.text == SPECIAL and second.truth is False and second.feedback == ["since " + SPECIAL] * 2
    assert first.general.endswith("worked " + SPECIAL) and first.title == "01 bank:x::y{z}"


def test_the_command_writes_gift_in_the_language_asked(capsys, tmp_path):
    target = tmp_path / "lab1.gift"
    code = cnntui.cli.main(["quiz", "--print", "12", "--seed", "2", "--format", "gift", "--lang", "zh",
                            "--output", str(target), "--class", "Lab 1"])
    _, err = capsys.readouterr()
    assert code == 0 and err == f"cnntui: wrote {target} (the questions with their answers)\n"
    written = target.read_text(encoding="utf-8")
    assert written.startswith("// CNN 练习题：共 12 题（种子 2）\n// 班级: Lab 1\n")
    assert len(parse_gift(written)) == 12 and not (tmp_path / "lab1-key.gift").exists()
