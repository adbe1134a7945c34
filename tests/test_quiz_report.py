"""The class's progress: per-question counts, `cnntui progress`, its exports and the class report."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest

from cnntui.cli import main
from cnntui.quiz.progress import Progress, ProgressStore, merge, question_key
from cnntui.quiz.report import export_data, read_class, report_csv, report_text, write_export


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The progress file and the settings in the test's own folder."""
    import cnntui.quiz.progress as progress_module
    import cnntui.tui.settings as settings_module

    monkeypatch.setattr(progress_module, "default_path", lambda: tmp_path / "data" / "progress.json")
    monkeypatch.setattr(settings_module, "default_path", lambda: tmp_path / "config" / "settings.json")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return tmp_path


# -- per-question counts -----------------------------------------------------------------------------

def test_a_question_is_counted_under_what_stays_the_same_when_it_is_asked_again():
    progress = Progress()
    progress.record("bank:activation-dead-relu@0", "activation", correct=False, hinted=False)
    progress.record("bank:activation-dead-relu@3", "activation", correct=True, hinted=True)
    progress.record("conv_output_size:1:10", "output-size", correct=False, hinted=False)
    progress.record("conv_output_size:2:120", "output-size", correct=False, hinted=False)
    progress.record("task:stride-to-14", "hands-on", correct=True, hinted=False)
    assert progress.questions == {"bank:activation-dead-relu": {"asked": 2, "missed": 1},
                                  "conv_output_size": {"asked": 2, "missed": 2},
                                  "task:stride-to-14": {"asked": 1, "missed": 0}}
    assert question_key("bank:x") == "bank:x" and question_key("odd:id:here") == "odd:id:here"


def test_two_sessions_at_once_add_both_their_question_counts():
    base = Progress(questions={"conv_params": {"asked": 2, "missed": 1}})
    ours, theirs = Progress.from_dict(base.to_dict()), Progress.from_dict(base.to_dict())
    ours.record("conv_params:1:0", "parameter", correct=False, hinted=False)
    theirs.record("conv_params:2:0", "parameter", correct=True, hinted=False)
    theirs.record("bank:q@1", "kernel", correct=False, hinted=False)
    merged = merge(theirs, ours, base)
    assert merged.questions == {"conv_params": {"asked": 4, "missed": 2}, "bank:q": {"asked": 1, "missed": 1}}


def test_two_sessions_saving_one_file_keep_both_their_question_counts(tmp_path):
    first, second = ProgressStore(tmp_path / "progress.json"), ProgressStore(tmp_path / "progress.json")
    mine, theirs = first.load(), second.load()
    mine.record("bank:q@0", "kernel", correct=False, hinted=False)
    first.save(mine)
    theirs.record("bank:q@1", "kernel", correct=True, hinted=False)
    second.save(theirs)
    assert theirs.questions == {"bank:q": {"asked": 2, "missed": 1}}
    assert json.loads((tmp_path / "progress.json").read_text())["questions"] == theirs.questions


def test_an_old_file_without_question_counts_loads_undamaged_and_a_bad_count_is_damage(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 1, "topics": {"kernel": {"asked": 2, "score": 1.0}}, "session": 3}))
    store = ProgressStore(old)
    progress = store.load()
    assert store.problem is None and progress.questions == {} and progress.topics["kernel"]["asked"] == 2

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"questions": {"good": {"asked": 3, "missed": 1}, "bad": {"asked": "3"}}}))
    store = ProgressStore(bad)
    progress = store.load()
    assert store.problem.code == "bad_entries" and store.problem.values == {"count": 1}
    assert progress.questions == {"good": {"asked": 3, "missed": 1}}


# -- the class report over exports made here -----------------------------------------------------------

def answered(session: int = 1, **answers) -> Progress:
    """A Progress with the given answers: question id -> list of (topic, correct, hinted)."""
    progress = Progress(session=session)
    for question_id, tries in answers.items():
        for topic, correct, hinted in tries:
            progress.record(question_id.replace("__", ":"), topic, correct, hinted)
    return progress


