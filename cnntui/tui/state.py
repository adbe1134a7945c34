"""State the modes share: the current network."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class CurrentNetwork:
    """The network every mode works on: a display name, its JSON spec, and where it came from
    (a preset name or a path; empty while it has unsaved edits)."""

    name: str
    spec: dict
    source: str


def read_network(source: str) -> CurrentNetwork:
    """A preset name or JSON path, read without the engine (no NumPy); CnntuiError if unreadable."""
    from ..core.assets import find_network, read_json

    spec = read_json(find_network(source))
    name = spec.get("name") if isinstance(spec, dict) and isinstance(spec.get("name"), str) else source
    return CurrentNetwork(name, spec if isinstance(spec, dict) else {}, source)


def read_valid_network(source: str) -> CurrentNetwork:
    """``read_network``, then checked by the engine: SpecError lists every problem."""
    from ..core import check

    network = read_network(source)
    check(network.spec)
    return network
