"""printable(): control characters from files and arguments are shown, never obeyed."""

from hypothesis import given
from hypothesis import strategies as st

from cnntui.core.printable import is_printable, printable


def test_newline_tab_and_return_are_named():
    assert printable("a\nb\tc\rd") == "a\\nb\\tc\\rd"


def test_escape_sequences_and_c1_controls_are_shown_as_hex():
    assert printable("\x1b]52;c;aGk=\x07") == "\\x1b]52;c;aGk=\\x07"
    assert printable("x\x9b2J") == "x\\x9b2J"
    assert printable("\x7f") == "\\x7f"


def test_bidi_overrides_and_line_separators_are_shown():
    assert printable("abc\u202edef") == "abc\\u202edef"
    assert printable("a\u2028b") == "a\\u2028b"


def test_ordinary_text_is_unchanged():
    for text in ("lenet5.json", "卷积层 3x3", "café", "a\\b", ""):
        assert printable(text) == text
        assert is_printable(text)


@given(st.text())
def test_the_result_never_holds_a_control_character(text):
    shown = printable(text)
    assert is_printable(shown)
    assert all(not (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f) for c in shown)