def at(minute: int) -> datetime:
    return datetime(2026, 9, 1, 10, minute, tzinfo=timezone.utc)


@pytest.fixture
def class_folder(tmp_path):
    folder = tmp_path / "handed-in"
    folder.mkdir()
    ann = answered(**{"bank:activation-dead-relu@0": [("activation", False, False), ("activation", True, False)],
                      "conv_output_size__1__10": [("output-size", True, False)]})
    ann.lessons["building-blocks"] = {"step": 0, "attempt": 1, "done": True}
    bo = answered(**{"bank:activation-dead-relu@1": [("activation", False, False)],
                     "conv_output_size__2__20": [("output-size", True, True), ("output-size", False, False)]})
    old_cy = answered(**{"bank:activation-dead-relu@0": [("activation", False, False)]})
    cy = answered(**{"bank:activation-dead-relu@2": [("activation", True, False)],
                     "pool_output_size__1__10": [("pooling", False, False)]})
    for name, progress, minute, student in (("ann.json", ann, 1, "Ann"), ("bo.json", bo, 2, "=Bo+1"),
                                            ("cy-new.json", cy, 9, "Cy"), ("cy-old.json", old_cy, 3, "Cy")):
        write_export(folder / name, export_data(progress, student, at(minute)))
    (folder / "damaged.json").write_text('{"format": "cnntui-progress", "version": 1, "student": "Di"')
    (folder / "foreign.json").write_text(json.dumps({"name": "a network", "layers": []}))
    newer = export_data(ann, "Ed", at(5)) | {"version": 2}
    (folder / "newer.json").write_text(json.dumps(newer))
    wrong = export_data(ann, "Fay", at(5))
    wrong["topics"]["activation"]["score"] = 9.0  # more right than asked
    (folder / "wrong-counts.json").write_text(json.dumps(wrong))
    endless = json.loads(json.dumps(export_data(ann, "Hal", at(5))))
    endless["topics"] = {"output-size": {"asked": 1, "score": 1.0}}
    endless["questions"]["conv_output_size"]["asked"] = 10**400  # too large for a float: it would stop the report
    (folder / "endless-counts.json").write_text(json.dumps(endless))
    (folder / "huge.json").write_text(" " * 2**20 + json.dumps(export_data(ann, "Gus", at(5))))
    (folder / "notes.txt").write_text("not an export, and not *.json")
    return folder


def test_the_report_gives_the_class_figures_and_says_what_it_skipped(class_folder):
    report = read_class([str(class_folder)])
    assert [s.student for s in report.students] == ["Ann", "=Bo+1", "Cy"]
    assert report.students[2].path.name == "cy-new.json"  # the later of Cy's two exports
    # activation: Ann 1 of 2, Bo 0 of 1, Cy 1 of 1 -> 2 of 4; output-size: Ann 1, Bo 0.5 + 0 -> 1.5 of 3;
    # pooling: Cy 0 of 1
    assert report.topics() == [("pooling", 1, 0.0, 1), ("activation", 4, 0.5, 3), ("output-size", 3, 0.5, 2)]
    assert report.most_missed() == [("pool_output_size", 1, 1), ("bank:activation-dead-relu", 2, 4),
                                    ("conv_output_size", 1, 3)]
    why = {note.split(": skipped: ")[0].rsplit("/", 1)[-1]: note.split(": skipped: ")[-1] for note in report.notes}
    assert why["damaged.json"].startswith("it is not valid JSON")
    assert why["foreign.json"] == 'it is not a progress export (no "format": "cnntui-progress")'
    assert why["newer.json"] == "it is an export of version 2; this cnntui reads version 1"
    assert "activation" in why["wrong-counts.json"]
    assert "'conv_output_size' has values of the wrong kind" in why["endless-counts.json"]
    assert why["huge.json"] == "it is larger than 1 MB, far more than an export"
    assert any("Cy handed in" in note and note.endswith("cy-new.json, is kept") for note in report.notes)
    assert len(report.notes) == 7

    bo = report.students[1]
    assert (bo.lessons_done, bo.answered, bo.share_right(), bo.weakest_topic()) == (0, 3, 0.5 / 3, "activation")


