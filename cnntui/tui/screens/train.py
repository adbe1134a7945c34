"""Train mode: watch a CNN learn, and watch a big fully connected head overfit.

The left side holds the setup (network, dataset, samples, epochs, learning
rate) and the run's figures; the right side draws loss and accuracy for the
training and validation data as they come, the first layer's kernels and one
sample's feature maps. Training runs in a thread worker (``LiveRun``) that the
keys pause, resume and stop; the UI only ever gets copies of the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static
from textual.worker import get_current_worker

from ...content import message_text
from ...render.text import fit_cells
from ..state import CurrentNetwork, read_network
from ..widgets.chrome import Line, show_if_changed
from ..widgets.picture import PictureView
from .base import ModeScreen
from .dialogs import ChoiceDialog, PromptDialog

TRAIN_STYLE, VAL_STYLE = "#5f87d7", "#ffaf5f"  # the theme's primary and accent: distinct in 16 colours too
DEFAULT_NETWORK = "lenet5"
VALIDATION_SHARE = 4  # one validation sample per four training samples...
VALIDATION_MAX = 500  # ...up to this many: enough for a steady curve, cheap to score four times an epoch
LIMITS = {"samples": (100, 20000), "epochs": (1, 50), "lr": (1e-5, 1.0)}
ACTIVE = ("drawing", "running", "paused", "stopping")
STACK_BELOW = 56  # picture columns under which a run's two charts go one above the other
COLUMNS_BELOW = 40  # ...and under which the experiment's two heads do (each column then has its own charts)


@dataclass(frozen=True)
class Plan:
    """One training run as set up on the left."""

    source: str  # a preset name, or "" for the app's current (edited) network
    name: str
    spec: dict = field(compare=False)
    dataset: str = "digits"
    size: int = 32
    samples: int = 2000
    epochs: int = 5
    batch: int = 32
    lr: float = 2e-3
    seed: int = 0

    @property
    def validation(self) -> int:
        return min(VALIDATION_MAX, max(50, self.samples // VALIDATION_SHARE))


@dataclass
class Arm:
    label: str
    params: int
    head_params: int = 0


@dataclass
class Run:
    kind: str  # "single" or "experiment"
    title: str
    plan: Plan | None = None  # a single run's setup (the setup on the left may change after it)
    state: str = "drawing"  # drawing, running, paused, stopping, stopped, done, failed
    arms: dict[str, Arm] = field(default_factory=dict)
    points: dict[str, list] = field(default_factory=dict)
    progress: object = None  # the latest live.Progress
    drawn: tuple[int, int] = (0, 0)  # samples drawn so far, of how many
    live: object = None  # the LiveRun, to pause and stop it
    net: object = None  # the single run's network, for saving
    classes: list[str] = field(default_factory=list)
    watched: object = None  # (image, label) looked inside as it learns
    epochs: int = 1  # the x axis of the curves
    serial: int = 0  # counts updates, so the picture is rebuilt only when something changed

    def last(self, arm: str):
        points = self.points.get(arm)
        return points[-1] if points else None


def dataset_options(spec: dict) -> list[tuple[str, int]]:
    """The built-in datasets (name, size) whose samples fit the network's input."""
    from ...train.datasets import CHANNELS, NAMES, SIZES

    shape = spec.get("input")
    return [(name, size) for name in NAMES for size in SIZES[name] if shape == [CHANNELS[name], size, size]]


def percent(value: float) -> str:
    return f"{value:.1%}"


