"""Quiz progress: the Leitner review schedule, topic scores, lessons, and the file they are kept in."""

from __future__ import annotations

import json

import pytest

from cnntui.quiz.progress import HINT_COST, LAST_BOX, Progress, ProgressStore

# -- review: a Leitner schedule ----------------------------------------------------------


def test_a_missed_question_goes_to_box_1_and_is_due_next_session():
    progress = Progress(session=5)
    progress.record("conv_params:1:0", "kernel", correct=False, hinted=False)
    assert progress.review["conv_params:1:0"] == {"box": 1, "due": 6, "topic": "kernel"}
    assert progress.due() == []  # not in the session it was missed in
    progress.session = 6
    assert progress.due() == ["conv_params:1:0"]


def test_a_right_answer_moves_up_a_box_and_spaces_the_reviews_out_until_it_leaves():
    progress = Progress()
    progress.record("q", "padding", correct=False, hinted=False)
    gaps = []
    for box in range(2, LAST_BOX + 1):
        progress.session = progress.review["q"]["due"]
        assert progress.due() == ["q"]
        progress.record("q", "padding", correct=True, hinted=False)
        entry = progress.review["q"]
        assert entry["box"] == box
        gaps.append(entry["due"] - progress.session)
        assert progress.due() == []  # answered right: not due again this session
    assert gaps == [2 ** (box - 1) for box in range(2, LAST_BOX + 1)] == [2, 4, 8]
    progress.session = progress.review["q"]["due"]
    progress.record("q", "padding", correct=True, hinted=False)  # right in the last box
    assert "q" not in progress.review and progress.due() == []


def test_a_wrong_answer_sends_it_back_to_box_1():
    progress = Progress()
    progress.record("q", "padding", correct=False, hinted=False)
    progress.record("q", "padding", correct=True, hinted=False)
    progress.record("q", "padding", correct=True, hinted=False)
    assert progress.review["q"]["box"] == 3
    progress.session = 10
    progress.record("q", "padding", correct=False, hinted=False)
    assert progress.review["q"] == {"box": 1, "due": 11, "topic": "padding"}


def test_a_question_answered_right_first_time_never_enters_review():
    progress = Progress()
    progress.record("q", "padding", correct=True, hinted=False)
    progress.record("r", "padding", correct=True, hinted=True)
    assert progress.review == {}


def test_a_bank_question_in_another_order_keeps_one_review_entry_under_its_latest_id():
    """A retaken lesson asks "bank:q@1" where the first attempt asked "bank:q@0" (or an old file holds
    "bank:q"): the same question, so one entry, which a review then asks in the order last seen."""
    progress = Progress(review={"bank:q": {"box": 2, "due": 3, "topic": "kernel"},
                                "bank:qq@0": {"box": 1, "due": 1, "topic": "kernel"}})
    progress.record("bank:q@0", "kernel", correct=False, hinted=False)
    assert progress.review == {"bank:q@0": {"box": 1, "due": 1, "topic": "kernel"},
                               "bank:qq@0": {"box": 1, "due": 1, "topic": "kernel"}}
    progress.record("bank:q@1", "kernel", correct=True, hinted=False)
    assert progress.review == {"bank:q@1": {"box": 2, "due": 2, "topic": "kernel"},
                               "bank:qq@0": {"box": 1, "due": 1, "topic": "kernel"}}
    progress.record("conv_params:1:0", "kernel", correct=False, hinted=False)
    progress.record("conv_params:1:100", "kernel", correct=False, hinted=False)  # computed: other numbers
    assert {"conv_params:1:0", "conv_params:1:100"} <= progress.review.keys()


def test_due_lists_lower_boxes_first_and_only_what_is_due():
    progress = Progress(review={"late": {"box": 1, "due": 9, "topic": "t"}, "b3": {"box": 3, "due": 2, "topic": "t"},
                                "b1": {"box": 1, "due": 4, "topic": "t"}, "b2": {"box": 2, "due": 4, "topic": "t"}},
                        session=4)
    assert progress.due() == ["b1", "b2", "b3"]


