"""Build mode's words and cells, without Textual: the table's and the side panel's text, typed values,
the add-layer order, the network's details and its one-line text form packed into lines."""

from __future__ import annotations

import functools
import json
import re

from ...core.printable import printable
from ...core.shapes import shape_text
from ...render.text import cell_width, compact
from .build_tree import BLOCK_ROW, FOLD_MARKS, INPUT_ROW, JOIN_ROW, join_words, tree_rows

BAR_WIDTH = 6
BLOCKS = " ▏▎▍▌▋▊▉█"
# The add-layer list in the order people build a CNN: convolutions, activations, pooling, then the head.
# Every registered layer type is here (a test checks it), so a new type gets its place on purpose.
BUILD_ORDER = ("conv2d", "batchnorm2d", "relu", "relu6", "leaky_relu", "silu", "hardswish", "sigmoid", "tanh",
               "maxpool2d", "avgpool2d", "adaptive_avg_pool2d", "global_avg_pool", "flatten", "dropout", "linear",
               "softmax")
UNTITLED = "untitled"


def share_bar(share: float, ascii_only: bool) -> str:
    """A bar of BAR_WIDTH cells, in eighths of a cell (with --ascii '#' per cell and '.' for a part,
    so that a share the blocks show never vanishes)."""
    eighths = round(share * BAR_WIDTH * 8)
    full, rest = divmod(eighths, 8)
    if ascii_only:
        return "#" * full + ("." if rest else "")
    return "█" * full + (BLOCKS[rest] if rest else "")


def layer_words(layer: object) -> str:
    """A layer as the text form writes it; anything the text form cannot say, as JSON (control
    characters shown as escapes either way)."""
    from ...core.textform import layer_text

    try:
        return printable(layer_text(layer))
    except (KeyError, TypeError, AttributeError, ValueError):
        return printable(json.dumps(layer, ensure_ascii=False)[:40])


YES_NO = {"yes": True, "true": True, "on": True, "1": True, "y": True, "是": True,
          "no": False, "false": False, "off": False, "0": False, "n": False, "否": False}


def field_value(kind: str, text: str):
    """What the user typed, as the JSON value the engine checks (bad text stays text, so it is reported)."""
    value = text.strip()
    if kind == "bool":
        return YES_NO.get(value.lower(), value)
    if kind == "optional_number" and value.lower() == "null":
        return None
    for cast in (int, float) if kind in ("number", "optional_number") else (int,):
        try:
            return cast(value)
        except ValueError:
            pass
    parts = value.lower().replace("×", "x").split("x")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        return [int(p) for p in parts]
    return value


def value_text(value, yes_no: tuple[str, str] = ("yes", "no")) -> str:
    """A setting as the form shows it; ``yes_no`` are the words for true and false."""
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}x{value[1]}"
    return "" if value is None else str(value)


def build_order(kinds) -> list[str]:
    """``kinds`` in BUILD_ORDER; any kind it does not know goes last, in the order given."""
    kinds = list(kinds)
    return [kind for kind in BUILD_ORDER if kind in kinds] + [kind for kind in kinds if kind not in BUILD_ORDER]


def classes_text(classes) -> str:
    return ", ".join(map(str, classes)) if isinstance(classes, list) else ""


def parse_classes(text: str) -> list[str] | None:
    """"cat, dog" -> ["cat", "dog"]; empty text -> None (the network names no classes)."""
    names = [name.strip() for name in text.replace("，", ",").split(",")]
    return [name for name in names if name] or None


def name_from_path(path: str) -> str:
    """The network name a file name suggests: "~/nets/mylenet.json" -> "mylenet"."""
    from pathlib import PurePath

    return PurePath(path.strip()).stem


def pack_text_form(text: str, width: int) -> list[str]:
    """The one-line text form in lines of at most ``width`` columns, broken only between layers
    (after a " |"), so no layer is split; a layer longer than a line gets a line of its own."""
    lines: list[str] = []
    line = ""
    for token in text.split(" | "):
        candidate = f"{line} | {token}" if line else token
        if line and cell_width(candidate) + 2 > width:
            lines.append(line + " |")
            line = token
        else:
            line = candidate
    return [*lines, line] if line or not lines else lines


def text_form(spec: dict) -> str | None:
    """The network as one line of text, or None while a layer is too broken to write that way."""
    from ...core.textform import format_text

    try:
        return format_text(spec)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def text_form_lines(text: str, width: int, most: int) -> list[str]:
    """The text form packed into ``width`` columns; past ``most`` lines it scrolls, and a scroll bar takes two."""
    lines = pack_text_form(text, width)
    return pack_text_form(text, width - 2) if len(lines) > most else lines


