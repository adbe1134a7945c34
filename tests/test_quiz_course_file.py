"""An instructor's course file: checked whole in the CLI, every kind of mistake named, and run in the app
with the same progress, review and tasks as the built-in course; instructor questions in the built-in course."""

from __future__ import annotations

import json

import pytest
from test_app import make_app, until
from textual.widgets import Input, OptionList

from cnntui import cli
from cnntui.quiz import course
from cnntui.quiz.course_file import check_course_file, read_course
from cnntui.quiz.questions import clear_installed, install_bank

BANK = [{"id": "lab-stride-halves", "topic": "stride", "difficulty": 1, "kind": "truefalse",
         "prompt": {"en": "A stride of 2 roughly halves a feature map's height and width.",
                    "zh": "步幅为 2 时，特征图的高和宽大约减半。"},
         "explanation": {"en": "The window moves two pixels at a time."}, "answer": True, "concept": "stride"}]
COURSE = {"course": "lab-1", "title": {"en": "Lab 1: sizes", "zh": "实验一：尺寸"}, "banks": ["bank.json"],
          "lessons": [{"id": "sizes", "title": {"en": "Output sizes", "zh": "输出尺寸"},
                       "recap": {"en": "The output is (n + 2p - k) / s + 1, rounded down.",
                                 "zh": "输出尺寸为 (n + 2p - k) / s + 1，向下取整。"},
                       "questions": ["lab-stride-halves", "pool-ceil-mode-rounds-up",
                                     {"generator": "conv_output_size", "difficulty": 2, "count": 2}]},
                      {"id": "by-hand", "title": {"en": "Stride by hand"}, "recap": {"en": "Now change a stride."},
                       "tasks": ["stride-to-14"]}]}


@pytest.fixture(autouse=True)
def builtin_course_after():
    """Every test leaves the quiz as it found it: the built-in course, no instructor questions."""
    yield
    course.use_course(None)
    clear_installed()


def write_course(folder, data=COURSE, bank=BANK):
    (folder / "bank.json").write_text(json.dumps(bank, ensure_ascii=False), encoding="utf-8")
    path = folder / "course.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_cli_checks_a_course_and_refuses_a_broken_one_before_the_app(tmp_path, capsys):
    path = write_course(tmp_path)
    assert cli.main(["quiz", "--check", str(path)]) == 0
    assert "course.json: ok, 2 lessons" in capsys.readouterr().out
    # Without a terminal the app does not start, but the course is checked first all the same.
    assert cli.main(["quiz", "--course", str(path)]) == 0
    broken = write_course(tmp_path, {**COURSE, "lessons": [{**COURSE["lessons"][0], "tasks": ["stride-to-41"]}]})
    assert cli.main(["quiz", "--course", str(broken)]) == 2
    said = capsys.readouterr().err
    assert "lesson 'sizes' (1st): field 'tasks': \"stride-to-41\" is no hands-on task (did you mean 'stride-to-14'?)" \
        in said and f"'cnntui quiz --check {broken}' lists every problem" in said


