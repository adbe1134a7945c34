"""Build mode: edit the current network and watch shapes, parameters and derivations change on every key."""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable

from ...core.printable import printable
from ..state import CurrentNetwork
from ..widgets.chrome import Line
from ..widgets.table import LayerTable, TextPanel
from .base import ModeScreen
from .build_dialogs import ExportDialog
from .build_editing import LayerForm
from .build_files import (
    preset_choices,
    spec_to_save,
    text_form_problem,
    text_form_spec,
    weights_dir,
    without_stale_weights,
    write_network,
)
from .build_compare import compare_caption, compare_columns, compare_mode, compare_rows
from .build_structure import StructureActions
from .build_text import (
    UNTITLED,
    name_from_path,
    side_text,
    table_rows,
    text_form,
    text_form_lines,
    totals_text,
)
from .build_tree import BLOCK_ROW, INPUT_ROW, TreeRow, enclosing_blocks, parent_block, row_of, still_blocks, tree_rows
from .dialogs import ChoiceDialog, PromptDialog
from .learn import FIRST_FRAME_GRACE
from .saving import file_stem, write_checked

EMPTY_NETWORK = {"name": UNTITLED, "input": [1, 28, 28], "layers": []}


class BuildScreen(StructureActions, LayerForm, ModeScreen):
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
        Binding("d", "details", "Details", show=False, id="build.details"),
        Binding("f", "fold_all", "Fold all", show=False, id="build.fold_all"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.spec: dict = {}
        self.summary = None
        self.history: list[dict] = []
        self.future: list[dict] = []
        self.editing: tuple | int | None = None  # what the form edits: a node's address, INPUT or DETAILS
        self.form_texts: dict[str, str] = {}  # each form field's text as last put into the network
        self.expanded: set[tuple] = set()  # the unfolded blocks' addresses
        self.folds_kept: dict[int, tuple[dict, set]] = {}  # by a spec's id: that spec and its unfolded blocks
        # the table's rows; the input row alone until the network is analysed, so that a key pressed
        # before the first fill finds a selected row
        self.shown_rows: list[TreeRow] = [TreeRow(INPUT_ROW, (), 0)]
        self.known_words: dict[str, dict] = {}  # per language, the words of the nodes shown so far
        self.pinned: dict | None = None
        self.comparing = False
        self.weights_dir: Path | None = None  # the folder a "weights" file name is relative to
        self.own_file: Path | None = None  # the file the network came from or was saved to: saved again unasked

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="build-body"):
            with Vertical(id="build-main"):
                yield TextPanel(id="build-text")
                yield LayerTable(id="build-table", folds=True)
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
        """Select what a "try it" link asked for, once the table is there: {"layer": top-level index}, or
        {"path": "layer2.0"}, a block or layer anywhere, with the blocks around it unfolded."""
        requested = self.app.requested_layer
        if not (requested and self.summary is not None and self.app.current_mode == "build"):
            return
        if "path" in requested:
            self.app.requested_layer = None
            record = self.summary.record_named(requested["path"])
            if record is not None:  # a path this network does not have leaves the table as it is
                self.expanded |= set(enclosing_blocks(self.summary, record.address))  # so that its row shows
                self.fill_table()
                self.select_node(record.address, BLOCK_ROW if record in self.summary.blocks else None)
        elif "layer" in requested:
            self.app.requested_layer = None
            self.select_node(("layers", requested["layer"]))

    def on_resize(self) -> None:
        self.update_layout()
        if self.summary is not None:
            self.fill_text_line()

    def update_layout(self) -> None:
        self.query_one("#build-body").set_class(self.app.terminal_size.width >= 110, "-wide")

    # -- the network ----------------------------------------------------------------

    # What the form must not have done under it: each changes the network's structure or opens another form.
    FORM_BLOCKS = {"add", "delete", "duplicate", "move", "undo", "redo", "text_form", "presets", "new", "open",
                   "fold_all", "edit", "details"}

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """While the form is open, keys a field does not take (ctrl+z, shift+up) must not move or replace
        the node it edits: the form would then edit another node, or one that is gone."""
        if self.editing is not None and action in self.FORM_BLOCKS:
            return False
        return super().check_action(action, parameters)

    def network_changed(self, *_) -> None:
        network = self.app.network
        if self.editing is not None and network.spec is not self.spec:
            self.action_close_form()  # another network (the palette, a try-it): the form's node is not in it
        if network.spec is not self.spec and self.spec:
            self.history.append(self.spec)
            self.future.clear()
            self.keep_folds(self.spec)
        if network.spec is not self.spec:
            self.expanded = set()  # another network: its blocks start folded
        self.spec = network.spec
        if network.source:
            self.weights_dir = weights_dir(network.source)
            self.own_file = None if network.source in self.app.preset_names() else Path(network.source).expanduser()
        self.refresh_all()
        self.select_requested()

    def change(self, spec: dict, record: bool = True, expanded: set[tuple] | None = None) -> None:
        """Make ``spec`` the current network; every mode sees it. ``expanded``: the blocks unfolded in it
        (by default those it was shown with before, as after undo and redo, or else the same addresses)."""
        kept = self.folds_kept.get(id(spec))  # before keep_folds forgets a spec undo has just taken off
        if record:
            self.history.append(self.spec)
            self.future.clear()
        self.keep_folds(self.spec)
        if record:  # undo and redo bring back a spec as it was
            spec = without_stale_weights(spec, self.spec)
        if expanded is not None:
            self.expanded = set(expanded)
        elif kept is not None and kept[0] is spec:
            self.expanded = set(kept[1])
        self.spec = spec
        old = self.app.network
        self.app.network = CurrentNetwork(spec.get("name") if isinstance(spec.get("name"), str) else old.name,
                                          spec, "")
        self.app.remember_edited(spec)

    def keep_folds(self, spec: dict) -> None:
        """Remember which blocks are unfolded while ``spec`` is shown, for undo and redo to bring back
        (only for the networks undo and redo can still reach)."""
        reachable = {id(kept) for kept in (*self.history, *self.future)}
        self.folds_kept = {key: kept for key, kept in self.folds_kept.items() if key in reachable}
        self.folds_kept[id(spec)] = (spec, set(self.expanded))

    def edited_copy(self) -> dict:
        return copy.deepcopy(self.spec)

    # -- drawing ----------------------------------------------------------------------

    def refresh_all(self) -> None:
        from ...core import analyze

        self.summary = analyze(self.spec)
        self.expanded = still_blocks(self.expanded, self.spec)  # undo may take a block away
        self.fill_table()
        self.fill_totals()
        self.fill_text_line()
        self.fill_side()
        self.fill_compare()
        self.show_hint()

    def show_hint(self) -> None:
        """The keys of the table, or while the form is open the form's (the form then keeps all its rows)."""
        self.query_one("#build-hint", Line).content = self.app.t("build.hint" if self.editing is None
                                                                  else "build.form.hint")

    COLUMNS = ("#", "build.col.layer", "build.col.output", "build.col.params", "build.col.share",
               "build.col.macs", "build.col.rf")

    def fill_table(self) -> None:
        labels = [key if key == "#" else self.app.t(key) for key in self.COLUMNS]
        self.shown_rows = tree_rows(self.spec, self.summary, self.expanded)
        known = self.known_words.setdefault(self.app.language, {})
        if len(known) > 4 * len(self.shown_rows) + 100:
            known.clear()  # mostly nodes edited since: start again
        rows = table_rows(self.spec, self.summary, self.app.t, self.app.ascii_only, self.shown_rows, known)
        # A deep block's long Layer cell is cut, so that the numbers stay on an 80-column screen; the
        # receptive field goes first when the Layer column would be too narrow to read.
        self.query_one("#build-table", LayerTable).set_rows(labels, rows, right_aligned={3, 5, 6}, shrink=1,
                                                            droppable=(6,))

    def fill_totals(self) -> None:
        self.query_one("#build-totals", Line).content = totals_text(self.summary, self.app.t)

    def fill_text_line(self) -> None:
        """The text form, broken between layers; past its few rows it scrolls (Tab, then the arrows)."""
        panel = self.query_one("#build-text", TextPanel)
        size = self.app.terminal_size
        width = (panel.content_region.width or size.width - 2)
        most = 2 if size.height < 30 else 4
        text = text_form(self.spec)
        # a layer's text as a file wrote it
        lines = [self.app.t("build.text.invalid")] if text is None else text_form_lines(printable(text), width, most)
        panel.styles.height = min(len(lines), most)
        panel.set_text(Text("\n".join(lines)))

    def selected_row(self) -> TreeRow:
        cursor = self.query_one("#build-table", LayerTable).cursor
        return self.shown_rows[cursor] if cursor < len(self.shown_rows) else self.shown_rows[0]

    def selected_index(self) -> int:
        """-1 for the input row, else the index of the top-level entry the selected row is in."""
        address = self.selected_row().address
        return address[1] if address else -1

    def select(self, row: int) -> None:
        self.query_one("#build-table", LayerTable).move_cursor(row)
        self.fill_side()

    def select_node(self, address: tuple, kind: str | None = None) -> None:
        """Select the row of the node at ``address`` (of ``kind``: a block's own row rather than its
        join); when a folded block hides it, the block's."""
        index = row_of(self.shown_rows, address, kind)
        while index is None and address:
            address = parent_block(address)
            index = row_of(self.shown_rows, address, BLOCK_ROW) if address else 0
        self.select(index or 0)

    @on(LayerTable.Highlighted)
    def highlighted(self) -> None:
        if self.editing is None:
            self.fill_side()

    @on(LayerTable.Selected)
    def row_selected(self) -> None:
        """Enter: a block's row folds or unfolds it, any other row opens the form."""
        if self.selected_row().kind == BLOCK_ROW:
            self.fold(None)
        else:
            self.action_edit()

    def fill_side(self) -> None:
        if self.summary is not None and self.shown_rows:
            text = side_text(self.summary, self.selected_row(), self.app.t, self.app.language)
            self.query_one("#build-derivation", TextPanel).set_text(text)

    def action_new(self) -> None:
        self.change(copy.deepcopy(EMPTY_NETWORK))
        self.select(0)

    # -- whole networks: text form, presets, files ---------------------------------------

    def action_text_form(self) -> None:
        self.app.push_screen(PromptDialog(self.app.t("build.text.title"), text_form(self.spec) or "",
                                          self.app.t("build.text.hint"),
                                          partial(text_form_problem, language=self.app.language)),
                             lambda text: self.change(text_form_spec(text, self.spec)) if text else None)

    def action_presets(self) -> None:
        """The presets by name and input, with the highlighted one's description below the list."""
        t = self.app.t
        choices, details = preset_choices(self.app.preset_names(), t, self.app.has_text)
        self.app.push_screen(ChoiceDialog(t("build.presets.title"), choices, t("dialog.choose"), details=details,
                                          filter_hint=t("build.presets.filter")),
                             lambda name: self.app.load_network(name) if name else None)

    def action_save(self) -> None:
        default = f"{file_stem(self.spec.get('name') or UNTITLED)}.json"
        self.app.push_screen(PromptDialog(self.app.t("build.save.title"), default, self.app.t("build.save.hint")),
                             self.save_to)

    def save_to(self, path_text: str | None) -> None:
        """Save to ``path_text``, asking first if that names a file other than this network's own."""
        if path_text:
            path = Path(path_text).expanduser()
            write_checked(self.app, path, partial(self.write_to, path_text, path), own=self.own_file)

    def write_to(self, path_text: str, path: Path) -> None:
        if self.spec.get("name", UNTITLED) == UNTITLED and name_from_path(path_text):
            self.change({**self.edited_copy(), "name": name_from_path(path_text)})  # mylenet.json holds "mylenet"
        spec, done = spec_to_save(self.spec, self.weights_dir, path)
        try:
            write_network(path, spec)
        except OSError as error:
            self.app.notify(self.app.t("build.save.failed", path=path, reason=self.app.save_problem(error, path)),
                            severity="error", timeout=10)
            return
        self.own_file = path
        self.app.notify(self.app.t(done, path=path, weights=Path(self.spec.get("weights", "")).name), timeout=6)

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
        """The compare table, and in place of the totals which network is A and B and how they are compared."""
        if not self.comparing or self.pinned is None:
            self.fill_totals()
            return
        from ...core import analyze

        table = self.query_one("#build-compare", DataTable)
        table.clear(columns=True)
        pinned, t = analyze(self.pinned), self.app.t
        mode = compare_mode(pinned, self.summary)
        for label in compare_columns(mode, t):
            table.add_column(label)
        for row in compare_rows(pinned, self.summary, t, mode):
            table.add_row(*row)
        self.query_one("#build-totals", Line).content = compare_caption(
            self.pinned.get("name", "A"), self.spec.get("name", "B"), mode, t)

    def action_export(self) -> None:
        if self.summary is None or self.summary.problems:
            self.app.notify(self.app.t("build.export.invalid"), severity="error", timeout=6)
            return
        self.app.push_screen(ExportDialog(self.app.t("build.export.title"), self.app.t("build.export.hint"),
                                          copy.deepcopy(self.spec)))
