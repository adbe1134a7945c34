"""View mode: the current network's real feature maps, and one output value worked out by hand.

The left side lists the layers and the prediction; the right side shows a
layer's channels as a grid, one channel large with a cursor, the step-through
at the cursor, or a comparison of activations and poolings. Forward passes
run in a thread worker; a newer request cancels an older one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from ...content import message_text
from ..widgets.chrome import Line, show_if_changed
from ..widgets.picture import PictureView
from ..widgets.table import LayerTable
from .base import ModeScreen
from .dialogs import ChoiceDialog, PromptDialog
from .learn import FIRST_FRAME_GRACE

INPUT = -1
PANELS = ("grid", "map", "step", "compare")
CMAP_CYCLE = ("auto", "grey", "viridis", "diverging")
SCOPE_CYCLE = (None, "map", "layer", "network")
BUSY_AFTER = 0.25  # seconds before a running forward pass is announced
WIDE = 110  # columns from which the layer list stays beside the step-through
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
VIEW_ACTIONS = {"panel", "channel", "in_channel", "choose_weights", "cycle_cmap", "cycle_scope", "export"}


@dataclass(frozen=True)
class Request:
    """Everything a forward pass depends on."""

    spec: dict = field(compare=False)
    spec_id: int
    source: str
    input: str  # a sample name, or a path
    weights: str  # "shipped", "seeded" or "file"
    seed: int
    weights_file: str = ""  # with weights "file": a .npz, e.g. from `cnntui train`
    kernels: tuple[tuple[int, int, str], ...] = ()  # (layer, channel, kernel name) put in by hand


@dataclass
class Result:
    request: Request
    net: object
    x: object
    outputs: list
    note: str
    weights_text: str
    serial: int

    def layer_input(self, layer: int):
        return self.x if layer == 0 else self.outputs[layer - 1]

    def layer_output(self, layer: int):
        return self.x if layer == INPUT else self.outputs[layer]


class MapPane(PictureView, inherit_bindings=False):
    """The picture on the right; arrow keys move the selection instead of scrolling."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", show=False), Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False), Binding("right", "move(0, 1)", show=False),
        Binding("pageup", "scroll_page_up", show=False), Binding("pagedown", "scroll_page_down", show=False),
        Binding("home", "scroll_home", show=False), Binding("end", "scroll_end", show=False),
    ]

    @dataclass
    class Moved(Message):
        rows: int
        cols: int

    def action_move(self, rows: int, cols: int) -> None:
        self.post_message(self.Moved(rows, cols))


def default_sample(channels: int) -> str:
    return "scene" if channels == 3 else "digit-3"


