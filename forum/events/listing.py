"""Lists of events: the filters (place, sector, partnership, dates, upcoming or past), numbered
and keyset pages, the iCal feeds' lists, and the short lists other pages show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.core.i18n import _
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.events.attendance import WhoIsGoing, who_is_going
from forum.events.dates import quarter_of
from forum.events.models import Attendance, Event, EventPartnership, event_sector
from forum.events.service import EventError, with_details
from forum.taxonomy.filters import in_sectors

PER_PAGE = 20
WHEN = ("upcoming", "past", "all")


@dataclass(frozen=True)
class EventFilter:
    """List filters. `countries` are ISO codes (region groups expanded by the caller).

    `when`: "upcoming" (not yet over, or date unknown), "past" (over), "all". A date
    range keeps the events whose days overlap it; events of unknown date match no range.
    """

    countries: Sequence[str] = ()
    sectors: Sequence[str] = ()
    partnership_ids: Sequence[int] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    in_europe: bool | None = None
    when: str = "upcoming"
    today: dt.date | None = None
    # Countries OR sectors OR partnerships (`?match=any`), as a member's follows add up:
    # the digest's "and N more" link. Else each filter given applies.
    match_any: bool = False


def today_utc() -> dt.date:
    return utcnow().date()


def _by_partnership(partnership_ids: Sequence[int]) -> ColumnElement[bool]:
    ids = list(partnership_ids)
    return or_(
        Event.id.in_(
            select(EventPartnership.event_id).where(EventPartnership.partnership_id.in_(ids))
        ),
        Event.id.in_(select(Attendance.event_id).where(Attendance.partnership_id.in_(ids))),
    )


def _filtered(flt: EventFilter) -> Select[Event]:
    if flt.when not in WHEN:
        raise EventError(_("`when` is one of %(values)s.", values=", ".join(WHEN)), "when")
    today = flt.today or today_utc()
    stmt = select(Event)
    tags: list[ColumnElement[bool]] = []
    if flt.countries:
        tags.append(Event.country_code.in_(list(flt.countries)))
    if flt.sectors:
        tags.append(
            in_sectors(Event.id, event_sector.c.event_id, event_sector.c.sector_id, flt.sectors)
        )
    if flt.partnership_ids:
        tags.append(_by_partnership(flt.partnership_ids))
    if tags:
        stmt = stmt.where(or_(*tags) if flt.match_any else and_(*tags))
    if flt.in_europe is not None:
        stmt = stmt.where(Event.in_europe.is_(flt.in_europe))
    if flt.date_from is not None:
        stmt = stmt.where(Event.ends_on >= flt.date_from)
    if flt.date_to is not None:
        stmt = stmt.where(Event.starts_on <= flt.date_to)
    if flt.when == "upcoming":
        stmt = stmt.where(or_(Event.ends_on >= today, Event.starts_on.is_(None)))
    elif flt.when == "past":
        stmt = stmt.where(Event.ends_on < today)
    return stmt


def filtered_events(flt: EventFilter) -> Select[Event]:
    """The events `flt` keeps, unordered (the lists' facets count among them)."""
    return _filtered(flt)


def _order(flt: EventFilter) -> tuple[ColumnElement[Any], ...]:
    if flt.when == "past":
        return (Event.ends_on.desc(), Event.starts_on.desc(), Event.id.desc())
    return (Event.starts_on.asc().nulls_last(), Event.ends_on.asc(), Event.id.asc())


def page_events(
    db: Session, flt: EventFilter, *, page: int, per_page: int = PER_PAGE,
    base_path: str = "/events", params: dict[str, object] | None = None,
) -> Page[Event]:  # fmt: skip
    """A numbered page: upcoming and all by first day (unknown dates last), past newest first."""
    stmt = _filtered(flt)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(with_details(stmt).order_by(*_order(flt)).offset((page - 1) * per_page)
                      .limit(per_page))  # fmt: skip
    return Page(list(rows), page, per_page, total, base_path, params or {})


def list_events(
    db: Session, flt: EventFilter, *, cursor: str | None = None, limit: int = PER_PAGE
) -> tuple[list[Event], str | None]:
    """By first day, unknown dates last, then id; keyset cursor (API). "past" is not
    offered here: the API asks for past events with a date range instead."""
    stmt = _filtered(flt)
    if cursor:
        day, last_id = decode_cursor(cursor, arity=2)
        if not isinstance(day, str) or not isinstance(last_id, int):
            raise InvalidCursorError
        if day == "":
            stmt = stmt.where(Event.starts_on.is_(None), Event.id > last_id)
        else:
            try:
                when = dt.date.fromisoformat(day)
            except ValueError as exc:
                raise InvalidCursorError from exc
            stmt = stmt.where(
                or_(
                    Event.starts_on > when,
                    and_(Event.starts_on == when, Event.id > last_id),
                    Event.starts_on.is_(None),
                )
            )
    rows = list(
        db.scalars(
            with_details(stmt)
            .order_by(Event.starts_on.asc().nulls_last(), Event.id.asc())
            .limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([last.starts_on.isoformat() if last.starts_on else "", last.id])
    return rows, next_cursor


def all_events(db: Session, flt: EventFilter, *, limit: int = 1000) -> list[Event]:
    """Every event the filter keeps, by first day (for the iCal feeds), at most `limit`."""
    stmt = _filtered(flt).order_by(Event.starts_on.asc().nulls_last(), Event.id.asc())
    return list(db.scalars(with_details(stmt).limit(limit)))


def split_unknown(events: Sequence[Event]) -> tuple[list[Event], list[Event]]:
    """(dated events, events whose date is still to be announced)."""
    return [e for e in events if e.starts_on], [e for e in events if not e.starts_on]


# --- for the other pages ----------------------------------------------------------------


def upcoming_for_country(
    db: Session, code: str, limit: int = 5, *, today: dt.date | None = None
) -> list[Event]:
    """The next events in country `code` (dated first, then to be announced)."""
    flt = EventFilter(countries=[code.upper()], today=today)
    return all_events(db, flt, limit=limit)


def upcoming_for_sector(
    db: Session, slug: str, limit: int = 5, *, today: dt.date | None = None
) -> list[Event]:
    return all_events(db, EventFilter(sectors=[slug], today=today), limit=limit)


def events_for_partnership(db: Session, partnership_id: int) -> list[Event]:
    """Every event the partnership lists or has marked (going or interested), past ones
    included, by first day with unknown dates last."""
    return all_events(db, EventFilter(partnership_ids=[partnership_id], when="all"))


@dataclass
class QuarterGroup:
    """One quarter of "who else is going to COUNTRY": year and quarter None for events
    whose date is still to be announced."""

    year: int | None
    quarter: int | None
    events: list[tuple[Event, WhoIsGoing]]

    @property
    def label(self) -> str:
        if self.year is None:
            return _("Date to be announced")
        return _("Q%(quarter)s %(year)s", quarter=self.quarter, year=self.year)


def going_by_quarter(
    db: Session, country_code: str, *, today: dt.date | None = None
) -> list[QuarterGroup]:
    """Upcoming events in the country with who is going, grouped by the quarter they
    start in (in date order), then those whose date is to be announced."""
    groups: dict[tuple[int, int] | None, list[tuple[Event, WhoIsGoing]]] = {}
    for event in all_events(db, EventFilter(countries=[country_code.upper()], today=today)):
        key = quarter_of(event.starts_on) if event.starts_on else None
        groups.setdefault(key, []).append((event, who_is_going(event)))
    return [
        QuarterGroup(key[0] if key else None, key[1] if key else None, rows)
        for key, rows in groups.items()
    ]
