"""Build's table as a tree: ResNet-18 with layer1 and its first block unfolded (80x24 in English, 120x40
in Chinese), and the same with a problem inside the block (80x24).

Review the pictures after an intended change, then accept them with
`pytest tests/test_snapshots_build_tree.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from test_app import until
from test_snapshots import app, fresh_settings, settled  # noqa: F401 (fresh_settings: a fixture, used by name)

# From the input row: layer1 (unfolded), its block 0 (unfolded), that block's conv1 selected.
UNFOLD_LAYER1 = ("down", "down", "down", "down", "down", "enter", "down", "right", "down")


async def layer1_unfolded(pilot) -> None:
    await settled(pilot)
    await pilot.press(*UNFOLD_LAYER1)
    await until(pilot, lambda: pilot.app.screen.selected_row().address == ("layers", 4, "layers", 0, "body", 0))
    await pilot.pause()  # and the frame that shows it


async def block_broken(pilot) -> None:
    """layer1.0's conv2 gives 32 channels: the sum with the 64-channel shortcut fails; the join row selected."""
    await layer1_unfolded(pilot)
    screen = pilot.app.screen
    await pilot.press("down", "down", "down", "e")
    await until(pilot, lambda: screen.query("#field-out_channels"))
    field = screen.query_one("#field-out_channels")
    field.focus()
    field.value = "32"
    await until(pilot, lambda: screen.summary.problems)
    await pilot.press("enter", "down", "down")
    await until(pilot, lambda: screen.editing is None and screen.selected_row().kind == "join")
    await pilot.pause()  # and the frame that shows it


@pytest.mark.parametrize(("language", "size"), [("en", (80, 24)), ("zh", (120, 40))], ids=["en-80x24", "zh-120x40"])
def test_resnet18_with_layer1_unfolded(snap_compare, language, size):
    from cnntui.tui.state import read_network

    build = app("build", language, network=read_network("resnet18"))
    assert snap_compare(build, terminal_size=size, run_before=layer1_unfolded)


def test_a_problem_inside_a_block(snap_compare):
    from cnntui.tui.state import read_network

    build = app("build", "en", network=read_network("resnet18"))
    assert snap_compare(build, terminal_size=(80, 24), run_before=block_broken)
