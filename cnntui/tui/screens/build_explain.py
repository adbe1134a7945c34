"""What Build's side panel says about a row beyond its formulas, with the row's real numbers, without
Textual: batch norm's learned and kept values, grouped and depthwise convolutions (and a
depthwise-separable pair against the plain convolution it replaces), 1x1 convolutions, dropout,
and blocks and joins (a residual's sum of shapes, a concatenation's channels).

Every number comes from the summary's records or from the layer's own shapes (param_shapes,
buffer_shapes): the formulas stay the layers' knowledge, and core/separable.py finds the pairs. ``explain(summary, row, t)`` gives
(sentence, style) pairs.
"""

from __future__ import annotations

import math

from ...core.printable import printable
from ...core.separable import plain_equivalent, separable_pair
from ...core.shapes import shape_text
from .build_tree import BLOCK_ROW, JOIN_ROW, LAYER_ROW

Sentence = tuple[str, str]  # a sentence and its style


def explain(summary, row, t) -> list[Sentence]:
    """The sentences for ``row`` (a build_tree.TreeRow); none for a row the engine could not read."""
    record = row.record
    if record is None:
        return []
    if row.kind == BLOCK_ROW:
        return block_lines(summary, row, t)
    if row.kind == JOIN_ROW:
        return join_lines(summary, record, t)
    if row.kind != LAYER_ROW or not record.ok or record.layer is None:
        return []
    explainers = {"batchnorm2d": batchnorm_lines, "conv2d": conv_lines, "dropout": dropout_lines}
    return explainers[record.type](summary, record, t) if record.type in explainers else []


# -- layers -----------------------------------------------------------------------------------------


def batchnorm_lines(summary, record, t) -> list[Sentence]:
    layer, channels = record.layer, record.input_shape[0]
    lines = [(t("build.explain.bn.learned", channels=channels, params=f"{record.params:,}"), "")
             if layer.affine else (t("build.explain.bn.no_affine"), "")]
    if layer.track_running_stats:
        buffers = layer.buffer_shapes(record.input_shape)
        stats = math.prod(buffers["running_mean"]) + math.prod(buffers["running_var"])
        momentum = t("build.explain.bn.cumulative") if layer.momentum is None else f"{layer.momentum:g}"
        lines += [(t("build.explain.bn.kept", channels=channels, stats=f"{stats:,}"), ""),
                  (t("build.explain.bn.training", momentum=momentum), ""), (t("build.explain.bn.eval"), "")]
    else:
        lines += [(t("build.explain.bn.no_stats"), "")]
    return lines


def conv_lines(summary, record, t) -> list[Sentence]:
    layer, (c_in, *_) = record.layer, record.input_shape
    weight = layer.param_shapes(record.input_shape)["weight"]
    numbers = {"c_in": c_in, "c_out": weight[0], "per": weight[1], "groups": layer.groups,
               "kh": weight[2], "kw": weight[3], "weights": f"{math.prod(weight):,}"}
    lines = []
    if layer.depthwise(c_in):
        lines.append((t("build.explain.depthwise", **numbers), ""))
    elif layer.groups > 1:
        lines.append((t("build.explain.grouped", **numbers), ""))
    elif layer.pointwise():
        positions = record.output_shape[1] * record.output_shape[2]
        lines.append((t("build.explain.pointwise", positions=f"{positions:,}", params=f"{record.params:,}",
                        **numbers), ""))
    pair = separable_pair(summary, record)
    if pair is not None:
        lines += pair_lines(*pair, t)
    return lines


def dropout_lines(summary, record, t) -> list[Sentence]:
    return [(t("build.explain.dropout", p=f"{record.layer.p:g}"), "")]


