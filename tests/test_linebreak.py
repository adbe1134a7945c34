"""Chinese line breaking: between characters, never a line starting with "，" nor ending with "（",
in the plain-text wrappers (worksheets, panels) and in everything Textual and Rich wrap on screen."""

from __future__ import annotations

import pytest
import rich.text
import textual.content
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.content import Content
from textual.widgets._markdown import MarkdownFence

from cnntui.render.text import NO_BREAK_AFTER, NO_BREAK_BEFORE, break_offsets, cell_width, is_wide, wrap_line
from cnntui.tui.widgets import linebreak
from test_app import make_app
from test_learn import wait_for_page

linebreak.install()  # as the app does when it starts

# Tokens of Chinese text: a character or a Latin word or number, maybe with opening punctuation
# before and closing after, maybe with a space after. (One draw per token keeps Hypothesis quick.)
CORES = [*"卷积核步长填充池化特征图的一是在", "x", "3x3", "ReLU", "16", "k=3"]
TOKENS = [opening + core + closing + space for opening in ["", *sorted(NO_BREAK_AFTER)] for core in CORES
          for closing in ["", *sorted(NO_BREAK_BEFORE)] for space in ("", " ")]


@st.composite
def chinese(draw) -> str:
    """Chinese with its punctuation and some Latin words, where no unbreakable piece is wider than 10
    columns, so that every rule can be kept at any width from 10."""
    text = ""
    for token in draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=60)):
        if text and not is_wide(token[0]) and not is_wide(text[-1]) and not text[-1].isspace():
            text += " "  # narrow characters run together into one word, which could grow wider than a line
        text += token
    return text.strip()


def assert_follows_the_rules(lines: list[str], text: str, width: int) -> None:
    shown = [line.rstrip() for line in lines]
    assert "".join(shown).replace(" ", "") == text.replace(" ", ""), "text lost or repeated"
    for number, line in enumerate(shown):
        assert cell_width(line) <= width, (line, width)
        if number:
            assert line[:1] not in NO_BREAK_BEFORE, shown
        if number < len(shown) - 1:
            assert line[-1:] not in NO_BREAK_AFTER, shown
            # broken between characters, not only at spaces: no line ends far short of the width
            assert cell_width(line) > width - 12, shown


@settings(max_examples=150, deadline=None, derandomize=True)
@given(chinese(), st.integers(10, 60))
def test_plain_text_wrapping_keeps_the_rules(text, width):
    assert_follows_the_rules(wrap_line(text, width), text, width)
    offsets = break_offsets(text, width)
    assert offsets == sorted(set(offsets)) and all(0 < offset < len(text) for offset in offsets)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(chinese(), st.integers(10, 60))
def test_textual_content_wrapping_keeps_the_rules(text, width):
    assert_follows_the_rules([line.plain for line in Content(text).wrap(width)], text, width)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(chinese(), st.integers(10, 60))
def test_rich_text_wrapping_keeps_the_rules(text, width):
    lines = Text(text).wrap(Console(width=width), width)
    assert_follows_the_rules([line.plain for line in lines], text, width)


def test_textual_and_rich_still_wrap_through_the_replaced_function():
    # Textual alone would fold this at the tenth column: "一二三四五" then "，六七".
    assert all(module.divide_line is linebreak.divide_line for module in (textual.content, rich.text))
    assert [line.plain for line in Content("一二三四五，六七").wrap(10)] == ["一二三四", "五，六七"]
    assert [line.plain for line in Text("一二三四五，六七").wrap(Console(width=10), 10)] == ["一二三四", "五，六七"]
    assert [line.plain for line in Content("一二（三四").wrap(6)] == ["一二", "（三四"]  # not "一二（"


def test_english_wraps_as_rich_does():
    text = "A kernel slides over the input; at each position it computes one weighted sum (a dot product)."
    assert linebreak.divide_line(text, 17) == linebreak.rich_divide_line(text, 17)
    assert [line.plain for line in Content("see it . or ( this )").wrap(8)] == ["see it .", "or", "( this )"]


def test_a_word_too_long_for_a_line_is_cut_where_the_rules_allow():
    assert wrap_line("见（abcdefghijkl）。", 10) == ["见", "（abcdefgh", "ijkl）。"]
    assert wrap_line("一二三四五六七八九十百千", 10) == ["一二三四五", "六七八九十", "百千"]