def test_the_report_in_text_fits_80_columns_and_in_csv_is_safe_for_a_spreadsheet(class_folder):
    report = read_class([str(class_folder)])
    from cnntui.render.text import cell_width

    text = report_text(report, "en", width=80)
    for lang in ("en", "zh"):
        assert max(cell_width(line) for line in report_text(report, lang, width=80).splitlines()) <= 80
    lines = text.splitlines()
    assert lines[4].split() == ["Ann", "1", "3", "67%", "Activation", "functions", "50%"]
    topics = lines.index("Topics, weakest first")
    assert lines[topics + 3].split() == ["Pooling", "1", "1", "0%"]
    missed = lines.index("Questions missed most often")
    assert lines[missed + 2].split()[:2] == ["1/1", "100%"] and "Pooling" in lines[missed + 2]
    assert lines[missed + 3].split()[:2] == ["2/4", "50%"]
    assert "ReLU" in lines[missed + 3]  # the bank's prompt, cut to fit

    rows = list(csv.reader(io.StringIO(report_csv(report, "en"))))
    assert rows[0][:6] == ["student", "file", "exported", "lessons_done", "answered", "share_right"]
    assert rows[0][6:] == ["Activation functions", "Output sizes", "Pooling"]
    assert rows[2][0] == "'=Bo+1" and rows[2][6:] == ["0.000", "0.250", ""]
    assert rows[3][0] == "Cy" and rows[3][3:] == ["0", "2", "0.500", "1.000", "", "0.000"]


