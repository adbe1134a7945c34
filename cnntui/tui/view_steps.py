"""View's step-through, without Textual: one output value worked out by hand with the real numbers.

Panels (view_panels.py) hands itself to StepThrough, which reads the result,
the Look and the drawing choices from it. A conv or pool shows its window,
kernel and sums; batch norm, a residual sum and a concatenation their numbers
put into their formula; each then the maps it read and made, the cursor
marked. Every other step is one sentence (or a few) with the numbers put in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..core.analysis import BlockRecord
from ..core.layers.adaptive import window_bounds
from ..core.printable import printable
from ..core.shapes import shape_text
from ..render.features import INPUT
from ..render.panels import conv_step_rows, flow, level_titles, number, pool_step_rows, wrapped_rows
from ..render.picture import Rect, Row

if TYPE_CHECKING:
    from .view_panels import Panels

WINDOWED = ("conv2d", "maxpool2d", "avgpool2d")


class Worked(NamedTuple):
    """A step worked with its numbers: its lines, the value it gives, the maps it read and made
    (title, values, marks), and whether redoing it with the rounded numbers shown gives other digits."""

    lines: list[str]
    value: float
    maps: list[tuple[str, np.ndarray, list]]
    rounded: bool


def figure(value: float) -> str:
    """A number as View prints it, without the padding."""
    return number(float(value)).strip()


def term(value: float) -> str:
    """A number after an operator: negative ones in brackets, "3.98 + (-0.18)"."""
    text = figure(value)
    return f"({text})" if text.startswith("-") else text


def shown(value: float) -> float:
    """The value as the student reads it on screen, to redo a step with."""
    return float(figure(value))


def rounded(checks: list[tuple[float, float]]) -> bool:
    """Whether redoing a step with the numbers as shown gives another last digit than the exact step.
    ``checks``: (the step worked from the shown numbers, the step worked exactly)."""
    return any(figure(from_shown) != figure(exact) for from_shown, exact in checks)


def small_figure(value: float) -> str:
    """A constant such as batch norm's eps in plain decimals (0.00001, never 1e-05), as written in the JSON."""
    return np.format_float_positional(value, trim="-")


