"""What the quiz screen shows, as Content: a question, the marked answer, the summary, the course-complete page.

No widgets here: each builder takes the words (``t`` and the language) and
the data, so the screen only decides what to show and when.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from textual.content import Content

from ...core.shapes import shape_text
from ...render.text import wrap_line

LETTERS = "abcdefgh"
LESSON_LIST_WIDTH = 30  # #quiz-nav is 32 columns: less its border, and one spare for a scroll bar
Words = Callable[..., str]  # the app's t(key, **args)


def lesson_entry(t: Words, number: int, title: str, state: dict, step_count: int, ascii_only: bool) -> str:
    """A lesson in the list: a mark once done, and how far the student is (a done lesson starts
    again at step 0 with new numbers; until then it reads as done)."""
    mark = ("*" if ascii_only else "✓") if state["done"] else " "
    where = t("quiz.list.done") if state["done"] and state["step"] == 0 else f"{state['step']}/{step_count}"
    first = f"{mark} {number} "
    # Wrapped here, not by the list, so that a long title's next lines stay under the title.
    return "\n".join(wrap_line(f"{title} {where}", LESSON_LIST_WIDTH, first, " " * len(first)))


def recap_text(t: Words, recap: str, concepts: str) -> Content:
    """The recap, then the Learn pages it sums up (an instructor's lesson may name none)."""
    learn = ["\n\n", (t("quiz.recap.learn", concepts=concepts), "italic")] if concepts else []
    return Content.assemble((t("quiz.recap"), "bold"), "\n\n", recap, *learn)


def task_text(t: Words, lang: str, task: dict, hinted: bool) -> Content:
    parts: list = [(t("quiz.task"), "bold"), "\n\n", task["text"][lang]]
    if hinted:
        parts += ["\n\n", (t("quiz.hint.label"), "bold"), " ", task["hint"][lang]]
    return Content.assemble(*parts)


def option_label(t: Words, index: int) -> str:
    """``a) `` before an option, ending in a no-break space (in Chinese in no space at all), so that
    the letter never ends a line alone (widgets/linebreak.py keeps a no-break space's neighbours together)."""
    return t("quiz.option", letter=LETTERS[index])


def question_text(t: Words, lang: str, question, hinted: bool) -> Content:
    parts: list = [(t(f"quiz.kind.{question.kind}", level=question.difficulty), "dim"), "\n\n",
                   question.prompt[lang]]
    for index, option in enumerate(question.options):
        parts += ["\n", (option_label(t, index), "bold"), option["text"][lang]]
    if question.kind == "truefalse":
        parts += ["\n\n", (t("quiz.truefalse"), "dim")]
    if hinted and question.hint:
        parts += ["\n\n", (t("quiz.hint.label"), "bold"), " ", question.hint[lang]]
    return Content.assemble(*parts)


def answer_words(t: Words, lang: str, question, answer) -> str:
    if question.form == "choice":
        return option_label(t, answer).lstrip() + question.options[answer]["text"][lang]
    if question.form == "bool":
        return t("quiz.true") if answer else t("quiz.false")
    if question.form in ("size", "shape"):
        return shape_text(answer)
    return f"{answer:,}" if isinstance(answer, int) else str(answer)


def feedback_text(t: Words, lang: str, question, result, hinted: bool, concept: str) -> Content:
    """The verdict, why each chosen option is right or wrong, the worked solution and where to learn more
    (``concept``, the Learn page's title; an instructor's question may have none: "")."""
    if result.correct:
        verdict = (t("quiz.right.hinted") if hinted else t("quiz.right"), "bold $success")
    else:
        verdict = (t("quiz.wrong", answer=answer_words(t, lang, question, question.answer)), "bold $error")
    parts: list = ["\n", verdict, "\n\n"]
    if question.options:
        chosen, right = result.given, question.answer
        if chosen != right:
            parts += [(t("quiz.why.chosen"), "bold"), " ", question.options[chosen]["why"][lang], "\n\n"]
        parts += [(t("quiz.why.right"), "bold"), " ", question.options[right]["why"][lang], "\n\n"]
    elif question.why:
        parts += [question.why[lang], "\n\n"]
    parts += [(t("quiz.solution"), "bold"), " ", question.explanation[lang]]
    if concept:
        parts += ["\n\n", (t("quiz.learn.link", concept=concept), "italic")]
    return Content.assemble(*parts)


def topic_table(t: Words, rows: list[tuple[str, int, float]], names: dict[str, str], ascii_only: bool) -> list:
    """Share right per topic as bars, weakest first, then the strong and the weak topics."""
    bar = "#" if ascii_only else "█"
    width = max(cell_len(name) for name in names.values())
    parts: list = [(t("quiz.summary.heading"), "bold"), "\n\n"]
    for topic, asked, share in rows:
        name = names[topic] + " " * (width - cell_len(names[topic]))
        parts.append(f"{name}  {bar * round(share * 10):<10} {share:4.0%}  ({asked})\n")
    weak = [names[topic] for topic, _, share in rows if share < 0.6]
    strong = [names[topic] for topic, _, share in rows if share >= 0.8]
    join = t("quiz.summary.join")
    return parts + ["\n", (t("quiz.summary.strong"), "bold"), join.join(strong) or "-", "\n",
                    (t("quiz.summary.weak"), "bold"), join.join(weak) or "-", "\n\n"]


def summary_text(t: Words, progress, names: dict[str, str], ascii_only: bool) -> Content:
    rows = progress.strengths()
    if not rows:
        return Content(t("quiz.summary.empty"))
    return Content.assemble(*topic_table(t, rows, names, ascii_only),
                            t("quiz.summary.review", count=len(progress.due())))


def complete_text(t: Words, progress, names: dict[str, str], ascii_only: bool, lessons: int) -> Content:
    """The page after the last lesson: how it went per topic, what to review, and what is left to do."""
    parts: list = [(t("quiz.complete.heading", lessons=lessons), "bold $success"), "\n\n"]
    rows = progress.strengths()
    if rows:
        parts += topic_table(t, rows, names, ascii_only)
    missed, due = len(progress.review), len(progress.due())
    parts += [t("quiz.complete.review", missed=missed, due=due) if missed else t("quiz.complete.no_review"),
              "\n\n", t("quiz.complete.again")]
    return Content.assemble(*parts)
