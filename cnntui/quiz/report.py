"""The class's progress: a student's own summary (`cnntui progress`), the export a student hands in
(`--export`), and the instructor's report over many exports (`--report`, `--csv`).

Nothing here reads or writes anything but the files named: the progress file is only read (a damaged
one is left for the app to set aside, which keeps what it can), and an export is written where the
student says. An export is read as a stranger's file: checked in size, format, version and every value
before it counts, and its texts shown escaped.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..core.printable import is_printable, printable

FORMAT = "cnntui-progress"
VERSION = 1
MAX_NAME = 80
MAX_EXPORT_BYTES = 2**20  # a real export is a few kB (150 questions: ~10 kB)
NAME_COLUMN = 40  # the widest a lesson or topic name is shown in `cnntui progress`
MIN_WIDTH, MAX_WIDTH = 60, 100  # the report takes the terminal's width, within these
STUDENT_ID = re.compile(r"[0-9a-f]{16}")  # secrets.token_hex(8), made once per account
MOST_MISSED = 10
MAX_COUNT = 10**9  # answers to one topic or question, or a lesson's step: far more than a student gives
FORMULA_STARTS = ("=", "+", "-", "@")  # a spreadsheet runs a cell that starts with one of these


def usable_name(name: str) -> bool:
    """A student's name as an export holds it: 1 to MAX_NAME printable characters, no spaces around."""
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and name == name.strip() and is_printable(name)


def usable_student_id(value) -> bool:
    return isinstance(value, str) and STUDENT_ID.fullmatch(value) is not None


def new_student_id() -> str:
    """An account's id in its exports, so two students of one name stay two in the report."""
    import secrets

    return secrets.token_hex(8)


# -- the student's own progress ---------------------------------------------------------------------

def read_own(path: Path):
    """(Progress, Problem or None) from the progress file, only read: the good parts of a damaged file
    and why it is damaged, as ProgressStore.load would report it; a missing file is an empty Progress."""
    from ..core.files import read_json_object
    from .progress import Progress, file_problem

    data, problem = read_json_object(path)
    return Progress.from_dict(data), problem or file_problem(data)


def due_next_session(progress) -> int:
    """Reviews waiting for the student: those due in the next quiz session (it counts itself in at start)."""
    return len(progress.due(progress.session + 1))


def lesson_rows(progress, lang: str, course_paths: Iterable[Path] = ()) -> list[tuple[str, str]]:
    """(title, where it stands) for every lesson of the built-in course; then the lessons the file holds
    of instructors' courses found at ``course_paths`` (the first file of each course id counts), by
    title and in their course's order; then any other lesson key (a course not found, a lesson this
    version no longer has), shown by key."""
    from . import course

    rows = []
    with _following(None):
        known = course.lesson_ids()
        rows += [_lesson_row(progress, lesson_id, lang) for lesson_id in known]
    others = set(progress.lessons) - set(known)
    for found in _courses_of(others, course_paths):
        with _following(found):
            taken = [lesson_id for lesson_id in course.lesson_ids() if lesson_id in others]
            for lesson_id in taken:  # named with their course: "Lab 1: Sizes" among the built-in lessons
                title, place = _lesson_row(progress, lesson_id, lang)
                rows.append((_words(lang)("course_lesson", course=printable(found.title[lang]), lesson=title), place))
        others -= set(taken)
    t = _words(lang)
    for key in sorted(others):
        state = progress.lessons[key]
        # The built-in course's lesson of instructor questions, from banks not here now: its title, no count.
        with _following(None):
            title = course.lesson(key)["title"][lang] if key == course.INSTRUCTOR_LESSON else printable(key)
        rows.append((title, t("done") if state["done"] else t("step_of_unknown", step=state["step"] + 1)))
    return rows


def _lesson_row(progress, lesson_id: str, lang: str) -> tuple[str, str]:
    """A lesson of the course in use: its title and where it stands, step of steps."""
    from . import course
    from .progress import NEW_LESSON

    t = _words(lang)
    state = progress.lessons.get(lesson_id)
    title = printable(course.lesson(lesson_id)["title"][lang])
    if state is None or state == NEW_LESSON:
        return title, t("not_started")
    count = len(course.steps(lesson_id, state["attempt"]))
    place = t("step", step=state["step"] + 1, count=count)
    return title, (t("done_again", place=place) if state["step"] else t("done")) if state["done"] else place


