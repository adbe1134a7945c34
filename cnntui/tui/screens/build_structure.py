"""Build's structure keys, mixed into the screen: add, delete, duplicate and move a node within its own
list (inside the block it sits in), fold and unfold blocks, undo and redo.

Each edit changes a copy of the network and moves the fold state (the unfolded blocks' addresses) with
the nodes it renumbers, so the blocks that were open stay open.
"""

from __future__ import annotations

from ..widgets.table import LayerTable
from .build_form import TEMPLATE_KEY, layer_choices, new_node
from .build_text import duplicate_of
from .build_tree import (
    BLOCK_ROW,
    INPUT_ROW,
    JOIN_ROW,
    after_delete,
    after_insert,
    after_swap,
    block_addresses,
    in_list,
    insertion_point,
    parent_block,
    shape_reaching,
    without_under,
)
from .dialogs import ChoiceDialog


class StructureActions:
    """Mixed into BuildScreen: uses its spec, summary, shown_rows, expanded, history, future, edited_copy(),
    change(), selected_row(), select(), select_node(), fill_table() and action_edit()."""

    def action_add(self, after: int) -> None:
        t = self.app.t
        place = insertion_point(self.selected_row(), bool(after))
        if place is None:
            self.app.notify(t("build.no_list"), severity="warning")
            return
        list_address, position = place
        in_shape = shape_reaching(self.summary, list_address, position)

        def insert(choice: str | None) -> None:
            if choice:
                self.insert_node(list_address, position, new_node(choice, in_shape),
                                 open_form=not choice.startswith(TEMPLATE_KEY))

        self.app.push_screen(ChoiceDialog(t("build.add.title"), layer_choices(t), t("build.add.hint"),
                                          filter_hint=t("build.add.filter")), insert)

    def insert_node(self, list_address: tuple, position: int, node: dict, open_form: bool) -> None:
        """Put ``node`` at ``position`` of its list; a block goes in unfolded, a layer with settings opens the form."""
        from ...core import LAYER_TYPES
        from ...core.blocks import is_container, node_at  # NumPy: not before Build's first frame

        spec = self.edited_copy()
        try:  # the network may have changed while the Add dialog was open
            nodes = spec.setdefault("layers", []) if list_address == ("layers",) else node_at(spec, list_address)
        except (KeyError, IndexError, TypeError):
            nodes = None
        if not isinstance(nodes, list):
            self.app.notify(self.app.t("build.add.gone"), severity="warning")
            return
        nodes.insert(position, node)
        address = (*list_address, position)
        expanded = after_insert(self.expanded, list_address, position)
        self.change(spec, expanded=expanded | ({address} if is_container(node) else set()))
        self.select_node(address, BLOCK_ROW if is_container(node) else None)
        if open_form and not is_container(node) and LAYER_TYPES[node["type"]].fields:
            self.action_edit()

    def action_delete(self) -> None:
        from ...core.blocks import node_at  # NumPy: not before Build's first frame

        row = self.selected_row()
        if row.kind == INPUT_ROW:
            return
        spec = self.edited_copy()
        place = in_list(row.address)
        if place is None:  # a residual's shortcut: the block adds its input back unchanged
            del node_at(spec, row.address[:-1])["shortcut"]
            expanded = without_under(self.expanded, row.address)
        else:
            del node_at(spec, place[0])[place[1]]
            expanded = after_delete(self.expanded, *place)
        cursor = self.query_one("#build-table", LayerTable).cursor
        self.change(spec, expanded=expanded)
        self.select(cursor)

    def action_duplicate(self) -> None:
        from ...core.blocks import node_at  # NumPy: not before Build's first frame

        row = self.selected_row()
        place = self.list_place(row)
        if place is None:
            return
        list_address, position = place
        spec = self.edited_copy()
        nodes = node_at(spec, list_address)
        nodes.insert(position + 1, duplicate_of(nodes, position))
        original, depth = (*list_address, position), len(list_address)
        expanded = after_insert(self.expanded, list_address, position + 1)
        # The copy opens where the original is open.
        self.change(spec, expanded=expanded | {(*list_address, position + 1, *address[depth + 1:])
                                               for address in expanded if address[:depth + 1] == original})
        self.select_node((*list_address, position + 1), row.kind if row.kind != JOIN_ROW else BLOCK_ROW)

    def action_move(self, step: int) -> None:
        from ...core.blocks import node_at  # NumPy: not before Build's first frame

        row = self.selected_row()
        place = self.list_place(row)
        if place is None:
            return
        list_address, position = place
        target = position + step
        if not 0 <= target < len(node_at(self.spec, list_address)):
            return
        spec = self.edited_copy()
        nodes = node_at(spec, list_address)
        nodes[position], nodes[target] = nodes[target], nodes[position]
        self.change(spec, expanded=after_swap(self.expanded, list_address, position, target))
        self.select_node((*list_address, target), row.kind)

    def list_place(self, row) -> tuple[tuple, int] | None:
        """Where the row's node is in its list (a join row: its block); None, with a notice for a
        shortcut, for the input row."""
        if row.kind == INPUT_ROW:
            return None
        place = in_list(row.address)
        if place is None:
            self.app.notify(self.app.t("build.no_list"), severity="warning")
        return place

    # -- folding ----------------------------------------------------------------------------

    def on_layer_table_fold(self, event: LayerTable.Fold) -> None:
        # Named, not @on(...): Textual collects @on handlers only from classes it builds, not from mixins.
        if self.editing is None:
            self.fold(event.unfold)

    def fold(self, unfold: bool | None) -> None:
        """Unfold (True), fold (False) or toggle (None) the selected block; folding from a row inside
        a block folds that block and selects it."""
        row = self.selected_row()
        if row.kind == BLOCK_ROW and (unfold is None or unfold == row.folded):
            self.expanded ^= {row.address}
            self.show_folds(row.address)
        elif unfold is False and row.kind != INPUT_ROW and (row.kind == JOIN_ROW or row.depth > 0):
            block = row.address if row.kind == JOIN_ROW else parent_block(row.address)
            self.expanded.discard(block)
            self.show_folds(block)

    def action_fold_all(self) -> None:
        """Unfold every block, or when all are unfolded, fold them all back."""
        if self.editing is not None:
            return
        every = block_addresses(self.spec)
        row = self.selected_row()
        self.expanded = set() if every <= self.expanded else every
        self.show_folds(row.address if row.kind != INPUT_ROW else ())

    def show_folds(self, address: tuple) -> None:
        from ...core.blocks import is_container, node_at  # NumPy: not before Build's first frame

        self.fill_table()
        self.select_node(address, BLOCK_ROW if address and is_container(node_at(self.spec, address)) else None)

    # -- undo and redo ----------------------------------------------------------------------------

    def action_undo(self) -> None:
        if self.history:
            self.future.append(self.spec)
            self.change(self.history.pop(), record=False)

    def action_redo(self) -> None:
        if self.future:
            self.history.append(self.spec)
            self.change(self.future.pop(), record=False)
