"""Text that is not ours shows as typed: a network named like markup, its description and class names,
a file name with square brackets, the text form's grammar, a search query, an error quoting a path.

Every check reads the screen as the terminal gets it (test_ascii.screen_text)."""

from __future__ import annotations

import json

import pytest
from textual.command import CommandList, Matcher
from textual.screen import ModalScreen
from textual.widgets import Input

from cnntui.quiz.progress import ProgressStore
from cnntui.tui.app import CnntuiApp
from cnntui.tui.commands import highlighted, words_score
from cnntui.tui.settings import SettingsStore
from cnntui.tui.state import read_network
from test_ascii import key_of, screen_text, until

NAME = "[bold red]x"
DESCRIPTION = "[b]not bold[/b] on purpose"
CLASSES = [f"[i]c{digit}" for digit in range(10)]
FILE = "[red]net.json"


@pytest.fixture(autouse=True)
def own_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def markup_app(tmp_path, mode: str) -> CnntuiApp:
    """The app on LeNet-5 saved as ``[red]net.json`` with a name, description and classes like markup;
    its settings in a folder with brackets too (the help names the settings file)."""
    spec = dict(read_network("lenet5").spec, name=NAME, description=DESCRIPTION, classes=CLASSES)
    path = tmp_path / FILE
    path.write_text(json.dumps(spec), encoding="utf-8")
    folder = tmp_path / "[dim]settings"
    return CnntuiApp(mode, read_network(str(path)), language="en", colors="truecolor", ascii_only=False,
                     environ={}, settings_store=SettingsStore(folder / "settings.json"),
                     progress_store=ProgressStore(tmp_path / "progress.json"))


def assert_shown(app, *texts: str) -> None:
    shown = screen_text(app)
    for text in texts:
        assert text in shown, f"{text!r} is not on the screen:\n{shown}"


async def test_learn_shows_a_search_query_as_typed(tmp_path):
    app = markup_app(tmp_path, "learn")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.shown is not None)
        assert_shown(app, f"net: {NAME}")
        await pilot.press("slash", *"[b]zz")
        await until(pilot, lambda: app.screen.query_one("#learn-search", Input).value == "[b]zz")
        assert_shown(app, "[b]zz")  # in the field and in the "nothing matches" line below it
        assert screen_text(app).count("[b]zz") == 2


async def test_help_and_the_palette_show_paths_and_queries_as_typed(tmp_path):
    app = markup_app(tmp_path, "learn")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.shown is not None)
        await pilot.press("question_mark")
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        app.screen.query_one("#help").scroll_end(animate=False)
        await pilot.pause()
        assert_shown(app, "[dim]settings")
        await pilot.press("escape", "ctrl+p", *"[i]")
        await until(pilot, lambda: app.screen.query(CommandList))
        assert_shown(app, "[i]")


def test_palette_titles_are_plain_text_with_the_match_marked():
    title = "Load preset: [bold]x"
    content = highlighted(Matcher("bold"), title)
    assert content.plain == title
    marked = {index for span in content.spans for index in range(span.start, span.end)}
    assert {title.index(char, title.index("[")) for char in "bold"} <= marked


async def test_build_shows_the_network_the_grammar_and_a_bad_file_as_typed(tmp_path):
    app = markup_app(tmp_path, "build")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: app.screen.summary is not None)
        screen = app.screen
        assert_shown(app, f"net: {NAME}")
        await pilot.press(key_of(screen, "build.text"))
        await until(pilot, lambda: isinstance(app.screen, ModalScreen))
        text_form = app.screen.query_one(".dialog-hint").render()
        for part in ("[sS]", "[pP|psame|pvalid]", "[dD]", "[nobias]", "[ceil]", "[nopadcount]", "[SLOPE]"):
            assert part in str(text_form), part
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        for binding_id in ("build.presets", "build.add"):  # their labels and details, as written
            await pilot.press(key_of(screen, binding_id))
            await until(pilot, lambda: isinstance(app.screen, ModalScreen))
            assert_shown(app, *(label[:40] for _, label in app.screen.choices[:3]))
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen)
        await pilot.press(key_of(screen, "build.save"))  # it offers a file named after the network, in
        await until(pilot, lambda: isinstance(app.screen, ModalScreen))  # letters, digits and - _ . only
        assert_shown(app, "bold_red_x.json")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press(key_of(screen, "build.details"))
        await pilot.pause()
        assert_shown(app, NAME, DESCRIPTION, "[i]c0")
        await pilot.press("escape")
        await pilot.press(key_of(screen, "build.open"))
        await until(pilot, lambda: isinstance(app.screen, ModalScreen))
        await pilot.press(*"[x].json", "enter")
        await until(pilot, lambda: app.screen.query("Toast"))
        assert_shown(app, "[x].json")
        assert app.network.name == NAME  # the bad file changed nothing


async def test_view_shows_class_names_and_the_file_as_typed(tmp_path):
    app = markup_app(tmp_path, "view")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.drawn)
        assert_shown(app, f"net: {NAME}")
        await pilot.press("end")  # the last layer: its outputs are the classes
        await until(pilot, lambda: app.screen.drawn)
        assert_shown(app, "[i]c")


async def test_quiz_keeps_a_markup_like_answer_as_typed(tmp_path):
    app = markup_app(tmp_path, "quiz")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: app.screen.query("#quiz-answer"))
        assert_shown(app, f"net: {NAME}")
        await pilot.press("enter")  # from the lesson's recap to its first question
        await until(pilot, lambda: isinstance(app.focused, Input))
        await pilot.press(*"[b]7")
        await until(pilot, lambda: app.focused.value == "[b]7")
        assert_shown(app, "[b]7")
        await pilot.press("enter")  # not an answer of the kind wanted: said, not marked, the text kept
        await pilot.pause()
        assert_shown(app, "[b]7")


async def test_train_shows_the_network_as_typed(tmp_path):
    app = markup_app(tmp_path, "train")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.focused is not None and app.focused.id == "train-picture")
        assert_shown(app, NAME)
        await pilot.press(key_of(app.screen, "train.network"))  # the current network is the first choice
        await until(pilot, lambda: isinstance(app.screen, ModalScreen))
        assert_shown(app, NAME)


def test_a_help_text_matches_when_every_word_of_the_query_is_in_it():
    """The palette's long help texts are matched by their words (Textual's fuzzy matcher took seconds
    a keystroke on them); titles keep the fuzzy match."""
    definition = "A kernel slides over the input; at each position it gives one value of a feature map."
    assert words_score("feature map", definition) == len("feature") + len("map")
    assert words_score("KERNEL", definition) == len("kernel")
    assert words_score("feature pool", definition) == 0, "every word must be there"
    assert words_score("fmap", definition) == 0, "letters scattered through the text are not a match"
    assert words_score("   ", definition) == 0
