"""Promises about the project itself: quick start, CI, packaging and layering."""

from __future__ import annotations

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


def test_quick_start_is_two_commands_and_ci_runs_them_verbatim():
    commands = quick_start_commands()
    assert len(commands) == 2
    install, test = commands
    assert "pip install ." in install and install.endswith("&& cnntui")
    assert "pip install '.[test]'" in test and test.endswith("pytest")
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert install in ci_lines and test in ci_lines
    assert ci_lines.index(install) < ci_lines.index(test)


def test_every_preset_ships_with_the_package():
    assert set(preset_names()) >= {"lenet5", "tinyvgg", "tinyvgg-gap", "mlp", "alexnet", "vgg16"}
    assert (assets_dir() / "presets" / "lenet5.json").is_file()


def test_engine_imports_neither_textual_nor_pillow():
    code = "import sys, cnntui.core; print(sorted(m for m in ('textual', 'PIL', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_app_paints_without_loading_numpy_or_pillow():
    code = ("import sys, cnntui.cli, cnntui.tui.app; "
            "print(sorted(m for m in ('numpy', 'PIL') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_without_a_terminal_cnntui_prints_help_instead_of_hanging():
    script = Path(sys.executable).with_name("cnntui")
    result = subprocess.run([str(script)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0
    assert "usage: cnntui" in result.stdout and "needs a terminal" in result.stderr
