"""Worksheets to hand out: questions and key apart, the header, Markdown, two languages side by side,
the difficulty range, and `cnntui quiz --output/--no-key/--key-only/...` run in-process."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from markdown_it import MarkdownIt

import cnntui.cli
from cnntui.content import text
from cnntui.quiz.questions import Question
from cnntui.quiz.worksheet import (
    WIDTH,
    Sheet,
    key_markdown,
    key_text,
    pick_questions,
    questions_markdown,
    questions_text,
    topic_name,
)

SEED = 3  # a 60-question sheet with every kind and form of answer, and a pool_value grid
FORMS = ("integer", "number", "size", "shape", "choice", "truefalse")


@pytest.fixture(scope="module")
def sixty() -> list[Question]:
    questions = pick_questions(60, SEED)
    assert {q.form for q in questions} >= {"integer", "number", "size", "shape", "choice", "bool"}
    assert any(q.id.startswith("pool_value") for q in questions)
    return questions


def run(capsys, *args) -> tuple[int, str, str]:
    code = cnntui.cli.main(["quiz", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def squeezed(words: str) -> str:
    return re.sub(r"\s+", "", words)


# -- the questions file holds no answer ----------------------------------------------------------

def unmarked(markdown: str) -> str:
    """Markdown's text with its backslash escapes undone (what a reader of the converted page sees)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def blocks(sheet_text: str) -> dict[int, str]:
    """Each question's part of a questions file, by its number ("1. " in text, "**1.**" in Markdown)."""
    pieces = re.split(r"^(?:\*\*)?(\d+)\.(?:\*\*)?(?= |$)", sheet_text, flags=re.MULTILINE)
    return {int(number): body for number, body in zip(pieces[1::2], pieces[2::2])}


def columns(block: str, split_at: int) -> str:
    """A side-by-side block read column by column: every left half, then every right half."""
    left, right = [], []
    for line in block.split("\n"):
        width, cut = 0, len(line)
        for index, char in enumerate(line):
            if width >= split_at:
                cut = index
                break
            width += cells(char)
        left.append(line[:cut])
        right.append(line[cut:])
    return "\n".join(left) + "\n" + "\n".join(right)


def what_a_question_may_show(question: Question, lang: str) -> list[str]:
    """Everything of the question a questions file may carry, written from the question and the catalog:
    its prompt (line by line), its options and their letters, its topic and level, how to write the
    answer, and the labels of the lines to write on."""
    words = [text(lang, "quiz.sheet.about", topic=topic_name(lang, question.topic), level=question.difficulty)]
    words += [line for line in question.prompt[lang].split("\n") if line.strip()]
    words += [f"{letter}) {option['text'][lang]}" for letter, option in zip("abcdefgh", question.options)]
    words += [text(lang, f"quiz.sheet.form.{form}") for form in FORMS]
    words += [text(lang, "quiz.sheet.answer_line", line=""), text(lang, "quiz.sheet.answer_label"),
              text(lang, "quiz.sheet.working")]
    return sorted((squeezed(w) for w in words), key=len, reverse=True)  # the longest first: no partial bites


LAYOUT = set("_|-`:/：")  # lines to write on, tables, code fences and the " / " between two languages


