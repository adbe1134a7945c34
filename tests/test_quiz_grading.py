"""Reading typed answers in each form, and marking them."""

from __future__ import annotations

import pytest

from cnntui.quiz.grading import Unreadable, mark, read_answer
from cnntui.quiz.questions import Question

WORDS = {"en": "q", "zh": "题"}


def question(form: str, answer, options: int = 0) -> Question:
    kind = {"choice": "choice", "bool": "truefalse"}.get(form, "computed")
    return Question(f"test:{form}", "topic", kind, form, WORDS, answer, WORDS, "kernel",
                    options=[{"text": WORDS, "why": WORDS} for _ in range(options)])


SIZE = question("size", [14, 14])
WIDE = question("size", [14, 28])
SHAPE = question("shape", [6, 14, 14])
INTEGER = question("integer", 61706)
NUMBER = question("number", 2.25)
CHOICE = question("choice", 0, options=4)
TRUE = question("bool", True)
FALSE = question("bool", False)


@pytest.mark.parametrize(("q", "text", "value"), [
    (SIZE, "14x14", [14, 14]), (SIZE, "14", [14, 14]), (SIZE, "6x14x14", [14, 14]), (SIZE, " 14 X 14 ", [14, 14]),
    (SIZE, "14×14", [14, 14]), (SIZE, "14*14", [14, 14]), (SIZE, "14, 14", [14, 14]), (SIZE, "(14, 14)", [14, 14]),
    (SIZE, "14，14", [14, 14]), (WIDE, "14x28", [14, 28]),
    (SHAPE, "6x14x14", [6, 14, 14]), (SHAPE, "6,14,14", [6, 14, 14]), (SHAPE, "[6, 14, 14]", [6, 14, 14]),
    (SHAPE, "6 x 14 x 14.", [6, 14, 14]),
    (INTEGER, "61,706", 61706), (INTEGER, "61706", 61706), (INTEGER, "61 706", 61706), (INTEGER, "61_706", 61706),
    (INTEGER, "-3", -3), (INTEGER, "61706。", 61706),
    (NUMBER, "2.25", 2.25), (NUMBER, "2", 2.0), (NUMBER, "-0.5", -0.5), (NUMBER, "1,000.5", 1000.5),
    (CHOICE, "a", 0), (CHOICE, "A", 0), (CHOICE, "1", 0), (CHOICE, "d", 3), (CHOICE, "4", 3), (CHOICE, " b ", 1),
    (TRUE, "yes", True), (TRUE, "y", True), (TRUE, "True", True), (TRUE, "t", True), (TRUE, "是", True),
    (TRUE, "对", True), (TRUE, "YES", True),
    (TRUE, "no", False), (TRUE, "n", False), (TRUE, "false", False), (TRUE, "F", False), (TRUE, "否", False),
    (TRUE, "错", False),
])
def test_forms_read_what_the_issue_promises(q, text, value):
    assert read_answer(q, text) == value


@pytest.mark.parametrize(("q", "text"), [
    (SIZE, "fourteen"), (SIZE, "14x14x14x14"), (SIZE, ""), (SIZE, "14x"), (SIZE, "-14"), (SIZE, "14.5"),
    (SHAPE, "14x14"), (SHAPE, "14"), (SHAPE, "6x14xa"), (SHAPE, "6x14x14x1"),
    (INTEGER, "many"), (INTEGER, "2.5"), (INTEGER, ""), (INTEGER, "6e4"),
    (NUMBER, "two"), (NUMBER, ""), (NUMBER, "2..5"),
    (CHOICE, "e"), (CHOICE, "5"), (CHOICE, "0"), (CHOICE, "ab"), (CHOICE, "option a"), (CHOICE, ""),
    (TRUE, "maybe"), (TRUE, "yess"), (TRUE, ""), (TRUE, "2"),
])
def test_garbage_is_unreadable_and_names_the_form_wanted(q, text):
    with pytest.raises(Unreadable) as caught:
        read_answer(q, text)
    assert caught.value.form == q.form
    with pytest.raises(Unreadable):
        mark(q, text)


def test_choice_letters_stop_at_the_number_of_options():
    two = question("choice", 1, options=2)
    assert read_answer(two, "b") == 1
    with pytest.raises(Unreadable):
        read_answer(two, "c")
    with pytest.raises(Unreadable):
        read_answer(two, "3")


