"""HTML pages and iCal feeds of the events calendar: lists, month view, archive, an event,
adding and editing, attendance, and the member's private calendar settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.pagination import page_number
from forum.core.web import AppSettings, DbSession, flash, redirect, render
from forum.events import ical, service
from forum.events.models import Event
from forum.partnerships import service as partnerships
from forum.partnerships.models import Partnership
from forum.taxonomy import regions
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.forms import TagFieldsError, read_tag_fields
from forum.taxonomy.service import (
    country_label,
    list_countries,
    list_sectors,
    resolve_sectors,
)

router = APIRouter(include_in_schema=False)

Short = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=20_000)]
ICAL_TYPE = "text/calendar; charset=utf-8"


def parse_day(value: str, field_name: str) -> dt.date | None:
    """A YYYY-MM-DD day, None when empty; raises EventError naming the field."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise service.EventError(f"Give {field_name!r} as YYYY-MM-DD.", field_name) from exc


def find_partnership(db: Session, value: str) -> Partnership | None:
    value = value.strip()
    if value.isdigit():
        return partnerships.get_partnership(db, int(value))
    return partnerships.get_partnership_by_slug(db, value.lower())


def list_filter(
    db: Session,
    *,
    country: Sequence[str],
    sector: Sequence[str],
    partnership: Sequence[str],
    date_from: str,
    date_to: str,
    when: str,
) -> service.EventFilter:
    """The filters of every list and feed, validated; 422 naming an unknown value."""
    countries, sectors = parse_filters(db, country, sector)
    ids = []
    for value in partnership:
        if not value.strip():
            continue
        found = find_partnership(db, value)
        if found is None:
            raise HTTPException(422, f"unknown partnership: {value!r}")
        ids.append(found.id)
    try:
        start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
    except service.EventError as exc:
        raise HTTPException(422, str(exc)) from exc
    if start and end and end < start:
        raise HTTPException(422, "'to' comes before 'from'.")
    return service.EventFilter(
        countries=countries, sectors=sectors, partnership_ids=ids, date_from=start,
        date_to=end, when=when,
    )  # fmt: skip


def _filter_options(db: Session) -> dict[str, object]:
    groups = sorted(regions.load_region_groups().values(), key=lambda g: g.name)
    return {
        "country_options": [("", "Any country")]
        + [(g.code, f"{g.name} (region)") for g in groups]
        + [(c.code, c.name) for c in list_countries()],
        "sector_options": [("", "Any sector")] + [(s.slug, s.name) for s in list_sectors(db)],
        "partnership_options": [("", "Any partnership")]
        + [(p.slug, p.name) for p in partnerships.list_partnerships(
            db, partnerships.PartnershipFilter(), limit=500)[0]],
    }  # fmt: skip


Multi = Annotated[list[str], Query()]


@dataclass(frozen=True)
class ListQuery:
    """The query of the upcoming list and of the archive (one dependency for both)."""

    country: list[str]
    sector: list[str]
    partnership: list[str]
    date_from: str
    date_to: str
    page: str


def list_query(
    country: Multi = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Multi = [],  # noqa: B006
    partnership: Multi = [],  # noqa: B006
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    page: Annotated[str, Query(max_length=6)] = "1",
) -> ListQuery:
    return ListQuery(country, sector, partnership, date_from, date_to, page)


ListParams = Annotated[ListQuery, Depends(list_query)]


def _list_page(
    request: Request, db: DbSession, viewer: User | None, *, when: str, q: ListQuery
) -> Response:
    country, sector, partnership = q.country, q.sector, q.partnership
    date_from, date_to, page = q.date_from, q.date_to, q.page
    flt = list_filter(db, country=country, sector=sector, partnership=partnership,
                      date_from=date_from, date_to=date_to, when=when)  # fmt: skip
    params: dict[str, object] = {"country": country, "sector": sector,
                                 "partnership": partnership, "from": date_from, "to": date_to}  # fmt: skip
    base = "/events" if when == "upcoming" else "/events/archive"
    listing = service.page_events(db, flt, page=page_number(page), base_path=base, params=params)
    dated, unknown = service.split_unknown(listing.items)
    query = urlencode({k: v for k, v in params.items() if v}, doseq=True)
    return render(
        request,
        "events/list.html",
        {
            "nav": "events",
            "when": when,
            "listing": listing,
            "dated": dated,
            "unknown": unknown,
            "going": {e.id: service.who_is_going(e) for e in listing.items},
            "selected": {
                "country": country[0] if country else "",
                "sector": sector[0] if sector else "",
                "partnership": partnership[0] if partnership else "",
                "from": date_from,
                "to": date_to,
            },
            "filtered": any([*country, *sector, *partnership, date_from, date_to]),
            "filter_summary": _summary(db, flt, country),
            "ics_url": "/events.ics" + (f"?{query}" if query else ""),
            "can_add": service.can_create(viewer),
            **_filter_options(db),
        },
    )


