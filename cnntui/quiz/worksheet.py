"""Printable worksheets for instructors: ``cnntui quiz --print N`` and ``--json``.

A worksheet mixes questions computed by the engine (every generator, at
difficulties 1 to 3) with authored ones from the bank, chosen from a seed
alone: the same seed, count and topic always give the same questions in the
same order. The text version ends with an answer key and worked solutions.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from ..core.shapes import shape_text
from ..render.text import cell_width, wrap_line
from .generate import GENERATORS, generate
from .questions import Question, from_bank, load_bank

MAX_QUESTIONS = 200
WIDTH = 78
# Draws of new seeds that may give a question already on the sheet before a
# (generator, difficulty) is taken as having no more different questions.
RETRIES = 100


def topics() -> list[str]:
    """Every topic a worksheet can be about, sorted."""
    return sorted({g.topic for g in GENERATORS.values()} | {item["topic"] for item in load_bank().values()})


def pick_questions(count: int, seed: int, topic: str | Iterable[str] | None = None) -> list[Question]:
    """``count`` different questions chosen by ``seed`` (fewer if the topics have fewer), easiest first.

    ``topic`` is one topic or several (questions on any of them); None for all. Each authored
    choice question's options come in an order drawn from the seed, so the letters of the key differ.
    About half come from the bank when it has enough; the rest are computed.
    Raises CnntuiError for a count outside 1..MAX_QUESTIONS or an unknown topic.
    """
    from ..core import CnntuiError
    from ..core.errors import closest

    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_QUESTIONS:
        raise CnntuiError("question_count", got=count, most=MAX_QUESTIONS)
    known = topics()
    wanted = set(known) if topic is None else {topic} if isinstance(topic, str) else set(topic)
    for unknown in sorted(wanted - set(known)):
        raise CnntuiError("unknown_topic", got=unknown, hint=closest(unknown, known), known=", ".join(known))
    rng = random.Random(seed)
    bank = sorted(key for key, item in load_bank().items() if item["topic"] in wanted)
    rng.shuffle(bank)
    names = sorted(name for name, g in GENERATORS.items() if g.topic in wanted)
    rng.shuffle(names)

    bank_count = min(len(bank), count // 2 if names else count)
    computed = _computed(names, count - bank_count, rng)
    if len(computed) < count - bank_count:  # the computed ones ran out: fill up from the bank
        bank_count = min(len(bank), count - len(computed))
    authored = [from_bank(load_bank()[key], seed) for key in bank[:bank_count]]  # options shuffled by the seed
    mixed = [q for pair in _zip_longest(computed, authored) for q in pair if q is not None]
    return sorted(mixed, key=lambda q: q.difficulty)  # stable: the drawn order within a level


def _computed(names: list[str], count: int, rng: random.Random) -> list[Question]:
    """Up to ``count`` computed questions with different prompts, taking the generators in turn."""
    chosen: list[Question] = []
    seen: set[str] = set()
    levels = {name: rng.randrange(3) for name in names}  # where each generator starts in 1, 2, 3
    spent: set[tuple[str, int]] = set()
    turn = 0
    while len(chosen) < count and len(spent) < 3 * len(names):
        name = names[turn % len(names)]
        difficulty = 1 + (levels[name] + turn // len(names)) % 3
        turn += 1
        if (name, difficulty) in spent:
            continue
        for _ in range(RETRIES):
            question = generate(name, difficulty, rng.randrange(1_000_000))
            if question.prompt["en"] not in seen:
                seen.add(question.prompt["en"])
                chosen.append(question)
                break
        else:
            spent.add((name, difficulty))
    return chosen


def _zip_longest(first: list, second: list):
    for i in range(max(len(first), len(second))):
        yield (first[i] if i < len(first) else None, second[i] if i < len(second) else None)


# -- the printed worksheet -------------------------------------------------------------

def worksheet_text(questions: list[Question], lang: str, seed: int | None = None) -> str:
    """A plain-text worksheet in ``lang``: the questions with answer lines, then the answer key."""
    from ..content import text

    def t(key: str, **args) -> str:
        return text(lang, f"quiz.sheet.{key}", **args)

    title = t("title", count=len(questions)) + (t("seed", seed=seed) if seed is not None else "")
    lines = [*_wrap(title, ""), "=" * min(WIDTH, cell_width(title)), ""]
    for number, question in enumerate(questions, 1):
        label = f"{number}. "
        indent = " " * len(label)
        head = t("about", topic=topic_name(lang, question.topic), level=question.difficulty)
        lines += _wrap(f"{head} {question.prompt[lang]}", indent, first=label)
        for letter, option in zip("abcdefgh", question.options):
            lines += _wrap(option["text"][lang], indent + "    ", first=f"{indent}{letter}) ")
        if not (question.kind == "computed" and question.form == "bool"):  # its prompt asks for yes or no
            lines += _wrap(t(f"form.{_form(question)}"), indent)
        lines += [indent + t("answer_line", line="_" * 30), ""]

    key = t("key")
    lines += [key, "=" * cell_width(key), ""]
    for number, question in enumerate(questions, 1):
        label = f"{number}. "
        indent = " " * len(label)
        lines += _wrap(_answer(question, lang, t), indent, first=label)
        if question.form == "choice":
            lines += _wrap(t("why", text=question.options[question.answer]["why"][lang]), indent)
        elif question.kind == "truefalse" and question.why.get(lang):
            lines += _wrap(t("why", text=question.why[lang]), indent)
        lines += _wrap(t("solution", text=question.explanation[lang]), indent)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def topic_name(lang: str, topic: str) -> str:
    """A topic's name in ``lang`` (the app's and the worksheet's), or its id if it has none."""
    from ..content import catalog

    return catalog(lang).get(f"quiz.topic.{topic}", topic)


def _form(question: Question) -> str:
    return "truefalse" if question.kind == "truefalse" else question.form


def _answer(question: Question, lang: str, t) -> str:
    answer = question.answer
    if question.form == "choice":  # an authored choice, or a computed one with options
        return f"{'abcdefgh'[answer]}) {question.options[answer]['text'][lang]}"
    if question.kind == "truefalse":
        return t("true") if answer else t("false")
    if question.form == "bool":
        return t("yes") if answer else t("no")
    if question.form in ("size", "shape"):
        return shape_text(answer)
    if isinstance(answer, int):
        return f"{answer:,}"
    return f"{answer:g}" if isinstance(answer, float) else str(answer)


def _wrap(paragraphs: str, indent: str, first: str | None = None) -> list[str]:
    """``paragraphs`` wrapped to WIDTH columns, each of its own lines kept (a grid stays a grid)."""
    out: list[str] = []
    for line in paragraphs.split("\n"):
        lead = first if first is not None and not out else indent
        if not line.strip():
            out.append("")
            continue
        if line.startswith("  "):  # preformatted, such as a pool_value grid: keep it as it is
            out.append(indent + line)
            continue
        out += wrap_line(line, WIDTH, lead, indent)
    return out
