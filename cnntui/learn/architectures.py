"""Landmark CNNs side by side, measured from their presets: parameters, MACs and how much of each
sits in the fully connected (linear) layers.

The architecture timeline page tests the claim "the fully connected layers usually hold the most
parameters" on these figures: its verdict names the networks where they hold more than half.
Analysis only (no forward pass, no weights), and each preset is measured once per process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

from ..content import text
from .placeholders import ExampleError, Shape

FULLY_CONNECTED = "linear"
MAJORITY = 50.0  # percent: "the most parameters" read as more than half of them


@dataclass(frozen=True)
class Measure:
    """One network's totals and its fully connected layers' part of them."""

    input: Shape  # the network's own input size, at which its MACs are counted
    params: int
    macs: int
    fc_params: int
    fc_macs: int
    # The first fully connected layer, where the maps, flattened or pooled, become a vector: its
    # inputs and outputs (None without one) and its parameters.
    first_fc_inputs: int | None
    first_fc_outputs: int | None
    first_fc_params: int

    @property
    def fc_share(self) -> float:
        """The fully connected layers' percentage of the parameters (0 with no parameters)."""
        return 100 * self.fc_params / self.params if self.params else 0.0

    @property
    def fc_mac_share(self) -> float:
        return 100 * self.fc_macs / self.macs if self.macs else 0.0


@cache
def measure(preset: str) -> Measure:
    from ..core import analyze
    from .examples import preset_spec

    summary = analyze(preset_spec(preset))
    if summary.problems:
        raise ExampleError(f"network '{preset}' is invalid: {summary.problems[0]}")
    return measure_summary(summary)


def measure_summary(summary) -> Measure:
    """The figures of an analysed network (``cnntui summary A B ...`` and Build's compare show them too);
    of a network with problems (in Build, mid-edit), those of the layers the engine could read."""
    linear = [record for record in summary.layers if record.type == FULLY_CONNECTED]
    readable = linear and linear[0].ok
    first = (linear[0].input_shape[0], linear[0].output_shape[0], linear[0].params) if readable else (None, None, 0)
    return Measure(Shape(summary.input_shape or ()), summary.total_params, summary.total_macs,
                   sum(record.params for record in linear), sum(record.macs for record in linear), *first)


@dataclass(frozen=True)
class Architecture(Measure):
    """A row of the timeline: a preset's figures under the name and year the network is known by."""

    preset: str = ""
    name: str = ""
    year: int = 0


class Timeline:
    """The networks a page names, in order of year; each also as an attribute by preset name."""

    def __init__(self, rows: list[Architecture]):
        self.rows = sorted(rows, key=lambda row: row.year)

    @classmethod
    def from_setup(cls, entries: list[dict]) -> Timeline:
        """From a page's setup: [{"preset": "alexnet", "name": "AlexNet", "year": 2012}, ...]."""
        return cls([Architecture(**asdict(measure(entry["preset"])), preset=entry["preset"], name=entry["name"],
                                 year=entry["year"]) for entry in entries])

    def __getattr__(self, name: str) -> Architecture:
        for row in self.__dict__.get("rows", ()):
            if row.preset == name:
                return row
        raise AttributeError(f"the timeline has no network '{name}'")

    def fc_heavy(self) -> list[Architecture]:
        """The networks whose fully connected layers hold more than half of their parameters."""
        return [row for row in self.rows if row.fc_share > MAJORITY]

    def fc_light(self) -> list[Architecture]:
        return [row for row in self.rows if row.fc_share <= MAJORITY]

    def verdict_case(self) -> str:
        """Which of the page's verdict sentences fits: "all", "none" or "some" of the networks."""
        heavy = len(self.fc_heavy())
        return "all" if heavy == len(self.rows) else "none" if heavy == 0 else "some"

    def verdict_values(self, language: str) -> dict[str, object]:
        """What a verdict sentence may name: the two groups, their sizes and the extremes of each."""
        heavy, light = self.fc_heavy(), self.fc_light()
        values: dict[str, object] = {"count": len(self.rows), "heavy_count": len(heavy), "light_count": len(light),
                                     "heavy": name_list([row.name for row in heavy], language),
                                     "light": name_list([row.name for row in light], language)}
        if heavy:
            lowest = min(heavy, key=lambda row: row.fc_share)
            values.update(heavy_lowest=lowest.fc_share, heavy_lowest_name=lowest.name)
        if light:
            highest = max(light, key=lambda row: row.fc_share)
            values.update(light_highest=highest.fc_share, light_highest_name=highest.name)
        return values


def name_list(names: list[str], language: str) -> str:
    """"A, B and C" in English, "A、B 和 C" in Chinese."""
    if len(names) < 2:
        return "".join(names)
    return text(language, "learn.list", first=text(language, "learn.list.separator").join(names[:-1]),
                last=names[-1])
