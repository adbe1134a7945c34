"""The quiz as a student walks it at 80x24: the answer field has focus in every way of arriving at a question,
focus shows, lesson leads to lesson, the course ends on a page that sums it up, answers by option text,
toasts that stay off the answer, and a hands-on task that gives the student's network back."""

from __future__ import annotations

import re
from functools import partial

import pytest
from test_app import make_app
from test_app import until as app_until
from test_quiz_app import answer, start, text_of, typed
from textual.content import Content
from textual.widgets import Input, OptionList

from cnntui.content import catalog
from cnntui.quiz.course import lesson, lesson_ids, steps
from cnntui.quiz.progress import Progress, ProgressStore
from cnntui.quiz.questions import bank_question, load_bank
from cnntui.tui.screens.quiz import COMPLETE
from cnntui.tui.widgets.chrome import KeyBar, TopBar
from cnntui.tui.widgets.quiz_text import question_text

FIRST = "building-blocks"


# Focus moves after a refresh and workers take a while: a few seconds at most.
until = partial(app_until, timeout=4.0)


def answer_focused(app) -> bool:
    return app.focused is app.screen.query_one("#quiz-answer", Input)


def saved(tmp_path, **lessons: dict) -> None:
    """A progress file with ``lessons`` (id -> state) as if earlier sessions had left them so."""
    progress = Progress(lessons={lid.replace("_", "-"): state for lid, state in lessons.items()}, session=1)
    ProgressStore(tmp_path / "progress.json").save(progress)


def step_count(lesson_id: str, attempt: int = 0) -> int:
    return len(steps(lesson_id, attempt))


# -- the answer field has focus, however the student arrives -------------------------------

async def test_next_to_a_question_focuses_the_answer_and_global_keys_type_into_it(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert not answer_focused(app)  # a recap: Enter and n go on
        await pilot.press("n")
        await until(pilot, lambda: answer_focused(app))
        colors, language = app.color_mode, app.language
        await pilot.press("2", "c", "l", "q", "1", "question_mark", "5")
        assert screen.query_one("#quiz-answer", Input).value == "2clq1?5"
        assert app.current_mode == "quiz" and app.screen is screen  # no mode, no help screen
        assert (app.color_mode, app.language) == (colors, language) and app.is_running


async def test_a_restart_at_a_question_focuses_the_answer(tmp_path):
    saved(tmp_path, building_blocks={"step": 2, "attempt": 0, "done": False})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.question is not None
        await until(pilot, lambda: answer_focused(app))
        await pilot.press("2")
        assert app.current_mode == "quiz"


async def test_escape_then_another_mode_and_back_focuses_the_answer_again(tmp_path):
    saved(tmp_path, building_blocks={"step": 1, "attempt": 0, "done": False})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await until(pilot, lambda: answer_focused(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.focused is screen.query_one("#quiz-list"))
        await pilot.press("1")
        await until(pilot, lambda: app.current_mode == "learn")
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "quiz" and answer_focused(app))


async def test_the_palette_and_the_top_bar_bring_back_a_focused_answer(tmp_path):
    saved(tmp_path, building_blocks={"step": 1, "attempt": 0, "done": False})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await until(pilot, lambda: answer_focused(app))
        app.switch_mode("learn")
        await until(pilot, lambda: app.current_mode == "learn")
        await pilot.press("ctrl+p", *"go to quiz")
        await until(pilot, lambda: app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count)
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "quiz" and answer_focused(app))

        app.switch_mode("learn")
        await until(pilot, lambda: app.current_mode == "learn")
        bar = app.screen.query_one(TopBar)
        column = str(bar.render()).index("4 Quiz")
        await pilot.click(TopBar, offset=(column + 1, 0))
        await until(pilot, lambda: app.current_mode == "quiz" and answer_focused(app))


async def test_picking_a_lesson_at_a_question_in_the_list_focuses_the_answer(tmp_path):
    saved(tmp_path, structure={"step": 3, "attempt": 0, "done": False})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.section == FIRST and not answer_focused(app)
        await pilot.press("shift+tab")
        listing = screen.query_one("#quiz-list", OptionList)
        await until(pilot, lambda: app.focused is listing)
        await pilot.press("down", "enter")
        assert screen.section == "structure" and screen.question.id == steps("structure", 0)[3].ref
        await until(pilot, lambda: answer_focused(app))


