"""iCalendar (RFC 5545) documents of events, built with the `icalendar` package.

Every event is an all-day event: DTSTART is its first day and DTEND the day after its
last (exclusive, as RFC 5545 wants for DATE values). A vague source date becomes the
all-day range that covers it, with the wording in the description; an event whose date
is still to be announced has no place in a calendar and is left out. The UID is
`event-ID@HOST`, stable across feeds and edits, so calendars update rather than duplicate.
Every text property is a vText, so the escaping of `;`, `,`, `\\` and newlines is the
library's (RFC 5545, 3.3.11).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit

from icalendar import Calendar, vText
from icalendar import Event as VEvent

from forum.core.i18n import _
from forum.events.attendance import who_is_going
from forum.events.models import Event

PRODID = "-//Cluster Forum//Events//EN"


def uid_of(event: Event, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "cluster-forum"
    return f"event-{event.id}@{host}"


def _description(event: Event, base_url: str) -> str:
    lines = []
    if event.date_text:
        lines.append(_("Date as announced: %(wording)s", wording=event.date_text))
    if event.date_note:
        lines.append(_("Note on the date: %(note)s", note=event.date_note))
    if event.location_text:
        lines.append(_("Place as announced: %(place)s", place=event.location_text))
    going = who_is_going(event)
    if going.partnerships_going:
        names = ", ".join(p.name for p in going.partnerships_going)
        lines.append(_("Partnerships going: %(names)s", names=names))
    if event.organiser:
        lines.append(_("Organiser: %(organiser)s", organiser=event.organiser))
    if event.description:
        lines += ["", event.description]
    page = base_url + event.url_path
    lines += ["", _("On the Cluster Forum: %(url)s", url=page)]
    return "\n".join(lines).strip()


def vevent(event: Event, base_url: str, *, status: str | None = None) -> VEvent | None:
    """The VEVENT of a dated event; None when its date is unknown."""
    if event.starts_on is None:
        return None
    item = VEvent()
    item.add("uid", uid_of(event, base_url))
    item.add("dtstamp", event.updated_at.astimezone(dt.UTC))
    item.add("dtstart", event.starts_on)
    item.add("dtend", (event.ends_on or event.starts_on) + dt.timedelta(days=1))
    item.add("summary", event.name)
    item.add("description", _description(event, base_url))
    if event.place_known:
        item.add("location", event.place_label)
    item.add("url", event.url or f"{base_url}{event.url_path}")
    if event.sectors:
        item.add("categories", [s.label for s in event.sectors])
    # A vague date is a range that covers it, not a commitment to every day of it.
    item.add("transp", "TRANSPARENT")
    if status:
        item.add("status", status)
    return item


def calendar_of(
    events: Sequence[Event],
    base_url: str,
    *,
    name: str,
    statuses: dict[int, str] | None = None,
) -> bytes:
    """A VCALENDAR of the dated ones among `events`; `statuses` maps event ids to a
    VEVENT STATUS (CONFIRMED for "going", TENTATIVE for "interested")."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # icalendar escapes only the properties it knows as TEXT; an X- property is written
    # as given unless it is a vText, and VALUE=TEXT tells every reader to unescape it.
    cal.add("x-wr-calname", vText(name), parameters={"VALUE": "TEXT"})
    for event in events:
        item = vevent(event, base_url, status=(statuses or {}).get(event.id))
        if item is not None:
            cal.add_component(item)
    body: bytes = cal.to_ical()
    return body
