"""An instructor's question bank: a JSON list of questions in the built-in bank's schema, checked whole.

Every problem is collected, one line each naming the file, the question and the field, so an
instructor fixes a bank in one pass. Questions of kind "computed" name a network, a layer and a
quantity; the engine works out the answer and the worked solution, so no numeric answer key is
ever written by hand. A resolved computed item carries everything ``questions.from_bank`` needs.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..core.assets import JSON_DEPTH_LIMIT, deeper_than
from ..core.errors import CnntuiError, closest, ordinal, shown, system_reason
from ..core.files import NotOurs, read_small_bytes
from ..core.printable import printable
from .questions import LANGUAGES, QUIZ_CONTENT, builtin_bank, load_lessons

KINDS = ("choice", "truefalse", "computed")
QUANTITIES = ("output_shape", "input_shape", "params", "weights", "biases", "macs", "receptive_field")
COUNTS = ("params", "weights", "biases", "macs")
COMMON_OPTIONAL = ("concept", "hint", "lesson")
REQUIRED = {"choice": ("id", "topic", "difficulty", "kind", "prompt", "explanation", "options"),
            "truefalse": ("id", "topic", "difficulty", "kind", "prompt", "explanation", "answer"),
            "computed": ("id", "kind", "network", "layer", "quantity")}
OPTIONAL = {"choice": COMMON_OPTIONAL, "truefalse": (*COMMON_OPTIONAL, "why"),
            "computed": (*COMMON_OPTIONAL, "prompt", "topic", "difficulty")}
OPTION_FIELDS = ("text", "correct", "why")
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_FILE_BYTES = 4 * 2**20  # a bank of hundreds of questions is well under 1 MiB
DEFAULT_DIFFICULTY = 2  # a computed question's, when the instructor gives none
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PLACEHOLDERS = ("network", "layer", "type")
PROMPT_NAMES = (*PLACEHOLDERS, "layer_named")  # the default prompts say "layer 3" where {layer} is "3"
# The derivation lines a quantity's worked solution shows: those whose ``about`` (what the line works
# out, which the layer class that writes it says) is this.
LINES_ABOUT = {"output_shape": "shape", "params": "params", "weights": "params", "biases": "params", "macs": "macs"}


@dataclass
class LoadedBank:
    path: Path | None
    items: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    networks: list[Path] = field(default_factory=list)  # the network files its computed questions read


@cache
def instructor_texts() -> dict[str, Any]:
    return json.loads((QUIZ_CONTENT / "instructor.json").read_text(encoding="utf-8"))


@cache
def learn_page_ids() -> frozenset[str]:
    """The Learn pages' ids, from the content files (quiz does not import cnntui.learn)."""
    learn = QUIZ_CONTENT.parent / "learn"
    return frozenset(path.stem for folder in ("concepts", "comparisons") for path in (learn / folder).glob("*.json"))


def read_bank(path: str | Path, taken: set[str] | Mapping[str, str] | None = None, lang: str = "en") -> LoadedBank:
    """The bank file at ``path`` checked whole; ``taken`` holds ids other instructor files already use
    (a mapping names each id's file in the problem). Never raises for the file's sake: what cannot be
    read is a problem."""
    path = Path(path)
    data, problem = read_json_value(path, lang)
    if problem is not None:
        return LoadedBank(path, problems=[f"{file_name(path)}: {problem}"])
    loaded = check_bank_data(data, path.parent, file_name(path), taken or set(), lang)
    loaded.path = path
    return loaded


def file_name(path: Path) -> str:
    """How problems name a file: its name, or the path as given when it has none (".", "/")."""
    return printable(path.name or str(path))