async def test_review_questions_each_get_a_focused_answer(tmp_path):
    missed = [f"bank:{key}" for key in sorted(load_bank())[:2]]
    progress = Progress(review={qid: {"box": 1, "due": 1, "topic": "kernel"} for qid in missed}, session=1)
    ProgressStore(tmp_path / "progress.json").save(progress)
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("shift+tab")
        listing = screen.query_one("#quiz-list", OptionList)
        await until(pilot, lambda: app.focused is listing)
        listing.highlighted = listing.get_option_index("review")
        await pilot.press("enter")
        assert screen.section == "review" and len(screen.review_queue) == 2
        for _ in missed:
            await until(pilot, lambda: answer_focused(app))
            await answer(pilot, screen, True)
            assert not answer_focused(app)
            await pilot.press("n")


# -- focus shows, and the keys say how to move -----------------------------------------------

@pytest.mark.parametrize("ascii_only", [False, True])
async def test_what_has_focus_looks_focused_without_colour_too(tmp_path, ascii_only):
    app = make_app(tmp_path, mode="quiz", colors="none", ascii_only=ascii_only)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        field, scroll = screen.query_one("#quiz-answer"), screen.query_one("#quiz-scroll")
        listing = screen.query_one("#quiz-list")
        assert scroll.has_focus and scroll.styles.border_left[0] == ("ascii" if ascii_only else "solid")
        await pilot.press("n")
        await until(pilot, lambda: answer_focused(app))
        await pilot.pause()
        assert field.styles.border_top[0] == ("ascii" if ascii_only else "heavy")
        assert scroll.styles.border_left[0] == "blank"
        highlighted = listing.get_component_rich_style("option-list--option-highlighted")
        assert highlighted.underline and not highlighted.bold
        keys = str(screen.query_one(KeyBar).render())
        assert "Esc Leave field" in keys and "Shift+Tab Lessons" in keys

        await pilot.press("escape")
        await until(pilot, lambda: listing.has_focus)
        await pilot.pause()
        assert field.styles.border_top[0] == ("blank" if ascii_only else "round")
        assert listing.get_component_rich_style("option-list--option-highlighted").bold
        assert "Esc Leave field" not in str(screen.query_one(KeyBar).render())


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_every_hint_line_fits_at_80_columns(tmp_path, language):
    app = make_app(tmp_path, mode="quiz", language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        line = screen.query_one("#quiz-hint-line")
        width, height = line.content_region.width, line.content_region.height
        assert height == 2
        longest = max((lesson(lid)["title"][language] for lid in lesson_ids()), key=len)
        for key, words in catalog(language).items():
            if key.startswith("quiz.keys."):
                filled = words.format(lesson=longest)
                assert len(Content(filled).wrap(width)) <= height, (key, width)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_long_lesson_title_wraps_instead_of_losing_the_step_count(tmp_path, language):
    app = make_app(tmp_path, mode="quiz", language=language)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await start(pilot)
        screen.open_section("numbers")
        await pilot.pause()
        title = screen.query_one("#quiz-title")
        lines = Content(str(title.content)).wrap(title.content_region.width)
        assert len(lines) > 1 and title.content_region.height == len(lines)
        shown = "".join(line.plain for line in lines)
        assert shown.replace(" ", "") == str(title.content).replace(" ", "")  # all of it, the count too


# -- lesson to lesson, and the end of the course ---------------------------------------------

async def test_enter_after_the_last_question_opens_the_next_lesson_at_its_first_step(tmp_path):
    saved(tmp_path, building_blocks={"step": step_count(FIRST) - 1, "attempt": 0, "done": False})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await answer(pilot, screen, False)
        hint = str(screen.query_one("#quiz-hint-line").content)
        assert "next lesson" in hint and "How a CNN is put together" in hint
        assert not any("pick the next lesson" in n.message for n in app._notifications)
        await pilot.press("enter")
        assert screen.section == "structure" and screen.shown_step == (0, step_count("structure"))
        assert "step 1/" in str(screen.query_one("#quiz-title").content) and "Recap" in text_of(screen, "text")
        listing = screen.query_one("#quiz-list", OptionList)
        first = str(listing.get_option(FIRST).prompt)
        assert first.startswith("✓") and first.endswith(" done") and "0/" not in first
        assert str(listing.get_option("structure").prompt).endswith(f" 0/{step_count('structure')}")


async def test_up_down_and_enter_in_the_list_pick_a_lesson(tmp_path):
    app = make_app(tmp_path, mode="quiz", language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("shift+tab")
        listing = screen.query_one("#quiz-list", OptionList)
        await until(pilot, lambda: listing.has_focus)
        await pilot.press("down", "down", "down", "up", "enter")
        assert screen.section == lesson_ids()[2]
        await pilot.press("shift+tab")  # from the text back to the list
        await until(pilot, lambda: listing.has_focus)
        await pilot.press("up", "enter")
        assert screen.section == lesson_ids()[1]


async def test_finishing_the_last_lesson_shows_the_course_complete_page(tmp_path):
    *before, last = lesson_ids()
    saved(tmp_path, **{lid.replace("-", "_"): {"step": 0, "attempt": 1, "done": True} for lid in before},
          **{last.replace("-", "_"): {"step": step_count(last) - 1, "attempt": 0, "done": False}})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.section == last
        await answer(pilot, screen, False)
        assert "last lesson" in str(screen.query_one("#quiz-hint-line").content)
        await pilot.press("enter")
        assert screen.section == COMPLETE
        text = text_of(screen, "text")
        topic = app.t(f"quiz.topic.{screen.progress.strengths()[0][0]}")
        assert f"finished all {len(lesson_ids())} lessons" in text and topic in text and "  0%" in text
        assert "1 missed question(s) wait in Review: 0 due now" in text
        assert "Course complete" in str(screen.query_one("#quiz-title").content)
        assert not any("pick the next lesson" in n.message for n in app._notifications)
        await until(pilot, lambda: screen.query_one("#quiz-list").has_focus)
    again = make_app(tmp_path, mode="quiz")
    async with again.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        assert screen.section == COMPLETE  # every lesson done: the course's result, not lesson 1 again
        assert "1 missed question(s) wait in Review: 1 due now" in text_of(screen, "text")


# -- answers by option text, and where toasts go ------------------------------------------------

async def test_a_choice_answered_by_its_text_and_an_ambiguous_text_refused(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        screen.section = "review"
        screen.review_queue = ["bank:neuron-count-in-conv-output", "bank:conv-layer-output-shape"]
        screen.load_step()
        await until(pilot, lambda: answer_focused(app))
        field = screen.query_one("#quiz-answer", Input)
        await pilot.press(*"14,400", "enter")
        assert screen.result is None and field.value == "14,400"
        assert any("fits more than one option (b, c)" in n.message for n in app._notifications)
        field.value = ""
        right = screen.question.options[screen.question.answer]["text"]["en"]  # "14,400 neurons, but only ..."
        assert screen.question.answer == 2 and right.startswith("14,400 ")  # a plain id keeps the bank's order
        await pilot.press(*right, "enter")
        assert screen.result.correct and screen.result.given == 2
        await pilot.press("n")
        await until(pilot, lambda: answer_focused(app))
        await pilot.press(*"16 X 32 x 32", "enter")
        assert screen.result.correct and "Right!" in text_of(screen, "feedback")


def overlaps(first, second) -> bool:
    return bool(first.intersection(second).area)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40)])