def test_every_kind_of_mistake_is_named_with_its_lesson_and_field(tmp_path):
    lessons = [
        {"id": "first", "title": {"en": "One"}, "recap": {}, "questions": ["pool-ceil-mode-round-up"],
         "colour": "red"},
        {"id": "first", "title": "Two", "recap": {"fr": "Deux"}, "tasks": []},
        {"id": "third", "title": {"en": "Three"}, "recap": {"zh": "三"},
         "questions": [{"generator": "conv_output_sise", "difficulty": 4, "count": 0}, 7], "tasks": ["sobel-in-veiw"]},
        {"title": {"en": "Four"}, "recap": {"en": "Four"}, "questions": ["bank:lab-stride-halves"]},
    ]
    bad_bank = [{**BANK[0], "answer": "yes"}]
    path = write_course(tmp_path, {"course": "Lab 1", "title": {"en": "Lab"}, "banks": ["bank.json"],
                                   "lessons": lessons, "teacher": "me"}, bad_bank)
    problems = check_course_file(path)
    expected = [
        "course.json: field 'teacher': is not a course field; the fields are course, title, banks, lessons",
        "course.json: field 'course': must be an id such as \"lab-1\" (lower-case letters, digits and '-'), "
        "got \"Lab 1\"",
        "bank.json: question 'lab-stride-halves' (1st): field 'answer': ",  # as the bank's own checker words it
        "course.json: lesson 'first' (1st): field 'colour': is not a lesson field",
        "lesson 'first' (1st): field 'recap': has neither \"en\" nor \"zh\"; give the text in one or both",
        "lesson 'first' (1st): field 'questions' (1st): \"pool-ceil-mode-round-up\" is in no bank "
        "(did you mean 'pool-ceil-mode-rounds-up'?)",
        "lesson 'first' (2nd): field 'id': another lesson has the id 'first'",
        "lesson 'first' (2nd): field 'title': must be a text such as {\"en\"",
        "lesson 'first' (2nd): field 'recap': has a language \"fr\"; the languages are",
        "lesson 'first' (2nd): it has no questions and no tasks",
        "lesson 'third' (3rd): field 'questions' (1st): field 'generator': no generator is called "
        "\"conv_output_sise\" (did you mean 'conv_output_size'?)",
        "lesson 'third' (3rd): field 'questions' (1st): field 'difficulty': must be a whole number from 1 to 3, got 4",
        "lesson 'third' (3rd): field 'questions' (1st): field 'count': must be a whole number from 1 to 10, got 0",
        "lesson 'third' (3rd): field 'questions' (2nd): 7 is neither a question id nor a generator draw",
        "lesson 'third' (3rd): field 'tasks': \"sobel-in-veiw\" is no hands-on task (did you mean 'sobel-in-view'?)",
        "lesson 4 (no id): field 'id': is missing",
        "lesson 4 (no id): field 'questions' (1st): \"bank:lab-stride-halves\" is in no bank; "
        "write bank ids without 'bank:'",
    ]
    for words in expected:
        assert any(words in problem for problem in problems), (words, problems)
    assert len(problems) == len(expected)  # and no other: one language is enough for a recap
    assert "course.json: 第 2 课 'first': 字段 'id': 另一节课也用了 id 'first'；每节课要有自己的 id" \
        in check_course_file(path, "zh")
    assert read_course(path).course is None


def test_a_file_too_big_or_not_json_is_one_problem(tmp_path):
    """One problem, worded as a bank's reader words it (bank_file.read_json_value)."""
    from cnntui.quiz.bank_file import read_json_value

    big = tmp_path / "big.json"
    big.write_bytes(b" " * (4 * 2**20 + 1))
    [problem] = check_course_file(big)
    assert problem == f"big.json: {read_json_value(big, 'en')[1]}" and "4 MB" in problem
    broken = tmp_path / "broken.json"
    broken.write_text('{"course": "x",\n "lessons": [}')
    for lang in ("en", "zh"):
        [problem] = check_course_file(broken, lang)
        assert problem == f"broken.json: {read_json_value(broken, lang)[1]}" and "2" in problem and "14" in problem


def test_instructor_questions_join_the_builtin_course(tmp_path):
    from cnntui.quiz.bank_file import read_bank

    path = tmp_path / "extra.json"
    path.write_text(json.dumps([{**BANK[0], "lesson": "numbers"}, {**BANK[0], "id": "lab-loose"}]))
    install_bank(read_bank(path).items)
    assert course.question_ids("numbers", 3)[-1] == "bank:lab-stride-halves@3"  # after its own, every attempt
    assert course.lesson_ids()[-1] == "instructor"
    assert course.lesson("instructor")["title"] == {"en": "Your instructor's questions", "zh": "老师布置的题目"}
    assert [step.ref for step in course.steps("instructor", 0)] == ["", "bank:lab-loose@0"]


def options_of(screen) -> list[str]:
    listing = screen.query_one("#quiz-list", OptionList)
    return [listing.get_option_at_index(i).id for i in range(listing.option_count)]


async def started(pilot):
    from cnntui.tui.screens.quiz import QuizScreen

    await until(pilot, lambda: isinstance(pilot.app.screen, QuizScreen) and pilot.app.screen.section is not None,
                "Quiz mode showing a lesson")
    return pilot.app.screen


