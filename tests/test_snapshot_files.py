"""Every saved snapshot belongs to a test.

A serial run has syrupy fail on a snapshot no test uses any more (and `--snapshot-update` delete
it); under pytest-xdist (the suite's `-n 2`) syrupy skips that check, so it is made here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent
SNAPSHOTS = TESTS / "__snapshots__"


def collected_snapshot_tests() -> list[str]:
    """The node ids of the snapshot modules, e.g. tests/test_snapshots.py::test_help[en-80x24]."""
    modules = sorted(str(path.relative_to(TESTS.parent)) for path in TESTS.glob("test_snapshots*.py"))
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=",
                          "-p", "no:cacheprovider", *modules],
                         capture_output=True, text=True, cwd=TESTS.parent, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_every_snapshot_has_its_test():
    expected = set()
    for node in collected_snapshot_tests():
        module, name = node.split("::", 1)
        expected.add(SNAPSHOTS / Path(module).stem / f"{name}.svg")
    saved = set(SNAPSHOTS.glob("*/*.svg"))
    assert len(expected) > 100  # the collection found the snapshot tests
    orphans = sorted(str(path.relative_to(TESTS)) for path in saved - expected)
    assert not orphans, f"snapshots no test uses (delete them): {orphans}"