# -- topic scores ------------------------------------------------------------------------


def test_a_hint_costs_half_and_a_wrong_answer_scores_nothing():
    progress = Progress()
    progress.record("a", "kernel", correct=True, hinted=False)
    progress.record("b", "kernel", correct=True, hinted=True)
    progress.record("c", "kernel", correct=False, hinted=True)
    progress.record("d", "kernel", correct=False, hinted=False)
    assert HINT_COST == 0.5
    assert progress.topics["kernel"] == {"asked": 4, "score": 1.5}


def test_strengths_list_the_weakest_topic_first_ties_by_name():
    progress = Progress()
    for topic, results in {"stride": [True, True], "padding": [True, False], "kernel": [False, False],
                           "macs": [True, False], "gap": [True]}.items():
        for i, correct in enumerate(results):
            progress.record(f"{topic}{i}", topic, correct, hinted=False)
    assert progress.strengths() == [("kernel", 2, 0.0), ("macs", 2, 0.5), ("padding", 2, 0.5),
                                    ("gap", 1, 1.0), ("stride", 2, 1.0)]
    progress.topics["unasked"] = {"asked": 0, "score": 0.0}
    assert "unasked" not in [row[0] for row in progress.strengths()]


# -- lessons ---------------------------------------------------------------------------------


def test_advance_walks_a_lesson_and_completion_starts_the_next_attempt():
    progress = Progress()
    assert progress.lesson("numbers") == {"step": 0, "attempt": 0, "done": False}
    for step in range(1, 3):
        progress.advance("numbers", 3)
        assert progress.lesson("numbers") == {"step": step, "attempt": 0, "done": False}
    progress.advance("numbers", 3)
    assert progress.lesson("numbers") == {"step": 0, "attempt": 1, "done": True}
    progress.advance("numbers", 3)
    assert progress.lesson("numbers") == {"step": 1, "attempt": 1, "done": True}  # done stays done
    assert progress.lesson("structure")["step"] == 0  # lessons are separate


# -- the file ----------------------------------------------------------------------------------


def sample() -> Progress:
    progress = Progress(session=3)
    progress.advance("numbers", 10)
    progress.record("conv_params:2:5", "kernel", correct=False, hinted=True)
    progress.record("bank:stride-1", "stride", correct=True, hinted=False)
    progress.record("bank:中文", "填充", correct=False, hinted=False)
    return progress


def test_progress_round_trips_through_a_file(tmp_path):
    store = ProgressStore(tmp_path / "data" / "progress.json")  # the folder is made when saving
    assert store.load() == Progress() and store.problem is None
    progress = sample()
    store.save(progress)
    again = ProgressStore(store.path)
    assert again.load() == progress
    assert again.problem is None and again.moved_to is None
    assert json.loads(store.path.read_text(encoding="utf-8"))["version"] == 1
    # No temporary file left; the lock is a side file (the data file is replaced by rename).
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["progress.json", "progress.json.lock"]


def test_a_file_without_some_parts_loads_what_is_there(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"lessons": {"numbers": {"step": 2, "attempt": 0, "done": False}}}))
    store = ProgressStore(path)
    assert store.load() == Progress(lessons={"numbers": {"step": 2, "attempt": 0, "done": False}})
    assert store.problem is None and path.exists()


