"""The battery of bad inputs (scripts/bad_inputs.py): its quick subset holds, and its judge is strict.

The quick subset runs about 20 cases of issue #14 as a user would (a subprocess each, a fresh HOME,
a timeout and a memory limit). The judge's own tests feed it forged results, so a battery that
waved everything through would fail here.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bad_inputs.py"


def load_battery():
    spec = importlib.util.spec_from_file_location("bad_inputs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bad_inputs"] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


battery = load_battery()
ERROR = battery.Case("an-error", "h4", lambda work: [], "error")
SUCCESS = battery.Case("a-success", "ok", lambda work: [], "ok", may_create=("out.npz",))
MEMORY_OK = 100 * 1024**2


def judged(case, code, stdout="", stderr="", peak=MEMORY_OK, before=None, after=None):
    return battery.judge(case, code, stdout, stderr, peak, before or {}, after or {})


def test_quick_subset_of_the_battery_holds():
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=600)
    count = len(battery.selected(None, quick=True))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{count} of {count} held" in result.stdout


def test_battery_has_at_least_100_cases_and_a_quick_subset_of_about_20():
    names = [case.name for case in battery.CASES]
    assert len(names) >= 100
    assert len(set(names)) == len(names)
    assert 15 <= len(battery.selected(None, quick=True)) <= 25
    assert {case.area for case in battery.CASES} <= set(battery.AREAS)


def test_a_clean_one_line_error_holds():
    assert judged(ERROR, 2, stderr="cnntui: input: x.png\ncnntui: error: x.json: not JSON; fix it\n") == []


@pytest.mark.parametrize("stderr, problem", [
    ("cnntui: error: bad type 'a\ncnntui: error: forged'\n", "2 'cnntui: error:' lines"),
    ("cnntui: error: bad type 'a\nrest of it'\n", "not starting 'cnntui: '"),
    ("cnntui: error: bad name 'x\x1b[2J'\n", "raw '\\x1b'"),
    ("cnntui: error: bad name 'x\x9b2J'\n", "raw '\\x9b'"),
    ("cnntui: error: bad name 'x\u202etxt'\n", "raw '\\u202e'"),
    ("cnntui: error: x\ncnntui: note: after the error\n", "not the last"),
    ("Traceback (most recent call last):\ncnntui: error: x\n", "a traceback"),
])
def test_a_broken_error_line_is_caught(stderr, problem):
    problems = judged(ERROR, 2, stderr=stderr)
    assert any(problem in text for text in problems), problems


def test_internal_errors_hangs_and_memory_are_caught():
    internal = judged(ERROR, 1, stderr="cnntui: internal error: RecursionError: deep (a bug in cnntui)\n")
    assert "an internal error" in internal and "exit 1, not 2" in internal
    assert judged(ERROR, None) == [f"hang: no exit within {battery.TIMEOUT:.0f} s"]
    assert any("MiB" in text for text in judged(ERROR, 2, stderr="cnntui: error: x\n", peak=3 * 1024**3))


def test_a_success_must_exit_0_without_an_error_line():
    assert judged(SUCCESS, 0, stdout="Total params: 1\n", after={"out.npz": ("file", 0o644, "b")}) == []
    assert "an error line" in judged(SUCCESS, 0, stderr="cnntui: error: x\n")
    assert "exit 2, not 0" in judged(SUCCESS, 2, stderr="cnntui: error: x\n")


def test_changed_inputs_and_stray_files_are_caught():
    net = {"net.json": ("file", 0o644, "aaaa")}
    assert "input 'net.json' changed" in judged(SUCCESS, 0, before=net, after={"net.json": ("file", 0o644, "bbbb")})
    assert "input 'net.json' changed" in judged(SUCCESS, 0, before=net, after={"net.json": ("file", 0o600, "aaaa")})
    assert "input 'net.json' removed" in judged(ERROR, 2, stderr="cnntui: error: x\n", before=net)
    stray = judged(ERROR, 2, stderr="cnntui: error: x\n", after={".out.npz.abc.tmp": ("file", 0o600, "c")})
    assert "stray file '.out.npz.abc.tmp'" in stray
    # What a success may create is a stray file when the command failed.
    failed = judged(battery.Case("either", "h2", lambda work: [], "either", may_create=("out.npz",)), 2,
                    stderr="cnntui: error: x\n", after={"out.npz": ("file", 0o644, "c")})
    assert "stray file 'out.npz'" in failed


def test_a_run_case_sees_a_fifo_hang_as_a_failure_not_a_wait(tmp_path):
    """The runner's timeout works: a command that blocks is killed and reported, not waited for."""
    blocking = battery.Case("blocks", "h3", lambda work: ["summary", battery.make_fifo(work / "p.json")],
                            timeout=2.0)
    original = battery.command
    battery.command = lambda args, drop: [sys.executable, "-c", "import sys; open(sys.argv[-1]).read()", *args]
    try:
        outcome = battery.run_case(blocking)
    finally:
        battery.command = original
    assert outcome.code is None and outcome.problems == ["hang: no exit within 2 s"]
