"""A network's outputs as pictures: which maps a layer has, and the value range that colours them.

Shared by ``cnntui render`` and View mode. Normalisation follows CNN
Explainer's three scales: each map on its own, all channels of the layer
together, or every feature map of the network together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .colormap import CMAPS, char_ramp, palette
from .picture import Label, Row, Scale, auto_cmap, grid_per_row, grid_rows, legend_row, map_rows, row_width

INPUT = -1  # the layer index that stands for the network's input


def as_maps(values: np.ndarray) -> np.ndarray:
    """A layer's output as (channels, height, width): a vector becomes one 1 x N map."""
    return values if values.ndim == 3 else values.reshape(1, 1, -1)


def layer_maps(x: np.ndarray, outputs: Sequence[np.ndarray], layer: int) -> np.ndarray:
    return as_maps(x if layer == INPUT else outputs[layer])


def scope_arrays(x: np.ndarray, outputs: Sequence[np.ndarray], layer: int, channel: int | None,
                 scope: str) -> list[np.ndarray]:
    """The values a scale is taken from: one map, one layer, or every feature map of the network."""
    maps = layer_maps(x, outputs, layer)
    if scope == "map" and channel is not None:
        return [maps[channel]]
    if scope == "network" and layer != INPUT:
        return [out for out in outputs if out.ndim == 3] or [maps]
    return [maps]


def resolve_cmap(cmap: str, arrays: Sequence[np.ndarray]) -> str:
    """``auto`` picks diverging for signed values, else grey."""
    return auto_cmap(arrays) if cmap == "auto" else cmap


def scale_of(arrays: Sequence[np.ndarray], cmap: str) -> Scale:
    return Scale.of(list(arrays), diverging=cmap == "diverging")


@dataclass(frozen=True)
class Colouring:
    """How a layer's maps are coloured: the map, the scope its range covers, one Scale per channel."""

    cmap: str
    scope: str
    scales: list[Scale]


def colouring(x: np.ndarray, outputs: Sequence[np.ndarray], layer: int, channel: int | None, *,
              cmap: str = "auto", scope: str | None = None) -> Colouring:
    """Colours for one channel (``channel`` given) or a grid of all. The default scope is the
    map for one channel and the layer for a grid, so a grid's thumbnails compare with each other."""
    maps = layer_maps(x, outputs, layer)
    scope = scope or ("map" if channel is not None else "layer")
    if scope == "map":
        per_channel = [[m] for m in maps]
        shown = per_channel[channel] if channel is not None else [m for arrays in per_channel for m in arrays]
    else:
        shown = scope_arrays(x, outputs, layer, None, scope)
        per_channel = [shown] * len(maps)
    cmap = resolve_cmap(cmap, shown)
    if cmap not in CMAPS:
        raise ValueError(f"unknown colour map {cmap!r}")
    if scope == "map":
        return Colouring(cmap, scope, [scale_of(arrays, cmap) for arrays in per_channel])
    return Colouring(cmap, scope, [scale_of(shown, cmap)] * len(maps))


def render_layer(x: np.ndarray, outputs: Sequence[np.ndarray], layer: int, channel: int | None, *,
                 mode: str, cmap: str = "auto", scope: str | None = None, columns: int = 80, rows: int = 40,
                 ramp: bool = False) -> list[Row]:
    """One map (``channel`` given) or the grid of all channels, with a legend row under it."""
    maps = layer_maps(x, outputs, layer)
    colours = colouring(x, outputs, layer, channel, cmap=cmap, scope=scope)
    pal = palette(colours.cmap, mode)
    if channel is not None:
        scale = colours.scales[channel]
        picture, _ = map_rows(maps[channel], scale, pal, columns=columns, rows=rows, ramp=ramp)
    else:
        scale = colours.scales[0]
        picture = grid_rows(maps, colours.scales, pal, columns=columns, thumb=thumbnail_width(maps.shape, columns),
                            ramp=ramp)
    name = ramp_name(colours.cmap) if ramp or not pal.colored else colours.cmap
    middle = ", 0 in the middle" if colours.cmap == "diverging" and not ramp and pal.colored else ""
    note = f"{name}, scaled per {colours.scope}{middle}"
    if channel is None and colours.scope == "map":
        note = f"{name}, each map scaled to its own range"
    legend = legend_row(scale, pal, min(24, max(columns - 30, 8)), ramp)
    if row_width(legend) + 2 + len(note) <= columns:
        return [*picture, [*legend, Label(f"  {note}", "dim")]]
    return [*picture, legend, [Label(note, "dim")]]  # a narrow picture: the note on a line of its own


def ramp_name(cmap: str) -> str:
    """What the character ramp's characters mean, for the legend of a picture drawn with it."""
    if cmap == "diverging":
        return "= - negative, blank near 0, + # positive"
    return "low to high: blank " + " ".join(char_ramp(cmap).strip())


def thumbnail_width(shape: tuple[int, int, int], columns: int) -> int:
    """Thumbnails as large as possible (up to the map's own width, or 2x for tiny maps)
    while every channel fits in about two screens of ``columns``."""
    count, _, width = shape
    for size in (2 * width, width, width // 2, width // 4, 8):
        size = max(size, 4)
        per_row = grid_per_row(size, columns)
        if size <= columns and (count <= 4 * per_row or size <= 8):
            return min(size, columns)
    return min(8, columns)
