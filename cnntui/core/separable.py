"""Depthwise-separable convolutions in an analysed network: a depthwise conv followed by a 1x1 conv
(batch norm, dropout and activations may sit between them), and the plain conv the pair replaces.

Build's side panel and the Quiz's swap task both find pairs here, so they agree on what a pair is.
"""

from __future__ import annotations

from .analysis import LayerRecord, Summary, analyze

def is_depthwise(record: LayerRecord) -> bool:
    return record.ok and record.type == "conv2d" and record.layer.depthwise(record.input_shape[0])


def is_pointwise(record: LayerRecord) -> bool:
    return record.ok and record.type == "conv2d" and record.layer.pointwise()


def separable_pair(summary: Summary, record: LayerRecord) -> tuple[LayerRecord, LayerRecord] | None:
    """(depthwise, pointwise) records when ``record`` is either half of a depthwise conv followed,
    through per-value layers only, by a 1x1 conv; else None."""
    if is_depthwise(record):
        after = next_through(summary, record)
        return (record, after) if after is not None and is_pointwise(after) else None
    if is_pointwise(record):
        before = previous_through(summary, record)
        return (before, record) if before is not None and is_depthwise(before) else None
    return None


def separable_pairs(summary: Summary) -> list[tuple[LayerRecord, LayerRecord]]:
    """Every depthwise-separable pair of the network, in run order."""
    pairs = (separable_pair(summary, record) for record in summary.layers if is_depthwise(record))
    return [pair for pair in pairs if pair is not None]


def next_through(summary: Summary, record: LayerRecord) -> LayerRecord | None:
    """The first step after ``record`` that is not a per-value layer, when each step on the way
    reads only the one before it (no branch or join in between)."""
    index = record.index
    while index + 1 < len(summary.layers):
        following = summary.layers[index + 1]
        if following.sources != (index,) or following.is_join:
            return None
        if not passes_through(following):
            return following
        index += 1
    return None


def previous_through(summary: Summary, record: LayerRecord) -> LayerRecord | None:
    """The first step before ``record`` that is not a per-value layer, along its only input."""
    current = record
    while len(current.sources) == 1 and current.sources[0] >= 0:
        current = summary.layers[current.sources[0]]
        if not passes_through(current):
            return current
    return None


def passes_through(record: LayerRecord) -> bool:
    layer = record.layer
    return layer is not None and layer.per_value


def plain_equivalent(depthwise: LayerRecord, pointwise: LayerRecord) -> LayerRecord:
    """The plain conv the pair replaces, analysed by the engine: from the depthwise conv's input to
    the 1x1's output channels, with the depthwise conv's kernel, stride, padding, dilation and bias."""
    node = {key: value for key, value in depthwise.spec.items() if key not in ("groups", "name")}
    node["out_channels"] = pointwise.output_shape[0]
    return analyze({"input": list(depthwise.input_shape), "layers": [node]}).layers[0]
