"""Layer fields: what each accepts, its default, and how a JSON value is checked.

Field names and defaults follow PyTorch so a learner recognises them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import SpecError, shown

REQUIRED = object()
# No real layer is a million channels, units or pixels across (VGG's widest has 25,088 inputs); a larger
# number is a typo, and counts built on it would no longer fit a float when they are shown.
MAX_WHOLE = 1_000_000

Pair = tuple[int, int]


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError("not_whole", field=name, got=shown(value))
    if value < minimum:
        raise SpecError("below_one" if minimum == 1 else "negative", field=name, got=value)
    if value > MAX_WHOLE:
        raise SpecError("field_too_large", field=name, got=shown(value), limit=f"{MAX_WHOLE:,}")
    return value


def _pair(name: str, value: Any, minimum: int) -> Pair:
    if isinstance(value, list):
        if len(value) != 2:
            raise SpecError("bad_pair", field=name, got=shown(value))
        return (_whole(name, value[0], minimum), _whole(name, value[1], minimum))
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError("bad_pair", field=name, got=shown(value))
    value = _whole(name, value, minimum)
    return (value, value)


def _count(name, value):
    return _whole(name, value, 1)


def _positive_pair(name, value):
    return _pair(name, value, 1)


def _optional_pair(name, value):
    return None if value is None else _pair(name, value, 1)


def _padding_pair(name, value):
    return _pair(name, value, 0)


def _conv_padding(name, value):
    if value in ("valid", "same"):
        return value
    if isinstance(value, str):
        raise SpecError("bad_conv_padding", field=name, got=shown(value))
    return _pair(name, value, 0)


def _boolean(name, value):
    if not isinstance(value, bool):
        raise SpecError("bad_bool", field=name, got=shown(value))
    return value


def _number(name, value):
    try:
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    except OverflowError:  # an integer too big for a float, which JSON allows
        number = math.nan
    if not math.isfinite(number):
        raise SpecError("bad_number", field=name, got=shown(value))
    return number


def _optional_number(name, value):
    # null is a setting of its own where PyTorch takes None (batch norm's momentum: a cumulative average).
    if value is None:
        return None
    try:
        return _number(name, value)
    except SpecError:
        raise SpecError("bad_number_or_null", field=name, got=shown(value)) from None


CHECKS = {
    "count": _count,
    "pair": _positive_pair,
    "optional_pair": _optional_pair,
    "padding": _padding_pair,
    "conv_padding": _conv_padding,
    "bool": _boolean,
    "number": _number,
    "optional_number": _optional_number,
}


@dataclass(frozen=True)
class Field:
    """One setting of a layer: its kind (a key of CHECKS), default and an example value."""

    kind: str
    default: Any = REQUIRED
    example: Any = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def parse(self, name: str, value: Any) -> Any:
        return CHECKS[self.kind](name, value)
