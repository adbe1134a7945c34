"""What the quiz's panel says: the lesson's title, the recap or task, the question and its feedback,
the key line under it, and the summary and course-complete pages.
"""

from __future__ import annotations

from textual.content import Content

from ..widgets import quiz_text

# Sections that are pages, not lessons. COMPLETE is not in the list: it follows the last lesson.
REVIEW, SUMMARY, COMPLETE = "review", "summary", "complete"
PAGES = (REVIEW, SUMMARY, COMPLETE)


class QuizWords:
    """Mixed into QuizScreen: uses its section, shown_step, current_step(), question, result, hinted,
    lesson_finished, first_lesson_not_done(), lesson_ids(), lesson_has_concepts() and progress."""

    def lesson_title(self) -> str:
        from ...quiz.course import lesson

        step, count = self.shown_step
        return self.app.t("quiz.lesson.title", title=lesson(self.section)["title"][self.app.language],
                          step=step + 1, count=count)

    def step_text(self) -> Content:
        from ...quiz.course import lesson

        t, lang = self.app.t, self.app.language
        step = self.current_step()
        if step.kind == "recap":
            item = lesson(self.section)
            concepts = self.app.t("list.separator").join(self.concept_title(c) for c in item["concepts"])
            return quiz_text.recap_text(t, item["recap"][lang], concepts)
        if step.kind == "task":
            return quiz_text.task_text(t, lang, self.current_task(), self.hinted)
        return Content("")  # a question step: show_step draws the question

    def question_text(self) -> Content:
        return quiz_text.question_text(self.app.t, self.app.language, self.question, self.hinted)

    def feedback_text(self) -> Content:
        if self.question is None or self.result is None:
            return Content("")
        concept = self.question.concept and self.concept_title(self.question.concept)
        return quiz_text.feedback_text(self.app.t, self.app.language, self.question, self.result, self.hinted,
                                       concept)

    def hint_line(self) -> str:
        t = self.app.t
        if self.section in (SUMMARY, COMPLETE):
            return t(f"quiz.keys.{self.section}")
        if self.lesson_finished:
            upcoming = self.first_lesson_not_done(after=self.section)
            if upcoming == COMPLETE:
                return t("quiz.keys.last_lesson_done")
            return t("quiz.keys.lesson_done", lesson=self.lesson_title_of(upcoming))
        if self.question is None:
            if self.section == REVIEW:
                return ""
            if self.reporting:
                return t("quiz.keys.report")
            if self.current_step().kind == "task":
                return t("quiz.keys.task")
            return t("quiz.keys.recap") if self.lesson_has_concepts() else t("quiz.keys.recap_plain")
        if self.result is None:
            return t("quiz.keys.question")
        return t("quiz.keys.answered") if self.question.concept else t("quiz.keys.answered_plain")

    def lesson_title_of(self, lesson_id: str) -> str:
        from ...quiz.course import lesson

        return lesson(lesson_id)["title"][self.app.language]

    def concept_title(self, page_id: str) -> str:
        from ...learn.pages import load_pages

        page = load_pages().get(page_id)
        return page.title[self.app.language] if page else page_id

    def topic_name(self, topic: str) -> str:
        key = f"quiz.topic.{topic}"
        return self.app.t(key) if self.app.has_text(key) else topic

    def topic_names(self) -> dict[str, str]:
        return {topic: self.topic_name(topic) for topic, _, _ in self.progress.strengths()}

    def summary_text(self) -> Content:
        return quiz_text.summary_text(self.app.t, self.progress, self.topic_names(), self.app.ascii_only)

    def complete_text(self) -> Content:
        return quiz_text.complete_text(self.app.t, self.progress, self.topic_names(), self.app.ascii_only,
                                       len(self.lesson_ids()))
