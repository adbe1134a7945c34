"""Screenshots of View's layer list as a tree: ResNet-18 with layer1 unfolded, its channels in the grid.

Review new pictures and accept them with
`pytest tests/test_snapshots_view_tree.py --snapshot-update`.
"""

from __future__ import annotations

import pytest
from test_snapshots import app, fresh_settings, pressing  # noqa: F401  (fresh_settings: autouse)

from cnntui.tui.state import read_network


@pytest.mark.parametrize(("size", "language"), [((80, 24), "en"), ((120, 40), "zh")], ids=["80x24-en", "120x40-zh"])
def test_view_resnet18_with_layer1_unfolded(snap_compare, size, language):
    view = app("view", language, network=read_network("resnet18"))
    # Down to layer1's row (input, conv1, bn1, relu, maxpool above it), Enter unfolds it.
    assert snap_compare(view, terminal_size=size, run_before=pressing("down", "down", "down", "down", "enter"))
