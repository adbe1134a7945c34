"""Chinese wording: one term per idea, and none of the unnatural or wrong forms the teaching review found."""

from __future__ import annotations

import json
import re

import pytest

from cnntui.content import CONTENT_DIR, catalog

# Each banned form: a name for the test, the form, and what to write instead.
BANNED = [
    ("build-mode", "构建模式", "Build mode is 搭建"),
    ("view-mode", "查看模式", "View mode is 观察"),
    ("leaky-relu", "泄露 ReLU", "leaky ReLU is 泄漏 ReLU"),
    ("leaky-relu-long", "带泄露", "leaky ReLU is 泄漏 ReLU"),
    ("one-cell-of-weights", "一格权重", "say 一组权重 or 一小块可学习的权重"),
    ("small-cell-of-weights", "一小格学出来的权重", "say 一小块学出来的权重"),
    ("build-representation", "构建表示", "say 构建特征表示"),
    ("neuron-is-this-computation", "神经元指的是这次计算", "say what a neuron is in a natural sentence"),
    ("input-component-weight", "分量有多重", "a weight says how important its input is (这个输入有多重要)"),
    ("output-head", "输出头", "a network's head is 分类头"),
    ("classifier-head", "分类器头", "a network's head is 分类头"),
    ("head-part", "头部", "a network's head is 分类头"),
    ("fc-head-short", "FC 头", "a network's head is 分类头: FC 分类头"),
    ("gap-head-short", "GAP 头", "a network's head is 分类头: GAP 分类头"),
]
# 把值"弯"一下 in any quotation marks: say 做一次非线性变换.
BENT = re.compile(r"[\"“「]弯[\"”」]")


def zh_values(node, where: str):
    """Every Chinese string in a content file's tree: the values under "zh" keys, with where each one is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "zh":
                yield from all_strings(value, f"{where}.zh")
            else:
                yield from zh_values(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from zh_values(value, f"{where}[{index}]")


def all_strings(node, where: str):
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from all_strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from all_strings(value, f"{where}[{index}]")


def chinese_texts() -> list[tuple[str, str]]:
    """(where, text) for the whole Chinese catalog, every Learn page and every quiz file, new ones included."""
    texts = [(f"strings:{key}", value) for key, value in catalog("zh").items()]
    files = sorted((CONTENT_DIR / "learn").rglob("*.json")) + sorted((CONTENT_DIR / "quiz").glob("*.json"))
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        texts += zh_values(data, str(path.relative_to(CONTENT_DIR)))
    return texts


TEXTS = chinese_texts()


def test_the_chinese_texts_are_found():
    """The scan reads every source of Chinese text, so a banned form cannot hide in one it skips."""
    sources = {where.partition(".json")[0] if ".json" in where else "strings" for where, _ in TEXTS}
    assert {"strings", "learn/start", "learn/relations", "learn/concepts/neuron", "learn/comparisons/cmp-pooling",
            "quiz/bank", "quiz/lessons", "quiz/computed", "quiz/tasks"} <= sources
    assert ("strings:mode.build", "搭建") in TEXTS


@pytest.mark.parametrize(("banned", "advice"), [(form, advice) for _, form, advice in BANNED],
                         ids=[name for name, _, _ in BANNED])
def test_no_chinese_text_uses_a_banned_form(banned, advice):
    found = [where for where, text in TEXTS if banned in text]
    assert found == [], f"{banned!r} ({advice}) is in {found}"


def test_no_chinese_text_bends_a_value_in_quotes():
    found = [where for where, text in TEXTS if BENT.search(text)]
    assert found == [], f"'把值“弯”一下': say 做一次非线性变换, in {found}"


def test_the_modes_are_named_build_and_view_as_decided():
    zh = catalog("zh")
    assert zh["mode.build"] == zh["key.mode.build"] == "搭建"
    assert zh["mode.view"] == zh["key.mode.view"] == "观察"


def test_wherever_the_chinese_names_a_mode_it_uses_the_mode_names():
    """构建 and 查看 named as a mode (followed by 模式, 屏幕 or 页面, or quoted after 在) are the old names."""
    old = re.compile(r"(构建|查看)(模式|屏幕|页面)|在“(构建|查看)”")
    found = [where for where, text in TEXTS if old.search(text)]
    assert found == []
