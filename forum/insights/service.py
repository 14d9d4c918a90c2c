"""The numbers behind /insights: countries targeted, events by country, activity by sector.

Public numbers only: threads of public categories that are not hidden, published
intelligence items, and events (which are public). The same for every reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.core.collation import sort_key
from forum.discussions.models import thread_sector
from forum.discussions.service import threads_not_visible
from forum.events.models import Event, event_sector
from forum.intelligence.models import intel_sector
from forum.intelligence.service import items_not_published
from forum.partnerships.service import countries_targeted as _countries_targeted
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import UnknownCountryError, is_european
from forum.taxonomy.service import Country, get_country


@dataclass(frozen=True)
class CountryCount:
    country: Country
    count: int


@dataclass(frozen=True)
class EventsByCountry:
    inside: list[CountryCount]  # inside Europe, most events first
    outside: list[CountryCount]
    # Events whose place is not one country (unknown, several, "to be defined").
    no_country: int

    @property
    def total(self) -> int:
        return (
            sum(c.count for c in self.inside)
            + sum(c.count for c in self.outside)
            + (self.no_country)
        )


@dataclass(frozen=True)
class SectorActivity:
    sector: Sector
    threads: int
    items: int
    events: int

    @property
    def total(self) -> int:
        return self.threads + self.items + self.events


def _ranked(counts: dict[str, int]) -> list[CountryCount]:
    rows = []
    for code, count in counts.items():
        country = get_country(code)
        if country is not None and count > 0:
            rows.append(CountryCount(country, count))
    return sorted(rows, key=lambda r: (-r.count, sort_key(r.country.label)))


def countries_targeted(db: Session) -> list[CountryCount]:
    """Each country targeted by at least one partnership, with how many: the report's Figure 1."""
    return _ranked(_countries_targeted(db))


def events_by_country(db: Session) -> EventsByCountry:
    """Events per country, split inside and outside Europe.

    An event's own `in_europe` decides; without one, its country does (regions.is_european).
    """
    inside: dict[str, int] = {}
    outside: dict[str, int] = {}
    no_country = 0
    rows = db.execute(
        select(Event.country_code, Event.in_europe, func.count()).group_by(
            Event.country_code, Event.in_europe
        )
    )
    for code, in_europe, count in rows:
        if code is None or get_country(code) is None:
            no_country += count
            continue
        european = in_europe
        if european is None:
            try:
                european = is_european(code)
            except UnknownCountryError:
                european = False
        side = inside if european else outside
        side[code] = side.get(code, 0) + count
    return EventsByCountry(_ranked(inside), _ranked(outside), no_country)


def _pairs(rows: Iterable[Any]) -> dict[int, int]:
    # Not dict(result): a Result has keys() (its column names), which dict() would use.
    return {int(key): int(count) for key, count in rows}


def _links_less(db: Session, link_sector: Any, link_owner: Any, left_out: Any) -> dict[int, int]:
    """Per sector, the links of a link table (item-sector, thread-sector) less those of the
    owners `left_out` selects: every link counted from the index by sector alone, then
    the few links of the owners not shown (found by their own index), taken off. Exact,
    and much cheaper than testing the owner of each of the ~400,000 links."""
    every = _pairs(db.execute(select(link_sector, func.count()).group_by(link_sector)))
    less = _pairs(
        db.execute(
            select(link_sector, func.count()).where(link_owner.in_(left_out)).group_by(link_sector)
        )
    )
    return {sector: n - less.get(sector, 0) for sector, n in every.items()}


def _public_threads(db: Session) -> dict[int, int]:
    """Threads a visitor may read, per sector."""
    left_out = threads_not_visible(None)
    return _links_less(db, thread_sector.c.sector_id, thread_sector.c.thread_id, left_out)


def _published_items(db: Session) -> dict[int, int]:
    """Published items, per sector."""
    left_out = items_not_published()
    return _links_less(db, intel_sector.c.sector_id, intel_sector.c.item_id, left_out)


def activity_by_sector(db: Session) -> list[SectorActivity]:
    """Every sector with its public threads, published items and events; busiest first."""
    threads = _public_threads(db)
    items = _published_items(db)
    events = _pairs(
        db.execute(
            select(event_sector.c.sector_id, func.count()).group_by(event_sector.c.sector_id)
        )
    )
    rows = [
        SectorActivity(s, threads.get(s.id, 0), items.get(s.id, 0), events.get(s.id, 0))
        for s in db.scalars(select(Sector))
    ]
    return sorted(rows, key=lambda r: (-r.total, sort_key(r.sector.label)))
