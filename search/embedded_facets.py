"""Facet counts for the embedded engine: tantivy's terms aggregation, counting a page's own
documents, and the per-index-version cache of each filter combination's counts.

The counting runs on a thread of its own while the search collects its page (tantivy
releases the GIL in both), started before the search knows its total: by difference
from the filters' cached universe when the query's words alone guarantee that the text
matches more than half of it (`lower_bound`), else directly. Either way is exact: the
choice only decides which is faster.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

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
# A prefix guessed to match under 1/NARROW_SHARE of the index has its facets
# counted directly beside the search rather than by difference after it.
NARROW_SHARE = 4
# Threads counting facets beside the searches (per engine).
FACET_THREADS = 2

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
            # dict.fromkeys, not set: the counts' order (the API's) is the documents', not
            # the process's string hashing.
            counts[name].update(list(dict.fromkeys(doc.get_all(FACET_FIELDS[name]))))
    return {name: dict(counter) for name, counter in counts.items()}


def _subtract(whole: Facets, part: Facets) -> Facets:
    result = {}
    for name, counts in whole.items():
        missed = part.get(name, {})
        left = {value: count - missed.get(value, 0) for value, count in counts.items()}
        result[name] = {value: count for value, count in left.items() if count > 0}
    return result


def _by_difference(
    searcher: tantivy.Searcher, universe: Facets, filters: Sequence[Clause], text_query: Query
) -> Facets:
    """The counts of the text under the filters: the filters' universe minus the counts
    of their documents the text misses."""
    missed = Query.boolean_query(
        [(Occur.Must, Query.all_query()), *filters, (Occur.MustNot, text_query)]
    )
    return _subtract(universe, aggregate(searcher, missed))


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
        self._pool: ThreadPoolExecutor | None = None

    def _cached(self, version: tuple[object, ...], query: SearchQuery) -> tuple[int, Facets] | None:
        with self._lock:
            return self._cache.get(_filter_key(version, query))

    def start(
        self,
        searcher: tantivy.Searcher,
        version: tuple[object, ...],
        query: SearchQuery,
        filters: Sequence[Clause],
        text_query: Query,
        text_matches_at_least: Callable[[], int],
        *,
        may_be_broad: bool,
        text_matches_about: Callable[[], int] | None = None,
    ) -> Future[Facets] | None:
        """Count the facets of `text_query` under `filters` on a thread of the pool, before
        the search knows its total: by difference when the filters' universe is cached
        and the text is sure to match more than half of it (the text alone matches at
        least `text_matches_at_least()` documents, asked only when the universe is
        cached), else directly. When the universe is cached, the bound does not prove the
        text broad and it `may_be_broad` (a prefix: its words are not known), None: the
        caller counts after its search, by the total, as `counts()` does — unless the
        guess `text_matches_about()` puts the text under 1/NARROW_SHARE of the index
        (counting directly then costs least, and it need not wait for the search)."""
        cached = self._cached(version, query)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(FACET_THREADS, thread_name_prefix="facets")
            pool = self._pool
        if cached is not None:
            # Of the universe's documents, the text matches at least this many.
            sure = text_matches_at_least() + cached[0] - searcher.num_docs
            if sure * 2 > cached[0]:
                return pool.submit(_by_difference, searcher, cached[1], filters, text_query)
            # (The guess is over the whole index; the filters are taken as independent of it.)
            if may_be_broad and (
                text_matches_about is None
                or text_matches_about() * NARROW_SHARE > searcher.num_docs
            ):
                return None
        return pool.submit(aggregate, searcher, combine(text_query, filters))

    def remember(
        self,
        searcher: tantivy.Searcher,
        version: tuple[object, ...],
        query: SearchQuery,
        filters: Sequence[Clause],
        total: int,
    ) -> None:
        """After a broad search: the filters' universe, for the next broad one with them.
        Narrow ones never pay for it (at 1M documents it costs ~100 ms, and every commit
        clears it)."""
        if total >= UNIVERSE_AFTER_MATCHES and self._cached(version, query) is None:
            self.universe(searcher, version, query, filters)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

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
            return _by_difference(searcher, cached[1], filters, text_query)
        facets = aggregate(searcher, combine(text_query, filters))
        self.remember(searcher, version, query, filters, total)
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
