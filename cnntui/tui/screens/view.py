"""View mode: the current network's real feature maps, and one output value worked out by hand.

The left side lists the layers and the prediction; the right side shows a
layer's channels as a grid, one channel large with a cursor, the step-through
at the cursor, or a comparison of activations and poolings. Forward passes
run in a thread worker; a newer request cancels an older one.

This screen keeps where the student looks (one reactive Place) and the keys;
what a panel shows is built without Textual in ../view_panels.py, the layer
list (a tree whose blocks fold) is view_layers.py's, the forward passes
view_forward.py's, and the input, weights and PNG choices are in view_choices.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region
from textual.reactive import reactive
from textual.widgets import Static

from ..view_tree import INPUT_KEY, Tree, block_label, row_key, visible_key
from ..widgets.chrome import Line, show_if_changed
from ..widgets.map_pane import MapPane
from ..widgets.table import LayerTable
from .base import ModeScreen
from .learn import FIRST_FRAME_GRACE
from .view_choices import ViewChoices
from .view_forward import ViewForward
from .view_layers import TREE_ACTIONS, LayerTree, ViewLayers

if TYPE_CHECKING:
    from pathlib import Path

    from ..view_panels import Result

CMAP_CYCLE = ("auto", "grey", "viridis", "diverging")
SCOPE_CYCLE = (None, "map", "layer", "network")
WIDE = 110  # columns from which the layer list stays beside the step-through
VIEW_ACTIONS = {"panel", "channel", "in_channel", "choose_weights", "cycle_cmap", "cycle_scope", "export",
                "toggle_digits"}


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
    raw: bool = False  # a digits network's image only resized, without the digit preparation


@dataclass(frozen=True)
class Place:
    """Where the student looks: a step (-1 the input), one of its channels, the cursor on it, the
    input channel the step-through shows, and the panel; in the layer list, the row chosen (its
    key: a block's row shows the same step as its last child) and the blocks unfolded. The row
    decides the step."""

    layer: int = 0
    channel: int = 0
    cursor: tuple[int, int] = (0, 0)
    in_channel: int = 0
    panel: str = "grid"
    row: tuple = INPUT_KEY
    unfolded: frozenset = frozenset()


def default_sample(channels: int) -> str:
    return "scene" if channels == 3 else "digit-3"


class ViewScreen(ViewLayers, ViewForward, ViewChoices, ModeScreen):
    mode_name = "view"
    place: reactive[Place] = reactive(Place(), init=False)  # kept inside the maps shown; redraws on change
    # Images for a digits network given raw (only resized): kept across layers, inputs and networks.
    raw_input: reactive[bool] = reactive(False, init=False)
    BINDINGS = [
        Binding("g", "panel('grid')", "Channels", id="view.grid"),
        Binding("enter", "panel('map')", "Map", id="view.map"),
        Binding("s", "panel('step')", "Step", id="view.step"),
        Binding("a", "panel('compare')", "Compare", id="view.compare"),
        Binding("space", "fold", "Fold", id="view.fold"),
        Binding("space", "unfold", "Unfold", id="view.unfold"),
        Binding("left_square_bracket", "channel(-1)", "Channel -", show=False, id="view.prev"),
        Binding("right_square_bracket", "channel(1)", "Channel +", id="view.next", key_display="[ ]"),
        Binding("left_curly_bracket", "in_channel(-1)", "In-channel -", show=False, id="view.in_prev"),
        Binding("right_curly_bracket", "in_channel(1)", "In-channel +", show=False, id="view.in_next"),
        Binding("i", "choose_input", "Input", id="view.input"),
        Binding("w", "choose_weights", "Weights", id="view.weights"),
        Binding("m", "cycle_cmap", "Colour map", show=False, id="view.cmap"),
        Binding("z", "cycle_scope", "Scale", show=False, id="view.scope"),
        Binding("e", "export", "Export PNG", show=False, id="view.export"),
        Binding("r", "toggle_digits", "Digit prep", show=False, id="view.digits"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: Result | None = None
        self.pending: Request | None = None
        self.exported_to: Path | None = None  # saved over again unasked
        self.problem: str | None = None  # why nothing can be shown (bad network, over budget)
        self.shown_place: tuple[str, int] | None = None  # the panel and layer drawn last
        self.cmap = "auto"
        self.scope: str | None = None
        self.serial = 0
        self._busy_timer = None
        self.announced = False  # the running pass has been said on the status line
        self.running: tuple[int, int] | None = None  # (steps done, steps) of the pass under way
        self.pictures: LRUCache[tuple, tuple] = LRUCache(64)  # rows and heading per picture key
        self.trees: LRUCache[frozenset, Tree] = LRUCache(16)  # the layer list per fold state, this result's

    def compose_body(self) -> ComposeResult:
        with Vertical(id="view-side"):
            yield LayerTree(id="view-layers")
            yield Static(id="view-prediction")
        with Vertical(id="view-main"):
            yield Line(id="view-title")
            yield MapPane(id="view-picture")
            yield Static(id="view-status")  # wraps: a long file name must not cut off the rest

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
                                 old.input if same else default_sample(channels), "file", 0, trained[1],
                                 raw=self.raw_input))
            return
        if old is not None and old.spec_id == id(network.spec):
            self.fill_layers()  # in the language now chosen
            self.redraw()
            return
        channels = network.spec.get("input", [1])[0] if isinstance(network.spec.get("input"), list) else 1
        self.request(Request(network.spec, id(network.spec), network.source, default_sample(channels),
                             "shipped", 0, raw=self.raw_input))

    def forward_done(self, result: Result) -> None:
        if result.serial != self.serial:
            return  # a newer request is on its way
        self.pending = None
        new_network = self.result is None or self.result.request.spec_id != result.request.spec_id
        self.result, self.problem = result, None
        self.trees.clear()
        # A new network opens on its first maps; the same one keeps the place, inside the new maps.
        self.place = self.place_of_step(self.first_layer(), Place()) if new_network else self.place
        self.fill_layers()
        self.select_requested()
        self.redraw()
        self.refresh_bindings()  # the keys that need maps now work
        if new_network and result.weights_problem is not None:
            self.say_weights_problem(result)

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
            self.trees.clear()
            self.fill_layers()
            self.refresh_bindings()
        self.redraw()

    def first_layer(self) -> int:
        """The first layer with feature maps: what a student wants to see first."""
        outputs = self.result.outputs
        return next((i for i, out in enumerate(outputs) if out.ndim == 3), 0)

    # -- where the student looks ------------------------------------------------------------

    def validate_place(self, place: Place) -> Place:
        """A row in the list (the folded block's that hides it, if it is folded away), the step it
        shows, and a channel, cursor and input channel that exist in that step."""
        if self.result is None:
            return place
        tree = self.tree(place.unfolded)
        shown_row = visible_key(self.summary, tree, place.row)
        layer = tree.step_at(tree.position(shown_row))
        maps = self.result.maps(layer)
        row, col = place.cursor
        fan_in = self.result.step_source_channels(layer)
        return replace(place, layer=layer, row=shown_row, channel=max(0, min(place.channel, len(maps) - 1)),
                       cursor=(max(0, min(row, maps.shape[1] - 1)), max(0, min(col, maps.shape[2] - 1))),
                       in_channel=max(0, min(place.in_channel, fan_in - 1)) if fan_in else 0)

    def watch_place(self, old: Place, new: Place) -> None:
        if old.unfolded != new.unfolded:
            self.fill_layers()
        else:
            self.show_row()
        if (old.row, old.unfolded) != (new.row, new.unfolded):
            self.refresh_bindings()  # Space folds an unfolded block's row, unfolds a folded one's
        self.redraw()

    def go(self, **changes) -> None:
        """Look somewhere else: ``row`` (a key, see view_tree), ``unfolded``, ``channel``, ``cursor``,
        ``in_channel`` or ``panel``."""
        self.place = replace(self.place, **changes)

    @property
    def summary(self):
        return self.result.net.summary()

    @property
    def shown_layer(self) -> int:
        return self.place.layer

    @property
    def channel(self) -> int:
        return self.place.channel

    @property
    def cursor(self) -> tuple[int, int]:
        return self.place.cursor

    @property
    def in_channel(self) -> int:
        return self.place.in_channel

    @property
    def panel(self) -> str:
        return self.place.panel

    def maps(self):
        return self.result.maps(self.shown_layer)

    def step_source_channels(self) -> int:
        return self.result.step_source_channels(self.shown_layer) if self.result is not None else 0

    @on(LayerTable.Highlighted)
    def layer_highlighted(self, event: LayerTable.Highlighted) -> None:
        table = self.query_one("#view-layers", LayerTable)
        # A move the cursor has gone on from since is dropped: acting on it would pull the cursor back.
        if self.result is not None and event.row == table.cursor and event.row < len(self.tree().rows):
            self.go(row=row_key(self.tree().rows[event.row]))

    @on(LayerTable.Selected)
    def layer_chosen(self) -> None:
        self.query_one("#view-picture").focus()  # Enter on a layer's row (a block's folds, see LayerTree)

    @on(MapPane.Moved)
    def moved(self, event: MapPane.Moved) -> None:
        if self.result is None:
            return
        if self.panel == "grid":
            self.go(channel=self.channel + event.rows * getattr(self, "grid_per_row", 1) + event.cols)
        else:
            row, col = self.cursor
            self.go(cursor=(row + event.rows, col + event.cols))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """View's keys do nothing until there are maps to look at; hide them from the key bar till then."""
        if action in VIEW_ACTIONS and self.result is None:
            return False
        if action in TREE_ACTIONS:
            return self.tree_action_works(action)
        if action == "panel" and parameters[0] == self.panel:
            return False  # the panel shown already: its key would do nothing, and the key bar needs the room
        return not (action == "in_channel" and not self.step_source_channels())

    def action_panel(self, panel: str) -> None:
        if self.result is None:
            return
        if panel != "grid":
            self.query_one("#view-picture").focus()
        self.go(panel=panel)

    def action_channel(self, step: int) -> None:
        if self.result is not None:
            self.go(channel=(self.channel + step) % len(self.maps()))

    def action_in_channel(self, step: int) -> None:
        count = self.step_source_channels()
        if count:
            self.go(in_channel=(self.in_channel + step) % count)

    def action_cycle_cmap(self) -> None:
        self.cmap = CMAP_CYCLE[(CMAP_CYCLE.index(self.cmap) + 1) % len(CMAP_CYCLE)]
        self.app.notify(self.app.t("view.cmap.now", cmap=self.app.t(f"view.cmap.{self.cmap}")), timeout=2)
        self.redraw()

    def action_cycle_scope(self) -> None:
        self.scope = SCOPE_CYCLE[(SCOPE_CYCLE.index(self.scope) + 1) % len(SCOPE_CYCLE)]
        self.app.notify(self.app.t("view.scope.now", scope=self.app.t(f"view.scope.{self.scope or 'auto'}")),
                        timeout=2)
        self.redraw()

    def action_toggle_digits(self) -> None:
        """Give a digits network its image file raw, or prepared as MNIST's digits were, and run again."""
        self.raw_input = not self.raw_input

    def watch_raw_input(self, raw: bool) -> None:
        from ...digit_input import is_digit_network

        t = self.app.t
        said = t("view.digits.raw" if raw else "view.digits.prepared")
        result = self.result
        applies = result is not None and is_digit_network(result.net) and result.input_note.kind == "image" \
            and result.input_note.digit_file
        self.app.notify(said if applies else said + t("view.digits.not_now"), timeout=4)
        self.with_request(raw=raw)

    def leave_field(self) -> bool:
        """Escape steps back: from a detail panel to the grid, from the grid to the layer list."""
        if self.result is None:
            return False
        if self.panel != "grid":
            self.go(panel="grid")
            return True
        if self.is_focused("view-picture"):
            self.query_one("#view-layers").focus()
            return True
        return False

    # -- drawing ------------------------------------------------------------------------------

    def look(self):
        """Where the student looks and how the app draws, for the panel builders."""
        from ..view_panels import Look

        app = self.app
        return Look(self.shown_layer, self.channel, self.cursor, self.in_channel, self.panel, self.cmap, self.scope,
                    app.color_mode, app.ascii_only, block_label(self.shown_row()))

    def colouring(self):
        from ..view_panels import look_colouring

        return look_colouring(self.result, self.look())

    def redraw(self, *_) -> None:
        if not self.is_mounted:
            return
        self.fill_prediction()
        # On a narrow terminal the step-through and the comparison take the whole width.
        narrow = self.app.terminal_size.width < WIDE
        self.query_one("#body").set_class(narrow and self.result is not None and self.panel in ("step", "compare"),
                                          "-full")
        status = self.query_one("#view-status", Static)
        if self.result is None:
            show_if_changed(status, self.app.t("view.problem.hint") if self.problem else self.app.t("view.loading"))
            self.show_problem()
            return
        self.show_panel()
        # Plain text: file names may hold [brackets]. A newer pass under way is said over it.
        busy = self.pending is not None and self.announced
        show_if_changed(status, self.busy_text() if busy else Content(self.status_text()))
        self.app.view_state = {"network": self.result.net.name, "layer": self.shown_layer, "channel": self.channel,
                               "panel": self.panel, "kernels": [list(k) for k in self.result.request.kernels]}

    def show_problem(self) -> None:
        """Why there are no maps (the network's problems, or too big), or nothing while the engine loads."""
        self.query_one("#view-title", Line).content = self.app.t("mode.view")
        if self.problem is None:
            return  # nothing to draw yet, and the renderer (NumPy) need not load before the first frame
        from ...render.panels import wrapped_rows

        picture = self.query_one("#view-picture", MapPane)
        width = picture.size.width - 1
        picture.show(("problem", self.problem, width), wrapped_rows(self.problem, max(width, 20)))

    def show_panel(self) -> None:
        """The panel for the place looked at, built once per key and cached; scrolled to what it selects."""
        picture = self.query_one("#view-picture", MapPane)
        width, height = picture.size.width - 1, picture.size.height
        # What the panel is drawn from: folding the list, or another row showing the same step, is the same key.
        key = (self.result.serial, self.look(), self.app.language, width, height)
        if self.panel == "grid":
            from ..view_panels import grid_columns

            self.grid_per_row = grid_columns(self.maps(), width)  # arrow keys move a row at a time
        if (self.panel, self.shown_layer) != self.shown_place:
            # Another panel or layer starts at its top; its keys differ (the panel's own key goes).
            self.shown_place = (self.panel, self.shown_layer)
            picture.scroll_home(animate=False)
            self.refresh_bindings()
        if key == picture.key:
            return
        built = self.pictures.get(key)
        if built is None:
            built = self.pictures[key] = self.panel_rows(width, max(height, 4))
        rows, self.query_one("#view-title", Line).content, in_sight = built
        picture.show(key, rows)
        if in_sight is not None:  # the selected channel, or the cursor, scrolls into view
            top, bottom = in_sight
            picture.scroll_to_region(Region(0, top, 1, bottom - top + 1), animate=False, x_axis=False)

    def panel_rows(self, width: int, height: int):
        from ..view_panels import Panels

        return Panels(self.result, self.look(), self.app.t).rows(width, height)

    def fill_prediction(self) -> None:
        widget = self.query_one("#view-prediction", Static)
        if self.result is None:
            show_if_changed(widget, "")
            return
        show_if_changed(widget, self.prediction_text())

    def prediction_text(self) -> str:
        from ..view_panels import prediction_text

        top_count = 5 if self.app.terminal_size.height >= 30 else 3
        return prediction_text(self.result, self.app.t, top_count, self.app.ascii_only)

    def status_text(self) -> str:
        from ..view_panels import status_text

        return status_text(self.result, self.app.t)
