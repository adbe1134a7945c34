"""An instructor's question banks: every kind of mistake gives its one-line message, computed questions agree
with the engine on the instructor's own networks, the lab's folders are read at start, and --bank and --check."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from cnntui.cli import main
from cnntui.core import check
from cnntui.quiz import material
from cnntui.quiz.bank_file import MAX_FILE_BYTES, check_bank_data, read_bank
from cnntui.quiz.grading import mark
from cnntui.quiz.questions import builtin_bank, clear_installed, install_bank, instructor_ids, load_bank, question_by_id

CONV_NET = {"name": "tiny", "input": [1, 28, 28], "layers": [
    {"type": "conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}, {"type": "relu"},
    {"type": "maxpool2d", "kernel_size": 2}, {"type": "conv2d", "out_channels": 16, "kernel_size": 5},
    {"type": "flatten"}, {"type": "linear", "out_features": 10}]}
RES_NET = {"name": "tinyres", "input": [3, 32, 32], "layers": [
    {"type": "conv2d", "name": "conv1", "out_channels": 8, "kernel_size": 3, "padding": 1},
    {"type": "sequential", "name": "layer1", "layers": [{"type": "residual", "body": [
        {"type": "conv2d", "name": "conv1", "out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "relu", "name": "relu"},
        {"type": "conv2d", "name": "conv2", "out_channels": 16, "kernel_size": 3, "padding": 1}],
        "shortcut": {"type": "conv2d", "name": "downsample", "out_channels": 16, "kernel_size": 1, "stride": 2},
        "activation": "relu"}]},
    {"type": "global_avg_pool"}, {"type": "linear", "name": "fc", "out_features": 10}]}
CHOICE = {"id": "my-pool", "topic": "pooling", "difficulty": 2, "kind": "choice",
          "prompt": {"en": "What does max pooling keep?", "zh": "最大池化保留什么？"},
          "explanation": {"en": "The largest value of each window."},
          "options": [{"text": {"en": "The largest value"}, "correct": True, "why": {"en": "Right."}},
                      {"text": {"en": "The mean"}, "correct": False, "why": {"en": "That is average pooling."}}]}
TRUEFALSE = {"id": "my-tf", "topic": "pooling", "difficulty": 1, "kind": "truefalse", "lesson": "structure",
             "prompt": {"zh": "最大池化没有权重。"}, "explanation": {"en": "It only picks.", "zh": "它只挑选。"},
             "answer": True}
QUANTITIES = ["output_shape", "input_shape", "params", "weights", "biases", "macs", "receptive_field"]
# (net, layer): a conv of the plain net by step index, a layer inside a block by path, and the block itself.
LAYERS = [("net.json", 3), ("res.json", "layer1.0.conv1"), ("res.json", "layer1.0")]


@pytest.fixture(autouse=True)
def no_installed_questions():
    yield
    clear_installed()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A bank folder with the two networks, shared by the tests that only read it."""
    base = tmp_path_factory.mktemp("bank")
    (base / "net.json").write_text(json.dumps(CONV_NET), encoding="utf-8")
    (base / "res.json").write_text(json.dumps(RES_NET), encoding="utf-8")
    return base


def computed(item_id: str, network, layer, quantity: str, **extra) -> dict:
    return {"id": item_id, "kind": "computed", "network": network, "layer": layer, "quantity": quantity, **extra}


def checked(items: list, base: Path = Path("."), taken: set[str] = frozenset()):
    return check_bank_data(items, base, "my.json", set(taken))


def engine_value(summary, layer, quantity: str):
    record = summary[layer] if isinstance(layer, int) else summary.record_named(layer)
    value = getattr(record, quantity)
    return list(value) if isinstance(value, tuple) else value


def typed(answer) -> str:
    """The answer as a student types it: "16x10x10", "240,000"."""
    return "x".join(map(str, answer)) if isinstance(answer, list) else f"{answer:,}"


