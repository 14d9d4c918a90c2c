"""HTML pages of the events calendar: the upcoming list, the archive, the month view, an
event's page and marking attendance. Feeds and the private calendar are in calendar_views.py,
the add and edit forms in form_views.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.filters import ListQuery as FilterQuery
from forum.core.filters import normalized_places
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render
from forum.events import facets, service
from forum.events.attendance import attendance_of, set_attendance, who_is_going
from forum.events.list_filters import Multi, list_filter
from forum.events.listing import EventFilter, page_events, split_unknown
from forum.events.month import month_view, parse_month
from forum.partnerships.models import Partnership
from forum.taxonomy.service import sector_labels

router = APIRouter(include_in_schema=False)


def _names(db: Session) -> tuple[dict[str, str], dict[str, str]]:
    """Sector names by slug, partnership names by slug and id: the facets' and chips' words."""
    sectors = sector_labels(db)
    partnerships: dict[str, str] = {}
    for pid, slug, name in db.execute(select(Partnership.id, Partnership.slug, Partnership.name)):
        # A list may be filtered by a partnership's id as well as by its slug.
        partnerships[slug] = partnerships[str(pid)] = name
    return sectors, partnerships


def _filters_context(
    db: Session, query: FilterQuery, flt: EventFilter, counted: EventFilter
) -> dict[str, object]:
    """The panel's facets (counted among the events of `counted`) and the active filters."""
    sector_names, partnership_names = _names(db)
    counts = facets.facet_counts(db, counted)
    chips = facets.chips(query, flt, sector_names, partnership_names)
    return {
        "facets": facets.facets(query, counts, sector_names, partnership_names),
        "chips": chips,
        "query": query,
        "filtered": bool(chips),
    }


@dataclass(frozen=True)
class ListQuery:
    """The query of the upcoming list and of the archive (one dependency for both)."""

    country: list[str]
    sector: list[str]
    partnership: list[str]
    date_from: str
    date_to: str
    page: str
    match: str = ""


def list_query(
    country: Multi = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Multi = [],  # noqa: B006
    partnership: Multi = [],  # noqa: B006
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
    match: Annotated[str, Query(max_length=3)] = "",
) -> ListQuery:
    return ListQuery(country, sector, partnership, date_from, date_to, page, match)


ListParams = Annotated[ListQuery, Depends(list_query)]


def _list_page(
    request: Request, db: DbSession, viewer: User | None, *, when: str, q: ListQuery
) -> Response:
    country = normalized_places(q.country)
    flt = list_filter(db, country=country, sector=q.sector, partnership=q.partnership,
                      date_from=q.date_from, date_to=q.date_to, when=when,
                      match=q.match)  # fmt: skip
    params: dict[str, object] = {"country": country, "sector": q.sector,
                                 "partnership": q.partnership, "from": q.date_from,
                                 "to": q.date_to, "match": q.match}  # fmt: skip
    base = "/events" if when == "upcoming" else "/events/archive"
    listing = page_events(db, flt, page=page_number(q.page), base_path=base, params=params)
    dated, unknown = split_unknown(listing.items)
    query = FilterQuery.of(base, params)
    return render(
        request,
        "events/list.html",
        {
            "nav": "events",
            "when": when,
            "listing": listing,
            "dated": dated,
            "unknown": unknown,
            "going": {e.id: who_is_going(e) for e in listing.items},
            "dates": {"from": q.date_from, "to": q.date_to},
            "clear_url": base,
            "ics_url": "/events.ics" + query.url().removeprefix(base),
            "match_any": flt.match_any,
            "can_add": service.can_create(viewer),
            **_filters_context(db, query, flt, flt),
        },
    )


@router.get("/events", response_class=HTMLResponse)
def upcoming(request: Request, db: DbSession, viewer: OptionalUser, q: ListParams) -> Response:
    return _list_page(request, db, viewer, when="upcoming", q=q)


