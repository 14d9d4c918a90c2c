"""Words for what a search asks: the labels of its filters, for the search page and the
default names of saved searches. Codes and slugs never reach a reader unlabelled."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.formats import format_date
from forum.core.i18n import Labels, _, _l, lazy_pgettext
from forum.discovery.service import KIND_LABELS, SearchParams
from forum.discussions.models import KIND_LABELS as THREAD_KIND_LABELS
from forum.discussions.models import Category
from forum.intelligence.models import KIND_LABELS as INTEL_KIND_LABELS
from forum.intelligence.models import place_name
from forum.taxonomy.service import sector_labels

# A subkind is a thread's or an item's own kind, or a partnership's strand.
# (`items()` gives the labels unread, lazy or not: they are read in the reader's language.)
SUBKIND_LABELS = Labels({**dict(THREAD_KIND_LABELS.items()), **dict(INTEL_KIND_LABELS.items())})

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
        return _("Strand %(name)s", name=value.removeprefix("strand-"))
    return value.replace("_", " ").capitalize()


def search_url(params: SearchParams, *, page: int = 1) -> str:
    """The search page's address for `params` (page 1 unless told)."""
    query = urlencode(params.query_items(page=page))
    return f"/search?{query}" if query else "/search"


def search_feed_url(params: SearchParams) -> str:
    """The address of the Atom feed of a search: its words and filters (no sort, no page)."""
    query = urlencode(replace(params, sort="relevance", page=1).query_items())
    return "/feeds/search.atom" + (f"?{query}" if query else "")


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
            return str(KIND_LABELS.get(value, value))
        if name == "subkind":
            return subkind_label(value)
        if name == "country":
            return place_name(value)
        if name == "sector":
            return self.sectors.get(value, value)
        if name == "category":
            return self.categories.get(value, value)
        return value


def labeller(db: Session) -> Labeller:
    return Labeller(
        sectors=sector_labels(db),
        categories={slug: name for slug, name in db.execute(select(Category.slug, Category.name))},
    )


@dataclass(frozen=True)
class ActiveFilter:
    """One filter the search applies, with the address of the same search without it."""

    name: str  # kind, subkind, country, sector, category, from, to
    value: str
    label: str  # "Japan", "Food industry", "1 Jan 2019"
    remove_url: str

    @property
    def text(self) -> str:
        """The filter in words: "Country: Japan", "From 1 Jan 2019"."""
        if self.name == "from":
            return _("From %(day)s", day=self.label)
        if self.name == "to":
            return _("Until %(day)s", day=self.label)
        return _("%(filter)s: %(value)s", filter=FILTER_TITLES[self.name], value=self.label)


FILTER_TITLES = Labels(
    kind=_l("Kind"),
    subkind=_l("Type"),
    country=_l("Country"),
    sector=_l("Sector"),
    category=_l("Category"),
    **{"from": lazy_pgettext("date range", "From"), "to": _l("Until")},
)


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
            ActiveFilter(
                "from",
                day,
                format_date(params.date_from),
                search_url(replace(params, date_from=None, page=1)),
            )
        )
    if params.date_to:
        day = params.date_to.isoformat()
        found.append(
            ActiveFilter(
                "to",
                day,
                format_date(params.date_to),
                search_url(replace(params, date_to=None, page=1)),
            )
        )
    return found


def describe(params: SearchParams, labels: Labeller) -> str:
    """A short name for a search: its words, then its filters ("food · Japan · from 1 Jan 2019")."""
    parts = [params.q] if params.q else []
    for active in active_filters(params, labels):
        if active.name == "from":
            parts.append(_("from %(day)s", day=active.label))
        elif active.name == "to":
            parts.append(_("until %(day)s", day=active.label))
        else:
            parts.append(active.label)
    return " · ".join(parts)