def test_a_label_stays_on_the_line_with_its_text():
    assert wrap_line("这是一个很长很长的选项，要换行。", 12, "a) ", "   ") == [
        "a) 这是一个", "   很长很长", "   的选项，", "   要换行。"]
    assert wrap_line("16x32x32，参数 448。", 14, "b) ", "   ") == ["b) 16x32x32，", "   参数 448。"]
    # never left alone: a word longer than the rest of the line is cut after it
    assert wrap_line("abcdefghijklmn", 10, "c) ", "   ") == ["c) abcdefg", "   hijklmn"]


def test_a_no_break_space_keeps_its_neighbours_together():
    assert [line.plain for line in Content("一二三四 b)\u00a0五六").wrap(10)] == ["一二三四", "b)\u00a0五六"]


def rendered_lines(screen) -> list[str]:
    """Every line the page's text widgets draw (code blocks aside: they do not wrap), bars trimmed."""
    lines = []
    for widget in screen.query("#learn-md *, #learn-links, #learn-list"):
        if isinstance(widget, MarkdownFence) or widget.size.area == 0 or widget.is_container:
            continue
        for strip in widget.render_lines(widget.region.reset_offset):
            lines.append(strip.text.strip(" ▌▐▕|│"))
    return [line for line in lines if line]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_learn_pages_in_chinese_never_start_a_line_with_closing_punctuation(tmp_path, size):
    app = make_app(tmp_path, language="zh")
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_page(pilot, app, "start", "zh")
        for page_id in ("start", "tanh", "cmp-activations", "padding"):
            screen.open(page_id)
            await wait_for_page(pilot, app, page_id, "zh")
            await pilot.pause()
            lines = rendered_lines(screen)
            assert len(lines) > 10
            starts = [line for line in lines if line[0] in NO_BREAK_BEFORE]
            ends = [line for line in lines if line[-1] in NO_BREAK_AFTER]
            assert not starts and not ends, (page_id, starts, ends)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.text("abcdefghij", min_size=1, max_size=14), min_size=1, max_size=30), st.integers(5, 40))
def test_words_break_where_rich_breaks_them(words, width):
    # The same algorithm serves text with an accent or a "×" in it, which Rich's function never sees.
    # After cutting a word longer than the line, Rich starts the next word on a line of its own even
    # where two would fit ("aaaaaaaaaa aa aa" at 5); ours fills that line, so such words are left out.
    assume(all(len(word) <= width for word in words))
    # (Where it cuts a word, Rich may start the next line with the space after it, or give the space a
    # line of its own; so compare the words on each line.)
    text = " ".join(words)

    def lines(offsets):
        pieces = [text[start:end].strip() for start, end in zip([0, *offsets], [*offsets, len(text)])]
        return [piece for piece in pieces if piece]

    assert lines(break_offsets(text, width)) == lines(linebreak.rich_divide_line(text, width))


@pytest.mark.parametrize(("text", "width"), [("xa；、；", 6), ("值 ： ，", 4), ("一，，，，，，", 4)])
def test_a_rule_that_cannot_be_kept_is_broken_rather_than_text_lost(text, width):
    """Closing punctuation as wide as the line: no cut keeps the rule, so a line starts with it."""
    lines = [line.plain for line in Content(text).wrap(width)]
    assert "".join(line.rstrip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert all(cell_width(line.rstrip()) <= width for line in lines), lines


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=[*"卷积a1 ", *NO_BREAK_BEFORE, *NO_BREAK_AFTER], min_size=1, max_size=40),
       st.integers(2, 30))
def test_any_text_at_any_width_keeps_every_character_within_the_width(text, width):
    # Known limit: a line of spaces alone before a character that may not start a line (" 、" at 2) is
    # not cut, as a label is never left alone on a line; Textual's own indent handling never makes one.
    assume(not text[:1].isspace())
    offsets = break_offsets(text, width)
    assert offsets == sorted(set(offsets)) and all(0 < offset < len(text) for offset in offsets)
    lines = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)])]
    assert "".join(lines) == text
    assert all(cell_width(line.rstrip()) <= width for line in lines), lines
