"""Questions: authored ones from the bank, computed ones from the generators, and how each is graded.

A question knows its words in both languages, its answer, the form the
answer takes, a worked explanation and the Learn page it is about. Computed
questions also carry the network they are about, so any other tool can check
the answer.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "zh")
FORMS = ("integer", "number", "size", "shape", "choice", "bool")
QUIZ_CONTENT = Path(__file__).resolve().parent.parent / "content" / "quiz"

Text = dict[str, str]  # {"en": ..., "zh": ...}


@dataclass
class Question:
    id: str
    topic: str
    kind: str  # "computed", "choice" or "truefalse"
    form: str  # how the answer is typed; see FORMS
    prompt: Text
    answer: Any  # int, float, [h, w], [c, h, w], option index, or bool
    explanation: Text
    concept: str  # the Learn page the question is about
    difficulty: int = 1
    hint: Text = field(default_factory=dict)
    options: list[dict] = field(default_factory=list)  # choice: {"text": Text, "why": Text}
    why: Text = field(default_factory=dict)  # truefalse: why the statement is true or false
    network: dict | None = None
    layer: int | None = None
    quantity: str | None = None
    given: dict | None = None  # weights or input values a computed answer depends on

    def to_json(self) -> dict[str, Any]:
        """The question as `cnntui quiz --json` prints it."""
        data: dict[str, Any] = {"id": self.id, "topic": self.topic, "kind": self.kind, "form": self.form,
                                "difficulty": self.difficulty, "prompt": self.prompt, "answer": self.answer,
                                "explanation": self.explanation, "concept": self.concept}
        if self.options:
            data["options"] = [{"text": o["text"], "correct": i == self.answer} for i, o in enumerate(self.options)]
        if self.kind == "computed":
            data.update(network=self.network, layer=self.layer, quantity=self.quantity)
            if self.given:
                data["given"] = self.given
        return data


# The instructor's questions (quiz.bank_file checks and resolves them), in the order they were installed.
_installed: dict[str, dict] = {}
_sources: dict[str, str] = {}  # the path of the file each came from, for a clash's message


def load_bank() -> dict[str, dict]:
    """Every authored question by id: the built-in ones, then the instructor's installed ones."""
    return {**builtin_bank(), **_installed}


def install_bank(items: dict[str, dict], source: str = "") -> None:
    """Add an instructor's checked items (``bank_file.read_bank``'s) beside the built-in questions;
    ``source`` is the path of the file they came from."""
    _installed.update(items)
    _sources.update(dict.fromkeys(items, source))


def installed_sources() -> dict[str, str]:
    """Each installed instructor question's file path ("" if not known), by id."""
    return dict(_sources)


def installed_items() -> dict[str, dict]:
    """The installed instructor questions by id, in load order."""
    return dict(_installed)


def instructor_ids() -> list[str]:
    """The installed instructor questions' ids, in load order."""
    return list(_installed)


def clear_installed() -> None:
    """Forget every installed instructor question (a test's clean slate, or before loading others)."""
    _installed.clear()
    _sources.clear()


@cache
def builtin_bank() -> dict[str, dict]:
    """The built-in authored questions by id, from bank.json and any bank-<lesson>.json beside it."""
    bank: dict[str, dict] = {}
    for path in sorted(QUIZ_CONTENT.glob("bank*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            if item["id"] in bank:  # a content bug: two questions would share one progress record
                raise ValueError(f"{path.name}: question id {item['id']!r} is used twice")
            bank[item["id"]] = item
    return bank


@cache
def load_lessons() -> list[dict]:
    return json.loads((QUIZ_CONTENT / "lessons.json").read_text(encoding="utf-8"))


@cache
def computed_texts() -> dict[str, dict[str, Text]]:
    """Per generator: prompt, explanation and hint templates in both languages."""
    return json.loads((QUIZ_CONTENT / "computed.json").read_text(encoding="utf-8"))


def from_bank(item: dict, seed: int | None = None) -> Question:
    """The bank item as a question; with a ``seed``, its options in an order drawn from the seed and the
    item's id (id "bank:<id>@<seed>"), else in the bank's order (id "bank:<id>", as old progress files hold)."""
    question_id = f"bank:{item['id']}" if seed is None else f"bank:{item['id']}@{seed}"
    if item["kind"] == "computed":  # an instructor's, resolved by the engine when its bank was read
        return Question(question_id, item["topic"], "computed", item["form"], item["prompt"], item["answer"],
                        item["explanation"], item["concept"], item["difficulty"], item.get("hint", {}),
                        network=item["network"], layer=item["layer"], quantity=item["quantity"])
    if item["kind"] == "choice":
        order = option_order(item["id"], len(item["options"]), seed)
        options = [{"text": item["options"][i]["text"], "why": item["options"][i]["why"]} for i in order]
        correct = next(place for place, i in enumerate(order) if item["options"][i]["correct"])
        return Question(question_id, item["topic"], "choice", "choice", item["prompt"], correct,
                        item["explanation"], item["concept"], item["difficulty"], item.get("hint", {}), options)
    return Question(question_id, item["topic"], "truefalse", "bool", item["prompt"], bool(item["answer"]),
                    item["explanation"], item["concept"], item["difficulty"], item.get("hint", {}),
                    why=item.get("why", {}))


def option_order(bank_id: str, count: int, seed: int | None) -> list[int]:
    """Which bank option goes in each place: the same for the same id and seed, on every machine
    (random.Random seeded with a string hashes it with SHA-512, not Python's per-run hash)."""
    order = list(range(count))
    if seed is not None:
        random.Random(f"{bank_id}@{seed}").shuffle(order)
    return order


def bank_question(bank_id: str, seed: int | None = None) -> Question:
    return from_bank(load_bank()[bank_id], seed)


def split_bank_id(question_id: str) -> tuple[str, int | None]:
    """"bank:<id>@<seed>" as (id, seed); "bank:<id>" as (id, None). ValueError for a seed that is no number."""
    bank_id, at, seed = question_id.removeprefix("bank:").partition("@")
    return bank_id, int(seed) if at else None


def same_question(first_id: str, second_id: str) -> bool:
    """Whether two ids ask the same thing: a bank question with its options in any order counts as one."""
    if first_id.startswith("bank:") and second_id.startswith("bank:"):
        return first_id.partition("@")[0] == second_id.partition("@")[0]  # never raises on a damaged id
    return first_id == second_id


def question_by_id(question_id: str) -> Question:
    """Any question from its id: "bank:<id>", "bank:<id>@<seed>" or "<generator>:<difficulty>:<seed>";
    KeyError if unknown."""
    if question_id.startswith("bank:"):
        try:
            bank_id, seed = split_bank_id(question_id)
        except ValueError:
            raise KeyError(question_id) from None
        return bank_question(bank_id, seed)
    from .generate import generate

    name, difficulty, seed = question_id.split(":")
    return generate(name, int(difficulty), int(seed))