def read_json_value(path: Path, lang: str = "en") -> tuple[Any, str | None]:
    """(the JSON value at ``path``, None) or (None, why it cannot be read, in ``lang``). A UTF-8 byte
    order mark (Notepad writes one) is skipped."""
    try:
        data = read_small_bytes(path, MAX_FILE_BYTES)
    except NotOurs as error:
        return None, _say(lang, "too_large" if error.problem.code == "too_large" else "not_regular",
                          mb=MAX_FILE_BYTES // 2**20)
    except OSError as error:
        return None, _say(lang, "unreadable", reason=system_reason(error))
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        return None, _say(lang, "not_utf8", byte=bom + error.start + 1)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, _say(lang, "json", line=error.lineno, column=error.colno, detail=json_detail(error.msg, lang))
    except (RecursionError, ValueError):  # nested too deeply, or a number too long to convert
        return None, _say(lang, "too_deep")
    # A bank nests a network two levels down; deeper than a network may be, the engine would recurse too far.
    if deeper_than(value, JSON_DEPTH_LIMIT + 2):
        return None, _say(lang, "too_deep")
    return value, None


def json_detail(message: str, lang: str) -> str:
    """What Python's JSON parser found wrong (``JSONDecodeError.msg``), in our words where we have them;
    the progress report says a damaged export's JSON with them too."""
    ours = instructor_texts()["json_errors"].get(message)
    return ours[lang] if ours else _say(lang, "json_other", detail=message)


def check_bank_data(data: Any, base: Path, name: str, taken: set[str] | Mapping[str, str],
                    lang: str = "en") -> LoadedBank:
    """Every problem of the bank ``data`` (read from file ``name`` in folder ``base``) and its items,
    resolved, when there is none. ``taken``: ids the instructor's other files use (by file name, if a mapping)."""
    name = printable(name)
    if not isinstance(data, list):
        return LoadedBank(None, problems=[f"{name}: {_say(lang, 'not_list', got=shown(data))}"])
    if not data:
        return LoadedBank(None, problems=[f"{name}: {_say(lang, 'empty_bank')}"])
    checker = _Checker(base, name, lang)
    builtin = set(builtin_bank())
    seen: set[str] = set()
    items: dict[str, dict] = {}
    for position, raw in enumerate(data, start=1):
        bank_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(bank_id, str):
            clash = _clash(bank_id, seen, builtin, taken, lang)
            if clash:
                checker.add_text(checker.where(bank_id, position), "id", clash)
            seen.add(bank_id)
        item = checker.question(raw, position)
        if item is not None:
            items[bank_id] = item
    return LoadedBank(None, {} if checker.problems else items, checker.problems, checker.networks)


def _clash(bank_id: str, seen: set[str], builtin: set[str], taken: set[str] | Mapping[str, str],
           lang: str) -> str | None:
    """Why ``bank_id`` cannot be used: repeated in this file, a built-in id, or another file's (named if known)."""
    if bank_id in seen:
        return _say(lang, "repeated_id", id=bank_id)
    if bank_id in builtin:
        return _say(lang, "taken_id", id=bank_id, owner=_say(lang, "owner_builtin"))
    if bank_id in taken:
        other = taken.get(bank_id) if isinstance(taken, Mapping) else None
        owner = _say(lang, "owner_file", file=printable(other)) if other else _say(lang, "owner_other")
        return _say(lang, "taken_id", id=bank_id, owner=owner)
    return None


def bank_networks(path: str | Path) -> list[Path]:
    """The network files the questions of the bank at ``path`` read (a worksheet must not write over them)."""
    path = Path(path)
    data, _ = read_json_value(path)
    names = [raw["network"] for raw in data if isinstance(raw, dict) and isinstance(raw.get("network"), str)
             and raw["network"]] if isinstance(data, list) else []
    return list(dict.fromkeys(found for name in names if (found := network_path(path.parent, name)) is not None))


def network_path(base: Path, given: str) -> Path | None:
    """The file a computed question's "network" names, from the bank's folder ``base``; None for a preset."""
    from ..core.assets import looks_like_path

    return base / given if looks_like_path(given) else None


def _say(language: str, code: str, /, **values) -> str:
    """A problem's words in ``language``; an engine message among the values (a "did you mean") in it too."""
    from ..content import message_text
    from ..core.messages import Message

    values = {key: message_text(language, value) if isinstance(value, Message) else value
              for key, value in values.items()}
    return instructor_texts()["problems"][code][language].format(**values)


def _quantity_texts(raw: dict) -> dict | None:
    """The default texts of the quantity a question names; None for no quantity, or one of a wrong type."""
    quantity = raw.get("quantity")
    return instructor_texts()["computed"].get(quantity) if isinstance(quantity, str) else None


class _Checker:
    """Checks one file's questions, collecting every problem in ``problems``."""

    def __init__(self, base: Path, name: str, lang: str):
        self.base, self.name, self.lang = base, name, lang
        self.problems: list[str] = []
        self.networks: list[Path] = []
        self.analysed: dict[str, tuple] = {}  # network() by the JSON of what a question names

    def where(self, bank_id: Any, position: int) -> str:
        """"question 'pool-size' (3rd)", the id as written even if it is not a good one; "question 3 (no id)"."""
        if isinstance(bank_id, str) and bank_id.strip():
            return _say(self.lang, "where_question", id=printable(bank_id), place=ordinal(position),
                        number=position)
        return _say(self.lang, "where_position", number=position)

    def add(self, where: str, field_name: str | None, code: str, **values) -> None:
        self.add_text(where, field_name, _say(self.lang, code, **values))

    def add_text(self, where: str, field_name: str | None, words: str) -> None:
        at = f": {_say(self.lang, 'where_field', field=field_name)}" if field_name else ""
        self.problems.append(f"{self.name}: {where}{at}: {words}")

    def question(self, raw: Any, position: int) -> dict | None:
        """The checked (and, if computed, resolved) item; None when it has a problem."""
        before = len(self.problems)
        where = self.where(raw.get("id") if isinstance(raw, dict) else None, position)
        if not isinstance(raw, dict):
            self.add(where, None, "not_object", got=shown(raw))
            return None
        kind = raw.get("kind")
        if kind not in KINDS:
            self.add(where, "kind", "missing_kind" if "kind" not in raw else "bad_kind", got=shown(kind),
                     hint=closest(kind, KINDS))
            return None
        self.fields(raw, kind, where)
        if "id" in raw and not (isinstance(raw["id"], str) and KEBAB.fullmatch(raw["id"])):
            self.add(where, "id", "bad_id", got=shown(raw["id"]))
        item = {key: raw[key] for key in ("id", "kind", "lesson") if key in raw}
        item["topic"] = self.topic(raw, where)
        item["difficulty"] = self.difficulty(raw, where)
        item["concept"] = self.concept(raw, where)
        self.lesson(raw, where)
        for key in ("prompt", "explanation", "hint", "why"):
            if key in raw:
                item[key] = self.text(raw[key], where, key)
        if kind == "computed" and item.get("prompt"):
            self.placeholders(item["prompt"], where)
        if kind == "choice":
            item["options"] = self.options(raw.get("options"), where)
        elif kind == "truefalse" and "answer" in raw:
            if type(raw["answer"]) is not bool:
                self.add(where, "answer", "bad_bool", got=shown(raw["answer"]))
            item["answer"] = raw["answer"]
        if len(self.problems) > before:
            return None
        if kind == "computed":
            return self.computed(raw, item, where)
        return item

    def fields(self, raw: dict, kind: str, where: str) -> None:
        known = (*REQUIRED[kind], *OPTIONAL[kind])
        needed = ", ".join(REQUIRED[kind])
        for key in REQUIRED[kind]:
            if key not in raw:
                self.add(where, key, "missing", kind=kind, needed=needed)
        for key in raw:
            if key not in known:
                self.add(where, printable(str(key)), "unknown", hint=closest(key, known), kind=kind,
                         known=", ".join(known))

    def topic(self, raw: dict, where: str) -> str:
        topic = raw.get("topic", (_quantity_texts(raw) or {}).get("topic", ""))
        if "topic" in raw and not (isinstance(topic, str) and KEBAB.fullmatch(topic)):
            self.add(where, "topic", "bad_topic", got=shown(topic))
        return topic

    def difficulty(self, raw: dict, where: str) -> int:
        difficulty = raw.get("difficulty", DEFAULT_DIFFICULTY)
        if "difficulty" in raw and (type(difficulty) is not int or difficulty not in (1, 2, 3)):
            self.add(where, "difficulty", "bad_difficulty", got=shown(difficulty))
        return difficulty

    def concept(self, raw: dict, where: str) -> str:
        """The Learn page: the instructor's, else the quantity's or the topic's, else the lesson's first;
        "" when none fits (the question then shows no Learn link)."""
        if "concept" in raw:
            if not (isinstance(raw["concept"], str) and raw["concept"] in learn_page_ids()):
                self.add(where, "concept", "bad_concept", got=shown(raw["concept"]),
                         hint=closest(raw["concept"], learn_page_ids()))
            return raw["concept"]
        computed = _quantity_texts(raw)
        if raw.get("kind") == "computed" and computed:
            return computed["concept"]
        if raw.get("topic") in learn_page_ids():
            return raw["topic"]
        lessons = {lesson["id"]: lesson for lesson in load_lessons()}
        concepts = lessons[raw["lesson"]]["concepts"] if raw.get("lesson") in lessons else []
        return concepts[0] if concepts else ""

    def lesson(self, raw: dict, where: str) -> None:
        lessons = [lesson["id"] for lesson in load_lessons()]
        if "lesson" in raw and raw["lesson"] not in lessons:
            self.add(where, "lesson", "bad_lesson", got=shown(raw["lesson"]), hint=closest(raw["lesson"], lessons),
                     known=", ".join(lessons))

    def text(self, value: Any, where: str, field_name: str) -> dict[str, str]:
        """A text in both languages: a language left out takes the other's words. Braces are words like any
        other: the app never fills an instructor's text in with str.format (a computed prompt aside)."""
        if not isinstance(value, dict):
            self.add(where, field_name, "bad_text", got=shown(value))
            return {}
        for lang in value:
            if lang not in LANGUAGES:
                self.add(where, field_name, "bad_language", got=shown(lang), hint=closest(lang, LANGUAGES))
        given = {lang: value[lang] for lang in LANGUAGES if lang in value}
        if not given and all(lang in LANGUAGES for lang in value):
            self.add(where, field_name, "no_language")
        for lang, words in given.items():
            if not isinstance(words, str) or not words.strip():
                self.add(where, field_name, "empty_text", lang=lang)
        if not given:
            return {}
        fallback = next(iter(given.values()))
        return {lang: given.get(lang, fallback) for lang in LANGUAGES}

    def options(self, options: Any, where: str) -> list[dict]:
        if options is None:
            return []
        if not isinstance(options, list):
            self.add(where, "options", "bad_options", got=shown(options))
            return []
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            self.add(where, "options", "option_count_one" if len(options) == 1 else "option_count",
                     count=len(options))
        checked = []
        for n, option in enumerate(options):
            place = f"options[{n}]"
            if not isinstance(option, dict):
                self.add(where, place, "not_object", got=shown(option))
                continue
            for key in OPTION_FIELDS:
                if key not in option:
                    self.add(where, f"{place}.{key}", "missing", kind="choice", needed="text, correct, why")
            for key in option:
                if key not in OPTION_FIELDS:
                    self.add(where, f"{place}.{printable(str(key))}", "unknown", hint=closest(key, OPTION_FIELDS),
                             kind="choice", known=", ".join(OPTION_FIELDS))
            if "correct" in option and type(option["correct"]) is not bool:
                self.add(where, f"{place}.correct", "bad_bool", got=shown(option["correct"]))
            checked.append({key: self.text(option[key], where, f"{place}.{key}") if key != "correct"
                            else option[key] for key in OPTION_FIELDS if key in option})
        correct = sum(option.get("correct") is True for option in checked)
        if correct != 1 and checked:
            self.add(where, "options", "no_correct" if correct == 0 else "two_correct", count=correct)
        self.same_options(checked, where)
        return checked

    def same_options(self, options: list[dict], where: str) -> None:
        """Two options a student cannot tell apart: the same words, whatever their case, in a language."""
        for lang in LANGUAGES:
            first_with: dict[str, int] = {}
            for n, option in enumerate(options):
                words = option.get("text", {}).get(lang)
                if not isinstance(words, str):
                    continue
                key = " ".join(words.split()).casefold()
                if key in first_with:
                    self.add(where, f"options[{n}]", "same_option", first=first_with[key], lang=lang)
                    return
                first_with[key] = n

    # -- computed questions -----------------------------------------------------------------

    def computed(self, raw: dict, item: dict, where: str) -> dict | None:
        quantity = raw["quantity"]
        if quantity not in QUANTITIES:
            self.add(where, "quantity", "bad_quantity", got=shown(quantity), hint=closest(quantity, QUANTITIES),
                     known=", ".join(QUANTITIES))
        network = self.network(raw["network"], where)
        if network is None:
            return None
        spec, summary, network_name = network
        record, step = self.record(summary, raw["layer"], where)
        if record is None or quantity not in QUANTITIES:
            return None
        # {layer} is the layer's path; the default prompts say "layer 3" for a bare number (an unnamed layer).
        names = {lang: {"network": network_name, "type": record.type, "layer": record.path,
                        "layer_named": _layer_number(record.path, lang) if record.path.isdigit() else record.path}
                 for lang in LANGUAGES}
        value = getattr(record, quantity)  # every quantity is a field of the layer's or block's record
        if value is None:
            self.add(where, "quantity", "no_value", layer=f"{names[self.lang]['layer_named']} ({record.type})",
                     quantity=quantity)
            return None
        texts = dict(instructor_texts()["computed"][quantity])
        if "prompt_vector" in texts and len(value) == 1:  # a vector: its length, not CxHxW
            texts.update(prompt=texts["prompt_vector"], hint=texts["hint_vector"])
        prompt = self.prompt(raw, item, texts, names)
        form, answer = _form_and_answer(quantity, value)
        return {**item, "form": form, "prompt": prompt, "answer": answer,
                "explanation": _explanation(summary, record, quantity, answer, texts),
                "hint": item.get("hint", texts["hint"]),
                "network": spec, "layer": step, "quantity": quantity}

    def network(self, given: Any, where: str) -> tuple[dict, Any, str] | None:
        """(the network's spec, its summary, its name) or None after saying why there is none. Each network
        is read and analysed once per bank, however many questions ask about it (30 questions on resnet18
        took 0.12 s more otherwise, at the app's start)."""
        if not (isinstance(given, dict) or isinstance(given, str) and given):
            self.add(where, "network", "bad_network", got=shown(given))
            return None
        key = json.dumps(given, sort_keys=True)
        if key not in self.analysed:
            self.analysed[key] = self.analyse(given)
        found, problems = self.analysed[key]
        for code, values in problems:
            self.add(where, "network", code, **values)
        return found

    def analyse(self, given: dict | str) -> tuple[tuple[dict, Any, str] | None, list[tuple[str, dict]]]:
        """The network ``given`` names, analysed, or None with its problems (code, values)."""
        from ..content import message_text
        from ..core.analysis import analyze

        spec, name = (given, None) if isinstance(given, dict) else self.network_file(given)
        if not isinstance(spec, dict):
            return None, [name]
        summary = analyze(spec)
        if summary.problems:  # the engine's first problem, where it is, in the reader's language
            first, more = summary.problems[0], len(summary.problems) - 1
            place = first.where_message()
            message = (message_text(self.lang, place) if place else "") + message_text(self.lang, first.message)
            message += _say(self.lang, "more_problems", count=more) if more else ""
            return None, [("network_refused", {"message": printable(message)})]
        spec_name = spec.get("name")
        return (spec, summary, name or (printable(spec_name) if isinstance(spec_name, str) and spec_name
                                        else instructor_texts()["network_inline"][self.lang])), []

    def network_file(self, given: str) -> tuple[Any, Any]:
        """(the spec, its name) of a preset by name or a network file by its path from the bank's folder;
        (None, (code, values) of the problem) when there is none."""
        from ..content import message_text
        from ..core.assets import find_network, read_json

        path = network_path(self.base, given)
        if path is not None:
            self.networks.append(path)
        try:
            spec = read_json(path or find_network(given))
        except CnntuiError as error:
            return None, ("network_refused", {"message": printable(message_text(self.lang, error.message))})
        if not isinstance(spec, dict):
            return None, ("bad_network", {"got": shown(spec)})
        spec_name = spec.get("name")
        return spec, printable(spec_name if isinstance(spec_name, str) and spec_name else Path(given).stem)

    def record(self, summary, layer: Any, where: str):
        """The record the question asks about, and its step index (a block's: the step where it ends)."""
        paths = [record.path for record in summary.layers if not record.is_join]
        found = None
        if type(layer) is int and 0 <= layer < len(summary.layers):
            found = summary.layers[layer]
            if found.is_join:  # where a block's branches meet: the step bears the block's path, so it asks of the block
                found = summary.record_named(found.path) or found
        elif isinstance(layer, str):
            found = summary.record_named(layer)
        if found is None:
            self.add(where, "layer", "bad_layer", last=len(summary.layers) - 1, example=paths[-1] if paths else "0",
                     got=shown(layer), hint=closest(layer, [r.path for r in summary.layers]))
            return None, None
        from ..core.analysis import BlockRecord

        return found, found.last if isinstance(found, BlockRecord) else found.index

    def placeholders(self, prompt: dict[str, str], where: str) -> None:
        """A computed question's own prompt may hold only the placeholders it is filled in with."""
        for lang, words in prompt.items():
            wrong = _wrong_placeholder(words, PROMPT_NAMES)
            if wrong is not None:
                self.add(where, "prompt", "bad_prompt", lang=lang, got=shown(wrong))
                return

    def prompt(self, raw: dict, item: dict, texts: dict, names: dict) -> dict[str, str]:
        """The prompt filled in: the instructor's (checked by ``placeholders``) or the quantity's default."""
        template = item.get("prompt") or texts["prompt"]
        written = [lang for lang in LANGUAGES if lang in raw.get("prompt", template)]
        # A language left out reads the other's words and names.
        return {lang: words.format(**names[lang if lang in written else written[0]])
                for lang, words in template.items()}


def _wrong_placeholder(words: str, names: tuple[str, ...]) -> str | None:
    """The first placeholder of ``words`` that is not a bare known name ("{layer.x}", "{0}", "{type:d}",
    a lone brace), or None: only then may str.format fill it in without raising."""
    import string

    try:
        fields = list(string.Formatter().parse(words))
    except ValueError:  # a lone "{" or "}"
        return words
    for _, name, spec, conversion in fields:
        if name is not None and (name not in names or spec or conversion):
            return "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
    return None


def _form_and_answer(quantity: str, value: Any) -> tuple[str, Any]:
    if quantity in COUNTS:
        return "integer", int(value)
    if quantity == "receptive_field":
        return "size", list(value)
    if len(value) == 3:
        return "shape", list(value)
    return "integer", int(value[0])  # a vector: its length


def _layer_number(number: str, lang: str) -> str:
    return instructor_texts()["layer_number"][lang].format(index=number)


def _explanation(summary, record, quantity: str, answer: Any, texts: dict) -> dict[str, str]:
    """The worked solution: the layer's own derivation lines (formulas) inside a sentence per language."""
    from ..core.shapes import shape_text

    shown_answer = shape_text(answer) if isinstance(answer, list) else f"{answer:,}"
    result = {}
    for lang in LANGUAGES:
        lines = _solution_lines(summary, record, quantity, lang)
        join = "；" if lang == "zh" else "; "
        result[lang] = texts["explanation"][lang].format(
            lines=join.join(lines), answer=shown_answer, params=record.params, weights=record.weights,
            biases=record.biases)
    return result


def _solution_lines(summary, record, quantity: str, lang: str) -> list[str]:
    from ..core.shapes import shape_text

    texts = instructor_texts()
    if quantity == "input_shape":
        return [texts["no_formula"][lang].format(what="input", value=shape_text(record.input_shape))]
    if quantity == "receptive_field":
        return _receptive_field_lines(summary, record, lang)
    if quantity in COUNTS and getattr(record, "first", None) is not None:  # a block: the sum of its layers'
        parts = [(getattr(r, quantity), r.path) for r in summary.layers[record.first:record.last + 1]]
        total = " + ".join(f"{value} ({path})" for value, path in parts if value)
        return [f"{total} = {getattr(record, quantity)}"] if total else [f"{quantity} = 0"]
    lines = [line for line in record.derivation if line.about == LINES_ABOUT[quantity]]
    if lines:
        return lines
    value = getattr(record, quantity)
    shown_value = shape_text(value) if isinstance(value, tuple) else value
    return [texts["no_formula"][lang].format(what=quantity.replace("_", " "), value=shown_value)]


def _receptive_field_lines(summary, record, lang: str) -> list[str]:
    """Each layer's widening of the field, in the generators' words: along the whole chain for a plain
    list of layers, the layer's own step where branches meet before it; its size when it sees the whole input."""
    from ..core.shapes import shape_text
    from .generate import RF_STEP

    size = shape_text(record.receptive_field)
    if any("whole input" in line for line in record.derivation):
        return [instructor_texts()["whole_input"][lang].format(size=size)]
    if getattr(record, "index", None) is None:  # a block's field: its last step's
        return [instructor_texts()["no_formula"][lang].format(what="RF", value=size)]
    chain = summary.layers[:record.index + 1] if not any(r.is_join for r in summary.layers) else [record]
    lines = []
    for step in chain:
        before = step.reach_before
        square = step.receptive_field and step.receptive_field[0] == step.receptive_field[1] and step.jump
        if not (square and hasattr(before, "size")):
            return [instructor_texts()["no_formula"][lang].format(what="RF", value=size)]
        (rf, _), (jump, _) = before.size, before.jump
        rf_after, jump_after = step.receptive_field[0], step.jump[0]
        if (rf, jump) != (rf_after, jump_after) or step is record:  # layers that change nothing are left out
            lines.append(RF_STEP[lang].format(rf=rf, span=(rf_after - rf) // jump + 1, jump=jump, rf_after=rf_after,
                                              stride=jump_after // jump, jump_after=jump_after))
    return lines
