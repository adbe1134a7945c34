"""View mode's forward passes: one thread worker at a time, a newer request cancelling an older one,
with the step it is at on the status line once it takes longer than BUSY_AFTER.

A mixin for ViewScreen, which gives it ``pending``, ``serial``, ``forward_done()`` and
``forward_failed()``; the pass itself (network, weights, input) is view_panels.compute.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from ...content import message_text
from ...core.printable import printable
from ..widgets.chrome import show_if_changed

if TYPE_CHECKING:
    from ..view_panels import Result
    from .view import Request

BUSY_AFTER = 0.25  # seconds before a running forward pass is announced
PROGRESS_EVERY = 0.1  # seconds between two announcements of the step a forward pass is at


class ViewForward:
    def request(self, request: Request) -> None:
        self.pending = request
        self.serial += 1
        self.announced, self.running = False, None
        if self._busy_timer is not None:
            self._busy_timer.stop()
        self._busy_timer = self.set_timer(BUSY_AFTER, self.announce)
        self.forward(request, self.serial)

    def announce(self) -> None:
        self.announced = True
        self.show_busy()

    def show_busy(self) -> None:
        if self.pending is not None and self.announced:
            show_if_changed(self.query_one("#view-status", Static), self.busy_text())

    def busy_text(self) -> str:
        if self.running is None:
            return self.app.t("view.busy")
        return self.app.t("view.busy.step", done=self.running[0], count=self.running[1])

    def show_progress(self, serial: int, done: int, count: int) -> None:
        if serial == self.serial:
            self.running = (done, count)
            self.show_busy()

    def progress_reporter(self, serial: int, worker):
        """The engine's progress callback, run in the worker after each step: it stops a pass a newer
        request has cancelled, and passes the step on to the status line at most every PROGRESS_EVERY."""
        from ..view_panels import Superseded

        said = [0.0]

        def progress(done: int, count: int) -> None:
            if worker.is_cancelled:
                raise Superseded
            now = time.monotonic()
            if now - said[0] >= PROGRESS_EVERY:
                said[0] = now
                self.app.call_from_thread(self.show_progress, serial, done, count)

        return progress

    @work(thread=True, exclusive=True, group="view-forward")
    def forward(self, request: Request, serial: int) -> None:
        from ...core import CnntuiError
        from ..view_panels import compute

        worker = get_current_worker()
        try:
            result = compute(request, serial, worker, self.progress_reporter(serial, worker))
        except CnntuiError as error:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.forward_failed, request, error)
            return
        except MemoryError:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.forward_failed, request, None)
            return
        if result is not None and not worker.is_cancelled:
            self.app.call_from_thread(self.forward_done, result)

    def say_weights_problem(self, result: Result) -> None:
        """The network file names weights that cannot be used: say so, once per network, not silently seed."""
        from ...core.messages import Message

        fallback = Message("weights_fallback", {"problem": result.weights_problem, "seed": result.request.seed})
        self.app.notify(message_text(self.app.language, fallback), severity="warning", timeout=10)

    def error_text(self, error) -> str:
        """An engine error in the app's language; a network's every problem, one per line."""
        problems = getattr(error, "problems", [error])
        return "\n".join(printable(getattr(p, "where", "")) + message_text(self.app.language, p.message)
                         for p in problems)
