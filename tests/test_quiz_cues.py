"""The quiz tests knowledge, not test-taking: an option's length or place never gives the answer away.

Over the whole bank (every bank*.json, through load_bank) and over worksheets drawn with many seeds: the
right option is the longest in at most a third of the choice questions, in both languages; once shuffled,
each place holds the right answer about equally often; the same seed gives the same order, another seed
another one, and a worksheet's answer key follows the order printed. And the computed question about the
heaviest layer has a convolution for its answer often enough that "the linear one" is no rule of thumb.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from cnntui.quiz.course import lesson_ids, question_ids
from cnntui.quiz.generate import generate
from cnntui.quiz.questions import bank_question, from_bank, load_bank, question_by_id
from cnntui.quiz.worksheet import pick_questions, worksheet_text

LANGUAGES = ("en", "zh")
LETTERS = "abcdefgh"
CHOICES = {key: item for key, item in load_bank().items() if item["kind"] == "choice"}
# At most this share of choice questions may have the right option as their one longest option.
LONGEST_RIGHT_AT_MOST = 1 / 3
# A right option under this share of every other option's length is "bare"; at most this share of a
# lesson's choice questions may have one.
BARE_BELOW = 0.6
BARE_RIGHT_AT_MOST = 1 / 10
# Seeds for the position counts: 200 orders of each of the bank's choice questions.
SEEDS = range(200)
# How far each place's share of right answers may be from 1/n. With 200 draws of each of some 50 questions
# a fair shuffle stays within about 0.01 of it; 0.05 fails only for a shuffle that leans on the bank order.
BANK_TOLERANCE = 0.05
# Worksheets draw fewer (some 650 choice questions over WORKSHEET_SEEDS, under 200 of them with 3 options),
# so their shares spread more: one standard deviation is about 0.035 for 3 options. The draws are fixed by
# the seeds, so the test is not flaky; 0.1 leaves room for the bank to grow and change which are drawn.
WORKSHEET_SEEDS = range(30)
WORKSHEET_TOLERANCE = 0.1
# most_params_layer: the share of networks whose heaviest layer is a convolution, per difficulty.
CONV_SHARE = (0.3, 0.6)
PARAM_SEEDS = range(300)


def right_index(item: dict) -> int:
    return next(i for i, option in enumerate(item["options"]) if option["correct"])


def right_is_longest(texts: list[str], right: int) -> bool:
    """Whether the right option is longer than every other one (a tie gives nothing away)."""
    return all(len(texts[right]) > len(text) for i, text in enumerate(texts) if i != right)


def bank_item(question_id: str) -> dict:
    """The bank item a question id ("bank:<id>@<seed>") was made from."""
    return CHOICES[question_id.removeprefix("bank:").partition("@")[0]]


def worksheet_choices() -> list:
    return [q for seed in WORKSHEET_SEEDS for q in pick_questions(60, seed) if q.kind == "choice"]


# -- length gives nothing away ----------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_right_option_is_rarely_the_longest_in_the_bank(lang):
    longest = sorted(key for key, item in CHOICES.items()
                     if right_is_longest([o["text"][lang] for o in item["options"]], right_index(item)))
    assert len(CHOICES) >= 40
    assert len(longest) <= LONGEST_RIGHT_AT_MOST * len(CHOICES), (len(longest), len(CHOICES), longest)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_right_option_is_rarely_the_longest_on_worksheets(lang):
    questions = worksheet_choices()
    longest = [q.id for q in questions if right_is_longest([o["text"][lang] for o in q.options], q.answer)]
    assert len(questions) >= 400
    assert len(longest) <= LONGEST_RIGHT_AT_MOST * len(questions), (len(longest), len(questions))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_right_option_is_rarely_the_bare_one_in_a_lesson(lang):
    """The opposite cue: a bare right answer ("8") among distractors that each explain themselves
    ("9, the two channel sums") is as easy to spot as a long one, and one lesson's quiz is taken alone."""
    bare_by_lesson = defaultdict(list)
    for key, item in CHOICES.items():
        right = len(item["options"][right_index(item)]["text"][lang])
        others = [len(o["text"][lang]) for o in item["options"] if not o["correct"]]
        if right < BARE_BELOW * min(others):
            bare_by_lesson[item["lesson"]].append(key)
    lessons = Counter(item["lesson"] for item in CHOICES.values())
    for lesson, bare in bare_by_lesson.items():
        assert len(bare) <= BARE_RIGHT_AT_MOST * lessons[lesson], (lesson, bare)


