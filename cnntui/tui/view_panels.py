"""What View mode shows, without Textual: the forward pass, and each panel's rows of cells.

The screen (screens/view.py) keeps the navigation and hands a Look (where the
student is looking and how the app draws) to Panels, which builds the grid,
one map, the step-through (view_steps.py) or the comparison as rows of cells
(see render/picture.py) with a heading. NumPy and the renderer load with this
module, so the screen imports it only once the first frame is out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core import LAYER_TYPES, CnntuiError, Network
from ..core.assets import find_network, find_sample, sample_names
from ..core.messages import Message
from ..core.printable import printable
from ..core.shapes import shape_text
from ..digit_input import is_digit_network
from ..images import load_input, read_image
from ..render.colormap import palette
from ..render.features import INPUT, as_maps, colouring, resolve_cmap, scale_of, thumbnail_width
from ..render.panels import Translate, flow, heat_table, number, stats_text, wrapped_rows
from ..render.picture import Label, Rect, Row, Scale, grid_per_row, grid_rows, legend_row, map_rows, rgb_rows, row_width
from ..render.text import cell_width
from .view_steps import StepThrough

if TYPE_CHECKING:
    from .screens.view import Request


@dataclass(frozen=True)
class InputNote:
    """How the input was made, for the status line in the app's language."""

    kind: str  # "image", "array" or "random"
    shape: str  # what the network gets, e.g. "1x32x32"
    file: str = ""
    original: str = ""  # an image's own size and Pillow mode, e.g. "50x40 RGB"
    dtype: str = ""  # an array's
    normalized: bool = False  # an image's values went through the network's mean and std
    digit_file: bool = False  # an image file (not a sample) for a digits network: prepared unless raw
    steps: tuple[str, ...] = ()  # the digit preparation's (digit_input.prepare_digit)


@dataclass
class Result:
    request: Request
    net: Network
    x: np.ndarray
    outputs: list
    input_note: InputNote
    weights: str  # the weights used: "file", "shipped", or "seeded" (also when none ship with the network)
    serial: int
    weights_problem: Message | None = None  # why the weights the network file names were not used

    def layer_input(self, layer: int) -> np.ndarray:
        """What step ``layer`` reads (its first source: the previous step in a plain list)."""
        source = self.net.summary()[layer].sources[0]
        return self.x if source < 0 else self.outputs[source]

    def layer_output(self, layer: int) -> np.ndarray:
        return self.x if layer == INPUT else self.outputs[layer]

    def maps(self, layer: int) -> np.ndarray:
        return as_maps(self.layer_output(layer))

    def step_layer(self, layer: int) -> int:
        """The layer whose computation the step-through shows: an activation shows the conv or the batch
        norm it reads (conv -> bn -> relu shows bn: relu reads bn's output, not the conv's)."""
        layers = self.net.layers
        if layer > 0 and layers[layer - 1].worked_before_activation and self.follows(layer, layer - 1):
            return layer - 1
        return layer

    def follows(self, activation: int, step: int) -> bool:
        """Whether step ``activation`` is an activation of ``step``'s output alone (after a concat, the
        step before it in the list can be another branch's)."""
        return self.net.layers[activation].is_activation and self.net.summary()[activation].sources == (step,)

    def step_source_channels(self, layer: int) -> int:
        """How many input channels the step-through can pick from (0 when it has no choice)."""
        if layer == INPUT:
            return 0
        step = self.step_layer(layer)
        conv = self.net.layers[step]
        # A grouped conv's filter reads only its group's channels: the choice is among those (none for a
        # depthwise filter, which reads one).
        count = self.layer_input(step).shape[0] // conv.groups if conv.type == "conv2d" else 0
        return count if count > 1 else 0

    def kernel_target(self, layer: int) -> int | None:
        """The conv layer a classic kernel would go into: the selected one, or the conv an activation follows."""
        if layer == INPUT:
            return None
        step = self.step_layer(layer)
        return step if self.net.layers[step].type == "conv2d" else None

    def layer_label(self, t: Translate, index: int) -> str:
        """"conv2d:3" in a plain list of layers; "conv2d:layer1.0.conv1" where blocks or names give paths."""
        if index == INPUT:
            return t("view.input")
        summary = self.net.summary()
        named = any(record.path != str(record.index) for record in summary)
        return f"{summary[index].type}:{printable(summary[index].path) if named else index}"


