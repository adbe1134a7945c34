"""What a question generator makes (Made) and how it is registered (Generator); shared by generate.py and
generate_modern.py so that neither imports the other's module to make a question."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Made:
    values: dict[str, Any]  # the numbers the texts need
    answer: Any
    network: dict | None = None
    layer: int | None = None
    quantity: str | None = None
    given: dict | None = None  # weights or input values the answer depends on
    concept: str | None = None  # the Learn page, when it depends on the network drawn (else the generator's)
    options: list[dict] | None = None  # a multiple-choice answer's options ({"text": Text, "why": Text})


@dataclass(frozen=True)
class Generator:
    topic: str
    concept: str
    form: str
    make: Callable[[random.Random, int], Made]
