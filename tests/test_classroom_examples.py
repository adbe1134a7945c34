"""The instructor's guide stays true: every bank and course in the README's "For instructors" section and
in examples/classroom passes `cnntui quiz --check`, and the answers the engine computes for their computed
questions, as `cnntui quiz --bank ... --json` prints them, are the figures `cnntui summary` gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cnntui.cli import main
from cnntui.quiz.questions import builtin_bank, clear_installed

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "classroom"
# The line before each JSON block of the guide names the file the block is, e.g. "`my-bank.json`:".
NAMED_BLOCK = re.compile(r"`([\w.-]+\.json)`:\n+```json\n(.*?)\n```", re.S)


@pytest.fixture(autouse=True)
def no_lab_material(tmp_path, monkeypatch):
    """No system or user quiz folder of this machine's, and no instructor questions left installed after."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "site"))
    yield
    clear_installed()


def instructor_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## For instructors\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def readme_files(folder: Path) -> list[Path]:
    """The guide's JSON blocks written to ``folder`` under the names the guide gives them."""
    blocks = NAMED_BLOCK.findall(instructor_section())
    assert len(blocks) == instructor_section().count("```json"), "a JSON block of the guide names no file"
    for name, text in blocks:
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name, _ in blocks]


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def check(paths: list[Path], capsys) -> str:
    code = main(["quiz", "--check", *map(str, paths)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return out


def expect_ok_lines(paths: list[Path], out: str) -> None:
    """One "ok" per file, with its number of questions (a bank) or lessons (a course)."""
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        what = f"{len(data)} questions" if isinstance(data, list) else f"{len(data['lessons'])} lessons"
        assert f"{path.name}: ok, {what}" in out.splitlines(), out


def test_the_guide_shows_a_bank_and_a_course_that_pass_check(tmp_path, capsys):
    paths = readme_files(tmp_path)
    kinds = [type(json.loads(path.read_text(encoding="utf-8"))) for path in paths]
    assert list in kinds and dict in kinds
    expect_ok_lines(paths, check(paths, capsys))


def test_every_example_file_passes_check(capsys):
    paths = example_files()
    assert {path.name for path in paths} == {"lab-bank.json", "lab-course.json"}
    expect_ok_lines(paths, check(paths, capsys))


def test_the_example_bank_has_every_kind_quantity_and_a_one_language_question():
    from cnntui.quiz.bank_file import QUANTITIES

    bank = json.loads((EXAMPLES / "lab-bank.json").read_text(encoding="utf-8"))
    assert {item["kind"] for item in bank} == {"choice", "truefalse", "computed"}
    assert {item["quantity"] for item in bank if item["kind"] == "computed"} == set(QUANTITIES)
    assert any(len(item["prompt"]) == 1 for item in bank if "prompt" in item)


def summary_rows(network, base: Path, folder: Path, capsys) -> list[dict]:
    """`cnntui summary NET --json`'s layers for a bank's network: a preset, a file from ``base`` or inline."""
    if isinstance(network, dict):
        target = folder / "inline-network.json"
        target.write_text(json.dumps(network), encoding="utf-8")
    else:
        target = base / network if (base / network).is_file() else network
    assert main(["summary", str(target), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["layers"]


def engine_figure(rows: list[dict], layer, quantity: str):
    """The figure `cnntui summary --json` gives, in the question's form: shapes and fields as lists."""
    row = rows[layer] if isinstance(layer, int) else next(r for r in rows if r["path"] == layer and not r.get("join"))
    value = row[quantity]
    return list(value) if isinstance(value, list) else value


def as_list(answer):
    """A vector's length or a square field may be printed as one number."""
    return answer if not isinstance(answer, int) else [answer]


@pytest.mark.parametrize("source", ["examples", "readme"])
def test_computed_answers_are_the_engines_figures(source, tmp_path, capsys):
    paths = example_files() if source == "examples" else readme_files(tmp_path)
    banks = [path for path in paths if isinstance(json.loads(path.read_text(encoding="utf-8")), list)]
    for bank_path in banks:
        bank = json.loads(bank_path.read_text(encoding="utf-8"))
        computed = [item for item in bank if item["kind"] == "computed"]
        assert computed
        printed = print_bank(bank_path, bank, capsys)
        for item in computed:
            rows = summary_rows(item["network"], bank_path.parent, tmp_path, capsys)
            figure = engine_figure(rows, item["layer"], item["quantity"])
            answer = printed[item["id"]]["answer"]
            if item["quantity"] == "receptive_field" and isinstance(answer, int):
                answer = [answer, answer]
            assert (as_list(answer) if isinstance(figure, list) else answer) == figure, item["id"]


def print_bank(bank_path: Path, bank: list[dict], capsys) -> dict[str, dict]:
    """`cnntui quiz --bank BANK --json` over the bank's topics, the questions by bank id: the sheet is
    twice as long as the bank's questions on those topics, so the bank's half holds every one of them."""
    from cnntui.quiz.bank_file import read_bank

    topics = sorted({item["topic"] for item in read_bank(bank_path).items.values()})
    on_topics = sum(item["topic"] in topics for item in builtin_bank().values()) + len(bank)
    args = ["quiz", "--bank", str(bank_path), "--json", "--print", str(2 * on_topics)]
    for topic in topics:
        args += ["--topic", topic]
    assert main(args) == 0
    questions = json.loads(capsys.readouterr().out)
    return {q["id"].removeprefix("bank:").partition("@")[0]: q for q in questions if q["id"].startswith("bank:")}
