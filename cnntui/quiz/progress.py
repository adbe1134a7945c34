"""A student's progress: where each lesson stands, scores per topic, and missed questions to review.

Kept per user in the platform's data folder, written atomically. A file that
cannot be read is set aside (or, failing that, left alone and never saved
over) and reported, never a crash. A save merges, under a lock, with what
another session of the same student saved meanwhile.

Review follows a simple Leitner schedule: a missed question goes into box 1;
each right answer moves it up a box, a wrong one back to box 1. A question in
box b is due again 2**(b-1) sessions after it was last asked; one answered
right in the last box leaves the review.

Per question (see question_key) it counts how often it was asked and missed,
for the class report (quiz/report.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from ..core.files import Problem, load_json_object, update_json
from .questions import Question, same_question

LAST_BOX = 4
HINT_COST = 0.5  # a right answer after a hint counts half
NEW_LESSON = {"step": 0, "attempt": 0, "done": False}


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("cnntui", appauthor=False) / "progress.json"


@dataclass
class Progress:
    lessons: dict[str, dict] = field(default_factory=dict)  # id -> {"step", "attempt", "done"}
    topics: dict[str, dict] = field(default_factory=dict)  # topic -> {"asked", "score"}
    review: dict[str, dict] = field(default_factory=dict)  # question id -> {"box", "due", "topic"}
    session: int = 0
    questions: dict[str, dict] = field(default_factory=dict)  # question_key -> {"asked", "missed"}

    # -- lessons ---------------------------------------------------------------------

    def lesson(self, lesson_id: str) -> dict:
        return self.lessons.setdefault(lesson_id, dict(NEW_LESSON))

    def advance(self, lesson_id: str, step_count: int) -> None:
        state = self.lesson(lesson_id)
        state["step"] += 1
        if state["step"] >= step_count:
            state.update(step=0, attempt=state["attempt"] + 1, done=True)

    # -- answers ---------------------------------------------------------------------

    def record(self, question_id: str, topic: str, correct: bool, hinted: bool) -> None:
        scores = self.topics.setdefault(topic, {"asked": 0, "score": 0.0})
        scores["asked"] += 1
        scores["score"] += (HINT_COST if hinted else 1.0) if correct else 0.0
        counts = self.questions.setdefault(question_key(question_id), {"asked": 0, "missed": 0})
        counts["asked"] += 1
        counts["missed"] += 0 if correct else 1
        # A bank question asked with its options in another order (a retaken lesson) is the same question:
        # its review entry moves to this id, so a review asks it once, in the order last seen.
        earlier = next((qid for qid in self.review if qid != question_id and same_question(qid, question_id)), None)
        if earlier is not None:
            self.review[question_id] = self.review.pop(earlier)
        entry = self.review.get(question_id)
        if not correct:
            self.review[question_id] = {"box": 1, "due": self.session + 1, "topic": topic}
        elif entry is not None:
            if entry["box"] >= LAST_BOX:
                del self.review[question_id]
            else:
                entry["box"] += 1
                entry["due"] = self.session + 2 ** (entry["box"] - 1)

    def due(self, session: int | None = None) -> list[str]:
        """Missed questions due for review in ``session`` (default: this one), lowest box first."""
        now = self.session if session is None else session
        ready = [(entry["box"], qid) for qid, entry in self.review.items() if entry["due"] <= now]
        return [qid for _, qid in sorted(ready)]

    def first_askable(self, queue: list[str]) -> Question | None:
        """The Question of the first id in ``queue`` (from due()) that can be asked now, or None. A bank
        question not loaded now (its instructor's bank or --bank file is not here this time) only leaves
        the queue: it stays in the review for a session that has its bank. An id that can never be asked
        (damaged by hand) leaves the review too."""
        from .questions import question_by_id

        while queue:
            try:
                return question_by_id(queue[0])
            except (KeyError, ValueError):
                question_id = queue.pop(0)
                if not _well_formed_bank_id(question_id):
                    self.review.pop(question_id, None)
        return None

    def strengths(self) -> list[tuple[str, int, float]]:
        """(topic, questions asked, share right) for every topic tried, weakest first."""
        rows = [(topic, s["asked"], s["score"] / s["asked"]) for topic, s in self.topics.items() if s["asked"]]
        return sorted(rows, key=lambda row: (row[2], row[0]))

    # -- storage ---------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"version": 1, "lessons": self.lessons, "topics": self.topics, "review": self.review,
                "session": self.session, "questions": self.questions}

    @classmethod
    def from_dict(cls, data: dict) -> Progress:
        """Known parts that have the right shape; anything else is left out."""
        def table(name: str, fields: dict[str, tuple[type, ...]]) -> dict:
            value = data.get(name)
            if not isinstance(value, dict):
                return {}
            return {key: entry for key, entry in value.items() if isinstance(entry, dict) and _fits(entry, fields)}

        session = data.get("session")
        return cls(table("lessons", {"step": (int,), "attempt": (int,), "done": (bool,)}),
                   table("topics", {"asked": (int,), "score": (int, float)}),
                   table("review", {"box": (int,), "due": (int,), "topic": (str,)}),
                   session if isinstance(session, int) and not isinstance(session, bool) and session >= 0 else 0,
                   table("questions", {"asked": (int,), "missed": (int,)}))


def _well_formed_bank_id(question_id: str) -> bool:
    """Whether ``question_id`` is "bank:<id>" or "bank:<id>@<seed>" with an id a bank may hold."""
    from .bank_file import KEBAB

    bank_id, at, seed = question_id.removeprefix("bank:").partition("@")
    return (question_id.startswith("bank:") and KEBAB.fullmatch(bank_id) is not None
            and (not at or seed.isdigit()))


def _fits(entry: dict, fields: dict[str, tuple[type, ...]]) -> bool:
    """Whether every field of ``entry`` is of its kinds (True and False are no numbers here). A loop, not
    all() over a generator: the class report checks some 30,000 entries."""
    for name, kinds in fields.items():
        value = entry.get(name)
        if not isinstance(value, kinds) or (value.__class__ is bool and bool not in kinds):
            return False
    return True


@dataclass
class ProgressStore:
    """The progress file, what went wrong reading it, and ``base``: the progress as this session last
    read or wrote it, against which a save merges what other sessions saved since.

    ``read_only``: the file could be neither read nor set aside, so this session never writes it.
    """

    path: Path
    problem: Problem | None = None
    moved_to: Path | None = None
    read_only: bool = False
    base: Progress = field(default_factory=Progress)

    def load(self) -> Progress:
        found = load_json_object(self.path, _check)
        self.problem, self.moved_to, self.read_only = found.problem, found.moved_to, found.left_alone
        progress = Progress.from_dict(found.data)
        # The base is what the file holds now: nothing once it was set aside, so the good parts kept
        # from it count as this session's and are written again.
        self.base = Progress() if self.moved_to else copy.deepcopy(progress)
        return progress

    def save(self, progress: Progress) -> None:
        """Merge ``progress`` with the file as it is now and write the result, which ``progress`` then
        holds (the same object: the quiz screen keeps it). OSError when the folder cannot be written."""
        if self.read_only:
            return

        def change(current: dict) -> dict:
            return merge(Progress.from_dict(current), progress, self.base).to_dict()

        merged = Progress.from_dict(update_json(self.path, change, _check))
        # A lesson this session moved on keeps its own place here, though the file may keep another
        # session's further one: the screen shows this session's step, and the next step must follow it.
        mine = {lesson_id: state for lesson_id, state in progress.lessons.items()
                if state != self.base.lessons.get(lesson_id, NEW_LESSON)}
        self.base = copy.deepcopy(merged)
        progress.lessons, progress.topics, progress.review, progress.session, progress.questions = (
            {**merged.lessons, **mine}, merged.topics, merged.review, merged.session, merged.questions)


def merge(disk: Progress, ours: Progress, base: Progress) -> Progress:
    """A three-way merge: what this session changed since ``base``, applied over ``disk`` (what is saved
    now, perhaps with another session's steps). Counts add both sessions' increments."""
    lessons = dict(disk.lessons)
    for lesson_id, state in ours.lessons.items():
        if state == base.lessons.get(lesson_id, NEW_LESSON):  # a lesson only looked at is not a change
            continue
        # A lesson's place only ever moves forward (step, then attempt), so of this session's place and
        # the file's, the further one holds all the work; done if either session finished it.
        theirs = disk.lessons.get(lesson_id, NEW_LESSON)
        further = max(state, theirs, key=lambda entry: (entry["attempt"], entry["step"]))
        lessons[lesson_id] = {**further, "done": state["done"] or theirs["done"]}
    topics = _add_increments(disk.topics, ours.topics, base.topics, {"asked": 0, "score": 0.0})
    questions = _add_increments(disk.questions, ours.questions, base.questions, {"asked": 0, "missed": 0})
    review = dict(disk.review)
    for question in ours.review.keys() | base.review.keys():
        if ours.review.get(question) != base.review.get(question):
            if question in ours.review:
                review[question] = ours.review[question]
            else:
                review.pop(question, None)
    return Progress(lessons, topics, review, max(0, disk.session + ours.session - base.session), questions)


def _add_increments(disk: dict, ours: dict, base: dict, zero: dict) -> dict:
    """Per key, the file's counts plus what this session added to them since ``base``."""
    merged = {}
    for key in disk.keys() | ours.keys():
        mine, theirs, then = (table.get(key, zero) for table in (ours, disk, base))
        merged[key] = {name: theirs[name] + mine[name] - then[name] for name in zero}
    return merged


def question_key(question_id: str) -> str:
    """What stays the same when a question is asked again: a bank question's id without its "@<seed>"
    (the order of its options), a computed one's generator ("<generator>:<difficulty>:<seed>"); any
    other id (a hands-on task's "task:<id>") as it is."""
    if question_id.startswith("bank:"):
        return question_id.partition("@")[0]
    parts = question_id.split(":")
    return parts[0] if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() else question_id


def file_problem(data: dict) -> Problem | None:
    """What ProgressStore.load would report of a file holding ``data`` (a JSON object): entries of the
    wrong kind, or None."""
    return _check(data)[1]


def _check(data: dict) -> tuple[dict, Problem | None]:
    """For load_json_object: entries of the wrong kind damage the file; the good ones are kept."""
    damaged = _damaged(data, Progress.from_dict(data))
    return data, (Problem("bad_entries", "{count} entries had values of the wrong kind", count=damaged)
                  if damaged else None)


def _damaged(data: dict, progress: Progress) -> int:
    """How many parts of ``data`` ``Progress.from_dict`` had to leave out."""
    count = 0
    for name in ("lessons", "topics", "review", "questions"):
        if name in data:
            given = data[name]
            count += len(given) - len(getattr(progress, name)) if isinstance(given, dict) else 1
    if "session" in data and data["session"] != progress.session:
        count += 1
    return count