def totals_text(summary, t) -> str:
    """The line under the table: the network's parameters, MACs and memory, and how many problems it has."""
    from ...core.weights import human_bytes

    text = t("build.totals", params=f"{summary.total_params:,}", weights=f"{summary.total_weights:,}",
             biases=f"{summary.total_biases:,}", macs=f"{summary.total_macs:,}",
             weight_memory=human_bytes(summary.weight_bytes), activations=human_bytes(summary.activation_bytes))
    if summary.problems:
        text += "  " + t("build.problems", count=len(summary.problems))
    return text


def rf_text(size) -> str:
    if size is None:  # an empty block has no step of its own
        return "-"
    return str(size[0]) if size[0] == size[1] else f"{size[0]}x{size[1]}"


@functools.cache
def engine_blocks():
    """core.blocks, imported on first use (it brings NumPy, which the first frame does without) and
    then at no cost: the table asks it about every row."""
    from ...core import blocks

    return blocks


def is_block(node) -> bool:
    return engine_blocks().is_container(node)


def leaf_count(node) -> int:
    return sum(map(leaf_count, engine_blocks().children(node))) if is_block(node) else 1


def block_words(node: dict, position: int | str, t) -> str:
    """A block's row in a few words: "layer1: seq (2 blocks, 10 layers)" (its whole text form would
    push the numbers off the screen)."""
    from ...core.textform import BLOCK_KEYWORDS

    held = engine_blocks().children(node)
    blocks, layers = sum(map(is_block, held)), sum(map(leaf_count, held))
    parts = [t(f"build.block.blocks.{'one' if blocks == 1 else 'many'}", count=blocks)] if blocks else []
    parts += [t(f"build.block.layers.{'one' if layers == 1 else 'many'}", count=layers)] if layers else []
    holds = t("build.block.and").join(parts) or t("build.block.empty")
    name = node.get("name", str(position))
    words = t("build.block.holds", kind=BLOCK_KEYWORDS[node["type"]], parts=holds)
    return printable(f"{name}: {words}" if isinstance(name, str) and name else words)


def row_words(node, position: int | str, t) -> str:
    """A row's Layer cell: a layer's text form ("conv1: conv 64 k7" when it has a name), a block's summary."""
    if is_block(node):
        return block_words(node, position, t)
    name = node.get("name") if isinstance(node, dict) else None
    words = layer_words(node)
    return printable(f"{name}: ") + words if isinstance(name, str) and name and name != str(position) else words




def table_rows(spec: dict, summary, t, ascii_only: bool, rows: list | None = None,
               known: dict | None = None) -> list[tuple]:
    """The layer table's cells for the tree ``rows`` (by default: the top level, blocks folded): the
    input row, then a row per layer, block or join ("-" after a problem). A row with a problem is red,
    even when its own shape is known (a duplicate name); so is a folded block holding one. ``known``,
    kept by the caller between calls in one language, holds the words of the nodes seen so far."""
    shape = summary.input_shape
    cells = [("", t("build.input"), shape_text(shape) if shape else printable(str(spec.get("input", "?"))),
              "", "", "", "")]
    total = summary.total_params or 1
    known = {} if known is None else known
    for row in (tree_rows(spec, summary) if rows is None else rows)[1:]:
        cells.append(tree_cells(row, summary, t, ascii_only, total, known))
    return cells


def tree_cells(row, summary, t, ascii_only: bool, total: int, known: dict) -> tuple:
    """One tree row's cells: "#" is the top-level index (blank inside blocks, where the Layer cell,
    indented by depth, names the node), then the row's numbers."""
    record = row.record
    words = "  " * row.depth + tree_words(row, t, ascii_only, known)
    mark = str(row.address[1]) if row.depth == 0 else ""
    if has_problem(row, summary):
        mark, words = ("!", "bold red"), (words, "red")
    if record is None or not record.ok:
        return (mark, words, "-", "-", "-", "-", "-")
    share = record.params / total
    return (mark, words, shape_text(record.output_shape), f"{record.params:,}",
            f"{share:5.1%} {share_bar(share, ascii_only)}", compact(record.macs), rf_text(record.receptive_field))


NOT_SEEN = object()


def tree_words(row, t, ascii_only: bool, known: dict) -> str:
    """The Layer cell before its indent: a block's fold mark and short words, a join's sum, a layer's
    text form. A node is not changed once shown (an edit copies it), so its words are kept in ``known``
    by the node's id, with the node to check that it is the same one."""
    if row.kind == JOIN_ROW:
        return join_words(row.record, t)
    key = (id(row.node), row.address[-1])
    node, words = known.get(key, (NOT_SEEN, ""))
    if node is not row.node:  # a node of null in the file is None: the default must not be
        words = row_words(row.node, row.address[-1], t)
        known[key] = (row.node, words)
    return f"{FOLD_MARKS[row.folded][ascii_only]} {words}" if row.kind == BLOCK_ROW else words


def has_problem(row, summary) -> bool:
    """Whether the row is where a problem is: a layer's or join's own, a folded block's anywhere inside
    it; an unfolded block only for its own (its keys), since its rows below show the rest."""
    error = row.record.error if row.record is not None else None
    if error is None or row.kind != BLOCK_ROW or row.folded:
        return error is not None
    step = summary.layers[error.index] if error.index is not None and error.index < len(summary.layers) else None
    return step is not None and step.address == row.address and not step.is_join