class ViewScreen(ModeScreen):
    mode_name = "view"
    BINDINGS = [
        Binding("g", "panel('grid')", "Channels", id="view.grid"),
        Binding("enter", "panel('map')", "Map", id="view.map"),
        Binding("s", "panel('step')", "Step", id="view.step"),
        Binding("a", "panel('compare')", "Compare", id="view.compare"),
        Binding("left_square_bracket", "channel(-1)", "Channel -", show=False, id="view.prev"),
        Binding("right_square_bracket", "channel(1)", "Channel +", id="view.next", key_display="[ ]"),
        Binding("left_curly_bracket", "in_channel(-1)", "In-channel -", show=False, id="view.in_prev"),
        Binding("right_curly_bracket", "in_channel(1)", "In-channel +", show=False, id="view.in_next"),
        Binding("i", "choose_input", "Input", id="view.input"),
        Binding("w", "choose_weights", "Weights", id="view.weights"),
        Binding("m", "cycle_cmap", "Colour map", show=False, id="view.cmap"),
        Binding("z", "cycle_scope", "Scale", show=False, id="view.scope"),
        Binding("e", "export", "Export PNG", show=False, id="view.export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: Result | None = None
        self.pending: Request | None = None
        self.problem: str | None = None  # why nothing can be shown (bad network, over budget)
        self.shown_layer = 0
        self.channel = 0
        self.cursor = (0, 0)
        self.in_channel = 0
        self.panel = "grid"
        self.cmap = "auto"
        self.scope: str | None = None
        self.serial = 0
        self._busy_timer = None
        self.pictures: LRUCache[tuple, tuple] = LRUCache(64)  # rows and heading per picture key

    def compose_body(self) -> ComposeResult:
        with Vertical(id="view-side"):
            yield LayerTable(id="view-layers")
            yield Static(id="view-prediction")
        with Vertical(id="view-main"):
            yield Line(id="view-title")
            yield MapPane(id="view-picture")
            yield Line(id="view-status")

    @property
    def drawn(self) -> bool:
        """Maps, or the reason there are none, are on screen (tests and snapshots wait for this)."""
        return self.pending is None and (self.result is not None or self.problem is not None)

    def on_mount(self) -> None:
        for name in ("language", "color_mode", "network"):
            self.watch(self.app, name, self.app_changed, init=False)
        # The engine loads (in the worker) once the first frame is out, so the mode appears at once.
        self.call_after_refresh(self.set_timer, FIRST_FRAME_GRACE, self.app_changed)
        self.query_one("#view-layers").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.app_changed()
        self.select_requested()

    @on(MapPane.Resized)
    def pane_resized(self) -> None:
        self.redraw()

    def select_requested(self) -> None:
        requested = self.app.requested_layer
        if requested and "layer" in requested and self.result is not None and self.app.current_mode == "view":
            self.app.requested_layer = None
            self.select_layer(min(int(requested["layer"]), len(self.result.outputs) - 1))

    # -- forward passes -----------------------------------------------------------------

    def app_changed(self, *_) -> None:
        if self.app.screen is not self:
            return  # caught up when shown again: no forward passes for each edit made in Build
        network = self.app.network
        old = self.pending or (self.result.request if self.result else None)
        trained = self.app.trained_weights
        if trained is not None and trained[0] == id(network.spec):
            self.app.trained_weights = None  # Train's "open in View": its weights, on the input shown now
            same = old is not None and old.spec_id == id(network.spec)
            channels = network.spec["input"][0]
            self.request(Request(network.spec, id(network.spec), network.source,
                                 old.input if same else default_sample(channels), "file", 0, trained[1]))
            return
        if old is not None and old.spec_id == id(network.spec):
            self.redraw()
            return
        channels = network.spec.get("input", [1])[0] if isinstance(network.spec.get("input"), list) else 1
        self.request(Request(network.spec, id(network.spec), network.source, default_sample(channels),
                             "shipped", 0))

    def request(self, request: Request) -> None:
        self.pending = request
        self.serial += 1
        if self._busy_timer is not None:
            self._busy_timer.stop()
        self._busy_timer = self.set_timer(BUSY_AFTER, self.show_busy)
        self.forward(request, self.serial)

    def show_busy(self) -> None:
        if self.pending is not None:
            self.query_one("#view-status", Line).content = self.app.t("view.busy")

    @work(thread=True, exclusive=True, group="view-forward")
    def forward(self, request: Request, serial: int) -> None:
        from ...core import CnntuiError

        worker = get_current_worker()
        try:
            result = compute(request, serial, worker)
        except CnntuiError as error:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.forward_failed, request, error)
            return
        except MemoryError:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.forward_failed, request, None)
            return
        if result is not None and not worker.is_cancelled:
            self.app.call_from_thread(self.forward_done, result)

    def forward_done(self, result: Result) -> None:
        if result.serial != self.serial:
            return  # a newer request is on its way
        self.pending = None
        new_network = self.result is None or self.result.request.spec_id != result.request.spec_id
        self.result, self.problem = result, None
        if new_network:
            self.shown_layer, self.channel, self.cursor, self.in_channel = self.first_layer(), 0, (0, 0), 0
            self.panel = "grid"
        self.fill_layers()
        self.clamp()
        self.select_requested()
        self.redraw()
        self.refresh_bindings()  # the keys that need maps now work

    def forward_failed(self, request: Request, error) -> None:
        if self.serial and self.pending is not request:
            return
        self.pending = None
        text = self.error_text(error) if error is not None else self.app.t("view.no_memory")
        same_network = self.result is not None and self.result.request.spec_id == request.spec_id
        if same_network:
            # A bad image or weights choice: say why and keep what was shown.
            self.app.notify(text, severity="error", timeout=8)
        else:
            self.result, self.problem = None, text
            self.fill_layers()
            self.refresh_bindings()
        self.redraw()

    def error_text(self, error) -> str:
        """An engine error in the app's language; a network's every problem, one per line."""
        problems = getattr(error, "problems", [error])
        return "\n".join(getattr(p, "where", "") + message_text(self.app.language, p.message) for p in problems)

    def first_layer(self) -> int:
        """The first layer with feature maps: what a student wants to see first."""
        outputs = self.result.outputs
        return next((i for i, out in enumerate(outputs) if out.ndim == 3), 0)

    # -- state ----------------------------------------------------------------------------

    def maps(self):
        from ...render.features import as_maps

        return as_maps(self.result.layer_output(self.shown_layer))

    def clamp(self) -> None:
        if self.result is None:
            return
        maps = self.maps()
        self.channel = max(0, min(self.channel, len(maps) - 1))
        row, col = self.cursor
        self.cursor = (max(0, min(row, maps.shape[1] - 1)), max(0, min(col, maps.shape[2] - 1)))
        fan_in = self.step_source_channels()
        self.in_channel = max(0, min(self.in_channel, fan_in - 1)) if fan_in else 0

    def step_layer(self) -> int:
        """The layer whose computation the step-through shows: an activation shows the conv before it."""
        net = self.result.net
        if self.shown_layer > 0 and net.layers[self.shown_layer].type in ACTIVATIONS and net.layers[self.shown_layer - 1].type == "conv2d":
            return self.shown_layer - 1
        return self.shown_layer

    def step_source_channels(self) -> int:
        if self.result is None or self.shown_layer == INPUT:
            return 0
        layer = self.step_layer()
        source = self.result.layer_input(layer)
        return source.shape[0] if self.result.net.layers[layer].type == "conv2d" else 0

    def select_layer(self, layer: int) -> None:
        self.query_one("#view-layers", LayerTable).move_cursor(layer + 1)

    @on(LayerTable.Highlighted)
    def layer_highlighted(self, event: LayerTable.Highlighted) -> None:
        if self.result is None:
            return
        layer = event.row - 1
        if layer != self.shown_layer:
            self.shown_layer = layer
            self.clamp()
            self.redraw()

    @on(LayerTable.Selected)
    def layer_chosen(self) -> None:
        self.query_one("#view-picture").focus()

    @on(MapPane.Moved)
    def moved(self, event: MapPane.Moved) -> None:
        if self.result is None:
            return
        maps = self.maps()
        if self.panel == "grid":
            step = event.rows * getattr(self, "grid_per_row", 1) + event.cols
            self.channel = max(0, min(self.channel + step, len(maps) - 1))
        else:
            row, col = self.cursor
            self.cursor = (max(0, min(row + event.rows, maps.shape[1] - 1)),
                           max(0, min(col + event.cols, maps.shape[2] - 1)))
        self.redraw()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """View's keys do nothing until there are maps to look at; hide them from the key bar till then."""
        if action in VIEW_ACTIONS and self.result is None:
            return False
        return not (action == "in_channel" and not self.step_source_channels())

    def action_panel(self, panel: str) -> None:
        if self.result is None:
            return
        if panel == "map" and self.panel == "map" and self.focused is not self.query_one("#view-picture"):
            self.query_one("#view-picture").focus()
        self.panel = panel
        if panel != "grid":
            self.query_one("#view-picture").focus()
        self.redraw()

    def action_channel(self, step: int) -> None:
        if self.result is not None:
            self.channel = (self.channel + step) % len(self.maps())
            self.clamp()
            self.redraw()

    def action_in_channel(self, step: int) -> None:
        count = self.step_source_channels()
        if count:
            self.in_channel = (self.in_channel + step) % count
            self.redraw()

    def action_cycle_cmap(self) -> None:
        self.cmap = CMAP_CYCLE[(CMAP_CYCLE.index(self.cmap) + 1) % len(CMAP_CYCLE)]
        self.app.notify(self.app.t("view.cmap.now", cmap=self.app.t(f"view.cmap.{self.cmap}")), timeout=2)
        self.redraw()

    def action_cycle_scope(self) -> None:
        self.scope = SCOPE_CYCLE[(SCOPE_CYCLE.index(self.scope) + 1) % len(SCOPE_CYCLE)]
        self.app.notify(self.app.t("view.scope.now", scope=self.app.t(f"view.scope.{self.scope or 'auto'}")),
                        timeout=2)
        self.redraw()

    def leave_field(self) -> bool:
        """Escape steps back: from a detail panel to the grid, from the grid to the layer list."""
        if self.result is None:
            return False
        if self.panel != "grid":
            self.panel = "grid"
            self.redraw()
            return True
        if self.focused is self.query_one("#view-picture"):
            self.query_one("#view-layers").focus()
            return True
        return False

    # -- input and weights ---------------------------------------------------------------

    def action_choose_input(self) -> None:
        from ...core.assets import sample_names

        t = self.app.t
        choices = [(name, name) for name in sample_names()] + [("", t("view.input.file"))]

        def chosen(name: str | None) -> None:
            if name is None:
                return
            if name:
                self.with_request(input=name)
                return
            self.app.push_screen(PromptDialog(t("view.input.path"), "", t("view.input.path.hint"),
                                              check=self.file_problem),
                                 lambda path: path and self.with_request(input=str(Path(path).expanduser())))

        self.app.push_screen(ChoiceDialog(t("view.input.title"), choices, t("view.input.hint")), chosen)

    def file_problem(self, text: str) -> str | None:
        """What is wrong with a typed file path, while it is typed; None when a file is there."""
        t = self.app.t
        path = Path(text.strip()).expanduser()
        if not text.strip():
            return t("view.input.path.empty")
        return None if path.is_file() else t("view.input.path.missing", path=str(path))

    def with_request(self, **changes) -> None:
        base = self.pending or (self.result.request if self.result else None)
        if base is not None:
            self.request(replace(base, **changes))

    def action_choose_weights(self) -> None:
        if self.result is None:
            return
        t, request, net = self.app.t, self.result.request, self.result.net
        choices = []
        if net.shipped_weights is not None:
            choices.append(("shipped", t("view.weights.shipped")))
        choices += [("seeded", t("view.weights.seeded", seed=request.seed)),
                    ("reseed", t("view.weights.reseed", seed=request.seed + 1)),
                    ("file", t("view.weights.file"))]
        conv = self.kernel_target()
        if conv is not None:
            choices.append(("kernel", t("view.weights.kernel", layer=conv, channel=self.channel)))
        if request.kernels:
            choices.append(("clear", t("view.weights.clear", count=len(request.kernels))))

        def chosen(choice: str | None) -> None:
            if choice == "shipped":
                self.with_request(weights="shipped", kernels=())
            elif choice == "seeded":
                self.with_request(weights="seeded", kernels=())
            elif choice == "reseed":
                self.with_request(weights="seeded", seed=request.seed + 1, kernels=())
            elif choice == "clear":
                self.with_request(kernels=())
            elif choice == "file":
                self.app.push_screen(PromptDialog(t("view.weights.path"), request.weights_file,
                                                  t("view.weights.path.hint"), check=self.file_problem),
                                     lambda path: path and self.with_request(
                                         weights="file", weights_file=str(Path(path.strip()).expanduser()),
                                         kernels=()))
            elif choice == "kernel":
                self.choose_kernel(conv)

        self.app.push_screen(ChoiceDialog(t("view.weights.title"), choices, t("view.weights.hint")), chosen)

    def kernel_target(self) -> int | None:
        """The conv layer a classic kernel would go into: the selected one, or the conv an activation follows."""
        if self.shown_layer == INPUT:
            return None
        layer = self.step_layer()
        return layer if self.result.net.layers[layer].type == "conv2d" else None

    def choose_kernel(self, layer: int) -> None:
        from ...core.kernels import CLASSIC_KERNELS

        t = self.app.t
        choices = [(name, f"{name:<10} {t(f'view.kernel.{name}')}") for name in CLASSIC_KERNELS]

        def chosen(name: str | None) -> None:
            if name:
                kernels = tuple(k for k in self.result.request.kernels if k[:2] != (layer, self.channel))
                self.with_request(kernels=(*kernels, (layer, self.channel, name)))

        self.app.push_screen(ChoiceDialog(t("view.kernel.title", layer=layer, channel=self.channel), choices,
                                          t("view.kernel.hint")), chosen)

    # -- export ----------------------------------------------------------------------------

    def action_export(self) -> None:
        if self.result is None:
            return
        t = self.app.t
        net_name = self.result.net.name
        what = "input" if self.shown_layer == INPUT else f"layer{self.shown_layer}"
        suffix = "" if self.panel == "grid" else f"-c{self.channel}"
        default = f"cnntui-{net_name}-{what}{suffix}.png"
        self.app.push_screen(PromptDialog(t("view.export.title"), default, t("view.export.hint")), self.export_to)

    def export_to(self, path: str | None) -> None:
        """The grid or the channel on screen, one pixel per value scaled up to about 256 pixels;
        for the input, the image itself as the network sees it."""
        from ...core import CnntuiError
        from ...images import save_input_png, save_map_png

        if not path:
            return
        target = Path(path.strip()).expanduser()
        maps = self.maps()
        factor = max(1, 256 // max(maps.shape[1:]))
        try:
            if self.shown_layer == INPUT and self.panel == "grid" and len(maps) in (1, 3):
                save_input_png(self.result.x, target, factor=factor)
            elif self.panel == "grid":
                cmap, scales, _ = self.colouring()
                save_map_png(maps, scales, cmap, target, factor=factor, per_row=getattr(self, "grid_per_row", None))
            else:
                cmap, scales, _ = self.colouring()
                save_map_png(maps[self.channel], scales[self.channel], cmap, target, factor=factor)
        except CnntuiError as error:
            self.app.notify(self.error_text(error), severity="error", timeout=8)
            return
        self.app.notify(self.app.t("view.export.done", path=str(target)), timeout=5)

    # -- drawing ------------------------------------------------------------------------------

    def fill_layers(self) -> None:
        t = self.app.t
        table = self.query_one("#view-layers", LayerTable)
        if self.result is None:
            table.set_rows(["#", t("view.col.layer"), t("view.col.output")], [], set())
            return
        x, net = self.result.x, self.result.net
        rows = [("", t("view.input"), "x".join(map(str, x.shape)))]
        rows += [(str(i), layer.type, "x".join(map(str, out.shape)))
                 for i, (layer, out) in enumerate(zip(net.layers, self.result.outputs))]
        table.set_rows(["#", t("view.col.layer"), t("view.col.output")], rows, set())
        if table.cursor != self.shown_layer + 1:
            table.move_cursor(self.shown_layer + 1)

    def colouring(self):
        """(colour map, one Scale per channel, scope) for the selected layer."""
        from ...render.features import colouring

        result = self.result
        channel = None if self.panel == "grid" else self.channel
        colours = colouring(result.x, result.outputs, self.shown_layer, channel, cmap=self.cmap, scope=self.scope)
        return colours.cmap, colours.scales, colours.scope

    def redraw(self, *_) -> None:
        if not self.is_mounted:
            return
        title, status = self.query_one("#view-title", Line), self.query_one("#view-status", Line)
        picture = self.query_one("#view-picture", MapPane)
        self.fill_prediction()
        # On a narrow terminal the step-through and the comparison take the whole width.
        narrow = self.app.terminal_size.width < WIDE
        self.query_one("#body").set_class(narrow and self.result is not None and self.panel in ("step", "compare"),
                                          "-full")
        width, height = picture.size.width - 1, picture.size.height
        if self.result is None:
            title.content = self.app.t("mode.view")
            status.content = self.app.t("view.problem.hint") if self.problem else self.app.t("view.loading")
            if self.problem is None:
                return  # nothing to draw yet, and the renderer (NumPy) need not load before the first frame
            import textwrap

            from ...render.picture import Label

            text = self.problem
            lines = [wrapped for line in text.split("\n") for wrapped in textwrap.wrap(line, max(width, 20))]
            picture.show(("problem", text, width), [[Label(line)] for line in lines])
            return
        key = (self.result.serial, self.panel, self.shown_layer, self.channel, self.cursor, self.in_channel, self.cmap,
               self.scope, self.app.color_mode, self.app.ascii_only, self.app.language, width, height)
        if key != picture.key:
            built = self.pictures.get(key)
            if built is None:
                built = self.pictures[key] = self.panel_rows(width, max(height, 4))
            rows, title.content = built
            picture.show(key, rows)
        status.content = self.status_text()
        self.app.view_state = {"network": self.result.net.name, "layer": self.shown_layer, "channel": self.channel,
                               "panel": self.panel, "kernels": [list(k) for k in self.result.request.kernels]}

    def panel_rows(self, width: int, height: int):
        from ...render.colormap import palette

        cmap, scales, scope = self.colouring()
        pal = palette(cmap, self.app.color_mode)
        ramp = self.app.ascii_only or self.app.color_mode == "none"
        builder = {"grid": self.grid_rows, "map": self.map_rows, "step": self.step_rows,
                   "compare": self.compare_rows}[self.panel]
        return builder(width, height, cmap, scales, scope, pal, ramp)

    def layer_name(self) -> str:
        return self.layer_label(self.shown_layer)

    def scope_note(self, cmap: str, scope: str) -> str:
        t = self.app.t
        return t("view.legend", cmap=t(f"view.cmap.{cmap}"), scope=t(f"view.scope.{scope}"))

    def grid_rows(self, width, height, cmap, scales, scope, pal, ramp):
        from ...render.features import thumbnail_width
        from ...render.picture import grid_per_row, grid_rows

        maps = self.maps()
        thumb = thumbnail_width(maps.shape, width)
        self.grid_per_row = grid_per_row(thumb, width)
        rows = grid_rows(maps, scales, pal, columns=width, thumb=thumb, ramp=ramp, selected=self.channel)
        rows.append(self.legend(scales[self.channel], pal, ramp, cmap, scope, width))
        if self.shown_layer == INPUT and len(maps) == 3:
            rows = [*self.colour_image_rows(width, height, ramp), [], *rows]
        heading = self.app.t("view.grid.title", layer=self.layer_name(), shape="x".join(map(str, maps.shape)),
                             channel=self.channel, count=len(maps))
        return rows, heading

    def colour_image_rows(self, width: int, height: int, ramp: bool):
        """An RGB input as the eye sees it, above its three channels."""
        from ...render.picture import Label, rgb_rows

        picture = rgb_rows(self.result.x, self.app.color_mode, columns=min(width, 2 * self.result.x.shape[2]),
                           rows=max(4, height // 2 - 1), ramp=ramp)
        return [[Label(self.app.t("view.input.colour"), "bold")], *picture]

    def map_rows(self, width, height, cmap, scales, scope, pal, ramp):
        from ...render.panels import Label, flow, number, stats_text
        from ...render.picture import Rect, map_rows, row_width

        maps = self.maps()
        values = maps[self.channel]
        row, col = self.cursor
        t = self.app.t
        kernel_block = self.kernel_block(pal)
        kernel_width = max((row_width(r) for r in kernel_block), default=0)
        # The kernel goes beside the map when the map can still be drawn at full size; else below it.
        map_width = width - kernel_width - 2 if kernel_block and width - kernel_width - 2 >= values.shape[1] else width
        picture, _ = map_rows(values, scales[self.channel], pal, columns=map_width, rows=max(height - 3, 3),
                              ramp=ramp, marks=[Rect(row, col, row + 1, col + 1)])
        value = float(values[row, col])
        rows = [[Label(t("view.readout", row=row, col=col, value=number(value).strip()) + self.class_word(col),
                       "bold")],
                [Label(stats_text(t, values))],
                *flow([picture, kernel_block] if kernel_block else [picture], width),
                self.legend(scales[self.channel], pal, ramp, cmap, scope, width)]
        heading = t("view.map.title", layer=self.layer_name(), channel=self.channel, count=len(maps))
        return rows, heading

    def legend(self, scale, pal, ramp: bool, cmap: str, scope: str, width: int):
        from ...render.picture import legend_row

        return legend_row(scale, pal, min(20, max(width - 34, 6)), ramp, self.scope_note(cmap, scope), fit=width)

    def class_word(self, col: int) -> str:
        """At the last layer, a neuron's class name."""
        classes = self.result.net.classes
        if classes and self.shown_layer == len(self.result.outputs) - 1 and col < len(classes):
            return f"  ({classes[col]})"
        return ""

    def kernel_block(self, pal):
        """The selected filter's weights for one input channel, as a heat table; [] where there is no kernel."""
        from ...render.panels import heat_table
        from ...render.picture import Scale

        layer = self.kernel_target()
        if layer is None:
            return []
        weight = self.result.net.weights[f"{layer}.weight"][self.channel, self.in_channel]
        title = self.app.t("view.kernel.heading", channel=self.channel, in_channel=self.in_channel,
                           count=self.step_source_channels())
        return heat_table(weight, Scale.of(weight, diverging=True), pal, title=title)

    def step_rows(self, width, height, cmap, scales, scope, pal, ramp):
        """The numbers first (window, kernel, products, sums), then both maps with the window outlined."""
        from ...render.panels import conv_step_rows, flow, pool_step_rows, text_rows
        from ...render.picture import Label, Rect

        t, result = self.app.t, self.result
        row, col = self.cursor
        heading = t("view.step.title", layer=self.layer_name(), channel=self.channel, row=row, col=col)
        if self.shown_layer == INPUT:
            return text_rows(t("view.step.input").split("\n")), heading
        layer_index = self.step_layer()
        layer = result.net.layers[layer_index]
        source = result.layer_input(layer_index)
        out = result.outputs[self.shown_layer]
        if layer.type not in ("conv2d", "maxpool2d", "avgpool2d"):
            return text_rows(self.simple_step(layer, source, out, row, col).split("\n")), heading
        params = {kind: result.net.weights[f"{layer_index}.{kind}"] for kind in ("weight", "bias")
                  if f"{layer_index}.{kind}" in result.net.weights}
        step = layer.step(source, params, self.channel, row, col)
        if layer.type == "conv2d":
            rows = conv_step_rows(t, step, self.in_channel, pal, width)
            if len(step.channels) > 1:
                rows.insert(0, [Label(t("view.step.in_channel", channel=self.in_channel, count=len(step.channels)),
                                      "dim")])
        else:
            rows = pool_step_rows(t, step, layer.type, pal, width)
        rows += self.activation_rows(layer_index, step.value, out, row, col)
        shown_in = self.in_channel if layer.type == "conv2d" else self.channel
        window = Rect(int(step.rows.min()), int(step.cols.min()), int(step.rows.max()) + 1, int(step.cols.max()) + 1)
        room = max(5, height - len(rows) - 3)
        blocks = [self.thumb_block(t("view.step.source", name=self.layer_label(layer_index - 1), channel=shown_in),
                                   source[shown_in], cmap, (width - 2) // 2, room, [window]),
                  self.thumb_block(t("view.step.target", name=self.layer_name(), channel=self.channel),
                                   out[self.channel], cmap, (width - 2) // 2, room, [Rect(row, col, row + 1, col + 1)])]
        return [*rows, [], *flow(blocks, width)], heading

    def activation_rows(self, layer_index: int, value: float, out, row: int, col: int):
        """After a conv or pool: the activation that turns its value into the shown one, or a pointer to it."""
        from ...render.panels import number
        from ...render.picture import Label

        t, layers = self.app.t, self.result.net.layers
        if layer_index != self.shown_layer:
            final = float(out[self.channel, row, col])
            return [[Label(t("view.step.activation", name=layers[self.shown_layer].type, x=number(value).strip(),
                                 y=number(final).strip()), "bold")]]
        if layer_index + 1 < len(layers) and layers[layer_index + 1].type in ACTIVATIONS:
            return [[Label(t("view.step.next", name=layers[layer_index + 1].type, index=layer_index + 1), "dim")]]
        return []

    def layer_label(self, index: int) -> str:
        return self.app.t("view.input") if index == INPUT else f"{self.result.net.layers[index].type}:{index}"

    def thumb_block(self, title: str, values, cmap: str, columns: int, rows: int, marks=(), caption: str = ""):
        """A titled map in its own colour scale, as large as fits without uneven scaling."""
        from ...render.colormap import palette
        from ...render.features import thumbnail_width
        from ...render.picture import Label, map_rows

        size = min(thumbnail_width((1, *values.shape), columns), columns)
        picture, _ = map_rows(values, self.own_scale(values, cmap),
                              palette(self.own_cmap(values, cmap), self.app.color_mode), columns=size, rows=rows,
                              ramp=self.app.ascii_only or self.app.color_mode == "none", marks=marks)
        block = [[Label(title[:columns], "bold")], *picture]
        if caption:
            block.append([Label(caption[:columns], "dim")])
        return block

    def simple_step(self, layer, source, out, row, col) -> str:
        """Layers without a window: one sentence with the numbers put in."""
        from ...render.panels import number

        t = self.app.t
        kind = layer.type
        flat_out = out.reshape(-1) if out.ndim == 1 else None
        if out.ndim == 3:
            x_value, y_value = float(source[self.channel, row, col]), float(out[self.channel, row, col])
            return t("view.step.elementwise", name=kind, x=number(x_value).strip(), y=number(y_value).strip())
        unit = col
        y_value = float(flat_out[unit])
        if kind == "linear":
            weight = self.result.net.weights[f"{layer.index}.weight"][unit].astype(float)
            inputs = source.reshape(-1).astype(float)
            terms = weight * inputs
            bias = float(self.result.net.weights.get(f"{layer.index}.bias", [0.0] * (unit + 1))[unit])
            biggest = sorted(range(len(terms)), key=lambda i: -abs(terms[i]))[:6]
            lines = [t("view.step.linear", unit=unit, count=len(terms))]
            lines += [f"  w[{unit},{i}] * x[{i}] = {number(weight[i]).strip()} * {number(inputs[i]).strip()}"
                      f" = {number(terms[i]).strip()}" for i in biggest]
            lines.append(t("view.step.linear_sum", total=number(float(terms.sum())).strip(),
                           bias=number(bias).strip(), value=number(y_value).strip()))
            return "\n".join(lines)
        if kind == "global_avg_pool":
            return t("view.step.gap", channel=unit, size="x".join(map(str, source.shape[1:])),
                     value=number(y_value).strip())
        if kind == "flatten":
            _, h, w = source.shape
            ch, rest = divmod(unit, h * w)
            return t("view.step.flatten", unit=unit, channel=ch, row=rest // w, col=rest % w,
                     value=number(y_value).strip())
        if kind == "softmax":
            return t("view.step.softmax", unit=unit, x=number(float(source.reshape(-1)[unit])).strip(),
                     value=f"{y_value:.4f}")
        return t("view.step.elementwise", name=kind, x=number(float(source.reshape(-1)[unit])).strip(),
                 y=number(y_value).strip())

    def own_cmap(self, values, cmap: str) -> str:
        from ...render.features import resolve_cmap

        return resolve_cmap(self.cmap, [values]) if self.cmap == "auto" else cmap

    def own_scale(self, values, cmap: str):
        from ...render.features import scale_of

        return scale_of([values], self.own_cmap(values, cmap))

    def compare_rows(self, width, height, cmap, scales, scope, pal, ramp):
        """The selected map before and after each activation, and after 2x2 average vs max pooling."""
        from ...core import LAYER_TYPES
        from ...render.panels import flow, number
        from ...render.picture import Label

        t = self.app.t
        heading = t("view.compare.title", layer=self.layer_name(), channel=self.channel)
        maps = self.maps()
        if maps.shape[1] < 2 or maps.shape[2] < 2:
            return [[Label(t("view.compare.vector"))]], heading
        columns, rows = (width - 6) // 4, max(4, (height - 8) // 2)

        def block(title: str, values):
            caption = f"{number(float(values.min())).strip()}..{number(float(values.max())).strip()}"
            return self.thumb_block(title, values, cmap, columns, rows, caption=caption)

        pre = self.pre_activation()
        batch = pre[None, None].astype("float32")
        activated = [block(t("view.compare.pre"), pre)]
        for kind in ("relu", "sigmoid", "tanh"):
            activated.append(block(kind, LAYER_TYPES[kind].parse(0, {"type": kind}).forward(batch, {})[0, 0]))
        shown = maps[self.channel][None, None].astype("float32")
        pooled = [block(t("view.compare.map"), maps[self.channel])]
        for kind in ("avgpool2d", "maxpool2d"):
            layer = LAYER_TYPES[kind].parse(0, {"type": kind, "kernel_size": 2})
            pooled.append(block(f"{kind} 2x2", layer.forward(shown, {})[0, 0]))
        return [[Label(t("view.compare.activations"), "bold underline")], *flow(activated, width), [],
                [Label(t("view.compare.pooling"), "bold underline")], *flow(pooled, width)], heading

    def pre_activation(self):
        """The selected channel before its activation: this layer's input if it is an activation layer."""
        result = self.result
        if self.shown_layer > 0 and result.net.layers[self.shown_layer].type in ACTIVATIONS:
            return result.layer_input(self.shown_layer)[self.channel]
        return self.maps()[self.channel]

    def fill_prediction(self) -> None:
        widget = self.query_one("#view-prediction", Static)
        if self.result is None:
            show_if_changed(widget, "")
            return
        show_if_changed(widget, self.prediction_text())

    def prediction_text(self) -> str:
        import numpy as np

        t, result = self.app.t, self.result
        last = result.outputs[-1]
        if last.ndim != 1:
            return t("view.prediction.none")
        if result.net.layers[-1].type == "softmax":
            probs, heading = last, t("view.prediction")
        else:
            shifted = np.exp(last - last.max())
            probs, heading = shifted / shifted.sum(), t("view.prediction.added")
        classes = result.net.classes or [str(i) for i in range(len(probs))]
        top = np.argsort(-probs)[: 5 if self.app.terminal_size.height >= 30 else 3]
        lines = [heading]
        bar = "#" if self.app.ascii_only else "█"
        names = [classes[index][:8] for index in top]
        name_width = max(len(name) for name in names)
        for name, index in zip(names, top):
            lines.append(f"{name:>{name_width}} {bar * round(probs[index] * 10):<10} {probs[index]:6.1%}")
        return "\n".join(lines)

    def status_text(self) -> str:
        t, result = self.app.t, self.result
        return t("view.status", weights=result.weights_text, input=result.note.split(" (")[0])


def compute(request: Request, serial: int, worker) -> Result | None:
    """Build the network, choose weights, load the input, run it; None if cancelled on the way."""
    import numpy as np

    from ...core import CnntuiError, Network
    from ...core.assets import find_network, find_sample, sample_names
    from ...images import load_image, load_input

    source = None
    if request.source:
        try:
            source = find_network(request.source)
        except CnntuiError:
            source = None
    net = Network.from_dict(request.spec, source=source)
    if request.weights == "file":
        net.load_weights(request.weights_file)
        weights_text = Path(request.weights_file).name
    elif request.weights == "shipped" and net.shipped_weights is not None:
        net.load_weights(net.shipped_weights)
        weights_text = "trained"
    else:
        net.init_weights(request.seed)
        weights_text = f"seed {request.seed}"
    for layer, channel, name in request.kernels:
        net.put_kernel(layer, channel, name)
        weights_text += f", {name} in {layer}/{channel}"
    if worker.is_cancelled:
        return None
    shape = net.input_shape
    if request.input in sample_names():
        if len(shape) == 3 and shape[0] in (1, 3):
            x, note = load_image(find_sample(request.input), shape, net.name)
        else:
            x = np.random.default_rng(0).random(shape, dtype=np.float32)
            note = f"random input {'x'.join(map(str, shape))} (images give 1 or 3 channels)"
    else:
        x, note = load_input(request.input, shape, net.name)
        x = np.asarray(x, dtype=np.float32)
        if x.shape != tuple(shape):
            raise CnntuiError("input_shape", got="x".join(map(str, x.shape)), name=net.name,
                              want="x".join(map(str, shape)))
    outputs = net.forward(x)
    if worker.is_cancelled:
        return None
    return Result(request, net, x, outputs, note, weights_text, serial)
