"""JSON routes of the events calendar: lists with filters, an event with who is going,
adding events, attendance marks.

Thin: parse, call the service, commit once. Unknown countries, sectors and partnerships
answer 422 naming the value; the service's errors rise to the app's handlers
(`forum.core.errors`): NotAllowed → 403, NotFound → 404, EventError → 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from forum.accounts.deps import ApiOptionalUser, ApiUser
from forum.core.errors import Invalid, NotAllowed
from forum.core.i18n import _
from forum.core.pagination import MAX_PAGE_SIZE
from forum.core.web import AppSettings, DbSession, IsoDate, QueryValue, RowId
from forum.discussions.api import R401, R403, R404
from forum.discussions.schemas import PartnershipRef
from forum.events import attendance as event_attendance
from forum.events import listing as event_lists
from forum.events import service
from forum.events.list_filters import list_filter
from forum.events.schemas import (
    AttendanceIn,
    AttendanceOut,
    EventDetail,
    EventIn,
    EventList,
    EventOut,
)
from forum.taxonomy.service import UnknownSectorError, resolve_sectors

router = APIRouter(tags=["events"])

R422: dict[int | str, dict[str, Any]] = {
    422: {"description": "An unknown country, sector or partnership, or invalid input"}
}


@router.get("/events", response_model=EventList, responses={**R422})
def list_events(
    db: DbSession,
    settings: AppSettings,
    country: Annotated[
        list[QueryValue],
        Query(description="ISO 3166-1 alpha-2 code or region group (g:eu27); repeatable"),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[QueryValue], Query(description="sector slug; repeatable")] = [],  # noqa: B006
    partnership: Annotated[
        list[QueryValue], Query(description="partnership id or slug; repeatable")
    ] = [],  # noqa: B006
    date_from: Annotated[
        IsoDate | None, Query(alias="from", description="events not over by this day")
    ] = None,
    date_to: Annotated[
        IsoDate | None, Query(alias="to", description="events begun by this day")
    ] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> EventList:
    """By first day, unknown dates last. Without `from` or `to`: upcoming events and those
    of unknown date; a date range reaches back to past events (and leaves out unknown dates)."""
    when = "all" if date_from or date_to else "upcoming"
    flt = list_filter(
        db, country=country, sector=sector, partnership=partnership,
        date_from=date_from.isoformat() if date_from else "",
        date_to=date_to.isoformat() if date_to else "", when=when,
    )  # fmt: skip
    rows, next_cursor = event_lists.list_events(db, flt, cursor=cursor, limit=limit)
    return EventList(items=[EventOut.of(e, settings.base_url) for e in rows], next=next_cursor)


@router.post(
    "/events", response_model=EventOut, status_code=201, responses={**R401, **R403, **R422}
)
def create_event(data: EventIn, db: DbSession, settings: AppSettings, user: ApiUser) -> EventOut:
    """Add an event. Give `starts_on` (and `ends_on`) when known, else `date_text`."""
    try:
        sectors = resolve_sectors(db, data.sectors)
    except UnknownSectorError as exc:
        raise Invalid(str(exc), "sectors") from exc
    partnerships = []
    if data.for_partnership:
        if user.partnership is None:
            raise NotAllowed(_("You can list an event only for a partnership you belong to."))
        partnerships.append(user.partnership)
    event_input = service.EventInput(
        name=data.name, description=data.description, url=data.website,
        organiser=data.organiser, city=data.city, country=data.country,
        location_text=data.location_text, in_europe=data.in_europe, starts_on=data.starts_on,
        ends_on=data.ends_on, date_text=data.date_text, sectors=sectors,
        partnerships=partnerships,
    )  # fmt: skip
    event = service.create_event(db, user, event_input)
    db.commit()
    return EventOut.of(service.get_event(db, event.id), settings.base_url)


@router.get("/events/{event_id}", response_model=EventDetail, responses={**R404})
def get_event(
    event_id: RowId, db: DbSession, settings: AppSettings, viewer: ApiOptionalUser
) -> EventDetail:
    """An event with who is going: partnerships for everyone, member names for members."""
    return EventDetail.of_event(
        service.get_event(db, event_id), settings.base_url, show_members=viewer is not None
    )


@router.post(
    "/events/{event_id}/attendance",
    response_model=AttendanceOut,
    responses={**R401, **R403, **R404, **R422},
)
def set_attendance(
    event_id: RowId, data: AttendanceIn, db: DbSession, user: ApiUser
) -> AttendanceOut:
    """Mark yourself (`"for": "me"`) or your partnership going or interested; "none" clears."""
    event = service.get_event(db, event_id)
    event_attendance.set_attendance(
        db, user, event, status=data.status, for_partnership=data.for_ == "partnership"
    )
    db.commit()
    partnership = user.partnership if data.for_ == "partnership" else None
    return AttendanceOut(
        event_id=event.id,
        status=data.status,
        for_=data.for_,
        partnership=PartnershipRef(id=partnership.id, slug=partnership.slug, name=partnership.name)
        if partnership
        else None,
    )
