"""Build's compare table (M pins a network, m compares it with the current one), without Textual.

Two networks with the same top-level entries (paths and types: resnet18 and resnet34, lenet5 and a
copy with other sizes) are compared entry by entry, a block by its totals. Any other two (vgg16 and
resnet18) are compared by kind of layer: convolutions, batch norm, fully connected and the rest,
with the fully connected layers' share of the parameters, then the totals and the depth in weighted
layers. Cells that differ between A (pinned) and B (current) are highlighted. The table fits 80
columns: one Output column (A/B when the shapes differ) and large counts written 1.23M.
"""

from __future__ import annotations

from rich.text import Text

from ...core.printable import printable
from ...core.shapes import shape_text
from ...learn.architectures import measure_summary
from ...render.text import compact, fit_cells

BY_ENTRY, BY_KIND = "entry", "kind"
LABEL_WIDTH = 12  # the Layer or Kind column
NAME_WIDTH = 20  # a network's name in the caption
DIFFERS, SAME = "bold yellow", ""
KINDS = (("conv2d", "build.compare.kind.conv"), ("batchnorm2d", "build.compare.kind.bn"),
         ("linear", "build.compare.kind.fc"))


def compare_mode(pinned, current) -> str:
    """BY_ENTRY when both networks' top-level entries have the same paths and types, else BY_KIND."""
    def entries(summary):
        return [(record.path, record.type) for record in summary.top_level]

    return BY_ENTRY if entries(pinned) == entries(current) else BY_KIND


def compare_caption(pinned_name: str, name: str, mode: str, t) -> str:
    """Which network is A and which B, and how the table compares them."""
    a, b = (fit_cells(printable(str(n)), NAME_WIDTH).rstrip() for n in (pinned_name, name))
    return t(f"build.compare.by_{mode}", a=a, b=b)


def compare_columns(mode: str, t) -> list[Text]:
    """The labels (Text: a str label would be read as markup): the entry and its output, or the kind and
    the counts; A's numbers, B's, the change. Numbers' labels are right-aligned, like the numbers."""
    params, macs = t("build.col.params"), t("build.col.macs")
    if mode == BY_ENTRY:
        labels = (t("build.col.layer"), t("build.col.output"), f"A {params}", f"A {macs}", f"B {params}",
                  f"B {macs}", t("build.col.delta"))
        left = 2
    else:
        count = t("build.compare.col.count")
        labels = (t("build.compare.col.kind"), f"A {count}", f"A {params}", f"A {macs}", f"B {count}",
                  f"B {params}", f"B {macs}", t("build.col.delta"))
        left = 1
    return [Text(label, justify="left" if i < left else "right") for i, label in enumerate(labels)]


def compare_rows(pinned, current, t, mode: str | None = None) -> list[list]:
    """The rows for ``mode`` (by default the one compare_mode chooses), then the totals."""
    mode = mode or compare_mode(pinned, current)
    return entry_rows(pinned, current, t) if mode == BY_ENTRY else kind_rows(pinned, current, t)


# -- entry by entry -----------------------------------------------------------------------------------


def entry_rows(pinned, current, t) -> list[list]:
    rows = []
    for position, (left, right) in enumerate(zip(pinned.top_level, current.top_level)):
        shapes = [shape_text(r.output_shape) if r.ok else "-" for r in (left, right)]
        output = shapes[0] if shapes[0] == shapes[1] else "/".join(shapes)
        numbers = [(compact(r.params) if r.ok else "-", compact(r.macs) if r.ok else "-") for r in (left, right)]
        (a_params, a_macs), (b_params, b_macs) = numbers
        rows.append([Text(entry_label(left, position)), styled(output, shapes[0] != shapes[1], "left"),
                     *paired(a_params, b_params, a_macs, b_macs), delta_cell(left.params, right.params)])
    rows.append(total_row(pinned, current, t, ""))
    return rows


def entry_label(record, position: int) -> str:
    """An entry by its name ("layer1"), or in a network of unnamed layers by its number and type."""
    from ...core import LAYER_TYPES
    from ...core.textform import BLOCK_KEYWORDS

    kind = BLOCK_KEYWORDS.get(record.type) or getattr(LAYER_TYPES.get(record.type), "keyword", record.type)
    label = printable(record.path) if record.path != str(position) else f"{position} {kind}"
    return fit_cells(label, LABEL_WIDTH).rstrip()


