"""The embedded engine's answers stay exactly what they were when its search pass changes.

A fixed index (the first 4,000 documents of the search benchmark's synthetic corpus) and
a fixed query set (every fifth query of benchmarks/data/search_queries.json, as an
anonymous visitor and as a member, page 1 and 2, by relevance and by date): each
answer's total, hit ids, scores, titles, snippets and facet counts are compared with
tests/search/golden/embedded_answers.json, written by the engine as it was before the
faster pass (issue 26). The facet counts are also checked with the broad-search shortcut
(counting by difference from each filter set's cached universe) taking every query.

Regenerate the golden file only when a change of answers is intended:
`FORUM_WRITE_GOLDEN=1 pytest tests/search/test_search_results_unchanged.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_search_engine import load_queries, synthetic_docs
from search import embedded_facets
from search.embedded import EmbeddedEngine
from search.embedded_query import CommonTerms, matches_at_least, query_terms, text_query
from search.engine import SearchQuery, SearchResults

GOLDEN = Path(__file__).parent / "golden" / "embedded_answers.json"
DOCS = 4000
EVERY = 5


def _queries() -> Iterator[tuple[str, SearchQuery]]:
    for number, entry in enumerate(load_queries()[::EVERY]):
        for visibilities in (("public",), ("public", "members")):
            for page, sort in ((1, "relevance"), (2, "relevance"), (1, "newest")):
                if (page, sort) != (1, "relevance") and number % 3:
                    continue  # page 2 and newest for a third of them
                query = SearchQuery(
                    text=entry["text"],
                    countries=tuple(entry.get("countries", ())),
                    sectors=tuple(entry.get("sectors", ())),
                    kinds=tuple(entry.get("kinds", ())),
                    visibilities=visibilities,
                    page=page,
                    sort=sort,
                )
                label = f"{entry['class']} {entry['text']!r} {entry.get('countries', '')}"
                label += f" {entry.get('sectors', '')} {entry.get('kinds', '')}"
                yield f"{label} {'/'.join(visibilities)} p{page} {sort}", query


def _answer(results: SearchResults) -> dict[str, Any]:
    shown = [
        [hit.id, round(hit.score, 4), hit.title_html, hit.snippet, hit.url, hit.kind,
         hit.subkind, list(hit.countries), list(hit.sectors), str(hit.created_at),
         hit.language]
        for hit in results.hits
    ]  # fmt: skip
    return {
        "total": results.total,
        "ids": [hit.id for hit in results.hits],
        "facets": {name: dict(sorted(counts.items())) for name, counts in results.facets.items()},
        "hits_sha256": hashlib.sha256(json.dumps(shown).encode()).hexdigest(),
    }


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(tmp_path_factory.mktemp("answers") / "search")
    engine.ensure_index()
    target = engine.start_rebuild()
    target.upsert(list(synthetic_docs(DOCS)))
    engine.finish_rebuild(target)
    yield engine
    engine.close()


def _answers(engine: EmbeddedEngine) -> dict[str, dict[str, Any]]:
    return {label: _answer(engine.search(query)) for label, query in _queries()}


def test_answers_are_those_of_the_golden_file(engine: EmbeddedEngine) -> None:
    answers = _answers(engine)
    if os.environ.get("FORUM_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(answers, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert len(answers) >= 150
    assert sum(answer["total"] > 10 for answer in answers.values()) >= 60
    changed = [label for label in golden if golden[label] != answers.get(label)]
    assert not changed, f"{len(changed)} answers changed, first {changed[0]}: " + json.dumps(
        [golden[changed[0]], answers.get(changed[0])]
    )
    assert set(answers) == set(golden)


def test_facets_by_difference_are_the_same(
    engine: EmbeddedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every search caches its filter set's universe, so the broad-search shortcut (all of
    the filters' documents minus those the text misses) answers whenever it may."""
    monkeypatch.setattr(embedded_facets, "UNIVERSE_AFTER_MATCHES", 0)
    engine._facets = embedded_facets.FacetCounter()
    golden = json.loads(GOLDEN.read_text())
    for _ in range(2):  # the first pass fills the cache, the second uses it throughout
        answers = _answers(engine)
        changed = [label for label in golden if golden[label] != answers[label]]
        assert not changed, changed[:3]


def test_the_lower_bound_that_chooses_the_counting_method_is_one(engine: EmbeddedEngine) -> None:
    """matches_at_least (with the common words' floor for a last-word prefix) never says
    more than the text matches: it only picks how facets are counted, never what."""
    searcher = engine._fresh_index().searcher()
    common = CommonTerms()
    bounded = 0
    for _, query in _queries():
        terms = query_terms(query.text)
        text = text_query(terms, title_only=False)
        if text is None:
            continue
        matched = searcher.search(text, 1, count=True).count
        floor = partial(common.floor, searcher, "golden")
        at_least = matches_at_least(searcher, terms, title_only=False, prefix_floor=floor)
        assert at_least <= matched, query.text
        bounded += at_least > 0
    assert bounded >= 20
