"""The quiz's "Modern CNNs" lesson: its computed questions recomputed by hand, their options as plausible
mistakes that give nothing away, the depthwise-separable task checked on hand-made networks, worksheets,
a five-lesson progress file, and the lesson taken in the app.

The expected numbers come from plain-Python formulas in this file (PyTorch's rules for groups, batch norm,
concatenation and residual sums), applied to the network JSON each question carries; nothing here asks the
engine or the generators' helpers for an expected value.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter

import pytest
from test_app import make_app, until
from test_quiz_app import start, text_of, typed
from textual.widgets import Input, OptionList

from cnntui.quiz.course import check_task, lesson_ids, load_tasks, network_done, question_ids, steps
from cnntui.quiz.generate import generate
from cnntui.quiz.generate_modern import MODERN_GENERATORS
from cnntui.quiz.grading import mark
from cnntui.quiz.progress import ProgressStore
from cnntui.quiz.questions import LANGUAGES, question_by_id
from cnntui.quiz.worksheet import pick_questions, worksheet_text

SEEDS = range(12)
CASES = [(name, difficulty, seed) for name in MODERN_GENERATORS for difficulty in (1, 2, 3) for seed in SEEDS]
FIVE_LESSONS = ["building-blocks", "structure", "numbers", "comparisons", "learning"]
MODERN_TOPICS = ["batch-norm", "dropout", "residual", "pointwise-conv", "grouped-conv", "concat", "gap"]


# -- the formulas ---------------------------------------------------------------------

def square(value) -> int:
    if isinstance(value, list):
        assert value[0] == value[1]
        return value[0]
    return value


def shape_after(node: dict, shape: tuple) -> tuple:
    """A node's output shape, by PyTorch's rules."""
    kind = node["type"]
    if kind in ("conv2d", "maxpool2d"):
        c, h, w = shape
        k, p = square(node["kernel_size"]), square(node.get("padding", 0))
        s = square(node.get("stride", 1 if kind == "conv2d" else node["kernel_size"]))
        side = (h + 2 * p - k) // s + 1
        assert (w + 2 * p - k) // s + 1 == side
        return (node["out_channels"] if kind == "conv2d" else c, side, side)
    if kind in ("batchnorm2d", "relu"):
        return shape
    if kind == "sequential":
        for layer in node["layers"]:
            shape = shape_after(layer, shape)
        return shape
    if kind == "concat":
        outs = [shape_after(branch, shape) for branch in node["branches"]]
        assert len({out[1:] for out in outs}) == 1
        return (sum(out[0] for out in outs), *outs[0][1:])
    raise AssertionError(kind)


def body_shape(layers: list[dict], shape: tuple) -> tuple:
    return shape_after({"type": "sequential", "layers": layers}, shape)


def conv_params(conv: dict, c_in: int) -> int:
    k, groups = square(conv["kernel_size"]), conv.get("groups", 1)
    assert c_in % groups == 0 and conv["out_channels"] % groups == 0
    return conv["out_channels"] * (c_in // groups) * k * k + (conv["out_channels"] if conv.get("bias", True) else 0)


def conv_macs(conv: dict, shape: tuple) -> int:
    out = shape_after(conv, shape)
    k = square(conv["kernel_size"])
    return out[0] * out[1] * out[2] * (shape[0] // conv.get("groups", 1)) * k * k


def chain_counts(spec: dict) -> tuple[int, int]:
    """(parameters, MACs) of a plain list of conv and batch-norm layers."""
    shape, params, macs = tuple(spec["input"]), 0, 0
    for layer in spec["layers"]:
        if layer["type"] == "conv2d":
            params += conv_params(layer, shape[0])
            macs += conv_macs(layer, shape)
        elif layer["type"] == "batchnorm2d":
            params += 2 * shape[0]
        shape = shape_after(layer, shape)
    return params, macs


def by_hand(q) -> str:
    """The right option's text, recomputed from the network (and given) the question carries."""
    spec, quantity, shape = q.network, q.quantity, tuple(q.network["input"])
    if quantity in ("params", "buffers") and spec["layers"][q.layer]["type"] == "batchnorm2d":
        channels = shape_after(spec["layers"][0], shape)[0]
        return f"{2 * channels + (1 if quantity == 'buffers' else 0):,}"  # + num_batches_tracked
    if quantity == "params":
        return f"{conv_params(spec['layers'][q.layer], shape[0]):,}"
    if quantity == "macs":
        return f"{conv_macs(spec['layers'][q.layer], shape):,}"
    if quantity == "total_params":
        return f"{chain_counts(spec)[0]:,}"
    if quantity == "params_saved":
        return f"{chain_counts(q.given['replaces'])[0] - chain_counts(spec)[0]:,}"
    if quantity == "macs_ratio":
        return f"{chain_counts(q.given['replaces'])[1] / chain_counts(spec)[1]:.1f}"
    if quantity == "output_channels":
        return f"{shape_after(spec['layers'][0], shape)[0]:,}"
    if quantity == "shortcut":
        out = body_shape(spec["layers"][0]["body"], shape)
        if out == shape:
            return "none: the identity, x passed on unchanged"
        return f"a 1x1 conv, stride {shape[1] // out[1]}, {out[0]} output channels"
    raise AssertionError(quantity)