def duplicate_of(layers: list, index: int):
    """A copy of ``layers[index]`` to go right after it. A copy of a named layer or block loses its name,
    so its new position names it, unless another entry already has that name: then NAME_copy, NAME_copy2..."""
    import copy

    original = copy.deepcopy(layers[index])
    name = original.get("name") if isinstance(original, dict) else None
    if not (isinstance(name, str) and name):
        return original
    positions = [*range(index + 1), *range(index + 2, len(layers) + 1)]  # after the copy goes in at index + 1
    taken = {node.get("name", str(position)) if isinstance(node, dict) else str(position)
             for position, node in zip(positions, layers)}
    if str(index + 1) not in taken:
        return {key: value for key, value in original.items() if key != "name"}
    candidates = (f"{name}_copy{count if count > 1 else ''}" for count in range(1, len(layers) + 2))
    return {**original, "name": next(candidate for candidate in candidates if candidate not in taken)}


def side_text(summary, row, t, language: str):
    """What the side panel says about ``row`` (a build_tree.TreeRow; kind "input" for the input row):
    its title, problems, formulas and what it does, with its numbers (build_explain)."""
    from rich.text import Text

    from ...content import message_text
    from .build_explain import explain

    text = Text()
    if row.kind == INPUT_ROW:
        text.append(t("build.side.input", shape=shape_text(summary.input_shape or ())) + "\n", style="bold")
        for problem in summary.problems:
            if problem.index is None:
                text.append(message_text(language, problem.message) + "\n", style="red")
        text.append("\n" + t("build.side.all_problems", count=len(summary.problems)) if summary.problems else "")
        return text
    record = row.record  # a layer's or a join's record, or a block's totals
    if record is None:
        return text
    text.append(side_title(row, t) + "\n", style="bold")
    if record.error is not None:
        step = getattr(record, "index", record.error.index)  # a block shows the first problem inside it
        for problem in record.error.problems if record.error.index == step else [record.error]:
            if problem.index == step:
                text.append(message_text(language, problem.message) + "\n", style="bold red")
    if not record.ok and record.error is None:
        text.append(t("build.side.after_error") + "\n", style="dim")
    if record.ok and row.kind != BLOCK_ROW:  # a block's sums are in its explanation
        text.append("\n".join(formula_words(t, line) for line in record.derivation) + "\n")
        if record.fc_equivalent_params is not None:
            text.append(t("build.side.fc", fc=f"{record.fc_equivalent_params:,}", params=f"{record.params:,}",
                          ratio=f"{record.fc_equivalent_params / max(record.params, 1):,.0f}") + "\n", style="italic")
    for sentence, style in explain(summary, row, t):
        text.append(sentence + "\n", style=style)
    for note in record.notes:
        text.append(message_text(language, note) + "\n", style="yellow")
    return text


def side_title(row, t) -> str:
    """ "Layer 4: layer1 (sequential) → 64x56x56" for a top-level entry (numbered as in the table), the
    path for a row inside a block, and for a join row where its branches meet."""

    record = row.record
    shape = shape_text(record.output_shape) if record.ok else "-"
    kind, path = record.type, printable(record.path)
    if row.kind == JOIN_ROW:
        return t("build.side.join", path=path, type=kind, shape=shape)
    if len(row.address) != 2:
        return t("build.side.path", path=path, type=kind, shape=shape)
    index = row.address[1]
    if record.path == str(index):  # a plain network's layer
        return t("build.side.layer", index=index, type=kind, shape=shape)
    return t("build.side.named", index=index, path=path, type=kind, shape=shape)


# The words in the engine's formulas (layers' derivation text), as strings keys: the numbers stay.
FORMULA_WORDS = {"FC equivalent": "build.formula.fc", "whole input": "build.formula.whole", "params": "build.formula.params",
                 "MACs": "build.formula.macs", "RF": "build.formula.rf", "jump": "build.formula.jump",
                 "running statistics": "build.formula.running", "kept, not learned": "build.formula.kept",
                 "training": "build.formula.training", "eval": "build.formula.eval",
                 "depthwise": "build.formula.depthwise", "body": "build.formula.body",
                 "shortcut": "build.formula.shortcut", "channels": "build.formula.channels",
                 "largest of": "build.formula.largest", "then": "build.formula.then"}
FORMULA_WORD = re.compile(r"(?<![A-Za-z])(" + "|".join(map(re.escape, FORMULA_WORDS)) + r")(?![A-Za-z])")  # RF_h too


def formula_words(t, line: str) -> str:
    """A derivation line such as "RF = 1 + (5-1)*1 = 5, jump = 1*1 = 1" in the reader's language."""
    return FORMULA_WORD.sub(lambda found: t(FORMULA_WORDS[found.group(1)]), line)
