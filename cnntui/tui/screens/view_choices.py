"""View mode's choices: the input image, the weights (a classic kernel too), and saving a picture as PNG.

A mixin for ViewScreen, which gives it ``result``, ``pending``, ``request()``, the
selection (``shown_layer``, ``channel``, ``panel``), ``maps()``, ``colouring()``,
``grid_per_row``, ``error_text()`` and ``exported_to`` (the last picture saved).
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import partial
from pathlib import Path

from .dialogs import ChoiceDialog, PromptDialog
from .saving import file_stem, write_checked

INPUT = -1


class ViewChoices:
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
        """What is wrong with a typed file path, while it is typed; None when a readable file is there.
        A pipe, a device or a folder is named as what it is (core.reading), and never opened to wait."""
        from ...content import message_text
        from ...core.errors import CnntuiError
        from ...core.reading import open_regular

        t = self.app.t
        path = Path(text.strip()).expanduser()
        if not text.strip():
            return t("view.input.path.empty")
        if not os.path.lexists(path):
            return t("view.input.path.missing", path=str(path))
        try:
            with open_regular(path):
                return None
        except CnntuiError as error:
            return message_text(self.app.language, error.message)

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
        return self.result.kernel_target(self.shown_layer)

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
        default = f"cnntui-{file_stem(net_name)}-{what}{suffix}.png"
        self.app.push_screen(PromptDialog(t("view.export.title"), default, t("view.export.hint")), self.export_to)

    def export_to(self, path: str | None) -> None:
        """Save the picture to ``path``, asking first if that names a file this session did not export."""
        if path:
            target = Path(path.strip()).expanduser()
            write_checked(self.app, target, partial(self.write_png, target), own=self.exported_to)

    def write_png(self, target: Path) -> None:
        """The grid or the channel on screen, one pixel per value scaled up to about 256 pixels;
        for the input, the image itself as the network sees it."""
        from ...core import CnntuiError
        from ...images import save_input_png, save_map_png

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
        self.exported_to = target
        self.app.notify(self.app.t("view.export.done", path=str(target)), timeout=5)