async def answer(pilot, screen, right: bool) -> None:
    box = screen.query_one("#quiz-answer", Input)
    box.value = "yes" if screen.question.answer == right else "no"
    await pilot.press("enter")
    await until(pilot, lambda: screen.result is not None, "the answer marked")


async def test_a_course_runs_in_the_app_with_progress_review_and_tasks_and_is_remembered(tmp_path, monkeypatch):
    from cnntui.quiz import material

    monkeypatch.setattr(material, "site_folder", lambda: tmp_path / "no-site-folder")
    monkeypatch.setattr(material, "user_folder", lambda: tmp_path / "mine")
    path = write_course(tmp_path)
    app = make_app(tmp_path, mode="quiz", course=str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot)
        assert options_of(screen) == ["lab-1/sizes", "lab-1/by-hand", "review", "summary"]
        assert str(screen.query_one("#quiz-course").render()) == "Lab 1: sizes"
        assert "The output is (n + 2p - k) / s + 1" in str(screen.query_one("#quiz-text").render())
        await pilot.press("n")
        assert screen.question.id == "bank:lab-stride-halves@0"
        await answer(pilot, screen, right=True)
        await pilot.press("n")
        assert screen.question.id == "bank:pool-ceil-mode-rounds-up@0"
        await answer(pilot, screen, right=False)
        assert list(screen.progress.review) == ["bank:pool-ceil-mode-rounds-up@0"]
        screen.open_section("lab-1/by-hand")
        await pilot.press("n")  # past the recap, to the task named by its id
        assert screen.current_task()["id"] == "stride-to-14"
        assert "stride" in str(screen.query_one("#quiz-text").render())
    saved = json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))
    assert saved["lessons"]["lab-1/sizes"] == {"step": 3, "attempt": 0, "done": False}
    assert "sizes" not in saved["lessons"]

    again = make_app(tmp_path, mode="quiz")  # no --course: the one chosen last time, where it was left
    async with again.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot)
        assert screen.section == "lab-1/sizes" and screen.question.id.startswith("conv_output_size:2:")
        await open_chooser(pilot, screen, "escape")
        await pilot.press("up", "enter")  # from the open course up to the first choice: the built-in course
        await until(pilot, lambda: screen.section == "building-blocks", "the built-in course")
        assert not screen.query_one("#quiz-course").display
        assert json.loads((tmp_path / "settings.json").read_text())["course"] == ""
        # The course opened this session stays in the chooser, though in no folder.
        await open_chooser(pilot, screen)
        assert chooser_labels(pilot) == ["The built-in course", "Lab 1: sizes (course.json)"]
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.section == "lab-1/sizes", "the course again")
    assert json.loads((tmp_path / "settings.json").read_text())["course"] == str(path)

    (tmp_path / "settings.json").write_text(json.dumps({"course": str(path)}))
    path.write_text("{}")  # broken since it was chosen
    (tmp_path / "mine").mkdir()
    found = write_course(tmp_path / "mine", {**COURSE, "course": "lab-2", "title": {"en": "Lab 2"}})
    third = make_app(tmp_path, mode="quiz")
    async with third.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot)
        assert screen.section == "building-blocks"
        assert any("The course you chose last time" in n.message and "field 'course': is missing" in n.message
                   for n in third._notifications)
        await open_chooser(pilot, screen)
        assert chooser_labels(pilot) == ["The built-in course", "Lab 2 (course.json)"]
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.section == "lab-2/sizes", "the course found in the user's folder")
    assert json.loads((tmp_path / "settings.json").read_text())["course"] == str(found)


async def open_chooser(pilot, screen, *keys_before: str) -> None:
    """Press ``keys_before`` (out of the answer field), then C, and wait for the course chooser."""
    await pilot.press(*keys_before, "C")
    await until(pilot, lambda: pilot.app.screen is not screen, "the course chooser")