def test_report_from_the_cli_exits_2_only_when_no_file_could_be_read(class_folder, capsys):
    assert main(["progress", "--report", str(class_folder / "ann.json"), str(class_folder / "foreign.json"),
                 "--csv"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("student,") and len(out.splitlines()) == 2 and "foreign.json: skipped" in err
    assert main(["progress", "--report", str(class_folder / "foreign.json"), str(class_folder / "gone.json")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and err[1].endswith("gone.json: skipped: No such file or directory")
    assert err[2].startswith("cnntui: error: none of the files")


# -- the student's side -----------------------------------------------------------------------------

def test_progress_with_none_yet_says_how_to_start(home, capsys):
    assert main(["progress"]) == 0
    assert capsys.readouterr().out == "No quiz progress yet. Start the quiz with: cnntui quiz\n"


def test_progress_shows_lessons_topics_and_reviews_and_a_damaged_file_stays_put(home, capsys):
    import cnntui.quiz.progress as progress_module

    path = progress_module.default_path()
    progress = answered(session=2, **{"bank:activation-dead-relu@0": [("activation", False, False)],
                                      "conv_output_size__1__10": [("output-size", True, False)]})
    progress.lessons.update({"numbers": {"step": 4, "attempt": 0, "done": False},
                             "lab-1/sizes": {"step": 1, "attempt": 0, "done": False}})
    data = progress.to_dict()
    data["topics"]["kernel"] = {"asked": "many"}  # damage: one entry of the wrong kind
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))

    assert main(["progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"Your progress file {path} could not be read in full (1 entries had values of the "
                        "wrong kind); what could be read is shown.")
    assert path.exists()  # only read: the app sets it aside, keeping the good parts
    assert "step 5 of" in next(line for line in lines if "Counting" in line)
    assert next(line for line in lines if "lab-1/sizes" in line).split() == ["lab-1/sizes", "step", "2"]
    assert next(line for line in lines if "Building" in line or "building" in line).endswith("not started")
    assert lines[-1] == "Questions to review in your next quiz: 1"
    assert lines.index("  Activation functions  1 answered, 0% right") < lines.index(
        "  Output sizes          1 answered, 100% right")


def test_export_takes_the_name_given_saved_or_asked_once(home, capsys, monkeypatch):
    target = home / "ann.json"
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["progress", "--export", str(target)]) == 2
    assert "give it with --name NAME" in capsys.readouterr().err and not target.exists()

    assert main(["progress", "--export", str(target), "--name", "  Ann Lee "]) == 0
    data = json.loads(target.read_text())
    assert (data["format"], data["version"], data["student"]) == ("cnntui-progress", 1, "Ann Lee")
    assert data["exported"].endswith("Z") and set(data) == {"format", "version", "student", "student_id",
                                                            "exported", "cnntui", "lessons", "topics", "questions",
                                                            "reviews_due"}
    account = data["student_id"]
    assert len(account) == 16 and int(account, 16) >= 0
    settings = home / "config" / "settings.json"
    assert json.loads(settings.read_text()) == {"student_id": account}  # the id is kept; a name given is not
    settings.unlink()

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or " Bo ")
    assert main(["progress", "--export", str(target)]) == 0  # replaces its own earlier export
    assert main(["progress", "--export", str(target)]) == 0
    assert len(asked) == 1 and json.loads(target.read_text())["student"] == "Bo"
    saved = json.loads(settings.read_text())
    assert saved == {"student_name": "Bo", "student_id": saved["student_id"]} != {"student_id": account}
    assert json.loads(target.read_text())["student_id"] == saved["student_id"]  # the same in every export

    other = home / "notes.json"
    other.write_text("{}")
    assert main(["progress", "--export", str(other)]) == 2
    assert "--force replaces it" in capsys.readouterr().err and other.read_text() == "{}"
    assert main(["progress", "--export", str(home / "x.json"), "--name", "bad\x1bname"]) == 2
    assert "'bad\\x1bname' is not a name" in capsys.readouterr().err


def test_what_an_export_says_is_shown_escaped_and_never_run_by_a_spreadsheet(tmp_path):
    progress = answered(**{"bank:\x1b]0;owned\x07@0": [("\x1b[2J=cmd", False, False)]})
    write_export(tmp_path / "odd.json", export_data(progress, "@Ann", at(1)))
    report = read_class([str(tmp_path)])
    text = report_text(report, "en")
    assert "\x1b" not in text and "\\x1b[2J=cmd" in text and "bank:\\x1b]0;owned\\x07" in text
    header, row = list(csv.reader(io.StringIO(report_csv(report, "en"))))
    assert header[-1] == "\\x1b[2J=cmd" and row[0] == "'@Ann"
    bad_time = export_data(progress, "Bo", at(1)) | {"exported": 20260901}
    (tmp_path / "odd.json").write_text(json.dumps(bad_time))
    assert read_class([str(tmp_path)]).notes[0].endswith('its "exported" is not a time such as 2026-09-01T10:00:00Z')


def test_progress_from_a_file_that_cannot_be_read_at_all_says_so(home, capsys):
    import cnntui.quiz.progress as progress_module

    path = progress_module.default_path()
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2]")
    assert main(["progress"]) == 0
    assert capsys.readouterr().out == (f"Your progress file {path} could not be read (it does not hold a JSON "
                                       "object), so there is nothing to show.\n")


# -- instructors' lessons and questions, names shared, the terminal's width -----------------------------

LAB_QUESTION = {"id": "lab-stride-halves", "topic": "stride", "difficulty": 1, "kind": "truefalse",
                "prompt": {"en": "A stride of 2 roughly halves a feature map's height and width, whatever its "
                                 "kernel size and padding.", "zh": "步幅为 2 时，特征图的高和宽大约减半。"},
                "explanation": {"en": "The window moves two pixels at a time."}, "answer": True}


def lab_course(course_id: str, title: str) -> dict:
    return {"course": course_id, "title": {"en": title},
            "lessons": [{"id": "sizes", "title": {"en": "Sizes", "zh": "尺寸"},
                         "recap": {"en": "n + 2p - k, over s, plus 1."},
                         "questions": ["pool-ceil-mode-rounds-up",
                                       {"generator": "conv_output_size", "difficulty": 2, "count": 2}]}]}


def test_progress_names_instructor_lessons_by_title_and_counts_their_steps(home, capsys):
    from cnntui.quiz import material

    lab = material.user_folder()
    lab.mkdir(parents=True)
    (lab / "bank.json").write_text(json.dumps([LAB_QUESTION]))  # a question of no lesson: "instructor"
    (lab / "lab-1.json").write_text(json.dumps(lab_course("lab-1", "Lab one")))
    (lab / "broken.json").write_text("[1,")
    chosen = home / "mine.json"  # the course setting's, outside the folders
    chosen.write_text(json.dumps(lab_course("lab-2", "Lab two")))
    (home / "config").mkdir()
    (home / "config" / "settings.json").write_text(json.dumps({"course": str(chosen)}))
    path = home / "data" / "progress.json"
    path.parent.mkdir()
    lessons = {"instructor": {"step": 1, "attempt": 0, "done": False},
               "lab-1/sizes": {"step": 2, "attempt": 0, "done": False},
               "lab-2/sizes": {"step": 0, "attempt": 1, "done": True}, "gone/x": {"step": 2, "attempt": 0, "done": False}}
    path.write_text(json.dumps(Progress(lessons=lessons).to_dict()))

    assert main(["progress"]) == 0
    out, err = capsys.readouterr()
    rows = dict(re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.startswith("  "))
    assert rows["Your instructor's questions"] == "step 2 of 2"  # the recap, then the bank's one question
    assert rows["Lab one: Sizes"] == "step 3 of 4" and rows["Lab two: Sizes"] == "done"
    assert rows["gone/x"] == "step 3"  # a course not found: by key, as before
    assert err.splitlines() == ["cnntui: files in the lab's quiz folders left out for their problems: 1 (see why "
                                "with: cnntui quiz --check FILE)"]


def test_an_export_refuses_ctrl_d_at_the_name_a_long_name_and_a_dash_in_one_line_each(home, capsys, monkeypatch):
    monkeypatch.chdir(home)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)

    def ctrl_d(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", ctrl_d)
    assert main(["progress", "--export", "ann.json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["cnntui: error: '' is not a name; give your name as 1 to 80 printable characters, or give it "
                   "with --name NAME"]
    assert main(["progress", "--export", "ann.json", "--name", "Ann" * 200]) == 2
    err = capsys.readouterr().err
    assert "'" + ("Ann" * 13) + "…' is not a name" in err and len(err) < 200
    assert main(["progress", "--export", "-", "--name", "Ann"]) == 2
    assert "--export needs a file name, not '-'" in capsys.readouterr().err
    assert sorted(path.name for path in home.iterdir()) == []  # nothing written: no export, no settings


def test_the_report_takes_the_terminal_width_speaks_chinese_and_keeps_two_students_of_one_name(
        tmp_path, capsys, monkeypatch):
    from cnntui.render.text import cell_width

    folder = tmp_path / "class"
    folder.mkdir()
    bank = tmp_path / "lab-bank.json"
    bank.write_text(json.dumps([LAB_QUESTION]))
    missed = answered(**{"bank:lab-stride-halves@0": [("stride", False, False)],
                         "bank:activation-dead-relu@0": [("activation", True, True)]})
    for name, student, minute, account in (("a.json", "Li Wei", 1, "0123456789abcdef"),
                                           ("b.json", "Li Wei", 2, "fedcba9876543210"),
                                           ("c.json", "长名字" * 26, 3, None)):
        write_export(folder / name, export_data(missed, student, at(minute), account))
    (folder / "foreign.json").write_text("{}")

    monkeypatch.setenv("COLUMNS", "60")
    assert main(["progress", "--lang", "zh", "--report", str(folder), str(folder / "a.json"),
                 "--bank", str(bank)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert max(cell_width(line) for line in lines) <= 60 and "学生人数：3" in lines  # a.json counted once
    assert lines[4].startswith("Li Wei (a) ") and lines[5].startswith("Li Wei (b) ")
    assert any("步幅为 2 时" in line for line in lines)  # the instructor's question by its prompt
    assert err.splitlines() == [f"cnntui: {folder / 'foreign.json'}：已跳过：这不是进度导出文件（没有 \"format\": "
                                "\"cnntui-progress\"）",
                                f"cnntui: 有两名学生都叫 Li Wei（{folder / 'a.json'}, {folder / 'b.json'}）"]

    report = read_class([str(folder)])
    for columns, width in ((40, 60), (120, 100)):  # the terminal's width, within 60 and 100
        monkeypatch.setenv("COLUMNS", str(columns))
        assert max(cell_width(line) for line in report_text(report, "zh").splitlines()) <= width
        assert max(cell_width(line) for line in report_text(report, "en").splitlines()) == width  # the prompt, cut


def test_the_csv_is_utf8_without_a_byte_order_mark_and_says_so(class_folder, capsys):
    from cnntui.cli import build_parser

    assert main(["progress", "--report", str(class_folder / "ann.json"), "--csv"]) == 0
    assert capsys.readouterr().out.startswith("student,")  # no BOM: it would be part of the first cell in a pipe
    progress_help = build_parser()._subparsers._group_actions[0].choices["progress"].format_help()
    assert "UTF-8 without a byte-order mark" in " ".join(progress_help.split())


# -- second round: cnntui's own files, course titles remembered, the width, worded JSON problems -------

def test_an_export_never_replaces_cnntuis_own_files_even_with_force(home, capsys):
    from cnntui.quiz import material

    (home / "config").mkdir()
    settings = home / "config" / "settings.json"
    settings.write_text('{"student_name": "Ann"}')
    lab_bank = material.site_folder() / "deep" / "bank.json"
    lab_bank.parent.mkdir(parents=True)
    lab_bank.write_text(json.dumps([LAB_QUESTION]))
    for target in (settings, home / "data" / "progress.json", lab_bank):
        assert main(["progress", "--export", str(target), "--force", "--name", "Ann"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "where cnntui keeps its own files" in err
        assert f"even with --force; give --export a file elsewhere, such as ./{target.name}" in err
    assert settings.read_text() == '{"student_name": "Ann"}' and json.loads(lab_bank.read_text()) == [LAB_QUESTION]
    assert not (home / "data" / "progress.json").exists()


def test_progress_names_a_course_opened_lately_and_wraps_long_titles_between_words(home, capsys, monkeypatch):
    course = lab_course("lab-1", "Half a lab on how strides and paddings halve the feature maps")
    (home / "lab.json").write_text(json.dumps(course))
    (home / "config").mkdir()
    # The built-in course back in use; the lab's file only among the courses opened lately.
    (home / "config" / "settings.json").write_text(json.dumps({"course": "", "recent_courses": [str(home / "lab.json")]}))
    (home / "data").mkdir()
    lessons = {"lab-1/sizes": {"step": 2, "attempt": 0, "done": False}}
    (home / "data" / "progress.json").write_text(json.dumps(Progress(lessons=lessons).to_dict()))
    monkeypatch.setenv("COLUMNS", "60")

    assert main(["progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any("lab-1/sizes" in line for line in lines)
    start = next(index for index, line in enumerate(lines) if line.startswith("  Half a lab"))
    title = " ".join(line.split("step 3 of 4")[0].strip() for line in lines[start:start + 2])
    assert "step 3 of 4" in lines[start] and title == "Half a lab on how strides and paddings halve the feature maps: Sizes"
    words = set(title.split())
    assert all(set(line.split()) - {"step", "3", "of", "4"} <= words for line in lines[start:start + 2])
    assert max(len(line) for line in lines) <= 60


def test_a_damaged_export_is_said_in_the_banks_words_in_the_reports_language(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "tab.json").write_text('{"format": "cnntui-progress", "student": "A\tB"}')
    english, chinese = read_class([str(folder)], "en").notes[0], read_class([str(folder)], "zh").notes[0]
    assert "Invalid control character" not in english + chinese
    assert "line 1, column 44: a text holds a line break or a tab; write it as \\n or \\t" in english
    assert "文字中有换行符或制表符" in chinese