def test_choice_and_truefalse_load_with_a_missing_language_taken_from_the_other():
    loaded = checked([CHOICE, TRUEFALSE])
    assert loaded.problems == []
    assert loaded.items["my-pool"]["explanation"] == {"en": "The largest value of each window.",
                                                      "zh": "The largest value of each window."}
    assert loaded.items["my-tf"]["prompt"] == {"en": "最大池化没有权重。", "zh": "最大池化没有权重。"}
    assert loaded.items["my-pool"]["concept"] == ""  # no concept, lesson or page topic: no Learn link
    assert loaded.items["my-tf"]["concept"] == "convolutional-layer"  # its lesson's first page
    install_bank(loaded.items)
    question = question_by_id("bank:my-pool@3")
    assert question.kind == "choice" and mark(question, question.options[question.answer]["text"]["en"]).correct
    assert mark(question_by_id("bank:my-tf"), "yes").correct
    assert instructor_ids() == ["my-pool", "my-tf"] and set(builtin_bank()) < set(load_bank())


@pytest.mark.parametrize("network, layer", LAYERS, ids=lambda value: str(value))
def test_computed_answers_are_the_engines_and_graded_as_typed(folder, network, layer):
    summary = check(json.loads((folder / network).read_text(encoding="utf-8")))
    items = [computed(f"q-{n}", network, layer, quantity) for n, quantity in enumerate(QUANTITIES)]
    loaded = checked(items, folder)
    assert loaded.problems == []
    install_bank(loaded.items)
    for n, quantity in enumerate(QUANTITIES):
        question = question_by_id(f"bank:q-{n}")
        assert question.kind == "computed" and question.quantity == quantity
        assert question.answer == engine_value(summary, layer, quantity), quantity
        assert mark(question, typed(question.answer)).correct, (quantity, question.answer)
        wrong = [v + 1 for v in question.answer] if isinstance(question.answer, list) else question.answer + 1
        assert not mark(question, typed(wrong)).correct
        for lang in ("en", "zh"):
            assert typed(question.answer) in question.explanation[lang] or \
                   "x".join(map(str, question.answer[:1] * 2)) in question.explanation[lang]
            assert str(layer) in question.prompt[lang] and "{" not in question.prompt[lang]


def test_worked_solutions_are_the_layers_own_derivation(folder):
    loaded = checked([computed("a", "net.json", 3, "output_shape"), computed("b", "net.json", 3, "macs"),
                      computed("c", "net.json", 3, "receptive_field"), computed("d", "res.json", "layer1.0", "params")],
                     folder)
    record = check(CONV_NET)[3]
    assert all(line in loaded.items["a"]["explanation"]["zh"] for line in record.derivation[:2])
    assert "MACs = 16*10*10*6*5*5 = 240000" in loaded.items["b"]["explanation"]["en"]
    assert "RF = 6 + (5-1)*2 = 14, jump = 2*1 = 2" in loaded.items["c"]["explanation"]["en"]
    assert "感受野 = 6 + (5-1)*2 = 14，跳距 = 2*1 = 2" in loaded.items["c"]["explanation"]["zh"]
    block = check(RES_NET).record_named("layer1.0")
    assert f"= {block.params}" in loaded.items["d"]["explanation"]["en"]
    assert "(layer1.0.downsample)" in loaded.items["d"]["explanation"]["en"]


def test_a_preset_or_an_inline_network_and_the_instructors_own_prompt(folder):
    loaded = checked([computed("p", "lenet5", 0, "params", difficulty=3, topic="my-topic"),
                      computed("i", CONV_NET, 5, "weights",
                               prompt={"en": "How many weights has {layer} ({type}) of {network}?"})], folder)
    assert loaded.problems == []
    assert loaded.items["p"]["answer"] == check(json.loads(
        (Path(__file__).parent.parent / "assets" / "presets" / "lenet5.json").read_text()))[0].params
    assert loaded.items["p"]["difficulty"] == 3 and loaded.items["p"]["topic"] == "my-topic"
    assert loaded.items["i"]["prompt"] == {"en": "How many weights has 5 (linear) of tiny?",
                                           "zh": "How many weights has 5 (linear) of tiny?"}
    assert loaded.items["p"]["prompt"]["en"] == ("In lenet5, how many parameters (weights and biases) does "
                                                 "layer 0 (conv2d) have?")
    assert loaded.items["p"]["prompt"]["zh"] == "在 lenet5 中，第 0 层（conv2d）有多少个参数（权重加偏置）？"
    assert loaded.items["i"]["answer"] == 1600 * 10


BAD_NET = {"input": [1, 8, 8], "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 9},
                                          {"type": "relu", "size": 1}]}
