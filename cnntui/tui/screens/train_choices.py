"""Train mode's choices: the network, the dataset and the numbers to train with, and saving the trained
weights (to a typed path, or for View).

A mixin for TrainScreen, which gives it ``plan``, ``run``, ``saved_to`` (the last weights file saved),
``busy``, ``words()``, ``refuse_while_busy()``, ``trained()`` and ``redraw()``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from ..state import CurrentNetwork, read_network
from .dialogs import ChoiceDialog, PromptDialog
from .saving import file_stem, write_checked
from .train_run import Plan, dataset_options, save_trained

DEFAULT_NETWORK = "lenet5"
LIMITS = {"samples": (100, 20000), "epochs": (1, 50), "lr": (1e-5, 1.0)}


class TrainChoices:
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
                       dataset=dataset, size=size, folder="", folder_images=0)

    def take_requested_plan(self) -> None:
        """A hands-on task's setup (app.requested_plan, e.g. 2 epochs) for the app's current network, which
        the task has just loaded, or once the task is over the student's own values (app.plan_to_restore);
        while a run is under way it waits for the next visit."""
        request, restore = self.app.requested_plan, self.app.plan_to_restore
        if (request is None and restore is None) or self.refuse_while_busy() \
                or not dataset_options(self.app.network.spec):
            return
        self.app.requested_plan = self.app.plan_to_restore = None
        current = self.plan_for_current()
        if request is not None and self.app.plan_before_task is None:
            self.app.plan_before_task = {name: getattr(current, name) for name in request}
        self.plan = replace(current, **(request or restore))

    def network_changed(self, *_) -> None:
        """An edit in Build (or a preset loaded) becomes the network to train, when a dataset fits it."""
        if self.busy or not dataset_options(self.app.network.spec):
            return
        self.plan = self.plan_for_current()
        self.redraw()

    def action_explain_optimizer(self) -> None:
        """Adam, the optimiser every run uses, is explained in Learn (training goes on meanwhile)."""
        self.app.open_concept("optimizer")

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
                fits = ", ".join(f"{self.words(name)} {size}x{size}" for name, size in options)
                choices.append((preset, t("train.network.preset", name=preset, fits=fits)))

        def chosen(source: str | None) -> None:
            if source is None:
                return
            network = read_network(source) if source else self.app.network
            self.plan = self.plan_for(source, network.name, network.spec)
            self.redraw()
            if source:
                self.tell_recipe(source)

        self.app.push_screen(ChoiceDialog(t("train.network.title"), choices, t("train.network.hint")), chosen)

    def tell_recipe(self, preset: str) -> None:
        """When a preset ships weights that cnntui train made with more epochs or samples than are set now
        (minires: 8 epochs on 8,000 shapes), say how they were made, so a weaker result here is no surprise."""
        from ...core import CnntuiError, Network
        from ...train.record import weights_record

        try:
            shipped = Network.load(preset).shipped_weights
        except (CnntuiError, OSError):
            return
        record = weights_record(shipped) if shipped is not None else None
        if not readable_recipe(record):
            return
        plan = self.plan
        longer = record["epochs"] > plan.epochs or record["train_samples"] > plan.samples
        if record["dataset"] != plan.dataset or not longer:
            return
        self.app.notify(self.app.t("train.recipe", name=plan.name, epochs=record["epochs"],
                                   samples=f"{record['train_samples']:,}", lr=f"{record['lr']:g}",
                                   batch=record["batch"], accuracy=f"{record['validation_accuracy']:.1%}",
                                   now_epochs=plan.epochs, now_samples=f"{plan.samples:,}"), timeout=15)

    def action_choose_dataset(self) -> None:
        """The built-in datasets that fit the network, or a folder of images."""
        if self.refuse_while_busy():
            return
        t = self.app.t
        channels = self.plan.spec["input"][0]
        choices = [(f"{name}:{size}", t("train.dataset.builtin", dataset=self.words(name),
                                        shape=f"{channels}x{size}x{size}"))
                   for name, size in dataset_options(self.plan.spec)]
        choices.append(("folder", t("train.dataset.folder")))

        def chosen(key: str | None) -> None:
            if key == "folder":
                self.ask_folder()
            elif key is not None:
                name, size = key.split(":")
                self.plan = replace(self.plan, dataset=name, size=int(size), folder="", folder_images=0)
                self.redraw()

        self.app.push_screen(ChoiceDialog(t("train.dataset.title"), choices, t("train.dataset.hint")), chosen)

    def ask_folder(self) -> None:
        def chosen(text: str | None) -> None:
            if text is not None and text.strip():
                self.take_folder(text.strip())

        t = self.app.t
        self.app.push_screen(PromptDialog(t("train.folder.title"), self.plan.folder, t("train.folder.hint")), chosen)

    def take_folder(self, text: str) -> None:
        """Train on the folder ``text`` if it is one the network can learn (else say why, and keep the
        setup), and show a few of its images."""
        import os

        from ...content import message_text
        from ...core import CnntuiError, Network
        from ...core.network import MEMORY_BUDGET
        from ...train.folders import check_folder_memory, check_network, scan_folder

        try:
            net = Network.from_dict(self.plan.spec)
            scan = scan_folder(text)
            check_network(net, scan)
            check_folder_memory(net, scan, self.plan.batch, MEMORY_BUDGET)
        except CnntuiError as error:
            self.app.notify(self.app.t("train.folder.bad", error=message_text(self.app.language, error.message)),
                            severity="error", timeout=10)
            return
        self.plan = replace(self.plan, dataset="folder", folder=os.path.abspath(scan.root),
                            size=net.input_shape[1], folder_images=scan.total)
        self.folder_preview = None
        self.redraw()
        self.read_preview(scan, net.input_shape)

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

    # -- saving ------------------------------------------------------------------------------------

    def action_save(self) -> None:
        run = self.trained()
        if run is None:
            return
        t = self.app.t
        default = f"{file_stem(run.plan.name)}-{file_stem(run.plan.data_name)}.npz"

        def check(text: str) -> str | None:
            return None if text.strip().endswith(".npz") else t("train.save.bad", text=text.strip())

        def chosen(text: str | None) -> None:
            if text is not None:
                path = Path(text.strip()).expanduser()
                write_checked(self.app, path, partial(self.save_to, path), own=self.saved_to)

        self.app.push_screen(PromptDialog(t("train.save.title"), default, t("train.save.hint"), check), chosen)

    def save_to(self, path: Path) -> bool:
        from ...train.record import record_path

        try:
            recorded = save_trained(self.run, path)
        except OSError as error:
            self.app.notify(self.app.t("train.save.failed", path=str(path), reason=self.app.save_problem(error, path)),
                            severity="error", timeout=8)
            return False
        self.saved_to = path
        if recorded:
            self.app.notify(self.app.t("train.save.done", path=str(path)), timeout=5)
        else:
            self.app.notify(self.app.t("train.save.done_no_record", path=str(path), record=str(record_path(path))),
                            timeout=8)
        return True

    def action_show_in_view(self) -> None:
        """Open the trained network in View, with these weights (kept in the user's data folder)."""
        from platformdirs import user_data_path

        from ...core import files

        run = self.trained()
        if run is None:
            return
        plan = run.plan
        path = user_data_path("cnntui") / "trained" / f"{file_stem(plan.name)}-{file_stem(plan.data_name)}.npz"
        try:
            files.make_folder(path.parent)  # under sudo, still the student's folder
        except OSError as error:
            reason = self.app.save_problem(error, path.parent)
            self.app.notify(self.app.t("train.save.failed", path=str(path.parent), reason=reason),
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


RECIPE_FIGURES = ("epochs", "train_samples", "lr", "batch", "validation_accuracy")


def readable_recipe(record: dict | None) -> bool:
    """Whether a weights record (a file anyone may have edited) says how the weights were made in the
    terms tell_recipe prints: real numbers (true and false are not) and the dataset's name."""
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    return (record is not None and isinstance(record.get("dataset"), str)
            and all(number(record.get(key)) for key in RECIPE_FIGURES))
