"""What Train keeps of a finished run, and the table that puts a run beside the last one on the same data."""

from __future__ import annotations

import copy
from functools import partial

from cnntui.content import text
from cnntui.train.live import Point
from cnntui.tui.screens.train_compare import (activation_names, comparison_rows, last_on_same_data, run_record,
                                              shown_epochs)
from cnntui.tui.screens.train_run import Plan, Run

SPEC = {"name": "small", "input": [1, 28, 28], "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"}, {"type": "flatten"},
    {"type": "linear", "out_features": 10}, {"type": "tanh"}, {"type": "relu"}, {"type": "softmax"}]}


def made_up_run(losses: list[float], state: str = "done", spec: dict = SPEC) -> Run:
    """A single run with a point a quarter-epoch apart; the whole epochs' training losses are ``losses``."""
    points = [Point("net", 0.0, 2.4, 0.1, 2.4, 0.1)]
    for epoch, loss in enumerate(losses, 1):
        points += [Point("net", epoch - 0.5, loss + 0.1, 0.3, 9.9, 0.3),
                   Point("net", float(epoch), loss, 0.5, loss + 0.05, 0.4 + epoch / 10)]
    plan = Plan("", spec["name"], copy.deepcopy(spec), dataset="digits", size=28, samples=2000, epochs=len(losses))
    return Run("single", lambda: "", plan=plan, state=state, points={"net": points})


def test_a_record_keeps_the_setup_and_each_whole_epoch():
    run = made_up_run([1.5, 0.75], state="stopped")
    record = run_record(run)
    assert (record["network"], record["dataset"], record["size"], record["samples"]) == ("small", "digits", 28, 2000)
    assert record["epochs_done"] == 2 and not record["completed"]
    assert [(e["epoch"], e["train_loss"], e["val_loss"]) for e in record["epochs"]] == [(1, 1.5, 1.55), (2, 0.75, 0.8)]
    run.plan.spec["layers"][1]["type"] = "sigmoid"  # as an edit in Build might
    assert record["spec"]["layers"][1]["type"] == "relu", "the record keeps the network as it was trained"


def test_the_last_run_on_the_same_data_is_compared():
    digits28, digits32, other = ({"dataset": "digits", "size": 28, "n": 1}, {"dataset": "digits", "size": 32},
                                 {"dataset": "shapes", "size": 32})
    later = {"dataset": "digits", "size": 28, "n": 2}
    plan = Plan("", "small", SPEC, dataset="digits", size=28)
    assert last_on_same_data([digits28, later, digits32, other], plan) is later
    assert last_on_same_data([digits32, other], plan) is None


def test_activation_names_in_the_order_they_come():
    assert activation_names(SPEC) == "relu+tanh"
    assert activation_names({"layers": [{"type": "flatten"}]}) == ""


def test_a_long_run_shows_six_epochs_from_first_to_last():
    assert shown_epochs(2) == [1, 2] and shown_epochs(6) == [1, 2, 3, 4, 5, 6]
    assert shown_epochs(10) == [1, 3, 5, 6, 8, 10] and shown_epochs(50)[0] == 1 and shown_epochs(50)[-1] == 50
    assert len(shown_epochs(50)) == 6


def rows_text(rows) -> list[str]:
    return ["".join(piece.text for piece in row) for row in rows]


def test_the_table_shows_both_runs_epoch_by_epoch_and_a_dash_for_an_epoch_not_done():
    previous = run_record(made_up_run([1.5, 0.75]))
    sigmoid = {**SPEC, "layers": [{**layer, "type": "sigmoid"} if layer["type"] == "relu" else layer
                                  for layer in SPEC["layers"]]}
    current = made_up_run([2.25], state="running", spec=sigmoid)
    lines = rows_text(comparison_rows(partial(text, "en"), previous, current, 60))
    assert lines[0].startswith("Beside the last run on these data")
    assert "last: small, relu+tanh" in lines and "now:  small, sigmoid+tanh" in lines
    assert lines[-4].split() == ["epoch", "loss", "val", "acc", "loss", "val", "acc"]
    assert lines[-3].split() == ["1", "1.500", "50.0%", "2.250", "50.0%"]
    assert lines[-2].split() == ["2", "0.750", "60.0%", "-", "-"]
    assert lines[-1] == ""
    chinese = rows_text(comparison_rows(partial(text, "zh"), previous, current, 60))
    assert "上次：small，relu+tanh" in chinese and chinese[-2].split() == ["2", "0.750", "60.0%", "-", "-"]


def test_a_sigmoid_network_at_chance_is_told_why_not_to_shrink_its_head():
    """Sigmoid and tanh layers are slow to start: the guessing notice says so instead of the usual advice."""
    from cnntui.tui.screens.train_picture import guessing_text
    from cnntui.tui.screens.train_run import Arm

    relu = {**SPEC, "layers": [layer for layer in SPEC["layers"] if layer["type"] != "tanh"]}
    sigmoid = {**relu, "layers": [{"type": "sigmoid"} if layer["type"] == "relu" else layer for layer in relu["layers"]]}
    for spec, advice, other in ((relu, "train.guessing.try", "train.guessing.squashing"),
                                (sigmoid, "train.guessing.squashing", "train.guessing.try")):
        for language in ("en", "zh"):
            run = made_up_run([2.31], spec=spec)
            run.arms, run.classes, run.guessing = {"net": Arm("small", 42)}, [str(d) for d in range(10)], {"net": 1}
            notice = guessing_text(partial(text, language), run, "net")
            assert notice.endswith(text(language, advice)) and text(language, other) not in notice
