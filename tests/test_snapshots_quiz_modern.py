"""A computed question of the quiz's "Modern CNNs" lesson at 80x24: which shortcut a residual block needs,
its options worked out by the engine. Accept a new picture after review with
`pytest tests/test_snapshots_quiz_modern.py --snapshot-update`."""

from __future__ import annotations

import json

from test_snapshots import SETTINGS, app, settled

from cnntui.quiz.course import lesson_ids, steps

QUESTION = "residual_shortcut:3:31"


def test_quiz_modern_shortcut_question(snap_compare):
    step = [s.ref for s in steps("modern", 0)].index(QUESTION)
    lessons = {lesson: {"step": 0, "attempt": 1, "done": True} for lesson in lesson_ids() if lesson != "modern"}
    SETTINGS.parent.mkdir(parents=True, exist_ok=True)
    progress = {"version": 1, "session": 1, "topics": {}, "review": {},
                "lessons": {**lessons, "modern": {"step": step, "attempt": 0, "done": False}}}
    (SETTINGS.parent / "progress.json").write_text(json.dumps(progress), encoding="utf-8")

    async def on_the_question(pilot) -> None:
        await settled(pilot)
        assert pilot.app.screen.question.id == QUESTION

    assert snap_compare(app("quiz", "en"), terminal_size=(80, 24), run_before=on_the_question)
