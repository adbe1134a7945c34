"""Quiz mode: the guided course. Lessons on the left; on the right a recap, a hands-on task or a question.

Answers are typed into one line and graded by the engine's numbers. After
each answer comes the worked solution and a link into Learn. Progress is
saved after every step, so the course resumes where the student left it.
The course is the built-in one or an instructor's (--course, or C to choose).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets import quiz_text
from ..widgets.chrome import Line, show_if_changed
from .base import ModeScreen
from .quiz_courses import CourseChoice
from .quiz_tasks import HandsOnTasks
from .quiz_words import COMPLETE, PAGES, REVIEW, SUMMARY, QuizWords


class QuizScreen(QuizWords, CourseChoice, HandsOnTasks, ModeScreen):
    mode_name = "quiz"
    BINDINGS = [
        Binding("f2", "hint", "Hint", id="quiz.hint", priority=True),
        Binding("o", "open_concept", "Open in Learn", id="quiz.learn"),
        Binding("g", "go_task", "Go", id="quiz.go"),
        Binding("k", "check_task", "Check", id="quiz.check"),
        Binding("n", "next", "Next", id="quiz.next"),
        Binding("C", "choose_course", "Course", id="quiz.course", key_display="C"),
        Binding("escape", "focus_lessons", "Leave field", id="quiz.leave", key_display="Esc"),
        Binding("shift+tab", "focus_lessons", "Lessons", id="quiz.lessons", key_display="Shift+Tab"),
        Binding("shift+tab", "app.focus_previous", show=False),  # outside the field: as on every screen
        # From the lesson list too (its own PageUp/PageDown would only move the highlight): a long page scrolls.
        Binding("pagedown", "scroll_text(1)", "Scroll", key_display="PgUp/PgDn", id="quiz.scroll", priority=True),
        Binding("pageup", "scroll_text(-1)", "Scroll", show=False, priority=True),
    ]

    def __init__(self, store=None) -> None:
        super().__init__()
        self.store = store
        self.progress = None
        self.section: str | None = None  # a lesson id or one of PAGES
        self.question = None
        self.hinted = False
        self.result = None  # the Mark of the answer given, once answered
        self.shown_step = (0, 0)  # (index, count) of the lesson step on screen
        self.review_queue: list[str] = []
        self.review_waiting: list[str] = []  # due, but their bank (a course's, a --bank file) is not loaded now
        self.lesson_finished = False  # the step on screen was the lesson's last: Next opens the next lesson
        self.init_courses()
        self._save_error_shown = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="quiz-nav"):
            yield Static(id="quiz-course")  # an instructor's course: its title
            yield OptionList(id="quiz-list")
            yield Static(id="quiz-score")
        with Vertical(id="quiz-main"):
            yield Static(id="quiz-title")  # a long lesson title wraps to a second line
            with VerticalScroll(id="quiz-scroll"):
                yield Static(id="quiz-text")
                yield Static(id="quiz-feedback")
            yield Input(id="quiz-answer")
            yield Line(id="quiz-hint-line")

    # -- start ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        from ...quiz.progress import ProgressStore, default_path

        self.store = self.store or getattr(self.app, "progress_store", None) or ProgressStore(default_path())
        self.progress = self.store.load()
        if self.store.problem:  # set aside, or left alone when even that failed: progress is then not saved
            from ...core.files import partly_read

            key = f"quiz.progress.{partly_read(self.store.problem)}" if self.store.moved_to \
                else "quiz.progress.left_alone"
            self.app.notify(self.app.t(key, reason=self.app.file_problem(self.store.problem),
                                       path=self.store.moved_to or self.store.path),
                            severity="warning", timeout=12)
        self.progress.session += 1
        self.save()
        self.watch(self.app, "language", self.relabel, init=False)
        self.start_course(self.app.course_path, explicit=self.app.course_path != self.app.settings.course)
        self.course_choice = bool(self.offered_courses(warn=True))
        self.refresh_bindings()

    @property
    def in_lesson(self) -> bool:
        return self.section not in PAGES

    @property
    def answering(self) -> bool:
        return self.question is not None and self.result is None

    def first_lesson_not_done(self, after: str | None = None) -> str:
        """The first lesson not done (after ``after``, round the course), or COMPLETE when all are done."""
        ids = self.lesson_ids()
        if after in ids:
            here = ids.index(after)
            ids = ids[here + 1:] + ids[:here]
        return next((lid for lid in ids if not self.progress.lesson(lid)["done"]), COMPLETE)

    def lesson_ids(self) -> list[str]:
        from ...quiz.course import lesson_ids

        return lesson_ids()

    def relabel(self, *_) -> None:
        self.fill_list()
        self.show_step()

    def save(self) -> None:
        try:
            self.store.save(self.progress)
        except OSError as error:
            if not self._save_error_shown:
                self._save_error_shown = True
                path, app = self.store.path, self.app
                app.notify(app.t("quiz.progress.unsaved", path=path, reason=app.save_problem(error, path)),
                           severity="warning", timeout=10)

    # -- the list of lessons ------------------------------------------------------------------

    def fill_list(self) -> None:
        from ...quiz.course import lesson, steps

        t, lang = self.app.t, self.app.language
        options = []
        for number, lesson_id in enumerate(self.lesson_ids(), 1):
            state = self.progress.lesson(lesson_id)
            label = quiz_text.lesson_entry(t, number, lesson(lesson_id)["title"][lang], state,
                                           len(steps(lesson_id, state["attempt"])), self.app.ascii_only)
            options.append(Option(Content(label), id=lesson_id))
        options.append(Option(t("quiz.review.entry", count=len(self.review_split()[0])), id=REVIEW))
        options.append(Option(t("quiz.summary.entry"), id=SUMMARY))
        self.fill_course_title()
        listing = self.query_one("#quiz-list", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        listing.add_options(options)
        if highlighted is not None:
            listing.highlighted = min(highlighted, len(options) - 1)
        self.fill_score()

    def fill_score(self) -> None:
        rows = self.progress.strengths()
        asked = sum(row[1] for row in rows)
        right = sum(row[1] * row[2] for row in rows)
        text = self.app.t("quiz.score", right=f"{right:g}", asked=asked) if asked else self.app.t("quiz.score.none")
        show_if_changed(self.query_one("#quiz-score", Static), text)

    @on(OptionList.OptionSelected, "#quiz-list")
    def section_chosen(self, event: OptionList.OptionSelected) -> None:
        self.open_section(event.option.id)

    def open_section(self, section: str) -> None:
        if section != self.section:
            self.give_back_network()  # leaving a hands-on task
        self.section = section
        if section == REVIEW:
            self.review_queue, self.review_waiting = self.review_split()
        listing = self.query_one("#quiz-list", OptionList)
        listing.highlighted = listing.get_option_index(section) if section != COMPLETE else None
        self.load_step()

    def review_split(self) -> tuple[list[str], list[str]]:
        """The questions due for review that this session can ask, and those whose bank is not loaded now
        (they stay in the review for a session that has it)."""
        from ...quiz.questions import load_bank, split_bank_id

        bank, askable, waiting = load_bank(), [], []
        for question_id in self.progress.due():
            try:
                missing = question_id.startswith("bank:") and split_bank_id(question_id)[0] not in bank
            except ValueError:  # damaged: first_askable drops it from the review
                missing = False
            (waiting if missing else askable).append(question_id)
        return askable, waiting

    def waiting_text(self) -> str:
        """How many due questions wait for their bank; by file when all are in one course opened before."""
        from ...core.printable import printable
        from ...quiz.course_file import read_course
        from ...quiz.questions import split_bank_id

        count, wanted = len(self.review_waiting), {split_bank_id(qid)[0] for qid in self.review_waiting}
        for name in self.app.settings.recent_courses:
            found = read_course(name, self.app.language).course
            if found is not None and wanted <= set(found.bank_items):
                return self.app.t("quiz.review.waiting_in", count=count, file=printable(found.path.name))
        return self.app.t("quiz.review.waiting", count=count)

    # -- steps ---------------------------------------------------------------------------

    def current_steps(self):
        from ...quiz.course import steps

        return steps(self.section, self.progress.lesson(self.section)["attempt"])

    def current_step(self):
        state = self.progress.lesson(self.section)
        all_steps = self.current_steps()
        return all_steps[min(state["step"], len(all_steps) - 1)]

    def load_step(self) -> None:
        """Make the question of the current step (if any) and show it unanswered."""
        from ...quiz.questions import question_by_id

        self.question, self.hinted, self.result, self.lesson_finished = None, False, None, False
        self.reporting = False
        self.query_one("#quiz-scroll").scroll_home(animate=False)  # a new step starts at its top
        if self.in_lesson:
            # What the title shows, fixed while this step is on screen even once progress moves on.
            self.shown_step = (self.progress.lesson(self.section)["step"], len(self.current_steps()))
        if self.section == REVIEW:
            waiting = len(self.progress.review)
            self.question = self.progress.first_askable(self.review_queue)
            if len(self.progress.review) != waiting:  # ids it could not ask left the review: say so in the list
                self.save()
                self.fill_list()
        elif self.in_lesson:
            step = self.current_step()
            if step.kind == "question":
                self.question = question_by_id(step.ref)
        self.show_step()
        self.focus_step()

    def focus_step(self) -> None:
        """A question waiting for an answer has the answer field, so typing never reaches a global key;
        a marked answer and a lesson's other steps have the text (Enter goes on); a page has the list."""
        if self.answering or self.reporting:
            self.query_one("#quiz-answer", Input).focus()
        elif self.in_lesson or self.question is not None:
            self.query_one("#quiz-scroll").focus()
        else:
            self.query_one("#quiz-list").focus()

    def show_step(self) -> None:
        t = self.app.t
        answer = self.query_one("#quiz-answer", Input)
        answer.display = self.answering or self.reporting
        form = self.question.form if self.question is not None else "integer" if self.reporting else None
        answer.placeholder = t(f"quiz.form.{form}") if form else ""
        if self.section == SUMMARY:
            title, body = t("quiz.summary.title"), self.summary_text()
        elif self.section == COMPLETE:
            title, body = t("quiz.complete.title"), self.complete_text()
        elif self.section == REVIEW:
            title = t("quiz.review.title", count=len(self.review_queue))
            body = self.question_text() if self.question is not None else Content(t("quiz.review.empty"))
            if self.review_waiting:
                body = Content.assemble(body, "\n\n", self.waiting_text())
        else:
            title = self.lesson_title()
            body = self.question_text() if self.question is not None else self.step_text()
        show_if_changed(self.query_one("#quiz-title", Static), title)
        show_if_changed(self.query_one("#quiz-text", Static), body)
        show_if_changed(self.query_one("#quiz-feedback", Static), self.feedback_text())
        self.query_one("#quiz-hint-line", Line).content = self.hint_line()
        self.refresh_bindings()
        self.call_after_refresh(self.refresh_bindings)  # whether the text scrolls is known after its layout

    # -- answering -------------------------------------------------------------------------

    @on(Input.Submitted, "#quiz-answer")
    def answered(self, event: Input.Submitted) -> None:
        from ...quiz.grading import Ambiguous, Unreadable, mark

        if self.reporting:
            self.task_number_given(event.input)
            return
        if self.question is None or self.result is not None:
            return
        if not event.value.strip():
            self.app.notify(self.app.t(f"quiz.form.{self.question.form}"), timeout=4)
            return
        try:
            self.result = mark(self.question, event.value, self.app.language)
        except Ambiguous as problem:
            self.app.notify(self.app.t("quiz.ambiguous", text=event.value.strip(),
                                       letters=", ".join(problem.letters)), severity="warning", timeout=6)
            return
        except Unreadable as problem:
            self.app.notify(self.app.t("quiz.unreadable", form=self.app.t(f"quiz.form.{problem.form}")),
                            severity="warning", timeout=6)
            return
        self.progress.record(self.question.id, self.question.topic, self.result.correct, self.hinted)
        if self.in_lesson:
            # Saved as done at once: after a restart the course resumes at the next step.
            self.finish_lesson_step()
        self.save()
        event.input.value = ""
        self.show_step()
        self.fill_score()
        self.focus_step()

    def action_hint(self) -> None:
        if not self.in_lesson and self.question is None or self.result is not None:
            return
        if self.question is not None and not self.question.hint:  # an instructor's question may have none
            self.app.notify(self.app.t("quiz.hint.none"), timeout=3)
            return
        if not self.hinted:
            self.hinted = True
            self.app.notify(self.app.t("quiz.hint.cost"), timeout=3)
            self.show_step()

    def action_next(self) -> None:
        """Move on: after an answer, past a recap, or skipping a task."""
        if self.answering:
            return  # answer first (or Escape, then pick another lesson)
        if self.section == REVIEW:
            if self.review_queue:
                self.review_queue.pop(0)
            self.load_step()
        elif self.in_lesson:
            if self.result is None:  # a recap or a task: answered questions moved on already
                self.give_back_network()
                self.finish_lesson_step()
                self.save()
            if self.lesson_finished:
                self.open_section(self.first_lesson_not_done(after=self.section))
            else:
                self.load_step()
        self.fill_list()

    def finish_lesson_step(self) -> None:
        self.progress.advance(self.section, len(self.current_steps()))
        if self.progress.lesson(self.section)["step"] == 0:
            self.lesson_finished = True
            self.app.notify(self.app.t("quiz.lesson.done"), timeout=5)

    def action_open_concept(self) -> None:
        if self.question is not None:
            if self.question.concept:  # an instructor's question may name no Learn page
                self.app.open_concept(self.question.concept)
        elif self.in_lesson:
            from ...quiz.course import lesson

            concepts = lesson(self.section)["concepts"]
            if concepts:
                self.app.open_concept(concepts[0])

    # -- keys that make sense now --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.progress is None:
            return None
        task = self.current_task() is not None
        answering, in_field = self.answering, self.is_focused("quiz-answer")
        allowed = {
            "hint": answering or (task and not self.hinted),
            "open_concept": bool(self.question.concept) if self.question is not None
            else self.in_lesson and self.lesson_has_concepts(),
            "go_task": task, "check_task": task,
            "next": not answering and self.section not in (SUMMARY, COMPLETE),
            # Only from the field (the key bar has room then); elsewhere Shift+Tab and Escape do as usual.
            "focus_lessons": in_field,
            "choose_course": self.course_choice,
            "scroll_text": self.is_focused("quiz-list") and self.query_one("#quiz-scroll").max_scroll_y > 0,
        }
        return allowed.get(action, True)

    def lesson_has_concepts(self) -> bool:
        from ...quiz.course import lesson

        return bool(lesson(self.section)["concepts"])

    def action_scroll_text(self, direction: int) -> None:
        scroll = self.query_one("#quiz-scroll")
        if direction > 0:
            scroll.scroll_page_down()
        else:
            scroll.scroll_page_up()

    def on_key(self, event) -> None:
        """Enter moves on once an answer is marked or on a recap (the answer box has Enter while typing)."""
        if event.key == "enter" and not self.is_focused("quiz-answer") \
                and not self.is_focused("quiz-list") and self.check_action("next", ()):
            event.stop()
            self.action_next()

    def action_focus_lessons(self) -> None:
        """Escape or Shift+Tab in the answer box goes to the lesson list."""
        self.query_one("#quiz-list").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.progress is not None:
            self.fill_list()
            self.show_step()
            if self.answering or self.focused is None:
                self.focus_step()