class Superseded(Exception):
    """Raised in the forward pass's progress callback when a newer request has cancelled the pass."""


def compute(request: Request, serial: int, worker, progress=None) -> Result | None:
    """Build the network, choose weights, load the input, run it; None if cancelled on the way.
    ``progress(done, count)`` is called after each step (see Network.forward); raising Superseded
    there stops the pass."""
    source = None
    if request.source:
        try:
            source = find_network(request.source)
        except CnntuiError:
            source = None
    net = Network.from_dict(request.spec, source=source)
    weights, problem = "seeded", None
    if request.weights == "file":
        from ..train.record import recorded_classes

        net.load_weights(request.weights_file, classes=recorded_classes(request.weights_file))
        weights = "file"
    elif request.weights == "shipped" and net.shipped_weights is not None:
        net.load_weights(net.shipped_weights)
        weights = "shipped"
    else:
        problem = net.weights_problem() if request.weights == "shipped" else None
        net.init_weights(request.seed)
    for layer, channel, name in request.kernels:
        net.put_kernel(layer, channel, name)
    if worker.is_cancelled:
        return None
    x, note = network_input(request.input, net, raw=request.raw)
    try:
        outputs = net.forward(x, progress=progress)
    except Superseded:
        return None
    if worker.is_cancelled:
        return None
    return Result(request, net, x, outputs, note, weights, serial, problem)


def network_input(name: str, net: Network, raw: bool = False) -> tuple[np.ndarray, InputNote]:
    """A sample (by name) or a file (by path) as the network's input; a random one where images cannot fit.
    An image file for a digits network is prepared as MNIST's digits were, unless ``raw``; the samples
    are drawn as the training digits are, and used as they are."""
    shape = net.input_shape
    if name in sample_names() and not (len(shape) == 3 and shape[0] in (1, 3)):
        return np.random.default_rng(0).random(shape, dtype=np.float32), InputNote("random", shape_text(shape))
    sample = name in sample_names()
    path = find_sample(name) if sample else Path(name)
    # A .npy array comes as it is, in its own dtype; an image is normalised as the network asks.
    normalize = net.summary().normalize
    if path.suffix.lower() == ".npy":
        loaded, _ = load_input(path, shape, net.name, normalize=normalize)
        if loaded.shape != tuple(shape):
            raise CnntuiError("input_shape", got=shape_text(loaded.shape), name=net.name, want=shape_text(shape))
        return np.asarray(loaded, dtype=np.float32), InputNote("array", shape_text(shape), path.name,
                                                               dtype=str(loaded.dtype))
    digit_file = not sample and is_digit_network(net)
    image = read_image(path, shape, net.name, normalize=normalize, digits=digit_file and not raw)
    return image.array, InputNote("image", shape_text(shape), path.name, image.original,
                                  normalized=normalize is not None, digit_file=digit_file, steps=image.steps)


@dataclass(frozen=True)
class Look:
    """Where the student looks (layer, channel, cursor, input channel, panel) and how the app draws."""

    layer: int
    channel: int
    cursor: tuple[int, int]
    in_channel: int
    panel: str
    cmap: str
    scope: str | None
    color_mode: str
    ascii_only: bool
    block: str = ""  # on a block's row: the block ("sequential:layer1"), named instead of its last step


