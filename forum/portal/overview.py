"""What the forum holds about one country or one sector, gathered from each domain's service.

The country and sector pages and their API twins read the same gathering, so the HTML
and the JSON never disagree. Every list is a short "newest first" extract with its total;
the full, paginated lists live on /intel, /partnerships and /discussions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.collation import sort_key
from forum.core.i18n import _l
from forum.discussions import listing as thread_lists
from forum.discussions.models import Thread
from forum.events import attendance as event_attendance
from forum.events import listing as event_lists
from forum.events.models import Event
from forum.intelligence import counts as intelligence_counts
from forum.intelligence.counts import Recent
from forum.partnerships import service as partnerships
from forum.partnerships.models import Agreement, Partnership
from forum.taxonomy import regions
from forum.taxonomy.models import Sector
from forum.taxonomy.service import Country, countries_for, list_countries

RECENT_ITEMS = 10
RECENT_THREADS = 10
UPCOMING_EVENTS = 10
PARTNERSHIPS_SHOWN = 12
# The groups that partition the world map for the countries index, in the order shown:
# each country is listed under the first of them that contains it (Cyprus with the EU,
# Mexico with North America); the few left over are listed last.
INDEX_REGIONS = (
    ("g:eu27", None),
    ("g:europe", _l("Other European countries")),
    ("g:north-america", None),
    ("g:latin-america", None),
    ("g:mena", None),
    ("g:sub-saharan-africa", None),
    ("g:central-asia", None),
    ("g:east-asia", None),
    ("g:south-east-asia", None),
    ("g:south-asia", None),
    ("g:oceania", None),
)
OTHER_REGION = _l("Other countries and territories")


@dataclass
class Overview:
    """Recent intelligence, partnerships and threads under one tag, with their totals.

    `items.total` stops counting past intelligence_counts.COUNT_CAP (`items.capped`); the other
    totals are exact.
    """

    items: Recent
    partnerships: list[Partnership]
    partnership_total: int
    threads: list[Thread]
    thread_total: int
    # Upcoming events with who is going: by quarter on a country page ("who else is
    # going to Japan"), one group on a sector page.
    event_groups: list[event_lists.QuarterGroup] = field(default_factory=list)
    # Cooperation agreements whose counterpart is in the country (country pages only).
    agreements: list[Agreement] = field(default_factory=list)

    @property
    def upcoming_events(self) -> list[Event]:
        return [event for group in self.event_groups for event, _ in group.events]


def _gather(
    db: Session,
    viewer: User | None,
    items: Recent,
    partnership_filter: partnerships.PartnershipFilter,
    thread_filter: thread_lists.ThreadFilter,
    partnerships_shown: int,
) -> Overview:
    shown, total = partnerships.first_partnerships(db, partnership_filter, limit=partnerships_shown)
    threads, thread_total = thread_lists.recent_threads(
        db, viewer, thread_filter, limit=RECENT_THREADS
    )
    return Overview(items, shown, total, threads, thread_total)


def country_overview(
    db: Session, viewer: User | None, code: str, *, partnerships_shown: int = PARTNERSHIPS_SHOWN
) -> Overview:
    """The country page's content for `viewer` (threads in members-only categories need one)."""
    found = _gather(
        db,
        viewer,
        intelligence_counts.recent_for_country(db, code, limit=RECENT_ITEMS),
        partnerships.PartnershipFilter(countries=[code]),
        thread_lists.ThreadFilter(countries=[code]),
        partnerships_shown,
    )
    found.event_groups = event_lists.going_by_quarter(db, code)
    found.agreements = partnerships.agreements_for_country(db, code)
    return found


def sector_overview(
    db: Session,
    viewer: User | None,
    sector: Sector,
    *,
    partnerships_shown: int = PARTNERSHIPS_SHOWN,
) -> Overview:
    found = _gather(
        db,
        viewer,
        intelligence_counts.recent_for_sector(db, sector, limit=RECENT_ITEMS),
        partnerships.PartnershipFilter(sectors=[sector.slug]),
        thread_lists.ThreadFilter(sectors=[sector.slug]),
        partnerships_shown,
    )
    upcoming = event_lists.upcoming_for_sector(db, sector.slug, limit=UPCOMING_EVENTS)
    if upcoming:
        found.event_groups = [
            event_lists.QuarterGroup(
                None, None, [(e, event_attendance.who_is_going(e)) for e in upcoming]
            )
        ]
    return found


def sector_markets(db: Session, sector: Sector) -> list[tuple[Country, int]]:
    """The countries the sector's partnerships target, most targeted first."""
    counts = partnerships.countries_targeted_in_sector(db, sector.id)
    return sorted(
        ((c, counts[c.code]) for c in countries_for(counts)),
        key=lambda pair: (-pair[1], sort_key(pair[0].label)),
    )


@dataclass(frozen=True)
class CountryCounts:
    country: Country
    items: int
    partnerships: int
    discussions: int

    @property
    def total(self) -> int:
        return self.items + self.partnerships + self.discussions


def country_counts(db: Session, viewer: User | None) -> list[CountryCounts]:
    """Every ISO country, by name, with its published items, partnerships and the threads
    `viewer` may see. One GROUP BY per domain, whatever the number of countries."""
    items = intelligence_counts.count_by_country(db)
    targeted = partnerships.countries_targeted(db)
    threads = thread_lists.count_threads_by_country(db, viewer)
    return [
        CountryCounts(c, items.get(c.code, 0), targeted.get(c.code, 0), threads.get(c.code, 0))
        for c in list_countries()
    ]


@dataclass(frozen=True)
class RegionSection:
    code: str | None
    title: str
    rows: list[CountryCounts]


def by_region(rows: Iterable[CountryCounts]) -> list[RegionSection]:
    """`rows` under the INDEX_REGIONS headings (in the reader's language), each country
    once, in the order given."""
    groups = regions.load_region_groups()
    sections = [
        RegionSection(code, str(title) if title else groups[code].label, [])
        for code, title in INDEX_REGIONS
        if code in groups
    ]
    other = RegionSection(None, str(OTHER_REGION), [])
    for row in rows:
        home = next(
            (s for s in sections if s.code and row.country.code in groups[s.code].members), other
        )
        home.rows.append(row)
    return [s for s in [*sections, other] if s.rows]