def _courses_of(keys: set[str], course_paths: Iterable[Path]) -> list:
    """The courses at ``course_paths`` that the lesson keys "<course>/<lesson>" name; files that are no
    usable course are passed over (`cnntui quiz --check` says why)."""
    from .course_file import read_course

    wanted = {key.partition("/")[0] for key in keys if "/" in key}
    found = {}
    for path in course_paths:
        if not wanted - found.keys():
            break
        loaded = read_course(path).course
        if loaded is not None and loaded.id in wanted:
            found.setdefault(loaded.id, loaded)
    return list(found.values())


@contextmanager
def _following(chosen) -> Iterator[None]:
    """The quiz's course is ``chosen`` (None: the built-in one) for a while, then what it was."""
    from . import course

    before = course.active_course()
    course.use_course(chosen)
    try:
        yield
    finally:
        course.use_course(before)


def summary_text(progress, problem, path: Path, lang: str, course_paths: Iterable[Path] = (),
                 width: int | None = None) -> str:
    """What `cnntui progress` prints in ``width`` columns (default: report_width()): per lesson, per topic,
    reviews due; a damaged file said first. ``course_paths``: where to look for the instructors' courses
    the student took (lesson_rows)."""
    t = _words(lang)
    lines = []
    empty = not (progress.lessons or progress.topics or progress.review)
    if problem:
        lines.append(t("unreadable" if empty else "damaged", path=printable(str(path)),
                       reason=_problem_words(problem, lang)))
    if empty:
        return "\n".join(lines or [t("none")]) + "\n"
    lines += [t("title"), "", t("lessons")]
    total = width or report_width()
    lines += _name_rows(lesson_rows(progress, lang, course_paths), total)
    strengths = progress.strengths()
    if strengths:
        lines += ["", t("topics")]
        lines += _name_rows([(_topic(lang, topic), t("topic_row", asked=asked, right=_percent(share)))
                             for topic, asked, share in strengths], total)
    lines += ["", t("due", count=due_next_session(progress))]
    return "\n".join(lines) + "\n"


def _name_rows(rows: list[tuple[str, str]], total: int) -> list[str]:
    """(name, figures) rows in ``total`` columns: the names in a column as wide as the longest (at most
    NAME_COLUMN, less if the figures need it), a longer one wrapped between words onto the lines below."""
    from ..render.text import wrap_line

    figures = max(_width(place) for _, place in rows)
    column = max(min(max(_width(name) for name, _ in rows), NAME_COLUMN, total - figures - 4), 12)
    lines = []
    for name, place in rows:
        first, *rest = wrap_line(name, column) or [""]
        lines.append(f"  {_fit(first, column)}  {place}".rstrip())
        lines += [f"  {line}" for line in rest]
    return lines


def export_data(progress, student: str, now: datetime | None = None, student_id: str | None = None) -> dict:
    """The export a student hands in: small, and nothing but the figures the report reads. ``student_id``
    (new_student_id(), kept in the settings) tells apart two students of one name."""
    from .. import __version__

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return {"format": FORMAT, "version": VERSION, "student": student,
            **({"student_id": student_id} if student_id else {}),
            "exported": moment.isoformat().replace("+00:00", "Z"), "cnntui": __version__,
            "lessons": progress.lessons, "topics": progress.topics, "questions": progress.questions,
            "reviews_due": due_next_session(progress)}


def is_export(path: Path) -> bool:
    """Whether the file at ``path`` is an export (one `--export` may replace without --force)."""
    from ..core.files import read_json_object

    return read_json_object(path)[0].get("format") == FORMAT


def write_export(path: str | os.PathLike, data: dict) -> None:
    """Write an export atomically at ``path`` and nowhere else (no folder is made for it)."""
    from ..core.files import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)


# -- the class ---------------------------------------------------------------------------------------

class Unreadable(Exception):
    """An export that cannot count in the report: why, as a "progress.skip.*" text and its values, or a
    reading Problem (``problem``)."""

    def __init__(self, code: str, problem=None, **values):
        super().__init__(code)
        self.code, self.problem, self.values = code, problem, values

    def words(self, lang: str) -> str:
        if self.problem is not None:
            return _problem_words(self.problem, lang)
        return _words(lang)(f"skip.{self.code}", **self.values)


