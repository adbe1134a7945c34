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

