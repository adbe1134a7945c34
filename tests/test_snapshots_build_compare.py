"""Build's compare across architectures at 80x24: vgg16 pinned, resnet18 current, compared by kind of layer.

Review the picture after an intended change, then accept it with
`pytest tests/test_snapshots_build_compare.py --snapshot-update`.
"""

from __future__ import annotations

from test_app import until
from test_snapshots import app, fresh_settings, settled  # noqa: F401 (fresh_settings: a fixture, used by name)


async def vgg16_pinned_against_resnet18(pilot) -> None:
    await settled(pilot)
    screen = pilot.app.screen
    pilot.app.load_network("vgg16")
    await until(pilot, lambda: screen.spec.get("name") == "vgg16", "vgg16 loaded")
    await pilot.press("M")
    pilot.app.load_network("resnet18")
    await until(pilot, lambda: screen.spec.get("name") == "resnet18", "resnet18 loaded")
    await pilot.press("m")
    await until(pilot, lambda: screen.query_one("#build-compare").row_count, "the compare table")
    pilot.app.clear_notifications()  # "Pinned vgg16" and "Current network" would cover the side panel
    await until(pilot, lambda: not screen.query("#textual-toastrack Toast"), "the notifications gone")
    await pilot.pause()


def test_compare_vgg16_with_resnet18(snap_compare):
    assert snap_compare(app("build"), terminal_size=(80, 24), run_before=vgg16_pinned_against_resnet18)
