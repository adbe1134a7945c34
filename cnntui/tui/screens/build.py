"""Build mode: edit the current network and watch shapes, parameters and derivations change on every key."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import DataTable, Input, Label, Static

from ...content import message_text
from ..state import CurrentNetwork
from ..widgets.chrome import Line
from ..widgets.table import LayerTable, TextPanel
from .base import ModeScreen
from .learn import FIRST_FRAME_GRACE
from .dialogs import ChoiceDialog, ConfirmDialog, Dialog, PromptDialog

BAR_WIDTH = 6
BLOCKS = " ▏▎▍▌▋▊▉█"
EMPTY_NETWORK = {"name": "untitled", "input": [1, 28, 28], "layers": []}


def share_bar(share: float, ascii_only: bool) -> str:
    """A bar of BAR_WIDTH cells, in eighths of a cell (or '#' per cell with --ascii)."""
    if ascii_only:
        return "#" * round(share * BAR_WIDTH)
    eighths = round(share * BAR_WIDTH * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (BLOCKS[rest] if rest else "")


def compact(count: int) -> str:
    """1,234,567 -> 1.23M: for MACs, which can be huge."""
    for limit, suffix in ((1e9, "G"), (1e6, "M")):
        if count >= limit:
            return f"{count / limit:.2f}{suffix}"
    return f"{count:,}"


def right(text: str) -> Text:
    return Text(text, justify="right")


def layer_words(layer: object) -> str:
    """A layer as the text form writes it; anything the text form cannot say, as JSON."""
    from ...core.textform import layer_text

    try:
        return layer_text(layer)
    except (KeyError, TypeError, AttributeError, ValueError):
        return json.dumps(layer, ensure_ascii=False)[:40]


def field_value(kind: str, text: str):
    """What the user typed, as the JSON value the engine checks (bad text stays text, so it is reported)."""
    value = text.strip()
    if kind == "bool":
        return {"yes": True, "true": True, "on": True, "1": True,
                "no": False, "false": False, "off": False, "0": False}.get(value.lower(), value)
    for cast in (int, float) if kind == "number" else (int,):
        try:
            return cast(value)
        except ValueError:
            pass
    parts = value.lower().replace("×", "x").split("x")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        return [int(p) for p in parts]
    return value


def value_text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}x{value[1]}"
    return "" if value is None else str(value)


class ExportDialog(Dialog):
    BINDINGS = [Binding("k", "switch", "PyTorch/Keras", id="export.switch"),
                Binding("y", "copy", "Copy", id="export.copy")]

    def __init__(self, title: str, hint: str, spec: dict):
        super().__init__(title, hint)
        self.spec, self.framework = spec, "pytorch"

    def compose_content(self) -> ComposeResult:
        with ScrollableContainer(classes="dialog-code"):
            yield Static(Text(self.code(), no_wrap=True), id="export-code")

    def code(self) -> str:
        from ...core.export import EXPORTERS

        return EXPORTERS[self.framework](self.spec)

    def on_mount(self) -> None:
        self.query_one(".dialog-code").focus()

    def action_switch(self) -> None:
        self.framework = "keras" if self.framework == "pytorch" else "pytorch"
        self.query_one("#export-code", Static).update(Text(self.code(), no_wrap=True))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.code())
        self.app.notify(self.app.t("build.copied", framework=self.framework), timeout=3)


class BuildScreen(ModeScreen):
    mode_name = "build"
    BINDINGS = [
        Binding("e", "edit", "Edit", show=False, id="build.edit"),
        Binding("a", "add(1)", "Add after", show=False, id="build.add"),
        Binding("i", "add(0)", "Insert before", show=False, id="build.insert"),
        Binding("x,delete", "delete", "Delete", show=False, id="build.delete"),
        Binding("D", "duplicate", "Duplicate", show=False, id="build.duplicate"),
        Binding("K,shift+up", "move(-1)", "Move up", show=False, id="build.up"),
        Binding("J,shift+down", "move(1)", "Move down", show=False, id="build.down"),
        Binding("u,ctrl+z", "undo", "Undo", show=False, id="build.undo"),
        Binding("r,ctrl+y", "redo", "Redo", show=False, id="build.redo"),
        Binding("t", "text_form", "Text form", show=False, id="build.text"),
        Binding("p", "presets", "Presets", show=False, id="build.presets"),
        Binding("n", "new", "New", show=False, id="build.new"),
        Binding("s", "save", "Save", show=False, id="build.save"),
        Binding("o", "open", "Open", show=False, id="build.open"),
        Binding("m", "compare", "Compare", show=False, id="build.compare"),
        Binding("M", "pin", "Pin", show=False, id="build.pin"),
        Binding("E", "export", "Export", show=False, id="build.export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.spec: dict = {}
        self.summary = None
        self.history: list[dict] = []
        self.future: list[dict] = []
        self.editing: int | None = None  # layer index in the form, -1 for the input shape
        self.pinned: dict | None = None
        self.comparing = False

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="build-body"):
            with Vertical(id="build-main"):
                yield Line(id="build-text")
                yield LayerTable(id="build-table")
                yield DataTable(id="build-compare", cursor_type="row")
                yield Line(id="build-totals")
            with Vertical(id="build-side"):
                yield Vertical(id="build-form")
                yield TextPanel(id="build-derivation")
        yield Line(id="build-hint")

    def on_mount(self) -> None:
        self.query_one("#build-compare").display = False
        self.query_one("#build-form").display = False
        for name in ("language", "network"):
            self.watch(self.app, name, self.network_changed, init=False)
        self.set_timer(FIRST_FRAME_GRACE, self.network_changed)  # the engine loads after the first frame
        self.query_one("#build-table").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.update_layout()
        self.select_requested()

    def select_requested(self) -> None:
        """Select the layer a "try it" link asked for, once the table is there."""
        requested = self.app.requested_layer
        if requested and "layer" in requested and self.summary is not None and self.app.current_mode == "build":
            self.app.requested_layer = None
            self.select(requested["layer"] + 1)

    def on_resize(self) -> None:
        self.update_layout()

    def update_layout(self) -> None:
        self.query_one("#build-body").set_class(self.app.terminal_size.width >= 110, "-wide")

    # -- the network ----------------------------------------------------------------

    def network_changed(self, *_) -> None:
        network = self.app.network
        if network.spec is not self.spec and self.spec:
            self.history.append(self.spec)
            self.future.clear()
        self.spec = network.spec
        self.refresh_all()
        self.select_requested()

    def change(self, spec: dict, record: bool = True) -> None:
        """Make ``spec`` the current network; every mode sees it."""
        if record:
            self.history.append(self.spec)
            self.future.clear()
        self.spec = spec
        old = self.app.network
        self.app.network = CurrentNetwork(spec.get("name") if isinstance(spec.get("name"), str) else old.name,
                                          spec, "")
        self.app.remember_edited(spec)

    def edited_copy(self) -> dict:
        return copy.deepcopy(self.spec)

    def spec_layers(self) -> list:
        layers = self.spec.get("layers")
        return layers if isinstance(layers, list) else []

    # -- drawing ----------------------------------------------------------------------

    def refresh_all(self) -> None:
        from ...core import analyze

        self.summary = analyze(self.spec)
        self.fill_table()
        self.fill_totals()
        self.fill_text_line()
        self.fill_side()
        self.fill_compare()
        self.query_one("#build-hint", Line).content = self.app.t("build.hint")

    def table_rows(self) -> list[tuple]:
        """The table's cells: the input row, then one row per layer ("-" after a problem)."""
        t, summary = self.app.t, self.summary
        shape = summary.input_shape
        rows = [("", t("build.input"), self.shape_text(shape) if shape else str(self.spec.get("input", "?")),
                 "", "", "", "")]
        total = summary.total_params or 1
        for index, layer in enumerate(self.spec_layers()):
            record = summary.layers[index] if index < len(summary.layers) else None
            if record is not None and record.ok:
                share = record.params / total
                rows.append((str(index), layer_words(layer), self.shape_text(record.output_shape),
                             f"{record.params:,}", f"{share:5.1%} {share_bar(share, self.app.ascii_only)}",
                             compact(record.macs), self.rf_text(record.receptive_field)))
            else:
                bad = record is None or record.error is not None
                mark = ("!", "bold red") if bad else str(index)
                rows.append((mark, (layer_words(layer), "red") if bad else layer_words(layer), "-", "-", "-", "-", "-"))
        return rows

    COLUMNS = ("#", "build.col.layer", "build.col.output", "build.col.params", "build.col.share",
               "build.col.macs", "build.col.rf")

    def fill_table(self) -> None:
        labels = [key if key == "#" else self.app.t(key) for key in self.COLUMNS]
        self.query_one("#build-table", LayerTable).set_rows(labels, self.table_rows(), right_aligned={3, 5, 6})

    @staticmethod
    def shape_text(shape) -> str:
        return "x".join(map(str, shape))

    @staticmethod
    def rf_text(size) -> str:
        return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"

    def fill_totals(self) -> None:
        from ...core.weights import human_bytes

        summary, t = self.summary, self.app.t
        text = t("build.totals", params=f"{summary.total_params:,}", weights=f"{summary.total_weights:,}",
                 biases=f"{summary.total_biases:,}", macs=f"{summary.total_macs:,}",
                 weight_memory=human_bytes(summary.weight_bytes), activations=human_bytes(summary.activation_bytes))
        if summary.problems:
            text += "  " + t("build.problems", count=len(summary.problems))
        self.query_one("#build-totals", Line).content = text

    def text_form(self) -> str | None:
        """The network as one line of text, or None while a layer is too broken to write that way."""
        from ...core.textform import format_text

        try:
            return format_text(self.spec)
        except (KeyError, TypeError, AttributeError, ValueError):
            return None

    def fill_text_line(self) -> None:
        line = self.text_form() or self.app.t("build.text.invalid")
        self.query_one("#build-text", Line).content = Text(line, no_wrap=True, overflow="ellipsis")

    def selected_index(self) -> int:
        """-1 for the input row, else the layer index."""
        return self.query_one("#build-table", LayerTable).cursor - 1

    def select(self, row: int) -> None:
        self.query_one("#build-table", LayerTable).move_cursor(row)
        self.fill_side()

    @on(LayerTable.Highlighted)
    def highlighted(self) -> None:
        if self.editing is None:
            self.fill_side()

    @on(LayerTable.Selected)
    def row_selected(self) -> None:
        self.action_edit()

    def fill_side(self) -> None:
        self.query_one("#build-derivation", TextPanel).set_text(self.side_text())

    def side_text(self) -> Text:
        t, summary, index = self.app.t, self.summary, self.selected_index()
        if summary is None:
            return Text("")
        text = Text()
        if index < 0:
            text.append(t("build.side.input", shape=self.shape_text(summary.input_shape or ())) + "\n", style="bold")
            for problem in summary.problems:
                if problem.index is None:
                    text.append(message_text(self.app.language, problem.message) + "\n", style="red")
            text.append("\n" + t("build.side.all_problems", count=len(summary.problems)) if summary.problems else "")
            return text
        if index >= len(summary.layers):
            return text
        record = summary.layers[index]
        title = t("build.side.layer", index=index, type=record.type,
                  shape=self.shape_text(record.output_shape) if record.ok else "-")
        text.append(title + "\n", style="bold")
        if record.error is not None:
            for problem in record.error.problems if record.error.index == index else [record.error]:
                if problem.index == index:
                    text.append(message_text(self.app.language, problem.message) + "\n", style="bold red")
        if not record.ok:
            if record.error is None:
                text.append(t("build.side.after_error") + "\n", style="dim")
            return text
        text.append("\n".join(record.derivation) + "\n")
        if record.fc_equivalent_params is not None:
            text.append(t("build.side.fc", fc=f"{record.fc_equivalent_params:,}", params=f"{record.params:,}",
                          ratio=f"{record.fc_equivalent_params / max(record.params, 1):,.0f}") + "\n", style="italic")
        for note in record.notes:
            text.append(message_text(self.app.language, note) + "\n", style="yellow")
        return text

    # -- editing a layer in the form ------------------------------------------------------

    def action_edit(self) -> None:
        if self.summary is None:
            return
        self.history.append(copy.deepcopy(self.spec))  # the whole form session is one undo step
        self.future.clear()
        self.editing = self.selected_index()
        self.build_form()

    def build_form(self, focus: str | None = None) -> None:
        """A field per setting of the layer being edited, each showing what it accepts."""
        from ...core import LAYER_TYPES

        t, index = self.app.t, self.editing
        if index < 0:
            rows = [("input", value_text(self.spec.get("input")) if isinstance(self.spec.get("input"), str)
                     else "x".join(map(str, self.spec.get("input") or [])), t("build.kind.shape"))]
            title = t("build.form.input")
        else:
            layer = self.spec_layers()[index]
            layer = layer if isinstance(layer, dict) else {}
            kind = layer.get("type")
            fields = LAYER_TYPES[kind].fields if kind in LAYER_TYPES else {}
            rows = [("type", str(kind), t("build.kind.type"))]
            rows += [(name, value_text(layer.get(name)), t(f"build.kind.{field.kind}")) for name, field in fields.items()]
            title = t("build.form.layer", index=index)
        form = self.query_one("#build-form", Vertical)
        form.remove_children()
        widgets = [Label(title, classes="form-title")]
        for name, value, hint in rows:
            widgets.append(Horizontal(Label(name, classes="form-label"),
                                      Input(value, placeholder=hint, id=f"field-{name}", classes="form-input"),
                                      classes="form-row"))
        widgets.append(Label(t("build.form.hint"), classes="form-hint"))
        form.mount_all(widgets)
        form.display = True
        first = f"#field-{focus}" if focus else ".form-input"
        self.call_after_refresh(lambda: self.query(first).first().focus())

    @on(Input.Changed, ".form-input")
    def field_changed(self, event: Input.Changed) -> None:
        if self.editing is None:
            return
        from ...core import LAYER_TYPES

        name, text = event.input.id.removeprefix("field-"), event.value
        spec = self.edited_copy()
        if self.editing < 0:
            parts = text.lower().replace("×", "x").split("x")
            spec["input"] = [int(p) if p.strip().isdigit() else p for p in parts] if text.strip() else None
            self.change(spec, record=False)
            return
        old = spec["layers"][self.editing]
        old = old if isinstance(old, dict) else {}
        if name == "type":
            kind = text.strip()
            if kind in LAYER_TYPES:
                # Keep the settings the new type shares with the old one; fill in what it needs.
                fields = LAYER_TYPES[kind].fields
                layer = {"type": kind, **{n: old[n] for n in fields if n in old}}
                layer.update({n: f.example for n, f in fields.items() if f.required and n not in layer})
            else:
                layer = {**old, "type": kind}  # an unknown type: the engine names it and suggests one
            spec["layers"][self.editing] = layer
            self.change(spec, record=False)
            if kind in LAYER_TYPES and kind != old.get("type"):
                self.build_form(focus="type")
            return
        fields = LAYER_TYPES[old["type"]].fields if old.get("type") in LAYER_TYPES else {}
        kind = fields[name].kind if name in fields else "pair"
        if text.strip():
            old[name] = field_value(kind, text)
        else:
            old.pop(name, None)
        self.change(spec, record=False)

    @on(Input.Submitted, ".form-input")
    def form_done(self) -> None:
        self.action_close_form()

    def leave_field(self) -> bool:
        """Escape in the form closes it."""
        if self.editing is None:
            return False
        self.action_close_form()
        return True

    def action_close_form(self) -> None:
        if self.editing is None:
            return
        self.editing = None
        form = self.query_one("#build-form", Vertical)
        form.display = False
        form.remove_children()
        if self.history and self.history[-1] == self.spec:
            self.history.pop()  # nothing changed: no undo step
        self.query_one("#build-table").focus()
        self.fill_side()

    # -- structure ---------------------------------------------------------------------

    def action_add(self, after: int) -> None:
        from ...core import LAYER_TYPES

        choices = [(kind, f"{kind:<16} {self.app.t(f'build.type.{kind}')}") for kind in LAYER_TYPES]

        def insert(kind: str | None) -> None:
            if not kind:
                return
            spec = self.edited_copy()
            layer = {"type": kind}
            layer.update({name: field.example for name, field in LAYER_TYPES[kind].fields.items() if field.required})
            position = max(self.selected_index() + after, 0)
            spec.setdefault("layers", []).insert(position, layer)
            self.change(spec)
            self.select(position + 1)
            if LAYER_TYPES[kind].fields:
                self.action_edit()

        self.app.push_screen(ChoiceDialog(self.app.t("build.add.title"), choices, self.app.t("dialog.choose")), insert)

    def action_delete(self) -> None:
        index = self.selected_index()
        if 0 <= index < len(self.spec_layers()):
            spec = self.edited_copy()
            del spec["layers"][index]
            self.change(spec)
            self.select(index + 1)

    def action_duplicate(self) -> None:
        index = self.selected_index()
        if 0 <= index < len(self.spec_layers()):
            spec = self.edited_copy()
            spec["layers"].insert(index + 1, copy.deepcopy(spec["layers"][index]))
            self.change(spec)
            self.select(index + 2)

    def action_move(self, step: int) -> None:
        index = self.selected_index()
        target = index + step
        if 0 <= index < len(self.spec_layers()) and 0 <= target < len(self.spec_layers()):
            spec = self.edited_copy()
            layers = spec["layers"]
            layers[index], layers[target] = layers[target], layers[index]
            self.change(spec)
            self.select(target + 1)

    def action_undo(self) -> None:
        if self.history:
            self.future.append(self.spec)
            self.change(self.history.pop(), record=False)

    def action_redo(self) -> None:
        if self.future:
            self.history.append(self.spec)
            self.change(self.future.pop(), record=False)

    def action_new(self) -> None:
        self.change(copy.deepcopy(EMPTY_NETWORK))
        self.select(0)

    # -- whole networks: text form, presets, files ---------------------------------------

    def action_text_form(self) -> None:
        from ...core import CnntuiError
        from ...core.textform import parse

        def check(text: str) -> str | None:
            try:
                parse(text)
            except CnntuiError as error:
                where = f"{' ' * getattr(error, 'position', 0)}^ "
                return f"{where}\n{message_text(self.app.language, error.message)}"
            return None

        def apply(text: str | None) -> None:
            if text:
                spec = parse(text)
                spec["name"] = self.spec.get("name", "untitled")
                self.change(spec)

        self.app.push_screen(PromptDialog(self.app.t("build.text.title"), self.text_form() or "",
                                          self.app.t("build.text.hint"), check), apply)

    def action_presets(self) -> None:
        from ...core.assets import find_network, read_json

        choices = []
        for name in self.app.preset_names():
            description = read_json(find_network(name)).get("description", "")
            choices.append((name, f"{name:<12} {description[:60]}"))
        self.app.push_screen(ChoiceDialog(self.app.t("build.presets.title"), choices, self.app.t("dialog.choose")),
                             lambda name: self.app.load_network(name) if name else None)

    def action_save(self) -> None:
        default = f"{self.spec.get('name') or 'network'}.json"
        self.app.push_screen(PromptDialog(self.app.t("build.save.title"), default, self.app.t("build.save.hint")),
                             self.save_to)

    def save_to(self, path_text: str | None, confirmed: bool = False) -> None:
        if not path_text:
            return
        path = Path(path_text).expanduser()
        if path.exists() and not confirmed:
            self.app.push_screen(ConfirmDialog(self.app.t("build.save.exists", path=path), self.app.t("dialog.yes_no")),
                                 lambda yes: self.save_to(path_text, True) if yes else None)
            return
        from ...core.files import atomic_write

        try:
            with atomic_write(path, "w", encoding="utf-8") as handle:
                json.dump(self.spec, handle, ensure_ascii=False, indent=1)
                handle.write("\n")
        except OSError as error:
            self.app.notify(self.app.t("build.save.failed", path=path, reason=error.strerror or error),
                            severity="error", timeout=10)
            return
        self.app.notify(self.app.t("build.save.done", path=path), timeout=4)

    def action_open(self) -> None:
        self.app.push_screen(PromptDialog(self.app.t("build.open.title"), "", self.app.t("build.open.hint")),
                             lambda path: self.app.load_network(path) if path else None)

    # -- compare and export --------------------------------------------------------------------

    def action_pin(self) -> None:
        self.pinned = copy.deepcopy(self.spec)
        self.app.notify(self.app.t("build.pinned", name=self.spec.get("name", "?")), timeout=4)
        self.fill_compare()

    def action_compare(self) -> None:
        if self.pinned is None:
            self.action_pin()
            return
        self.comparing = not self.comparing
        self.query_one("#build-table").display = not self.comparing
        self.query_one("#build-compare").display = self.comparing
        self.fill_compare()
        self.query_one("#build-compare" if self.comparing else "#build-table").focus()

    def fill_compare(self) -> None:
        if not self.comparing or self.pinned is None:
            return
        from ...core import analyze

        pinned, current = analyze(self.pinned), self.summary
        table = self.query_one("#build-compare", DataTable)
        table.clear(columns=True)
        a, b = self.pinned.get("name", "A"), self.spec.get("name", "B")
        t = self.app.t
        for label in ("#", f"{a}: {t('build.col.output')}", t("build.col.params"), t("build.col.macs"),
                      f"{b}: {t('build.col.output')}", t("build.col.params"), t("build.col.macs"),
                      t("build.col.delta")):
            table.add_column(label)
        for index in range(max(len(pinned.layers), len(current.layers))):
            left = pinned.layers[index] if index < len(pinned.layers) else None
            right = current.layers[index] if index < len(current.layers) else None
            cells = [str(index)]
            for record in (left, right):
                if record is None or not record.ok:
                    cells += ["-", "-", "-"]
                else:
                    cells += [f"{record.type} {self.shape_text(record.output_shape)}", f"{record.params:,}",
                              compact(record.macs)]
            delta = (right.params if right else 0) - (left.params if left else 0)
            # Highlight the A and B cells (shape, params, MACs) that differ.
            differs = {i for i in (1, 2, 3) if cells[i] != cells[i + 3]}
            differs |= {i + 3 for i in differs}
            row = [Text(c, style="bold yellow" if i in differs else "") for i, c in enumerate(cells)]
            row.append(Text(f"{delta:+,}" if delta else "0", style="bold" if delta else "dim"))
            table.add_row(*row)
        table.add_row(Text(t("build.total"), style="bold"), "", f"{pinned.total_params:,}",
                      compact(pinned.total_macs), "", f"{current.total_params:,}", compact(current.total_macs),
                      Text(f"{current.total_params - pinned.total_params:+,}", style="bold"))

    def action_export(self) -> None:
        if self.summary is None or self.summary.problems:
            self.app.notify(self.app.t("build.export.invalid"), severity="error", timeout=6)
            return
        self.app.push_screen(ExportDialog(self.app.t("build.export.title"), self.app.t("build.export.hint"),
                                          copy.deepcopy(self.spec)))
