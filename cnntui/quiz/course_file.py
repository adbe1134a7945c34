"""An instructor's course file: lessons in order, each a recap, hands-on tasks and questions.

A course is a JSON object (see the README's instructor guide):
{"course": id, "title": text, "banks": [bank files], "lessons": [{"id", "title", "recap", "tasks",
"questions"}]}, texts as {"en": ..., "zh": ...} with one or both languages. Reading it checks
everything at once, its banks too, and names each problem's file, lesson and field with how to fix
it (content/quiz/course_file.json words them); a course with any problem is not used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..core.errors import closest, ordinal, shown
from ..core.messages import Message
from ..core.printable import printable
from .questions import LANGUAGES, QUIZ_CONTENT, Text

COURSE_FIELDS = ("course", "title", "banks", "lessons")
LESSON_FIELDS = ("id", "title", "recap", "tasks", "questions")
DRAW_FIELDS = ("generator", "difficulty", "count")
DRAW_LIMITS = {"difficulty": 3, "count": 10}


@dataclass(frozen=True)
class Course:
    id: str
    title: Text
    # Each {"id", "title", "recap", "concepts", "tasks": [task ids], "questions": [bank ids or
    # {"generator", "difficulty", "count"}]}, texts in both languages.
    lessons: list[dict]
    path: Path
    bank_items: dict[str, dict] = field(default_factory=dict)  # the questions of its own banks, by id


@dataclass
class LoadedCourse:
    course: Course | None  # None when there is any problem
    problems: list[str]


@cache
def problem_texts() -> dict[str, dict[str, str]]:
    return json.loads((QUIZ_CONTENT / "course_file.json").read_text(encoding="utf-8"))["problems"]


def read_course(path: str | Path, lang: str = "en") -> LoadedCourse:
    """The course at ``path``, checked whole; with any problem (in ``lang``), ``course`` is None.
    Never raises for the file's sake."""
    from .bank_file import read_json_value  # the same size check and reading problems as a bank's

    path = Path(path)
    data, problem = read_json_value(path, lang)
    if problem is not None:
        return LoadedCourse(None, [f"{printable(path.name)}: {problem}"])
    checker = CourseChecker(path, lang)
    course = checker.check(data)
    return LoadedCourse(None if checker.problems else course, checker.problems)


def check_course_file(path: str | Path, lang: str = "en") -> list[str]:
    """Every problem of the course at ``path`` (and of its banks); [] when it can be used."""
    return read_course(path, lang).problems


@dataclass
class CourseChoice:
    offered: list[tuple[Path, Course | None]]  # each file once, and of each course id the first file only
    same_id: list[tuple[str, Path, Path]]  # (id, the file offered, a later file with that id, left out)


def one_file_per_id(paths: list[Path], lang: str = "en") -> CourseChoice:
    """The courses at ``paths`` read, to choose from: progress is kept by course id (so that fixing a typo
    in a file keeps the class's progress), so two files with one id would share it; only the first is
    offered, and the others are named in ``same_id``. A file that cannot be read has no id and is offered
    (choosing it says why it cannot be used)."""
    choice, first_file = CourseChoice([], []), {}
    for path in paths:
        course = read_course(path, lang).course
        if course is not None and course.id in first_file:
            choice.same_id.append((course.id, first_file[course.id], path))
            continue
        if course is not None:
            first_file[course.id] = path
        choice.offered.append((path, course))
    return choice


