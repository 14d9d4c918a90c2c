"""Words for what a search asks: the labels of its filters, for the search page and the
default names of saved searches. Codes and slugs never reach a reader unlabelled."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.discovery.service import KIND_LABELS, SearchParams
from forum.discussions.models import KIND_LABELS as THREAD_KIND_LABELS
from forum.discussions.models import Category
from forum.intelligence.models import KIND_LABELS as INTEL_KIND_LABELS
from forum.taxonomy.models import Sector
from forum.taxonomy.service import country_label

# A subkind is a thread's or an item's own kind, or a partnership's strand.
SUBKIND_LABELS = {**THREAD_KIND_LABELS, **INTEL_KIND_LABELS}

# The search page's query parameter of each filter, and the SearchParams field it fills.
FILTER_FIELDS = {
    "kind": "kinds",
    "subkind": "subkinds",
    "country": "countries",
    "sector": "sectors",
    "category": "categories",
}


def subkind_label(value: str) -> str:
    if value in SUBKIND_LABELS:
        return SUBKIND_LABELS[value]
    if value.startswith("strand-"):
        return f"Strand {value.removeprefix('strand-')}"
    return value.replace("_", " ").capitalize()


def search_url(params: SearchParams, *, page: int = 1) -> str:
    """The search page's address for `params` (page 1 unless told)."""
    query = urlencode(params.query_items(page=page))
    return f"/search?{query}" if query else "/search"


def toggled(params: SearchParams, name: str, value: str) -> SearchParams:
    """`params` with the filter `name=value` added, or removed when it was there; page 1."""
    field = FILTER_FIELDS[name]
    current: tuple[str, ...] = getattr(params, field)
    changed = tuple(v for v in current if v != value) if value in current else (*current, value)
    changes: dict[str, Any] = {field: changed, "page": 1}
    return replace(params, **changes)


@dataclass(frozen=True)
class Labeller:
    """Names for sector slugs and category slugs, read once per request."""

    sectors: dict[str, str]
    categories: dict[str, str]

    def label(self, name: str, value: str) -> str:
        if name == "kind":
            return KIND_LABELS.get(value, value)
        if name == "subkind":
            return subkind_label(value)
        if name == "country":
            return country_label(value)
        if name == "sector":
            return self.sectors.get(value, value)
        if name == "category":
            return self.categories.get(value, value)
        return value


def labeller(db: Session) -> Labeller:
    return Labeller(
        sectors={slug: name for slug, name in db.execute(select(Sector.slug, Sector.name))},
        categories={slug: name for slug, name in db.execute(select(Category.slug, Category.name))},
    )


@dataclass(frozen=True)
class ActiveFilter:
    """One filter the search applies, with the address of the same search without it."""

    name: str  # kind, subkind, country, sector, category, from, to
    value: str
    label: str  # "Japan", "Food industry", "2019-01-01"
    remove_url: str

    @property
    def text(self) -> str:
        """The filter in words: "Country: Japan", "From 2019-01-01"."""
        if self.name in ("from", "to"):
            return f"{FILTER_TITLES[self.name]} {self.label}"
        return f"{FILTER_TITLES[self.name]}: {self.label}"


FILTER_TITLES = {
    "kind": "Kind",
    "subkind": "Type",
    "country": "Country",
    "sector": "Sector",
    "category": "Category",
    "from": "From",
    "to": "Until",
}


def active_filters(params: SearchParams, labels: Labeller) -> list[ActiveFilter]:
    """The filters of `params` in the order of the page's form, each removable."""
    found = [
        ActiveFilter(
            name, value, labels.label(name, value), search_url(toggled(params, name, value))
        )
        for name, field in FILTER_FIELDS.items()
        for value in getattr(params, field)
    ]
    if params.date_from:
        day = params.date_from.isoformat()
        found.append(
            ActiveFilter("from", day, day, search_url(replace(params, date_from=None, page=1)))
        )
    if params.date_to:
        day = params.date_to.isoformat()
        found.append(
            ActiveFilter("to", day, day, search_url(replace(params, date_to=None, page=1)))
        )
    return found


def describe(params: SearchParams, labels: Labeller) -> str:
    """A short name for a search: its words, then its filters ("food · Japan · from 2019-01-01")."""
    parts = [params.q] if params.q else []
    for active in active_filters(params, labels):
        parts.append(active.text.lower() if active.name in ("from", "to") else active.label)
    return " · ".join(parts)
