"""Rules of the events calendar: who adds and edits events, and the writes.

Events are public. Confirmed members add them; their creator or a moderator edits them.
A member marks "going" or "interested" for themselves, or for their partnership once
they belong to it (an approved membership). Partnerships that list an event (the report's
tables, or a member adding it for their partnership) count as going to it. Functions take
the session first, check permissions themselves, flush but never commit, and queue the
event's search document on every change. Attendance is in attendance.py, the lists in
listing.py, the month view in month.py, the private feed's secret in calendar_tokens.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core import i18n
from forum.core.audit import record
from forum.core.errors import Invalid, NotAllowed, NotFound
from forum.core.formats import format_number
from forum.core.i18n import _, _l
from forum.core.outbox import queue_document
from forum.core.text import clean_line
from forum.events.dates import DatesShift, parse_date_text
from forum.events.models import (
    Attendance,
    Event,
    EventPartnership,
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


class EventError(Invalid):
    """Input that breaks a rule of the calendar; `field` names the form field (422)."""


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
        raise NotAllowed(_("Log in to add events."))
    if viewer.is_suspended:
        raise NotAllowed(_("Your account is suspended."))
    if not viewer.is_verified:
        raise NotAllowed(_("Confirm your email address first: see your profile."))
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


# What a field's too long text is told, by field (`%(limit)s` is its limit).
_TOO_LONG = {
    "name": _l("Keep the name to %(limit)s characters."),
    "date_text": _l("Keep the date wording to %(limit)s characters."),
    "organiser": _l("Keep the organiser to %(limit)s characters."),
    "city": _l("Keep the city to %(limit)s characters."),
    "location_text": _l("Keep the place to %(limit)s characters."),
}


def _text(value: str | None, limit: int, field_name: str) -> str | None:
    value = clean_line(value or "")
    if len(value) > limit:
        raise EventError(str(_TOO_LONG[field_name]) % {"limit": format_number(limit)}, field_name)
    return value or None


def _http_url(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 1000:
        raise EventError(_("Give a web address starting with http:// or https://."), "url")
    return value


def _apply(event: Event, data: EventInput, *, source_europe: bool = False) -> None:
    name = _text(data.name, NAME_MAX, "name")
    if not name:
        raise EventError(_("Give the event a name."), "name")
    if len(data.description) > DESCRIPTION_MAX:
        raise EventError(
            _(
                "Keep the description to %(limit)s characters.",
                limit=format_number(DESCRIPTION_MAX),
            ),
            "description",
        )
    country = None
    if data.country and data.country.strip():
        found = get_country(data.country.strip())
        if found is None:
            raise EventError(
                _("unknown country: %(code)s", code=repr(data.country.strip())), "country"
            )
        country = found.code
    date_text = _text(data.date_text, DATE_TEXT_MAX, "date_text")
    starts_on, ends_on = data.starts_on, data.ends_on
    flag = None
    if ends_on is not None and starts_on is None:
        raise EventError(_("Give the first day too, or only the first day."), "starts_on")
    if starts_on is not None:
        ends_on = ends_on or starts_on
        if ends_on < starts_on:
            raise EventError(_("The last day comes before the first day."), "ends_on")
    elif date_text:
        # Stored in English, as the API gives it; pages read it again (Event.date_note).
        with i18n.using(i18n.DEFAULT_LANGUAGE):
            parsed = parse_date_text(date_text)
        starts_on, ends_on, flag = parsed.start, parsed.end, parsed.flag
        date_text = parsed.wording
    event.name = name
    event.description = data.description.strip()
    event.url = _http_url(data.url)
    event.organiser = _text(data.organiser, ORGANISER_MAX, "organiser")
    event.city = _text(data.city, CITY_MAX, "city")
    event.country_code = country
    event.location_text = _text(data.location_text, LOCATION_MAX, "location_text")
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
                _(
                    "You can list an event only for your own partnership, not %(name)s.",
                    name=partnership.name,
                )
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


def shifted_dates(event: Event, shift: DatesShift | None) -> DatesShift | None:
    """The demo's shift when it moved `event`: only events loaded from a source (no member
    typed them) are moved, and only when this instance's demo dates are shifted."""
    if shift is None or event.created_by_id is not None or event.source_note is None:
        return None
    return shift


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
        raise NotAllowed(_("Only the member who added this event or a moderator can edit it."))
    assert editor is not None
    _check_partnerships(editor, data, event)
    _apply(event, data)
    if event.created_by_id != editor.id:
        record(db, actor=editor, action="event.edit", object_type="event", object_id=event.id,
               object_label=event.name)  # fmt: skip
    queue_document(db, f"event:{event.id}")
    db.flush()
    return event


# --- one event -------------------------------------------------------------------------------


def with_details(stmt: Select[Event]) -> Select[Event]:
    """The statement with what event pages show loaded up front: sectors, listings, marks."""
    return stmt.options(
        selectinload(Event.sectors),
        selectinload(Event.listings).selectinload(EventPartnership.partnership),
        selectinload(Event.attendances).selectinload(Attendance.partnership),
        selectinload(Event.attendances).selectinload(Attendance.user),
    )


def get_event(db: Session, event_id: int) -> Event:
    event = db.scalar(with_details(select(Event).where(Event.id == event_id)))
    if event is None:
        raise NotFound("event")
    return event