# -- every place holds the right answer about equally often ---------------------------------------

def place_shares(questions) -> dict[int, dict[int, float]]:
    """For each number of options, the share of questions whose right answer is in each place."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for question in questions:
        counts[len(question.options)][question.answer] += 1
    return {n: {place: counts[n][place] / sum(counts[n].values()) for place in range(n)} for n in counts}


def assert_balanced(shares: dict[int, dict[int, float]], tolerance: float) -> None:
    for n, by_place in shares.items():
        for place, share in by_place.items():
            assert abs(share - 1 / n) <= tolerance, (n, place, round(share, 3))


def test_each_place_holds_the_right_answer_about_equally_often_in_the_bank():
    shares = place_shares(bank_question(key, seed) for key in CHOICES for seed in SEEDS)
    assert set(shares) == {len(item["options"]) for item in CHOICES.values()}
    assert_balanced(shares, BANK_TOLERANCE)


def test_each_place_holds_the_right_answer_about_equally_often_on_worksheets():
    assert_balanced(place_shares(worksheet_choices()), WORKSHEET_TOLERANCE)


def test_the_right_answer_lands_in_every_place_of_every_question():
    """No question keeps its right answer in one place whatever the seed (a shuffle that skips some)."""
    for key, item in CHOICES.items():
        places = {bank_question(key, seed).answer for seed in range(40)}
        assert places == set(range(len(item["options"]))), key


# -- the same seed gives the same order, another seed another --------------------------------------

def order(question) -> list[str]:
    return [option["text"]["en"] for option in question.options]


def test_the_same_seed_gives_the_same_order_and_the_id_makes_it_again():
    for key in CHOICES:
        question = bank_question(key, 7)
        assert question.id == f"bank:{key}@7"
        assert question == bank_question(key, 7) == question_by_id(question.id)
        item = CHOICES[key]
        # the options are the bank's, moved: each keeps its own why, and the answer is the right one
        assert sorted(order(question)) == sorted(o["text"]["en"] for o in item["options"])
        whys = {o["text"]["en"]: o["why"]["en"] for o in item["options"]}
        assert all(whys[o["text"]["en"]] == o["why"]["en"] for o in question.options)
        assert question.options[question.answer]["text"] == item["options"][right_index(item)]["text"]


def test_different_seeds_give_different_orders():
    for key in CHOICES:
        assert len({tuple(order(bank_question(key, seed))) for seed in range(10)}) >= 2, key
    moved = [key for key in CHOICES if order(bank_question(key, 1)) != order(bank_question(key, 2))]
    assert len(moved) >= len(CHOICES) // 2, moved


def test_a_plain_bank_id_keeps_the_bank_order_for_old_progress_files():
    for key, item in CHOICES.items():
        question = question_by_id(f"bank:{key}")
        assert order(question) == [o["text"]["en"] for o in item["options"]]
        assert question.answer == right_index(item)


def test_a_damaged_seed_is_an_unknown_question():
    key = next(iter(CHOICES))
    for damaged in (f"bank:{key}@", f"bank:{key}@x", f"bank:{key}@1.5"):
        with pytest.raises(KeyError):
            question_by_id(damaged)


def test_worksheets_shuffle_from_their_seed():
    sheet = {q.id: order(q) for q in pick_questions(60, 3) if q.kind == "choice"}
    assert sheet == {q.id: order(q) for q in pick_questions(60, 3) if q.kind == "choice"}
    assert all(qid.endswith("@3") for qid in sheet)
    unshuffled = [qid for qid, texts in sheet.items() if texts == [o["text"]["en"] for o in bank_item(qid)["options"]]]
    assert len(unshuffled) < len(sheet) / 2


def test_a_lesson_shuffles_from_its_attempt_so_a_retake_gets_a_new_order():
    authored = [qid for lesson_id in lesson_ids() for qid in question_ids(lesson_id, 0) if qid.startswith("bank:")]
    assert len(authored) >= 20 and all(qid.endswith("@0") for qid in authored)
    for lesson_id in lesson_ids():  # resumed: the same questions in the same orders
        assert question_ids(lesson_id, 3) == question_ids(lesson_id, 3)
    # Over a few retakes the same question comes back with its options elsewhere.
    asked: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for attempt in range(6):
        for qid in question_ids("building-blocks", attempt):
            question = question_by_id(qid)
            if question.kind == "choice":
                asked[qid.partition("@")[0]].add(tuple(order(question)))
    assert any(len(orders) > 1 for orders in asked.values()), asked


# -- the printed key follows the printed order -----------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_worksheet_key_letter_is_where_the_right_option_is_printed(lang):
    questions = pick_questions(60, 4)
    text = worksheet_text(questions, lang, seed=4)
    head, key = text.split("\n答案\n" if lang == "zh" else "\nAnswer key\n")
    blocks = re.split(r"^\d+\. ", head, flags=re.MULTILINE)[1:]
    key_blocks = re.split(r"^\d+\. ", key, flags=re.MULTILINE)[1:]
    letters_moved = 0
    for question, block, answer in zip(questions, blocks, key_blocks, strict=True):
        if question.kind != "choice":
            continue
        letter = answer[0]
        item = bank_item(question.id)
        right_words = item["options"][right_index(item)]["text"][lang]
        printed = re.search(rf"^\s+{letter}\) (.*)$", block, re.MULTILINE).group(1)
        assert right_words.startswith(printed.strip()), (question.id, letter, printed)
        letters_moved += LETTERS.index(letter) != right_index(item)
    assert letters_moved > 0  # the key's letters are not just the bank's order


# -- the heaviest layer is not always the linear one -----------------------------------------------

@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_a_convolution_often_holds_the_most_parameters(difficulty):
    heaviest = Counter()
    for seed in PARAM_SEEDS:
        question = generate("most_params_layer", difficulty, seed)
        heaviest[question.network["layers"][question.answer]["type"]] += 1
    share = heaviest["conv2d"] / len(PARAM_SEEDS)
    assert CONV_SHARE[0] <= share <= CONV_SHARE[1], heaviest
    assert set(heaviest) == {"conv2d", "linear"}


def test_the_heaviest_layer_question_links_to_the_page_of_its_answer():
    for seed in range(60):
        question = generate("most_params_layer", 2, seed)
        kind = question.network["layers"][question.answer]["type"]
        assert question.concept == {"conv2d": "convolutional-layer", "linear": "fully-connected-layer"}[kind]


def test_an_average_pooling_question_links_to_the_average_pooling_page():
    seen = set()
    for difficulty in (1, 2, 3):
        for seed in range(30):
            question = generate("pool_value", difficulty, seed)
            kind = question.network["layers"][0]["type"]
            assert question.concept == {"maxpool2d": "max-pooling", "avgpool2d": "average-pooling"}[kind]
            seen.add(kind)
    assert seen == {"maxpool2d", "avgpool2d"}


def test_a_question_from_the_bank_in_any_order_is_graded_by_its_shuffled_letters():
    from cnntui.quiz.grading import mark

    for key in CHOICES:
        question = from_bank(CHOICES[key], 11)
        assert mark(question, LETTERS[question.answer], "en").correct
        wrong = (question.answer + 1) % len(question.options)
        assert not mark(question, LETTERS[wrong], "en").correct
        assert mark(question, question.options[question.answer]["text"]["zh"], "zh").correct


# -- the questions issue #15 named say what they assume -------------------------------------------

def test_the_named_questions_state_their_assumptions_in_both_languages():
    bank = load_bank()
    bigger = bank["input-size-bigger-image-first-conv"]["prompt"]
    assert "padding 1" in bigger["en"] and "填充为 1" in bigger["zh"]  # the 49x in compute needs it
    neurons = bank["capacity-more-neurons"]["prompt"]
    assert "fully connected hidden layers" in neurons["en"] and "全连接隐藏层" in neurons["zh"]
    hint = bank["neuron-sum-then-activate"]["hint"]
    assert "squash" not in hint["en"] and "压缩" not in hint["zh"]  # ReLU squashes nothing
    closer_fit = bank["capacity-cost-of-more-weights"]["options"][0]
    assert not closer_fit["correct"] and "exactly what overfitting is" not in closer_fit["why"]["en"]


def test_which_layers_are_hidden_follows_the_one_rule():
    """A hidden layer is a conv or FC layer between input and output, with the steps after it: never
    "all the layers in between" (that would count ReLU, pooling and flatten as layers of their own)."""
    item = load_bank()["hidden-layer-which-ones"]
    right = item["options"][right_index(item)]
    assert "conv" in right["text"]["en"] and "FC" in right["text"]["en"]
    assert "卷积层" in right["text"]["zh"] and "全连接层" in right["text"]["zh"]
    assert "pooling" in right["why"]["en"] and "池化" in right["why"]["zh"]