class StepThrough:
    """The step-through panel's rows and heading for the Look a Panels holds."""

    def __init__(self, panels: Panels) -> None:
        self.panels = panels
        self.result, self.look, self.t = panels.result, panels.look, panels.t
        self.summary = self.result.net.summary()

    def rows(self, width: int, height: int) -> tuple[list[Row], str]:
        t, result, look = self.t, self.result, self.look
        row, col = look.cursor
        heading = t("view.step.title", layer=self.panels.layer_name(), channel=look.channel, row=row, col=col)
        if look.layer == INPUT:
            return wrapped_rows(t("view.step.input"), width), heading
        step = result.step_layer(look.layer)
        kind = self.summary[step].type
        if kind in WINDOWED:
            return self.window_rows(step, width, height), heading
        worked = {"batchnorm2d": self.batchnorm, "residual": self.residual, "concat": self.concat}.get(kind)
        if worked is not None and result.outputs[step].ndim == 3:
            return self.worked_rows(step, worked(step), width, height), heading
        layer = result.net.layers[step]
        return wrapped_rows(self.simple_step(layer, result.layer_input(step), result.outputs[step], row, col),
                            width), heading

    # -- pieces every worked step shares -------------------------------------------------------

    def worked_rows(self, step: int, worked: Worked, width: int, height: int) -> list[Row]:
        """A worked step's lines, the activation after it, a note where rounding shows, then its maps."""
        rows = [row for line in worked.lines for row in wrapped_rows(line, width)]
        rows += self.activation_rows(step, worked.value, width)
        if worked.rounded:
            rows += wrapped_rows(self.t("view.step.rounded"), width, "dim")
        blocks = [self.map_block(*block, width, height, len(worked.maps)) for block in worked.maps]
        return [*rows, [], *flow(level_titles(blocks), width)]  # maps of one shape: their rows line up

    def map_block(self, title: str, values: np.ndarray, marks: list[Rect], width: int, height: int,
                  count: int) -> list[Row]:
        """One of ``count`` maps side by side, as large as a screenful: the panel scrolls down to them."""
        return self.panels.thumb_block(title, values, (width - 2 * (count - 1)) // count, max(8, height - 3), marks)

    def cursor_mark(self) -> list[Rect]:
        row, col = self.look.cursor
        return [Rect(row, col, row + 1, col + 1)]

    def target_map(self) -> tuple[str, np.ndarray, list[Rect]]:
        """The shown layer's output channel, the cursor on it."""
        look = self.look
        return (self.t("view.step.target", name=self.panels.layer_name(), channel=look.channel),
                self.result.outputs[look.layer][look.channel], self.cursor_mark())

    def step_name(self, index: int) -> str:
        return self.result.layer_label(self.t, index)

    def activation_rows(self, step: int, value: float, width: int) -> list[Row]:
        """After the step shown: the activation that turns its value into the shown one, or a pointer to it."""
        t, result, look = self.t, self.result, self.look
        layers = result.net.layers
        if step != look.layer:
            row, col = look.cursor
            final = float(result.outputs[look.layer][look.channel, row, col])
            return wrapped_rows(t("view.step.activation", name=layers[look.layer].type, x=figure(value),
                                  y=figure(final)), width, "bold")
        if step + 1 < len(layers) and result.follows(step + 1, step):
            return wrapped_rows(t("view.step.next", name=self.step_name(step + 1)), width, "dim")
        return []

    # -- a window over the input: convolution and pooling --------------------------------------

    def window_rows(self, step: int, width: int, height: int) -> list[Row]:
        """The numbers first (window, kernel, products, sums), then both maps with the window outlined."""
        t, result, look = self.t, self.result, self.look
        row, col = look.cursor
        layer = result.net.layers[step]
        source = result.layer_input(step)
        worked = layer.step(source, result.net.step_params(step), look.channel, row, col)
        if layer.type == "conv2d":
            # look.in_channel counts the filter's own channels; with groups they start past channel 0.
            shown_in = worked.channels[min(look.in_channel, len(worked.channels) - 1)]
            rows = [*self.group_rows(layer, source.shape[0], worked.channels, shown_in, width),
                    *conv_step_rows(t, worked, shown_in, self.panels.pal, width, source.shape[1:])]
        else:
            shown_in = look.channel
            rows = pool_step_rows(t, worked, layer.type, self.panels.pal, width, source.shape[1:])
        rows += self.activation_rows(step, worked.value, width)
        window = Rect(int(worked.rows.min()), int(worked.cols.min()), int(worked.rows.max()) + 1,
                      int(worked.cols.max()) + 1)
        read = self.summary[step].sources[0]
        maps = [(t("view.step.source", name=self.step_name(read), channel=shown_in), source[shown_in], [window]),
                self.target_map()]
        return [*rows, [], *flow([self.map_block(*block, width, height, 2) for block in maps], width)]

    def group_rows(self, layer, in_count: int, channels: list[int], shown_in: int, width: int) -> list[Row]:
        """Which input channels the filter reads: all of them, its group's, or (depthwise) its own one."""
        t, channel = self.t, self.look.channel
        if layer.groups == 1:
            if len(channels) == 1:
                return []
            return wrapped_rows(t("view.step.in_channel", channel=shown_in, count=len(channels)), width, "dim")
        if len(channels) == 1:
            return wrapped_rows(t("view.step.depthwise", groups=layer.groups, channel=channel,
                                  in_channel=channels[0]), width, "dim")
        group_text = t("view.step.grouped", groups=layer.groups, channel=channel,
                       group=channels[0] // len(channels), first=channels[0], last=channels[-1],
                       count=len(channels), total=in_count)
        choice = t("view.step.in_group", channel=shown_in, index=channels.index(shown_in), count=len(channels))
        return wrapped_rows(f"{group_text} {choice}", width, "dim")

    # -- batch norm, a residual sum, a concatenation ----------------------------------------------

    def batchnorm(self, step: int) -> Worked:
        """x, the mean and variance (running ones in eval mode), gamma, beta and eps put into the formula."""
        t, result, look = self.t, self.result, self.look
        layer, channel, (row, col) = result.net.layers[step], look.channel, look.cursor
        source, read = result.layer_input(step), self.summary[step].sources[0]
        worked = layer.step(source, result.net.step_params(step), channel, row, col)
        x, mean, var, eps, count = worked.x, worked.mean, worked.var, worked.eps, source.shape[1] * source.shape[2]
        if worked.uses_running_stats:
            stats_key = "view.step.bn.running"
            lines = [t("view.step.bn.intro", channel=channel)]
        else:
            stats_key = "view.step.bn.batch"
            lines = [t("view.step.bn.intro_batch", channel=channel, count=count)]
        lines += [t("view.step.bn.x", x=figure(x), row=row, col=col, name=self.step_name(read)),
                  t(stats_key, mean=figure(mean), var=figure(var), channel=channel, eps=small_figure(eps), count=count)]
        centred, spread = x - mean, float(np.sqrt(var + eps))
        normalised, value = worked.normalised, worked.output
        normalising = f"({figure(x)} - {term(mean)}) / sqrt({figure(var)} + {small_figure(eps)})"
        checks = [(shown(x) - shown(mean), centred), (np.sqrt(shown(var) + eps), spread),
                  (shown(centred) / shown(spread), normalised)]
        if worked.gamma is not None:
            gamma, beta = worked.gamma, worked.beta
            scaling = f" * {term(gamma)} + {term(beta)}"
            lines += [t("view.step.bn.affine", gamma=figure(gamma), beta=figure(beta), channel=channel),
                      "y = (x - mean) / sqrt(var + eps) * gamma + beta", f"  = {normalising}{scaling}",
                      f"  = {figure(centred)} / {figure(spread)}{scaling}", f"  = {figure(normalised)}{scaling}"]
            checks.append((shown(normalised) * shown(gamma) + shown(beta), value))
        else:
            lines += [t("view.step.bn.no_affine"), "y = (x - mean) / sqrt(var + eps)", f"  = {normalising}",
                      f"  = {figure(centred)} / {figure(spread)}"]
        lines.append(f"  = {figure(value)}")
        maps = [(t("view.step.bn.source", name=self.step_name(read), channel=channel), source[channel],
                 self.cursor_mark()), self.target_map()]
        return Worked(lines, value, maps, rounded(checks))

    def residual(self, step: int) -> Worked:
        """Body value + shortcut value = the sum, with the steps the two come from."""
        t, result, look = self.t, self.result, self.look
        record, join = self.summary[step], result.net.layers[step]
        channel, (row, col) = look.channel, look.cursor
        body, shortcut = record.sources
        body_value, shortcut_value = (float(result.layer_output(source)[channel, row, col])
                                      for source in (body, shortcut))
        block_input = self.block_input(record)
        lines = [t("view.step.res.intro", block=printable(record.path))]
        body_key = "view.step.res.body_empty" if body == block_input else "view.step.res.body"
        lines.append(t(body_key, value=figure(body_value), name=self.step_name(body)))
        shortcut_key = "view.step.res.shortcut" if join.has_shortcut else "view.step.res.identity"
        lines.append(t(shortcut_key, value=figure(shortcut_value), name=self.step_name(shortcut)))
        total = body_value + shortcut_value
        value = float(result.outputs[step][channel, row, col])
        # With an activation after the sum, the sum is not the output: the activation line follows.
        summed = figure(total) if join.activation is not None else figure(value)
        lines.append(f"y = body + shortcut = {figure(body_value)} + {term(shortcut_value)} = {summed}")
        if join.activation is not None:
            lines.append(t("view.step.activation", name=join.activation.type, x=figure(total), y=figure(value)))
        marks = self.cursor_mark()
        maps = [(t("view.step.res.body_map", channel=channel), result.layer_output(body)[channel], marks),
                (t("view.step.res.shortcut_map", channel=channel), result.layer_output(shortcut)[channel], marks),
                self.target_map()]
        return Worked(lines, value, maps, rounded([(shown(body_value) + shown(shortcut_value), total)]))

    def block_input(self, record) -> int:
        """The step whose output a block reads (INPUT for the network's input): its first step's source."""
        block = self.summary.record_at(record.address)
        return self.summary[block.first].sources[0] if block.first is not None else INPUT

    def concat(self, step: int) -> Worked:
        """Which output channels come from which branch, and the cursor's channel traced to its branch."""
        t, result, look = self.t, self.result, self.look
        record = self.summary[step]
        channel, (row, col) = look.channel, look.cursor
        lines = [t("view.step.cat.intro", block=printable(record.path), count=record.output_shape[0])]
        start, picked = 0, None
        for position, (source, shape) in enumerate(zip(record.sources, record.input_shapes)):
            end = start + shape[0]
            span = f"{start}" if shape[0] == 1 else f"{start}..{end - 1}"
            lines.append("  " + t("view.step.cat.range", channels=span, branch=self.branch_name(record, position)))
            if start <= channel < end:
                picked = (position, source, channel - start)
            start = end
        position, source, branch_channel = picked
        value = float(result.outputs[step][channel, row, col])
        there = float(result.layer_output(source)[branch_channel, row, col])
        lines.append(t("view.step.cat.pick", channel=channel, number=position, branch_channel=branch_channel,
                       source=figure(there), value=figure(value)))
        maps = [(t("view.step.cat.source_map", number=position, channel=branch_channel),
                 result.layer_output(source)[branch_channel], self.cursor_mark()), self.target_map()]
        return Worked(lines, value, maps, False)

    def branch_name(self, record, position: int) -> str:
        """"branch 1 (inception3a.branch2)": the branch's own path, or its last step's where the branch
        adds no name (SqueezeNet's unnamed Fire branches); an empty branch passes the block's input on."""
        branch = self.summary.record_at((*record.address, "branches", position))
        source = record.sources[position]
        if isinstance(branch, BlockRecord) and branch.first is None:
            return self.t("view.step.cat.identity", number=position, name=self.step_name(source))
        path = branch.path if branch.path != record.path else self.summary[source].path
        return self.t("view.step.cat.branch", number=position, name=printable(path))

    # -- one sentence: activations, linear, pooling to a vector, flatten, softmax, ... --------------

    def simple_step(self, layer, source: np.ndarray, out: np.ndarray, row: int, col: int) -> str:
        """Layers without a window: one sentence with the numbers put in."""
        t, channel = self.t, self.look.channel
        kind = layer.type
        if out.ndim == 3:
            x_value, y_value = float(source[channel, row, col]), float(out[channel, row, col])
            special = self.map_step(layer, row, col, y_value)
            if special is not None:
                return special
            if not layer.is_activation:
                return t("view.step.value", name=kind, value=figure(y_value))
            return t("view.step.elementwise", name=kind, x=figure(x_value), y=figure(y_value))
        unit = col
        y_value = float(out.reshape(-1)[unit])
        if kind == "linear":
            return self.linear_step(layer, source, unit, y_value)
        if kind == "global_avg_pool":
            return t("view.step.gap", channel=unit, size=shape_text(source.shape[1:]), value=figure(y_value))
        if kind == "flatten":
            _, h, w = source.shape
            ch, rest = divmod(unit, h * w)
            return t("view.step.flatten", unit=unit, channel=ch, row=rest // w, col=rest % w, value=figure(y_value))
        if kind == "softmax":
            return t("view.step.softmax", unit=unit, x=figure(source.reshape(-1)[unit]), value=figure(y_value))
        if kind == "dropout":
            return t("view.step.dropout", value=figure(y_value))
        if not layer.is_activation:
            return t("view.step.value", name=kind, value=figure(y_value))
        return t("view.step.elementwise", name=kind, x=figure(source.reshape(-1)[unit]), y=figure(y_value))

    def linear_step(self, layer, source: np.ndarray, unit: int, y_value: float) -> str:
        """A neuron's largest weighted inputs, then the sum of them all plus the bias."""
        t = self.t
        params = self.result.net.step_params(layer.index)
        weight = params["weight"][unit].astype(float)
        inputs = source.reshape(-1).astype(float)
        terms = weight * inputs
        bias = float(params["bias"][unit]) if "bias" in params else 0.0
        biggest = sorted(range(len(terms)), key=lambda i: -abs(terms[i]))[:6]
        lines = [t("view.step.linear", unit=unit, count=len(terms))]
        lines += [f"  w[{unit},{i}] * x[{i}] = {figure(weight[i])} * {figure(inputs[i])} = {figure(terms[i])}"
                  for i in biggest]
        lines.append(t("view.step.linear_sum", total=figure(terms.sum()), bias=figure(bias), value=figure(y_value)))
        return "\n".join(lines)

    def map_step(self, layer, row: int, col: int, y_value: float) -> str | None:
        """How a map's value comes from dropout or adaptive pooling; None for the layers the general
        sentence fits."""
        t, channel = self.t, self.look.channel
        record = self.summary[layer.index]
        value = figure(y_value)
        if record.type == "dropout":
            return t("view.step.dropout", value=value)
        if record.type == "adaptive_avg_pool2d":
            (h, w), (oh, ow) = record.input_shape[1:], record.output_shape[1:]
            (tops, bottoms), (lefts, rights) = window_bounds(h, oh), window_bounds(w, ow)
            top, bottom, left, right = int(tops[row]), int(bottoms[row]), int(lefts[col]), int(rights[col])
            return t("view.step.adaptive", channel=channel, rows=f"{top}..{bottom - 1}", cols=f"{left}..{right - 1}",
                     count=(bottom - top) * (right - left), value=value)
        return None
