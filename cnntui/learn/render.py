"""Rendering Learn pages as Markdown, with every number computed by the engine, and checking the content."""

from __future__ import annotations

import re
from typing import Any

from ..content import LANGUAGES, message_text, text
from .diagrams import neuron_diagram
from .placeholders import ExampleError, evaluate, fill, format_number
from .pages import KINDS, LINK, MODES_FOR_TRY, Page, load_pages

LAYER_COLUMNS = ("output", "neurons", "values", "params", "share", "macs", "rf", "fc_params")
# A verdict block has a sentence for each case: the claim holds for all, none or some of its networks.
VERDICT_CASES = ("all", "none", "some")



class Renderer:
    """Turns one page into Markdown in one language, computing its numbers with the engine."""

    def __init__(self, page: Page, language: str, ascii_only: bool = False, pages: dict[str, Page] | None = None):
        self.page, self.language, self.ascii_only = page, language, ascii_only
        self.pages = pages or load_pages()
        self.namespace: dict[str, Any] = {}

    def t(self, key: str, **args) -> str:
        return text(self.language, key, **args)

    def words(self, block_text: dict[str, str]) -> str:
        return block_text[self.language]

    def formula(self, formula: str | dict[str, str]) -> str:
        # A formula of symbols is one string; one written partly in words has both languages.
        return self.code(fill(formula if isinstance(formula, str) else self.words(formula), self.namespace))

    def link(self, match: re.Match) -> str:
        target = self.pages.get(match.group(1))
        if target is None:  # a dead link reads as plain words; problems() reports it
            return match.group(2) or match.group(1)
        return f"[{match.group(2) or target.title[self.language]}](concept:{target.id})"

    def prose(self, template: str) -> str:
        return LINK.sub(self.link, fill(template, self.namespace))

    def markdown(self) -> str:
        """The whole page. Raises ExampleError if the content asks for something the engine cannot give."""
        page, other = self.page, "zh" if self.language == "en" else "en"
        if page.example:
            # Only pages with a worked example need the engine (and NumPy).
            from .examples import build_namespace

            self.namespace = build_namespace(page.example.get("setup", {}))
        parts = [f"# {page.title[self.language]}", f"*{page.title[other]}*",
                 f"> {self.prose(page.definition[self.language])}"]
        parts += [self.block(block) for block in page.explanation]
        if page.formula:
            parts += [f"## {self.t('learn.formula')}", self.formula(page.formula)]
        if page.example and page.example.get("blocks"):
            parts += [f"## {self.t('learn.example')}", f"*{self.t('learn.example.note')}*"]
            parts += [self.block(block) for block in page.example["blocks"]]
        return "\n\n".join(parts)

    def code(self, body: str, kind: str = "text") -> str:
        """A fenced block; ``kind`` "drawing" (a plot, a diagram) tells the app its lines must not wrap."""
        return f"```{kind}\n{body}\n```"

    def block(self, block: dict) -> str:
        kind = next(iter(block))
        if kind == "text":
            return self.prose(self.words(block["text"]))
        if kind == "heading":
            return f"### {self.words(block['heading'])}"
        if kind == "formula":
            return self.formula(block["formula"])
        if kind == "derivation":
            layer = evaluate(block["derivation"], self.namespace)
            notes = [f"*{message_text(self.language, note)}*" for note in layer.notes]
            return "\n\n".join([self.code("\n".join(layer.derivation)), *notes])
        if kind == "layers":
            return self.layer_table(block)
        if kind == "table":
            return self.table(block["table"])
        if kind == "plot":
            return self.plot(block["plot"])
        if kind == "neuron":
            return self.neuron(block["neuron"])
        if kind == "timeline":
            return self.timeline(evaluate(block["timeline"], self.namespace))
        if kind == "verdict":
            return self.verdict(block["verdict"])
        raise ExampleError(f"unknown block '{kind}'")

    def markdown_table(self, header: list[str], rows: list[list[str]]) -> str:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines)

    def layer_table(self, block: dict) -> str:
        net = self.namespace[block["layers"]]
        columns = block.get("columns", LAYER_COLUMNS)
        header = [self.t("learn.col.layer"), *(self.t(f"learn.col.{c}") for c in columns)]
        rows = []
        for layer in net.layers:
            cells = [f"{layer.type}:{layer.index}"]
            for column in columns:
                value = getattr(layer, column)  # None shows as "-", e.g. a ReLU's neurons
                cells.append("-" if value is None else f"{value:.1f}%" if column == "share" else format_number(value))
            rows.append(cells)
        totals = {"params": net.total_params, "macs": net.total_macs, "share": 100.0,
                  "neurons": net.total_neurons, "values": net.total_values}
        if set(columns) & set(totals):
            rows.append([self.t("learn.total"), *("" if c not in totals else f"{totals[c]:.1f}%" if c == "share"
                                                  else format_number(totals[c]) for c in columns)])
        return self.markdown_table(header, rows)

    def table(self, table: dict) -> str:
        header = [self.prose(cell) for cell in table["columns"][self.language]]
        rows = [[self.prose(cell) for cell in row[self.language]] for row in table["rows"]]
        return self.markdown_table(header, rows)

    def timeline(self, timeline) -> str:
        """Networks by year: parameters, MACs and the share of the parameters in fully connected layers."""
        from ..render.text import compact

        # Short headers, and counts as 138.36M and 15.47G: at 80 columns the page has room for five
        # columns only so.
        header = [self.t(f"learn.timeline.{column}") for column in ("network", "year", "params", "macs", "fc_share")]
        rows = [[row.name, str(row.year), compact(row.params), compact(row.macs), f"{row.fc_share:.1f}%"]
                for row in timeline.rows]
        return self.markdown_table(header, rows)

    def verdict(self, verdict: dict) -> str:
        """The sentence, of the page's three, that the timeline's figures call for: the claim holds for
        all, none or some of its networks, which it names."""
        timeline = evaluate(verdict["timeline"], self.namespace)
        template = self.words(verdict[timeline.verdict_case()])
        namespace = {**self.namespace, **timeline.verdict_values(self.language)}
        return LINK.sub(self.link, fill(template, namespace))

    def plot(self, plot: dict) -> str:
        """An activation function drawn from the engine's own forward pass over a range of inputs."""
        import numpy as np

        from ..render.plot import plot_curve
        from .examples import build_namespace

        low, high = plot["x"]
        xs = np.linspace(low, high, 241, dtype=np.float32)
        layer = {"type": plot["activation"], **plot.get("settings", {})}
        namespace = build_namespace({"nets": {"f": {"input": [1, 1, len(xs)], "layers": [layer]}},
                                     "forward": {"net": "f", "input": xs.reshape(1, 1, -1).tolist()}})
        ys = namespace["fwd"].out[0].array.ravel()
        lines = plot_curve(xs, ys, width=plot.get("width", 44), height=plot.get("height", 9),
                           y_range=tuple(plot["y"]), marks=tuple(plot.get("marks", ())), ascii_only=self.ascii_only)
        return self.code("\n".join(lines), "drawing")

    def neuron(self, spec: dict) -> str:
        forward = self.namespace["fwd"]
        linear, activation = spec["linear"], spec["activation"]
        weights = forward.w[f"{linear}.weight"].array.ravel().tolist()
        bias = float(forward.w[f"{linear}.bias"].array.ravel()[0])
        lines = neuron_diagram(forward.x.array.ravel().tolist(), weights, bias,
                               float(forward.out[linear].array.ravel()[0]), spec["name"],
                               float(forward.out[activation].array.ravel()[0]), self.ascii_only)
        return self.code("\n".join(lines), "drawing")


