"""The events lists' filters as the pages show them: facets of links (region, country,
sector, partnership) with their counts among the events the list keeps, and the active
filters as removable chips."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from forum.core.filters import Chip, Facet, ListQuery, build_facet
from forum.core.formats import format_date
from forum.core.i18n import Labels, _, _l
from forum.events.listing import EventFilter, filtered_events
from forum.events.models import Attendance, Event, EventPartnership, event_sector
from forum.partnerships.models import Partnership
from forum.taxonomy import regions
from forum.taxonomy.models import Sector
from forum.taxonomy.service import country_label

FACET_TITLES = Labels(
    region=_l("Region"), country=_l("Country"), sector=_l("Sector"), partnership=_l("Partnership")
)
# Each facet and the query parameter it sets: regions are country filters too.
PARAMETERS = {"region": "country", "country": "country", "sector": "sector",
              "partnership": "partnership"}  # fmt: skip
CHIP_TITLES = Labels(
    country=_l("Country or region"), sector=_l("Sector"), partnership=_l("Partnership")
)


def facet_counts(db: Session, flt: EventFilter) -> dict[str, dict[str, int]]:
    """Counts by region, country, sector and partnership (slug) among the events `flt`
    keeps: four GROUP BYs over the list's own query, whatever the number of values."""
    ids = select(filtered_events(flt).with_only_columns(Event.id).subquery().c.id)
    countries = {
        str(code): int(n)
        for code, n in db.execute(
            select(Event.country_code, func.count())
            .where(Event.id.in_(ids), Event.country_code.is_not(None))
            .group_by(Event.country_code)
        )
        if code
    }
    # An event has one country: a region's count is the sum of its members'.
    groups = {}
    for group in regions.load_region_groups().values():
        total = sum(n for code, n in countries.items() if code in group.members)
        if total:
            groups[group.code] = total
    sectors = dict(
        db.execute(
            select(Sector.slug, func.count())
            .join(event_sector, event_sector.c.sector_id == Sector.id)
            .where(event_sector.c.event_id.in_(ids))
            .group_by(Sector.slug)
        ).all()
    )
    # A partnership's events: those it is listed at and those it marked attendance at.
    linked = union(
        select(
            EventPartnership.partnership_id.label("pid"), EventPartnership.event_id.label("eid")
        ),
        select(Attendance.partnership_id.label("pid"), Attendance.event_id.label("eid")).where(
            Attendance.partnership_id.is_not(None)
        ),
    ).subquery()
    partnerships = dict(
        db.execute(
            select(Partnership.slug, func.count())
            .join(linked, linked.c.pid == Partnership.id)
            .where(linked.c.eid.in_(ids))
            .group_by(Partnership.slug)
        ).all()
    )
    return {
        "region": groups,
        "country": countries,
        "sector": {str(k): int(v) for k, v in sectors.items()},
        "partnership": {str(k): int(v) for k, v in partnerships.items()},
    }


def facets(
    query: ListQuery,
    counts: Mapping[str, Mapping[str, int]],
    sector_names: Mapping[str, str],
    partnership_names: Mapping[str, str],
) -> list[Facet]:
    """Every facet with a value to choose, each value a link toggling it in `query`."""
    chosen_places = query.values("country")
    chosen = {
        "region": [c for c in chosen_places if regions.is_region_code(c)],
        "country": [c for c in chosen_places if not regions.is_region_code(c)],
        "sector": query.values("sector"),
        "partnership": query.values("partnership"),
    }
    labels: dict[str, Callable[[str], str]] = {
        "region": country_label,
        "country": country_label,
        "sector": lambda s: sector_names.get(s, s),
        "partnership": lambda p: partnership_names.get(p, p),
    }
    out = []
    for name, parameter in PARAMETERS.items():
        facet = build_facet(
            name, str(FACET_TITLES[name]), counts.get(name, {}), chosen[name],
            label=labels[name], url=query.toggler(parameter),
        )  # fmt: skip
        if facet is not None:
            out.append(facet)
    return out


def chips(
    query: ListQuery,
    flt: EventFilter,
    sector_names: Mapping[str, str],
    partnership_names: Mapping[str, str],
) -> list[Chip]:
    """The active filters, in the order of the panel, each with the list without it."""
    found = []
    for name in ("country", "sector", "partnership"):
        for value in query.values(name):
            if name == "country":
                label = country_label(value)
            elif name == "sector":
                label = sector_names.get(value, value)
            else:
                label = partnership_names.get(value, value)
            text = _("%(filter)s: %(value)s", filter=CHIP_TITLES[name], value=label)
            found.append(Chip(text, query.without(name, value)))
    if flt.date_from:
        found.append(Chip(_("From %(day)s", day=format_date(flt.date_from)), query.without("from")))
    if flt.date_to:
        found.append(Chip(_("Until %(day)s", day=format_date(flt.date_to)), query.without("to")))
    return found
