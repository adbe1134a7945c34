"""A screenshot of Learn's architecture timeline at 80x24, scrolled to its table.

Accept a reviewed change with `pytest tests/test_snapshots_learn_timeline.py --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets._markdown import MarkdownTableContent

from test_app import until
from test_snapshots import app, fresh_settings, settled  # noqa: F401  (fresh_settings: autouse, here too)

PAGE = "architecture-timeline"


def test_learn_timeline_table(snap_compare):
    async def open_page(pilot):
        await settled(pilot)
        pilot.app.open_concept(PAGE)
        screen = pilot.app.screen
        # The page is computed in a worker, then its table mounts.
        await until(pilot, lambda: screen.shown and screen.shown[0] == PAGE and screen.query(MarkdownTableContent),
                    "the timeline's table", timeout=30)
        await pilot.pause()
        scroll, table = screen.query_one("#learn-scroll"), screen.query_one(MarkdownTableContent)
        scroll.scroll_to_widget(table, top=True, animate=False)
        await until(pilot, lambda: scroll.scroll_y > 0 and table.region.y <= scroll.region.y + 1, "the table on top")
        await pilot.pause()

    assert snap_compare(app("learn", "en"), terminal_size=(80, 24), run_before=open_page)
