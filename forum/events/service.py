"""Rules of the events calendar: who adds and edits events, how lists filter, attendance.

Events are public. Confirmed members add them; their creator or a moderator edits them.
A member marks "going" or "interested" for themselves, or for their partnership once
they belong to it (an approved membership). Partnerships that list an event (the report's
tables, or a member adding it for their partnership) count as going to it. Functions take
the session first, check permissions themselves, flush but never commit, and queue the
event's search document on every change.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.db import utcnow
from forum.core.outbox import queue_document
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.core.text import clean_line
from forum.events.dates import parse_date_text, quarter_of
from forum.events.models import (
    ATTENDANCE_STATUSES,
    Attendance,
    CalendarToken,
    Event,
    EventPartnership,
    event_sector,
)
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import is_european
from forum.taxonomy.service import get_country

NAME_MAX = 300
DESCRIPTION_MAX = 10_000
CITY_MAX = 200
ORGANISER_MAX = 300
LOCATION_MAX = 300
DATE_TEXT_MAX = 200
PER_PAGE = 20


class EventError(ValueError):
    """Input that breaks a rule; `field` names the form field (422)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(Exception):
    """The viewer may not do this (403)."""


class NotFound(Exception):
    """No such event (404)."""


# --- who may do what -------------------------------------------------------------------------


def can_create(viewer: User | None) -> bool:
    return viewer is not None and viewer.is_verified and not viewer.is_suspended


def can_edit(viewer: User | None, event: Event) -> bool:
    """The creator or a moderator; imported events (no creator) only a moderator."""
    if viewer is None or viewer.is_suspended:
        return False
    return viewer.is_moderator or (
        event.created_by_id is not None and event.created_by_id == viewer.id
    )


def can_mark(viewer: User | None) -> bool:
    """Whether `viewer` may mark going/interested for themselves."""
    return can_create(viewer)


def can_mark_for_partnership(viewer: User | None) -> bool:
    """Only members of a partnership (approved) mark attendance in its name."""
    return can_mark(viewer) and viewer is not None and viewer.partnership is not None


def _require_can_create(viewer: User | None) -> User:
    if viewer is None:
        raise NotAllowed("Log in to add events.")
    if viewer.is_suspended:
        raise NotAllowed("Your account is suspended.")
    if not viewer.is_verified:
        raise NotAllowed("Confirm your email address first: see your profile.")
    return viewer


# --- writing --------------------------------------------------------------------------------


@dataclass
class EventInput:
    """An event as typed in the form or the API, or loaded from the report.

    Dates: `starts_on`/`ends_on` when known exactly; otherwise `date_text`, the wording
    ("April 2019", "To be defined"), read by forum.events.dates. Both may be given: the
    dates win and the wording is kept to be shown as is. `in_europe` is used only when
    there is no country; with a country it is derived (see Event.in_europe).
    """

    name: str
    description: str = ""
    url: str | None = None
    organiser: str | None = None
    city: str | None = None
    country: str | None = None
    location_text: str | None = None
    in_europe: bool | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    date_text: str | None = None
    sectors: Sequence[Sector] = ()
    partnerships: Sequence[Partnership] = ()
    # The partnership's own wording per partnership id (imports that merged listings).
    listed_as: dict[int, str] = field(default_factory=dict)


def _text(value: str | None, limit: int, label: str, field_name: str) -> str | None:
    value = clean_line(value or "")
    if len(value) > limit:
        raise EventError(f"Keep the {label} under {limit} characters.", field_name)
    return value or None


