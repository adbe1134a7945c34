"""The quiz's hands-on tasks: go and do one in Build, View or Train, check it, and give the student's
network back.

A task loads a network of its own (written out in the task, or a preset); the
student's is kept aside meanwhile and comes back when the task is done or left
(Next, another lesson). A task in Train may also set up the run (its "train" fields).
A task that asks for a number (its "report", e.g. the parameters a change saved)
opens the answer field once the network is right, and is done when the number is.
"""

from __future__ import annotations

from ..state import CurrentNetwork


class HandsOnTasks:
    """Mixed into QuizScreen: uses its section, in_lesson, question, current_step(), progress, hinted, action_next()."""

    own_network: CurrentNetwork | None = None  # the student's, while a task's network has replaced it
    reporting = False  # the task's network is right and the answer field waits for the number it asks for

    def current_task(self) -> dict | None:
        from ...quiz.course import tasks_by_id

        if not self.in_lesson or self.question is not None:
            return None
        step = self.current_step()
        return tasks_by_id()[step.ref] if step.kind == "task" else None

    def action_go_task(self) -> None:
        import copy

        task = self.current_task()
        if task is None:
            return
        own = self.own_network or self.app.network  # a second g keeps the first one's
        if "network" in task:
            spec = copy.deepcopy(task["network"])
            self.app.network = CurrentNetwork(spec["name"], spec, "")
        elif not self.app.load_network(task["preset"], quiet=True):
            return
        self.own_network = own
        if "train" in task:
            self.app.requested_plan = dict(task["train"])
        self.app.switch_mode(task["mode"])
        self.app.notify(self.app.t("quiz.task.go", mode=self.app.t(f"mode.{task['mode']}"),
                                   network=self.app.network.name, own=own.name), timeout=8)

    def give_back_network(self) -> None:
        """Put the student's own network back once a hands-on task is over."""
        own, self.own_network = self.own_network, None
        if self.app.plan_before_task is not None:  # Train's samples and epochs as the student had them
            self.app.plan_to_restore, self.app.plan_before_task = self.app.plan_before_task, None
        if own is None:
            return
        self.app.network = own
        if not own.source:  # unsaved edits: the task's network took their autosave, so write them again
            self.app.remember_edited(own.spec)
        self.app.notify(self.app.t("quiz.task.network_back", own=own.name), timeout=5)

    def task_state(self) -> dict:
        return {"spec": self.app.network.spec, "view": getattr(self.app, "view_state", None),
                "runs": self.app.finished_runs}

    def action_check_task(self) -> None:
        from ...quiz.course import network_done

        task = self.current_task()
        if task is None:
            return
        if not network_done(task, self.task_state()):
            self.app.notify(self.app.t("quiz.task.not_yet"), severity="warning", timeout=6)
        elif "report" in task:
            self.reporting = True
            self.show_step()
            self.focus_step()
            self.app.notify(self.app.t(f"quiz.task.report.{task['report']}"), timeout=8)
        else:
            self.task_done(task)

    def task_number_given(self, field) -> None:
        """The number typed for a task's report: done if the network is still right and the number is too."""
        from ...quiz.course import check_task, network_done
        from ...quiz.grading import read_integer

        task, t = self.current_task(), self.app.t
        number = read_integer(field.value)
        if number is None:
            self.app.notify(t("quiz.unreadable", form=t("quiz.form.integer")), severity="warning", timeout=6)
        elif not network_done(task, self.task_state()):  # changed in Build since k: check it again first
            self.reporting = False
            self.show_step()
            self.app.notify(t("quiz.task.not_yet"), severity="warning", timeout=6)
        elif check_task(task, {**self.task_state(), "reported": number}):
            field.value = ""
            self.task_done(task)
        else:
            self.app.notify(t(f"quiz.task.report_wrong.{task['report']}", number=f"{number:,}"),
                            severity="warning", timeout=8)

    def task_done(self, task: dict) -> None:
        self.reporting = False
        self.give_back_network()
        self.app.notify(self.app.t("quiz.task.done"), timeout=5)
        self.progress.record(f"task:{task['id']}", "hands-on", True, self.hinted)
        self.action_next()
