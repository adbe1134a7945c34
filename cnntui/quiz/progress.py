"""A student's progress: where each lesson stands, scores per topic, and missed questions to review.

Kept per user in the platform's data folder, written atomically. A damaged
file is set aside and reported, never silently replaced or a crash.

Review follows a simple Leitner schedule: a missed question goes into box 1;
each right answer moves it up a box, a wrong one back to box 1. A question in
box b is due again 2**(b-1) sessions after it was last asked; one answered
right in the last box leaves the review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.files import load_json_object, save_json, set_aside

LAST_BOX = 4
HINT_COST = 0.5  # a right answer after a hint counts half


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("cnntui", appauthor=False) / "progress.json"


@dataclass
class Progress:
    lessons: dict[str, dict] = field(default_factory=dict)  # id -> {"step", "attempt", "done"}
    topics: dict[str, dict] = field(default_factory=dict)  # topic -> {"asked", "score"}
    review: dict[str, dict] = field(default_factory=dict)  # question id -> {"box", "due", "topic"}
    session: int = 0

    # -- lessons ---------------------------------------------------------------------

    def lesson(self, lesson_id: str) -> dict:
        return self.lessons.setdefault(lesson_id, {"step": 0, "attempt": 0, "done": False})

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
        entry = self.review.get(question_id)
        if not correct:
            self.review[question_id] = {"box": 1, "due": self.session + 1, "topic": topic}
        elif entry is not None:
            if entry["box"] >= LAST_BOX:
                del self.review[question_id]
            else:
                entry["box"] += 1
                entry["due"] = self.session + 2 ** (entry["box"] - 1)

    def due(self) -> list[str]:
        """Missed questions due for review now, lowest box first."""
        ready = [(entry["box"], qid) for qid, entry in self.review.items() if entry["due"] <= self.session]
        return [qid for _, qid in sorted(ready)]

    def strengths(self) -> list[tuple[str, int, float]]:
        """(topic, questions asked, share right) for every topic tried, weakest first."""
        rows = [(topic, s["asked"], s["score"] / s["asked"]) for topic, s in self.topics.items() if s["asked"]]
        return sorted(rows, key=lambda row: (row[2], row[0]))

    # -- storage ---------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"version": 1, "lessons": self.lessons, "topics": self.topics, "review": self.review,
                "session": self.session}

    @classmethod
    def from_dict(cls, data: dict) -> Progress:
        """Known parts that have the right shape; anything else is left out."""
        def table(name: str, fields: dict[str, tuple[type, ...]]) -> dict:
            value = data.get(name)
            if not isinstance(value, dict):
                return {}
            return {key: entry for key, entry in value.items()
                    if isinstance(entry, dict) and all(isinstance(entry.get(f), kinds) and not
                                                       (isinstance(entry.get(f), bool) and bool not in kinds)
                                                       for f, kinds in fields.items())}

        session = data.get("session")
        return cls(table("lessons", {"step": (int,), "attempt": (int,), "done": (bool,)}),
                   table("topics", {"asked": (int,), "score": (int, float)}),
                   table("review", {"box": (int,), "due": (int,), "topic": (str,)}),
                   session if isinstance(session, int) and not isinstance(session, bool) and session >= 0 else 0)


@dataclass
class ProgressStore:
    path: Path
    problem: str | None = None
    moved_to: Path | None = None

    def load(self) -> Progress:
        data, self.problem, self.moved_to = load_json_object(self.path)
        progress = Progress.from_dict(data)
        damaged = _damaged(data, progress)
        if damaged:
            # Keep the good entries, and the whole original file beside them.
            self.problem = f"{damaged} entries had values of the wrong kind"
            self.moved_to = set_aside(self.path)
        return progress

    def save(self, progress: Progress) -> None:
        """Write ``progress``; raises OSError when the data folder cannot be written."""
        save_json(self.path, progress.to_dict())


def _damaged(data: dict, progress: Progress) -> int:
    """How many parts of ``data`` ``Progress.from_dict`` had to leave out."""
    count = 0
    for name in ("lessons", "topics", "review"):
        if name in data:
            given = data[name]
            count += len(given) - len(getattr(progress, name)) if isinstance(given, dict) else 1
    if "session" in data and data["session"] != progress.session:
        count += 1
    return count
