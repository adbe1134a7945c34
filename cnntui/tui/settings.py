"""The user's settings: language, colour mode, theme, last network, the quiz's course and those opened
before, and the student's name and id that a progress export carries.

Kept in the platform's config dir as JSON, written atomically. A file that
cannot be read is set aside (or, failing that, left alone and never saved
over) and reported. A save writes only the keys it changes over what is on
disk, under a lock, so two sessions keep each other's choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..content import LANGUAGES
from ..core.files import Problem, load_json_object, update_json
from ..quiz.report import usable_name, usable_student_id
from ..render.terminal import COLOR_MODES

DEFAULT_THEME = "cnntui"
DEFAULT_NETWORK = "lenet5"
MOST_RECENT_COURSES = 10


def default_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("cnntui", appauthor=False) / "settings.json"


@dataclass
class Settings:
    language: str | None = None  # None: follow --lang or the locale
    colors: str = "auto"
    theme: str = DEFAULT_THEME
    network: str = DEFAULT_NETWORK
    student_name: str = ""  # asked once by `cnntui progress --export`; "" until then
    student_id: str = ""  # made once by `cnntui progress --export` (quiz.report.new_student_id); "" until then
    course: str = ""  # the course file last chosen in Quiz mode; "" for the built-in course
    # The course files opened in Quiz mode, newest first: C offers them, so a --course course is never lost.
    recent_courses: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        """Known keys with values this version can use; anything else falls back to the default."""
        return cls(**{name: data[name] for name in _names() if name in data and _usable(name, data[name])})


def _names() -> list[str]:
    return [f.name for f in fields(Settings)]


def _right_kind(name: str, value) -> bool:
    """Whether ``value`` could be a value of setting ``name``: a value of another kind means damage."""
    if name == "language":
        return value is None or isinstance(value, str)
    if name in ("student_name", "student_id", "course"):
        return isinstance(value, str)
    if name == "recent_courses":
        return isinstance(value, list) and all(isinstance(path, str) and path for path in value)
    return isinstance(value, str) and bool(value)


def _usable(name: str, value) -> bool:
    """Of the right kind and known to this version (a newer one may add a language or a colour mode:
    that is no damage, only not for us; it stays in the file)."""
    if name == "language":
        return value is None or value in LANGUAGES
    if name == "colors":
        return value in ("auto", *COLOR_MODES)
    if name == "student_name":
        return value == "" or usable_name(value)
    if name == "student_id":
        return value == "" or usable_student_id(value)
    return _right_kind(name, value)


def _check(data: dict) -> tuple[dict, Problem | None]:
    """For load_json_object: a known setting with a value of the wrong kind damages the file; the rest is kept."""
    bad = [name for name in _names() if name in data and not _right_kind(name, data[name])]
    if not bad:
        return data, None
    kept = {key: value for key, value in data.items() if key not in bad}
    return kept, Problem("bad_settings", "these settings had values of the wrong kind: {names}",
                         names=", ".join(bad))


@dataclass
class SettingsStore:
    """Where settings live, and what went wrong reading them (shown once in the app).

    ``read_only``: the file could be neither read nor set aside, so this session never writes it.
    ``kept``: what was read from a file set aside, written back by the next save.
    """

    path: Path
    problem: Problem | None = None
    moved_to: Path | None = None
    read_only: bool = False
    kept: dict = field(default_factory=dict)

    def load(self) -> Settings:
        found = load_json_object(self.path, _check)
        self.problem, self.moved_to, self.read_only = found.problem, found.moved_to, found.left_alone
        self.kept = found.data if found.moved_to else {}
        if self.kept:  # the good part of a file set aside goes back in place now, not only at the next save
            with suppress(OSError):  # the next save will say why it cannot
                self.save(Settings(), keys=())
        return Settings.from_dict(found.data)

    def save(self, settings: Settings, keys: Iterable[str] | None = None) -> None:
        """Write the settings named in ``keys`` (all when None) over what the file holds now; the others,
        and keys this version does not know, stay as they are on disk. OSError when it cannot be written."""
        if self.read_only:
            return
        values = asdict(settings)
        changed = {**self.kept, **{key: values[key] for key in (values if keys is None else keys)}}
        update_json(self.path, lambda current: {**current, **changed}, _check)
        self.kept = {}
