"""Train mode: watch a CNN learn, and watch a big fully connected head overfit.

The left side holds the setup (network, dataset, samples, epochs, optimiser,
learning rate) and the run's figures; the right side draws loss and accuracy
for the training and validation data as they come, the first layer's kernels
and one sample's feature maps; above them, once a run has ended, the next run
on the same data is compared with it epoch by epoch (train_compare, which also
keeps the session's runs for the quiz's hands-on tasks). Training runs in a
thread worker (``LiveRun``) that the keys pause, resume and stop; the UI only
ever gets copies of the numbers. The setup, its dialogs and saving the weights
are in train_choices.
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static
from textual.worker import get_current_worker

from ...content import message_text
from ...core.printable import printable
from ..widgets.chrome import Line, show_if_changed
from ..widgets.picture import PictureView
from .base import ModeScreen
from .dialogs import ChoiceDialog
from .train_choices import TrainChoices
from .train_compare import last_on_same_data, run_record
from .train_picture import RunPicture, folder_rows, guessing_text
from .train_run import ACTIVE, Arm, Plan, Run
from .train_side import fitted, setup_lines


PREVIEW_PER_CLASS = 6  # images of each class of a folder shown before training


def experiment_title(name: str) -> str:
    """The key of an experiment's title (the overfitting one's came first, as train.title.experiment)."""
    return "train.title.experiment" if name == "overfitting" else f"train.title.{name}"


class TrainScreen(TrainChoices, ModeScreen):
    mode_name = "train"
    BINDINGS = [
        Binding("enter", "start", "Start", id="train.start"),
        Binding("space", "pause", "Pause", id="train.pause"),
        Binding("space,enter", "resume", "Resume", key_display="space", id="train.resume"),
        Binding("x", "stop", "Stop", id="train.stop"),
        Binding("o", "experiment", "Experiments", id="train.experiment"),
        Binding("n", "choose_network", "Network", show=False, id="train.network"),  # the side pane shows n
        Binding("d", "choose_dataset", "Dataset", show=False, id="train.dataset"),
        Binding("s", "ask('samples')", "Samples", show=False, id="train.samples"),
        Binding("e", "ask('epochs')", "Epochs", show=False, id="train.epochs"),
        Binding("r", "ask('lr')", "Learning rate", show=False, id="train.lr"),
        Binding("a", "explain_optimizer", "What Adam is", show=False, id="train.optimizer"),
        Binding("w", "save", "Save weights", id="train.save"),
        Binding("v", "show_in_view", "Open in View", id="train.view"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: Plan | None = None
        self.run: Run | None = None
        self.saved_to: Path | None = None  # the last weights file saved: saved over again unasked
        self.folder_preview: tuple | None = None  # (folder, [(class, files)], a few images of each) for the picture

    def compose_body(self) -> ComposeResult:
        yield Static(id="train-side")
        with Vertical(id="train-main"):
            yield Line(id="train-title")
            yield PictureView(id="train-picture")
            yield Line(id="train-status")

    def on_mount(self) -> None:
        for name in ("language", "color_mode"):
            self.watch(self.app, name, self.redraw, init=False)
        self.watch(self.app, "network", self.network_changed, init=False)
        self.plan = self.initial_plan()
        self.take_requested_plan()
        self.redraw()
        self.query_one("#train-picture").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.take_requested_plan()
        self.redraw()

    def on_unmount(self) -> None:
        if self.run is not None and self.run.live is not None:
            self.run.live.stop()  # the worker thread must not outlive the app

    @on(PictureView.Resized)
    def pane_resized(self) -> None:
        self.redraw()

    # -- the setup (the rest is in TrainChoices) ----------------------------------------

    def data_words(self, plan: Plan) -> str:
        """The dataset's name as titles show it: a built-in one's in the app's language, or the folder's."""
        return printable(plan.data_name) if plan.folder else self.words(plan.dataset)

    def title_words(self, which: str, plan: Plan) -> str:
        """The title "ready" or "single" (training) for ``plan``; a folder's own string, as Chinese
        puts spaces around a Latin folder name but none around a built-in set's Chinese name."""
        key = f"train.title.{which}.folder" if plan.folder else f"train.title.{which}"
        return self.app.t(key, name=plan.name, dataset=self.data_words(plan))

    def words(self, name: str) -> str:
        """A built-in dataset's or class's name in the app's language (a digit stays a digit); any other
        name (a folder's class) as it is, its control characters escaped."""
        key = f"train.name.{name}"
        return self.app.t(key) if self.app.has_text(key) else printable(name)

    @property
    def busy(self) -> bool:
        return self.run is not None and self.run.state in ACTIVE

    def refuse_while_busy(self) -> bool:
        if self.busy:
            self.app.notify(self.app.t("train.busy"), severity="warning", timeout=4)
        return self.busy

    # -- running ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The key bar shows only the keys that work now (so it fits 80 columns): no Start or Overfitting
        while a run is under way, Pause while it runs, Resume while it is paused."""
        state = self.run.state if self.run else None
        if action in ("start", "experiment"):
            return state not in ACTIVE
        if action == "pause":
            return state == "running"
        if action == "resume":
            return state == "paused"
        if action == "stop":
            return state in ("running", "paused")
        if action in ("save", "show_in_view"):
            return self.trained() is not None
        return True

    def trained(self) -> Run | None:
        """The run whose network can be saved now: a single run that is paused or over."""
        run = self.run
        return run if run is not None and run.net is not None and run.state not in ("drawing", "running") else None

    def action_start(self) -> None:
        from ...core import CnntuiError, Network
        from ...train.datasets import check_fits
        from ...core.network import MEMORY_BUDGET
        from ...train.folders import check_folder_memory, check_network, scan_folder

        plan = self.plan
        try:
            net = Network.from_dict(plan.spec)
            if plan.folder:  # checked again: the folder (or the batch size) may have changed since it was chosen
                scan = scan_folder(plan.folder)
                check_network(net, scan)
                check_folder_memory(net, scan, plan.batch, MEMORY_BUDGET)
            else:
                check_fits(net, plan.dataset)
        except CnntuiError as error:
            problems = getattr(error, "problems", [error])
            reason = "; ".join(message_text(self.app.language, problem.message) for problem in problems)
            self.app.notify(self.app.t("train.bad_network", name=plan.name, error=reason), severity="error",
                            timeout=10)
            return
        title = lambda: self.title_words("single", plan)  # noqa: E731
        self.begin(Run("single", title, plan=plan, previous=last_on_same_data(self.app.finished_runs, plan)))
        self.train_single(plan)

    def action_experiment(self) -> None:
        """Choose one of the experiments, then run it."""
        from ...train.experiment import EXPERIMENTS

        if self.refuse_while_busy():
            return
        t = self.app.t
        choices = [(name, t(f"train.experiment.choice.{name}")) for name in EXPERIMENTS]
        self.app.push_screen(ChoiceDialog(t("train.experiment.title"), choices, t("train.experiment.hint")),
                             self.run_chosen_experiment)

    def run_chosen_experiment(self, name: str | None) -> None:
        if name is None or self.refuse_while_busy():
            return
        self.begin(Run("experiment", lambda: self.app.t(experiment_title(name)), experiment=name))
        self.train_experiment(self.plan.seed, name)

    def begin(self, run: Run) -> None:
        self.run = run
        self.changed()

    def action_pause(self) -> None:
        run = self.run
        if run is not None and run.live is not None and run.state == "running":
            run.live.pause()
            run.state = "paused"
            self.changed()

    def action_resume(self) -> None:
        run = self.run
        if run is not None and run.live is not None and run.state == "paused":
            run.live.resume()
            run.state = "running"
            self.changed()

    def action_stop(self) -> None:
        run = self.run
        if run is None or run.state not in ("running", "paused"):
            return
        if run.live is not None:
            run.live.stop()
        run.state = "stopping"
        self.changed()

    def changed(self) -> None:
        if self.run is not None:
            self.run.serial += 1
        self.refresh_bindings()
        self.redraw()

    @work(thread=True, exclusive=True, group="train")
    def train_single(self, plan: Plan) -> None:
        self.guarded(self.run_single, plan)

    @work(thread=True, exclusive=True, group="train")
    def train_experiment(self, seed: int, name: str) -> None:
        self.guarded(self.run_experiment, seed, name)

    def guarded(self, body, *args) -> None:
        """Run ``body`` in the worker; any failure ends the run with a message, the app goes on."""
        from ...core import CnntuiError

        worker = get_current_worker()
        run = self.run
        try:
            body(worker, run, *args)
        except CnntuiError as error:  # e.g. a folder's class with no readable image, in the app's language
            self.from_worker(worker, self.failed, run, message_text(self.app.language, error.message))
        except (OSError, ValueError) as error:
            self.from_worker(worker, self.failed, run, str(error))
        except MemoryError:
            self.from_worker(worker, self.failed, run, self.app.t("train.no_memory"))

    def run_single(self, worker, run: Run, plan: Plan) -> None:
        from ...core import Network
        from ...train.datasets import load_dataset
        from ...train.loop import Settings, Trainer

        net = Network.from_dict(plan.spec)
        progress = lambda done, total: self.from_worker(worker, self.drawing, run, done, total)  # noqa: E731
        if plan.folder:
            from ...train.folders import read_folder, scan_folder

            folder = read_folder(scan_folder(plan.folder), net.input_shape, plan.seed, progress=progress)
            data, validation = folder.data, folder.validation
            if folder.skipped:
                self.from_worker(worker, self.tell_skipped, run, folder.skipped)
        else:
            data = load_dataset(plan.dataset, plan.samples + plan.validation, plan.seed, plan.size, progress=progress)
            validation = plan.validation
        train_set, val_set = data.split(validation)
        net.init_weights(plan.seed)
        trainer = Trainer(net, train_set, val_set, Settings(plan.epochs, plan.batch, "adam", plan.lr, seed=plan.seed))
        summary = net.summary()
        fully_connected = sum(record.params for record in summary.layers if record.type == "linear")
        self.go_live(worker, run, {"net": trainer}, {"net": Arm(plan.name, summary.total_params, fully_connected)},
                     net=net, classes=data.classes, watched=(val_set.x[0], int(val_set.y[0])))

    def run_experiment(self, worker, run: Run, seed: int, name: str) -> None:
        from ...train.experiment import make_experiment
        from ...train.loop import Trainer

        experiment = make_experiment(
            name, seed, progress=lambda done, total: self.from_worker(worker, self.drawing, run, done, total))
        trainers, arms = {}, {}
        for arm in experiment.arms:
            net = experiment.make_network(arm)
            trainers[arm.key] = Trainer(net, experiment.train_set, experiment.val_set, experiment.settings)
            records = net.summary().layers  # the body first, then the arm's head
            arms[arm.key] = Arm(f"train.arm.{arm.key}", sum(r.params for r in records),
                                sum(r.params for r in records[arm.head_from:]), translated=True)
        self.from_worker(worker, self.describe_experiment, run, len(experiment.train_set), experiment.settings.epochs)
        self.go_live(worker, run, trainers, arms, classes=experiment.train_set.classes,
                     checkpoints=1)  # one point an epoch: each costs a validation pass

    def go_live(self, worker, run: Run, trainers: dict, arms: dict, *, net=None, classes=(), watched=None,
                checkpoints: int = 4) -> None:
        """Train ``trainers`` in this worker, reporting their points and progress to the screen, then the outcome."""
        from ...train.live import LiveRun

        live = LiveRun(trainers, lambda point: self.from_worker(worker, self.point_arrived, run, point),
                       on_progress=lambda progress: self.from_worker(worker, self.progressed, run, progress),
                       checkpoints=checkpoints, watched=None if watched is None else watched[0],
                       cancelled=lambda: worker.is_cancelled)
        self.from_worker(worker, self.started, run, live, arms, net, list(classes), watched)
        self.from_worker(worker, self.finished, run, live.run())

    def from_worker(self, worker, callback, *args) -> None:
        if not worker.is_cancelled:
            self.app.call_from_thread(callback, *args)

    # -- what the worker reports (in the UI thread) ----------------------------------------------

    def current(self, run: Run) -> bool:
        return run is self.run

    def drawing(self, run: Run, done: int, total: int) -> None:
        if self.current(run):
            run.drawn = (done, total)
            self.changed()

    def tell_skipped(self, run: Run, skipped: list) -> None:
        """The files of the folder that could not be read: how many, and the first few by name."""
        from ...train.folders import SKIPPED_NAMED

        if self.current(run):
            names = ", ".join(printable(name) for name, _ in skipped[:SKIPPED_NAMED])
            more = len(skipped) - SKIPPED_NAMED
            self.app.notify(self.app.t("train.folder.skipped", count=len(skipped), names=names)
                            + (self.app.t("train.folder.skipped.more", count=more) if more > 0 else ""),
                            severity="warning", timeout=10)

    @work(thread=True, exclusive=True, group="preview")
    def read_preview(self, scan, shape) -> None:
        """A few images of each class of the folder just chosen, decoded in a worker (photos take a while)."""
        from ...core import CnntuiError
        from ...train.folders import preview

        worker = get_current_worker()
        try:
            images = preview(scan, shape, PREVIEW_PER_CLASS)
        except (CnntuiError, OSError, ValueError, MemoryError):
            return  # the preview is only a look; the run itself reports what is wrong
        classes = [(name, len(files)) for name, files in zip(scan.classes, scan.files)]
        self.from_worker(worker, self.preview_read, str(scan.root), classes, images)

    def preview_read(self, folder: str, classes: list, images: list) -> None:
        import os

        if self.plan.folder == os.path.abspath(folder):
            self.folder_preview = (self.plan.folder, classes, images)
            self.redraw()

    def started(self, run: Run, live, arms, net, classes, watched) -> None:
        if not self.current(run):
            live.stop()
            return
        run.live, run.arms, run.net, run.classes, run.watched = live, arms, net, classes, watched
        run.points = {key: [] for key in arms}
        run.epochs = max(trainer.settings.epochs for trainer in live.trainers.values())
        run.state = "running"
        self.changed()

    def describe_experiment(self, run: Run, train: int, epochs: int) -> None:
        if self.current(run):
            run.title = lambda: self.app.t(experiment_title(run.experiment) + ".sizes", train=train, epochs=epochs)
            self.changed()

    def point_arrived(self, run: Run, point) -> None:
        if self.current(run):
            run.points[point.arm].append(point)
            self.check_guessing(run, point.arm)
            self.changed()

    def check_guessing(self, run: Run, arm: str) -> None:
        """When an arm's loss sits at chance for a whole epoch after the first (every network starts at
        chance, and the experiment's heads often leave it only in their second epoch), say what to try:
        a note that stays while the loss does and, for a single run, a notification once a run (in an
        experiment a slow start is part of what it shows, and a notification would hide its verdict)."""
        from ...train.live import guessing_epoch

        last = run.points[arm][-1]
        if last.x < 2 or last.x != int(last.x):
            return
        epoch = guessing_epoch(run.points[arm], len(run.classes))
        if epoch is None:
            run.guessing.pop(arm, None)
        elif arm not in run.guessing:
            run.guessing[arm] = epoch
            if arm not in run.warned and run.kind == "single":
                run.warned.add(arm)
                self.app.notify(guessing_text(self.app.t, run, arm), severity="warning", timeout=12)

    def progressed(self, run: Run, progress) -> None:
        if self.current(run):
            run.progress = progress
            self.update_side()
            self.update_status()

    def finished(self, run: Run, completed: bool) -> None:
        if self.current(run):
            run.state = "done" if completed else "stopped"
            self.remember(run)
            self.changed()
            self.app.notify(self.app.t(f"train.{run.state}"), timeout=4)

    def remember(self, run: Run) -> None:
        """Keep a single run that finished an epoch or more, for the next run's comparison and the quiz's tasks."""
        record = run_record(run) if run.kind == "single" else None
        if record and record["epochs_done"]:
            self.app.finished_runs.append(record)

    def failed(self, run: Run, reason: str) -> None:
        if self.current(run):
            run.state = "failed"
            self.changed()
            self.app.notify(self.app.t("train.failed", reason=reason), severity="error", timeout=10)

    # -- drawing -------------------------------------------------------------------------------------

    def redraw(self, *_) -> None:
        if not self.is_mounted or self.plan is None:
            return
        self.update_side()
        self.update_status()
        run = self.run
        title = self.query_one("#train-title", Line)
        title.content = run.title() if run else self.title_words("ready", self.plan)
        picture = self.query_one("#train-picture", PictureView)
        width, height = picture.size.width - 2, picture.size.height  # a column for the scroll bar, one spare
        key = (id(run), run.serial if run else 0, self.app.color_mode, self.app.ascii_only, self.app.language,
               width, height, self.plan.folder, id(self.folder_preview))
        if key != picture.key and width > 10:
            picture.show(key, self.picture_rows(width, max(height, 12)))

    def update_side(self) -> None:
        show_if_changed(self.query_one("#train-side", Static), self.side_content())

    def update_status(self) -> None:
        self.query_one("#train-status", Line).content = self.status_text()

    def side_content(self) -> Content:
        app, run = self.app, self.run
        setup = setup_lines(self.plan, app.t, self.words)
        if run is None:
            lines = [*setup, "", app.t("train.side.idle")]
        else:
            side = self.query_one("#train-side")
            height = side.size.height or app.terminal_size.height - 2
            lines = fitted(setup, run, app.t, app.ascii_only, height)
        return Content.assemble(*[part for line in lines for part in (line, "\n")][:-1])

    def status_text(self) -> str:
        t, run = self.app.t, self.run
        if run is None:
            return t("train.status.ready")
        if run.kind == "experiment" and run.state == "done":
            return t("train.status.done.experiment")
        return t(f"train.status.{run.state}")

    def picture_rows(self, width: int, height: int) -> list:
        app = self.app
        if self.run is None:
            preview = self.folder_preview
            if self.plan.folder and preview is not None and preview[0] == self.plan.folder:
                return folder_rows(app.t, *preview, width, height, app.color_mode, app.ascii_only)
            return RunPicture.text_rows(app.t("train.intro"), width)
        return RunPicture(self.run, app.t, self.words, app.ascii_only, app.color_mode,
                          self.run.previous).rows(width, height)
