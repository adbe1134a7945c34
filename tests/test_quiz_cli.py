"""Worksheets for instructors: the chooser and printer, and `cnntui quiz --print/--json` run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_quiz_generate import (
    expected,  # the answers, recomputed by hand from the network JSON
)
from test_quiz_modern import by_hand as modern_by_hand

from cnntui.core import CnntuiError
from cnntui.quiz.generate import GENERATORS
from cnntui.quiz.generate_modern import MODERN_GENERATORS
from cnntui.quiz.questions import load_bank
from cnntui.quiz.worksheet import (
    MAX_QUESTIONS,
    WIDTH,
    pick_questions,
    topics,
    worksheet_text,
)

SCRIPT = Path(sys.executable).with_name("cnntui")
CJK = re.compile(r"[\u4e00-\u9fff]")


def quiz(*args, cwd: Path | None = None, hash_seed: str = "random") -> subprocess.CompletedProcess:
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "PYTHONIOENCODING": "utf-8",
           "PYTHONHASHSEED": hash_seed}
    return subprocess.run([str(SCRIPT), "quiz", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=env, stdin=subprocess.DEVNULL, encoding="utf-8", check=False)


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("cnntui: error:"), result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


# -- choosing the questions -------------------------------------------------------------

def test_the_same_seed_picks_the_same_questions_and_another_seed_others():
    first = pick_questions(30, 3)
    assert [q.id for q in first] == [q.id for q in pick_questions(30, 3)]
    assert first == pick_questions(30, 3)
    assert [q.id for q in first] != [q.id for q in pick_questions(30, 4)]


def test_a_worksheet_mixes_every_generator_and_the_bank_at_every_level():
    questions = pick_questions(60, 0)
    assert len(questions) == 60 and len({q.id for q in questions}) == 60
    kinds = {q.kind for q in questions}
    assert {"computed", "choice", "truefalse"} <= kinds
    assert {q.id.split(":")[0] for q in questions if q.kind == "computed"} == set(GENERATORS)
    assert {q.difficulty for q in questions} == {1, 2, 3}
    assert {q.difficulty for q in questions if q.kind == "computed"} == {1, 2, 3}
    assert [q.difficulty for q in questions] == sorted(q.difficulty for q in questions)  # easiest first
    assert len({q.prompt["en"] for q in questions}) == 60  # no question twice


@pytest.mark.parametrize("count", [1, 2, 5, 17])
def test_small_worksheets_have_exactly_the_count(count):
    assert len(pick_questions(count, 11)) == count


def test_topics_are_those_of_the_generators_and_the_bank():
    assert topics() == sorted({g.topic for g in GENERATORS.values()} | {i["topic"] for i in load_bank().values()})
    assert "padding" in topics() and "receptive-field" in topics()


@pytest.mark.parametrize("topic", sorted({g.topic for g in GENERATORS.values()}))
def test_a_topic_keeps_only_its_questions(topic):
    questions = pick_questions(12, 1, topic)
    assert questions and {q.topic for q in questions} == {topic}
    assert len({q.prompt["en"] for q in questions}) == len(questions)


def test_a_topic_with_few_questions_gives_as_many_different_ones_as_there_are():
    bank_only = sorted({i["topic"] for i in load_bank().values()} - {g.topic for g in GENERATORS.values()})
    for topic in bank_only:
        count = sum(item["topic"] == topic for item in load_bank().values())
        questions = pick_questions(MAX_QUESTIONS, 0, topic)
        assert len(questions) == count and len({q.id for q in questions}) == count
    padding = pick_questions(MAX_QUESTIONS, 0, "padding")  # one generator with a few dozen different networks
    assert 10 < len(padding) <= MAX_QUESTIONS
    assert len({q.prompt["en"] for q in padding}) == len(padding)


@pytest.mark.parametrize("count", [0, -1, MAX_QUESTIONS + 1, True, 2.5])
def test_a_count_outside_1_to_200_is_a_user_error(count):
    with pytest.raises(CnntuiError, match="1 to 200"):
        pick_questions(count, 0)


def test_an_unknown_topic_lists_the_topics_and_suggests_the_closest():
    with pytest.raises(CnntuiError) as caught:
        pick_questions(5, 0, "paddin")
    message = str(caught.value)
    assert "unknown topic 'paddin'" in message and "did you mean 'padding'" in message
    assert all(topic in message for topic in topics())


# -- the printed worksheet -------------------------------------------------------------

def numbered(text: str) -> list[str]:
    return re.findall(r"^(\d+)\. ", text, re.MULTILINE)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_worksheet_has_numbered_questions_answer_lines_and_a_key(lang):
    questions = pick_questions(40, 2)
    text = worksheet_text(questions, lang, seed=2)
    head, key = text.split("\n答案\n" if lang == "zh" else "\nAnswer key\n")
    assert numbered(head) == numbered(key) == [str(i) for i in range(1, 41)]
    assert head.count("_" * 30) == 40
    for line in text.splitlines():
        assert columns(line) <= WIDTH, line
    if lang == "zh":
        assert CJK.search(head.splitlines()[0]) and "共 40 题" in head
    else:
        assert head.startswith("CNN worksheet: 40 questions (seed 2)")
    # every prompt is on the sheet and every solution in the key, whole and in order (wrapping aside)
    for part, texts in ((head, [q.prompt[lang] for q in questions]), (key, [q.explanation[lang] for q in questions])):
        flat, position = re.sub(r"\s+", "", part), 0
        for words in texts:
            position = flat.index(re.sub(r"\s+", "", words), position)


def test_choice_options_are_lettered_and_the_key_gives_the_letter_and_why():
    questions = [q for q in pick_questions(60, 5) if q.kind == "choice"][:3]
    assert questions
    text = worksheet_text(questions, "en")
    head, key = text.split("\nAnswer key\n")
    for number, q in enumerate(questions, 1):
        for letter in "abcdefgh"[:len(q.options)]:
            assert re.search(rf"^\s+{letter}\) ", head, re.MULTILINE)
        right = "abcdefgh"[q.answer]
        block = key.split(f"\n{number}. ", 1)[1]
        assert block.startswith(f"{right}) ")
        why = " ".join(q.options[q.answer]["why"]["en"].split())
        assert "Why: " + " ".join(why.split()[:4]) in " ".join(block.split())
    assert "(answer with one letter)" in head


def test_forms_are_named_and_a_grid_keeps_its_lines():
    questions = [q for q in pick_questions(120, 8) if q.form in ("size", "shape", "number")]
    text = worksheet_text(questions, "en")
    assert "(answer as HxW)" in text and "(answer as CxHxW)" in text
    grid = next(q for q in questions if q.id.startswith("pool_value"))
    for row in grid.prompt["en"].splitlines()[1:5]:
        assert row.startswith("  ") and any(line.endswith(row) for line in text.splitlines())


def test_true_false_answers_are_words_in_each_language():
    questions = [q for q in pick_questions(60, 9) if q.kind == "truefalse"][:4]
    assert questions
    for lang, words in (("en", ("true", "false")), ("zh", ("对", "错"))):
        key = worksheet_text(questions, lang).split("\n答案\n" if lang == "zh" else "\nAnswer key\n")[1]
        answers = re.findall(r"^\d+\. (\S+)$", key, re.MULTILINE)
        assert answers == [words[0] if q.answer else words[1] for q in questions]


# -- the command -------------------------------------------------------------------

def test_print_is_reproducible_by_seed_from_any_directory(tmp_path):
    first = quiz("--print", 5, "--seed", 3, "--lang", "en", cwd=tmp_path, hash_seed="1")
    again = quiz("--print", 5, "--seed", 3, "--lang", "en", hash_seed="2")  # no dependence on set or hash order
    assert first.returncode == 0 and first.stderr == "", first.stderr
    assert first.stdout == again.stdout
    assert "Answer key" in first.stdout and numbered(first.stdout) == ["1", "2", "3", "4", "5"] * 2
    other = quiz("--print", 5, "--seed", 4, "--lang", "en")
    assert other.returncode == 0 and other.stdout != first.stdout
    assert quiz("--print", 5, "--lang", "en").stdout == quiz("--print", 5, "--seed", 0, "--lang", "en").stdout


def test_print_matches_the_library():
    result = quiz("--print", 6, "--seed", 12, "--lang", "en")
    assert result.stdout == worksheet_text(pick_questions(6, 12), "en", seed=12)


def test_print_speaks_chinese_with_lang_zh_and_follows_the_locale_without_it():
    result = quiz("--print", 4, "--seed", 1, "--lang", "zh")
    assert result.returncode == 0
    assert "答案" in result.stdout and "Answer key" not in result.stdout
    assert len(CJK.findall(result.stdout)) > 50
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    by_locale = subprocess.run([str(SCRIPT), "quiz", "--print", "4", "--seed", "1"], capture_output=True,
                               encoding="utf-8", env=env, timeout=120, check=False)
    assert by_locale.stdout == result.stdout


def test_json_lists_twenty_questions_that_carry_what_a_checker_needs():
    result = quiz("--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data) == 20 and len({item["id"] for item in data}) == 20
    for item in data:
        assert {"id", "topic", "kind", "prompt", "answer", "explanation"} <= set(item)
        assert set(item["prompt"]) == set(item["explanation"]) == {"en", "zh"}
        if item["kind"] == "computed":
            assert {"network", "layer", "quantity"} <= set(item)
            assert isinstance(item["network"], dict) and item["network"]["layers"]
        elif item["kind"] == "choice":
            assert sum(option["correct"] for option in item["options"]) == 1
            assert item["options"][item["answer"]]["correct"]
        else:
            assert item["kind"] == "truefalse" and isinstance(item["answer"], bool)
    assert {"computed", "choice", "truefalse"} <= {item["kind"] for item in data}
    assert CJK.search(result.stdout)  # ensure_ascii=False: Chinese as it is


def by_hand(item: dict):
    """The answer from the JSON alone: the formulas of test_quiz_generate, which never call the engine (for the
    modern lesson's multiple-choice questions, those of test_quiz_modern: the place of the option they give)."""
    question = SimpleNamespace(id=item["id"], network=item["network"], layer=item["layer"],
                               quantity=item["quantity"], given=item.get("given"))
    if item["id"].split(":")[0] in MODERN_GENERATORS:
        right = modern_by_hand(question)
        return next(index for index, option in enumerate(item["options"]) if option["text"]["en"] == right)
    return expected(question)


def test_json_answers_check_out_by_hand():
    data = json.loads(quiz("--json", "--print", 120, "--seed", 5).stdout)
    computed = [item for item in data if item["kind"] == "computed"]
    assert len(computed) >= 60 and len({item["quantity"] for item in computed}) >= 8
    for item in computed:
        want = by_hand(item)
        assert item["answer"] == (pytest.approx(want) if item["form"] == "number" else want), item["id"]
    # and a few spelled out, straight from the network JSON
    for item in computed:
        net, layer = item["network"], item["layer"]
        if item["quantity"] == "params" and net["layers"][layer]["type"] == "conv2d" and item["form"] == "integer":
            conv = net["layers"][layer]
            k, bias = conv["kernel_size"], 1 if conv.get("bias", True) else 0
            assert item["answer"] == (k * k * net["input"][0] + bias) * conv["out_channels"]
        if item["quantity"] == "fc_equivalent_params":
            c, h, w = net["input"]
            assert item["answer"] == (c * h * w + 1) * net["layers"][0]["out_channels"] * h * w
        if item["quantity"] == "hidden_layers":
            assert item["answer"] == sum(layer["type"] == "linear" for layer in net["layers"]) - 1


def test_json_with_print_sets_the_count_and_topic_filters():
    data = json.loads(quiz("--json", "--print", 7, "--topic", "padding", "--seed", 2).stdout)
    assert len(data) == 7 and {item["topic"] for item in data} == {"padding"}
    text = quiz("--print", 6, "--topic", "receptive-field", "--lang", "en")
    assert text.returncode == 0 and text.stdout.count("[Receptive field, level") == 6
    assert len(json.loads(quiz("--json", "--print", 1).stdout)) == 1


def test_a_small_topic_says_on_stderr_that_it_prints_what_there_is():
    result = quiz("--print", MAX_QUESTIONS, "--topic", "padding", "--lang", "en")
    assert result.returncode == 0
    count = len(numbered(result.stdout)) // 2
    assert count < MAX_QUESTIONS
    assert result.stderr == (f"cnntui: there are only {count} different questions on topic 'padding'; "
                             "printing them all\n")


@pytest.mark.parametrize(("args", "fragments"), [
    (["--print", 5, "--topic", "paddin"], ["unknown topic 'paddin'", "did you mean 'padding'", "receptive-field"]),
    (["--json", "--topic", "nonsense"], ["unknown topic 'nonsense'", "topics: "]),
    (["--print", 3, "--topic", "pooling", "--topic", "nonsense"],
     ["unknown topic 'nonsense'", "padding, parameter, pointwise-conv, pooling"]),
    (["--print", 0], ["the number of questions must be 1 to 200, got 0"]),
    (["--print", 201], ["1 to 200, got 201"]),
    (["--print", "five"], ["'five' is not a number of questions"]),
    (["--print", "-3"], ["--print"]),
    (["--print"], ["expected one argument"]),
    (["--print", 5, "--seed", "-1"], ["not a seed"]),
    (["--print", 5, "--seed", "x"], ["not a seed"]),
    (["--seed", 1], ["--seed chooses the questions of a printed worksheet", "add --print N or --json"]),
    (["--topic", "padding"], ["--topic chooses", "--print N or --json"]),
    (["--seed", 1, "--topic", "padding"], ["--seed and --topic choose"]),
    (["lenet5", "--print", 3], ["NET ('lenet5') is not used"]),
    (["--print", 3, "--lang", "fr"], ["invalid choice: 'fr'"]),
])
def test_mistakes_give_one_error_line_and_exit_2(args, fragments):
    assert_user_error(quiz(*args), *fragments)


def test_quiz_without_print_still_opens_the_app_path():
    """Without a terminal, the app path prints the help and says it needs one (as every mode does)."""
    result = quiz()
    assert result.returncode == 0 and "the app needs a terminal" in result.stderr


def test_help_documents_the_worksheet_options():
    result = quiz("--help")
    assert result.returncode == 0
    for option in ("--print N", "--json", "--seed S", "--topic T", "--lang"):
        assert option in result.stdout


@pytest.mark.parametrize("output", ["--json", "--print"])
def test_several_topics_each_give_questions(output):
    args = ("--json", "--print", 12) if output == "--json" else ("--print", 12, "--lang", "en")
    result = quiz(*args, "--topic", "pooling", "--topic", "padding", "--seed", 3)
    assert result.returncode == 0, result.stderr
    if output == "--json":
        assert {item["topic"] for item in json.loads(result.stdout)} == {"pooling", "padding"}
    else:
        assert "[Pooling, level" in result.stdout and "[Padding, level" in result.stdout


def test_pick_questions_takes_several_topics():
    questions = pick_questions(20, 1, ["receptive-field", "gap"])
    assert {q.topic for q in questions} == {"receptive-field", "gap"}
    assert [q.id for q in pick_questions(20, 1, "gap")] == [q.id for q in pick_questions(20, 1, ["gap"])]


def test_chinese_worksheet_names_topics_and_works_receptive_fields_in_chinese():
    questions = pick_questions(40, 5)
    text = worksheet_text(questions, "zh")
    heads = re.findall(r"^\d+\. \[([^，\]]+)，难度 \d\]", text, re.MULTILINE)
    assert len(heads) == len(questions)
    assert all(CJK.search(head) for head in heads), heads  # a Chinese topic name, not the English id
    from cnntui.quiz.generate import generate

    for level in (1, 2, 3):
        explanation = generate("receptive_field", level, 7).explanation
        assert "RF =" in explanation["en"] and "jump =" in explanation["en"]
        assert "感受野 =" in explanation["zh"] and "跳距 =" in explanation["zh"]
        assert "RF" not in explanation["zh"] and "jump" not in explanation["zh"]
