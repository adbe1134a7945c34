"""Quiz mode, driven by keys: a whole lesson answered right and wrong, progress kept across a restart,
hints, tasks, review, summary and a damaged progress file."""

from __future__ import annotations

import json

import pytest
from test_app import autosaved, make_app, until
from textual.widgets import Input, OptionList

from cnntui.quiz.course import load_tasks, steps
from cnntui.quiz.progress import ProgressStore
from cnntui.tui.screens.quiz import QuizScreen


def typed(question, right: bool) -> str:
    """What a student types to answer ``question`` rightly or wrongly."""
    answer = question.answer
    if question.form == "choice":
        index = answer if right else (answer + 1) % len(question.options)
        return "abcdefgh"[index]
    if question.form == "bool":
        return "yes" if answer == right else "no"
    if question.form in ("size", "shape"):
        return "x".join(str(v if right else v + 1) for v in answer)
    return str(answer if right else answer + 7)


async def start(pilot) -> QuizScreen:
    await pilot.pause(0.2)
    screen = pilot.app.screen
    assert isinstance(screen, QuizScreen)
    return screen


def text_of(screen: QuizScreen, name: str) -> str:
    return str(screen.query_one(f"#quiz-{name}").render())


async def answer(pilot, screen: QuizScreen, right: bool) -> None:
    box = screen.query_one("#quiz-answer", Input)
    box.focus()
    box.value = typed(screen.question, right)
    await pilot.press("enter")
    await pilot.pause()


async def test_a_whole_lesson_right_and_wrong_then_progress_survives_a_restart(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await start(pilot)
        assert screen.section == "building-blocks"
        assert "Recap" in text_of(screen, "text")
        lesson_steps = steps("building-blocks", 0)
        await pilot.press("n")  # past the recap
        outcomes = []
        for index, step in enumerate(lesson_steps[1:]):
            assert step.kind == "question" and screen.question.id == step.ref
            right = index % 3 != 1
            await answer(pilot, screen, right)
            assert screen.result.correct is right
            feedback = text_of(screen, "feedback")
            assert ("Right!" in feedback) is right and "Worked solution" in feedback
            outcomes.append(right)
            await pilot.press("n")
        assert app.screen.progress.lesson("building-blocks") == {"step": 0, "attempt": 1, "done": True}
        wrong = outcomes.count(False)
        assert len(app.screen.progress.review) == wrong
    saved = json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))
    assert saved["lessons"]["building-blocks"]["done"] is True
    asked = sum(topic["asked"] for topic in saved["topics"].values())
    assert asked == len(outcomes)

    again = make_app(tmp_path, mode="quiz")
    async with again.run_test(size=(100, 40)) as pilot:
        screen = await start(pilot)
        assert screen.section == "structure"  # the first lesson not done yet
        assert screen.progress.session == 2
        listing = screen.query_one("#quiz-list", OptionList)
        assert str(listing.get_option("building-blocks").prompt).startswith("✓")
        screen.open_section("review")
        await pilot.pause()
        assert len(screen.review_queue) == wrong and screen.question is not None
        await answer(pilot, screen, True)
        assert screen.progress.review[screen.question.id]["box"] == 2


async def test_review_asks_in_the_order_first_seen_and_drops_ids_it_cannot_ask(tmp_path):
    """A review re-asks a bank question with its options where the lesson had them ("@5" is the seed);
    an id that can never be asked (damaged by hand) leaves the review instead of crashing the app, and a
    bank question not loaded now (its instructor's bank is not here this time) waits in it for its bank."""
    from cnntui.quiz.progress import Progress
    from cnntui.quiz.questions import bank_question

    entry = {"box": 1, "due": 1, "topic": "neuron"}
    bad = ["bank:gone-question@3", "bank:neuron-sum-then-activate@x", "no_such_generator:1:2", "nonsense"]
    ProgressStore(tmp_path / "progress.json").save(
        Progress(review={**{qid: entry for qid in bad}, "bank:neuron-sum-then-activate@5": entry}, session=1))
    asked = bank_question("neuron-sum-then-activate", 5)
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        screen.open_section("review")
        await until(pilot, lambda: screen.question is not None)
        assert screen.question == asked  # "bank:n..." sorts before the ids it cannot ask
        shown = text_of(screen, "text")
        places = [shown.index(option["text"]["en"][:30]) for option in asked.options]
        assert places == sorted(places)  # in the shuffled order, a) first
        await answer(pilot, screen, True)
        assert screen.result.correct
        await pilot.press("n")  # on to the ids it cannot ask: they leave, and the review is done
        await until(pilot, lambda: not screen.review_queue and screen.question is None)
        # bank:gone-question waits for its bank: the pane says so, and the list counts only what it can ask.
        assert "1 more wait for questions not loaded now" in text_of(screen, "text")
        listing = screen.query_one("#quiz-list", OptionList)
        assert "(0 due)" in str(listing.get_option("review").prompt)
    saved = json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))
    assert sorted(saved["review"]) == sorted([asked.id, "bank:gone-question@3"])
    assert saved["review"][asked.id]["box"] == 2