# (what is changed in a good question, the field and words of its problem line)
MISTAKES = [
    (lambda q: q.update(optoins=[]), "field 'optoins': is not a question field (did you mean 'options'?)"),
    (lambda q: q.pop("prompt"), "field 'prompt': is missing"),
    (lambda q: q.update(difficulty=4), "field 'difficulty': must be 1, 2 or 3"),
    (lambda q: q.update(difficulty="2"), "field 'difficulty': must be 1, 2 or 3"),
    (lambda q: q.update(kind="multiple"), "field 'kind': must be \"choice\", \"truefalse\" or \"computed\""),
    (lambda q: q["options"][1].update(correct=True), "field 'options': 2 options are marked correct; mark exactly one"),
    (lambda q: q["options"][0].update(correct=False), "field 'options': no option is marked correct"),
    (lambda q: q.update(options=q["options"][:1]), "field 'options': has 1 option; give 2 to 8"),
    (lambda q: q.update(options=q["options"] * 5), "field 'options': has 10 options; give 2 to 8"),
    (lambda q: q["options"][0].pop("why"), "field 'options[0].why': is missing"),
    (lambda q: q.update(prompt={}), "field 'prompt': has neither \"en\" nor \"zh\""),
    (lambda q: q.update(prompt={"en": "x", "fr": "y"}), "field 'prompt': has a language \"fr\""),
    (lambda q: q.update(prompt={"en": "  "}), "field 'prompt': the en text is empty"),
    (lambda q: q.update(prompt="What?"), "field 'prompt': must be a text such as"),
    (lambda q: q.update(id="My Pool"), "question 'My Pool' (1st): field 'id': must be kebab-case"),
    (lambda q: q.pop("id"), "question 1 (no id): field 'id': is missing"),
    (lambda q: q["options"][1]["text"].update(en=" the  LARGEST value"),
     "field 'options[1]': has the same en text as options[0]; make each option different"),
    (lambda q: q.update(id="neuron-sum-then-activate"), "already used by a built-in question"),
    (lambda q: q.update(concept="kernal"), "field 'concept': no Learn page is called \"kernal\" (did you mean 'kernel'?)"),
    (lambda q: q.update(lesson="numbrs"), "field 'lesson': no built-in lesson is called \"numbrs\" (did you mean 'numbers'?)"),
]


@pytest.mark.parametrize("change, expected", MISTAKES, ids=[words for _, words in MISTAKES])
def test_each_mistake_gives_its_message(change, expected):
    question = copy.deepcopy(CHOICE)
    change(question)
    loaded = checked([question])
    assert loaded.items == {}
    assert any(expected in line for line in loaded.problems), loaded.problems
    assert all(line.startswith("my.json: question ") for line in loaded.problems)


COMPUTED_MISTAKES = [
    (computed("c", BAD_NET, 0, "macs"), "field 'network': the engine refuses the network: layer 0 conv2d: the 9x9 "
                                        "kernel does not fit the 8x8 input (padding 0); use padding >= 1 or a "
                                        "smaller kernel (and 1 more)"),
    (computed("c", "lenet6", 0, "macs"), "field 'network': the engine refuses the network: unknown network 'lenet6'"),
    (computed("c", "missing.json", 0, "macs"), "field 'network': the engine refuses the network"),
    (computed("c", "net.json", 0, "mac"), "field 'quantity': must be one of output_shape"),
    (computed("c", "net.json", 9, "macs"), "or its number from 0 to 5"),
    (computed("c", "res.json", "layer1.0.cnv1", "macs"), "(did you mean 'layer1.0.conv1'?)"),
    (computed("c", "net.json", 0, "macs", prompt={"en": "In {net}?"}), "unknown placeholder \"{net}\""),
    (computed("c", "net.json", 0, "macs", options=[]), "field 'options': is not a question field"),
    (computed("c", "net.json", 0, "macs", prompt={"en": "In {network.name}?"}), "placeholder \"{network.name}\""),
    (computed("c", "net.json", 0, "macs", prompt={"en": "Of {layer[x]}?"}), "placeholder \"{layer[x]}\""),
    (computed("c", "net.json", 0, "macs", prompt={"en": "Of {type:d}?"}), "placeholder \"{type:d}\""),
    (computed("c", "net.json", 0, ["macs"]), "field 'quantity': must be one of output_shape"),
    (computed("c", "net.json", 0, "macs", concept=["kernel"]), "field 'concept': no Learn page is called"),
]