@dataclass
class Export:
    path: Path
    student: str
    exported: datetime
    lessons: dict[str, dict]
    topics: dict[str, dict]
    questions: dict[str, dict]
    student_id: str | None = None  # None in an export made before exports had one

    @property
    def key(self) -> tuple[str, str]:
        """Who handed it in: the account's id, else (an older export) the name."""
        return ("id", self.student_id) if self.student_id else ("name", self.student)

    @property
    def lessons_done(self) -> int:
        return sum(state["done"] for state in self.lessons.values())

    @property
    def answered(self) -> int:
        return sum(scores["asked"] for scores in self.topics.values())

    def share_right(self, topic: str | None = None) -> float | None:
        """Share right over every answer, or over one topic's; None when there is none."""
        tables = self.topics.values() if topic is None else [self.topics.get(topic, {"asked": 0, "score": 0})]
        asked = sum(scores["asked"] for scores in tables)
        return sum(scores["score"] for scores in tables) / asked if asked else None

    def weakest_topic(self) -> str | None:
        tried = [(scores["score"] / scores["asked"], topic) for topic, scores in self.topics.items() if scores["asked"]]
        return min(tried)[1] if tried else None


def read_export(path: Path) -> Export:
    """An export, every part checked; Unreadable saying why otherwise."""
    from ..core.files import read_json_object

    try:
        info = os.stat(path)
    except OSError as error:
        raise Unreadable("os", reason=error.strerror or str(error)) from None
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_EXPORT_BYTES:
        raise Unreadable("too_large", size=MAX_EXPORT_BYTES // 2**20)
    data, problem = read_json_object(path)
    if problem:
        raise Unreadable("problem", problem)
    if data.get("format") != FORMAT:
        raise Unreadable("not_export", format=FORMAT)
    if data.get("version") != VERSION:
        raise Unreadable("version", version=printable(str(data.get("version")))[:20], ours=VERSION)
    student = data.get("student")
    if not usable_name(student):
        raise Unreadable("name", most=MAX_NAME)
    student_id = data.get("student_id")
    if student_id is not None and not usable_student_id(student_id):
        raise Unreadable("student_id")
    try:
        exported = datetime.fromisoformat(data["exported"].replace("Z", "+00:00"))
    except (KeyError, AttributeError, ValueError):
        raise Unreadable("time") from None
    if exported.tzinfo is None:
        exported = exported.replace(tzinfo=timezone.utc)
    return Export(path, student, exported, *_checked_tables(data), student_id)


def _checked_tables(data: dict) -> tuple[dict, dict, dict]:
    """The export's lessons, topics and questions; Unreadable when any entry is of the wrong kind or
    its counts cannot be (more right or missed than asked, below zero)."""
    from .progress import Progress

    parts = {name: data.get(name) for name in ("lessons", "topics", "questions")}
    if not all(isinstance(part, dict) for part in parts.values()):
        missing = next(name for name, part in parts.items() if not isinstance(part, dict))
        raise Unreadable("not_object", part=missing)
    progress = Progress.from_dict(parts)
    for name in parts:
        kept = getattr(progress, name)
        bad = next((key for key in parts[name] if key not in kept or not _counts_fit(name, kept[key])), None)
        if bad is not None:
            raise Unreadable("wrong_kind", part=name, entry=printable(str(bad))[:40])
    return progress.lessons, progress.topics, progress.questions


def _counts_fit(table: str, entry: dict) -> bool:
    """Whether the entry's counts could be a student's: none below zero or past MAX_COUNT (a number
    too large for a float would stop the report), none right or missed more often than asked."""
    if table == "topics":
        return 0 <= entry["score"] <= entry["asked"] <= MAX_COUNT
    if table == "questions":
        return 0 <= entry["missed"] <= entry["asked"] <= MAX_COUNT
    return 0 <= entry["step"] <= MAX_COUNT and 0 <= entry["attempt"] <= MAX_COUNT


@dataclass
class ClassReport:
    students: list[Export] = field(default_factory=list)  # in the order given, one per student
    notes: list[str] = field(default_factory=list)  # one line per file skipped, student given twice or name shared
    shared_names: set[str] = field(default_factory=set)  # names two students have: their rows show their files

    def shown_name(self, export: Export, width: int) -> str:
        """The student's name in ``width`` columns for the report's row; with the file's name when another
        student has that name (the name cut first, so the rows stay told apart)."""
        name = printable(export.student)
        if export.student not in self.shared_names:
            return _fit(name, width)
        file = f" ({printable(export.path.stem)})"
        room = max(width - _width(file), 3)
        return _fit(_fit(name, room).rstrip() + file, width)

    def topics(self) -> list[tuple[str, int, float, int]]:
        """(topic, answers, share right, students who tried it) over the class, weakest first."""
        totals: dict[str, list] = {}
        for export in self.students:
            for topic, scores in export.topics.items():
                if scores["asked"]:
                    entry = totals.setdefault(topic, [0, 0.0, 0])
                    entry[0] += scores["asked"]
                    entry[1] += scores["score"]
                    entry[2] += 1
        rows = [(topic, asked, score / asked, tried) for topic, (asked, score, tried) in totals.items()]
        return sorted(rows, key=lambda row: (row[2], -row[1], row[0]))

    def most_missed(self, count: int = MOST_MISSED) -> list[tuple[str, int, int]]:
        """(question key, missed, asked) over the class for the questions missed most often (by share
        missed, then by how many times), at most ``count``."""
        totals: dict[str, list[int]] = {}
        for export in self.students:
            for key, counts in export.questions.items():
                entry = totals.setdefault(key, [0, 0])
                entry[0] += counts["missed"]
                entry[1] += counts["asked"]
        rows = [(key, missed, asked) for key, (missed, asked) in totals.items() if missed]
        return sorted(rows, key=lambda row: (-row[1] / row[2], -row[1], row[0]))[:count]


def export_files(paths: Iterable[str]) -> list[Path]:
    """The files named, and each folder's *.json files (sorted by name, not its subfolders); a file
    named twice (say a folder and a file in it) once."""
    found, seen = [], set()
    for name in paths:
        path = Path(name)
        for child in sorted(c for c in path.glob("*.json") if not c.is_dir()) if path.is_dir() else [path]:
            try:
                same = child.resolve()
            except (OSError, RuntimeError):  # a link loop: read_export says why it cannot be read
                same = child
            if same not in seen:
                seen.add(same)
                found.append(child)
    return found


def read_class(paths: Iterable[str], lang: str = "en") -> ClassReport:
    """Every readable export of ``paths``; a file that cannot be read, or a student's earlier export
    when the same student (the same account's id; the same name in older exports) handed in two, is
    left out and said in ``notes`` (in ``lang``), as are names two students share."""
    t = _words(lang)
    report = ClassReport()
    by_student: dict[tuple[str, str], Export] = {}
    for path in export_files(paths):
        try:
            export = read_export(path)
        except Unreadable as why:
            report.notes.append(t("note.skipped", path=printable(str(path)), why=why.words(lang)))
            continue
        earlier = by_student.get(export.key)
        if earlier is not None:
            kept = export if export.exported >= earlier.exported else earlier
            report.notes.append(t("note.twice", student=printable(export.student), first=printable(str(earlier.path)),
                                  second=printable(str(export.path)), kept=printable(str(kept.path))))
            export = kept
        by_student[export.key] = export
    report.students = list(by_student.values())
    files_by_name: dict[str, list[str]] = {}
    for export in report.students:
        files_by_name.setdefault(export.student, []).append(printable(str(export.path)))
    for name, files in files_by_name.items():
        if len(files) > 1:
            report.shared_names.add(name)
            report.notes.append(t("note.shared_name_two" if len(files) == 2 else "note.shared_name",
                                  count=len(files), name=printable(name), files=", ".join(files)))
    return report


def report_width() -> int:
    from ..render.text import terminal_width

    return terminal_width(MIN_WIDTH, MAX_WIDTH)


def report_text(report: ClassReport, lang: str, width: int | None = None) -> str:
    """The class in ``width`` columns (default: report_width()): one row per student, the topics weakest
    first, the most missed questions."""
    t = _words(lang)
    total = width or report_width()
    figures = [8, 8, 6]  # lessons, answers, right
    names = (total - sum(figures) - 2 * len(figures) - 2) // 2  # the rest, half for names, half for the weakest topic
    lines = [t("class.title"), t("class.count", count=len(report.students)), ""]
    heads = [t("class.student"), t("class.lessons"), t("class.answered"), t("class.right"), t("class.weakest")]
    widths = [names, *figures]
    lines.append(_row(heads, widths, total))
    for export in report.students:
        cells = [report.shown_name(export, names), str(export.lessons_done), str(export.answered),
                 _percent(export.share_right()), _weakest(export, lang, total - sum(widths) - 2 * len(widths))]
        lines.append(_row(cells, widths, total))
    widths = [total - sum(figures) - 2 * len(figures) - 2, *figures]
    lines += ["", t("class.topics"), t("class.topics_note"),
              _row([t("class.topic"), t("class.answers"), t("class.tried"), t("class.right")], widths, total)]
    lines += [_row([_topic(lang, topic), str(asked), str(tried), _percent(share)], widths, total)
              for topic, asked, share, tried in report.topics()]
    missed = report.most_missed()
    if missed:
        widths = [8, 6]
        lines += ["", t("class.missed"), _row([t("class.missed_count"), t("class.share_missed"),
                                               t("class.question")], widths, total)]
        lines += [_row([f"{count}/{asked}", _percent(count / asked), question_label(key, lang)], widths, total)
                  for key, count, asked in missed]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _weakest(export: Export, lang: str, width: int) -> str:
    """The student's weakest topic and its share right in ``width`` columns: the name cut, never the figure."""
    topic = export.weakest_topic()
    if topic is None:
        return ""
    share = _percent(export.share_right(topic))
    return f"{_fit(_topic(lang, topic), width - len(share) - 1).rstrip()} {share}"


def report_csv(report: ClassReport, lang: str) -> str:
    """One row per student: name, lessons done, answers, share right, then a column per topic (share
    right, empty when not tried); fields quoted as CSV needs, and no cell a spreadsheet would run as a formula."""
    topics = sorted({topic for export in report.students for topic in export.topics})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(name) for name in ("student", "file", "exported", "lessons_done", "answered",
                                              "share_right", *(_topic(lang, topic) for topic in topics))])
    for export in report.students:
        shares = [export.share_right(topic) for topic in topics]
        writer.writerow([_cell(printable(export.student)), _cell(printable(str(export.path))),
                         export.exported.isoformat(), export.lessons_done, export.answered,
                         _fraction(export.share_right()), *(_fraction(share) for share in shares)])
    return out.getvalue()


