"""The intelligence list's filters as the page shows them: facets of links with their
counts, the sort and "still open" links, and the active filters as removable chips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from forum.core.filters import Chip, Facet, ListQuery, build_facet
from forum.core.formats import format_date
from forum.core.i18n import Labels, _, _l
from forum.intelligence.models import INTEL_KINDS, KIND_LABELS, place_name

FACET_NAMES = ("country", "sector", "kind", "source")
FACET_TITLES = Labels(
    country=_l("Country"), sector=_l("Sector"), kind=_l("Kind"), source=_l("Source")
)
SORT_LABELS = Labels(
    added=_l("Recently added"), published=_l("Publication date"), deadline=_l("Deadline")
)


def facets(
    query: ListQuery,
    counts: Mapping[str, Mapping[str, int]],
    sector_names: Mapping[str, str],
) -> list[Facet]:
    """Every facet with a value to choose, each value a link toggling it in `query`."""
    labels: dict[str, Callable[[str], str]] = {
        "country": place_name,
        "sector": lambda s: sector_names.get(s, s),
        "kind": lambda k: str(KIND_LABELS[k]) if k in KIND_LABELS else k,
        "source": str,
    }
    out = []
    for name in FACET_NAMES:
        facet = build_facet(
            name, str(FACET_TITLES[name]), counts.get(name, {}), query.values(name),
            label=labels[name], url=query.toggler(name),
            order=INTEL_KINDS if name == "kind" else None,
        )  # fmt: skip
        if facet is not None:
            out.append(facet)
    return out


def sort_links(query: ListQuery, sort: str) -> list[tuple[str, str, bool]]:
    """(label, address, current) for each sort; the default sort leaves the address bare."""
    return [
        (str(label), query.without("sort") if key == "added" else query.replaced("sort", key),
         key == sort)
        for key, label in SORT_LABELS.items()
    ]  # fmt: skip


def chips(
    query: ListQuery,
    sector_names: Mapping[str, str],
    published_from: dt.date | None,
    published_to: dt.date | None,
) -> list[Chip]:
    """The active filters, in the order of the panel, each with the list without it."""
    found = []
    for name in FACET_NAMES:
        for value in query.values(name):
            if name == "country":
                label = place_name(value)
            elif name == "sector":
                label = sector_names.get(value, value)
            elif name == "kind":
                label = str(KIND_LABELS[value]) if value in KIND_LABELS else value
            else:
                label = value
            text = _("%(filter)s: %(value)s", filter=FACET_TITLES[name], value=label)
            found.append(Chip(text, query.without(name, value)))
    if published_from is not None:
        text = _("Published from %(day)s", day=format_date(published_from))
        found.append(Chip(text, query.without("from")))
    if published_to is not None:
        text = _("Published until %(day)s", day=format_date(published_to))
        found.append(Chip(text, query.without("to")))
    if query.values("open"):
        found.append(Chip(_("Only calls and tenders still open"), query.without("open")))
    return found