def test_a_step_where_branches_meet_asks_of_its_block_and_an_unnamed_layer_is_layer_n(folder):
    """Step 5 of RES_NET is where layer1.0's branches meet: its prompt names layer1.0, so it is the block's
    answer; the unnamed pooling layer (path "2", step 6) is "layer 2", not a bare "2"."""
    loaded = checked([computed("join", "res.json", 5, "params"), computed("pool", "res.json", 6, "output_shape")],
                     folder)
    assert not loaded.problems
    join, pool = loaded.items["join"], loaded.items["pool"]
    assert "layer1.0 (residual)" in join["prompt"]["en"]
    assert join["answer"] == check(RES_NET).record_named("layer1.0").params == 3632
    assert "layer 2 (global_avg_pool)" in pool["prompt"]["en"] and "第 2 层" in pool["prompt"]["zh"]


@pytest.mark.parametrize("item, expected", COMPUTED_MISTAKES, ids=[words[:40] for _, words in COMPUTED_MISTAKES])
def test_each_computed_mistake_gives_its_message(folder, item, expected):
    loaded = checked([item], folder)
    assert loaded.items == {} and any(expected in line for line in loaded.problems), loaded.problems


def test_every_problem_of_a_bank_at_once_by_position_and_id():
    no_id = {key: value for key, value in TRUEFALSE.items() if key != "id"}
    loaded = checked([CHOICE, {**CHOICE, "difficulty": 0}, no_id, 3, {**TRUEFALSE, "id": "other"}], taken={"other"})
    assert loaded.problems == [
        "my.json: question 'my-pool' (2nd): field 'id': the id 'my-pool' is used twice; give each question its own id",
        "my.json: question 'my-pool' (2nd): field 'difficulty': must be 1, 2 or 3 (easy to hard), got 0",
        "my.json: question 3 (no id): field 'id': is missing; a truefalse question needs id, topic, difficulty, "
        "kind, prompt, explanation, answer",
        "my.json: question 4 (no id): a question must be a JSON object, got 3; write it as {\"id\": ..., "
        "\"kind\": ...}",
        "my.json: question 'other' (5th): field 'id': the id 'other' is already used by another file's question; "
        "choose another id"]
    assert checked({"questions": []}).problems == [
        "my.json: a question bank must be a JSON list of questions, got {\"questions\": []}; put the questions in "
        "[ ... ]"]