@pytest.mark.parametrize("form", ["text", "markdown"])
@pytest.mark.parametrize("languages", [("en",), ("zh",), ("zh", "en"), ("en", "zh")])
def test_the_questions_file_holds_nothing_but_the_questions(sixty, form, languages):
    """Taking away from each question's part every word the question shows leaves only layout: no
    answer letter or value, no mark on the right option, no reason and no worked solution."""
    sheet = Sheet(sixty, languages, SEED)
    written = questions_text(sheet) if form == "text" else unmarked(questions_markdown(sheet))
    parts = blocks(written)
    assert sorted(parts) == list(range(1, 61))
    label = len("60. ")
    for number, question in enumerate(sixty, 1):
        block = parts[number]
        if form == "text" and len(languages) == 2:
            block = columns(block, label - len(f"{number}.") + (WIDTH - label - 3) // 2 + 3)
        left = squeezed(block)
        for lang in languages:
            for words in what_a_question_may_show(question, lang):
                left = left.replace(words, "", 1)
        assert set(left) <= LAYOUT, (number, question.id, left)
        for lang in languages:  # and, to be plain about it: the reasons and the solution are absent
            assert squeezed(question.explanation[lang])[:24] not in squeezed(written)


def test_the_key_has_each_answer_reason_and_solution_in_order(sixty):
    sheet = Sheet(sixty, ("en",), SEED)
    key = key_text(sheet)
    assert key.startswith("CNN worksheet: 60 questions (seed 3)\n") and "\nAnswer key\n" in key
    parts = blocks(key.split("\nAnswer key\n")[1])
    for number, question in enumerate(sixty, 1):
        block = squeezed(parts[number])
        assert squeezed(question.explanation["en"]) in block
        if question.form == "choice":
            assert block.startswith(squeezed("abcdefgh"[question.answer] + ") "))
            assert squeezed(question.options[question.answer]["why"]["en"]) in block


# -- the header, and two languages side by side -----------------------------------------------------

def test_the_header_has_name_date_and_class_filled_in_when_given(sixty):
    sheet = Sheet(sixty[:3], ("en",), SEED, class_name="Lab 1\x1b[2J", date="2 March")
    head = questions_text(sheet).split("\n1. ")[0]
    assert "Name: ________________  Date: 2 March  Class: Lab 1\\x1b[2J" in head  # the control shown, not obeyed
    assert "Date: ________________" in questions_text(Sheet(sixty[:3], ("en",)))
    chinese = questions_text(Sheet(sixty[:3], ("zh",), class_name="三班"))
    assert "姓名：" not in chinese and "姓名: ________________" in chinese and "班级: 三班" in chinese
    key = key_text(sheet)
    assert "Class: Lab 1\\x1b[2J" in key and "Name" not in key  # the key says which class, not whose


@pytest.mark.parametrize("languages", [("zh", "en"), ("en", "zh")])
def test_two_languages_stand_in_two_columns_within_the_width(sixty, languages):
    sheet = Sheet(sixty, languages, SEED)
    for written in (questions_text(sheet), key_text(sheet)):
        for line in written.split("\n"):
            assert cells(line) <= WIDTH, line
    first = questions_text(sheet).split("\n1. ", 1)[1].split("\n")[0]
    left, right = first[:20], first[40:]
    chinese = re.compile(r"[\u4e00-\u9fff]")
    assert bool(chinese.search(left)) == (languages[0] == "zh") and bool(chinese.search(right)) == (languages[1] == "zh")
    grid = next(q for q in sixty if q.id.startswith("pool_value"))
    number = sixty.index(grid) + 1
    block = blocks(questions_text(sheet))[number]
    rows = [line for line in grid.prompt["en"].split("\n") if line.startswith("  ")]
    assert all(sum(line.strip() == row.strip() for line in block.split("\n")) == 1 for row in rows)  # once


# -- Markdown -------------------------------------------------------------------------------------

def question(prompt: str, **rest) -> Question:
    return Question("bank:odd", "padding", "choice", "choice", {"en": prompt, "zh": prompt}, 0,
                    {"en": "because", "zh": "因为"}, "padding", 1,
                    options=[{"text": {"en": "ok", "zh": "好"}, "why": {"en": "w", "zh": "w"}},
                             {"text": {"en": "no", "zh": "不"}, "why": {"en": "w", "zh": "w"}}], **rest)


MARKUP = r"a*b*_c_ [x](y) <b>bold</b> `tick` | 1. ~~s~~ &amp; \ # ## +"


def rendered_text(markdown: str) -> str:
    page = MarkdownIt("commonmark").enable("table").render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("languages", [("en",), ("zh", "en")])
def test_markdown_shows_markup_characters_as_written(languages):
    sheet = Sheet([question(MARKUP), question("# 2. - not a heading\n- nor a list")], languages, 1,
                  class_name="A_1 *b*", date="<today>")
    page = rendered_text(questions_markdown(sheet))
    assert MARKUP in page and "# 2. - not a heading" in page and "- nor a list" in page
    assert "A_1 *b*" in page and "<today>" in page
    html_page = MarkdownIt("commonmark").enable("table").render(questions_markdown(sheet))
    assert "<em>" not in html_page and "<a " not in html_page and "<b>" not in html_page and "<h2>" not in html_page


def test_markdown_numbers_questions_lists_options_and_leaves_room_to_work(sixty):
    page = questions_markdown(Sheet(sixty, ("en",), SEED))
    html_page = MarkdownIt("commonmark").enable("table").render(page)
    assert page.startswith("# CNN worksheet: 60 questions (seed 3)\n\nName: ")
    assert html_page.count("<ul>") == sum(bool(q.options) for q in sixty)
    assert re.findall(r"^\*\*(\d+)\.\*\* ", page, re.MULTILINE) == [str(i) for i in range(1, 61)]
    chunks = [chunk for chunk in re.split(r"^\*\*\d+\.\*\* ", page, flags=re.MULTILINE)[1:]]
    for q, chunk in zip(sixty, chunks):
        rules = len(re.findall(r"^_{20,}$", chunk, re.MULTILINE))  # lines to write on: drawn as rules
        assert rules == {"integer": 3, "number": 3, "size": 1, "shape": 1}.get(q.form, 0), q.id
        assert chunk.count("Answer: ____") == 1
    grid = next(q for q in sixty if q.id.startswith("pool_value"))
    rows = "\n".join(line for line in grid.prompt["en"].split("\n") if line.startswith("  "))
    assert f"```\n{rows}\n```" in page  # the grid in a code block, its spaces kept


def test_markdown_key_and_two_languages_as_tables(sixty):
    page = questions_markdown(Sheet(sixty[:5], ("zh", "en"), SEED))
    html_page = MarkdownIt("commonmark").enable("table").render(page)
    assert html_page.count("<table>") >= 5 and "<th>" in html_page
    key = key_markdown(Sheet(sixty, ("en",), SEED))
    assert "\n## Answer key\n" in key and key.startswith("# CNN worksheet")
    assert all(f"**{n}.** " in key for n in range(1, 61))


# -- picking by difficulty ------------------------------------------------------------------------

def test_a_difficulty_range_keeps_its_levels_and_the_seed_keeps_the_sheet():
    assert {q.difficulty for q in pick_questions(40, 2, difficulty=(2, 2))} == {2}
    both = pick_questions(40, 2, difficulty=(1, 2))
    assert {q.difficulty for q in both} == {1, 2}
    assert [q.id for q in both] == [q.id for q in pick_questions(40, 2, difficulty=(1, 2))]
    assert [q.id for q in pick_questions(30, 2)] == [q.id for q in pick_questions(30, 2, difficulty=(1, 3))]


# -- the command -----------------------------------------------------------------------------------

def test_output_writes_questions_and_key_apart_and_names_both(capsys, tmp_path):
    target = tmp_path / "lab1.md"
    code, out, err = run(capsys, "--print", 6, "--seed", 4, "--format", "markdown", "--lang", "en",
                         "--output", target, "--class", "Lab 1", "--date", "2 March")
    assert code == 0 and out == ""
    key = tmp_path / "lab1-key.md"
    assert err == f"cnntui: wrote {target} (the questions) and {key} (the answer key)\n"
    sheet = Sheet(pick_questions(6, 4), ("en",), 4, "Lab 1", "2 March")
    assert target.read_text(encoding="utf-8") == questions_markdown(sheet)
    assert key.read_text(encoding="utf-8") == key_markdown(sheet)
    code, _, err = run(capsys, "--print", 6, "--format", "markdown", "--output", target)  # its own: replaced
    assert code == 0 and "Lab 1" not in target.read_text(encoding="utf-8")


def test_no_key_key_only_and_stdout(capsys, tmp_path):
    sheet = Sheet(pick_questions(5, 1), ("zh", "en"), 1)
    code, out, _ = run(capsys, "--print", 5, "--seed", 1, "--lang", "zh,en")
    assert code == 0 and out == questions_text(sheet) + "\n" + key_text(sheet, alone=False)
    assert run(capsys, "--print", 5, "--seed", 1, "--lang", "zh,en", "--no-key")[1] == questions_text(sheet)
    assert run(capsys, "--print", 5, "--seed", 1, "--lang", "zh,en", "--key-only")[1] == key_text(sheet)
    target = tmp_path / "key.txt"
    code, out, err = run(capsys, "--print", 5, "--seed", 1, "--lang", "zh,en", "--key-only", "--output", target)
    assert code == 0 and target.read_text(encoding="utf-8") == key_text(sheet) and "(the answer key)" in err
    assert not (tmp_path / "key-key.txt").exists()


def test_topics_by_comma_or_repeated_and_twenty_when_only_the_format_is_given(capsys):
    comma = run(capsys, "--print", 8, "--topic", "pooling,padding", "--format", "json")[1]
    repeated = run(capsys, "--print", 8, "--topic", "pooling", "--topic", "padding", "--json")[1]
    assert comma == repeated and '"topic": "padding"' in comma and '"topic": "pooling"' in comma
    code, out, _ = run(capsys, "--format", "text", "--lang", "en", "--difficulty", "3")
    assert code == 0 and re.findall(r"^(\d+)\. ", out, re.MULTILINE)[-1] == "20" and "level 1]" not in out


@pytest.mark.parametrize("args, fragment", [
    (["--no-key", "--key-only"], "--no-key and --key-only contradict each other"),
    (["--format", "gift", "--key-only"], "GIFT carries each question's answers"),
    (["--format", "gift", "--no-key"], "so there is no separate key; leave out --no-key"),
    (["--json", "--key-only"], "JSON carries each question's answer"),
    (["--json", "--format", "markdown"], "--json is --format json"),
    (["--format", "gift", "--lang", "zh,en"], "GIFT has no form for two languages"),
    (["--json", "--class", "x"], "JSON has no header to write --class in"),
    (["--difficulty", "4"], "'4' is not a difficulty; give a level from 1 to 3"),
    (["--difficulty", "3-1"], "a range from the lower to the higher, e.g. 1-2"),
    (["--print", 3, "--lang", "zh,zh"], "invalid choice: 'zh,zh'"),
    (["--lang", "en,zh"], "the app speaks one language at a time"),
    (["--difficulty", "2"], "--difficulty chooses the questions of a printed worksheet"),
    (["--output", "-"], "--output needs a file name"),
    (["--print", 2, "--topic", "pooling,nonsense"], "unknown topic 'nonsense'"),
])
def test_bad_combinations_are_one_line_with_the_fix(capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("cnntui: error: ")
    assert fragment in err, err


def test_output_will_not_replace_a_file_it_did_not_write(capsys, tmp_path):
    notes = tmp_path / "notes-key.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    code, _, err = run(capsys, "--print", 2, "--output", tmp_path / "notes.txt")
    assert code == 2 and "--output" in err and "--force" in err and notes.read_text(encoding="utf-8") == "my notes\n"
    assert not (tmp_path / "notes.txt").exists()  # nothing written when one of the two may not be
    assert run(capsys, "--print", 2, "--output", tmp_path / "notes.txt", "--force")[0] == 0
    assert notes.read_text(encoding="utf-8").startswith("CNN ")


def test_json_output_replaces_a_json_worksheet_but_not_an_instructors_bank(capsys, tmp_path):
    """A bank is a JSON list of questions too: only a list --json wrote (each question with a "form") is ours."""
    bank = tmp_path / "lab.json"
    written = ('[{"id": "my-tf", "topic": "pooling", "difficulty": 1, "kind": "truefalse", '
               '"prompt": {"en": "Max pooling has no weights."}, "explanation": {"en": "It picks."}, "answer": true}]')
    bank.write_text(written, encoding="utf-8")
    code, _, err = run(capsys, "--print", 2, "--json", "--output", bank)
    assert code == 2 and "--force" in err and bank.read_text(encoding="utf-8") == written
    sheet = tmp_path / "sheet.json"
    assert run(capsys, "--print", 2, "--json", "--output", sheet)[0] == 0
    assert run(capsys, "--print", 3, "--json", "--output", sheet)[0] == 0
    assert sheet.read_text(encoding="utf-8").count('"form":') == 3


def test_a_sheet_made_with_a_bank_asks_the_instructors_questions_first_and_one_without_is_unchanged():
    """Among hundreds of built-in questions, ten of the instructor's were rarely drawn (one in forty)."""
    from pathlib import Path

    from cnntui.quiz.bank_file import read_bank
    from cnntui.quiz.questions import clear_installed, install_bank

    before = [q.id for q in pick_questions(12, 1)]
    loaded = read_bank(Path(__file__).resolve().parent.parent / "examples" / "classroom" / "lab-bank.json")
    assert not loaded.problems and len(loaded.items) == 10
    install_bank(loaded.items)
    chosen = [q.id for q in pick_questions(12, 1)]
    assert {f"bank:{item_id}@1" for item_id in loaded.items} <= set(chosen) and len(chosen) == 12
    assert chosen == [q.id for q in pick_questions(12, 1)]  # the same seed, the same sheet
    # fewer places than instructor questions: all of them are the instructor's
    assert {q.id.removesuffix("@1").removeprefix("bank:") for q in pick_questions(4, 1)} <= set(loaded.items)
    clear_installed()
    assert [q.id for q in pick_questions(12, 1)] == before


def test_a_worksheet_never_goes_into_a_lab_folder_even_with_force(tmp_path, capsys):
    import json

    from cnntui.quiz import material

    network = material.user_folder() / "nets" / "net.json"
    network.parent.mkdir(parents=True)
    network.write_text(json.dumps({"name": "n", "input": [1, 8, 8], "layers": [{"type": "relu"}]}))
    before = network.read_text()
    assert cnntui.cli.main(["quiz", "--print", "2", "--output", str(network), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "where cnntui keeps its own files" in err and "such as ./net.json" in err
    assert network.read_text() == before and sorted(p.name for p in network.parent.iterdir()) == ["net.json"]
