"""What View mode shows, without Textual: the forward pass, and each panel's rows of cells.

The screen (screens/view.py) keeps the navigation and hands a Look (where the
student is looking and how the app draws) to Panels, which builds the grid,
one map, the step-through or the comparison as rows of cells (see
render/picture.py) with a heading. NumPy and the renderer load with this
module, so the screen imports it only once the first frame is out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..core import LAYER_TYPES, CnntuiError, Network
from ..core.assets import find_network, find_sample, sample_names
from ..core.layers.adaptive import window_bounds
from ..core.messages import Message
from ..core.printable import printable
from ..core.shapes import shape_text
from ..images import load_input
from ..render.colormap import palette
from ..render.features import INPUT, as_maps, colouring, resolve_cmap, scale_of, thumbnail_width
from ..render.panels import (Translate, conv_step_rows, flow, heat_table, number, pool_step_rows, stats_text,
                             wrapped_rows)
from ..render.picture import Label, Rect, Row, Scale, grid_per_row, grid_rows, legend_row, map_rows, rgb_rows, row_width
from ..render.text import cell_width

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
        """The layer whose computation the step-through shows: an activation shows the conv it reads."""
        layers = self.net.layers
        if layer > 0 and layers[layer - 1].type == "conv2d" and self.follows(layer, layer - 1):
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
        # A grouped conv's filter reads only its group's channels: the choice is among those.
        return self.layer_input(step).shape[0] // conv.groups if conv.type == "conv2d" else 0

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


def compute(request: Request, serial: int, worker) -> Result | None:
    """Build the network, choose weights, load the input, run it; None if cancelled on the way."""
    source = None
    if request.source:
        try:
            source = find_network(request.source)
        except CnntuiError:
            source = None
    net = Network.from_dict(request.spec, source=source)
    weights, problem = "seeded", None
    if request.weights == "file":
        net.load_weights(request.weights_file)
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
    x, note = network_input(request.input, net)
    outputs = net.forward(x)
    if worker.is_cancelled:
        return None
    return Result(request, net, x, outputs, note, weights, serial, problem)


def network_input(name: str, net: Network) -> tuple[np.ndarray, InputNote]:
    """A sample (by name) or a file (by path) as the network's input; a random one where images cannot fit."""
    shape = net.input_shape
    if name in sample_names() and not (len(shape) == 3 and shape[0] in (1, 3)):
        return np.random.default_rng(0).random(shape, dtype=np.float32), InputNote("random", shape_text(shape))
    path = find_sample(name) if name in sample_names() else Path(name)
    # A .npy array comes as it is, in its own dtype; an image is normalised as the network asks.
    loaded, _ = load_input(path, shape, net.name, normalize=net.summary().normalize)
    if loaded.shape != tuple(shape):
        raise CnntuiError("input_shape", got=shape_text(loaded.shape), name=net.name, want=shape_text(shape))
    x = np.asarray(loaded, dtype=np.float32)
    if path.suffix.lower() == ".npy":
        return x, InputNote("array", shape_text(x.shape), path.name, dtype=str(loaded.dtype))
    return x, InputNote("image", shape_text(shape), path.name, image_size(path))