def test_unreadable_files_are_one_problem_each(tmp_path):
    (tmp_path / "broken.json").write_text('[{"id": "x",\n "kind": }]', encoding="utf-8")
    (tmp_path / "latin1.json").write_bytes('[{"id": "caf\xe9"}]'.encode("latin-1"))
    (tmp_path / "huge.json").write_bytes(b"[" + b" " * MAX_FILE_BYTES + b"]")
    deep = {"input": [1, 8, 8], "layers": []}
    for _ in range(40):
        deep = {"input": [1, 8, 8], "layers": [{"type": "sequential", "layers": deep["layers"]}]}
    write(tmp_path / "deep.json", [computed("deep", deep, 0, "macs")])
    assert read_bank(tmp_path / "deep.json").problems == [
        "deep.json: it is nested too deeply or holds a number too long to read"]
    assert read_bank(tmp_path / "broken.json").problems == [
        "broken.json: line 2, column 10: a value is missing here (text in double quotes, a number, true, false, a "
        "list or an object); a comma before ] or } is not allowed"]
    assert read_bank(tmp_path / "broken.json", lang="zh").problems[0].startswith("broken.json: 第 2 行第 10 列：这里缺少")
    assert read_bank(tmp_path / "latin1.json").problems == [
        "latin1.json: byte 13 is not UTF-8 text; save the file as UTF-8"]
    assert read_bank(tmp_path / "huge.json").problems == [
        "huge.json: it is larger than 4 MB; split it into several banks"]
    assert read_bank(tmp_path / "none.json").problems == ["none.json: cannot be read: no such file or folder"]
    assert read_bank(tmp_path / "none.json", lang="zh").problems[0].startswith("none.json: 无法读取：")
    assert read_bank(tmp_path).problems == [f"{tmp_path.name}: cannot be read: it is a folder"]
    assert read_bank(Path(".")).problems == [".: cannot be read: it is a folder"]
    (tmp_path / "notepad.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([CHOICE]).encode())  # Notepad's UTF-8
    assert read_bank(tmp_path / "notepad.json").problems == []
    write(tmp_path / "empty.json", [])
    assert read_bank(tmp_path / "empty.json").problems == [
        "empty.json: has no questions; put at least one question in [ ... ]"]


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_folders_banks_are_installed_and_a_bad_file_refused_whole(tmp_path, folder):
    site, user = tmp_path / "site", tmp_path / "user"
    write(site / "a.json", [CHOICE, computed("net-macs", str(folder / "net.json"), 3, "macs")])
    write(site / "course.json", {"course": "lab", "lessons": []})
    write(user / "b.json", [TRUEFALSE, {**CHOICE, "id": "bad", "difficulty": 9}])
    write(user / "c.json", [{**TRUEFALSE, "id": "my-pool"}])
    write(user / "notes.json", {"hello": 1})
    write(user / "net.json", CONV_NET)  # a network for computed questions: neither refused nor a bank
    found = material.find_material([site, user, tmp_path / "nowhere"])
    assert [p.name for p in found.banks] == ["a.json", "b.json", "c.json"]
    assert [p.name for p in found.courses] == ["course.json"]
    refused = material.load_material([site, user, tmp_path / "nowhere"])
    assert refused[0] == ("notes.json has a problem: neither a question bank (a JSON list) nor a course (an object "
                          "with \"lessons\"); move it out of the quiz folder or fix it; check it again with: "
                          f"cnntui quiz --check {user / 'notes.json'}")
    assert refused[1] == ("b.json has a problem: question 'bad' (2nd): field 'difficulty': must be 1, 2 or 3 (easy to "
                          f"hard), got 9; check it again with: cnntui quiz --check {user / 'b.json'}")
    assert refused[2].startswith("c.json has a problem: question 'my-pool' (1st): field 'id': the id 'my-pool' is "
                                 "already used by a question of a.json; choose another id")
    assert instructor_ids() == ["my-pool", "net-macs"]  # b.json refused whole: not even my-tf
    assert question_by_id("bank:net-macs").answer == 240000
    assert material.load_material([site, user]) == refused[:3]  # read again: the same, no clash with itself


@pytest.mark.real_quiz_folders
def test_the_default_folders_are_platformdirs_site_and_user_data():
    assert material.site_folder().parts[-2:] == ("cnntui", "quiz")
    assert material.user_folder() == Path.home() / ".local" / "share" / "cnntui" / "quiz"


def test_check_prints_every_problem_or_ok(tmp_path, folder, capsys):
    good = write(tmp_path / "good.json", [CHOICE, computed("net-shape", str(folder / "net.json"), 3, "output_shape")])
    bad = write(tmp_path / "bad.json", [{**CHOICE, "id": "bad-pool", "difficulty": 0},
                                        {**TRUEFALSE, "answer": "yes"}])
    assert main(["quiz", "--check", str(good)]) == 0
    assert capsys.readouterr().out == "good.json: ok, 2 questions\n"
    assert main(["quiz", "--check", str(good), str(bad)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["good.json: ok, 2 questions",
                     "bad.json: question 'bad-pool' (1st): field 'difficulty': must be 1, 2 or 3 (easy to hard), got 0",
                     "bad.json: question 'my-tf' (2nd): field 'answer': must be true or false, got \"yes\""]
    assert main(["quiz", "--bank", str(bad), "--json"]) == 2
    assert capsys.readouterr().err == (
        "cnntui: error: bad.json has 2 problems; the first: question 'bad-pool' (1st): field 'difficulty': must be "
        f"1, 2 or 3 (easy to hard), got 0; see every one with: cnntui quiz --check {bad}\n")


def test_bank_questions_join_a_printed_worksheet(tmp_path, folder, capsys):
    bank = write(tmp_path / "mine.json", [{**CHOICE, "topic": "my-lab"},
                                          computed("net-macs", str(folder / "net.json"), 3, "macs", topic="my-lab")])
    assert main(["quiz", "--bank", str(bank), "--json", "--topic", "my-lab"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(q["id"].partition("@")[0] for q in printed) == ["bank:my-pool", "bank:net-macs"]
    assert next(q for q in printed if q["id"].startswith("bank:net-macs"))["answer"] == 240000
    assert next(q for q in printed if q["id"].startswith("bank:my-pool"))["concept"] == ""  # no Learn page fits


async def test_the_app_asks_a_question_of_a_bank_in_the_lab_folder(tmp_path, monkeypatch, folder):
    from test_app import make_app, until
    from test_quiz_app import answer, start

    from cnntui.quiz.course import INSTRUCTOR_LESSON

    site = tmp_path / "site"
    write(site / "lab.json", [computed("lab-shape", str(folder / "net.json"), 3, "output_shape")])
    write(site / "broken.json", [{"id": "x"}])
    monkeypatch.setattr(material, "site_folder", lambda: site)
    monkeypatch.setattr(material, "user_folder", lambda: tmp_path / "user")
    app = make_app(tmp_path, mode="quiz")
    notices = []
    monkeypatch.setattr(app, "notify", lambda message, **options: notices.append(message))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await start(pilot)
        screen.open_section(INSTRUCTOR_LESSON)
        await pilot.press("n")  # past the recap
        await until(pilot, lambda: screen.question is not None, "the instructor's question")
        assert screen.question.id.partition("@")[0] == "bank:lab-shape"
        await answer(pilot, screen, True)
        assert screen.result.correct
    assert any(notice.startswith("broken.json has a problem") and "cnntui quiz --check" in notice
               for notice in notices), notices


def test_braces_are_words_and_a_computed_prompt_is_checked_with_the_rest(folder):
    """The app never fills an instructor's text in with str.format, so braces are kept as written; a computed
    question's own prompt is checked even when the question has another problem."""
    braces = {**CHOICE, "prompt": {"en": "Is {x} a set?"}, "explanation": {"en": "A set {1, 2}; f'{y}' is not."}}
    loaded = checked([braces])
    assert loaded.problems == [] and loaded.items["my-pool"]["prompt"]["zh"] == "Is {x} a set?"
    install_bank(loaded.items)
    assert question_by_id("bank:my-pool").explanation["en"] == "A set {1, 2}; f'{y}' is not."
    problems = checked([computed("c", "net.json", 0, "macs", prompt="How many?", difficulty=5)], folder).problems
    assert [line.split(": ")[2] for line in problems] == ["field 'difficulty'", "field 'prompt'"], problems


def test_a_network_file_is_analysed_once_for_all_its_questions(folder, monkeypatch):
    from cnntui.core import analysis

    calls = []
    real = analysis.analyze
    monkeypatch.setattr(analysis, "analyze", lambda spec: calls.append(spec) or real(spec))
    loaded = checked([computed(f"q-{n}", "net.json", n, "output_shape") for n in range(4)] +
                     [computed("other", "res.json", 0, "params"), computed("bad", "nowhere.json", 0, "params"),
                      computed("bad-too", "nowhere.json", 1, "params")], folder)
    assert len(calls) == 2  # net.json and res.json; nowhere.json cannot be read, and says so for each question
    assert [line.split(": ")[1] for line in loaded.problems] == ["question 'bad' (6th)", "question 'bad-too' (7th)"]


def test_a_worksheet_never_writes_over_a_network_its_bank_reads(tmp_path, capsys):
    net = write(tmp_path / "net.json", CONV_NET)
    bank = write(tmp_path / "bank.json", [computed("net-macs", "net.json", 3, "macs")])
    assert main(["quiz", "--bank", str(bank), "--print", "2", "--output", str(net), "--force"]) == 2
    assert "net.json (a network of --bank" in capsys.readouterr().err
    assert json.loads(net.read_text(encoding="utf-8")) == CONV_NET


def test_check_speaks_the_language_names_a_folder_and_counts_right(tmp_path, folder, capsys, monkeypatch):
    one = write(tmp_path / "one.json", [CHOICE])
    assert main(["quiz", "--check", str(one)]) == 0
    assert capsys.readouterr().out == "one.json: ok, 1 question\n"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert main(["quiz", "--check", str(one), str(tmp_path)]) == 2
    assert capsys.readouterr().out.splitlines() == ["one.json：没有问题，共 1 道题",
                                                    f"{tmp_path.name}: 无法读取：它是一个文件夹"]
    monkeypatch.chdir(tmp_path)
    assert main(["quiz", "--check", ".", "--lang", "en"]) == 2
    assert capsys.readouterr().out == ".: cannot be read: it is a folder\n"


def test_check_knows_the_lab_folders_banks_and_a_misspelt_course(tmp_path, monkeypatch, capsys):
    user = tmp_path / "user"
    monkeypatch.setattr(material, "user_folder", lambda: user)
    write(user / "lab.json", [CHOICE])
    write(user / "other.json", [{**TRUEFALSE, "id": "my-pool"}])  # refused in the folder: not what is checked
    lesson = {"id": "pools", "title": {"en": "Pools"}, "recap": {"en": "Pooling."}, "questions": ["my-pool"]}
    course = write(tmp_path / "course.json", {"course": "lab", "title": {"en": "Lab"}, "lessons": [lesson]})
    assert main(["quiz", "--check", str(course)]) == 0
    assert capsys.readouterr().out == "course.json: ok, 1 lesson\n"
    # the folder's own bank checked with the course: read once, its ids not taken by itself
    assert main(["quiz", "--check", str(course), str(user / "lab.json")]) == 0
    assert capsys.readouterr().out == "course.json: ok, 1 lesson\nlab.json: ok, 1 question\n"
    misspelt = write(tmp_path / "misspelt.json", {"course": "lab", "title": {"en": "Lab"}, "lessonz": [lesson]})
    assert main(["quiz", "--check", str(misspelt)]) == 2
    printed = capsys.readouterr().out
    assert "'lessonz'" in printed and "did you mean 'lessons'?" in printed and "must be a JSON list" not in printed
    found = material.find_material([tmp_path])
    assert found.courses == [course, misspelt] and found.banks == []


def test_a_course_names_the_file_an_id_clashes_with_and_a_bank_listed_twice_once(tmp_path, capsys):
    write(tmp_path / "a.json", [CHOICE])
    write(tmp_path / "b.json", [{**TRUEFALSE, "id": "my-pool"}])
    lesson = {"id": "pools", "title": {"en": "Pools"}, "recap": {"en": "Pooling."}, "questions": ["my-pool"]}
    course = write(tmp_path / "course.json", {"course": "lab", "title": {"en": "Lab"},
                                              "banks": ["a.json", "a.json", "b.json"], "lessons": [lesson]})
    assert main(["quiz", "--check", str(course)]) == 2
    assert capsys.readouterr().out.splitlines() == [
        "course.json: field 'banks': \"a.json\" is listed twice; list each bank once",
        "b.json: question 'my-pool' (1st): field 'id': the id 'my-pool' is already used by a question of a.json; "
        "choose another id"]


def test_check_says_a_network_is_one_and_refuses_a_second_course_of_one_id(tmp_path, folder, capsys):
    net = write(tmp_path / "net.json", CONV_NET)
    assert main(["quiz", "--check", str(net)]) == 2
    assert capsys.readouterr().out == (f"net.json is a network, not a bank or a course; cnntui summary {net} checks "
                                       "a network\n")
    course = {"course": "lab-1", "title": {"en": "Lab"}, "lessons": [
        {"id": "a", "title": {"en": "A"}, "recap": {"en": "R"}, "questions": ["pool-ceil-mode-rounds-up"]}]}
    first, other, same_name = (write(tmp_path / "lab.json", course), write(tmp_path / "other.json", course),
                               write(tmp_path / "sub" / "lab.json", course))
    assert main(["quiz", "--check", str(first), str(other), str(same_name)]) == 2
    assert capsys.readouterr().out.splitlines() == [
        "lab.json: ok, 1 lesson",
        "other.json: course id 'lab-1' is also the id of lab.json; give each course its own id, since progress is "
        "kept by it",
        f"lab.json: course id 'lab-1' is also the id of {first}; give each course its own id, since progress is "
        "kept by it"]


def test_a_literal_brace_in_a_computed_prompt_and_a_course_without_lessons_give_one_message_each(tmp_path, folder,
                                                                                                 capsys):
    problems = checked([computed("c", "net.json", 0, "macs", prompt={"en": "A set {1, 2}: {layer}?"})], folder).problems
    assert len(problems) == 1 and problems[0].endswith(
        "unknown placeholder \"{1, 2}\"; the placeholders are {network}, {layer} and {type}, and a brace itself is "
        "written {{ or }}")
    no_lessons = write(tmp_path / "course.json", {"course": "lab-1", "title": {"en": "Lab"}})
    assert main(["quiz", "--check", str(no_lessons)]) == 2
    assert capsys.readouterr().out == "course.json: field 'lessons': is missing; add it\n"
