"""The quiz's hands-on tasks: go and do one in Build, View or Train, check it, and give the student's
network back.

A task loads a network of its own (written out in the task, or a preset); the
student's is kept aside meanwhile and comes back when the task is done or left
(Next, another lesson). A task in Train may also set up the run (its "train" fields).
"""

from __future__ import annotations

from ..state import CurrentNetwork


class HandsOnTasks:
    """Mixed into QuizScreen: uses its section, in_lesson, question, current_step(), progress, hinted, action_next()."""

    own_network: CurrentNetwork | None = None  # the student's, while a task's network has replaced it

    def current_task(self) -> dict | None:
        from ...quiz.course import load_tasks

        if not self.in_lesson or self.question is not None or self.current_step().kind != "task":
            return None
        return load_tasks()[self.section]

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

    def action_check_task(self) -> None:
        from ...quiz.course import check_task

        task = self.current_task()
        if task is None:
            return
        state = {"spec": self.app.network.spec, "view": getattr(self.app, "view_state", None),
                 "runs": self.app.finished_runs}
        if check_task(task, state):
            self.give_back_network()
            self.app.notify(self.app.t("quiz.task.done"), timeout=5)
            self.progress.record(f"task:{task['id']}", "hands-on", True, self.hinted)
            self.action_next()
        else:
            self.app.notify(self.app.t("quiz.task.not_yet"), severity="warning", timeout=6)