def pair_lines(depthwise, pointwise, t) -> list[Sentence]:
    """The pair's parameters and MACs against the plain conv from the same input to the 1x1's
    output channels, with the depthwise conv's kernel, stride, padding and dilation (the engine
    works out its numbers)."""
    plain = plain_equivalent(depthwise, pointwise)
    params, macs = depthwise.params + pointwise.params, depthwise.macs + pointwise.macs
    kernel = depthwise.layer.kernel_size
    return [
        (t("build.explain.pair", depthwise=printable(depthwise.path), pointwise=printable(pointwise.path),
           params=f"{params:,}", macs=f"{macs:,}", plain_params=f"{plain.params:,}", plain_macs=f"{plain.macs:,}",
           kernel=f"{kernel[0]}x{kernel[1]}", c_in=depthwise.input_shape[0], c_out=pointwise.output_shape[0]),
         "italic"),
        (t("build.explain.pair_ratio", ratio=fraction(params, plain.params), mac_ratio=fraction(macs, plain.macs)),
         "bold"),
    ]


def fraction(part: int, whole: int) -> str:
    """12,544 of 110,592 -> "11.3% (1/8.8)"."""
    if not part or not whole:
        return "-"
    return f"{part / whole:.1%} (1/{whole / part:.1f})"


# -- blocks and joins -------------------------------------------------------------------------------


def block_lines(summary, row, t) -> list[Sentence]:
    """A block's totals (in place of its derivation, which has the same sums), what kind it is, and
    where its branches meet."""
    record, node = row.record, row.node
    lines = []
    if record.ok:
        share = record.params / summary.total_params if summary.total_params else 0.0
        lines.append((t("build.explain.block_numbers", input=shape_text(record.input_shape),
                        output=shape_text(record.output_shape), params=f"{record.params:,}", share=f"{share:.1%}",
                        buffers=f"{record.buffers:,}", macs=f"{record.macs:,}"), "bold"))
    lines.append((kind_words(record.type, node, t), ""))
    join = summary.layers[record.last] if record.last is not None else None
    if join is not None and join.is_join and join.address == record.address:
        lines += join_lines(summary, join, t, on_block_row=True)
    return lines


def kind_words(kind: str, node: dict, t) -> str:
    if kind == "sequential":
        count = len(node.get("layers", [])) if isinstance(node, dict) and isinstance(node.get("layers"), list) else 0
        return t(f"build.explain.sequential.{'one' if count == 1 else 'many'}", count=count)
    return t(f"build.explain.{kind}")


def join_lines(summary, join, t, on_block_row: bool = False) -> list[Sentence]:
    """A residual's sum of shapes; a concatenation's channels by branch (on its block's row: the join
    row's formula already adds them up)."""
    if any(shape is None for shape in join.input_shapes):
        return []  # a problem further up: the engine's message is on that row
    if join.type == "residual":
        return residual_lines(summary, join, t)
    if not join.ok or not on_block_row:
        return []  # when the branches' heights or widths differ, the engine's message says which
    parts = " + ".join(f"{shape[0]} ({printable(name)})" for name, shape in zip(join.layer.names, join.input_shapes))
    return [(t("build.explain.concat_sum", parts=parts, total=join.output_shape[0]), "bold")]


def residual_lines(summary, join, t) -> list[Sentence]:
    body, shortcut = (shape_text(shape) for shape in join.input_shapes)
    layer = join.layer
    if join.ok:
        lines = [(t("build.explain.residual_sum", body=body, shortcut=shortcut,
                    output=shape_text(join.output_shape)), "bold")]
    else:
        lines = [(t("build.explain.residual_differ", body=body, shortcut=shortcut), "bold red")]
    if layer.has_shortcut:
        path = summary.record_at((*join.address, "shortcut")).path
        lines.append((t("build.explain.shortcut_layers", path=printable(path)), ""))
    else:
        lines.append((t("build.explain.shortcut_identity"), ""))
    lines.append((t("build.explain.shortcut_rule"), "dim" if join.ok else ""))
    after = layer.activation.type if layer.activation is not None else None
    lines.append((t("build.explain.after_sum", activation=after) if after else t("build.explain.no_activation"), ""))
    return lines