@router.get("/events/archive", response_class=HTMLResponse)
def archive(request: Request, db: DbSession, viewer: OptionalUser, q: ListParams) -> Response:
    return _list_page(request, db, viewer, when="past", q=q)


@router.get("/events/month", response_class=HTMLResponse)
def month(
    request: Request,
    db: DbSession,
    m: Annotated[str, Query(max_length=7)] = "",
    country: Multi = [],  # noqa: B006
    sector: Multi = [],  # noqa: B006
    partnership: Multi = [],  # noqa: B006
) -> Response:
    year, month_number = parse_month(m)
    country = normalized_places(country)
    flt = list_filter(db, country=country, sector=sector, partnership=partnership,
                      date_from="", date_to="", when="all")  # fmt: skip
    view = month_view(db, year, month_number, flt)
    query = FilterQuery.of(
        "/events/month",
        {"m": view.key, "country": country, "sector": sector, "partnership": partnership},
    )
    extra = query.without("m").removeprefix("/events/month").removeprefix("?")
    in_month = replace(flt, date_from=view.first, date_to=view.last)
    return render(
        request,
        "events/month.html",
        {
            "nav": "events",
            "view": view,
            "extra": f"&{extra}" if extra else "",
            "clear_url": f"/events/month?m={view.key}",
            **_filters_context(db, query, flt, in_month),
        },
    )


# --- one event -------------------------------------------------------------------------------


@router.get("/events/{event_id:int}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int, db: DbSession, viewer: OptionalUser) -> Response:
    event = service.get_event(db, event_id)
    return render(
        request,
        "events/event.html",
        {
            "nav": "events",
            "event": event,
            "going": who_is_going(event),
            "mine": attendance_of(db, viewer, event),
            "can_edit": service.can_edit(viewer, event),
            # Set by the app from `forum demo --shift-dates` (None otherwise).
            "dates_shift": service.shifted_dates(
                event, getattr(request.app.state, "demo_dates_shift", None)
            ),
            "can_mark": service.can_mark(viewer),
            "own_partnership": viewer.partnership if service.can_mark_for_partnership(viewer) and viewer else None,
            "show_members": viewer is not None,
            "own_listed": viewer is not None
            and viewer.partnership is not None
            and any(row.partnership_id == viewer.partnership.id for row in event.listings),
        },
    )  # fmt: skip


@router.post("/events/{event_id:int}/attendance", response_class=HTMLResponse)
def attendance(
    request: Request,
    event_id: int,
    db: DbSession,
    viewer: SignedInUser,
    status: Annotated[str, Form(max_length=12)],
    for_: Annotated[str, Form(alias="for", max_length=12)] = "me",
) -> Response:
    event = service.get_event(db, event_id)
    if for_ not in ("me", "partnership"):
        raise HTTPException(422, _("Mark attendance for 'me' or for your 'partnership'."))
    set_attendance(db, viewer, event, status=status, for_partnership=for_ == "partnership")
    db.commit()
    message = _attendance_message(
        viewer.partnership.name if for_ == "partnership" and viewer.partnership else None,
        status,
        event.name,
    )
    response = redirect(f"{event.url_path}#going")
    flash(request, response, message, "success")
    return response


def _attendance_message(partnership: str | None, status: str, event: str) -> str:
    """The flash after marking: for the member, or for their partnership (by name)."""
    if partnership is None:
        if status == "going":
            return _("You are going to %(event)s.", event=event)
        if status == "interested":
            return _("You are interested in %(event)s.", event=event)
        return _("Your mark on %(event)s is cleared.", event=event)
    if status == "going":
        return _("%(partnership)s is going to %(event)s.", partnership=partnership, event=event)
    if status == "interested":
        return _(
            "%(partnership)s is interested in %(event)s.", partnership=partnership, event=event
        )
    return _(
        "%(partnership)s's mark on %(event)s is cleared.", partnership=partnership, event=event
    )