def render(page_id: str, language: str, ascii_only: bool = False) -> str:
    return Renderer(load_pages()[page_id], language, ascii_only).markdown()


# -- checking the content -------------------------------------------------------------

def problems(pages: dict[str, Page] | None = None) -> list[str]:
    """Everything wrong with the pages: missing languages, dead links, bad try-it targets, failing examples."""
    from ..core.assets import preset_names

    pages = pages or load_pages()
    found = []
    presets = set(preset_names())
    for page in pages.values():
        where = f"{page.id}:"
        if page.kind not in KINDS:
            found.append(f"{where} unknown kind '{page.kind}'")
        for name, value in (("title", page.title), ("definition", page.definition)):
            if set(value) != set(LANGUAGES) or not all(str(v).strip() for v in value.values()):
                found.append(f"{where} {name} needs both languages")
        for target in page.related:
            if target not in pages:
                found.append(f"{where} related '{target}' does not exist")
        found += [f"{where} {problem}" for problem in _block_problems(page, pages)]
        if page.try_it:
            found += [f"{where} try: {problem}" for problem in _try_problems(page.try_it, presets)]
        for language in LANGUAGES:
            try:
                Renderer(page, language, pages=pages).markdown()
            except (ExampleError, KeyError, IndexError, TypeError, ValueError) as error:
                found.append(f"{where} {language} does not render: {type(error).__name__}: {error}")
    return found


def _texts(page: Page) -> list[dict]:
    blocks = list(page.explanation) + list((page.example or {}).get("blocks", []))
    found = [page.definition]
    formulas = [page.formula, *(block.get("formula") for block in blocks)]
    found += [formula for formula in formulas if isinstance(formula, dict)]
    for block in blocks:
        if "text" in block:
            found.append(block["text"])
        if "heading" in block:
            found.append(block["heading"])
        if "verdict" in block:
            found += [block["verdict"].get(case, {}) for case in VERDICT_CASES]
        if "table" in block:
            found.append(block["table"]["columns"])
            found += block["table"]["rows"]
    return found


def _block_problems(page: Page, pages: dict[str, Page]) -> list[str]:
    found = []
    for item in _texts(page):
        if set(item) != set(LANGUAGES):
            found.append(f"text without both languages: {str(item)[:60]}")
            continue
        for language in LANGUAGES:
            for match in LINK.finditer(str(item[language])):
                if match.group(1) not in pages:
                    found.append(f"link [[{match.group(1)}]] does not exist")
    return found


def _try_problems(try_it: dict, presets: set[str]) -> list[str]:
    from .examples import preset_spec

    found = []
    if try_it.get("mode") not in MODES_FOR_TRY:
        found.append(f"mode '{try_it.get('mode')}' is not one of {MODES_FOR_TRY}")
    preset = try_it.get("preset")
    if preset not in presets:
        found.append(f"preset '{preset}' does not exist")
    elif "layer" in try_it and not 0 <= try_it["layer"] < len(preset_spec(preset)["layers"]):
        found.append(f"layer {try_it['layer']} is not in {preset}")
    elif "path" in try_it:
        from ..core import analyze

        if analyze(preset_spec(preset)).record_named(try_it["path"]) is None:
            found.append(f"path '{try_it['path']}' is not in {preset}")
    return found
