"""Build's form: edit a layer, a block's own settings, the input shape or the network's details, one
field per setting.

Each typed value changes the network at once (the table and totals follow); the
whole form session is one undo step, and Enter or Escape closes it.
"""

from __future__ import annotations

import copy

from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label

from ...render.text import cell_width
from .build_form import DETAILS, INPUT, edit_spec, form_rows
from .build_tree import INPUT_ROW, copied_along


class LayerForm:
    """Mixed into BuildScreen: uses its spec, summary, history, future, editing, selected_row(),
    edited_copy(), change(), show_hint() and fill_side()."""

    def action_edit(self) -> None:
        """The selected row's form: the input's, a layer's, or a block's own (a join row: its block's)."""
        row = self.selected_row()
        self.open_form(INPUT if row.kind == INPUT_ROW else row.address)

    def action_details(self) -> None:
        """The network's name, description and class names, in the form."""
        self.open_form(DETAILS)

    def open_form(self, target: tuple | int) -> None:
        if self.summary is None:
            return
        self.history.append(copy.deepcopy(self.spec))  # the whole form session is one undo step
        self.keep_folds(self.history[-1])
        self.future.clear()
        self.editing = target
        self.build_form()
        self.fill_side()  # of the row being edited, even if the cursor's last move is still being handled

    def build_form(self, focus: str | None = None) -> None:
        """A field per setting of what is being edited, each showing what it accepts."""
        t = self.app.t
        record = self.summary.record_at(self.editing) if isinstance(self.editing, tuple) else None
        title, rows = form_rows(self.spec, self.editing, t, record.path if record is not None else "")
        labels = [t(f"build.field.{name}") for name, _, _ in rows]
        width = max(18, *(cell_width(label) + 1 for label in labels))
        form = self.query_one("#build-form", Vertical)
        form.remove_children()
        widgets = [Label(Content(title), classes="form-title")]
        inputs = {}
        for label, (name, value, hint) in zip(labels, rows):
            label_widget = Label(label, classes="form-label")
            label_widget.styles.width = width  # Chinese labels carry the JSON name too: wider than 18
            inputs[name] = Input(value, placeholder=hint, id=f"field-{name}", classes="form-input")
            widgets.append(Horizontal(label_widget, inputs[name], classes="form-row"))
        form.mount_all(widgets)
        self.form_texts = {name: value for name, value, _ in rows}  # what the network holds, as shown
        form.display = True
        self.show_hint()
        # Focus the new Input itself: a query by id could still find the old form's, which is being removed.
        target = inputs.get(focus) or next(iter(inputs.values()), None)
        if target is not None:
            self.call_after_refresh(target.focus)

    def on_input_changed(self, event: Input.Changed) -> None:
        # Named, not @on(...): Textual collects @on handlers only from classes it builds, not from mixins.
        if self.editing is None or not event.input.has_class("form-input"):
            return
        name, text = event.input.id.removeprefix("field-"), event.value
        if self.form_texts.get(name) == text:
            return  # each new field reports its first value: the network already holds it
        self.form_texts[name] = text
        try:
            spec = copied_along(self.spec, self.editing if isinstance(self.editing, tuple) else ())
        except (KeyError, IndexError, TypeError):  # the node went away under the form: nothing to edit
            self.action_close_form()
            self.app.notify(self.app.t("build.form.gone"), severity="warning")
            return
        new_type = edit_spec(spec, self.editing, name, text)
        self.change(spec, record=False)
        if new_type:
            self.build_form(focus="type")  # the new type's fields

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.has_class("form-input"):
            self.action_close_form()

    def leave_field(self) -> bool:
        """Escape in the form closes it."""
        if self.editing is None:
            return False
        self.action_close_form()
        return True

    def action_close_form(self) -> None:
        if self.editing is None:
            return
        self.editing = None
        form = self.query_one("#build-form", Vertical)
        form.display = False
        self.show_hint()
        form.remove_children()
        if self.history and self.history[-1] == self.spec:
            self.history.pop()  # nothing changed: no undo step
        self.query_one("#build-table").focus()
        self.fill_side()