class TrainScreen(ModeScreen):
    mode_name = "train"
    BINDINGS = [
        Binding("enter", "start", "Start", id="train.start"),
        Binding("space", "pause", "Pause", id="train.pause"),
        Binding("x", "stop", "Stop", id="train.stop"),
        Binding("o", "experiment", "Overfitting", id="train.experiment"),
        Binding("n", "choose_network", "Network", id="train.network"),
        Binding("d", "choose_dataset", "Dataset", show=False, id="train.dataset"),
        Binding("s", "ask('samples')", "Samples", show=False, id="train.samples"),
        Binding("e", "ask('epochs')", "Epochs", show=False, id="train.epochs"),
        Binding("r", "ask('lr')", "Learning rate", show=False, id="train.lr"),
        Binding("w", "save", "Save weights", show=False, id="train.save"),
        Binding("v", "show_in_view", "Open in View", id="train.view"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: Plan | None = None
        self.run: Run | None = None

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
        self.redraw()
        self.query_one("#train-picture").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.redraw()

    def on_unmount(self) -> None:
        if self.run is not None and self.run.live is not None:
            self.run.live.stop()  # the worker thread must not outlive the app

    @on(PictureView.Resized)
    def pane_resized(self) -> None:
        self.redraw()

    # -- the setup -------------------------------------------------------------------------

    def initial_plan(self) -> Plan:
        """The app's current network when a built-in dataset fits it, else LeNet-5 on digits."""
        if dataset_options(self.app.network.spec):
            return self.plan_for_current()
        return self.plan_for(DEFAULT_NETWORK, DEFAULT_NETWORK, read_network(DEFAULT_NETWORK).spec)

    def plan_for_current(self) -> Plan:
        network = self.app.network
        source = network.source if network.source in self.app.preset_names() else ""
        return self.plan_for(source, network.name, network.spec)

    def plan_for(self, source: str, name: str, spec: dict) -> Plan:
        """The network to train, on the first dataset that fits it; samples, epochs and rate stay."""
        dataset, size = dataset_options(spec)[0]
        return replace(self.plan or Plan(source, name, spec), source=source, name=name, spec=spec,
                       dataset=dataset, size=size)

    def network_changed(self, *_) -> None:
        """An edit in Build (or a preset loaded) becomes the network to train, when a dataset fits it."""
        if self.busy or not dataset_options(self.app.network.spec):
            return
        self.plan = self.plan_for_current()
        self.redraw()

    @property
    def busy(self) -> bool:
        return self.run is not None and self.run.state in ACTIVE

    def refuse_while_busy(self) -> bool:
        if self.busy:
            self.app.notify(self.app.t("train.busy"), severity="warning", timeout=4)
        return self.busy

    def action_choose_network(self) -> None:
        if self.refuse_while_busy():
            return
        t = self.app.t
        choices = []
        current = self.app.network
        if current.source not in self.app.preset_names() and dataset_options(current.spec):
            choices.append(("", t("train.network.current", name=current.name)))
        for preset in self.app.preset_names():
            spec = read_network(preset).spec
            options = dataset_options(spec)
            if options:
                fits = ", ".join(f"{name} {size}x{size}" for name, size in options)
                choices.append((preset, t("train.network.preset", name=preset, fits=fits)))

        def chosen(source: str | None) -> None:
            if source is None:
                return
            network = read_network(source) if source else self.app.network
            self.plan = self.plan_for(source, network.name, network.spec)
            self.redraw()

        self.app.push_screen(ChoiceDialog(t("train.network.title"), choices, t("train.network.hint")), chosen)

    def action_choose_dataset(self) -> None:
        if self.refuse_while_busy():
            return
        options = dataset_options(self.plan.spec)
        if len(options) < 2:
            name, size = options[0]
            self.app.notify(self.app.t("train.dataset.only", network=self.plan.name, dataset=name, size=size),
                            timeout=5)
            return
        index = options.index((self.plan.dataset, self.plan.size))
        dataset, size = options[(index + 1) % len(options)]
        self.plan = replace(self.plan, dataset=dataset, size=size)
        self.redraw()

    def action_ask(self, setting: str) -> None:
        if self.refuse_while_busy():
            return
        t = self.app.t
        low, high = LIMITS[setting]
        value = getattr(self.plan, setting)

        def check(text: str) -> str | None:
            try:
                number = float(text) if setting == "lr" else int(text.replace(",", "").strip())
            except ValueError:
                return t(f"train.ask.{setting}.bad", text=text.strip())
            if not low <= number <= high:
                return t(f"train.ask.{setting}.range", low=low, high=high)
            return None

        def chosen(text: str | None) -> None:
            if text is None:
                return
            number = float(text) if setting == "lr" else int(text.replace(",", "").strip())
            self.plan = replace(self.plan, **{setting: number})
            self.redraw()

        self.app.push_screen(PromptDialog(t(f"train.ask.{setting}"), f"{value:g}" if setting == "lr" else str(value),
                                          t(f"train.ask.{setting}.hint", low=low, high=high), check), chosen)

    # -- running ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        state = self.run.state if self.run else None
        if action == "start":
            return state not in ("drawing", "running", "stopping")
        if action in ("pause", "stop"):
            return state in ("running", "paused")
        if action in ("save", "show_in_view"):
            return self.trained() is not None
        return True

    def trained(self) -> Run | None:
        """The run whose network can be saved now: a single run that is paused or over."""
        run = self.run
        return run if run is not None and run.net is not None and run.state not in ("drawing", "running") else None

    def action_start(self) -> None:
        if self.run is not None and self.run.state == "paused":
            self.action_pause()
            return
        from ...core import CnntuiError, Network
        from ...train.datasets import check_fits

        plan = self.plan
        try:
            check_fits(Network.from_dict(plan.spec), plan.dataset)
        except CnntuiError as error:
            problems = getattr(error, "problems", [error])
            reason = "; ".join(message_text(self.app.language, problem.message) for problem in problems)
            self.app.notify(self.app.t("train.bad_network", name=plan.name, error=reason), severity="error",
                            timeout=10)
            return
        self.begin(Run("single", self.app.t("train.title.single", name=plan.name, dataset=plan.dataset), plan=plan))
        self.train_single(plan)

    def action_experiment(self) -> None:
        if self.refuse_while_busy():
            return
        self.begin(Run("experiment", self.app.t("train.title.experiment")))
        self.train_experiment(self.plan.seed)

    def begin(self, run: Run) -> None:
        self.run = run
        self.changed()

    def action_pause(self) -> None:
        run = self.run
        if run is None or run.live is None or run.state not in ("running", "paused"):
            return
        if run.state == "running":
            run.live.pause()
            run.state = "paused"
        else:
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
    def train_experiment(self, seed: int) -> None:
        self.guarded(self.run_experiment, seed)

    def guarded(self, body, *args) -> None:
        """Run ``body`` in the worker; any failure ends the run with a message, the app goes on."""
        from ...core import CnntuiError

        worker = get_current_worker()
        run = self.run
        try:
            body(worker, run, *args)
        except (CnntuiError, OSError, ValueError) as error:
            self.from_worker(worker, self.failed, run, str(error))
        except MemoryError:
            self.from_worker(worker, self.failed, run, self.app.t("train.no_memory"))

    def run_single(self, worker, run: Run, plan: Plan) -> None:
        from ...core import Network
        from ...train.datasets import load_dataset
        from ...train.loop import Settings, Trainer

        data = load_dataset(plan.dataset, plan.samples + plan.validation, plan.seed, plan.size,
                            progress=lambda done, total: self.from_worker(worker, self.drawing, run, done, total))
        train_set, val_set = data.split(plan.validation)
        net = Network.from_dict(plan.spec)
        net.init_weights(plan.seed)
        trainer = Trainer(net, train_set, val_set, Settings(plan.epochs, plan.batch, "adam", plan.lr, seed=plan.seed))
        self.go_live(worker, run, {"net": trainer}, {"net": Arm(plan.name, net.summary().total_params)}, net=net,
                     classes=data.classes, watched=(val_set.x[0], int(val_set.y[0])))

    def run_experiment(self, worker, run: Run, seed: int) -> None:
        from ...train.experiment import BODY, overfitting_experiment
        from ...train.loop import Trainer

        experiment = overfitting_experiment(
            seed, progress=lambda done, total: self.from_worker(worker, self.drawing, run, done, total))
        trainers, arms = {}, {}
        for arm in experiment.arms:
            net = experiment.make_network(arm)
            trainers[arm.key] = Trainer(net, experiment.train_set, experiment.val_set, experiment.settings)
            records = net.summary().layers  # the shared body first, then the arm's head
            arms[arm.key] = Arm(self.app.t(f"train.arm.{arm.key}"), sum(r.params for r in records),
                                sum(r.params for r in records[len(BODY):]))
        self.from_worker(worker, self.describe_experiment, run, len(experiment.train_set), experiment.settings.epochs)
        self.go_live(worker, run, trainers, arms, checkpoints=1)  # one point an epoch: each costs a validation pass

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
            run.title = self.app.t("train.title.experiment.sizes", train=train, epochs=epochs)
            self.changed()

    def point_arrived(self, run: Run, point) -> None:
        if self.current(run):
            run.points[point.arm].append(point)
            self.changed()

    def progressed(self, run: Run, progress) -> None:
        if self.current(run):
            run.progress = progress
            self.update_side()
            self.update_status()

    def finished(self, run: Run, completed: bool) -> None:
        if self.current(run):
            run.state = "done" if completed else "stopped"
            self.changed()
            self.app.notify(self.app.t(f"train.{run.state}"), timeout=4)

    def failed(self, run: Run, reason: str) -> None:
        if self.current(run):
            run.state = "failed"
            self.changed()
            self.app.notify(self.app.t("train.failed", reason=reason), severity="error", timeout=10)

    # -- saving ------------------------------------------------------------------------------------

    def action_save(self) -> None:
        run = self.trained()
        if run is None:
            return
        t = self.app.t
        default = f"{run.plan.name}-{run.plan.dataset}.npz"

        def check(text: str) -> str | None:
            return None if text.strip().endswith(".npz") else t("train.save.bad", text=text.strip())

        def chosen(text: str | None) -> None:
            if text is not None:
                self.save_to(Path(text.strip()).expanduser())

        self.app.push_screen(PromptDialog(t("train.save.title"), default, t("train.save.hint"), check), chosen)

    def save_to(self, path: Path) -> bool:
        try:
            self.run.net.save_weights(path)
        except OSError as error:
            self.app.notify(self.app.t("train.save.failed", path=str(path), reason=error.strerror or error),
                            severity="error", timeout=8)
            return False
        self.app.notify(self.app.t("train.save.done", path=str(path)), timeout=5)
        return True

    def action_show_in_view(self) -> None:
        """Open the trained network in View, with these weights (kept in the user's data folder)."""
        from platformdirs import user_data_path

        run = self.trained()
        if run is None:
            return
        plan = run.plan
        path = user_data_path("cnntui") / "trained" / f"{plan.name}-{plan.dataset}.npz"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.app.notify(self.app.t("train.save.failed", path=str(path.parent), reason=error.strerror or error),
                            severity="error", timeout=8)
            return
        if not self.save_to(path):
            return
        if plan.source:
            self.app.load_network(plan.source, quiet=True)
        elif self.app.network.spec is not plan.spec:  # edited in Build since: View shows what was trained
            self.app.network = CurrentNetwork(plan.name, plan.spec, "")
        self.app.trained_weights = (id(self.app.network.spec), str(path))
        self.app.switch_mode("view")

    # -- drawing -------------------------------------------------------------------------------------

    def redraw(self, *_) -> None:
        if not self.is_mounted or self.plan is None:
            return
        self.update_side()
        self.update_status()
        run = self.run
        title = self.query_one("#train-title", Line)
        title.content = run.title if run else self.app.t("train.title.ready", name=self.plan.name,
                                                          dataset=self.plan.dataset)
        picture = self.query_one("#train-picture", PictureView)
        width, height = picture.size.width - 2, picture.size.height  # a column for the scroll bar, one spare
        key = (id(run), run.serial if run else 0, self.app.color_mode, self.app.ascii_only, self.app.language,
               width, height)
        if key != picture.key and width > 10:
            picture.show(key, self.picture_rows(width, max(height, 12)))

    def update_side(self) -> None:
        show_if_changed(self.query_one("#train-side", Static), self.side_content())

    def update_status(self) -> None:
        self.query_one("#train-status", Line).content = self.status_text()

    def side_content(self) -> Content:
        from ...train.datasets import CHANNELS

        t, plan, run = self.app.t, self.plan, self.run
        channels = CHANNELS[plan.dataset]
        rows = [
            (t("train.side.network"), plan.name, "n"),
            (t("train.side.dataset"), f"{plan.dataset} {channels}x{plan.size}x{plan.size}", "d"),
            (t("train.side.samples"), t("train.side.samples.value", train=f"{plan.samples:,}",
                                         validation=f"{plan.validation:,}"), "s"),
            (t("train.side.epochs"), str(plan.epochs), "e"),
            (t("train.side.lr"), f"Adam {plan.lr:g}", "r"),
            (t("train.side.batch"), str(plan.batch), ""),
        ]
        lines = [(t("train.side.setup"), "bold $accent")]
        for label, value, key in rows:
            lines.append(fit_cells(label, 9) + fit_cells(value, 18) + key)
        lines.append("")
        lines += self.run_lines() if run else [t("train.side.idle")]
        return Content.assemble(*[part for line in lines for part in (line, "\n")][:-1])

    def run_lines(self) -> list:
        t, run = self.app.t, self.run
        lines: list = [(t(f"train.state.{run.state}"), "bold")]
        progress = run.progress
        if run.state == "drawing":
            done, total = run.drawn
            lines.append(t("train.side.drawing", done=f"{done:,}", total=f"{total:,}"))
        elif progress is not None:
            lines.append(t("train.side.epoch", epoch=progress.epoch, epochs=progress.epochs,
                           batch=progress.batch, batches=progress.batches))
            lines.append(self.bar(progress, 22))
            lines.append(t("train.side.time", seconds=f"{progress.seconds:.0f}"))
        for key, arm in run.arms.items():
            point = run.last(key)
            if run.kind == "experiment":
                lines.append("")
                lines.append((arm.label, "bold"))
                lines.append(t("train.side.params.head", total=f"{arm.params:,}", head=f"{arm.head_params:,}"))
            else:
                lines.append(t("train.side.params", total=f"{arm.params:,}"))
            if point is not None:
                for label, train, val in (("", t("train.train"), t("train.val")),
                                          (t("train.loss"), f"{point.train_loss:.3f}", f"{point.val_loss:.3f}"),
                                          (t("train.accuracy"), percent(point.train_accuracy),
                                           percent(point.val_accuracy))):
                    lines.append(fit_cells(label, 9) + fit_cells(train, 8, ">") + " " + fit_cells(val, 8, ">"))
        return lines

    def bar(self, progress, width: int) -> str:
        """How far the whole run has got, as a bar of ``width`` cells."""
        done = ((progress.epoch - 1) * progress.batches + progress.batch) / (progress.epochs * progress.batches)
        fill = round(done * width)
        full, empty = ("#", "-") if self.app.ascii_only else ("█", "░")
        return full * fill + empty * (width - fill) + f" {done:.0%}"

    def status_text(self) -> str:
        t, run = self.app.t, self.run
        if run is None:
            return t("train.status.ready")
        if run.kind == "experiment" and run.state == "done":
            return t("train.status.done.experiment")
        return t(f"train.status.{run.state}")

    def picture_rows(self, width: int, height: int) -> list:

        run = self.run
        if run is None:
            return self.text_rows(self.app.t("train.intro"), width)
        if run.kind == "experiment":
            return self.experiment_rows(width, height)
        return self.single_rows(width, height)

    @staticmethod
    def text_rows(text: str, width: int, style: str = "") -> list:
        from ...render.picture import Label
        from ...render.text import wrap_text

        return [[Label(line, style)] for line in wrap_text(text, max(width, 20))]

    def charts(self, points: list, width: int, height: int, shared: list | None = None) -> list[list]:
        """Two blocks of rows: loss, then accuracy, each for training and validation data. The loss
        axis reaches the highest loss in ``shared`` (default: ``points``), so columns compare."""
        from ...render.picture import Label
        from ...render.plot import Series, chart_rows

        t = self.app.t
        losses = [y for p in (shared or points) for y in (p.train_loss, p.val_loss) if math.isfinite(y)]
        ranges = {"loss": (0.0, max(0.1, math.ceil(max(losses, default=1.0) * 10) / 10)), "accuracy": (0.0, 1.0)}
        blocks = []
        for metric, y_format in (("loss", "{:.2g}"), ("accuracy", "{:.0%}")):
            train = [(p.x, getattr(p, f"train_{metric}")) for p in points]
            val = [(p.x, getattr(p, f"val_{metric}")) for p in points]
            y_range = ranges[metric]
            rows = chart_rows([Series(train, TRAIN_STYLE, "*"), Series(val, VAL_STYLE, "o")], width=width,
                              height=height, x_max=self.run.epochs, y_range=y_range,
                              ascii_only=self.app.ascii_only, y_format=y_format, x_label=t("train.epochs"))
            blocks.append([[Label(t(f"train.chart.{metric}"), "bold")], *rows])
        return blocks

    def legend(self, width: int) -> list:
        """What the two colours (or, with --ascii, the two marks) mean: one row, or two if narrow."""
        from ...render.picture import Label, row_width

        marks = ("*", "o") if self.app.ascii_only else ("━━", "━━")
        train = [Label(marks[0], TRAIN_STYLE), Label(f" {self.app.t('train.legend.train')}")]
        val = [Label(marks[1], VAL_STYLE), Label(f" {self.app.t('train.legend.val')}")]
        if row_width(train) + 2 + row_width(val) <= width:
            return [[*train, Label("  "), *val]]
        return [train, val]

    def single_rows(self, width: int, height: int) -> list:
        from ...render.picture import side_by_side

        run = self.run
        points = run.points.get("net", [])
        chart_height = max(4, min(12, (height - 14) // 1 if height < 30 else height // 3))
        if width >= STACK_BELOW:
            charts = side_by_side(self.charts(points, (width - 2) // 2, chart_height))
        else:  # too narrow for two charts side by side: loss above accuracy
            charts = [row for block in self.charts(points, width, chart_height) for row in block]
        rows = [*charts, *self.legend(width), []]
        if points and points[-1].kernels is not None:
            rows += self.inside_rows(points[-1], width)
        elif points:
            rows += self.text_rows(self.app.t("train.no_conv"), width, "dim")
        return rows

    def inside_rows(self, point, width: int) -> list:
        """The first layer's kernels and the watched sample's maps, as they are now."""
        from ...render.colormap import palette
        from ...render.picture import (
            Label,
            Scale,
            grid_rows,
            map_rows,
            rgb_rows,
            side_by_side,
        )

        t, mode = self.app.t, self.app.color_mode
        ramp = self.app.ascii_only or mode == "none"
        kernels = point.kernels
        count, channels, size, _ = kernels.shape
        heading = t("train.kernels", epoch=f"{point.x:.3g}", count=count, shape=f"{channels}x{size}x{size}")
        rows = self.text_rows(heading, width, "bold")
        thumb = size * max(1, min(3, ((width + 1) // count - 1) // size))  # whole-number enlargement
        if channels == 3 and not ramp:
            low, high = float(kernels.min()), float(kernels.max())
            scaled = (kernels - low) / ((high - low) or 1.0)
            blocks = [rgb_rows(k, mode, columns=thumb, rows=max(1, thumb // 2)) for k in scaled]
            rows += side_by_side(blocks, 1)
        else:
            diverging = palette("diverging", mode)
            first = kernels[:, 0]
            scale = Scale.of(first, diverging=True)
            rows += grid_rows(first, [scale] * count, diverging, columns=width, thumb=thumb, ramp=ramp)
        image, label = self.run.watched
        probabilities = point.probabilities
        guess = int(probabilities.argmax())
        rows.append([])
        guessed = self.run.classes[guess] if guess < len(self.run.classes) else str(guess)
        rows += self.text_rows(t("train.sample", label=self.run.classes[label], guess=guessed,
                                 share=percent(float(probabilities[guess]))), width, "bold")
        maps = point.maps
        grey = palette("grey", mode)
        map_thumb = max(8, min(maps.shape[2], (width + 1) // (len(maps) + 1) - 1))
        picture = image if image.shape[0] == 1 else image.mean(axis=0, keepdims=True)
        cells, _ = map_rows(picture[0], Scale.of(picture[0]), grey, columns=map_thumb,
                            rows=max(1, map_thumb // 2), ramp=ramp)
        maps_scale = Scale.of(maps)
        grid = grid_rows(maps, [maps_scale] * len(maps), grey, columns=max(width - map_thumb - 1, map_thumb),
                         thumb=map_thumb, ramp=ramp)
        rows += side_by_side([[[Label(t("train.input"))], *cells], grid], 1)
        return rows

    def experiment_rows(self, width: int, height: int) -> list:
        """Each head in one column: its loss above its accuracy, so the two gaps can be compared."""
        from ...render.picture import side_by_side

        t, run = self.app.t, self.run
        chart_height = max(4, min(10, (height - 9) // 2))
        column = (width - 3) // 2 if width >= COLUMNS_BELOW else width
        columns = []
        every_point = [point for points in run.points.values() for point in points]
        for key, arm in run.arms.items():
            loss, accuracy = self.charts(run.points.get(key, []), column, chart_height, every_point)
            title = self.text_rows(t("train.arm.title", label=arm.label, head=f"{arm.head_params:,}"), column, "bold")
            columns.append((title, [*loss, *accuracy]))
        # a title that wraps must not push its charts below the other column's
        title_rows = max((len(title) for title, _ in columns), default=0)
        columns = [[*title, *[[]] * (title_rows - len(title)), *charts] for title, charts in columns]
        charts = side_by_side(columns, 3) if width >= COLUMNS_BELOW else [row for block in columns for row in block]
        rows = [*charts, *self.legend(width), []]
        text = self.verdict() if run.state == "done" else t("train.experiment.explain")
        return rows + self.text_rows(text, width)

    def verdict(self) -> str:
        """What the finished experiment showed, in numbers: each head's last accuracies and their gap."""
        t, run = self.app.t, self.run
        lines = []
        for key, arm in run.arms.items():
            point = run.last(key)
            gap = (point.train_accuracy - point.val_accuracy) * 100
            lines.append(t("train.verdict.arm", label=arm.label, train=percent(point.train_accuracy),
                           val=percent(point.val_accuracy), gap=f"{gap:.0f}"))
        return "\n".join([*lines, t("train.verdict.read")])