def _summary(db: Session, flt: service.EventFilter, country: Sequence[str]) -> list[str]:
    parts = [country_label(c.strip()) for c in country if c.strip()]
    parts += [s.name for s in resolve_sectors(db, list(flt.sectors))]
    for pid in flt.partnership_ids:
        found = partnerships.get_partnership(db, pid)
        if found:
            parts.append(found.name)
    if flt.date_from:
        parts.append(f"from {flt.date_from:%d %B %Y}")
    if flt.date_to:
        parts.append(f"until {flt.date_to:%d %B %Y}")
    return parts


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
    try:
        year, month_number = service.parse_month(m)
    except service.EventError as exc:
        raise HTTPException(422, str(exc)) from exc
    flt = list_filter(db, country=country, sector=sector, partnership=partnership,
                      date_from="", date_to="", when="all")  # fmt: skip
    view = service.month_view(db, year, month_number, flt)
    extra = urlencode({"country": country, "sector": sector, "partnership": partnership},
                      doseq=True)  # fmt: skip
    return render(
        request,
        "events/month.html",
        {
            "nav": "events",
            "view": view,
            "extra": f"&{extra}" if extra else "",
            "selected": {
                "country": country[0] if country else "",
                "sector": sector[0] if sector else "",
                "partnership": partnership[0] if partnership else "",
            },
            "filtered": any([*country, *sector, *partnership]),
            **_filter_options(db),
        },
    )


# --- iCal ------------------------------------------------------------------------------------