def look_colouring(result: Result, look: Look):
    """(colour map, one Scale per channel, scope) for the selected layer."""
    channel = None if look.panel == "grid" else look.channel
    colours = colouring(result.x, result.outputs, look.layer, channel, cmap=look.cmap, scope=look.scope)
    return colours.cmap, colours.scales, colours.scope


def grid_columns(maps: np.ndarray, width: int) -> int:
    """How many channels a row of the grid holds at ``width`` columns (arrow keys move by it)."""
    return grid_per_row(thumbnail_width(maps.shape, width), width)


class Panels:
    """The rows and heading of one View panel for a Look, in ``t``'s language, and the rows (first, last)
    that must stay in sight when the panel scrolls: the selected channel, or the cursor's row."""

    def __init__(self, result: Result, look: Look, t: Translate) -> None:
        self.result, self.look, self.t = result, look, t
        self.in_sight: tuple[int, int] | None = None
        self.cmap, self.scales, self.scope = look_colouring(result, look)
        self.pal = palette(self.cmap, look.color_mode)
        self.ramp = look.ascii_only or look.color_mode == "none"

    def rows(self, width: int, height: int) -> tuple[list[Row], str, tuple[int, int] | None]:
        builder = {"grid": self.grid_rows, "map": self.map_rows, "step": self.step_rows,
                   "compare": self.compare_rows}[self.look.panel]
        rows, heading = builder(width, height)
        return rows, heading, self.in_sight

    # -- shared pieces ---------------------------------------------------------------------

    @property
    def maps(self) -> np.ndarray:
        return self.result.maps(self.look.layer)

    def layer_name(self) -> str:
        return self.look.block or self.result.layer_label(self.t, self.look.layer)

    def scope_note(self) -> str:
        t = self.t
        drawn_with = "ramp" if self.ramp else "cmap"  # without colour or blocks, name the characters
        return t("view.legend", cmap=t(f"view.{drawn_with}.{self.cmap}"), scope=t(f"view.scope.{self.scope}"))

    def legend(self, scale: Scale, width: int) -> list[Row]:
        """The colour bar with its range, and what the colours mean: beside it when that fits, else below."""
        row = legend_row(scale, self.pal, min(20, max(width - 34, 6)), self.ramp,
                         label=lambda value: number(value).strip())
        note = self.scope_note()
        if row_width(row) + 2 + cell_width(note) <= width:
            return [[*row, Label(f"  {note}", "dim")]]
        return [row, *wrapped_rows(note, width, "dim")]

    def own_cmap(self, values: np.ndarray) -> str:
        return resolve_cmap(self.look.cmap, [values]) if self.look.cmap == "auto" else self.cmap

    def thumb_block(self, title: str, values: np.ndarray, columns: int, rows: int, marks=(),
                    caption: str = "") -> list[Row]:
        """A titled map in its own colour scale, as large as fits without uneven scaling."""
        size = min(thumbnail_width((1, *values.shape), columns), columns)
        cmap = self.own_cmap(values)
        picture, _ = map_rows(values, scale_of([values], cmap), palette(cmap, self.look.color_mode), columns=size,
                              rows=rows, ramp=self.ramp, marks=marks)
        block = [*wrapped_rows(title, columns, "bold"), *picture]
        if caption:
            block += wrapped_rows(caption, columns, "dim")
        return block

    # -- the grid of channels ----------------------------------------------------------------

    def grid_rows(self, width: int, height: int):
        maps, look = self.maps, self.look
        thumb = thumbnail_width(maps.shape, width)
        rows = grid_rows(maps, self.scales, self.pal, columns=width, thumb=thumb, ramp=self.ramp,
                         selected=look.channel)
        per_row = grid_per_row(thumb, width)
        band_height = len(rows) // -(-len(maps) // per_row)  # every band: a label row and equal thumbnails
        top = look.channel // per_row * band_height
        rows += self.legend(self.scales[look.channel], width)
        if look.layer == INPUT and len(maps) == 3:
            above = [*self.colour_image_rows(width, height), []]
            rows, top = [*above, *rows], top + len(above)
        self.in_sight = (top, top + band_height - 1)
        heading = self.t("view.grid.title", layer=self.layer_name(), shape=shape_text(maps.shape),
                         channel=look.channel, count=len(maps))
        return rows, heading

    def colour_image_rows(self, width: int, height: int) -> list[Row]:
        """An RGB input as the eye sees it, above its three channels."""
        x = self.result.x
        picture = rgb_rows(x, self.look.color_mode, columns=min(width, 2 * x.shape[2]), rows=max(4, height // 2 - 1),
                           ramp=self.ramp)
        return [*wrapped_rows(self.t("view.input.colour"), width, "bold"), *picture]

    # -- one channel, large ------------------------------------------------------------------

    def map_rows(self, width: int, height: int):
        t, look, maps = self.t, self.look, self.maps
        values = maps[look.channel]
        row, col = look.cursor
        kernel_block = self.kernel_block()
        kernel_width = max((row_width(r) for r in kernel_block), default=0)
        # The kernel goes beside the map when the map can still be drawn at full size; else below it.
        map_width = width - kernel_width - 2 if kernel_block and width - kernel_width - 2 >= values.shape[1] else width
        picture, layout = map_rows(values, self.scales[look.channel], self.pal, columns=map_width,
                                   rows=max(height - 3, 3), ramp=self.ramp, marks=[Rect(row, col, row + 1, col + 1)])
        value = float(values[row, col])
        head = [*wrapped_rows(t("view.readout", row=row, col=col, value=number(value).strip()) + self.class_word(col),
                              width, "bold"),
                *wrapped_rows(stats_text(t, values), width)]
        rows = [*head, *flow([picture, kernel_block] if kernel_block else [picture], width),
                *self.legend(self.scales[look.channel], width)]
        heading = t("view.map.title", layer=self.layer_name(), channel=look.channel, count=len(maps))
        # The cursor stays in sight, with the readout above it when both fit.
        pixel_row = min(int(np.searchsorted(layout.rows, row)), len(layout.rows) - 1)
        cursor_row = len(head) + pixel_row // 2
        self.in_sight = (0, cursor_row) if cursor_row < height else (cursor_row, cursor_row)
        return rows, heading

    def class_word(self, col: int) -> str:
        """At the last layer, a neuron's class name."""
        classes = self.result.net.classes
        if classes and self.look.layer == len(self.result.outputs) - 1 and col < len(classes):
            return f"  ({printable(classes[col])})"
        return ""

    def kernel_block(self) -> list[Row]:
        """The selected filter's weights for one input channel, as a heat table; [] where there is no kernel."""
        result, look = self.result, self.look
        layer = result.kernel_target(look.layer)
        if layer is None:
            return []
        weight = result.net.step_params(layer)["weight"][look.channel, look.in_channel]
        count = result.step_source_channels(look.layer)
        title = (self.t("view.kernel.heading", channel=look.channel, in_channel=look.in_channel, count=count)
                 if count > 1 else self.t("view.kernel.heading.one", channel=look.channel))
        return heat_table(weight, Scale.of(weight, diverging=True), self.pal, title=title)

    # -- the step-through -------------------------------------------------------------------

    def step_rows(self, width: int, height: int):
        return StepThrough(self).rows(width, height)

    # -- activations and poolings side by side ------------------------------------------------

    def compare_rows(self, width: int, height: int):
        """The selected map before and after each activation, and after 2x2 average vs max pooling."""
        t, look, maps = self.t, self.look, self.maps
        heading = t("view.compare.title", layer=self.layer_name(), channel=look.channel)
        if maps.shape[1] < 2 or maps.shape[2] < 2:
            return wrapped_rows(t("view.compare.vector"), width), heading
        columns, rows = (width - 6) // 4, max(4, (height - 8) // 2)

        def block(title: str, values: np.ndarray) -> list[Row]:
            caption = f"{number(float(values.min())).strip()}..{number(float(values.max())).strip()}"
            return self.thumb_block(title, values, columns, rows, caption=caption)

        pre = self.pre_activation()
        batch = pre[None, None].astype("float32")
        activated = [block(t("view.compare.pre"), pre)]
        for kind in ("relu", "sigmoid", "tanh"):
            activated.append(block(kind, LAYER_TYPES[kind].parse(0, {"type": kind}).forward(batch, {})[0, 0]))
        shown = maps[look.channel][None, None].astype("float32")
        pooled = [block(t("view.compare.map"), maps[look.channel])]
        for kind in ("avgpool2d", "maxpool2d"):
            layer = LAYER_TYPES[kind].parse(0, {"type": kind, "kernel_size": 2})
            pooled.append(block(f"{kind} 2x2", layer.forward(shown, {})[0, 0]))
        return [*wrapped_rows(t("view.compare.activations"), width, "bold underline"), *flow(activated, width), [],
                *wrapped_rows(t("view.compare.pooling"), width, "bold underline"), *flow(pooled, width)], heading

    def pre_activation(self) -> np.ndarray:
        """The selected channel before its activation: this layer's input if it is an activation layer."""
        result, layer = self.result, self.look.layer
        if layer > 0 and result.net.layers[layer].is_activation:
            return result.layer_input(layer)[self.look.channel]
        return self.maps[self.look.channel]


def prediction_text(result: Result, t: Translate, top_count: int, ascii_only: bool) -> str:
    """The ``top_count`` likeliest classes with bars; softmax is added for display if the network has none."""
    last = result.outputs[-1]
    if last.ndim != 1:
        return t("view.prediction.none")
    if result.net.layers[-1].type == "softmax":
        probs, heading = last, t("view.prediction")
    else:
        shifted = np.exp(last - last.max())
        probs, heading = shifted / shifted.sum(), t("view.prediction.added")
    classes = result.net.classes or [str(i) for i in range(len(probs))]
    top = np.argsort(-probs)[:top_count]
    lines = [heading]
    bar = "#" if ascii_only else "█"
    names = [printable(classes[index])[:8] for index in top]
    name_width = max(len(name) for name in names)
    for name, index in zip(names, top):
        lines.append(f"{name:>{name_width}} {bar * round(probs[index] * 10):<10} {probs[index]:6.1%}")
    return "\n".join(lines)


def status_text(result: Result, t: Translate) -> str:
    """Which weights and which input: "Weights: trained | digit-3.png: 32x32 L -> grey 1x32x32"."""
    return t("view.status", weights=weights_text(result, t), input=input_text(result.input_note, t))


def weights_text(result: Result, t: Translate) -> str:
    request = result.request
    if result.weights == "file":
        text = Path(request.weights_file).name
    elif result.weights == "shipped":
        text = t("view.status.trained")
    elif result.weights_problem is not None:
        text = t("view.status.seed.instead", seed=request.seed)
    else:
        text = t("view.status.seed", seed=request.seed)
    kernels = [t("view.status.kernel", name=name, layer=layer, channel=channel)
               for layer, channel, name in request.kernels]
    return t("view.status.list").join([text, *kernels])


def input_text(note: InputNote, t: Translate) -> str:
    if note.kind == "random":
        return t("view.status.random", shape=note.shape)
    if note.kind == "array":
        return t("view.status.array", file=note.file, shape=note.shape, dtype=note.dtype)
    channels = t("view.status.grey") if note.shape.startswith("1x") else "RGB"
    text = t("view.status.image", file=note.file, original=note.original, channels=channels, shape=note.shape)
    if note.normalized:
        text += t("view.status.normalized")
    if note.steps:
        text += t("view.status.digit", steps=t("view.status.digit.join").join(
            t(f"engine.digit_{step}") for step in note.steps))
    elif note.digit_file:
        text += t("view.status.raw")
    return text
