"""Printable worksheets for instructors: ``cnntui quiz --print N`` and its options.

A worksheet mixes questions computed by the engine (every generator, at the
difficulties asked for) with authored ones from the bank, chosen from a seed
alone: the same seed, count, topics and difficulties always give the same
questions in the same order. The questions (with a header for the student's
name, the date and the class, and room to answer) and the answer key (each
answer, why, and the worked solution) are written apart, as plain text or
Markdown, in one language or in two side by side. GIFT, for a course site, is
in gift.py.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.printable import printable
from ..core.shapes import shape_text
from ..render.text import cell_width, wrap_line
from .generate import GENERATORS, generate
from .questions import Question, from_bank, instructor_ids, load_bank

MAX_QUESTIONS = 200
WIDTH = 78
# Draws of new seeds that may give a question already on the sheet before a
# (generator, difficulty) is taken as having no more different questions.
RETRIES = 100
LEVELS = (1, 3)  # the lowest and highest difficulty
LETTERS = "abcdefgh"
GAP = "   "  # between the two languages' columns
BLANK = "_" * 16  # a header field to fill in
HEAD_BYTES = 400  # what is read of an existing file to tell whether a worksheet made it


def topics() -> list[str]:
    """Every topic a worksheet can be about, sorted."""
    return sorted({g.topic for g in GENERATORS.values()} | {item["topic"] for item in load_bank().values()})


def pick_questions(count: int, seed: int, topic: str | Iterable[str] | None = None,
                   difficulty: tuple[int, int] = LEVELS) -> list[Question]:
    """``count`` different questions chosen by ``seed`` (fewer if the topics have fewer), easiest first.

    ``topic`` is one topic or several (questions on any of them); None for all. ``difficulty`` is the
    lowest and highest level, both included; all three levels give the sheet of earlier versions. Each authored
    choice question's options come in an order drawn from the seed, so the letters of the key differ.
    The instructor's installed questions come first, as many as fit; else about half come from the bank
    when it has enough; the rest are computed.
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
    low, high = difficulty
    if not LEVELS[0] <= low <= high <= LEVELS[1]:
        raise ValueError(f"difficulty range {difficulty} is not within {LEVELS}")
    rng = random.Random(seed)
    fits = [key for key, item in load_bank().items() if item["topic"] in wanted and low <= item["difficulty"] <= high]
    # The instructor's own questions (--bank) come first: a sheet made with a bank is about it, and among the
    # hundreds of built-in questions a few of the instructor's would rarely be drawn.
    own, builtin = sorted(set(fits) & set(instructor_ids())), sorted(set(fits) - set(instructor_ids()))
    rng.shuffle(own)  # an empty list draws nothing, so a sheet without a bank is the one it always was
    rng.shuffle(builtin)
    bank = own + builtin
    names = sorted(name for name, g in GENERATORS.items() if g.topic in wanted)
    rng.shuffle(names)

    bank_count = max(min(len(bank), count // 2 if names else count), min(len(own), count))
    computed = _computed(names, count - bank_count, rng, difficulty)
    if len(computed) < count - bank_count:  # the computed ones ran out: fill up from the bank
        bank_count = min(len(bank), count - len(computed))
    authored = [from_bank(load_bank()[key], seed) for key in bank[:bank_count]]  # options shuffled by the seed
    mixed = [q for pair in _zip_longest(computed, authored) for q in pair if q is not None]
    return sorted(mixed, key=lambda q: q.difficulty)  # stable: the drawn order within a level


def _computed(names: list[str], count: int, rng: random.Random, difficulty: tuple[int, int]) -> list[Question]:
    """Up to ``count`` computed questions with different prompts, taking the generators in turn, each
    going round the levels of ``difficulty`` (lowest, highest) from one drawn for it."""
    chosen: list[Question] = []
    seen: set[str] = set()
    low, span = difficulty[0], difficulty[1] - difficulty[0] + 1
    levels = {name: rng.randrange(span) for name in names}  # where each generator starts
    spent: set[tuple[str, int]] = set()
    turn = 0
    while len(chosen) < count and len(spent) < span * len(names):
        name = names[turn % len(names)]
        level = low + (levels[name] + turn // len(names)) % span
        turn += 1
        if (name, level) in spent:
            continue
        for _ in range(RETRIES):
            question = generate(name, level, rng.randrange(1_000_000))
            if question.prompt["en"] not in seen:
                seen.add(question.prompt["en"])
                chosen.append(question)
                break
        else:
            spent.add((name, level))
    return chosen


def _zip_longest(first: list, second: list):
    for i in range(max(len(first), len(second))):
        yield (first[i] if i < len(first) else None, second[i] if i < len(second) else None)


# -- the printed worksheet -------------------------------------------------------------

@dataclass(frozen=True)
class Sheet:
    """What a printed worksheet holds: its questions, in one language or two side by side, and its header."""

    questions: list[Question]
    languages: tuple[str, ...]  # ("en",), or ("zh", "en") for Chinese on the left
    seed: int | None = None
    class_name: str = ""
    date: str = ""


def worksheet_text(questions: list[Question], lang: str, seed: int | None = None) -> str:
    """A plain-text worksheet in ``lang``: the questions with answer lines, then the answer key."""
    sheet = Sheet(questions, (lang,), seed)
    return questions_text(sheet) + "\n" + key_text(sheet, alone=False)


def questions_text(sheet: Sheet) -> str:
    """The questions to hand out, as plain text: a title, the header and each question with room to answer."""
    lines = [*_title_lines(_title(sheet)), "", *_fields(_header(sheet)), ""]
    label_width = len(f"{len(sheet.questions)}. ")
    for number, question in enumerate(sheet.questions, 1):
        label = f"{number}. "
        lines += _lay_out([question_pieces(question, lang) for lang in sheet.languages], label, label_width)
        lines += [""] * _room(question)
        lines += [" " * (label_width if len(sheet.languages) > 1 else len(label)) + _answer_line(sheet, "_" * 30), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def key_text(sheet: Sheet, alone: bool = True) -> str:
    """The answer key as plain text: each answer, why, and the worked solution. ``alone``: a file of its
    own, so it starts with the sheet's title (and the class and date) to tell which sheet it belongs to."""
    key = _joined(sheet, "key")
    lines = [*_title_lines(_title(sheet)), *_fields(_given_header(sheet)), ""] if alone else []
    lines += [key, "=" * min(WIDTH, cell_width(key)), ""]
    label_width = len(f"{len(sheet.questions)}. ")
    for number, question in enumerate(sheet.questions, 1):
        lines += _lay_out([key_pieces(question, lang) for lang in sheet.languages], f"{number}. ", label_width)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# -- Markdown ---------------------------------------------------------------------------

# Characters that Markdown may read as markup anywhere in a line, and at a line's start.
MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")
# At a line's start: a heading, a list item ("- ", "+ ", "1. ", "1) ") or an underline.
LINE_START_MARKUP = re.compile(r"^([#+\-=]|\d+(?=[.)](?:\s|$)))")
RULE = "_" * 46  # a line of underscores: a line to write on, drawn as a rule once converted


def md_escape(text: str, line_start: bool = False) -> str:
    """``text`` that Markdown shows as it is: what would be read as markup is backslash-escaped
    (``line_start``: the text starts a line, where "# ", "- " and "1. " are markup too)."""
    escaped = MARKUP.sub(r"\\\1", printable(text))
    if not line_start:
        return escaped
    return LINE_START_MARKUP.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match) -> str:
    mark = match.group(1)
    return mark + "\\" if mark.isdigit() else "\\" + mark  # "1\. ": the backslash goes before the full stop


def questions_markdown(sheet: Sheet) -> str:
    """The questions to hand out, as Markdown: a title, the header, and each question numbered, its
    options a list, with lines to write the answer on (more for an answer worked out in steps)."""
    header = "  ".join(f"{md_escape(label, line_start=not index)}: {md_escape(value) or BLANK}"
                       for index, (label, value) in enumerate(_header_fields(sheet)))
    out = [f"# {md_escape(' / '.join(_title(sheet)))}", "", header, ""]
    for number, question in enumerate(sheet.questions, 1):
        out += _md_question([question_pieces(question, lang) for lang in sheet.languages], number)
        if _room(question):
            out += [md_escape(_joined(sheet, "working"), line_start=True), ""] + [RULE, ""] * (_room(question) - 1)
        out += [md_escape(_answer_line(sheet, ""), line_start=True) + "_" * 30, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def key_markdown(sheet: Sheet, alone: bool = True) -> str:
    """The answer key as Markdown; ``alone`` as for key_text."""
    out = [f"# {md_escape(' / '.join(_title(sheet)))}", ""] if alone else []
    given = "  ".join(_given_header(sheet))
    out += [md_escape(given, line_start=True), ""] if alone and given else []
    out += [f"## {md_escape(_joined(sheet, 'key'))}", ""]
    for number, question in enumerate(sheet.questions, 1):
        out += _md_question([key_pieces(question, lang) for lang in sheet.languages], number)
    return "\n".join(out).rstrip("\n") + "\n"


def _md_question(versions: list[list[Piece]], number: int) -> list[str]:
    """One question's pieces in Markdown: one language as paragraphs and a list; two as tables, a
    column for each, broken by a grid both share (a code block), each table headed by the stem."""
    if len(versions) == 1:
        return _md_pieces(versions[0], f"**{number}.** ")
    out = [f"**{number}.**", ""]
    left, right = versions
    if [kind for kind, _ in left] != [kind for kind, _ in right]:
        pairs = [(left[i] if i < len(left) else ("text", ""), right[i] if i < len(right) else ("text", ""))
                 for i in range(max(len(left), len(right)))]
    else:
        pairs = list(zip(left, right))
    table: list[str] = []
    grid: list[str] = []
    for mine, theirs in pairs:
        if mine[0] == "pre" and mine == theirs:
            out += _md_table(table)
            table = []
            grid.append(mine[1])
        else:
            out += _md_code(grid) if grid else []
            grid = []
            table.append(f"| {md_escape(mine[1].strip())} | {md_escape(theirs[1].strip())} |")
    return out + (_md_code(grid) if grid else []) + _md_table(table)


def _md_pieces(pieces: list[Piece], lead: str) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(pieces):
        kind, words = pieces[index]
        if kind == "pre":
            run = [words]
            while index + 1 < len(pieces) and pieces[index + 1][0] == "pre":
                index += 1
                run.append(pieces[index][1])
            out += _md_code(run)
        elif kind == "option":
            out.append(f"- {md_escape(words)}")
            if index + 1 == len(pieces) or pieces[index + 1][0] != "option":
                out.append("")
        else:
            out += [lead + md_escape(words) if not out else md_escape(words, line_start=True), ""]
        index += 1
    return out


def _md_table(rows: list[str]) -> list[str]:
    """The rows as a table, the first one its head (drawn bold: the question's stem, or its answer)."""
    return [rows[0], "| --- | --- |", *rows[1:], ""] if rows else []


def _md_code(lines: list[str]) -> list[str]:
    """A code block, its fence longer than any run of backticks inside (which would close it)."""
    longest = max((len(run) for line in lines for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence, ""]


# A piece of a question as laid out: ("text", words), ("pre", a preformatted line such as a grid's row,
# the same in every language), or ("option", "a) words") with its lines hanging under the words.
Piece = tuple[str, str]


def question_pieces(question: Question, lang: str) -> list[Piece]:
    """What the questions file shows of ``question`` in ``lang``: never its answer."""
    head = sheet_string(lang, "about", topic=topic_name(lang, question.topic), level=question.difficulty)
    pieces = _paragraphs(f"{head} {question.prompt[lang]}")
    pieces += [("option", f"{letter}) {option['text'][lang]}") for letter, option in zip(LETTERS, question.options)]
    if not (question.kind == "computed" and question.form == "bool"):  # its prompt asks for yes or no
        pieces.append(("text", sheet_string(lang, f"form.{_form(question)}")))
    return pieces


def key_pieces(question: Question, lang: str) -> list[Piece]:
    """What the key says of ``question`` in ``lang``: the answer, why, and the worked solution."""
    pieces = _paragraphs(answer_text(question, lang))
    if question.form == "choice":
        pieces += _paragraphs(sheet_string(lang, "why", text=question.options[question.answer]["why"][lang]))
    elif question.kind == "truefalse" and question.why.get(lang):
        pieces += _paragraphs(sheet_string(lang, "why", text=question.why[lang]))
    return pieces + _paragraphs(sheet_string(lang, "solution", text=question.explanation[lang]))


def _paragraphs(text: str) -> list[Piece]:
    return [("pre" if line.startswith("  ") else "text", printable(line)) for line in text.split("\n") if line.strip()]


def _lay_out(versions: list[list[Piece]], label: str, label_width: int) -> list[str]:
    """One question's pieces after its number: one language's down the page, or two side by side, each
    column wrapped to its width (a grid both languages share is shown once, across the page)."""
    if len(versions) == 1:  # the lines hang under the words after the number, as in earlier versions
        lines = _piece_lines(versions[0], WIDTH - len(label))
        return [(label if i == 0 else " " * len(label)) + line for i, line in enumerate(lines)]
    indent = " " * label_width  # the same for every question: the columns line up down the page
    column = (WIDTH - label_width - len(GAP)) // 2
    left, right = versions
    if [kind for kind, _ in left] != [kind for kind, _ in right]:  # laid out differently: two whole columns
        rows = _side_by_side(_piece_lines(left, column), _piece_lines(right, column), column)
    else:
        rows = []
        for mine, theirs in zip(left, right):
            if mine == theirs and mine[0] != "option":  # a number or a grid, the same in both: once
                rows += _piece_lines([mine], WIDTH - label_width)
            else:
                rows += _side_by_side(_piece_lines([mine], column), _piece_lines([theirs], column), column)
    return [(label.ljust(label_width) if i == 0 else indent) + row for i, row in enumerate(rows)]


def _piece_lines(pieces: list[Piece], width: int) -> list[str]:
    lines: list[str] = []
    for kind, words in pieces:
        if kind == "pre" and cell_width(words) <= width:
            lines.append(words)
        elif kind == "option":
            lines += wrap_line(words, width, "", "   ")
        else:
            lines += wrap_line(words.strip(), width)
    return lines


def _side_by_side(left: list[str], right: list[str], width: int) -> list[str]:
    rows = []
    for i in range(max(len(left), len(right))):
        mine = left[i] if i < len(left) else ""
        theirs = right[i] if i < len(right) else ""
        rows.append((mine + " " * (width - cell_width(mine)) + GAP + theirs).rstrip())
    return rows


def _room(question: Question) -> int:
    """Lines left for working before the answer line, more for an answer worked out in steps: blank
    in text; in Markdown, where blank lines collapse, one fewer drawn as rules under "Working:"."""
    if question.form in ("integer", "number"):
        return 4
    return 2 if question.form in ("size", "shape") else 0


def _title(sheet: Sheet) -> list[str]:
    return [sheet_string(lang, "title", count=len(sheet.questions)) + (sheet_string(lang, "seed", seed=sheet.seed)
            if sheet.seed is not None else "") for lang in sheet.languages]


def _title_lines(titles: list[str]) -> list[str]:
    lines = [line for title in titles for line in wrap_line(title, WIDTH)]
    return lines + ["=" * min(WIDTH, max(cell_width(line) for line in lines))]


def _header_fields(sheet: Sheet) -> list[tuple[str, str]]:
    """The header's labels, each with what the instructor gave for it ("" for a line to fill in)."""
    return [(_joined(sheet, f"field.{field}"), printable(value))
            for field, value in (("name", ""), ("date", sheet.date), ("class", sheet.class_name))]


def _header(sheet: Sheet) -> list[str]:
    """"Name: ____", "Date: ____", "Class: ____", with the date and class filled in when given."""
    return [f"{label}: {value or BLANK}" for label, value in _header_fields(sheet)]


def _given_header(sheet: Sheet) -> list[str]:
    """The key's header: only the class and the date given (no name: the key is the instructor's)."""
    return [f"{label}: {value}" for label, value in _header_fields(sheet) if value]


def _fields(fields: list[str]) -> list[str]:
    """The header's fields on one line when they fit, else one a line."""
    line = "  ".join(fields)
    if cell_width(line) <= WIDTH:
        return [line]
    return [wrapped for field in fields for wrapped in wrap_line(field, WIDTH, "  ", "  ")]


def _answer_line(sheet: Sheet, line: str) -> str:
    if len(sheet.languages) == 1:
        return sheet_string(sheet.languages[0], "answer_line", line=line)
    return f"{_joined(sheet, 'answer_label')}: {line}"


def _joined(sheet: Sheet, key: str, **args) -> str:
    """A worksheet string in the sheet's language, or in both joined by " / "."""
    return " / ".join(sheet_string(lang, key, **args) for lang in sheet.languages)


def sheet_string(lang: str, key: str, **args) -> str:
    """A worksheet string ("quiz.sheet.<key>") in ``lang``."""
    from ..content import text

    return text(lang, f"quiz.sheet.{key}", **args)


def topic_name(lang: str, topic: str) -> str:
    """A topic's name in ``lang`` (the app's and the worksheet's), or its id if it has none."""
    from ..content import catalog

    return catalog(lang).get(f"quiz.topic.{topic}", topic)


def _form(question: Question) -> str:
    return "truefalse" if question.kind == "truefalse" else question.form


def answer_text(question: Question, lang: str) -> str:
    """The right answer as the key writes it: "b) 6x14x14", "true", "1,408", "7x7"."""
    answer = question.answer
    if question.form == "choice":  # an authored choice, or a computed one with options
        return f"{LETTERS[answer]}) {question.options[answer]['text'][lang]}"
    if question.kind == "truefalse":
        return sheet_string(lang, "true") if answer else sheet_string(lang, "false")
    if question.form == "bool":
        return sheet_string(lang, "yes") if answer else sheet_string(lang, "no")
    if question.form in ("size", "shape"):
        return shape_text(answer)
    if isinstance(answer, int):
        return f"{answer:,}"
    return f"{answer:g}" if isinstance(answer, float) else str(answer)


def is_worksheet(path) -> bool:
    """Whether the file at ``path`` is one that a worksheet command writes, so that --output may replace
    it: it starts with a worksheet's title in either language (as text, a Markdown heading or a GIFT
    comment), or it is a JSON list of questions as --json writes them (each with a "form", which an
    instructor's bank, a JSON list of questions too, never has)."""
    from ..content import catalog
    from ..core import CnntuiError
    from ..core.reading import open_regular

    try:
        with open_regular(path) as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except (OSError, CnntuiError):
        return False
    if head.startswith("["):
        return all(f'"{field}":' in head for field in ("id", "topic", "kind", "form"))
    titles = tuple(catalog(lang)["quiz.sheet.title"].split("{")[0] for lang in ("en", "zh"))
    return head.removeprefix("# ").removeprefix("// ").startswith(titles)
