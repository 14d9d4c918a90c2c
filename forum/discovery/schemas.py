"""Shapes of the search API (DESIGN.md: `GET /search`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from search.engine import SearchHit


class SearchHitOut(BaseModel):
    id: str = Field(description='The document: "<kind>:<number>", e.g. "intel:42"')
    kind: str = Field(description="thread, post, intel, event or partnership")
    subkind: str | None = Field(
        description="The thread's or item's own kind: good_practice, funding_call ..."
    )
    title: str
    url: str = Field(description="The page of what was found")
    snippet: str = Field(description="HTML: escaped text with <mark> around what matched")
    title_html: str = Field(description="HTML: the escaped title with <mark> around matches")
    countries: list[str] = Field(description="ISO 3166-1 alpha-2 codes")
    sectors: list[str] = Field(description="Sector slugs")
    date: dt.datetime | None = Field(
        description="Published, posted or (events) first day, as the `from`/`to` filters read it"
    )
    language: str | None = Field(
        None, description="ISO 639-1 code of the language the text is written in; null if unknown"
    )

    @classmethod
    def of(cls, hit: SearchHit, base_url: str) -> SearchHitOut:
        return cls(
            id=hit.id,
            kind=hit.kind,
            subkind=hit.subkind,
            title=hit.title,
            url=base_url + hit.url,
            snippet=hit.snippet,
            title_html=hit.title_html,
            countries=list(hit.countries),
            sectors=list(hit.sectors),
            date=hit.created_at,
            language=hit.language,
        )


class SearchOut(BaseModel):
    hits: list[SearchHitOut]
    total: int = Field(description="How many documents match, on every page")
    total_exact: bool = Field(
        True,
        description="False when `total` is a floor: with Meilisearch, totals are counted up "
        "to its `pagination.maxTotalHits` (10,000 by default) and reported as that many",
    )
    page: int
    pages: int = Field(description="How many pages there are (at most 100)")
    facets: dict[str, dict[str, int]] = Field(
        description="For kind, subkind, country and sector: how many matching documents "
        "carry each value"
    )