GOOD_LESSON = {"step": 1, "attempt": 0, "done": False}
DAMAGED = {
    "garbage bytes": b"\x00\xff\xfe not json at all \x80",
    "bad json": b'{"lessons": {',
    "a json list": b"[1, 2, 3]",
    "a json string": b'"progress"',
    "wrong types inside": json.dumps({
        "lessons": {"numbers": GOOD_LESSON, "structure": {"step": "two", "attempt": 0, "done": False},
                    "comparisons": {"step": 0, "attempt": 0, "done": 1}, "building-blocks": []},
        "topics": {"kernel": {"asked": 2, "score": 1.5}, "padding": {"asked": "2", "score": 1},
                   "stride": {"asked": True, "score": 0}},
        "review": {"q": {"box": 1, "due": 2, "topic": "kernel"}, "r": {"box": None, "due": 2, "topic": "x"},
                   "s": {"box": 1, "due": 2, "topic": 3}},
        "session": "four"}).encode(),
    "wrong kind of part": json.dumps({"lessons": [GOOD_LESSON], "topics": "none", "review": 3,
                                      "session": -1}).encode(),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_file_is_set_aside_and_reported_never_a_crash(tmp_path, case):
    path = tmp_path / "progress.json"
    path.write_bytes(DAMAGED[case])
    store = ProgressStore(path)
    progress = store.load()
    assert isinstance(progress, Progress)
    assert store.problem, "the problem is reported"
    assert store.moved_to is not None and store.moved_to.name.startswith("progress.json.corrupt-")
    assert store.moved_to.read_bytes() == DAMAGED[case]  # kept for the user, as it was
    assert not path.exists()
    if case == "wrong types inside":  # the good entries survive, the bad ones are dropped
        assert progress == Progress(lessons={"numbers": GOOD_LESSON}, topics={"kernel": {"asked": 2, "score": 1.5}},
                                    review={"q": {"box": 1, "due": 2, "topic": "kernel"}}, session=0)
    else:
        assert progress == Progress()
    store.save(progress)  # saving afterwards writes a fresh file and keeps the set-aside one
    assert ProgressStore(path).load() == progress and store.moved_to.exists()


def test_a_second_damaged_file_does_not_overwrite_the_first_one_set_aside(tmp_path):
    path = tmp_path / "progress.json"
    moved = []
    for content in (b"first", b"second"):
        path.write_bytes(content)
        store = ProgressStore(path)
        store.load()
        moved.append(store.moved_to)
    assert moved[0] != moved[1] and [m.read_bytes() for m in moved] == [b"first", b"second"]


def test_a_file_that_cannot_be_read_is_reported(tmp_path):
    path = tmp_path / "progress.json"
    path.mkdir()  # a folder where the file should be
    store = ProgressStore(path)
    assert store.load() == Progress()
    assert store.problem


def test_saving_where_the_folder_cannot_be_made_raises_oserror(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    store = ProgressStore(blocker / "progress.json")
    with pytest.raises(OSError):
        store.save(sample())
    assert blocker.read_text() == "a file"


def test_saving_over_a_folder_sets_the_folder_aside_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "progress.json"
    path.mkdir()  # a folder appeared where the file was: it cannot be read, so it is kept, not replaced
    (path / "inside").write_text("kept")
    ProgressStore(path).save(sample())
    assert ProgressStore(path).load() == sample()
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("progress.json.corrupt-")]
    assert len(moved) == 1 and (moved[0] / "inside").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir() if p not in moved) == ["progress.json", "progress.json.lock"]


def test_review_skips_a_bank_question_not_loaded_now_but_keeps_it_and_drops_only_damaged_ids():
    entry = {"box": 1, "due": 1, "topic": "kernel"}
    progress = Progress(session=1, review={qid: dict(entry) for qid in (
        "bank:lab-only-question@2", "bank:Not An Id", "bank:q@x", "conv_params:one:0", "bank:activation-dead-relu@0")})
    progress.review["bank:activation-dead-relu@0"]["box"] = 2  # asked after the others (lowest box first)
    queue = progress.due()
    question = progress.first_askable(queue)
    assert question.id.startswith("bank:activation-dead-relu") and queue == ["bank:activation-dead-relu@0"]
    # the lab's question waits for a session with its bank; the ones no session can ask are gone
    assert sorted(progress.review) == ["bank:activation-dead-relu@0", "bank:lab-only-question@2"]
