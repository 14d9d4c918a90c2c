"""Free-text splitting, typo arithmetic and snippet HTML shared by both engines."""

from __future__ import annotations

import random

import pytest

from search.text import (
    Chunk,
    leading_excerpt,
    render_marked,
    split_text,
    typo_budget,
    within_typos,
    within_typos_prefix,
    words,
)


@pytest.mark.parametrize(
    ("text", "chunks", "prefix"),
    [
        ("foodnet japan", [Chunk("foodnet"), Chunk("japan")], True),
        ("foodnet japan ", [Chunk("foodnet"), Chunk("japan")], False),
        ('"solar plants" morocco', [Chunk("solar plants", True), Chunk("morocco")], True),
        ('morocco "solar plants"', [Chunk("morocco"), Chunk("solar plants", True)], False),
        # An unclosed quote runs to the end, as in Meilisearch.
        ('morocco "solar plants', [Chunk("morocco"), Chunk("solar plants", True)], False),
        ('"', [], False),
        ('""', [], False),
        ("", [], False),
        ("   ", [], False),
        ("l'oréal C++", [Chunk("l'oréal"), Chunk("C++")], True),
        ('a"b', [Chunk("a"), Chunk("b", True)], False),
    ],
)
def test_split_text_follows_meilisearchs_reading(
    text: str, chunks: list[Chunk], prefix: bool
) -> None:
    split = split_text(text)
    assert list(split.chunks) == chunks
    assert split.last_is_prefix is prefix


@pytest.mark.parametrize(
    ("word", "budget"),
    [("kiwi", 0), ("mango", 1), ("exports", 1), ("pineapple", 2), ("日本語です", 1), ("", 0)],
)
def test_the_typo_budget_grows_with_word_length(word: str, budget: int) -> None:
    assert typo_budget(word) == budget


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance, the plain full-table way (the reference)."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        table[i][0] = i
    for j in range(len(b) + 1):
        table[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[len(a)][len(b)]


def _mutations(rng: random.Random, word: str) -> str:
    letters = list(word)
    for _ in range(rng.randint(0, 3)):
        op = rng.choice("sidt")
        position = rng.randrange(len(letters) + 1)
        if op == "i" or not letters:
            letters.insert(position, rng.choice("abcde"))
        elif op == "d":
            del letters[min(position, len(letters) - 1)]
        elif op == "s":
            letters[min(position, len(letters) - 1)] = rng.choice("abcde")
        elif len(letters) > 1:
            p = min(position, len(letters) - 2)
            letters[p], letters[p + 1] = letters[p + 1], letters[p]
    return "".join(letters)


def test_within_typos_agrees_with_the_reference_distance() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        word = "".join(rng.choice("abcde") for _ in range(rng.randint(1, 16)))
        candidate = _mutations(rng, word)
        for budget in (0, 1, 2):
            assert within_typos(candidate, word, budget) == (
                _distance(candidate, word) <= budget
            ), (candidate, word, budget)


def test_within_typos_prefix_agrees_with_trying_every_beginning() -> None:
    rng = random.Random(6)
    for _ in range(2000):
        word = "".join(rng.choice("abcde") for _ in range(rng.randint(1, 8)))
        candidate = _mutations(rng, word) + "".join(
            rng.choice("abcde") for _ in range(rng.randint(0, 4))
        )
        for budget in (0, 1, 2):
            expected = any(
                _distance(candidate[:size], word) <= budget for size in range(len(candidate) + 1)
            )
            assert within_typos_prefix(candidate, word, budget) == expected, (
                candidate,
                word,
                budget,
            )


def test_render_marked_escapes_everything_and_marks_merged_ranges() -> None:
    text = "<b>Tom & Jerry</b> 'quoted'"
    html = render_marked(text, [(3, 6), (4, 9), (40, 50), (5, 5)])
    assert html == "&lt;b&gt;<mark>Tom &amp; </mark>Jerry&lt;/b&gt; &#x27;quoted&#x27;"
    assert render_marked("", [(0, 3)]) == ""


def test_leading_excerpt_cuts_at_a_word_with_an_ellipsis() -> None:
    assert leading_excerpt("short  text\n here") == "short text here"
    long = "word " * 100
    excerpt = leading_excerpt(long, limit=50)
    assert excerpt.endswith("…") and len(excerpt) <= 51
    assert not excerpt[:-1].endswith(" ")


def test_words_fold_case_and_accents_and_split_on_punctuation() -> None:
    assert words("L'Oréal C++ Ünïcödé naïve-Café") == [
        "l",
        "oreal",
        "c",
        "unicode",
        "naive",
        "cafe",
    ]
    assert words("***") == []
