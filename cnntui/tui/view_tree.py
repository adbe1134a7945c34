"""View's layer list as a tree, without Textual: the rows a fold state shows, their cells, and which
row shows a step.

A row is named by its key, (kind, address) (see screens/build_tree.py): a block's row and its join
row share the block's address, and a block's row shows the same step as its last child, so the
step alone cannot say which row the cursor is on. A network without blocks keeps the plain list
(step number, type, output shape); one with blocks shows names and text-form words, indented by
depth, blocks with a fold mark.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.printable import printable
from ..core.shapes import shape_text
from .screens.build_tree import (BLOCK_ROW, FOLD_MARKS, INPUT_ROW, JOIN_ROW, LAYER_ROW, TreeRow, enclosing_blocks,
                                 join_words, tree_rows)

INPUT_STEP = -1
INPUT_KEY = (INPUT_ROW, ())


def row_key(row: TreeRow) -> tuple[str, tuple]:
    return row.kind, row.address


@dataclass(frozen=True, eq=False)
class Tree:
    """The rows one fold state shows, with each row's position by key."""

    rows: list[TreeRow]
    unfolded: frozenset

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", {row_key(row): index for index, row in enumerate(self.rows)})

    def position(self, key: tuple) -> int | None:
        return self.positions.get(key)

    def step_at(self, position: int) -> int:
        """The step whose output row ``position`` shows; an empty block (no step of its own) passes its
        input on, so it shows the step of the row above it."""
        for row in reversed(self.rows[:position + 1]):
            if row.step is not None:
                return row.step
        return INPUT_STEP


def layout(spec: dict, summary, unfolded: frozenset) -> Tree:
    return Tree(tree_rows(spec, summary, unfolded), unfolded)


def has_blocks(summary) -> bool:
    return bool(summary.blocks)


def key_of_step(summary, step: int) -> tuple[tuple, frozenset]:
    """The row that shows step ``step`` itself, and the blocks to unfold so that it is in the list."""
    if step == INPUT_STEP:
        return INPUT_KEY, frozenset()
    record = summary.layers[step]
    outer = enclosing_blocks(summary, record.address)
    if record.is_join:  # shown below its block's children: the block itself must be open
        return (JOIN_ROW, record.address), frozenset([*outer, record.address])
    return (LAYER_ROW, record.address), frozenset(outer)


def step_of_path(summary, path: str) -> int | None:
    """The step of the layer named by ``path`` ("layer1.0.conv1"), or None if no layer has it."""
    record = summary.record_named(path)  # a block's when the path names a block: no layer of its own
    return None if record is None or record in summary.blocks else record.index


def visible_key(summary, tree: Tree, key: tuple) -> tuple:
    """``key`` if its row is in the tree; else the row of the outermost folded block that hides it."""
    if tree.position(key) is not None:
        return key
    kind, address = key
    hiding = enclosing_blocks(summary, address) + ([address] if kind == JOIN_ROW else [])
    for block in hiding:
        if block not in tree.unfolded and tree.position((BLOCK_ROW, block)) is not None:
            return BLOCK_ROW, block
    return INPUT_KEY


def block_of_row(summary, row: TreeRow) -> tuple | None:
    """The address of the block ``row`` is in (a join row: its own block); None at the top level."""
    if row.kind == JOIN_ROW:
        return row.address
    outer = enclosing_blocks(summary, row.address)
    return outer[-1] if outer else None


def block_label(row: TreeRow) -> str:
    """A block row's name for the heading, "sequential:layer1"; "" for any other row."""
    if row.kind != BLOCK_ROW or row.record is None:
        return ""
    return f"{row.record.type}:{printable(row.record.path)}"


# -- cells ----------------------------------------------------------------------------------------


def table_cells(tree: Tree, summary, t, ascii_only: bool) -> tuple[list[str], list[tuple[str, ...]]]:
    """The header and one row of cells per tree row. Without blocks, today's plain list: step number,
    type, output shape; with blocks, the name and text-form word indented by depth, and the shape."""
    if not has_blocks(summary):
        header = ["#", t("view.col.layer"), t("view.col.output")]
        rows = [("", t("view.input"), shape_text(summary.input_shape))]
        rows += [(str(row.step), row.record.type, shape_text(row.record.output_shape)) for row in tree.rows[1:]]
        return header, rows
    marks = {folded: f"{pair[ascii_only]} " for folded, pair in FOLD_MARKS.items()}
    rows = [(" " * row.depth + row_words(row, summary, t, marks), shown_shape(row, summary)) for row in tree.rows]
    return [t("view.col.layer"), t("view.col.output")], rows


def shown_shape(row: TreeRow, summary) -> str:
    if row.kind == INPUT_ROW:
        return shape_text(summary.input_shape)
    if row.record is None or row.record.output_shape is None:
        return "-"
    return shape_text(row.record.output_shape)


def row_words(row: TreeRow, summary, t, marks: dict) -> str:
    """ "conv1 conv", "▸ layer1 seq", "= sum, relu": the node's own name and its text-form word."""
    from ..core.textform import BLOCK_KEYWORDS, WORDS

    if row.kind == INPUT_ROW:
        return t("view.input")
    if row.kind == JOIN_ROW:
        return join_words(row.record, t)
    kind = row.node.get("type") if isinstance(row.node, dict) else None
    name = own_name(row)
    if row.kind == BLOCK_ROW:
        word = BLOCK_KEYWORDS.get(kind, str(kind))
        return marks[row.folded] + (f"{name} {word}" if name else word)
    word = WORDS.get(kind, str(kind))
    return word if name in ("", word) else f"{name} {word}"


def own_name(row: TreeRow) -> str:
    """The node's own part of its path: "conv1" of "layer1.0.conv1", "0" for an unnamed entry."""
    path = getattr(row.record, "path", None)
    if path is None:
        return printable(str(row.address[-1]))
    if isinstance(row.node, dict) and row.node.get("name") == "":
        return ""  # a block named "" shares its parent's path: only its kind is its own
    return printable(path.rsplit(".", 1)[-1])


