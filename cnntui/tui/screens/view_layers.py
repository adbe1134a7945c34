"""View mode's layer list: the network as a tree whose blocks fold and unfold, its cursor kept on
the row of the Place (see view.py). What the rows are and say is view_tree.py's, without Textual.

A mixin for ViewScreen, which gives it ``result``, ``place``, ``go()``, ``summary``, ``trees`` (the
layout per fold state, emptied for each new result) and ``is_focused()``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding

from ..view_tree import Tree, has_blocks, key_of_step, layout, block_of_row, step_of_path, table_cells
from ..widgets.table import LayerTable
from .build_tree import BLOCK_ROW, TreeRow

if TYPE_CHECKING:
    from .view import Place

TREE_ACTIONS = {"fold", "unfold"}  # Space's, on block rows


class LayerTree(LayerTable):
    """View's layer list. Enter on a block's row folds or unfolds it (elsewhere it is chosen, as
    before); Left and Right fold and unfold where the screen says they can (see ViewLayers.tree_key),
    and scroll sideways elsewhere as before. They act here, in the list's turn, so that they apply
    to the row the arrow keys typed before them reached, not to where a message left it."""

    BINDINGS = [Binding("left", "tree_key('left')", show=False), Binding("right", "tree_key('right')", show=False)]

    def action_tree_key(self, side: str) -> None:
        if self.screen.tree_key(side):
            return
        if side == "left":
            self.action_scroll_left()
        else:
            self.action_scroll_right()

    def action_select(self) -> None:
        if not self.screen.toggle_block():
            super().action_select()


class ViewLayers:
    def select_requested(self) -> None:
        """Show the layer a "try it" link asked for: {"layer": step} or {"path": "layer1.0.conv1"}."""
        requested = self.app.requested_layer
        if not requested or self.result is None or self.app.current_mode != "view":
            return
        self.app.requested_layer = None
        step = step_of_path(self.summary, str(requested["path"])) if "path" in requested else None
        if step is None and "layer" in requested:
            step = int(requested["layer"])
        if step is not None:  # a path this network does not have leaves the view where it is
            self.select_layer(step)

    def place_of_step(self, step: int, place: Place) -> Place:
        """``place`` on the row of step ``step`` itself, with the blocks around it unfolded."""
        key, around = key_of_step(self.summary, step)
        return replace(place, row=key, unfolded=place.unfolded | around)

    def tree(self, unfolded: frozenset | None = None) -> Tree:
        """The layer list's rows for a fold state (by default the one shown)."""
        unfolded = self.place.unfolded if unfolded is None else unfolded
        tree = self.trees.get(unfolded)
        if tree is None:
            tree = self.trees[unfolded] = layout(self.result.request.spec, self.summary, unfolded)
        return tree

    def shown_row(self) -> TreeRow:
        """The place's row: the one whose maps are shown."""
        tree = self.tree()
        return tree.rows[tree.position(self.place.row) or 0]

    def current_row(self) -> TreeRow:
        """The row under the list's cursor: a key typed ahead acts there, even before the place has
        caught up with the cursor's last move (its message is still on its way)."""
        rows = self.tree().rows
        return rows[min(self.query_one("#view-layers", LayerTable).cursor, len(rows) - 1)]

    def select_layer(self, layer: int) -> None:
        """Show step ``layer`` (-1 the input) on its own row, unfolding the blocks it is in."""
        if self.result is not None:
            self.place = self.place_of_step(max(-1, min(layer, len(self.result.outputs) - 1)), self.place)

    def fold(self, block: tuple, folded: bool) -> None:
        unfolded = self.place.unfolded - {block} if folded else self.place.unfolded | {block}
        self.go(unfolded=unfolded, row=(BLOCK_ROW, block))

    def action_fold(self) -> None:
        self.fold(self.current_row().address, True)

    def action_unfold(self) -> None:
        self.fold(self.current_row().address, False)

    def toggle_block(self) -> bool:
        """Enter on a block's row folds or unfolds it; False on any other row."""
        row = self.current_row() if self.result is not None else None
        if row is None or row.kind != BLOCK_ROW:
            return False
        self.fold(row.address, not row.folded)
        return True

    def tree_key(self, side: str) -> bool:
        """Left folds an unfolded block, and on a row inside a block moves up to the block's row;
        Right unfolds a folded block, and on an unfolded one moves down to its first row. False
        where neither applies (a layer at the top level)."""
        if self.result is None:
            return False
        row = self.current_row()
        block, folded = row.kind == BLOCK_ROW, row.folded
        if side == "right" and block and folded:
            self.fold(row.address, False)
        elif side == "right" and block:
            self.query_one("#view-layers", LayerTable).action_move(1)
        elif side == "left" and block and not folded:
            self.fold(row.address, True)
        elif side == "left" and block_of_row(self.summary, row) is not None:
            self.go(row=(BLOCK_ROW, block_of_row(self.summary, row)))
        else:
            return False
        return True

    def tree_action_works(self, action: str) -> bool:
        """Space folds an unfolded block's row and unfolds a folded one's, in the layer list."""
        if self.result is None or not self.is_focused("view-layers"):
            return False
        row = self.current_row()
        return row.kind == BLOCK_ROW and row.folded == (action == "unfold")

    def fill_layers(self) -> None:
        """The layer list for the fold state, its cursor on the place's row."""
        t = self.app.t
        table = self.query_one("#view-layers", LayerTable)
        if self.result is None:
            table.set_rows(["#", t("view.col.layer"), t("view.col.output")], [], set())
            return
        header, rows = table_cells(self.tree(), self.summary, t, self.app.ascii_only)
        # A tree's names are cut to fit the side column, rather than pushing the shapes off it.
        table.set_rows(header, rows, set(), shrink=0 if has_blocks(self.summary) else None)
        self.show_row()

    def show_row(self) -> None:
        if self.result is None:
            return
        table = self.query_one("#view-layers", LayerTable)
        position = self.tree().position(self.place.row)
        if position is not None and table.cursor != position:
            table.move_cursor(position)
