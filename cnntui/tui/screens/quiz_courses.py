"""The quiz's courses: the built-in one, or an instructor's course file; C chooses among the built-in
course, the courses in the instructor's folders and those opened this session.

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
        self.same_id_said: set[tuple] = set()  # the found courses left out for their id, said once a session

    def start_course(self, path: str, explicit: bool = True) -> None:
        """Open the course file at ``path`` ("" for the built-in course) at its first lesson not done. A file
        with problems (gone or broken since it was chosen) is said so, and the built-in course opens."""
        from ...quiz.course import use_course
        from ...quiz.course_file import read_course

        course = None
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
        use_course(course)
        self.app.course_path = path
        self.app.save_settings(course=path)
        self.fill_list()
        self.open_section(self.first_lesson_not_done())

    def remember_course(self, course: Course) -> None:
        """Keep ``course`` in the chooser for the session (one given with --course too), and warn when a
        course with its id came from another file before: progress is kept by id, so the two share it."""
        self.session_courses[course.path.resolve()] = course
        other = self.opened_ids.setdefault(course.id, course.path)
        if other.resolve() != course.path.resolve():
            path, other = file_names(course.path, other)
            self.app.notify(self.app.t("quiz.course.shared_progress", path=path, id=course.id, other=other),
                            severity="warning", timeout=12)

    def offered_courses(self, warn: bool) -> list[tuple[Path, Course | None]]:
        """The courses to choose besides the built-in one, as (path, Course or None): those in the instructor's
        folders, of two with one course id only the first (``warn``: said so, once a session), then those
        opened this session (--course, the one chosen last time) that are not among them."""
        from ...quiz.course_file import one_file_per_id
        from ...quiz.material import find_material

        choice = one_file_per_id(find_material().courses, self.app.language)
        for course_id, *files in choice.same_id if warn else ():
            if (course_id, *files) in self.same_id_said:
                continue
            self.same_id_said.add((course_id, *files))
            first, second = file_names(*files)
            self.app.notify(self.app.t("quiz.course.same_id", id=course_id, first=first, second=second),
                            severity="warning", timeout=12)
        found = {path.resolve() for path, _ in choice.offered}
        return choice.offered + [(course.path, course) for path, course in self.session_courses.items()
                                 if path not in found]

    def action_choose_course(self) -> None:
        """Choose the built-in course, one the instructor put in the system or user folder, or one opened before."""
        t = self.app.t
        choices = [("", t("quiz.course.builtin"))]
        for path, course in self.offered_courses(warn=True):
            choices.append((str(path), course_label(path, course, self.app.language)))

        def chosen(path: str | None) -> None:
            if path is not None and path != self.app.course_path:
                self.give_back_network()
                self.start_course(path)

        self.app.push_screen(ChoiceDialog(t("quiz.course.title"), choices, t("quiz.course.hint")), chosen)

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


def course_label(path: Path, course: Course | None, lang: str) -> str:
    """A course in the chooser: its title and its file's name (only the name when it cannot be used:
    choosing it says why)."""
    from ...core.printable import printable

    return f"{course.title[lang]} ({printable(path.name)})" if course else printable(path.name)
