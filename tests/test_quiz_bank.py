"""Quiz content: the authored question bank (bank.json and every bank-*.json) and the six lessons are complete,
consistent and bilingual."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import cnntui

CONTENT = Path(cnntui.__file__).parent / "content"
QUIZ = CONTENT / "quiz"
LANGUAGES = ("en", "zh")

LESSONS = ["building-blocks", "structure", "numbers", "comparisons", "learning", "modern"]  # the article's order,
# then how a network learns, then modern CNNs
TOPICS = {"neuron", "weight", "bias", "activation", "parameter", "input-size", "conv-layer", "kernel", "feature-map",
          "pooling", "gap", "fully-connected", "hidden-layer", "output-layer", "learning", "capacity", "overfitting",
          "conv-vs-fc", "loss", "multi-channel", "pooling-options"}
# Topics of the engine's computed questions that have no authored ones; only the numbers lesson may list them.
COMPUTED_ONLY_TOPICS = {"output-size", "padding", "macs", "receptive-field"}
KINDS = {"choice", "truefalse"}
TEXT_FIELDS = ("prompt", "explanation", "hint")

# Every concept the article's reader asked about, as the bank topics or Learn pages that cover it.
ARTICLE_TOPICS = ["neuron", "weight", "bias", "activation", "parameter", "input-size", "conv-layer", "kernel",
                  "feature-map", "pooling", "gap", "fully-connected", "hidden-layer", "output-layer", "learning"]
ARTICLE_PAGES = ["average-pooling", "max-pooling", "global-average-pooling"]
# The three activations the article names, and softmax, which corrects its claim about output layers.
NAMED_PAGES = ["relu", "sigmoid", "tanh", "softmax"]
# The pages on how a network learns, each asked about at least twice.
LEARNING_PAGES = ["loss", "multi-channel-convolution", "pooling-padding-options", "initialization", "optimizer",
                  "data-splits"]


def load(name: str):
    raw = (QUIZ / name).read_bytes()
    text = raw.decode("utf-8")
    return json.loads(text), text


BANK_FILES = {path.name: load(path.name) for path in sorted(QUIZ.glob("bank*.json"))}
BANK = [item for items, _ in BANK_FILES.values() for item in items]
LESSON_LIST, LESSONS_TEXT = load("lessons.json")
BY_LESSON = {lesson["id"]: lesson for lesson in LESSON_LIST}
# The learning and modern lessons' topics: the ones above and those of the pages added with them.
LESSON_TOPICS = {topic for lesson_id in ("learning", "modern")
                 for topic in BY_LESSON.get(lesson_id, {}).get("topics", [])}


def learn_page_ids() -> set[str]:
    pages = set()
    for folder in ("concepts", "comparisons"):
        pages |= {path.stem for path in (CONTENT / "learn" / folder).glob("*.json")}
    return pages


def texts(item: dict) -> list[tuple[str, dict]]:
    """Every bilingual text of a bank item, with a label saying where it is."""
    found = [(field, item.get(field)) for field in TEXT_FIELDS]
    if item.get("kind") == "truefalse":
        found.append(("why", item.get("why")))
    for n, option in enumerate(item.get("options", [])):
        found += [(f"options[{n}].text", option.get("text")), (f"options[{n}].why", option.get("why"))]
    return found


def lesson_texts(lesson: dict) -> list[tuple[str, dict]]:
    return [("title", lesson.get("title")), ("recap", lesson.get("recap"))]


def test_files_are_utf8_json_with_real_chinese():
    assert {"bank.json", "bank-learning.json"} <= set(BANK_FILES)
    for name, (items, text) in [*BANK_FILES.items(), ("lessons.json", (LESSON_LIST, LESSONS_TEXT))]:
        assert "\\u" not in text, f"{name}: write with ensure_ascii=False"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), name
        assert isinstance(items, list), name


def test_bank_size():
    assert 55 <= len(BANK_FILES["bank.json"][0]) <= 90
    assert len(BANK) <= 130


@pytest.mark.parametrize("item", BANK, ids=lambda item: item.get("id", "?"))
def test_item_shape(item):
    assert set(item) >= {"id", "lesson", "topic", "concept", "difficulty", "kind", "prompt", "explanation", "hint"}
    assert item["lesson"] in LESSONS
    assert item["topic"] in TOPICS | LESSON_TOPICS
    assert item["concept"] in learn_page_ids(), f"no Learn page {item['concept']}"
    assert item["difficulty"] in (1, 2, 3) and type(item["difficulty"]) is int
    assert item["kind"] in KINDS
    if item["kind"] == "choice":
        options = item["options"]
        assert 3 <= len(options) <= 4
        assert sum(option["correct"] is True for option in options) == 1
        assert all(isinstance(option["correct"], bool) for option in options)
        assert "answer" not in item and "why" not in item
        for lang in LANGUAGES:
            labels = [option["text"][lang].strip().lower() for option in options]
            assert len(set(labels)) == len(labels), f"repeated option in {lang}"
    else:
        assert type(item["answer"]) is bool
        assert "options" not in item


@pytest.mark.parametrize("item", BANK, ids=lambda item: item.get("id", "?"))
def test_item_texts_are_bilingual_and_fit(item):
    for where, text in texts(item):
        assert isinstance(text, dict) and set(text) == set(LANGUAGES), where
        for lang in LANGUAGES:
            value = text[lang]
            assert isinstance(value, str) and value.strip() == value and value, f"{where}.{lang}"
            # Braces would break str.format in the app; square brackets would read as markup or Learn links.
            assert not set(value) & set("{}[]"), f"{where}.{lang} contains a brace or bracket"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text["zh"]) or text["zh"] == text["en"], f"{where}.zh"
    assert len(item["prompt"]["en"]) <= 220
    for option in item.get("options", []):
        assert len(option["text"]["en"]) <= 90, option["text"]["en"]


def test_ids_are_unique_kebab_case():
    ids = [item["id"] for item in BANK]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for item_id in ids:
        assert item_id == item_id.lower() and " " not in item_id and "_" not in item_id, item_id


def test_no_two_questions_ask_the_same_thing():
    prompts = [item["prompt"]["en"] for item in BANK]
    assert len(prompts) == len(set(prompts))


def test_lessons_are_the_six_in_order():
    assert [lesson["id"] for lesson in LESSON_LIST] == LESSONS
    pages = learn_page_ids()
    for lesson in LESSON_LIST:
        for where, text in lesson_texts(lesson):
            assert set(text) == set(LANGUAGES), where
            for lang in LANGUAGES:
                assert text[lang].strip(), f"{lesson['id']}.{where}.{lang}"
                assert not set(text[lang]) & set("{}[]"), f"{lesson['id']}.{where}.{lang}"
        sentences = [s for s in lesson["recap"]["en"].split(". ") if s.strip()]
        assert 3 <= len(sentences) <= 6, lesson["id"]
        assert lesson["concepts"] and set(lesson["concepts"]) <= pages, set(lesson["concepts"]) - pages
        allowed = TOPICS | LESSON_TOPICS | (COMPUTED_ONLY_TOPICS if lesson["id"] == "numbers" else set())
        assert lesson["topics"] and set(lesson["topics"]) <= allowed, set(lesson["topics"]) - allowed


def test_every_question_topic_is_listed_by_its_lesson():
    for item in BANK:
        assert item["topic"] in BY_LESSON[item["lesson"]]["topics"], (item["id"], item["topic"])


def test_every_lesson_topic_has_a_bank_question():
    for lesson in LESSON_LIST:
        if lesson["id"] == "numbers":  # may rely on the computed questions
            continue
        covered = {item["topic"] for item in BANK if item["lesson"] == lesson["id"]}
        assert set(lesson["topics"]) <= covered, (lesson["id"], set(lesson["topics"]) - covered)


@pytest.mark.parametrize("lesson_id", [lesson for lesson in LESSONS if lesson != "numbers"])
def test_each_lesson_has_two_questions_per_level(lesson_id):
    levels = Counter(item["difficulty"] for item in BANK if item["lesson"] == lesson_id)
    assert all(levels[level] >= 2 for level in (1, 2, 3)), levels


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_each_topic_has_three_questions_rising_in_difficulty(topic):
    levels = {item["difficulty"] for item in BANK if item["topic"] == topic}
    assert sum(item["topic"] == topic for item in BANK) >= 3
    assert levels == {1, 2, 3}, levels


def test_every_concept_of_the_article_is_asked_about():
    topics = Counter(item["topic"] for item in BANK)
    pages = Counter(item["concept"] for item in BANK)
    assert all(topics[topic] >= 3 for topic in ARTICLE_TOPICS), topics
    assert all(pages[page] >= 3 for page in ARTICLE_PAGES), pages
    assert all(pages[page] >= 1 for page in NAMED_PAGES), pages


def test_both_kinds_and_the_articles_loose_claims_are_tested():
    kinds = Counter(item["kind"] for item in BANK)
    assert kinds["choice"] >= 30 and kinds["truefalse"] >= 10
    # the correction about output layers: a true/false item whose answer is "false"
    ids = {item["id"]: item for item in BANK}
    assert ids["output-layer-sigmoid-tanh-claim"]["answer"] is False
    assert ids["pooling-does-not-guarantee-generalisation"]["answer"] is False
    # the correct option does not always sit in the same place
    places = Counter(next(i for i, o in enumerate(item["options"]) if o["correct"])
                     for item in BANK if item["kind"] == "choice")
    assert len(places) >= 3 and max(places.values()) <= 0.4 * sum(places.values()), places


def test_every_topic_has_a_name_in_both_languages():
    from cnntui.content import catalog

    topics = {item["topic"] for item in BANK} | {topic for lesson in LESSON_LIST for topic in lesson["topics"]}
    for lang in LANGUAGES:
        missing = [topic for topic in sorted(topics) if f"quiz.topic.{topic}" not in catalog(lang)]
        assert missing == [], (lang, missing)


def test_the_learning_lesson_comes_after_the_article_and_asks_about_each_of_its_pages():
    learning = BY_LESSON["learning"]
    assert LESSONS[4] == "learning" and learning["title"]["en"] == "How a network learns"
    assert learning["title"]["zh"] == "网络是怎样学习的"
    assert set(LEARNING_PAGES) | {"backpropagation"} <= set(learning["concepts"]), \
        set(LEARNING_PAGES) - set(learning["concepts"])
    pages = Counter(item["concept"] for item in BANK if item["lesson"] == "learning")
    assert all(pages[page] >= 2 for page in LEARNING_PAGES), pages
    for item in BANK_FILES["bank-learning.json"][0]:
        assert item["lesson"] == "learning", item["id"]


def test_every_task_names_a_check_and_a_report_this_version_knows_with_its_words():
    from cnntui.content import catalog
    from cnntui.quiz.course import load_tasks, task_problems

    tasks, _ = load("tasks.json")
    assert [problem for task in tasks for problem in task_problems(task)] == []
    assert sorted(task["lesson"] for task in tasks) == sorted(load_tasks())  # one task per lesson at most
    for lang in LANGUAGES:
        words = catalog(lang)
        missing = [key for task in tasks if "report" in task
                   for key in (f"quiz.task.report.{task['report']}", f"quiz.task.report_wrong.{task['report']}")
                   if key not in words]
        assert missing == [], (lang, missing)


def test_a_task_with_a_misspelt_check_or_report_is_a_content_problem_not_a_crash():
    from cnntui.quiz.course import check_task, load_tasks, network_done, task_problems

    task = load_tasks()["modern"]
    state = {"spec": task["network"], "reported": 0}
    misspelt_report, misspelt_check = {**task, "report": "param_saved"}, {**task, "check": "separable_swop"}
    assert task_problems(misspelt_report) == ["separable-swap: unknown report 'param_saved'"]
    assert task_problems(misspelt_check) == ["separable-swap: unknown check 'separable_swop'"]
    assert not check_task(misspelt_report, state) and not network_done(misspelt_check, state)
