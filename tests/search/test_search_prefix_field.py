"""The words' beginnings field (`text_prefix`, `title_prefix`) answers a short last-word
prefix exactly as the automaton walk over the unstemmed words did: the same documents
with the same constant score, whatever the word's letters (accents folded, letters that
fold to two, digits, scripts without case, words too long to index)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from tantivy import Query

from search.embedded import EmbeddedEngine
from search.embedded_query import FUZZY_WEIGHT, Term, exact_prefix, query_terms, text_query
from search.embedded_schema import EXACT_ANALYZER, PREFIX_CHARS, SCHEMA, beginnings
from search.engine import SearchDoc

WHEN = dt.datetime(2021, 5, 4, tzinfo=dt.UTC)
TEXTS = [
    ("Harbour logistics", "Ports and harbours of the North Sea"),
    ("Æther ßtraße", "Œuvre naïve café: l'oréal, C++ and 4G/5G networks"),
    ("東京 cluster", "Кластер инноваций in Tōkyō and İstanbul"),
    ("Short", "a an in it to of x y z 2019 20 2"),
    ("Long", "pneumonoultramicroscopicsilicovolcanoconiosisisaverylongword ok"),
    ("Mixed CASE", "HARBOUR harbOUR Logi LOGISTICAL loges"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(Path(tmp_path_factory.mktemp("prefix")) / "search")
    engine.ensure_index()
    engine.upsert(
        [
            SearchDoc(f"post:{n}", "post", title, body, f"/p/{n}", WHEN)
            for n, (title, body) in enumerate(TEXTS, 1)
        ]
    )
    yield engine
    engine.close()


def _prefixes() -> list[str]:
    words = set()
    for title, body in TEXTS:
        words.update(EXACT_ANALYZER.analyze(f"{title} {body}"))
    found = {word[:n] for word in words for n in range(1, PREFIX_CHARS + 1)}
    return sorted(found | {"zz", "q", "ha", "Æ".lower(), "ae", "ss", "oe"})


def _answers(engine: EmbeddedEngine, query: Query) -> list[tuple[float, int]]:
    searcher = engine._fresh_index().searcher()
    hits = searcher.search(query, 100).hits
    return sorted((score, searcher.doc(address)["key"][0]) for score, address in hits)


@pytest.mark.parametrize("title_only", [False, True])
def test_a_short_prefix_finds_what_the_automaton_found(
    engine: EmbeddedEngine, title_only: bool
) -> None:
    exact_field, prefix_field = (
        ("title_exact", "title_prefix") if title_only else ("text_exact", "text_prefix")
    )
    for prefix in _prefixes():
        if len(prefix) > PREFIX_CHARS:
            continue
        walked = Query.boost_query(
            Query.fuzzy_term_query(
                SCHEMA, exact_field, prefix, 0, transposition_cost_one=True, prefix=True
            ),
            FUZZY_WEIGHT,
        )
        looked_up = Query.const_score_query(
            Query.term_query(SCHEMA, prefix_field, prefix), FUZZY_WEIGHT
        )
        assert _answers(engine, looked_up) == _answers(engine, walked), prefix


def test_only_prefixes_without_a_typo_budget_use_the_field() -> None:
    (short,) = query_terms("harb")
    (longer,) = query_terms("harbo")
    (complete,) = query_terms("harb ")
    assert exact_prefix(short)
    assert not exact_prefix(longer)  # one typo allowed: the automaton still walks
    assert not exact_prefix(complete)  # typed in full: no prefix at all
    assert "fuzzy" not in repr(text_query([short], title_only=False)).lower()
    assert "fuzzy" in repr(text_query([longer], title_only=False)).lower()
    assert not exact_prefix(Term(("ab",), phrase=True, prefix=True))


def test_beginnings_are_those_of_the_indexed_words() -> None:
    assert sorted(beginnings("Æther", "C++ l'oréal")) == sorted(
        {"a", "ae", "aet", "aeth", "c", "l", "o", "or", "ore", "orea"}
    )
    assert beginnings("") == []
    # A word longer than the index keeps is not indexed, so it has no beginnings either.
    assert beginnings("x" * 41) == []
