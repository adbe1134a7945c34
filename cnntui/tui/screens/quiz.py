"""Quiz mode: the guided course. Lessons on the left; on the right a recap, a hands-on task or a question.

Answers are typed into one line and graded by the engine's numbers. After
each answer comes the worked solution and a link into Learn. Progress is
saved after every step, so the course resumes where the student left it.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..state import CurrentNetwork
from ..widgets.chrome import Line, show_if_changed
from .base import ModeScreen

REVIEW, SUMMARY = "review", "summary"


class QuizScreen(ModeScreen):
    mode_name = "quiz"
    BINDINGS = [
        Binding("f2", "hint", "Hint", id="quiz.hint", priority=True),
        Binding("o", "open_concept", "Open in Learn", id="quiz.learn"),
        Binding("g", "go_task", "Go", id="quiz.go"),
        Binding("k", "check_task", "Check", id="quiz.check"),
        Binding("n", "next", "Next", id="quiz.next"),
    ]

    def __init__(self, store=None) -> None:
        super().__init__()
        self.store = store
        self.progress = None
        self.section: str | None = None  # a lesson id, REVIEW or SUMMARY
        self.question = None
        self.hinted = False
        self.result = None  # the Mark of the answer given, once answered
        self.shown_step = (0, 0)  # (index, count) of the lesson step on screen
        self.review_queue: list[str] = []
        self._save_error_shown = False

    def compose_body(self) -> ComposeResult:
        with Vertical(id="quiz-nav"):
            yield OptionList(id="quiz-list")
            yield Static(id="quiz-score")
        with Vertical(id="quiz-main"):
            yield Line(id="quiz-title")
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
        if self.store.problem:
            where = f" ({self.store.moved_to})" if self.store.moved_to else ""
            self.app.notify(self.app.t("quiz.progress.corrupt", reason=self.store.problem, where=where),
                            severity="warning", timeout=12)
        self.progress.session += 1
        self.save()
        self.watch(self.app, "language", self.relabel, init=False)
        self.fill_list()
        first = next((lid for lid in self.lesson_ids() if not self.progress.lesson(lid)["done"]), self.lesson_ids()[0])
        self.open_section(first)
        self.query_one("#quiz-list").focus()

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
                self.app.notify(self.app.t("quiz.progress.unsaved", path=self.store.path,
                                           reason=error.strerror or error), severity="warning", timeout=10)

    # -- the list of lessons ------------------------------------------------------------------

    def fill_list(self) -> None:
        from ...quiz.course import lesson, steps

        t, lang = self.app.t, self.app.language
        done_mark = "*" if self.app.ascii_only else "✓"
        options = []
        for number, lesson_id in enumerate(self.lesson_ids(), 1):
            state = self.progress.lesson(lesson_id)
            count = len(steps(lesson_id, state["attempt"]))
            mark = done_mark if state["done"] else " "
            options.append(Option(f"{mark} {number} {lesson(lesson_id)['title'][lang]} {state['step']}/{count}",
                                  id=lesson_id))
        options.append(Option(t("quiz.review.entry", count=len(self.progress.due())), id=REVIEW))
        options.append(Option(t("quiz.summary.entry"), id=SUMMARY))
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
        self.section = section
        if section == REVIEW:
            self.review_queue = self.progress.due()
        listing = self.query_one("#quiz-list", OptionList)
        listing.highlighted = listing.get_option_index(section)
        self.load_step()

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

        self.question, self.hinted, self.result = None, False, None
        if self.section not in (REVIEW, SUMMARY):
            # What the title shows, fixed while this step is on screen even once progress moves on.
            self.shown_step = (self.progress.lesson(self.section)["step"], len(self.current_steps()))
        if self.section == REVIEW and self.review_queue:
            self.question = question_by_id(self.review_queue[0])
        elif self.section not in (REVIEW, SUMMARY):
            step = self.current_step()
            if step.kind == "question":
                self.question = question_by_id(step.ref)
        self.show_step()
        if self.question is not None:
            self.query_one("#quiz-answer", Input).focus()

    def show_step(self) -> None:
        t = self.app.t
        answer = self.query_one("#quiz-answer", Input)
        answer.display = self.question is not None and self.result is None
        answer.placeholder = t(f"quiz.form.{self.question.form}") if self.question is not None else ""
        if self.section == SUMMARY:
            title, body = t("quiz.summary.title"), self.summary_text()
        elif self.section == REVIEW:
            title = t("quiz.review.title", count=len(self.review_queue))
            body = self.question_text() if self.question is not None else t("quiz.review.empty")
        else:
            title = self.lesson_title()
            body = self.question_text() if self.question is not None else self.step_text()
        self.query_one("#quiz-title", Line).content = title
        show_if_changed(self.query_one("#quiz-text", Static), body)
        show_if_changed(self.query_one("#quiz-feedback", Static), self.feedback_text())
        self.query_one("#quiz-hint-line", Line).content = self.hint_line()
        self.refresh_bindings()

    def lesson_title(self) -> str:
        from ...quiz.course import lesson

        step, count = self.shown_step
        return self.app.t("quiz.lesson.title", title=lesson(self.section)["title"][self.app.language],
                          step=step + 1, count=count)

    def step_text(self) -> Content:
        from ...quiz.course import lesson, load_tasks

        t, lang = self.app.t, self.app.language
        step = self.current_step()
        if step.kind == "recap":
            item = lesson(self.section)
            concepts = ", ".join(self.concept_title(c) for c in item["concepts"])
            return Content.assemble((t("quiz.recap"), "bold"), "\n\n", item["recap"][lang], "\n\n",
                                    (t("quiz.recap.learn", concepts=concepts), "italic"))
        if step.kind == "task":
            task = load_tasks()[self.section]
            parts = [(t("quiz.task"), "bold"), "\n\n", task["text"][lang]]
            if self.hinted:
                parts += ["\n\n", (t("quiz.hint.label"), "bold"), " ", task["hint"][lang]]
            return Content.assemble(*parts)
        return Content("")  # a question step: show_step draws the question

    def question_text(self) -> Content:
        t, lang, question = self.app.t, self.app.language, self.question
        parts: list = [(t(f"quiz.kind.{question.kind}", level=question.difficulty), "dim"), "\n\n",
                       question.prompt[lang]]
        for index, option in enumerate(question.options):
            parts += ["\n", (f"  {'abcdefgh'[index]}) ", "bold"), option["text"][lang]]
        if question.kind == "truefalse":
            parts += ["\n\n", (t("quiz.truefalse"), "dim")]
        if self.hinted and question.hint:
            parts += ["\n\n", (t("quiz.hint.label"), "bold"), " ", question.hint[lang]]
        return Content.assemble(*parts)

    def feedback_text(self) -> Content:
        if self.question is None or self.result is None:
            return Content("")
        t, lang, question = self.app.t, self.app.language, self.question
        if self.result.correct:
            verdict = (t("quiz.right.hinted") if self.hinted else t("quiz.right"), "bold $success")
        else:
            verdict = (t("quiz.wrong", answer=self.answer_words(question.answer)), "bold $error")
        parts: list = ["\n", verdict, "\n\n"]
        if question.options:
            chosen, right = self.result.given, question.answer
            if chosen != right:
                parts += [(t("quiz.why.chosen"), "bold"), " ", question.options[chosen]["why"][lang], "\n\n"]
            parts += [(t("quiz.why.right"), "bold"), " ", question.options[right]["why"][lang], "\n\n"]
        elif question.why:
            parts += [question.why[lang], "\n\n"]
        parts += [(t("quiz.solution"), "bold"), " ", question.explanation[lang], "\n\n",
                  (t("quiz.learn.link", concept=self.concept_title(question.concept)), "italic")]
        return Content.assemble(*parts)

    def answer_words(self, answer) -> str:
        question, t = self.question, self.app.t
        if question.form == "choice":
            return f"{'abcdefgh'[answer]}) {question.options[answer]['text'][self.app.language]}"
        if question.form == "bool":
            return t("quiz.true") if answer else t("quiz.false")
        if question.form in ("size", "shape"):
            return "x".join(map(str, answer))
        return f"{answer:,}" if isinstance(answer, int) else str(answer)

    def hint_line(self) -> str:
        t = self.app.t
        if self.section == SUMMARY:
            return t("quiz.keys.summary")
        if self.question is None:
            if self.section == REVIEW:
                return ""
            return t("quiz.keys.task") if self.current_step().kind == "task" else t("quiz.keys.recap")
        return t("quiz.keys.answered") if self.result is not None else t("quiz.keys.question")

    def concept_title(self, page_id: str) -> str:
        from ...learn.pages import load_pages

        page = load_pages().get(page_id)
        return page.title[self.app.language] if page else page_id

    def topic_name(self, topic: str) -> str:
        key = f"quiz.topic.{topic}"
        return self.app.t(key) if self.app.has_text(key) else topic

    def summary_text(self) -> Content:
        t = self.app.t
        rows = self.progress.strengths()
        if not rows:
            return Content(t("quiz.summary.empty"))
        bar = "#" if self.app.ascii_only else "█"
        names = {topic: self.topic_name(topic) for topic, _, _ in rows}
        width = max(cell_len(name) for name in names.values())
        parts: list = [(t("quiz.summary.heading"), "bold"), "\n\n"]
        for topic, asked, share in rows:
            name = names[topic] + " " * (width - cell_len(names[topic]))
            parts.append(f"{name}  {bar * round(share * 10):<10} {share:4.0%}  ({asked})\n")
        weak = [names[topic] for topic, asked, share in rows if share < 0.6]
        strong = [names[topic] for topic, asked, share in rows if share >= 0.8]
        parts += ["\n", (t("quiz.summary.strong"), "bold"), " ", ", ".join(strong) or "-", "\n",
                  (t("quiz.summary.weak"), "bold"), " ", ", ".join(weak) or "-", "\n\n",
                  t("quiz.summary.review", count=len(self.progress.due()))]
        return Content.assemble(*parts)

    # -- answering -------------------------------------------------------------------------

    @on(Input.Submitted, "#quiz-answer")
    def answered(self, event: Input.Submitted) -> None:
        from ...quiz.grading import Unreadable, mark

        if self.question is None or self.result is not None:
            return
        if not event.value.strip():
            self.app.notify(self.app.t(f"quiz.form.{self.question.form}"), timeout=4)
            return
        try:
            self.result = mark(self.question, event.value)
        except Unreadable as problem:
            self.app.notify(self.app.t("quiz.unreadable", form=self.app.t(f"quiz.form.{problem.form}")),
                            severity="warning", timeout=6)
            return
        self.progress.record(self.question.id, self.question.topic, self.result.correct, self.hinted)
        if self.section not in (REVIEW, SUMMARY):
            # Saved as done at once: after a restart the course resumes at the next step.
            self.finish_lesson_step()
        self.save()
        event.input.value = ""
        self.show_step()
        self.fill_score()
        self.query_one("#quiz-scroll").focus()

    def action_hint(self) -> None:
        if self.section in (REVIEW, SUMMARY) and self.question is None or self.result is not None:
            return
        if not self.hinted:
            self.hinted = True
            self.app.notify(self.app.t("quiz.hint.cost"), timeout=3)
            self.show_step()

    def action_next(self) -> None:
        """Move on: after an answer, past a recap, or skipping a task."""
        if self.question is not None and self.result is None:
            return  # answer first (or Escape, then pick another lesson)
        if self.section == REVIEW:
            if self.review_queue:
                self.review_queue.pop(0)
            self.load_step()
        elif self.section != SUMMARY:
            if self.result is None:  # a recap or a task: answered questions moved on already
                self.finish_lesson_step()
                self.save()
            self.load_step()
        self.fill_list()

    def finish_lesson_step(self) -> None:
        self.progress.advance(self.section, len(self.current_steps()))
        if self.progress.lesson(self.section)["step"] == 0:
            self.app.notify(self.app.t("quiz.lesson.done"), timeout=5)

    def action_open_concept(self) -> None:
        if self.question is not None:
            self.app.open_concept(self.question.concept)
        elif self.section not in (REVIEW, SUMMARY):
            from ...quiz.course import lesson

            self.app.open_concept(lesson(self.section)["concepts"][0])

    # -- hands-on tasks -----------------------------------------------------------------------

    def current_task(self) -> dict | None:
        from ...quiz.course import load_tasks

        if self.section in (REVIEW, SUMMARY) or self.question is not None or self.current_step().kind != "task":
            return None
        return load_tasks()[self.section]

    def action_go_task(self) -> None:
        import copy

        task = self.current_task()
        if task is None:
            return
        if task["mode"] == "build":
            spec = copy.deepcopy(task["network"])
            self.app.network = CurrentNetwork(spec["name"], spec, "")
        elif not self.app.load_network(task["preset"], quiet=True):
            return
        self.app.switch_mode(task["mode"])
        self.app.notify(self.app.t("quiz.task.go", mode=self.app.t(f"mode.{task['mode']}")), timeout=5)

    def action_check_task(self) -> None:
        from ...quiz.course import check_task

        task = self.current_task()
        if task is None:
            return
        state = {"spec": self.app.network.spec, "view": getattr(self.app, "view_state", None)}
        if check_task(task, state):
            self.app.notify(self.app.t("quiz.task.done"), timeout=5)
            self.progress.record(f"task:{task['id']}", "hands-on", True, self.hinted)
            self.action_next()
        else:
            self.app.notify(self.app.t("quiz.task.not_yet"), severity="warning", timeout=6)

    # -- keys that make sense now --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if self.progress is None:
            return None
        task = self.current_task() is not None
        answering = self.question is not None and self.result is None
        allowed = {
            "hint": answering or (task and not self.hinted),
            "open_concept": self.section not in (REVIEW, SUMMARY) or self.question is not None,
            "go_task": task, "check_task": task,
            "next": not answering and self.section != SUMMARY,
        }
        return allowed.get(action, True)

    def on_key(self, event) -> None:
        """Enter moves on once an answer is marked or on a recap (the answer box has Enter while typing)."""
        if event.key == "enter" and self.focused is not self.query_one("#quiz-answer") \
                and self.focused is not self.query_one("#quiz-list") and self.check_action("next", ()):
            event.stop()
            self.action_next()

    def leave_field(self) -> bool:
        """Escape in the answer box goes back to the lesson list."""
        if self.focused is self.query_one("#quiz-answer"):
            self.query_one("#quiz-list").focus()
            return True
        return False

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.progress is not None:
            self.fill_list()
            self.show_step()
