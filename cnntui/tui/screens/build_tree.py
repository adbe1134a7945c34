"""A network's JSON as the rows of a tree, without Textual: Build's table and View's layer list.

Each row is a node of the spec found by its address (see core.blocks.Address): a layer, or a
block that is folded (one row with its totals) or unfolded (its row, then its children one level
deeper, then a join row where its branches meet). The input row comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INPUT_ROW = "input"
LAYER_ROW = "layer"
BLOCK_ROW = "block"
JOIN_ROW = "join"
# A block row's mark, folded or not: (the mark, its --ascii form). Build and View show the same.
FOLD_MARKS = {True: ("▸", "+"), False: ("▾", "-")}


@dataclass(frozen=True, eq=False)
class TreeRow:
    """One row: what it is, where its node is, how deep it sits and its numbers.

    ``record`` is the layer's LayerRecord, the block's BlockRecord, or for a join row the join
    step's LayerRecord (None for the input row, and for a node the engine could not reach).
    A join row's address is its block's."""

    kind: str
    address: tuple
    depth: int
    record: Any = None
    folded: bool = False  # block rows only
    node: Any = None  # the node's JSON (a block's with its children)

    @property
    def step(self) -> int | None:
        """The step whose output this row shows: a layer's or join's own, a block's last."""
        if self.record is None:
            return None
        return self.record.last if self.kind == BLOCK_ROW else self.record.index


def tree_rows(spec: dict, summary, expanded: set[tuple] | frozenset = frozenset()) -> list[TreeRow]:
    """The input row, then every top-level entry; a block whose address is in ``expanded`` also
    shows what it holds, then its join row (a sequential has none)."""
    from ...core.blocks import child_entries, is_container

    joins = {record.address: record for record in summary.layers if record.is_join}
    blocks = {record.address: record for record in summary.blocks}
    leaves = {record.address: record for record in summary.layers if not record.is_join}
    rows = [TreeRow(INPUT_ROW, (), 0)]

    def visit(node: Any, address: tuple, depth: int) -> None:
        if not is_container(node):
            rows.append(TreeRow(LAYER_ROW, address, depth, leaves.get(address), node=node))
            return
        unfolded = address in expanded
        rows.append(TreeRow(BLOCK_ROW, address, depth, blocks.get(address), folded=not unfolded, node=node))
        if not unfolded:
            return
        for child_address, child in child_entries(node, address):
            visit(child, child_address, depth + 1)
        if address in joins:
            rows.append(TreeRow(JOIN_ROW, address, depth + 1, joins[address], node=node))

    layers = spec.get("layers") if isinstance(spec, dict) else None
    for position, node in enumerate(layers if isinstance(layers, list) else []):
        visit(node, ("layers", position), 0)
    return rows



def join_words(record, t) -> str:
    """Where a block's branches meet, as Build's and View's join rows say it in ``t``'s language:
    "= body + shortcut, relu" or "= concat 64+128+32+32" (the join's own words, blocks.Join.row_message)."""
    if record is None or record.layer is None:
        return "="
    message = record.layer.row_message(record.input_shapes)
    return t(f"engine.{message.code}", **message.args)


# -- the fold state: the addresses of the unfolded blocks -----------------------------------------


def renumbered(addresses, list_address: tuple, new_position) -> set[tuple]:
    """``addresses`` after the list at ``list_address`` changed: ``new_position(p)`` says where its
    entry p went (None: it is gone, and so is everything under it). Others stay as they are."""
    depth = len(list_address)
    kept = set()
    for address in addresses:
        if len(address) > depth and address[:depth] == list_address and isinstance(address[depth], int):
            position = new_position(address[depth])
            if position is None:
                continue
            address = (*list_address, position, *address[depth + 1:])
        kept.add(address)
    return kept


def after_insert(addresses, list_address: tuple, position: int) -> set[tuple]:
    return renumbered(addresses, list_address, lambda p: p + 1 if p >= position else p)


def after_delete(addresses, list_address: tuple, position: int) -> set[tuple]:
    return renumbered(addresses, list_address, lambda p: None if p == position else p - (p > position))


def after_swap(addresses, list_address: tuple, first: int, second: int) -> set[tuple]:
    return renumbered(addresses, list_address, lambda p: second if p == first else first if p == second else p)


