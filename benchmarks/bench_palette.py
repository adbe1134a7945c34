"""The command palette's search, per keystroke of a query, over every command the app offers.

Textual's fuzzy matcher on the long help texts (concept definitions) against the word match
cnntui uses for them (tui/commands.py words_score); both on the same candidates in one run.

    python benchmarks/bench_palette.py
"""

from __future__ import annotations

import time

from textual.fuzzy import FuzzySearch

from cnntui.learn.pages import load_pages
from cnntui.tui.commands import plain_definition, words_score

QUERIES = ("softmax", "go to view", "load preset resnet", "batch norm")


def main() -> None:
    texts = [plain_definition(page.definition[language]) for page in load_pages().values() for language in ("en", "zh")]
    print(f"{len(texts)} help texts, longest {max(map(len, texts))} characters; seconds for every prefix of the query")
    print(f"{'query':<20} {'fuzzy':>8} {'words':>8} {'ratio':>8}")
    for query in QUERIES:
        prefixes = [query[:end] for end in range(1, len(query) + 1)]
        start = time.perf_counter()
        for prefix in prefixes:
            fuzzy = FuzzySearch()  # a fresh cache, as a new palette query gets no hits from the last one
            for text in texts:
                fuzzy.match(prefix, text)
        slow = time.perf_counter() - start
        start = time.perf_counter()
        for prefix in prefixes:
            for text in texts:
                words_score(prefix, text)
        fast = time.perf_counter() - start
        print(f"{query:<20} {slow:8.3f} {fast:8.4f} {slow / max(fast, 1e-9):8.0f}x")


if __name__ == "__main__":
    main()