async def test_toasts_stay_off_the_question_the_solution_and_the_answer(tmp_path, size):
    app = make_app(tmp_path, mode="quiz", language="zh")
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        await until(pilot, lambda: answer_focused(app))
        await pilot.press("f2")  # a toast about the hint's cost
        await pilot.press(*"twelve apples", "enter")  # and a warning that it is no answer
        await until(pilot, lambda: len(screen.query("Toast")) == 2
                    and all(toast.region.area for toast in screen.query("Toast")))
        toasts = [toast.region for toast in screen.query("Toast")]
        keep_clear = [screen.query_one(f"#quiz-{name}").region for name in ("scroll", "answer", "hint-line")]
        assert all(not overlaps(toast, part) for toast in toasts for part in keep_clear), (toasts, keep_clear)
        field = screen.query_one("#quiz-answer", Input)
        field.value = typed(screen.question, False)
        await pilot.press("enter")  # the worked solution is shown
        await until(pilot, lambda: screen.result is not None and screen.query_one("#quiz-feedback").region.area)
        feedback = screen.query_one("#quiz-feedback").region
        assert feedback.area and all(not overlaps(toast.region, feedback) for toast in screen.query("Toast"))


# -- an option's letter stays with its text ---------------------------------------------------

@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_an_option_letter_never_ends_a_line_alone(tmp_path, language, size):
    app = make_app(tmp_path, mode="quiz", language=language)
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot)
        width = screen.query_one("#quiz-text").content_region.width
    alone = re.compile(r"^\s*[a-h][)）]\s*$")
    for key, item in load_bank().items():
        if item["kind"] == "choice":
            question = bank_question(key)
            lines = question_text(app.t, language, question, hinted=False).wrap(width)
            assert not [line.plain for line in lines if alone.match(line.plain)], (key, width)
            labels = [line.plain for line in lines if re.match(r"^\s*[a-h][)）]", line.plain)]
            assert len(labels) == len(question.options), key


