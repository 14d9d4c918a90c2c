"""The search interface every engine implements (embedded tantivy, Meilisearch).

Documents are flat: the forum builds them from its models (forum/discovery) and
the engines never see a database row. docs/search.md describes the matching rules
both engines follow; tests/search/test_contract.py holds them to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, Self

# Append new kinds at the end: a document's integer key encodes the kind's position.
KINDS = ("thread", "post", "intel", "event", "partnership")
FACETS = ("kind", "subkind", "country", "sector")
# Fields a query can be restricted to (the `in:` operator); the default searches all.
SEARCH_FIELDS = ("title",)
SORTS = ("relevance", "newest")

_KIND_SHIFT = 40
_NUMBER_MASK = (1 << _KIND_SHIFT) - 1


class SearchError(Exception):
    """The engine could not do what was asked (down, locked, a failed task).

    Callers keep their own writes and retry through the outbox; a search request
    answers "search unavailable".
    """


class SearchIndexOutdated(SearchError):
    """The index on disk was built by an older schema: run `forum search reindex`."""


def parse_doc_id(doc_id: str) -> tuple[str, int]:
    """Split "intel:42" into ("intel", 42); raises ValueError for anything else."""
    kind, sep, number = doc_id.partition(":")
    if not sep or kind not in KINDS or not number.isdigit() or not number.isascii():
        raise ValueError(f"search document id must be '<kind>:<number>', got {doc_id!r}")
    value = int(number)
    if value > _NUMBER_MASK:
        raise ValueError(f"search document number too large: {doc_id!r}")
    return kind, value


def doc_key(doc_id: str) -> int:
    """The signed 64-bit integer both engines store as the document's primary key.

    The kind's position in KINDS sits above bit 40 and the number below it, so keys
    are unique across kinds and decode back with `doc_id_from_key`.
    """
    kind, number = parse_doc_id(doc_id)
    return (KINDS.index(kind) << _KIND_SHIFT) | number


def doc_id_from_key(key: int) -> str:
    return f"{KINDS[key >> _KIND_SHIFT]}:{key & _NUMBER_MASK}"


@dataclass(frozen=True)
class SearchDoc:
    """One searchable document; `id` is "<kind>:<number>", e.g. "intel:42"."""

    id: str
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    subkind: str | None = None
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    category: str | None = None
    # "public" or "members" (any short word: moderators may search "hidden" too);
    # what a searcher may see is decided by SearchQuery.visibilities, in the engine.
    visibility: str = "public"
    # Words that find the document but are never shown in snippets: the forum puts its
    # countries' names in other languages and its sectors' names here.
    keywords: str = ""
    # The language the title and body are written in (ISO 639-1, "fr", "pt-BR"); None
    # when unknown. Engines analyse the text in it: stemmed where they have a stemmer for
    # it, word for word otherwise.
    language: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    """What to find. Every filter is an allow-list: empty means "no restriction",
    except `visibilities`, where empty allows nothing (fail closed).

    Several values of one filter match any of them; different filters all apply.
    Dates are compared at one-second resolution on the half-open range
    [date_from, date_to); naive datetimes are taken as UTC. `fields` restricts the
    text to some of SEARCH_FIELDS (the `in:title` operator); empty means all.
    `page` counts from 1; a page past the end has no hits but the true total.
    """

    text: str = ""
    kinds: Sequence[str] = ()
    subkinds: Sequence[str] = ()
    countries: Sequence[str] = ()  # ISO codes, region groups already expanded
    sectors: Sequence[str] = ()
    categories: Sequence[str] = ()
    visibilities: Sequence[str] = ("public",)
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    sort: str = "relevance"  # or "newest"
    page: int = 1
    per_page: int = 10
    fields: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.page < 1 or self.per_page < 1:
            raise ValueError(f"page and per_page must be >= 1, got {self.page}, {self.per_page}")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, got {self.sort!r}")
        unknown = set(self.fields) - set(SEARCH_FIELDS)
        if unknown:
            raise ValueError(f"unknown search fields {sorted(unknown)}; known: {SEARCH_FIELDS}")


@dataclass(frozen=True)
class SearchHit:
    id: str
    kind: str
    subkind: str | None
    title: str
    url: str
    snippet: str  # HTML: escaped text with <mark> around matches
    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    score: float = 0.0
    title_html: str = ""  # HTML: the escaped title with <mark> around matches
    created_at: dt.datetime | None = None
    language: str | None = None  # the document's, for the page's `lang` attributes


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    total: int
    # FACETS name -> value -> number of matching documents (all pages, not this one)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # False when `total` is a floor ("at least"): Meilisearch counts up to its
    # `maxTotalHits`; the embedded engine always counts exactly.
    total_exact: bool = True


class SearchEngine(Protocol):
    """What the forum needs of a search engine. Every method may raise SearchError
    on failure; callers keep their own writes and retry through the outbox."""

    def ensure_index(self) -> None: ...

    def upsert(self, docs: Sequence[SearchDoc]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResults: ...

    def clear(self) -> None: ...

    def stats(self) -> dict[str, object]: ...

    def health(self) -> dict[str, object]:
        """A cheap check that the engine answers (`/healthz`): Meilisearch's GET /health,
        one request; the embedded engine's local counts."""
        ...

    def check_writes(self) -> list[str]:
        """Ids of documents whose writes the engine accepted and later failed (Meilisearch
        tasks found failed since the last call): the caller queues them again. The
        embedded engine's writes fail when they are made: always empty."""
        ...

    def settle(self) -> None:
        """Wait until every write sent so far is applied; raise SearchError for one that
        failed. Meilisearch applies writes later (tasks); the embedded engine at once."""
        ...

    def start_rebuild(self) -> Self:
        """A new, empty index beside the live one, for a full reindex: fill it with
        upsert(), then pass it to finish_rebuild(). Searches keep using the live one."""
        ...

    def finish_rebuild(self, target: Self) -> None:
        """Make `target` the live index in one atomic switch and drop the old one."""
        ...

    def close(self) -> None:
        """Release what the engine holds (the embedded engine's writer lock)."""
        ...