def question_label(key: str, lang: str) -> str:
    """A question as the report names it: the bank's prompt when this cnntui has it, a generator's
    topic, else its key."""
    from .questions import load_bank
    if key.startswith("bank:"):
        item = load_bank().get(key.removeprefix("bank:"))
        if item is not None:
            prompt = item["prompt"]
            return printable(" ".join((prompt.get(lang) or next(iter(prompt.values()))).split()))
    else:
        from .generate import GENERATORS

        if key in GENERATORS:
            return _words(lang)("class.computed", topic=_topic(lang, GENERATORS[key].topic), name=key)
    return printable(key)


# -- words and cells ---------------------------------------------------------------------------------

def _topic(lang: str, topic: str) -> str:
    """A topic's name, or its key (from a file: escaped) when this version has no name for it."""
    from .worksheet import topic_name

    return printable(topic_name(lang, topic))


def _words(lang: str):
    from ..content import text

    return lambda key, **args: text(lang, f"progress.{key}", **args)


def _problem_words(problem, lang: str) -> str:
    from ..content import text

    values = {key: printable(str(value)) for key, value in getattr(problem, "values", {}).items()}
    code = getattr(problem, "code", None)
    if code == "json":  # Python's words for the mistake, in English: the banks' words for it instead
        from .bank_file import json_detail

        values["detail"] = json_detail(problem.values["detail"], lang)
    return text(lang, f"files.problem.{code}", **values) if code else printable(str(problem))


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _fraction(share: float | None) -> str:
    return "" if share is None else f"{share:.3f}"


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs (formula injection)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _width(text: str) -> int:
    from ..render.text import cell_width

    return cell_width(text)


def _fit(text: str, width: int) -> str:
    """``text`` in ``width`` columns: padded, or cut with "…"."""
    from ..render.text import fit_cells

    if _width(text) <= width:
        return fit_cells(text, width)
    return fit_cells(fit_cells(text, width - 1).rstrip() + "…", width)


def _row(cells: list[str], widths: list[int], total: int) -> str:
    """Cells two spaces apart: the first left-aligned in its width, the next ones right-aligned (figures)
    in theirs, and one more cell past ``widths`` left-aligned in what is left of ``total``."""
    from ..render.text import fit_cells

    parts = []
    for index, (cell, width) in enumerate(zip(cells, widths)):
        parts.append(_fit(cell, width) if index == 0 else fit_cells(_fit(cell, width).rstrip(), width, ">"))
    if len(cells) > len(widths):
        parts.append(_fit(cells[len(widths)], total - sum(widths) - 2 * len(widths)))
    return "  ".join(parts)
