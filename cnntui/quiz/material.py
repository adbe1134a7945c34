"""Where a lab's quiz material lives: a system-wide folder the instructor writes to, and each student's own.

Both are read at start. Every ``*.json`` in them is a question bank (a JSON list), a course (an object
that looks like one) or a network a computed question names; a bank with any problem is refused whole, and
said so in one line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from typing import Any

from ..core.printable import printable
from .bank_file import instructor_texts, read_bank, read_json_value
from .questions import install_bank, installed_items, installed_sources

COURSE_MARKS = ("course", "title", "lessons")  # the fields a course has and a network never does


def site_folder() -> Path:
    """The system-wide folder (Linux: /usr/local/share/cnntui/quiz); the instructor makes it and writes to it."""
    import platformdirs

    return platformdirs.site_data_path("cnntui", appauthor=False, multipath=False) / "quiz"


def user_folder() -> Path:
    """The student's own folder (Linux: ~/.local/share/cnntui/quiz)."""
    import platformdirs

    return platformdirs.user_data_path("cnntui", appauthor=False) / "quiz"


@dataclass
class Material:
    banks: list[Path] = field(default_factory=list)
    courses: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that are neither, or cannot be read


def find_material(folders: Iterable[Path] | None = None, lang: str = "en") -> Material:
    """The banks and courses of ``folders`` (the site's, then the user's), each folder's files by name;
    networks beside them are left for the questions that name them. A folder that does not exist holds
    nothing; never raises."""
    found = Material()
    for folder in (site_folder(), user_folder()) if folders is None else folders:
        try:
            paths = sorted(path for path in Path(folder).glob("*.json") if path.is_file())
        except OSError:  # a folder we may not list holds nothing we can read
            continue
        for path in paths:
            data, problem = read_json_value(path, lang)
            if problem is not None:
                found.problems.append(refusal_line(path, [problem], lang))
            elif isinstance(data, list):
                found.banks.append(path)
            elif looks_like_course(data):
                found.courses.append(path)
            elif not (isinstance(data, dict) and "layers" in data):  # a network a computed question names
                found.problems.append(refusal_line(path, [instructor_texts()["problems"]["neither"][lang]], lang))
    return found


def looks_like_course(data: Any) -> bool:
    """An object with a course's fields, or a field misspelt from "lessons" ("lessonz", not "questions"):
    checked as a course, so that its problems say what to fix."""
    return isinstance(data, dict) and any(
        key in COURSE_MARKS or difflib.get_close_matches(str(key).casefold(), ["lessons"], cutoff=0.8) for key in data)


def load_material(folders: Iterable[Path] | None = None, extra_banks: Iterable[Path] = (), lang: str = "en") -> list[str]:
    """Install every bank of the folders, then ``extra_banks``; one line per file refused, in ``lang``
    (a bank with any problem is refused whole, and its first problem says why)."""
    found = find_material(folders, lang)
    refused = list(found.problems)
    for path in [*found.banks, *extra_banks]:
        refusal = install_file(path, lang)
        if refusal:
            refused.append(refusal)
    return refused


def install_file(path: Path, lang: str = "en") -> str | None:
    """Read the bank at ``path`` and install it; None, or one line saying why it was refused.
    Reading a file again (the app started twice in one process) installs the same items again, no clash."""
    installed = installed_items()
    loaded = read_bank(path, set(), lang)
    clashes = {bank_id for bank_id, item in loaded.items.items() if installed.get(bank_id, item) != item}
    if clashes:  # read again, for the messages naming the file that has taken each id
        sources = installed_sources()
        loaded = read_bank(path, {bank_id: Path(sources.get(bank_id, "")).name for bank_id in clashes}, lang)
    if loaded.problems:
        return refusal_line(path, loaded.problems, lang)
    install_bank(loaded.items, str(path))
    return None


def refusal_line(path: Path, problems: list[str], lang: str = "en") -> str:
    """"my.json has 3 problems; the first: ...; see every one with: cnntui quiz --check my.json"."""
    template = instructor_texts()["problems"]["refused_one" if len(problems) == 1 else "refused"][lang]
    name = printable(Path(path).name)
    return template.format(name=name, count=len(problems), first=problems[0].removeprefix(f"{name}: "),
                           path=printable(str(path)))