def right_text(q, lang: str = "en") -> str:
    return q.options[q.answer]["text"][lang]


# -- answers -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODERN_GENERATORS)
def test_every_answer_equals_the_hand_computation(name):
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate(name, difficulty, seed)
            assert q.kind == "computed" and q.form == "choice" and q.network and q.quantity, q.id
            assert right_text(q) == by_hand(q), (q.id, q.options, q.answer)
            assert right_text(q, "en") in q.explanation["en"] and right_text(q, "zh") in q.explanation["zh"], q.id
            assert mark(q, "abcd"[q.answer], "en").correct and mark(q, right_text(q, "zh"), "zh").correct
            assert not mark(q, "abcd"[(q.answer + 1) % len(q.options)], "en").correct
            assert q == question_by_id(q.id)


def test_a_few_answers_spelled_out():
    """Known cases, worked on paper: batch norm over 64 channels, 32->64 channels in 4 groups, a depthwise 3x3."""
    q = next(q for seed in range(200) if (q := generate("batchnorm_counts", 2, seed)).network["layers"][0]
             ["out_channels"] == 64)
    assert right_text(q) == "129"  # running mean 64 + running variance 64 + num_batches_tracked
    q = next(q for seed in range(400) if (q := generate("grouped_conv_params", 2, seed)).network["layers"][0]
             == {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 4}
             and q.network["input"][0] == 16)
    assert right_text(q) == f"{32 * 4 * 9 + 32:,}"  # each filter reads 16 / 4 = 4 channels


def test_the_shortcut_the_engine_accepts_is_the_only_right_option():
    """Every option, built into the block, is checked by the engine: exactly the right one adds up."""
    from cnntui.core import analyze

    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            q = generate("residual_shortcut", difficulty, seed)
            block = q.network["layers"][0]
            for index, option in enumerate(q.options):
                trial = copy.deepcopy(q.network)
                trial["layers"][0].pop("shortcut", None)
                found = re.fullmatch(r"a 1x1 conv, stride (\d), (\d+) output channels", option["text"]["en"])
                if found:
                    trial["layers"][0]["shortcut"] = {"type": "conv2d", "out_channels": int(found.group(2)),
                                                      "kernel_size": 1, "stride": int(found.group(1)), "bias": False}
                else:
                    assert option["text"]["en"].startswith("none: the identity")
                assert analyze(trial).ok is (index == q.answer), (q.id, option["text"]["en"])
                assert option["why"]["en"].startswith("Right") is (index == q.answer)
            assert block["body"], q.id


# -- options: plausible mistakes, no give-aways --------------------------------------------------

def test_options_are_distinct_and_each_wrong_one_names_its_mistake():
    for name, difficulty, seed in CASES:
        q = generate(name, difficulty, seed)
        assert 3 <= len(q.options) <= 4, q.id
        for lang in LANGUAGES:
            texts = [option["text"][lang] for option in q.options]
            assert len(set(texts)) == len(texts), (q.id, texts)
        whys = [option["why"]["en"] for index, option in enumerate(q.options) if index != q.answer]
        assert len(set(whys)) == len(whys) and all(why and not why.startswith("Right") for why in whys), q.id
        for option in q.options:
            value = option["text"]["en"].replace(",", "")
            assert not value.startswith("-"), (q.id, value)  # no option is a negative count