# -- a hands-on task gives the student's own network back ------------------------------------

async def open_build_task(pilot, app):
    screen = await start(pilot)
    screen.open_section("numbers")
    await pilot.press("n")  # past the recap, to the task
    await pilot.press("g")
    await until(pilot, lambda: app.current_mode == "build")
    return screen


async def test_a_task_says_which_network_it_loads_and_skipping_it_brings_back_the_students(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 30)) as pilot:
        own = app.network
        await open_build_task(pilot, app)
        task_network = app.network
        assert task_network is not own
        said = [n.message for n in app._notifications if "replaces your network" in n.message]
        assert said and task_network.name in said[-1] and f"({own.name})" in said[-1]
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "quiz")
        assert app.network is task_network  # still working on the task
        await pilot.press("n")  # skip it
        assert app.network is own
        assert any(f"Your own network ({own.name}) is back" in n.message for n in app._notifications)


async def test_a_task_done_or_left_for_another_lesson_brings_back_the_students_network(tmp_path):
    import json

    from cnntui.quiz.course import load_tasks

    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 30)) as pilot:
        own = app.network
        await open_build_task(pilot, app)
        spec = json.loads(json.dumps(load_tasks()["numbers"]["network"]))
        spec["layers"][0]["stride"] = 2
        app.screen.change(spec)
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "quiz")
        await pilot.press("k")
        assert any("Task done" in n.message for n in app._notifications) and app.network is own

        screen = app.screen
        screen.open_section("numbers")
        screen.progress.lesson("numbers")["step"] = 1  # the task again
        screen.load_step()
        await pilot.press("g")
        await until(pilot, lambda: app.current_mode == "build")
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "quiz")
        screen.open_section(FIRST)  # off to another lesson
        assert app.network is own


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_long_lesson_title_wraps_under_itself_in_the_list(tmp_path, language):
    from cnntui.render.text import cell_width

    app = make_app(tmp_path, language=language, mode="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.query("#quiz-list OptionList, OptionList#quiz-list")
                    and app.screen.query_one("#quiz-list", OptionList).option_count > 0)
        listing = app.screen.query_one("#quiz-list", OptionList)
        for index, lesson_id in enumerate(lesson_ids()):
            first, *rest = str(listing.get_option_at_index(index).prompt).split("\n")
            assert first.startswith(f"  {index + 1} ")
            assert all(line.startswith("    ") and line.strip() for line in rest), (first, rest)
            assert all(cell_width(line) < listing.content_region.width for line in [first, *rest])
        # "3 Counting: sizes, parameters, cost 0/14" does not fit 30 columns in English: it wraps.
        assert language == "zh" or "\n" in str(listing.get_option_at_index(2).prompt)


async def test_a_long_page_scrolls_from_the_list_and_the_next_step_starts_at_its_top(tmp_path):
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await start(pilot)
        scroll = screen.query_one("#quiz-scroll")
        await until(pilot, lambda: scroll.max_scroll_y > 0)  # lesson 1's recap is taller than 60x20 leaves
        await pilot.press("pagedown")  # the text has focus: it scrolls as any text does
        await until(pilot, lambda: scroll.scroll_y > 0)
        await pilot.press("shift+tab")
        await until(pilot, lambda: screen.query_one("#quiz-list").has_focus)
        await pilot.press("home")
        await until(pilot, lambda: "PgUp/PgDn" in str(screen.query_one(KeyBar).render()))
        scroll.scroll_home(animate=False)
        await until(pilot, lambda: scroll.scroll_y == 0)
        await pilot.press("pagedown")  # from the list: the page scrolls, the list's highlight stays
        await until(pilot, lambda: scroll.scroll_y > 0)
        assert screen.query_one("#quiz-list", OptionList).highlighted == 0
        await pilot.press("down", "enter")  # lesson 2: its recap starts at the top
        await until(pilot, lambda: screen.section == lesson_ids()[1])
        await until(pilot, lambda: scroll.scroll_y == 0)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_every_answer_placeholder_fits_the_field_at_80_columns(tmp_path, language):
    from cnntui.render.text import cell_width

    app = make_app(tmp_path, mode="quiz", language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot)
        await pilot.press("n")
        await until(pilot, lambda: answer_focused(app))
        field = screen.query_one("#quiz-answer", Input)
        for key, words in catalog(language).items():
            if key.startswith("quiz.form."):
                assert cell_width(words) < field.content_region.width, (key, field.content_region.width)
