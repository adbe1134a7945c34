"""Questions: authored ones from the bank, computed ones from the generators, and how each is graded.

A question knows its words in both languages, its answer, the form the
answer takes, a worked explanation and the Learn page it is about. Computed
questions also carry the network they are about, so any other tool can check
the answer.
"""

from __future__ import annotations

import json
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


@cache
def load_bank() -> dict[str, dict]:
    """The authored questions by id."""
    items = json.loads((QUIZ_CONTENT / "bank.json").read_text(encoding="utf-8"))
    return {item["id"]: item for item in items}


@cache
def load_lessons() -> list[dict]:
    return json.loads((QUIZ_CONTENT / "lessons.json").read_text(encoding="utf-8"))


@cache
def computed_texts() -> dict[str, dict[str, Text]]:
    """Per generator: prompt, explanation and hint templates in both languages."""
    return json.loads((QUIZ_CONTENT / "computed.json").read_text(encoding="utf-8"))


def from_bank(item: dict) -> Question:
    if item["kind"] == "choice":
        correct = next(i for i, option in enumerate(item["options"]) if option["correct"])
        options = [{"text": o["text"], "why": o["why"]} for o in item["options"]]
        return Question(f"bank:{item['id']}", item["topic"], "choice", "choice", item["prompt"], correct,
                        item["explanation"], item["concept"], item["difficulty"], item.get("hint", {}), options)
    return Question(f"bank:{item['id']}", item["topic"], "truefalse", "bool", item["prompt"], bool(item["answer"]),
                    item["explanation"], item["concept"], item["difficulty"], item.get("hint", {}),
                    why=item.get("why", {}))


def bank_question(bank_id: str) -> Question:
    return from_bank(load_bank()[bank_id])


def question_by_id(question_id: str) -> Question:
    """Any question from its id: "bank:<id>" or "<generator>:<difficulty>:<seed>"; KeyError if unknown."""
    if question_id.startswith("bank:"):
        return bank_question(question_id.removeprefix("bank:"))
    from .generate import generate

    name, difficulty, seed = question_id.split(":")
    return generate(name, int(difficulty), int(seed))
