"""The overfitting experiment's verdict is worded from the measured gaps: which head's train-validation
gap was larger and by how much, or that they came out about the same, in both languages."""

from __future__ import annotations

from functools import partial

import pytest

from cnntui.content import text
from cnntui.train.live import Point
from cnntui.tui.screens.train_picture import verdict
from cnntui.tui.screens.train_run import Arm, Run


def finished_experiment(fc: tuple[float, float], gap: tuple[float, float]) -> Run:
    """A done experiment whose heads ended at these (training, validation) accuracies."""
    points = {key: [Point(key, 0.0, 2.3, 0.1, 2.3, 0.1), Point(key, 40.0, 0.1, train, 0.9, val)]
              for key, (train, val) in (("fc", fc), ("gap", gap))}
    return Run("experiment", lambda: "", state="done", points=points,
               arms={"fc": Arm("train.arm.fc", 828_938, 805_642, translated=True),
                     "gap": Arm("train.arm.gap", 23_946, 650, translated=True)})


def worded(language: str, fc, gap) -> list[str]:
    return verdict(partial(text, language), finished_experiment(fc, gap)).split("\n")


def test_a_larger_fc_gap_is_said_with_its_size_and_as_a_tendency():
    fc_line, gap_line, reading = worded("en", fc=(1.0, 0.62), gap=(0.80, 0.71))
    assert fc_line == "FC head: training accuracy 100.0%, validation 62.0%: a gap of 38 points."
    assert gap_line == "GAP head: training accuracy 80.0%, validation 71.0%: a gap of 9 points."
    assert reading.startswith("The FC head's gap was 29 points larger than the GAP head's")
    assert "tends to" in reading


def test_a_larger_gap_head_gap_is_said_honestly():
    *_, reading = worded("en", fc=(0.90, 0.80), gap=(0.95, 0.75))
    assert reading.startswith("This time the GAP head's gap was 10 points larger than the FC head's")
    assert "the other way round" in reading and "does not show the usual pattern" in reading


@pytest.mark.parametrize("fc, gap, said", [((0.90, 0.80), (0.88, 0.81), "(10 and 7 points"),  # 3 apart
                                           ((0.90, 0.80), (0.90, 0.83), "(10 and 7 points"),
                                           ((0.70, 0.71), (0.70, 0.70), "(-1 and 0 points")])
def test_gaps_within_three_points_are_about_the_same(fc, gap, said):
    *_, reading = worded("en", fc=fc, gap=gap)
    assert reading.startswith("The two gaps came out about the same " + said + ", no more than 3 apart)")
    assert "no clear difference" in reading


def test_four_points_apart_is_a_difference():
    *_, reading = worded("en", fc=(0.90, 0.79), gap=(0.88, 0.81))  # 11 and 7
    assert reading.startswith("The FC head's gap was 4 points larger")


@pytest.mark.parametrize("fc, gap, start", [((1.0, 0.62), (0.80, 0.71), "{fc}的差距比 {gap}大 29 个百分点"),
                                            ((0.90, 0.80), (0.95, 0.75), "这一次 {gap}的差距反而比 {fc}大 10 个百分点"),
                                            ((0.90, 0.80), (0.90, 0.83), "两个差距差不多（10 和 7 个百分点")])
def test_chinese_says_the_same(fc, gap, start):
    heads = {"fc": text("zh", "train.arm.fc"), "gap": text("zh", "train.arm.gap")}  # e.g. "FC 分类头"
    lines = worded("zh", fc=fc, gap=gap)
    assert lines[0].startswith(f"{heads['fc']}：训练准确率 {fc[0]:.1%}，验证准确率 {fc[1]:.1%}，相差 ")
    assert lines[-1].startswith(start.format(**heads)), lines[-1]


def test_the_heads_are_named_in_the_language_of_the_moment():
    """A run made in English and read after switching to Chinese names its heads in Chinese."""
    run = finished_experiment(fc=(1.0, 0.62), gap=(0.80, 0.71))
    reading = verdict(partial(text, "zh"), run).split("\n")[-1]
    assert reading.startswith(text("zh", "train.arm.fc")) and "head" not in reading