@pytest.mark.parametrize(("q", "text", "correct"), [
    (SIZE, "14x14", True), (SIZE, "14", True), (SIZE, "6x14x14", True), (SIZE, "3x14x14", True),
    (SIZE, "13x14", False), (SIZE, "28", False),
    (WIDE, "14x28", True), (WIDE, "28x14", False), (WIDE, "14", False),
    (SHAPE, "6x14x14", True), (SHAPE, "6,14,14", True), (SHAPE, "14x14x6", False), (SHAPE, "6x14x13", False),
    (INTEGER, "61,706", True), (INTEGER, "61706", True), (INTEGER, "61,707", False), (INTEGER, "-61706", False),
    (NUMBER, "2.25", True), (NUMBER, "2.255", True), (NUMBER, "2.26", True), (NUMBER, "2.24", True),
    (NUMBER, "2.3", False), (NUMBER, "2", False), (NUMBER, "2.2", False),
    (CHOICE, "a", True), (CHOICE, "1", True), (CHOICE, "b", False), (CHOICE, "2", False),
    (TRUE, "yes", True), (TRUE, "是", True), (TRUE, "no", False), (TRUE, "否", False),
    (FALSE, "false", True), (FALSE, "否", True), (FALSE, "true", False), (FALSE, "是", False),
])
def test_marking_right_and_wrong(q, text, correct):
    result = mark(q, text)
    assert result.correct is correct
    assert result.given == read_answer(q, text)


def test_a_whole_number_answer_in_number_form_accepts_its_integer():
    assert mark(question("number", 3), "3").correct
    assert mark(question("number", 3), "3.0").correct
    assert not mark(question("number", 3), "3.5").correct


def choices(*texts: str, answer: int = 0) -> Question:
    options = [{"text": {"en": text, "zh": f"选项{text}"}, "why": WORDS} for text in texts]
    return Question("test:options", "topic", "choice", "choice", WORDS, answer, WORDS, "kernel", options=options)


SHAPES = choices("16x30x30", "16x32x32", "3x32x32", "48x32x32", answer=1)
WORDY = choices("ReLU", "Sigmoid", "Tanh", answer=2)
COUNTS = choices("14,400 neurons, each with its own weights", "14,400 neurons, but only 16 weight sets",
                 "900 neurons, one per position")
WINDOWS = choices("12", "3", "6", answer=1)


@pytest.mark.parametrize(("q", "text", "value"), [
    (SHAPES, "16x32x32", 1), (SHAPES, " 16 X 32 x 32 ", 1), (SHAPES, "16×32×32", 1), (SHAPES, "48x32x32.", 3),
    (WORDY, "tanh", 2), (WORDY, "  SIGMOID ", 1), (WORDY, "c", 2),
    (COUNTS, "900", 2), (COUNTS, "900 neurons, one per position", 2),
    (COUNTS, "14,400 NEURONS, but only 16 weight sets", 1), (COUNTS, "14400neurons,eachwithitsownweights", 0),
    (WINDOWS, "3", 1), (WINDOWS, "12", 0), (WINDOWS, "6.0", 2),  # a value, not the option's position
    (WORDY, "选项tanh", 2), (SHAPES, "选项16x30x30", 0),  # the other language's text works too
])
def test_a_choice_may_be_answered_by_its_text_or_value(q, text, value):
    assert read_answer(q, text) == value


def test_a_text_that_fits_two_options_is_refused_as_ambiguous():
    from cnntui.quiz.grading import Ambiguous

    with pytest.raises(Ambiguous) as caught:
        read_answer(COUNTS, "14,400")
    assert caught.value.letters == "ab" and caught.value.form == "choice"
    assert isinstance(caught.value, Unreadable)  # so nothing is marked


@pytest.mark.parametrize(("q", "text"), [
    (SHAPES, "16x32"), (SHAPES, "32x32x16"), (WORDY, "tan"), (WORDY, "4"), (WINDOWS, "2"), (COUNTS, "14"),
])
def test_a_text_that_is_no_option_is_unreadable(q, text):
    with pytest.raises(Unreadable):
        read_answer(q, text)


def test_a_choices_value_is_read_in_the_language_the_student_sees():
    """The real bank's case: "Softmax over 2 units" is "2 个单元上做 Softmax" in Chinese."""
    q = Question("test:multi", "topic", "choice", "choice", WORDS, 1, WORDS, "output-layer", options=[
        {"text": {"en": "Sigmoid on each unit", "zh": "每个单元各用 Sigmoid"}, "why": {"en": "", "zh": ""}},
        {"text": {"en": "Softmax over 2 units", "zh": "2 个单元上做 Softmax"}, "why": {"en": "", "zh": ""}},
        {"text": {"en": "No activation", "zh": "不用激活函数"}, "why": {"en": "", "zh": ""}},
    ])
    assert read_answer(q, "2", "zh") == 1  # the value that the Chinese option b starts with
    assert read_answer(q, "2", "en") == 1  # no English option starts with a number: "2" is option b
    assert read_answer(q, "3", "en") == 2
    with pytest.raises(Unreadable):
        read_answer(q, "3", "zh")  # in Chinese an option starts with a number, so "3" is no position
    assert read_answer(q, "2 个单元上做 softmax", "en") == 1  # a whole text is read in either language