@pytest.mark.parametrize(("name", "difficulty", "mistake"), [
    ("grouped_conv_params", 2, lambda q, c_in, conv: conv_params({**conv, "groups": 1}, c_in)),  # forgot groups
    ("depthwise_cost", 1, lambda q, c_in, conv: conv_params({**conv, "groups": 1}, c_in)),  # C_in*C_out*k*k
    ("batchnorm_counts", 1, lambda q, c_in, conv: 4 * conv["out_channels"]),  # running statistics as parameters
    ("batchnorm_counts", 3, lambda q, c_in, conv: conv_params(conv, c_in) + 4 * conv["out_channels"]),
])
def test_the_named_mistakes_are_among_the_options(name, difficulty, mistake):
    for seed in SEEDS:
        q = generate(name, difficulty, seed)
        conv = q.network["layers"][0]
        wanted = f"{mistake(q, q.network['input'][0], conv):,}"
        assert wanted in [option["text"]["en"] for option in q.options], (q.id, wanted)


def test_the_grouped_conv_with_a_bias_offers_the_count_without_it():
    for seed in SEEDS:
        q = generate("grouped_conv_params", 1, seed)
        conv = q.network["layers"][0]
        assert f"{conv_params({**conv, 'bias': False}, q.network['input'][0]):,}" in \
            [option["text"]["en"] for option in q.options], q.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_right_option_is_rarely_the_longest_and_sits_in_every_place(lang):
    questions = [generate(name, difficulty, seed) for name, difficulty, seed in CASES]
    def others(q) -> list[int]:
        return [len(option["text"][lang]) for index, option in enumerate(q.options) if index != q.answer]

    longest = [q.id for q in questions if len(right_text(q, lang)) > max(others(q))]
    assert len(longest) <= len(questions) / 3, (len(longest), len(questions))
    shortest = [q.id for q in questions if len(right_text(q, lang)) < min(others(q))]
    assert len(shortest) <= len(questions) / 3, (len(shortest), len(questions))
    places = Counter(q.answer for q in questions)
    assert set(places) == {0, 1, 2, 3} and max(places.values()) <= 0.4 * len(questions), places


# -- the lesson and its task ------------------------------------------------------------------------

def test_the_modern_lesson_follows_learning_with_a_recap_task_and_engine_questions():
    assert lesson_ids() == [*FIVE_LESSONS, "modern"]
    lesson_steps = steps("modern", 0)
    assert [step.kind for step in lesson_steps[:2]] == ["recap", "task"] and lesson_steps[1].ref == "separable-swap"
    for attempt in (0, 1):
        ids = question_ids("modern", attempt)
        computed = {qid.split(":")[0] for qid in ids if not qid.startswith("bank:")}
        assert computed <= set(MODERN_GENERATORS) and len(computed) >= 4, ids
        assert any(qid.startswith("bank:") for qid in ids)
        levels = [question_by_id(qid).difficulty for qid in ids]
        assert levels == sorted(levels)


TASK = load_tasks()["modern"]


def swapped(depthwise: dict | None = None, pointwise: dict | None = None, **changes) -> dict:
    """The task's network with layer 2 replaced by a depthwise + 1x1 pair (the right one unless changed)."""
    spec = copy.deepcopy(TASK["network"])
    pair = [{"type": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1, "groups": 32, **(depthwise or {})},
            {"type": "conv2d", "out_channels": 64, "kernel_size": 1, **(pointwise or {})}]
    spec["layers"][2:3] = pair
    spec.update(changes)
    return spec


def saved_by_hand(spec: dict) -> int:
    """Parameters of the task's conv minus those of the pair that replaced it (the rest is unchanged)."""
    plain = conv_params(TASK["network"]["layers"][2], 32)
    depthwise, pointwise = spec["layers"][2], spec["layers"][3]
    return plain - conv_params(depthwise, 32) - conv_params(pointwise, depthwise["out_channels"])


@pytest.mark.parametrize("spec", [
    swapped(),
    swapped({"bias": False}, {"bias": False}),
    swapped({"padding": "same"}),
    swapped({"kernel_size": [3, 3]}, {"kernel_size": [1, 1]}),
], ids=["with-biases", "without-biases", "padding-same", "kernel-pairs"])
def test_the_swap_task_passes_a_right_pair_with_the_number_it_saved(spec):
    state = {"spec": spec}
    assert network_done(TASK, state)
    assert check_task(TASK, {**state, "reported": saved_by_hand(spec)})
    assert saved_by_hand(swapped()) == 16_064  # 18,496 - (288 + 32) - (2,048 + 64)
    assert not check_task(TASK, state)  # no number reported
    assert not check_task(TASK, {**state, "reported": saved_by_hand(spec) + 64})