async def test_lesson_position_is_remembered_mid_lesson(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        await answer(pilot, screen, True)
        await pilot.press("n")
        await answer(pilot, screen, False)  # and the app closes before Next
    again = make_app(tmp_path, mode="quiz")
    async with again.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.progress.lesson("building-blocks")["step"] == 3  # an answered question is not asked again
        assert screen.question.id == steps("building-blocks", 0)[3].ref
        assert "step 4/" in str(screen.query_one("#quiz-title").content)


async def test_a_hint_counts_half_and_an_unreadable_answer_is_not_marked(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        box = screen.query_one("#quiz-answer", Input)
        box.focus()
        await pilot.press("f2")
        assert screen.hinted and "Hint:" in text_of(screen, "text")
        box.value = "twelve apples"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.result is None
        assert any("not an answer of the kind wanted" in n.message for n in app._notifications)
        await answer(pilot, screen, True)
        assert screen.progress.topics[screen.question.topic]["score"] == 0.5


async def test_the_build_task_is_checked_against_the_network(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot)
        screen.open_section("numbers")
        await pilot.press("n")  # past the recap, to the task
        task = load_tasks()["numbers"]
        assert screen.current_task() == task and "stride" in text_of(screen, "text")
        await pilot.press("k")
        assert any("Not yet" in n.message for n in app._notifications)
        await pilot.press("g")
        await pilot.pause(0.3)
        assert app.current_mode == "build" and app.network.spec == task["network"]
        spec = json.loads(json.dumps(task["network"]))
        spec["layers"][0]["stride"] = 2
        app.screen.change(spec)
        await pilot.press("4")
        await pilot.pause(0.2)
        await pilot.press("k")
        assert any("Task done" in n.message for n in app._notifications)
        assert app.screen.current_step().kind == "question"


async def test_the_view_task_checks_the_kernel_and_the_channel(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot)
        screen.open_section("structure")
        await pilot.press("n", "g")
        for _ in range(100):
            await pilot.pause(0.05)
            if getattr(app.screen, "drawn", False):
                break
        assert app.current_mode == "view" and app.network.name == "lenet5"
        await pilot.press("w", "end", "enter")  # the classic kernel...
        await pilot.press("down", "down", "down", "enter")  # ...sobel_x
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.drawn and app.screen.result.request.kernels:
                break
        await pilot.press("enter", "enter")  # into the picture, channel 0 large
        await pilot.pause(0.2)
        await pilot.press("4")
        await pilot.pause(0.2)
        await pilot.press("k")
        assert any("Task done" in n.message for n in app._notifications)


async def test_summary_shows_strong_and_weak_topics(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        for right in (True, False, True):
            await answer(pilot, screen, right)
            await pilot.press("n")
        screen.open_section("summary")
        await pilot.pause()
        text = text_of(screen, "text")
        assert "weakest first" in text and "To work on:" in text
        for topic in screen.progress.topics:
            assert app.t(f"quiz.topic.{topic}") in text


def test_every_topic_has_a_name_in_both_languages():
    from cnntui.content import catalog
    from cnntui.quiz.generate import GENERATORS
    from cnntui.quiz.questions import load_bank

    topics = {item["topic"] for item in load_bank().values()} | {g.topic for g in GENERATORS.values()} | {"hands-on"}
    for language in ("en", "zh"):
        assert {f"quiz.topic.{topic}" for topic in topics} <= set(catalog(language))


@pytest.mark.parametrize("content", [b"\xff\xfe garbage", b"[1, 2, 3]",
                                     b'{"lessons": {"building-blocks": {"step": "two"}}, "session": -4}'])
async def test_damaged_progress_is_set_aside_and_reported(tmp_path, content):
    (tmp_path / "progress.json").write_bytes(content)
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.progress.lesson("building-blocks")["step"] == 0
        kept = list(tmp_path.glob("progress.json.corrupt-*"))
        assert len(kept) == 1 and kept[0].read_bytes() == content  # nothing lost
        said = [n.message for n in app._notifications if "set aside" in n.message]
        partly = content.startswith(b"{")  # values of the wrong kind: the good ones are kept
        assert said and all(("whatever could be read was kept" in m) == partly for m in said)
        assert all(("starts afresh" in m) != partly for m in said)
    assert json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))["session"] == 1


async def test_unwritable_progress_is_reported_once_and_the_quiz_goes_on(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data folder should be")
    app = make_app(tmp_path, mode="quiz", progress_store=ProgressStore(blocker / "progress.json"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        await answer(pilot, screen, True)
        warnings = [n for n in app._notifications if "Could not save quiz progress" in n.message]
        assert len(warnings) == 1 and screen.result.correct


async def test_quiz_speaks_chinese(tmp_path):
    app = make_app(tmp_path, mode="quiz", language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert "回顾" in text_of(screen, "text")
        await pilot.press("n")
        assert screen.question.prompt["zh"][:6] in text_of(screen, "text")


# -- two sessions of one student (two SSH logins on one HOME) -----------------------------------------


async def test_two_sessions_on_one_home_keep_each_others_steps(tmp_path):
    first, second = make_app(tmp_path, mode="quiz"), make_app(tmp_path, mode="quiz")
    async with first.run_test(size=(80, 24)) as one, second.run_test(size=(80, 24)) as two:
        quiz_one, quiz_two = await start(one), await start(two)
        await one.press("n")
        await answer(one, quiz_one, True)  # right in the first session
        await two.press("l")  # Chinese in the second
        await two.press("n")
        await answer(two, quiz_two, False)  # wrong in the second
        await one.press("c")  # a colour mode in the first
        for pilot, layers in ((one, 1), (two, 2)):  # an edit in each: layers deleted in Build
            await pilot.press("2")
            await until(pilot, lambda app=pilot.app: app.current_mode == "build", "Build opened")
            await pilot.press("down", *["x"] * layers)
            await until(pilot, lambda app=pilot.app: autosaved(tmp_path, app.network.spec), "an autosave")
        said = [n.message for n in second._notifications if "current-2.json" in n.message]  # in Chinese
        edited = [first.network.spec, second.network.spec]
    settings = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert settings["language"] == "zh" and settings["colors"] == first.color_mode
    progress = json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))
    assert progress["session"] == 2
    assert sum(topic["asked"] for topic in progress["topics"].values()) == 2
    assert quiz_two.question.id in progress["review"]  # the wrong answer, to review
    assert progress["lessons"]["building-blocks"]["step"] == 2  # a recap and a question: one lesson, the later save
    on_disk = [json.loads((tmp_path / name).read_text(encoding="utf-8")) for name in ("current.json", "current-2.json")]
    assert on_disk == edited  # the second did not write over the first's network, but beside it
    assert len(said) == 1 and "另一个 cnntui 会话" in said[0] and "保持原样" in said[0]
    assert settings["network"] == str(tmp_path / "current-2.json")


async def test_progress_that_can_be_neither_read_nor_set_aside_is_left_alone_and_never_saved(tmp_path, monkeypatch):
    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    (tmp_path / "progress.json").write_bytes(b"\xff not progress")
    monkeypatch.setattr("cnntui.core.files.set_aside", refuse)  # as in a folder the student may not write
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        await answer(pilot, screen, True)
        assert screen.result.correct  # the quiz goes on
        said = [n.message for n in app._notifications if "progress" in n.message]
    assert len(said) == 1 and "left as it is" in said[0] and "will not be saved" in said[0]
    assert (tmp_path / "progress.json").read_bytes() == b"\xff not progress"