def _ical(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=ICAL_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/events.ics")
def events_feed(
    db: DbSession,
    settings: AppSettings,
    country: Multi = [],  # noqa: B006
    sector: Multi = [],  # noqa: B006
    partnership: Multi = [],  # noqa: B006
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """Upcoming events by default; `from` reaches back to past ones."""
    when = "all" if date_from else "upcoming"
    flt = list_filter(db, country=country, sector=sector, partnership=partnership,
                      date_from=date_from, date_to=date_to, when=when)  # fmt: skip
    events = service.all_events(db, flt)
    return _ical(ical.calendar_of(events, settings.base_url, name="Cluster Forum: events"),
                 "events.ics")  # fmt: skip


@router.get("/events/{event_id:int}.ics")
def event_feed(event_id: int, db: DbSession, settings: AppSettings) -> Response:
    event = _event_or_404(db, event_id)
    if event.starts_on is None:
        raise HTTPException(
            404, "This event has no date yet: there is nothing to add to a calendar."
        )
    return _ical(ical.calendar_of([event], settings.base_url, name=event.name),
                 f"event-{event.id}.ics")  # fmt: skip


@router.get("/calendar/{token}.ics")
def private_feed(token: str, db: DbSession, settings: AppSettings) -> Response:
    """A member's events (going: CONFIRMED, interested: TENTATIVE). The URL is the secret."""
    user = service.user_for_calendar_token(db, token)
    if user is None:
        raise HTTPException(
            404, "There is no calendar at this address (the link may have been reset)."
        )
    events = service.attending_events(db, user)
    statuses = {
        mark.event_id: "CONFIRMED" if mark.status == "going" else "TENTATIVE"
        for event in events
        for mark in event.attendances
        if mark.user_id == user.id
    }
    body = ical.calendar_of(events, settings.base_url, name=f"Cluster Forum: {user.name}'s events",
                            statuses=statuses)  # fmt: skip
    if db.dirty:
        try:
            db.commit()  # last_used_at, best effort
        except OperationalError:
            db.rollback()
    response = _ical(body, "my-events.ics")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- one event -------------------------------------------------------------------------------


def _event_or_404(db: Session, event_id: int) -> Event:
    try:
        return service.get_event(db, event_id)
    except service.NotFound as exc:
        raise HTTPException(404, "There is no event at this address.") from exc


@router.get("/events/{event_id:int}", response_class=HTMLResponse)
def event_page(request: Request, event_id: int, db: DbSession, viewer: OptionalUser) -> Response:
    event = _event_or_404(db, event_id)
    return render(
        request,
        "events/event.html",
        {
            "nav": "events",
            "event": event,
            "going": service.who_is_going(event),
            "mine": service.attendance_of(db, viewer, event),
            "can_edit": service.can_edit(viewer, event),
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
    event = _event_or_404(db, event_id)
    if for_ not in ("me", "partnership"):
        raise HTTPException(422, "Mark attendance for 'me' or for your 'partnership'.")
    try:
        service.set_attendance(db, viewer, event, status=status,
                               for_partnership=for_ == "partnership")  # fmt: skip
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except service.EventError as exc:
        raise HTTPException(422, str(exc)) from exc
    db.commit()
    who = viewer.partnership.name if for_ == "partnership" and viewer.partnership else "You"
    verb = "are" if who == "You" else "is"
    message = {
        "going": f"{who} {verb} going to {event.name}.",
        "interested": f"{who} {verb} interested in {event.name}.",
    }.get(
        status,
        f"{'Your' if who == 'You' else who + chr(39) + 's'} mark on {event.name} is cleared.",
    )
    response = redirect(f"{event.url_path}#going")
    flash(request, response, message, "success")
    return response


# --- adding and editing ----------------------------------------------------------------------


def event_form(
    name: Short,
    description: Long = "",
    url: Short = "",
    organiser: Short = "",
    city: Short = "",
    country: Annotated[str, Form(max_length=10)] = "",
    location_text: Short = "",
    in_europe: Annotated[str, Form(max_length=3)] = "",
    starts_on: Annotated[str, Form(max_length=10)] = "",
    ends_on: Annotated[str, Form(max_length=10)] = "",
    date_text: Short = "",
    sectors: Annotated[list[str], Form()] = [],  # noqa: B006
    for_partnership: Annotated[str, Form(max_length=1)] = "",
) -> dict[str, object]:
    """The fields of the add and edit forms, as typed (validated by `_input`)."""
    return {
        "name": name, "description": description, "url": url, "organiser": organiser,
        "city": city, "country": country, "location_text": location_text,
        "in_europe": in_europe, "starts_on": starts_on, "ends_on": ends_on,
        "date_text": date_text, "sectors": sectors, "for_partnership": for_partnership,
    }  # fmt: skip


EventForm = Annotated[dict[str, object], Depends(event_form)]


def _input(
    db: Session, viewer: User, form: Mapping[str, object], event: Event | None
) -> service.EventInput:
    try:
        sectors = read_tag_fields(db, sectors=[str(s) for s in form["sectors"]]).sectors  # type: ignore[attr-defined]
    except TagFieldsError as exc:
        field, message = exc.first
        raise service.EventError(message, field) from exc
    listed = [row.partnership for row in event.listings] if event else []
    own = viewer.partnership
    if own is not None:
        listed = [p for p in listed if p.id != own.id]
        if form["for_partnership"] == "1":
            listed.append(own)
    in_europe = {"yes": True, "no": False}.get(str(form["in_europe"]))
    return service.EventInput(
        name=str(form["name"]), description=str(form["description"]),
        url=str(form["url"]) or None, organiser=str(form["organiser"]) or None,
        city=str(form["city"]) or None, country=str(form["country"]) or None,
        location_text=str(form["location_text"]) or None, in_europe=in_europe,
        starts_on=parse_day(str(form["starts_on"]), "starts_on"),
        ends_on=parse_day(str(form["ends_on"]), "ends_on"),
        date_text=str(form["date_text"]) or None, sectors=sectors, partnerships=listed,
        listed_as={row.partnership_id: row.listed_as for row in event.listings
                   if row.listed_as} if event else {},
    )  # fmt: skip


def _form_context(
    db: Session, viewer: User, event: Event | None, form: Mapping[str, object],
    errors: dict[str, str],
) -> dict[str, object]:  # fmt: skip
    return {
        "nav": "events",
        "event": event,
        "form": form,
        "errors": errors,
        "own_partnership": viewer.partnership,
        "country_options": [("", "Not one country, or not known yet")]
        + [(c.code, c.name) for c in list_countries()],
        "sector_options": [(s.slug, s.name) for s in list_sectors(db)],
        "europe_options": [("", "Not known"), ("yes", "Inside Europe"), ("no", "Outside Europe")],
    }


@router.get("/events/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, viewer: SignedInUser) -> Response:
    if not service.can_create(viewer):
        raise HTTPException(403, "Confirm your email address before adding events.")
    form = {"sectors": [s.slug for s in viewer.partnership.sectors] if viewer.partnership else []}
    return render(request, "events/form.html", _form_context(db, viewer, None, form, {}))


@router.post("/events/new", response_class=HTMLResponse)
def create(request: Request, db: DbSession, viewer: SignedInUser, form: EventForm) -> Response:
    try:
        event = service.create_event(db, viewer, _input(db, viewer, form, None))
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except service.EventError as exc:
        db.rollback()
        return render(request, "events/form.html",
                      _form_context(db, viewer, None, form, {exc.field or "_": str(exc)}),
                      status_code=422)  # fmt: skip
    db.commit()
    response = redirect(event.url_path)
    flash(request, response, f"{event.name} is in the calendar.", "success")
    return response


def _editable(db: Session, viewer: User, event_id: int) -> Event:
    event = _event_or_404(db, event_id)
    if not service.can_edit(viewer, event):
        raise HTTPException(403, "Only the member who added this event or a moderator can edit it.")
    return event


@router.get("/events/{event_id:int}/edit", response_class=HTMLResponse)
def edit_form(request: Request, event_id: int, db: DbSession, viewer: SignedInUser) -> Response:
    event = _editable(db, viewer, event_id)
    own = viewer.partnership
    exact = event.starts_on is not None and not event.date_text
    form: dict[str, object] = {
        "name": event.name, "description": event.description, "url": event.url or "",
        "organiser": event.organiser or "", "city": event.city or "",
        "country": event.country_code or "", "location_text": event.location_text or "",
        "in_europe": "" if event.in_europe is None else ("yes" if event.in_europe else "no"),
        "starts_on": event.starts_on.isoformat() if exact and event.starts_on else "",
        "ends_on": event.ends_on.isoformat() if exact and event.ends_on else "",
        "date_text": event.date_text or "", "sectors": [s.slug for s in event.sectors],
        "for_partnership": "1" if own and any(r.partnership_id == own.id for r in event.listings) else "",
    }  # fmt: skip
    return render(request, "events/form.html", _form_context(db, viewer, event, form, {}))


@router.post("/events/{event_id:int}/edit", response_class=HTMLResponse)
def edit(
    request: Request, event_id: int, db: DbSession, viewer: SignedInUser, form: EventForm
) -> Response:
    event = _editable(db, viewer, event_id)
    try:
        service.update_event(db, viewer, event, _input(db, viewer, form, event))
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    except service.EventError as exc:
        db.rollback()
        return render(request, "events/form.html",
                      _form_context(db, viewer, event, form, {exc.field or "_": str(exc)}),
                      status_code=422)  # fmt: skip
    db.commit()
    response = redirect(event.url_path)
    flash(request, response, "The event is saved.", "success")
    return response


# --- the private calendar's settings ---------------------------------------------------------


def _secret(settings: AppSettings) -> str:
    assert settings.secret_key, "create_app() makes sure there is a secret key"
    return settings.secret_key


@router.get("/settings/calendar", response_class=HTMLResponse)
def calendar_settings(
    request: Request, db: DbSession, settings: AppSettings, viewer: SignedInUser
) -> Response:
    token = service.calendar_token(db, viewer, secret_key=_secret(settings))
    return render(
        request,
        "events/calendar_settings.html",
        {
            "nav": None,
            "feed_url": f"{settings.base_url}/calendar/{token}.ics" if token else None,
            "count": len(service.attending_events(db, viewer)),
        },
    )


@router.post("/settings/calendar/reset", response_class=HTMLResponse)
def calendar_reset(
    request: Request, db: DbSession, settings: AppSettings, viewer: SignedInUser
) -> Response:
    had = service.calendar_token(db, viewer, secret_key=_secret(settings)) is not None
    try:
        service.reset_calendar_token(db, viewer, secret_key=_secret(settings))
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    db.commit()
    response = redirect("/settings/calendar")
    message = ("A new address is ready: the old one no longer works. Update your calendar app."
               if had else "Your private calendar address is ready.")  # fmt: skip
    flash(request, response, message, "success")
    return response


@router.post("/settings/calendar/revoke", response_class=HTMLResponse)
def calendar_revoke(request: Request, db: DbSession, viewer: SignedInUser) -> Response:
    service.revoke_calendar_token(db, viewer)
    db.commit()
    response = redirect("/settings/calendar")
    flash(request, response, "Your private calendar address is turned off.", "success")
    return response
