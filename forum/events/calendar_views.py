"""The events calendar in calendar apps: the public iCal feeds (a filtered list, one event),
a member's private feed, and the settings page that makes, resets or turns off its address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import SignedInUser
from forum.core.db import best_effort
from forum.core.i18n import _
from forum.core.web import AppSettings, DbSession, InFeedLanguage, flash, redirect, render
from forum.events import ical, service
from forum.events.attendance import attending_events
from forum.events.calendar_tokens import (
    calendar_token,
    reset_calendar_token,
    revoke_calendar_token,
    user_for_calendar_token,
)
from forum.events.list_filters import Multi, list_filter
from forum.events.listing import all_events

router = APIRouter(include_in_schema=False)

ICAL_TYPE = "text/calendar; charset=utf-8"


def _ical(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=ICAL_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/events.ics", dependencies=[InFeedLanguage])
def events_feed(
    db: DbSession,
    settings: AppSettings,
    country: Multi = [],  # noqa: B006
    sector: Multi = [],  # noqa: B006
    partnership: Multi = [],  # noqa: B006
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    match: Annotated[str, Query(max_length=3)] = "",
) -> Response:
    """Upcoming events by default; `from` reaches back to past ones; `match=any` keeps
    the events of any of the places, sectors and partnerships given, as the list does."""
    when = "all" if date_from else "upcoming"
    flt = list_filter(db, country=country, sector=sector, partnership=partnership,
                      date_from=date_from, date_to=date_to, when=when, match=match)  # fmt: skip
    events = all_events(db, flt)
    return _ical(ical.calendar_of(events, settings.base_url, name=_("Cluster Forum: events")),
                 "events.ics")  # fmt: skip


@router.get("/events/{event_id:int}.ics", dependencies=[InFeedLanguage])
def event_feed(event_id: int, db: DbSession, settings: AppSettings) -> Response:
    event = service.get_event(db, event_id)
    if event.starts_on is None:
        raise HTTPException(
            404, _("This event has no date yet: there is nothing to add to a calendar.")
        )
    return _ical(ical.calendar_of([event], settings.base_url, name=event.name),
                 f"event-{event.id}.ics")  # fmt: skip


@router.get("/calendar/{token}.ics", dependencies=[InFeedLanguage])
def private_feed(token: str, db: DbSession, settings: AppSettings) -> Response:
    """A member's events (going: CONFIRMED, interested: TENTATIVE). The URL is the secret."""
    user = user_for_calendar_token(db, token)
    if user is None:
        raise HTTPException(
            404, _("There is no calendar at this address (the link may have been reset).")
        )
    events = attending_events(db, user)
    statuses = {
        mark.event_id: "CONFIRMED" if mark.status == "going" else "TENTATIVE"
        for event in events
        for mark in event.attendances
        if mark.user_id == user.id
    }
    body = ical.calendar_of(events, settings.base_url, name=_("Cluster Forum: %(name)s's events", name=user.name),
                            statuses=statuses)  # fmt: skip
    if db.dirty:
        best_effort(db)  # last_used_at
    response = _ical(body, "my-events.ics")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- the private calendar's settings ---------------------------------------------------------


def _secret(settings: AppSettings) -> str:
    assert settings.secret_key, "create_app() makes sure there is a secret key"
    return settings.secret_key


@router.get("/settings/calendar", response_class=HTMLResponse)
def calendar_settings(
    request: Request, db: DbSession, settings: AppSettings, viewer: SignedInUser
) -> Response:
    token = calendar_token(db, viewer, secret_key=_secret(settings))
    return render(
        request,
        "events/calendar_settings.html",
        {
            "nav": None,
            "feed_url": f"{settings.base_url}/calendar/{token}.ics" if token else None,
            "count": len(attending_events(db, viewer)),
        },
    )


@router.post("/settings/calendar/reset", response_class=HTMLResponse)
def calendar_reset(
    request: Request, db: DbSession, settings: AppSettings, viewer: SignedInUser
) -> Response:
    had = calendar_token(db, viewer, secret_key=_secret(settings)) is not None
    reset_calendar_token(db, viewer, secret_key=_secret(settings))
    db.commit()
    response = redirect("/settings/calendar")
    message = (_("A new address is ready: the old one no longer works. Update your calendar app.")
               if had else _("Your private calendar address is ready."))  # fmt: skip
    flash(request, response, message, "success")
    return response


@router.post("/settings/calendar/revoke", response_class=HTMLResponse)
def calendar_revoke(request: Request, db: DbSession, viewer: SignedInUser) -> Response:
    revoke_calendar_token(db, viewer)
    db.commit()
    response = redirect("/settings/calendar")
    flash(request, response, _("Your private calendar address is turned off."), "success")
    return response
