"""Quiz mode on an instructor's course: its title over its lessons, and the first lesson's recap, in English
at 80x24 and in Chinese at 120x40. Accept a new picture after review with
`pytest tests/test_snapshots_quiz_course.py --snapshot-update`."""

from __future__ import annotations

import shutil

import pytest
from test_quiz_course_file import write_course
from test_snapshots import SETTINGS, app, settled

from cnntui.quiz.course import use_course
from cnntui.quiz.questions import clear_installed


@pytest.fixture(autouse=True)
def fresh_quiz():
    shutil.rmtree(SETTINGS.parent, ignore_errors=True)
    yield
    shutil.rmtree(SETTINGS.parent, ignore_errors=True)
    use_course(None)
    clear_installed()


@pytest.mark.parametrize(("language", "size"), [("en", (80, 24)), ("zh", (120, 40))], ids=["en-80x24", "zh-120x40"])
def test_quiz_on_a_course(snap_compare, tmp_path, language, size):
    path = write_course(tmp_path)

    async def on_the_recap(pilot) -> None:
        await settled(pilot)
        assert pilot.app.screen.section == "lab-1/sizes"

    assert snap_compare(app("quiz", language, course=str(path)), terminal_size=size, run_before=on_the_recap)
