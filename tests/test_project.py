"""Promises about the project itself: quick start, CI, packaging and layering."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cnntui.core import assets_dir, preset_names

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def ci_commands() -> list[str]:
    """.ci/run's lines that do something (not comments, not blank)."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_quick_start_is_two_commands_and_ci_runs_them_verbatim():
    commands = quick_start_commands()
    assert len(commands) == 2
    install, test = commands
    assert "pip install ." in install and install.endswith("&& cnntui")
    assert "pip install '.[test]'" in test and test.endswith("pytest")
    ci = ci_commands()
    # One after the other, as a student types them; only the PyTorch step may follow.
    assert install in ci and ci.index(install) + 1 == ci.index(test)
    assert len(ci) == ci.index(test) + 3


def torch_step() -> tuple[str, str]:
    """.ci/run's two lines after the README's: install torch, run the tests that need it."""
    install, run = ci_commands()[-2:]
    return install, run


def test_ci_then_installs_a_pinned_torch_into_the_same_venv():
    install, _ = torch_step()
    assert install.startswith(". .venv/bin/activate && pip install torch==")
    # a full version: an unpinned or loose torch pulls the CUDA build and gigabytes of dependencies
    assert re.search(r"pip install torch==\d+\.\d+\.\d+ ", install)
    assert "torch.version.cuda" in install


def test_ci_runs_every_test_that_needs_torch_with_torch_required():
    _, run = torch_step()
    assert run.startswith(". .venv/bin/activate && CNNTUI_REQUIRE_TORCH=1 pytest ")
    named = {path for pattern in run.split() if pattern.startswith("tests/") for path in ROOT.glob(pattern)}
    assert all(path.is_file() for path in named)
    needing = {path for path in (ROOT / "tests").glob("test_*.py")
               if re.search(r"""importorskip\(["']torch["']\)|find_spec\(["']torch["']\)""",
                            path.read_text(encoding="utf-8"))}
    assert ROOT / "tests" / "test_torch_parity_blocks.py" in needing
    assert sorted(needing - named) == []


def run_pytest_without_torch(tmp_path: Path, require: str) -> subprocess.CompletedProcess:
    """pytest on a torch-only test file and a test that needs no torch, with a stand-in torch
    package that cannot be imported."""
    fake = tmp_path / "torch"
    fake.mkdir(exist_ok=True)
    (fake / "__init__.py").write_text('raise ModuleNotFoundError("a stand-in for a missing torch", name="torch")\n',
                                      encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "CNNTUI_REQUIRE_TORCH": require}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_torch_parity_blocks.py",
                           "tests/test_project.py::test_every_preset_ships_with_the_package"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_torch_fails_the_ci_step_and_only_skips_elsewhere(tmp_path):
    skipped = run_pytest_without_torch(tmp_path, "0")
    assert skipped.returncode == 0 and "1 passed, 1 skipped" in skipped.stdout, skipped.stdout
    required = run_pytest_without_torch(tmp_path, "1")
    assert required.returncode != 0
    assert "a stand-in for a missing torch" in required.stdout + required.stderr


def test_every_preset_ships_with_the_package():
    assert set(preset_names()) >= {"lenet5", "tinyvgg", "tinyvgg-gap", "mlp", "alexnet", "vgg16"}
    assert (assets_dir() / "presets" / "lenet5.json").is_file()


def test_engine_imports_neither_textual_nor_pillow():
    code = "import sys, cnntui.core; print(sorted(m for m in ('textual', 'PIL', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_app_paints_without_loading_numpy_or_pillow():
    screens = ", ".join(f"cnntui.tui.screens.{mode}" for mode in ("learn", "build", "view", "quiz", "train"))
    code = (f"import sys, cnntui.cli, cnntui.tui.app, {screens}; "
            "print(sorted(m for m in ('numpy', 'PIL') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_without_a_terminal_cnntui_prints_help_instead_of_hanging():
    script = Path(sys.executable).with_name("cnntui")
    result = subprocess.run([str(script)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0
    assert "usage: cnntui" in result.stdout and "needs a terminal" in result.stderr