def without_layer(index: int) -> dict:
    spec = swapped()
    del spec["layers"][index]
    return spec


@pytest.mark.parametrize("spec", [
    TASK["network"],  # nothing done
    swapped({"groups": 1}),  # a plain conv 32 -> 32, not depthwise
    swapped({"out_channels": 64, "groups": 32}),  # a grouped conv that also widens
    swapped({"kernel_size": 1, "padding": 0}),  # a 1x1 "depthwise"
    swapped({"stride": 2}),  # halves the size: the shapes after it change
    swapped({"padding": 0}),  # shrinks the maps
    swapped(pointwise={"kernel_size": 3, "padding": 1}),  # the mixing conv is not 1x1
    swapped(pointwise={"out_channels": 32}),  # the wrong width
    swapped(pointwise={"groups": 2}),  # a grouped mixing conv
    without_layer(3),  # the depthwise conv alone
    without_layer(4),  # a layer after the pair removed as well
    swapped(input=[3, 28, 28]),  # another input
    {**swapped(), "layers": [*swapped()["layers"][:3], swapped()["layers"][2], *swapped()["layers"][4:]]},
    {"layers": "nonsense"},
], ids=["unchanged", "groups-1", "widening", "kernel-1", "stride-2", "no-padding", "mixing-3x3", "mixing-32",
        "mixing-grouped", "no-mixing", "layer-lost", "other-input", "depthwise-twice", "damaged"])
def test_the_swap_task_fails_a_wrong_network(spec):
    assert not network_done(TASK, {"spec": spec})
    assert not check_task(TASK, {"spec": spec, "reported": 16_064})


# -- worksheets ------------------------------------------------------------------------------------

def test_worksheets_include_the_lesson_by_its_topics_and_seed():
    questions = pick_questions(40, 3, MODERN_TOPICS)
    assert {q.topic for q in questions} <= set(MODERN_TOPICS)
    assert set(MODERN_GENERATORS) <= {q.id.split(":")[0] for q in questions if q.kind == "computed"}
    assert any(q.id.startswith("bank:") for q in questions)
    assert [q.id for q in pick_questions(40, 3, MODERN_TOPICS)] == [q.id for q in questions]
    assert [q.id for q in pick_questions(40, 4, MODERN_TOPICS)] != [q.id for q in questions]
    for lang, key in (("en", "\nAnswer key\n"), ("zh", "\n答案\n")):
        head, answers = worksheet_text(questions, lang, seed=3).split(key)
        blocks = re.split(r"^\d+\. ", answers, flags=re.MULTILINE)[1:]
        for q, block in zip(questions, blocks, strict=True):
            if q.kind == "computed" and q.options:  # the key gives the letter and the option's words, as for the bank's
                assert block.startswith(f"{'abcd'[q.answer]}) {right_text(q, lang)}"), (q.id, block[:80])
                assert "".join(q.options[q.answer]["why"][lang].split()) in "".join(block.split())  # wrapped


def test_the_json_worksheet_carries_options_network_and_quantity():
    from test_quiz_cli import quiz

    data = json.loads(quiz("--json", "--print", 12, "--seed", 2, "--topic", "residual", "--topic", "concat").stdout)
    computed = [item for item in data if item["kind"] == "computed"]
    assert computed and {item["topic"] for item in data} <= {"residual", "concat"}
    for item in computed:
        assert item["form"] == "choice" and item["network"] and item["quantity"] in ("shortcut", "output_channels")
        assert [option["correct"] for option in item["options"]].count(True) == 1
        assert item["options"][item["answer"]]["correct"]
        assert item["options"][item["answer"]]["text"]["en"] == by_hand(question_by_id(item["id"]))


# -- progress from the five-lesson course --------------------------------------------------------

FIVE_LESSON_FILE = {
    "version": 1, "session": 7,
    "lessons": {**{lesson: {"step": 0, "attempt": 1, "done": True} for lesson in FIVE_LESSONS[:4]},
                "learning": {"step": 3, "attempt": 0, "done": False}},
    "topics": {"padding": {"asked": 4, "score": 3.5}, "loss": {"asked": 2, "score": 1.0}},
    "review": {"bank:loss-cross-entropy-of-one-example@0": {"box": 2, "due": 8, "topic": "loss"}},
}


