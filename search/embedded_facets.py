"""Facet counts for the embedded engine: tantivy's terms aggregation, counting a page's own
documents, and the per-index-version cache of each filter combination's counts."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence

import tantivy
from tantivy import Document, Occur, Query

from search.embedded_query import Clause, combine
from search.embedded_schema import FACET_FIELDS, to_second
from search.engine import FACETS, SearchError, SearchQuery

# Terms aggregations are exact only when every value fits in one bucket list.
FACET_SIZE = 1000
# A text search matching at least this many documents computes its filters' universe
# (cached per index version) so that the next broad one counts by difference.
UNIVERSE_AFTER_MATCHES = 20_000
# Filter combinations whose facet counts are kept (per index version).
FACET_CACHE_ENTRIES = 128

Facets = dict[str, dict[str, int]]


def aggregate(searcher: tantivy.Searcher, query: Query) -> Facets:
    request = {
        name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in FACETS
    }
    try:
        answer = searcher.aggregate(query, request)
    except ValueError as exc:
        raise SearchError(f"facet counts failed: {exc}") from exc
    return {
        name: {
            str(bucket["key"]): int(bucket["doc_count"])
            for bucket in answer.get(name, {}).get("buckets", [])
        }
        for name in FACETS
    }


def count_documents(documents: Iterable[Document]) -> Facets:
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for doc in documents:
        for name in FACETS:
            counts[name].update(set(doc.get_all(FACET_FIELDS[name])))
    return {name: dict(counter) for name, counter in counts.items()}


def _subtract(whole: Facets, part: Facets) -> Facets:
    result = {}
    for name, counts in whole.items():
        missed = part.get(name, {})
        left = {value: count - missed.get(value, 0) for value, count in counts.items()}
        result[name] = {value: count for value, count in left.items() if count > 0}
    return result


def _filter_key(version: tuple[object, ...], query: SearchQuery) -> tuple[object, ...]:
    return (
        version,
        *(
            tuple(sorted(set(values)))
            for values in (
                query.kinds,
                query.subkinds,
                query.countries,
                query.sectors,
                query.categories,
                query.visibilities,
            )
        ),
        to_second(query.date_from) if query.date_from else None,
        to_second(query.date_to) if query.date_to else None,
    )


class FacetCounter:
    """Counts facets over every matching document, keeping the counts of the filters
    alone per index version (`version`: anything that changes with each commit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[object, ...], tuple[int, Facets]] = OrderedDict()

    def counts(
        self,
        searcher: tantivy.Searcher,
        version: tuple[object, ...],
        query: SearchQuery,
        filters: Sequence[Clause],
        text_query: Query | None,
        total: int,
    ) -> Facets:
        """Facet counts over every matching document.

        Counting is the costly part of a broad search (tantivy's terms aggregation
        visits each matching document's values), so the counts of the filters alone
        are kept per index version, and a text matching more than half of them is
        counted as "all of the filters' documents minus those the text misses".
        """
        if text_query is None:
            return self.universe(searcher, version, query, filters)[1]
        with self._lock:
            cached = self._cache.get(_filter_key(version, query))
        if cached is not None and total * 2 > cached[0]:
            missed = Query.boolean_query(
                [(Occur.Must, Query.all_query()), *filters, (Occur.MustNot, text_query)]
            )
            return _subtract(cached[1], aggregate(searcher, missed))
        facets = aggregate(searcher, combine(text_query, filters))
        if cached is None and total >= UNIVERSE_AFTER_MATCHES:
            # A broad search: remember the universe for the next one with these filters.
            # Narrow ones never pay for it (at 1M documents it costs ~100 ms, and every
            # commit clears it).
            self.universe(searcher, version, query, filters)
        return facets

    def universe(
        self,
        searcher: tantivy.Searcher,
        version: tuple[object, ...],
        query: SearchQuery,
        filters: Sequence[Clause],
    ) -> tuple[int, Facets]:
        """(documents, facet counts) of the filters alone, cached for this index version."""
        key = _filter_key(version, query)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        universe = combine(None, filters)
        count = int(getattr(searcher.search(universe, 1, count=True), "count", 0) or 0)
        entry = (count, aggregate(searcher, universe))
        with self._lock:
            if self._cache and next(iter(self._cache))[0] != version:
                self._cache.clear()  # a commit made every entry stale
            self._cache[key] = entry
            while len(self._cache) > FACET_CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return entry