class CourseChecker:
    """Checks a course's data, gathering every problem rather than stopping at the first."""

    def __init__(self, path: Path, lang: str):
        self.path, self.name, self.lang = path, printable(path.name), lang
        self.problems: list[str] = []
        self.bank_items: dict[str, dict] = {}

    def say(self, code: str, **values) -> str:
        from ..content import message_text

        values = {key: message_text(self.lang, value) if isinstance(value, Message) else value
                  for key, value in values.items()}
        return problem_texts()[code][self.lang].format(**values)

    def add(self, where: list[str], field_name: str | None, code: str, **values) -> None:
        """A problem at ``where`` (lesson, entry), in field ``field_name`` if any."""
        at = [*where, self.say("where_field", field=field_name)] if field_name else where
        self.problems.append(": ".join([self.name, *at, self.say(code, **values)]))

    def check(self, data: Any) -> Course | None:
        if not isinstance(data, dict):
            self.add([], None, "not_object", got=shown(data))
            return None
        self.fields([], data, COURSE_FIELDS, ("course", "title", "lessons"), "what_course")
        course_id = self.check_id([], "course", data.get("course"))
        title = self.text([], "title", data.get("title"))
        self.read_banks(data.get("banks", []))
        lessons = self.check_lessons(data["lessons"]) if "lessons" in data else []  # a missing one said above
        if course_id is None or title is None:
            return None
        return Course(course_id, title, lessons, self.path, self.bank_items)

    def fields(self, where: list[str], data: dict, known: tuple, required: tuple, what: str) -> None:
        for name in data:
            if name not in known:
                self.add(where, name, "unknown", what=self.say(what), hint=closest(name, known), known=", ".join(known))
        for name in required:
            if name not in data:
                self.add(where, name, "missing")

    def check_id(self, where: list[str], name: str, value: Any) -> str | None:
        from .bank_file import KEBAB

        if value is None:
            return None
        if not isinstance(value, str) or not KEBAB.fullmatch(value):
            self.add(where, name, "bad_id", got=shown(value))
            return None
        return value

    def text(self, where: list[str], name: str, value: Any) -> Text | None:
        """A text in both languages (one language given is used for both); None, with a problem, if it is not one."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(where, name, "bad_text", got=shown(value))
            return None
        before = len(self.problems)
        for lang, words in value.items():
            if lang not in LANGUAGES:
                self.add(where, name, "bad_language", got=shown(lang), hint=closest(lang, LANGUAGES))
            elif not isinstance(words, str) or not words.strip():
                self.add(where, name, "empty_text", lang=lang)
        if len(self.problems) == before and not set(value) & set(LANGUAGES):
            self.add(where, name, "no_language")
        if len(self.problems) > before:
            return None
        # Shown as written, lines and all, but no control character drives the terminal.
        return {lang: "\n".join(map(printable, (value.get(lang) or value[other(lang)]).split("\n")))
                for lang in LANGUAGES}

    # -- banks -------------------------------------------------------------------------

    def read_banks(self, banks: Any) -> None:
        from .bank_file import read_bank

        if not isinstance(banks, list) or not all(isinstance(bank, str) for bank in banks):
            self.add([], "banks", "bad_banks", got=shown(banks))
            return
        taken: dict[str, str] = {}  # the ids of the course's other banks, by file: one id in two is a problem
        for bank in dict.fromkeys(banks):
            if banks.count(bank) > 1:
                self.add([], "banks", "bank_twice", got=shown(bank))
            loaded = read_bank(self.path.parent / bank, taken=taken, lang=self.lang)
            self.problems += loaded.problems
            self.bank_items.update(loaded.items)
            taken.update(dict.fromkeys(loaded.items, Path(bank).name))

    # -- lessons -------------------------------------------------------------------------

    def check_lessons(self, lessons: Any) -> list[dict]:
        if not isinstance(lessons, list) or not lessons:
            self.add([], "lessons", "bad_lessons", got=shown(lessons))
            return []
        checked, seen = [], set()
        for number, data in enumerate(lessons, 1):
            lesson = self.check_lesson(number, data, seen)
            if lesson is not None:
                checked.append(lesson)
        return checked

    def check_lesson(self, number: int, data: Any, seen: set[str]) -> dict | None:
        if not isinstance(data, dict):
            self.add([self.say("where_position", number=number)], None, "not_lesson", got=shown(data))
            return None
        lesson_id = self.check_id([self.say("where_position", number=number)], "id", data.get("id"))
        where = [self.say("where_lesson", id=lesson_id, place=ordinal(number), number=number) if lesson_id
                 else self.say("where_position", number=number)]
        if lesson_id is not None and lesson_id in seen:
            self.add(where, "id", "repeated_lesson", id=lesson_id)
        seen.add(lesson_id)
        self.fields(where, data, LESSON_FIELDS, ("id", "title", "recap"), "what_lesson")
        title, recap = self.text(where, "title", data.get("title")), self.text(where, "recap", data.get("recap"))
        tasks = self.check_tasks(where, data.get("tasks", []))
        questions = self.check_questions(where, data.get("questions", []))
        if not data.get("tasks") and not data.get("questions"):
            self.add(where, None, "empty_lesson")
        if None in (lesson_id, title, recap, tasks, questions):
            return None
        return {"id": lesson_id, "title": title, "recap": recap, "tasks": tasks, "questions": questions,
                "concepts": self.concepts(questions)}

    def check_tasks(self, where: list[str], tasks: Any) -> list[str] | None:
        from .course import tasks_by_id

        if not isinstance(tasks, list):
            self.add(where, "tasks", "bad_tasks", got=shown(tasks))
            return None
        known, before = tasks_by_id(), len(self.problems)
        for task in tasks:
            if not isinstance(task, str) or task not in known:
                self.add(where, "tasks", "unknown_task", got=shown(task), hint=closest(task, known),
                         known=", ".join(known))
        return list(tasks) if len(self.problems) == before else None

    def check_questions(self, where: list[str], questions: Any) -> list | None:
        if not isinstance(questions, list):
            self.add(where, "questions", "bad_questions", got=shown(questions))
            return None
        known, before, seen = self.known_ids(), len(self.problems), set()
        for number, entry in enumerate(questions, 1):
            here = [*where, self.say("where_entry", place=ordinal(number), number=number)]
            if isinstance(entry, dict):
                self.check_draw(here, entry)
            elif not isinstance(entry, str):
                self.add(here, None, "not_entry", got=shown(entry))
            elif entry in seen:
                self.add(here, None, "twice", got=shown(entry))
            elif entry not in known:
                if entry.startswith("bank:"):
                    self.add(here, None, "bank_prefix", got=shown(entry))
                else:
                    self.add(here, None, "no_question", got=shown(entry), hint=closest(entry, known))
            seen.add(entry if isinstance(entry, str) else None)
        return list(questions) if len(self.problems) == before else None

    def known_ids(self) -> dict[str, dict]:
        """The questions a lesson may name: built-in, installed (--bank, the folders) and the course's own banks'."""
        from .questions import load_bank

        return {**load_bank(), **self.bank_items}

    def check_draw(self, here: list[str], entry: dict) -> None:
        from .generate import GENERATORS

        self.fields(here, entry, DRAW_FIELDS, ("generator",), "what_draw")
        name = entry.get("generator")
        if name is not None and name not in GENERATORS:
            self.add(here, "generator", "bad_generator", got=shown(name), hint=closest(name, GENERATORS),
                     known=", ".join(GENERATORS))
        for key, most in DRAW_LIMITS.items():
            value = entry.get(key, 1)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
                self.add(here, key, "bad_number", most=most, got=shown(value))

    def concepts(self, questions: list) -> list[str]:
        """The Learn pages the lesson's bank questions are about, for its recap's links (a generator's page
        is known only once it makes a question)."""
        known = self.known_ids()
        found = [known[entry].get("concept") for entry in questions if isinstance(entry, str)]
        return list(dict.fromkeys(concept for concept in found if concept))


def other(lang: str) -> str:
    return next(code for code in LANGUAGES if code != lang)