def test_a_five_lesson_progress_file_loads_whole_and_saves_with_the_new_lesson(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(FIVE_LESSON_FILE), encoding="utf-8")
    store = ProgressStore(path)
    progress = store.load()
    assert store.problem is None and store.moved_to is None
    assert progress.lessons == FIVE_LESSON_FILE["lessons"] and progress.topics == FIVE_LESSON_FILE["topics"]
    assert progress.review == FIVE_LESSON_FILE["review"] and progress.session == 7
    assert progress.lesson("modern") == {"step": 0, "attempt": 0, "done": False}
    progress.advance("modern", len(steps("modern", 0)))
    store.save(progress)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert {key: saved["lessons"][key] for key in FIVE_LESSONS} == FIVE_LESSON_FILE["lessons"]
    assert saved["lessons"]["modern"] == {"step": 1, "attempt": 0, "done": False}
    assert saved["topics"] == FIVE_LESSON_FILE["topics"] and saved["review"] == FIVE_LESSON_FILE["review"]


# -- in the app ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")])
async def test_taking_the_modern_lesson_after_the_five(tmp_path, size, language):
    """With the five older lessons done, the course opens on Modern CNNs: its recap, the swap task (in English:
    checked, then the number asked in the answer field; in Chinese: skipped), and its first questions,
    answered right and wrong."""
    done = {lesson: {"step": 0, "attempt": 1, "done": True} for lesson in FIVE_LESSONS}
    (tmp_path / "progress.json").write_text(json.dumps({**FIVE_LESSON_FILE, "lessons": done}), encoding="utf-8")
    app = make_app(tmp_path, mode="quiz", language=language)
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot)
        assert screen.section == "modern"
        title = {"en": "Modern CNNs", "zh": "现代卷积网络"}[language]
        assert title in text_of(screen, "title")
        assert title in str(screen.query_one("#quiz-list", OptionList).get_option("modern").prompt)
        await pilot.press("n")  # past the recap, to the task
        assert screen.current_task() == TASK
        field = screen.query_one("#quiz-answer", Input)
        if language == "en":
            await do_the_swap_task(pilot, screen, field)
        else:
            assert "深度可分离" in text_of(screen, "text")
            await pilot.press("n")  # skip it
        await until(pilot, lambda: screen.question is not None, "the first question")
        for right in (True, False, True):
            question = screen.question
            assert question.id == steps("modern", 0)[screen.progress.lesson("modern")["step"]].ref
            assert question.prompt[language][:12] in text_of(screen, "text")
            field.value = typed(question, right)
            await pilot.press("enter")
            await until(pilot, lambda: screen.result is not None, "the mark")
            assert screen.result.correct is right
            assert ("Worked solution" if language == "en" else "解题过程") in text_of(screen, "feedback")
            await pilot.press("n")
            await until(pilot, lambda: screen.question is not question, "the next question")
        assert screen.progress.lesson("modern")["step"] == 5


async def do_the_swap_task(pilot, screen, field) -> None:
    """k before the swap is "not yet"; after it (made in Build) k asks for the number saved, a wrong or
    unreadable number keeps the task open, and the right one finishes it and gives the network back."""
    app = pilot.app
    await pilot.press("k")
    assert not screen.reporting and not field.display
    await pilot.press("g")
    await until(pilot, lambda: app.current_mode == "build")
    app.screen.change(swapped())
    await pilot.press("4")
    await until(pilot, lambda: app.current_mode == "quiz")
    await pilot.press("k")
    await until(pilot, lambda: screen.reporting and field.display and screen.focused is field, "the number asked")
    assert "Type the number" in text_of(screen, "hint-line")
    for wrong in ("many", "16,000"):
        field.value = wrong
        await pilot.press("enter")
        assert screen.reporting and screen.current_step().kind == "task"
    assert any("16,000 is not what the swap saved" in n.message for n in app._notifications)
    field.value = "16,064"
    await pilot.press("enter")
    await until(pilot, lambda: not screen.reporting and screen.question is not None, "the task done")
    assert app.network.name != "separable-task"  # the student's own network is back
    assert screen.progress.topics["hands-on"]["asked"] == 1
