"""The search interface every engine implements (embedded tantivy, Meilisearch).

Documents are flat: the forum builds them from its models (forum/discovery) and
the engines never see a database row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

KINDS = ("thread", "post", "intel", "event", "partnership")
FACETS = ("kind", "subkind", "country", "sector")


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
    # "public" or "members"; hidden or deleted content is never indexed at all.
    visibility: str = "public"


@dataclass(frozen=True)
class SearchQuery:
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


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchEngine(Protocol):
    """What the forum needs of a search engine. Every method may raise on failure;
    callers keep their own writes and retry through the outbox."""

    def ensure_index(self) -> None: ...

    def upsert(self, docs: Sequence[SearchDoc]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResults: ...

    def clear(self) -> None: ...

    def stats(self) -> dict[str, object]: ...