def _http_url(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 1000:
        raise EventError("Give a web address starting with http:// or https://.", "url")
    return value


def _apply(event: Event, data: EventInput, *, source_europe: bool = False) -> None:
    name = _text(data.name, NAME_MAX, "name", "name")
    if not name:
        raise EventError("Give the event a name.", "name")
    if len(data.description) > DESCRIPTION_MAX:
        raise EventError(
            f"Keep the description under {DESCRIPTION_MAX:,} characters.", "description"
        )
    country = None
    if data.country and data.country.strip():
        found = get_country(data.country.strip())
        if found is None:
            raise EventError(f"unknown country: {data.country.strip()!r}", "country")
        country = found.code
    date_text = _text(data.date_text, DATE_TEXT_MAX, "date wording", "date_text")
    starts_on, ends_on = data.starts_on, data.ends_on
    flag = None
    if ends_on is not None and starts_on is None:
        raise EventError("Give the first day too, or only the first day.", "starts_on")
    if starts_on is not None:
        ends_on = ends_on or starts_on
        if ends_on < starts_on:
            raise EventError("The last day comes before the first day.", "ends_on")
    elif date_text:
        parsed = parse_date_text(date_text)
        starts_on, ends_on, flag = parsed.start, parsed.end, parsed.flag
        date_text = parsed.wording
    event.name = name
    event.description = data.description.strip()
    event.url = _http_url(data.url)
    event.organiser = _text(data.organiser, ORGANISER_MAX, "organiser", "organiser")
    event.city = _text(data.city, CITY_MAX, "city", "city")
    event.country_code = country
    event.location_text = _text(data.location_text, LOCATION_MAX, "place", "location_text")
    if source_europe and data.in_europe is not None:
        # An imported source's own classification stands (the report lists Moscow
        # under "events beyond Europe", where UN M49 places Russia in Europe).
        event.in_europe = data.in_europe
    else:
        event.in_europe = is_european(country) if country else data.in_europe
    event.starts_on, event.ends_on = starts_on, ends_on
    event.date_text = date_text
    event.date_flag = flag
    event.sectors = list(dict.fromkeys(data.sectors))
    wanted = {p.id: p for p in data.partnerships}
    current = {row.partnership_id: row for row in event.listings}
    event.listings = [
        current.get(pid) or EventPartnership(partnership=partnership)
        for pid, partnership in wanted.items()
    ]
    for row in event.listings:
        row.listed_as = data.listed_as.get(row.partnership.id if row.partnership else 0)


def _check_partnerships(author: User, data: EventInput, event: Event | None = None) -> None:
    """Members list an event for their own partnership only; moderators for any."""
    if author.is_moderator:
        return
    own = author.partnership
    already = {row.partnership_id for row in event.listings} if event else set()
    for partnership in data.partnerships:
        if partnership.id in already:
            continue
        if own is None or partnership.id != own.id:
            raise NotAllowed(
                f"You can list an event only for your own partnership, not {partnership.name}."
            )


def create_event(db: Session, author: User | None, data: EventInput) -> Event:
    """A new event by a confirmed member. Raises NotAllowed or EventError."""
    author = _require_can_create(author)
    _check_partnerships(author, data)
    event = Event(created_by_id=author.id)
    _apply(event, data)
    db.add(event)
    db.flush()
    queue_document(db, f"event:{event.id}")
    return event


def create_imported_event(db: Session, data: EventInput, *, source_note: str) -> Event:
    """An event no member typed (the report's tables); only trusted callers use this."""
    event = Event(created_by_id=None, source_note=source_note)
    _apply(event, data, source_europe=True)
    db.add(event)
    db.flush()
    queue_document(db, f"event:{event.id}")
    return event


def refresh_imported_event(db: Session, event: Event, data: EventInput) -> Event:
    """Rewrite an imported event from its source again (a repeated demo run)."""
    _apply(event, data, source_europe=True)
    queue_document(db, f"event:{event.id}")
    db.flush()
    return event


def update_event(db: Session, editor: User | None, event: Event, data: EventInput) -> Event:
    """Edit by the creator or a moderator (audited when a moderator edits another's)."""
    if not can_edit(editor, event):
        raise NotAllowed("Only the member who added this event or a moderator can edit it.")
    assert editor is not None
    _check_partnerships(editor, data, event)
    _apply(event, data)
    if event.created_by_id != editor.id:
        record(db, actor=editor, action="event.edit", object_type="event", object_id=event.id,
               object_label=event.name)  # fmt: skip
    queue_document(db, f"event:{event.id}")
    db.flush()
    return event


# --- attendance -----------------------------------------------------------------------------


def set_attendance(
    db: Session, actor: User | None, event: Event, *, status: str, for_partnership: bool = False
) -> Attendance | None:
    """Mark `actor` (or their partnership) going or interested; "none" clears the mark.

    Answers the mark, or None once cleared. Raises NotAllowed for visitors, unconfirmed
    or suspended members, and for a partnership the member does not belong to;
    EventError for an unknown status.
    """
    if status not in (*ATTENDANCE_STATUSES, "none"):
        raise EventError("Status is going, interested or none.", "status")
    if actor is None:
        raise NotAllowed("Log in to say you are going.")
    if not can_mark(actor):
        raise NotAllowed("Confirm your email address first, and be a member in good standing.")
    holder: Any
    if for_partnership:
        partnership = actor.partnership
        if partnership is None:
            raise NotAllowed(
                "You can mark attendance for a partnership only once you belong to it."
            )
        holder = Attendance.partnership_id == partnership.id
    else:
        holder = Attendance.user_id == actor.id
    mark = db.scalar(select(Attendance).where(Attendance.event_id == event.id, holder))
    queue_document(db, f"event:{event.id}")
    if status == "none":
        if mark is not None:
            db.delete(mark)
            db.flush()
        return None
    if mark is None:
        mark = Attendance(event_id=event.id, status=status)
        if for_partnership:
            assert actor.partnership is not None
            mark.partnership_id = actor.partnership.id
            mark.marked_by_id = actor.id
        else:
            mark.user_id = actor.id
        db.add(mark)
    else:
        mark.status = status
        if for_partnership:
            mark.marked_by_id = actor.id
    db.flush()
    return mark


def attendance_of(db: Session, viewer: User | None, event: Event) -> dict[str, str | None]:
    """The viewer's own mark and their partnership's on `event` ("me", "partnership")."""
    out: dict[str, str | None] = {"me": None, "partnership": None}
    if viewer is None:
        return out
    partnership = viewer.partnership
    for mark in event.attendances:
        if mark.user_id == viewer.id:
            out["me"] = mark.status
        elif partnership is not None and mark.partnership_id == partnership.id:
            out["partnership"] = mark.status
    return out


@dataclass
class WhoIsGoing:
    """Who goes to an event. Partnerships listing the event count as going."""

    partnerships_going: list[Partnership]
    partnerships_interested: list[Partnership]
    members_going: list[User]
    members_interested: list[User]
    listed_by: list[EventPartnership]

    @property
    def partnership_count(self) -> int:
        return len(self.partnerships_going)


def who_is_going(event: Event) -> WhoIsGoing:
    """From an event loaded with its listings and attendances (see `get_event`)."""
    going: dict[int, Partnership] = {row.partnership.id: row.partnership for row in event.listings}
    interested: dict[int, Partnership] = {}
    members_going: list[User] = []
    members_interested: list[User] = []
    for mark in event.attendances:
        if mark.partnership is not None:
            target = going if mark.status == "going" else interested
            target.setdefault(mark.partnership.id, mark.partnership)
        elif mark.user is not None and not mark.user.is_suspended:
            (members_going if mark.status == "going" else members_interested).append(mark.user)
    for pid in going:
        interested.pop(pid, None)

    def by_name(rows: Iterable[Any]) -> list[Any]:
        return sorted(rows, key=lambda x: x.name.casefold())

    return WhoIsGoing(
        partnerships_going=by_name(going.values()),
        partnerships_interested=by_name(interested.values()),
        members_going=by_name(members_going),
        members_interested=by_name(members_interested),
        listed_by=sorted(event.listings, key=lambda r: r.partnership.name.casefold()),
    )


def partnerships_going(db: Session, event_ids: Sequence[int] | None = None) -> dict[int, set[int]]:
    """Event id → ids of the partnerships going (listing it, or marked "going").

    All events when `event_ids` is None. For joint-mission hints and insights.
    """
    out: dict[int, set[int]] = defaultdict(set)
    listed = select(EventPartnership.event_id, EventPartnership.partnership_id)
    marked = select(Attendance.event_id, Attendance.partnership_id).where(
        Attendance.partnership_id.is_not(None), Attendance.status == "going"
    )
    if event_ids is not None:
        listed = listed.where(EventPartnership.event_id.in_(list(event_ids)))
        marked = marked.where(Attendance.event_id.in_(list(event_ids)))
    for event_id, partnership_id in [*db.execute(listed), *db.execute(marked)]:
        if partnership_id is not None:
            out[event_id].add(partnership_id)
    return dict(out)


# --- reading ---------------------------------------------------------------------------------

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
        raise EventError(f"`when` is one of {', '.join(WHEN)}.", "when")
    today = flt.today or today_utc()
    stmt = select(Event)
    if flt.countries:
        stmt = stmt.where(Event.country_code.in_(list(flt.countries)))
    if flt.sectors:
        stmt = stmt.where(
            Event.id.in_(
                select(event_sector.c.event_id)
                .join(Sector, Sector.id == event_sector.c.sector_id)
                .where(Sector.slug.in_(list(flt.sectors)))
            )
        )
    if flt.partnership_ids:
        stmt = stmt.where(_by_partnership(flt.partnership_ids))
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


def _loaded(stmt: Select[Event]) -> Select[Event]:
    return stmt.options(
        selectinload(Event.sectors),
        selectinload(Event.listings).selectinload(EventPartnership.partnership),
        selectinload(Event.attendances).selectinload(Attendance.partnership),
        selectinload(Event.attendances).selectinload(Attendance.user),
    )


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
    rows = db.scalars(_loaded(stmt).order_by(*_order(flt)).offset((page - 1) * per_page)
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
            _loaded(stmt)
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
    return list(db.scalars(_loaded(stmt).limit(limit)))


def get_event(db: Session, event_id: int) -> Event:
    event = db.scalar(_loaded(select(Event).where(Event.id == event_id)))
    if event is None:
        raise NotFound(str(event_id))
    return event


def split_unknown(events: Sequence[Event]) -> tuple[list[Event], list[Event]]:
    """(dated events, events whose date is still to be announced)."""
    return [e for e in events if e.starts_on], [e for e in events if not e.starts_on]


# --- the month view ---------------------------------------------------------------------


@dataclass
class Day:
    day: dt.date
    events: list[Event]


@dataclass
class Week:
    monday: dt.date
    days: list[Day]


@dataclass
class MonthView:
    """A month's events by day, grouped in weeks (Monday first), listing only days with
    events. An event shows on its first day, or on the 1st when it began the month before.
    Events whose dates are worded loosely ("April 2019") are listed apart in `loose`."""

    year: int
    month: int
    weeks: list[Week]
    loose: list[Event]

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def prev_key(self) -> str:
        prev = self.first - dt.timedelta(days=1)
        return f"{prev.year:04d}-{prev.month:02d}"

    @property
    def next_key(self) -> str:
        after = self.first + dt.timedelta(days=31)
        return f"{after.year:04d}-{after.month:02d}"

    @property
    def empty(self) -> bool:
        return not self.weeks and not self.loose


def parse_month(value: str | None, *, today: dt.date | None = None) -> tuple[int, int]:
    """`YYYY-MM` to (year, month); the current month when empty. Raises EventError."""
    if not value:
        today = today or today_utc()
        return today.year, today.month
    try:
        year, month = (int(part) for part in value.split("-"))
        dt.date(year, month, 1)
    except ValueError as exc:
        raise EventError("Give the month as YYYY-MM, e.g. 2019-04.", "m") from exc
    if not 1900 <= year <= 2200:
        raise EventError("Give a month between 1900 and 2200.", "m")
    return year, month


def month_view(db: Session, year: int, month: int, flt: EventFilter) -> MonthView:
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    in_month = EventFilter(
        countries=flt.countries, sectors=flt.sectors, partnership_ids=flt.partnership_ids,
        in_europe=flt.in_europe, date_from=first, date_to=last, when="all",
    )  # fmt: skip
    events = all_events(db, in_month)
    loose = [e for e in events if e.date_text]
    by_day: dict[dt.date, list[Event]] = defaultdict(list)
    for event in events:
        if event.date_text or event.starts_on is None:
            continue
        by_day[max(event.starts_on, first)].append(event)
    weeks: dict[dt.date, Week] = {}
    for day in sorted(by_day):
        monday = day - dt.timedelta(days=day.weekday())
        weeks.setdefault(monday, Week(monday, [])).days.append(Day(day, by_day[day]))
    return MonthView(year, month, list(weeks.values()), loose)


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
            return "Date to be announced"
        return f"Q{self.quarter} {self.year}"


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


def attending_events(db: Session, user: User, *, limit: int = 1000) -> list[Event]:
    """The events a member marked going or interested, by first day (the private feed)."""
    stmt = (
        select(Event)
        .join(Attendance, Attendance.event_id == Event.id)
        .where(Attendance.user_id == user.id)
        .order_by(Event.starts_on.asc().nulls_last(), Event.id.asc())
        .limit(limit)
    )
    return list(db.scalars(_loaded(stmt)))


# --- the private calendar feed's secret ------------------------------------------------------


def _token_for(secret_key: str, user_id: int, nonce: str) -> str:
    digest = hmac.new(
        secret_key.encode(), f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token(db: Session, user: User, *, secret_key: str) -> str | None:
    """The member's current feed token, or None when they have none (never made, revoked)."""
    row = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    return _token_for(secret_key, user.id, row.nonce) if row else None


def reset_calendar_token(db: Session, user: User, *, secret_key: str) -> str:
    """A new secret feed URL for the member; the old one stops working at once."""
    if user.is_suspended:
        raise NotAllowed("Your account is suspended.")
    row = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        row = CalendarToken(user_id=user.id)
        db.add(row)
    row.nonce = secrets.token_hex(16)
    token = _token_for(secret_key, user.id, row.nonce)
    row.token_hash = _hash(token)
    row.created_at = utcnow()
    row.last_used_at = None
    db.flush()
    return token


def revoke_calendar_token(db: Session, user: User) -> bool:
    """Turn the private feed off; answers whether there was one."""
    row = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True


def user_for_calendar_token(db: Session, token: str) -> User | None:
    """The member whose feed this is, or None (unknown or revoked token, suspended member).

    Records the use at most once an hour.
    """
    if not token or len(token) > 100:
        return None
    row = db.scalar(
        select(CalendarToken)
        .where(CalendarToken.token_hash == _hash(token))
        .options(selectinload(CalendarToken.user))
    )
    if row is None or row.user.is_suspended:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(hours=1):
        row.last_used_at = now
    return row.user