def image_size(path: Path) -> str:
    """An image's own size and mode (Pillow reads just the header), to say what it was converted from."""
    with Image.open(path) as image:
        return f"{image.width}x{image.height} {image.mode}"


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
        return self.result.layer_label(self.t, self.look.layer)

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
        """The numbers first (window, kernel, products, sums), then both maps with the window outlined."""
        t, result, look = self.t, self.result, self.look
        row, col = look.cursor
        heading = t("view.step.title", layer=self.layer_name(), channel=look.channel, row=row, col=col)
        if look.layer == INPUT:
            return wrapped_rows(t("view.step.input"), width), heading
        layer_index = result.step_layer(look.layer)
        layer = result.net.layers[layer_index]
        source = result.layer_input(layer_index)
        out = result.outputs[look.layer]
        if layer.type not in ("conv2d", "maxpool2d", "avgpool2d"):
            return wrapped_rows(self.simple_step(layer, source, out, row, col), width), heading
        params = result.net.step_params(layer_index)
        step = layer.step(source, params, look.channel, row, col)
        if layer.type == "conv2d":
            # look.in_channel counts the filter's own channels; with groups they start past channel 0.
            shown_in = step.channels[min(look.in_channel, len(step.channels) - 1)]
            rows = conv_step_rows(t, step, shown_in, self.pal, width)
            if len(step.channels) > 1:
                rows[:0] = wrapped_rows(t("view.step.in_channel", channel=look.in_channel, count=len(step.channels)),
                                        width, "dim")
        else:
            shown_in = look.channel
            rows = pool_step_rows(t, step, layer.type, self.pal, width)
        rows += self.activation_rows(layer_index, step.value, out, row, col, width)
        window = Rect(int(step.rows.min()), int(step.cols.min()), int(step.rows.max()) + 1, int(step.cols.max()) + 1)
        room = max(8, height - 3)  # as large as a screenful: the panel scrolls down to them
        read = result.net.summary()[layer_index].sources[0]
        blocks = [self.thumb_block(t("view.step.source", name=result.layer_label(t, read), channel=shown_in),
                                   source[shown_in], (width - 2) // 2, room, [window]),
                  self.thumb_block(t("view.step.target", name=self.layer_name(), channel=look.channel),
                                   out[look.channel], (width - 2) // 2, room, [Rect(row, col, row + 1, col + 1)])]
        return [*rows, [], *flow(blocks, width)], heading

    def activation_rows(self, layer_index: int, value: float, out: np.ndarray, row: int, col: int,
                        width: int) -> list[Row]:
        """After a conv or pool: the activation that turns its value into the shown one, or a pointer to it."""
        t, layers, look = self.t, self.result.net.layers, self.look
        if layer_index != look.layer:
            final = float(out[look.channel, row, col])
            return wrapped_rows(t("view.step.activation", name=layers[look.layer].type, x=number(value).strip(),
                                  y=number(final).strip()), width, "bold")
        if layer_index + 1 < len(layers) and self.result.follows(layer_index + 1, layer_index):
            return wrapped_rows(t("view.step.next", name=self.result.layer_label(t, layer_index + 1)),
                                width, "dim")
        return []

    def simple_step(self, layer, source: np.ndarray, out: np.ndarray, row: int, col: int) -> str:
        """Layers without a window: one sentence with the numbers put in."""
        t, channel = self.t, self.look.channel
        kind = layer.type
        flat_out = out.reshape(-1) if out.ndim == 1 else None
        if out.ndim == 3:
            x_value, y_value = float(source[channel, row, col]), float(out[channel, row, col])
            special = self.map_step(layer, channel, row, col, x_value, y_value)
            if special is not None:
                return special
            if not layer.is_activation:
                return t("view.step.value", name=kind, value=number(y_value).strip())
            return t("view.step.elementwise", name=kind, x=number(x_value).strip(), y=number(y_value).strip())
        unit = col
        y_value = float(flat_out[unit])
        if kind == "linear":
            params = self.result.net.step_params(layer.index)
            weight = params["weight"][unit].astype(float)
            inputs = source.reshape(-1).astype(float)
            terms = weight * inputs
            bias = float(params["bias"][unit]) if "bias" in params else 0.0
            biggest = sorted(range(len(terms)), key=lambda i: -abs(terms[i]))[:6]
            lines = [t("view.step.linear", unit=unit, count=len(terms))]
            lines += [f"  w[{unit},{i}] * x[{i}] = {number(weight[i]).strip()} * {number(inputs[i]).strip()}"
                      f" = {number(terms[i]).strip()}" for i in biggest]
            lines.append(t("view.step.linear_sum", total=number(float(terms.sum())).strip(),
                           bias=number(bias).strip(), value=number(y_value).strip()))
            return "\n".join(lines)
        if kind == "global_avg_pool":
            return t("view.step.gap", channel=unit, size=shape_text(source.shape[1:]),
                     value=number(y_value).strip())
        if kind == "flatten":
            _, h, w = source.shape
            ch, rest = divmod(unit, h * w)
            return t("view.step.flatten", unit=unit, channel=ch, row=rest // w, col=rest % w,
                     value=number(y_value).strip())
        if kind == "softmax":
            return t("view.step.softmax", unit=unit, x=number(float(source.reshape(-1)[unit])).strip(),
                     value=number(y_value).strip())
        if kind == "dropout":
            return t("view.step.dropout", value=number(y_value).strip())
        if not layer.is_activation:
            return t("view.step.value", name=kind, value=number(y_value).strip())
        return t("view.step.elementwise", name=kind, x=number(float(source.reshape(-1)[unit])).strip(),
                 y=number(y_value).strip())

    def map_step(self, layer, channel: int, row: int, col: int, x_value: float, y_value: float) -> str | None:
        """How a residual sum, a concatenation, batch norm, dropout or adaptive pooling gives the value
        at (channel, row, col), with the numbers; None for the layers the general sentence fits."""
        t, result = self.t, self.result
        record = result.net.summary()[layer.index]
        value = number(y_value).strip()
        if record.type == "residual":
            body, shortcut = (float(result.layer_output(source)[channel, row, col]) for source in record.sources)
            activation = layer.settings.get("activation")
            key = "view.step.residual_act" if activation else "view.step.residual"
            return t(key, body=number(body).strip(), shortcut=number(shortcut).strip(),
                     total=number(body + shortcut).strip(), name=activation or "", value=value)
        if record.type == "concat":
            start = 0
            for name, shape in zip(layer.names, record.input_shapes):
                if channel < start + shape[0]:
                    return t("view.step.concat", channel=channel, branch=name, branch_channel=channel - start,
                             count=shape[0], value=value)
                start += shape[0]
        if record.type == "batchnorm2d" and layer.track_running_stats:
            params = result.net.step_params(layer.index)
            weight = float(params["weight"][channel]) if "weight" in params else 1.0
            bias = float(params["bias"][channel]) if "bias" in params else 0.0
            return t("view.step.batchnorm", x=number(x_value).strip(),
                     mean=number(float(params["running_mean"][channel])).strip(),
                     var=number(float(params["running_var"][channel])).strip(), eps=f"{layer.eps:g}",
                     weight=number(weight).strip(), bias=number(bias).strip(), value=value)
        if record.type == "dropout":
            return t("view.step.dropout", value=value)
        if record.type == "adaptive_avg_pool2d":
            (h, w), (oh, ow) = record.input_shape[1:], record.output_shape[1:]
            (tops, bottoms), (lefts, rights) = window_bounds(h, oh), window_bounds(w, ow)
            top, bottom, left, right = int(tops[row]), int(bottoms[row]), int(lefts[col]), int(rights[col])
            return t("view.step.adaptive", channel=channel, rows=f"{top}..{bottom - 1}", cols=f"{left}..{right - 1}",
                     count=(bottom - top) * (right - left), value=value)
        return None

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
    return t("view.status.image", file=note.file, original=note.original, channels=channels, shape=note.shape)
