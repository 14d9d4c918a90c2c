"""Adding and editing an event: the form's fields, checked into an EventInput by the service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forum.accounts.deps import SignedInUser
from forum.accounts.models import User
from forum.core.i18n import _
from forum.core.web import DbSession, flash, redirect, render
from forum.events import service
from forum.events.list_filters import parse_day
from forum.events.models import Event
from forum.taxonomy.forms import TagFieldsError, read_tag_fields
from forum.taxonomy.picker import sector_choices
from forum.taxonomy.service import country_options, list_sectors

router = APIRouter(include_in_schema=False)

Short = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=20_000)]


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
        "country_options": [("", _("Not one country, or not known yet")), *country_options()],
        "sector_groups": sector_choices(list_sectors(db), suggested=viewer.target_sectors),
        "europe_options": [
            ("", _("Not known")),
            ("yes", _("Inside Europe")),
            ("no", _("Outside Europe")),
        ],
    }


@router.get("/events/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, viewer: SignedInUser) -> Response:
    if not service.can_create(viewer):
        raise HTTPException(403, _("Confirm your email address before adding events."))
    form = {"sectors": [s.slug for s in viewer.partnership.sectors] if viewer.partnership else []}
    return render(request, "events/form.html", _form_context(db, viewer, None, form, {}))


@router.post("/events/new", response_class=HTMLResponse)
def create(request: Request, db: DbSession, viewer: SignedInUser, form: EventForm) -> Response:
    try:
        event = service.create_event(db, viewer, _input(db, viewer, form, None))
    except service.EventError as exc:
        db.rollback()
        return render(request, "events/form.html",
                      _form_context(db, viewer, None, form, {exc.field or "_": str(exc)}),
                      status_code=422)  # fmt: skip
    db.commit()
    response = redirect(event.url_path)
    flash(request, response, _("%(name)s is in the calendar.", name=event.name), "success")
    return response


def _editable(db: Session, viewer: User, event_id: int) -> Event:
    event = service.get_event(db, event_id)
    if not service.can_edit(viewer, event):
        raise HTTPException(
            403, _("Only the member who added this event or a moderator can edit it.")
        )
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
    except service.EventError as exc:
        db.rollback()
        return render(request, "events/form.html",
                      _form_context(db, viewer, event, form, {exc.field or "_": str(exc)}),
                      status_code=422)  # fmt: skip
    db.commit()
    response = redirect(event.url_path)
    flash(request, response, _("The event is saved."), "success")
    return response
