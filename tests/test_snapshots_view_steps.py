"""Screenshots of View's step-through at a batch norm, a residual join and a concatenation.

After an intended change to the look, review the new pictures and accept them with
`pytest tests/test_snapshots_view_steps.py --snapshot-update`.
"""

from __future__ import annotations

from test_app import until
from test_snapshots import app, fresh_settings, settled  # noqa: F401  (fresh_settings: the autouse fixture)

from cnntui.tui.state import CurrentNetwork, read_network

# A stem, then two branches concatenated: 2 channels from a 1x1 conv, 3 from a 3x3 conv and ReLU.
MIXNET = {"name": "mixnet", "input": [3, 16, 16], "layers": [
    {"type": "conv2d", "name": "stem", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "relu", "name": "relu"},
    {"type": "concat", "name": "mix", "branches": [
        {"type": "conv2d", "name": "narrow", "out_channels": 2, "kernel_size": 1},
        {"type": "sequential", "name": "wide", "layers": [
            {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}, {"type": "relu"}]}]},
    {"type": "global_avg_pool"}, {"type": "linear", "out_features": 2}]}


def stepping_at(step: int, channel: int, cursor: tuple[int, int]):
    """A run_before that opens the step-through of ``step`` at ``channel`` and ``cursor``."""
    async def run_before(pilot) -> None:
        await settled(pilot)
        screen = pilot.app.screen
        screen.select_layer(step)
        screen.action_panel("step")
        screen.go(channel=channel, cursor=cursor)
        await until(pilot, lambda: screen.shown_layer == step and screen.cursor == cursor and screen.panel == "step",
                    "the step-through")
        await pilot.pause()

    return run_before


def test_minires_batch_norm_step(snap_compare):
    """bn1 (step 1) in eval mode: x, the running mean and variance, gamma, beta and eps in the formula."""
    view = app("view", network=read_network("minires"))
    assert snap_compare(view, terminal_size=(80, 24), run_before=stepping_at(1, 3, (2, 5)))


def test_minires_residual_join_step(snap_compare):
    """layer1.0's join (step 9): body + identity shortcut, then ReLU, and the three maps."""
    view = app("view", network=read_network("minires"))
    assert snap_compare(view, terminal_size=(80, 24), run_before=stepping_at(9, 3, (2, 5)))


def test_concat_step_in_chinese(snap_compare):
    """mix's join (step 5): channel 4 is channel 2 of branch 1 (mix.wide)."""
    view = app("view", "zh", network=CurrentNetwork("mixnet", MIXNET, ""))
    assert snap_compare(view, terminal_size=(120, 40), run_before=stepping_at(5, 4, (4, 6)))
