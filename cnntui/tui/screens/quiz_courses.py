"""The quiz's courses: the built-in one, or an instructor's course file; C chooses among the built-in
course, the courses in the instructor's folders and those opened before (the recent_courses setting).

Progress is kept by a course's id, so an edited course keeps the class's
progress; two files with one id would share it, and the student is told.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from ..widgets.chrome import show_if_changed
from .dialogs import ChoiceDialog

if TYPE_CHECKING:
    from ...quiz.course_file import Course


class CourseChoice:
    """Mixed into QuizScreen: uses its app, fill_list(), open_section(), first_lesson_not_done() and
    give_back_network(); keeps course_choice, session_courses, opened_ids and same_id_said."""

    course_choice = False  # a course is open or one was found: C chooses (else the key bar has no room)

    def init_courses(self) -> None:
        self.session_courses: dict[Path, Course] = {}  # the Courses opened this session by file: the chooser keeps them
        self.opened_ids: dict[str, Path] = {}  # the file each course id was first opened from this session
        self.same_id_said: set[tuple] = set()  # left out, or sharing progress, for their id: said once a session

    def start_course(self, path: str, explicit: bool = True) -> None:
        """Open the course file at ``path`` ("" for the built-in course) at its first lesson not done. A file
        with problems (gone or broken since it was chosen) is said so, and the built-in course opens; the
        ``course`` setting keeps naming it (it may be back next time): only a choice in C changes it."""
        from ...quiz.course import use_course
        from ...quiz.course_file import read_course

        course, builtin_chosen = None, explicit and not path
        if path:
            loaded = read_course(path, self.app.language)
            if loaded.problems:
                key = "quiz.course.refused" if explicit else "quiz.course.broken"
                self.app.notify(self.app.t(key, path=path, problem=loaded.problems[0]), severity="warning",
                                timeout=12)
                path = ""
            course = loaded.course
        if course is not None:
            self.remember_course(course)
            self.app.save_settings(course=path, recent_courses=recent_courses(path, self.app.settings))
        elif builtin_chosen:
            self.app.save_settings(course="")
        use_course(course)
        self.app.course_path = path
        self.fill_list()
        self.open_section(self.first_lesson_not_done())

    def remember_course(self, course: Course) -> None:
        """Keep ``course`` in the chooser for the session (one given with --course too), and warn when a
        course with its id came from another file before: progress is kept by id, so the two share it."""
        self.session_courses[course.path.resolve()] = course
        other = self.opened_ids.setdefault(course.id, course.path)
        said = ("shared", course.id, other.resolve(), course.path.resolve())
        if other.resolve() != course.path.resolve() and said not in self.same_id_said:
            self.same_id_said.add(said)
            path, other = file_names(course.path, other)
            self.app.notify(self.app.t("quiz.course.shared_progress", path=path, id=course.id, other=other),
                            severity="warning", timeout=12)

    def offered_courses(self, warn: bool) -> list[tuple[Path, Course | None]]:
        """The courses to choose besides the built-in one, as (path, Course or None): those in the instructor's
        folders, of two with one course id only the first (``warn``: said so, once a session), then those
        opened this session (--course, the one chosen last time), then those opened before (the
        ``recent_courses`` setting; one that no longer reads is offered as None)."""
        from ...quiz.course_file import one_file_per_id, read_course
        from ...quiz.material import find_material

        choice = one_file_per_id(find_material().courses, self.app.language)
        for course_id, *files in choice.same_id if warn else ():
            if (course_id, *files) in self.same_id_said:
                continue
            self.same_id_said.add((course_id, *files))
            first, second = file_names(*files)
            self.app.notify(self.app.t("quiz.course.same_id", id=course_id, first=first, second=second),
                            severity="warning", timeout=12)
        offered = list(choice.offered)
        listed = {path.resolve() for path, _ in offered}
        for path, course in self.session_courses.items():
            if path not in listed:
                offered.append((course.path, course))
                listed.add(path)
        for name in self.app.settings.recent_courses:
            path = Path(name)
            if path.resolve() not in listed:
                offered.append((path, read_course(path, self.app.language).course))
                listed.add(path.resolve())
        return offered

    def action_choose_course(self) -> None:
        """Choose the built-in course, one the instructor put in the system or user folder, or one opened
        before; the open one is highlighted, and choosing it again reads its file again (an edit shows)."""
        from ...quiz.course_file import check_course_file

        t, lang = self.app.t, self.app.language
        choices = [("", t("quiz.course.builtin"))]
        for path, course in self.offered_courses(warn=True):
            choices.append((str(path), course_label(t, path, course, lang)))
        open_now = self.app.course_path and Path(self.app.course_path).resolve()
        start = next((key for key, _ in choices if key and Path(key).resolve() == open_now), "")

        def chosen(path: str | None) -> None:
            if path is None:
                return
            if path == "" == self.app.course_path:  # the built-in course is open: kept, and now the choice
                self.app.save_settings(course="")
                return
            if path and (problems := check_course_file(path, lang)):
                self.app.notify(t("quiz.course.unusable", path=path, problem=problems[0]),
                                severity="warning", timeout=12)
                return
            self.give_back_network()
            self.start_course(path)

        self.app.push_screen(ChoiceDialog(t("quiz.course.title"), choices, t("quiz.course.hint"), start=start),
                             chosen)

    def fill_course_title(self) -> None:
        from ...quiz.course import active_course

        course, heading = active_course(), self.query_one("#quiz-course", Static)
        heading.display = course is not None
        if course is not None:
            show_if_changed(heading, Content.styled(course.title[self.app.language], "bold"))


def file_names(*paths: Path) -> list[str]:
    """Files as a message names them: by name, or by whole path when two have one name (site and user folder)."""
    from ...core.printable import printable

    names = [path.name for path in paths]
    return [printable(path.name if names.count(path.name) == 1 else str(path)) for path in paths]


def course_label(t, path: Path, course: Course | None, lang: str) -> str:
    """A course in the chooser: its title and its file's name, or, when it cannot be used, why."""
    from ...core.printable import printable
    from ...quiz.course_file import check_course_file

    if course is not None:
        return f"{course.title[lang]} ({printable(path.name)})"
    return t("quiz.course.unusable_entry", problem=(check_course_file(path, lang) or [printable(path.name)])[0])


def recent_courses(path: str, settings) -> list[str]:
    """The ``recent_courses`` setting once the course at ``path`` opened: its whole path first, each file once."""
    from ..settings import MOST_RECENT_COURSES

    opened = str(Path(path).resolve())
    others = [name for name in settings.recent_courses if Path(name).resolve() != Path(opened)]
    return [opened, *others][:MOST_RECENT_COURSES]