def without_under(addresses, address: tuple) -> set[tuple]:
    """``addresses`` without ``address`` and what is under it (a deleted shortcut's)."""
    return {kept for kept in addresses if kept[:len(address)] != address}


def block_addresses(spec: dict) -> set[tuple]:
    """Every block's address: what unfolding everything unfolds."""
    from ...core.blocks import child_entries, is_container

    found = set()

    def visit(node, address: tuple) -> None:
        if is_container(node):
            found.add(address)
            for child_address, child in child_entries(node, address):
                visit(child, child_address)

    layers = spec.get("layers") if isinstance(spec, dict) else None
    for position, node in enumerate(layers if isinstance(layers, list) else []):
        visit(node, ("layers", position))
    return found


def still_blocks(addresses, spec: dict) -> set[tuple]:
    """The addresses that still lead to a block in ``spec`` (after undo, redo or a new network)."""
    return set(addresses) & block_addresses(spec)


# -- where an edit goes ----------------------------------------------------------------------------


def in_list(address: tuple) -> tuple[tuple, int] | None:
    """(the address of the list holding the node, its position there); None for a shortcut, which is
    a block's one node rather than an entry of a list."""
    if len(address) >= 2 and isinstance(address[-1], int):
        return address[:-1], address[-1]
    return None


def main_list(node: dict) -> str | None:
    """The key of a block's list of children: a sequential's layers, a residual's body, a concat's branches."""
    return next((key for key in ("layers", "body", "branches") if isinstance(node.get(key), list)), None)


def insertion_point(row: TreeRow, after: bool) -> tuple[tuple, int] | None:
    """Where ``a`` (after) or ``i`` (before) puts a new node for the selected ``row``: (list address,
    position). After an unfolded block's own row is its first child's place; before its join row,
    the end of its list. None where no list is (next to a shortcut)."""
    if row.kind == INPUT_ROW:
        return ("layers",), 0
    unfolded_block = row.kind == BLOCK_ROW and not row.folded
    if (unfolded_block and after) or (row.kind == JOIN_ROW and not after):
        key = main_list(row.node)
        if key is None:
            return None
        return (*row.address, key), 0 if after else len(row.node[key])
    place = in_list(row.address)
    if place is None:
        return None
    return place[0], place[1] + (1 if after else 0)


def row_of(rows: list[TreeRow], address: tuple, kind: str | None = None) -> int | None:
    """The index of the row showing ``address`` (of ``kind`` if given: a block's row, not its join's)."""
    return next((index for index, row in enumerate(rows)
                 if row.address == address and (kind is None or row.kind == kind)), None)


def shape_reaching(summary, list_address: tuple, position: int):
    """The shape a node put at ``position`` of the list at ``list_address`` would take in: the output
    of the entry before it, or (first in its list, or any branch of a concat) its block's input."""
    owner = list_address[:-1]
    if position > 0 and list_address[-1] != "branches":
        record = summary.record_at((*list_address, position - 1))
        return record.output_shape if record is not None else None
    if not owner:
        return summary.input_shape
    record = summary.record_at(owner)
    return record.input_shape if record is not None else None


def enclosing_blocks(summary, address: tuple) -> list[tuple]:
    """The addresses of the blocks that hold the node at ``address``, outermost first."""
    blocks = {record.address for record in summary.blocks}
    return [address[:length] for length in range(1, len(address)) if address[:length] in blocks]


def parent_block(address: tuple) -> tuple:
    """The address of the block a node sits in (() at the top level): an entry's list belongs to it,
    a shortcut is its own key."""
    return address[:-2] if isinstance(address[-1], int) else address[:-1]


def copied_along(spec: dict, address: tuple) -> dict:
    """A copy of ``spec`` that shares every node except those on the way to ``address``, each copied one
    level: the node there (and what holds it) can then be changed without touching ``spec``. A keystroke
    in the form costs a few small copies, not a copy of all of ResNet-50, and the unchanged nodes stay
    the same objects, so their rows' words are not worked out again."""
    top = dict(spec)
    holder = top
    for key in address:
        child = holder[key]
        child = list(child) if isinstance(child, list) else dict(child) if isinstance(child, dict) else child
        holder[key] = child
        holder = child
    return top