# -- by kind of layer ----------------------------------------------------------------------------------


def kind_rows(pinned, current, t) -> list[list]:
    tallies = [tally(summary) for summary in (pinned, current)]
    rows = []
    for kind, key in (*KINDS, (None, "build.compare.kind.other")):
        (a_count, a_params, a_macs), (b_count, b_params, b_macs) = (found[kind] for found in tallies)
        rows.append([Text(t(key)), *paired(str(a_count), str(b_count), compact(a_params), compact(b_params),
                                           compact(a_macs), compact(b_macs)),
                     delta_cell(a_params, b_params)])
        if kind == "linear":
            shares = [fc_share_text(summary) for summary in (pinned, current)]
            rows.append([Text(t("build.compare.kind.fc_share"), style="italic"), Text(""),
                         styled(shares[0], shares[0] != shares[1]), Text(""), Text(""),
                         styled(shares[1], shares[0] != shares[1]), Text(""), Text("")])
    depths = [str(weighted_depth(summary)) for summary in (pinned, current)]
    rows.append([Text(t("build.compare.kind.depth"), style="italic"), styled(depths[0], depths[0] != depths[1]),
                 Text(""), Text(""), styled(depths[1], depths[0] != depths[1]), Text(""), Text(""), Text("")])
    counts = [str(len(summary.leaves)) for summary in (pinned, current)]
    rows.append(total_row(pinned, current, t, counts))
    return rows


def tally(summary) -> dict:
    """(count, params, MACs) of the leaf layers by kind: conv2d, batchnorm2d, linear, None for the rest."""
    found = {kind: [0, 0, 0] for kind, _ in (*KINDS, (None, ""))}
    for record in summary.leaves:
        numbers = found[record.type if record.type in found else None]
        numbers[0] += 1
        numbers[1] += record.params
        numbers[2] += record.macs
    return found


def weighted_depth(summary) -> int:
    """The most convolutions and fully connected layers on one path from input to output: ResNet-18's 18
    (its downsample convs sit beside the body, not after it), VGG-16's 16."""
    depths: list[int] = []
    for record in summary.layers:
        before = max((depths[source] for source in record.sources if source >= 0), default=0)
        weighted = record.layer is not None and record.layer.has_neurons
        depths.append(before + int(weighted))
    return depths[-1] if depths else 0


# -- cells ---------------------------------------------------------------------------------------------


def styled(cell: str, differs: bool, justify: str = "right") -> Text:
    """A cell, highlighted when A's and B's differ; numbers are right-aligned."""
    return Text(cell, style=DIFFERS if differs else SAME, justify=justify)


def paired(*cells: str) -> list[Text]:
    """Cells given as pairs (A's, B's), each pair highlighted when its two differ, in the table's order:
    entry mode gives params then MACs; kind mode count, params, MACs."""
    pairs = [cells[i:i + 2] for i in range(0, len(cells), 2)]
    a_cells = [styled(a, a != b) for a, b in pairs]
    b_cells = [styled(b, a != b) for a, b in pairs]
    return [*a_cells, *b_cells]


def fc_share_text(summary) -> str:
    """The fully connected layers' part of the parameters, as Learn's timeline measures it; "-" with none."""
    measure = measure_summary(summary)
    return f"{measure.fc_share:.1f}%" if measure.params else "-"


def delta_cell(before: int, after: int) -> Text:
    change = after - before
    if not change:
        return Text("0", style="dim", justify="right")
    return Text(("+" if change > 0 else "-") + compact(abs(change)), style="bold", justify="right")


def total_row(pinned, current, t, counts) -> list:
    """The totals; in kind mode (``counts``: A's and B's number of layers) with the counts first."""
    params = [compact(summary.total_params) for summary in (pinned, current)]
    macs = [compact(summary.total_macs) for summary in (pinned, current)]
    if counts:
        cells = paired(counts[0], counts[1], params[0], params[1], macs[0], macs[1])
    else:
        cells = [Text("")] + paired(params[0], params[1], macs[0], macs[1])
    return [Text(t("build.total"), style="bold"), *cells, delta_cell(pinned.total_params, current.total_params)]