def chooser_labels(pilot) -> list[str]:
    listing = pilot.app.screen.query_one(OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


def course_file(path, title: str):
    """A course of one built-in question, with the id every course here has: "lab-1"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lesson = {"id": "one", "title": {"en": "One"}, "recap": {"en": "A recap."},
              "questions": ["pool-ceil-mode-rounds-up"]}
    path.write_text(json.dumps({"course": "lab-1", "title": {"en": title}, "lessons": [lesson]}))
    return path


async def test_two_files_with_one_course_id_are_said_to_share_progress(tmp_path, monkeypatch):
    from cnntui.quiz import material

    monkeypatch.setattr(material, "user_folder", lambda: tmp_path / "mine")
    course_file(tmp_path / "mine" / "a.json", "A"), course_file(tmp_path / "mine" / "b.json", "B")
    given = course_file(tmp_path / "given" / "c.json", "C")
    app = make_app(tmp_path, mode="quiz", course=str(given))
    async with app.run_test(size=(60, 20), notifications=True) as pilot:  # toasts as a student sees them
        screen = await started(pilot)
        same_id = ("b.json is left out of the courses: it has the same course id, lab-1, as a.json (progress is "
                   "kept by id). Give one of them another \"course\" id.")
        assert [n.message for n in app._notifications] == [same_id]
        await open_chooser(pilot, screen)
        assert chooser_labels(pilot) == ["The built-in course", "A (a.json)", "C (c.json)"]
        # The toasts show once, on the dialog: the screen below hides its own meanwhile.
        assert not screen.query_one("#textual-toastrack").display
        await pilot.press("up", "enter")  # from the open course, c.json, up to a.json
        await until(pilot, lambda: screen.query_one("#quiz-course").render().plain == "A", "the course in a.json")
        assert screen.query_one("#textual-toastrack").display
        shared = ("a.json has the same course id, lab-1, as c.json, opened earlier: the two share one progress. "
                  "Give one of them another \"course\" id.")
        for key in ("down", "up"):  # to c.json and back to a.json: nothing is said again
            await open_chooser(pilot, screen)
            await pilot.press(key, "enter")
            await until(pilot, lambda: pilot.app.screen is screen, "the course chosen")
        assert screen.query_one("#quiz-course").render().plain == "A"
        assert [n.message for n in app._notifications] == [same_id, shared]  # the chooser does not say it again


def instructor_question(**fields) -> dict:
    """An instructor's true-or-false question with no lesson (so the built-in course's last lesson asks it)."""
    return {"id": "lab-loose", "kind": "truefalse", "topic": "stride", "difficulty": 1, "answer": True,
            "prompt": {"en": "True?", "zh": "对吗？"}, "explanation": {"en": "Because.", "zh": "因为。"},
            **fields}


async def ask(pilot, app):
    """The instructor's question asked in the built-in course."""
    screen = await started(pilot)
    screen.open_section(course.INSTRUCTOR_LESSON)
    await pilot.press("n")  # past the recap
    await until(pilot, lambda: screen.question is not None, "the instructor's question")
    return screen


async def test_f2_on_a_question_with_no_hint_says_so_and_a_right_answer_counts_whole(tmp_path):
    install_bank({"lab-loose": instructor_question(concept="stride")})
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ask(pilot, app)
        await pilot.press("f2")
        assert [n.message for n in app._notifications] == ["This question has no hint."]
        await answer(pilot, screen, right=True)
        feedback = str(screen.query_one("#quiz-feedback").render())
        assert "Right!" in feedback and "hint" not in feedback
        assert screen.progress.topics["stride"] == {"asked": 1, "score": 1.0}


async def test_a_question_with_no_learn_page_has_no_link_and_no_o(tmp_path):
    no_page = instructor_question(concept="", hint={"en": "Think.", "zh": "想一想。"})
    install_bank({"lab-loose": no_page, "lab-next": {**no_page, "id": "lab-next"}})  # two: the lesson goes on
    app = make_app(tmp_path, mode="quiz")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ask(pilot, app)
        await answer(pilot, screen, right=True)
        assert "Learn more" not in str(screen.query_one("#quiz-feedback").render())
        assert str(screen.query_one("#quiz-hint-line").content) == "Enter or n: next question."
        assert not screen.check_action("open_concept", ())


def test_choosing_a_course_reads_the_bank_once_not_once_per_question(monkeypatch, tmp_path):
    from cnntui.quiz.course_file import Course
    from cnntui.quiz.questions import load_bank

    calls = []
    monkeypatch.setattr(course, "load_bank", lambda: calls.append(1) or load_bank())
    items = {f"lab-{number}": instructor_question(id=f"lab-{number}") for number in range(50)}
    course.use_course(Course("lab-1", {"en": "Lab", "zh": "Lab"}, [], tmp_path / "c.json", items))
    assert len(calls) == 1 and set(items) <= set(load_bank())


def test_no_test_reads_this_machines_lab_folders(tmp_path_factory):
    from cnntui.quiz import material

    for folder in (material.site_folder(), material.user_folder()):
        assert folder.is_relative_to(tmp_path_factory.getbasetemp())


def review_entry(screen) -> str:
    listing = screen.query_one("#quiz-list", OptionList)
    return str(listing.get_option(REVIEW_ID).prompt)


REVIEW_ID = "review"


async def test_courses_opened_before_stay_offered_and_review_says_what_waits_for_them(tmp_path, monkeypatch):
    from cnntui.quiz import material
    from cnntui.tui.settings import SettingsStore

    monkeypatch.setattr(material, "user_folder", lambda: tmp_path / "no-user-folder")
    (tmp_path / "lab").mkdir()
    path = write_course(tmp_path / "lab")
    app = make_app(tmp_path, mode="quiz", course=str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot)
        await pilot.press("n")
        await answer(pilot, screen, right=False)  # the course's own question, missed
        await pilot.press("n")
        await answer(pilot, screen, right=False)  # a built-in one, missed
        path.write_text(json.dumps({**COURSE, "title": {"en": "Lab 1, edited"}}))
        await open_chooser(pilot, screen)
        assert pilot.app.screen.query_one(OptionList).highlighted == 1  # the open course, not the built-in one
        await pilot.press("enter")  # the open course again: read anew
        await until(pilot, lambda: screen.query_one("#quiz-course").render().plain == "Lab 1, edited", "the edit")
    assert SettingsStore(tmp_path / "settings.json").load().recent_courses == [str(path.resolve())]

    # The course chosen last time is missing at this start: the built-in course opens, the setting stays.
    (tmp_path / "settings.json").write_text(json.dumps({"course": str(tmp_path / "gone.json"),
                                                        "recent_courses": [str(path.resolve())]}))
    course.use_course(None), clear_installed()  # as a new process starts: the course's bank not loaded
    again = make_app(tmp_path, mode="quiz")
    async with again.run_test(size=(100, 30)) as pilot:
        screen = await started(pilot)
        assert any("The course you chose last time" in n.message for n in again._notifications)
        assert review_entry(screen) == "Review (1 due)"  # the course's question cannot be asked now
        screen.open_section(REVIEW_ID)
        text = str(screen.query_one("#quiz-text").render())
        assert screen.question.id == "bank:pool-ceil-mode-rounds-up@0"
        assert "1 more wait for course.json's questions: open that course (C)" in text
        await open_chooser(pilot, screen, "escape")
        assert chooser_labels(pilot) == ["The built-in course", "Lab 1, edited (course.json)"]
        path.write_text("{}")  # broken since it was listed
        await pilot.press("down", "enter")
        await until(pilot, lambda: "cannot be used" in list(again._notifications)[-1].message, "why it cannot be used")
        assert screen.section == "review" and not screen.query_one("#quiz-course").display  # nothing changed
        await open_chooser(pilot, screen, "escape")  # out of the answer field first
        assert chooser_labels(pilot)[1].startswith("Cannot be used: course.json: field 'course': is missing")
        settings = json.loads((tmp_path / "settings.json").read_text())
        assert settings["course"] == str(tmp_path / "gone.json")  # only a choice in C changes it
        assert settings["recent_courses"] == [str(path.resolve())]
        await open_chooser(pilot, screen, "escape", "escape")  # the chooser closed, out of the answer field
        await pilot.press("enter")  # the built-in course, open already: now the student's choice
        await until(pilot, lambda: json.loads((tmp_path / "settings.json").read_text())["course"] == "",
                    "the built-in course remembered")


def test_a_damaged_recent_courses_setting_is_dropped_and_the_rest_kept(tmp_path):
    from cnntui.tui.settings import SettingsStore

    (tmp_path / "settings.json").write_text(json.dumps({"recent_courses": "lab.json", "course": "lab.json"}))
    store = SettingsStore(tmp_path / "settings.json")
    settings = store.load()
    assert settings.recent_courses == [] and settings.course == "lab.json" and store.problem is not None
