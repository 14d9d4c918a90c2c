"""iCal feeds: valid for the `icalendar` package, all-day with DTEND exclusive, stable
UIDs, the public feed's filters, one event's file, the private feed and its secret."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.events import attendance as event_attendance
from forum.events import calendar_tokens
from forum.events import listing as event_lists
from forum.events.listing import today_utc
from tests.conftest import Client, sign_in
from tests.events.conftest import Events, make_partnership

D = dt.date


def _parse(body: bytes) -> Calendar:
    cal = Calendar.from_ical(body)
    assert isinstance(cal, Calendar)
    assert str(cal["VERSION"]) == "2.0"
    assert cal["PRODID"]
    return cal


def _events(cal: Calendar) -> dict[str, object]:
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def test_an_event_file_is_all_day_with_an_exclusive_end_and_a_stable_uid(
    client: Client, db: Session, events: Events
) -> None:
    alpha = make_partnership(db, "Alpha")
    event = events.make("CFIA 2019", starts_on=D(2019, 3, 12), ends_on=D(2019, 3, 14),
                        country="FR", city="Rennes", sectors=["food-innovation"],
                        partnerships=[alpha])  # fmt: skip
    answer = client.get(f"/events/{event.id}.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    vevent = _events(_parse(answer.content))["CFIA 2019"]
    assert vevent["DTSTART"].dt == D(2019, 3, 12)  # type: ignore[index]
    assert vevent["DTEND"].dt == D(2019, 3, 15)  # type: ignore[index]
    assert b"DTSTART;VALUE=DATE:20190312" in answer.content
    assert str(vevent["UID"]) == f"event-{event.id}@testserver"  # type: ignore[index]
    assert str(vevent["LOCATION"]) == "Rennes, France"  # type: ignore[index]
    assert "Partnerships going: Alpha" in str(vevent["DESCRIPTION"])  # type: ignore[index]
    again = _events(_parse(client.get("/events.ics?from=2019-01-01").content))["CFIA 2019"]
    assert again["UID"] == vevent["UID"]  # type: ignore[index]


def test_a_vague_date_is_an_all_day_range_with_the_wording_in_the_description(
    client: Client, events: Events
) -> None:
    event = events.make("WindEurope", date_text="April 2019", country="ES", city="Bilbao")
    vevent = _events(_parse(client.get(f"/events/{event.id}.ics").content))["WindEurope"]
    assert (vevent["DTSTART"].dt, vevent["DTEND"].dt) == (D(2019, 4, 1), D(2019, 5, 1))  # type: ignore[index]
    assert "Date as announced: April 2019" in str(vevent["DESCRIPTION"])  # type: ignore[index]


def test_the_public_feed_is_upcoming_unless_from_asks_for_the_past(
    client: Client, events: Events
) -> None:
    today = today_utc()
    events.make("Next month", starts_on=today + dt.timedelta(days=30))
    events.make("Last year", starts_on=today - dt.timedelta(days=365))
    events.make("Undated", date_text="To be defined")
    upcoming = _events(_parse(client.get("/events.ics").content))
    assert set(upcoming) == {"Next month"}  # an unknown date has no place in a calendar
    since = (today - dt.timedelta(days=400)).isoformat()
    assert set(_events(_parse(client.get(f"/events.ics?from={since}").content))) == {
        "Next month", "Last year",
    }  # fmt: skip


def test_the_public_feed_takes_the_list_filters_and_refuses_unknown_ones(
    client: Client, events: Events
) -> None:
    events.make("Tokyo", country="JP", sectors=["healthcare"])
    events.make("Lyon", country="FR", city="Lyon", sectors=["food"])
    assert set(_events(_parse(client.get("/events.ics?country=g:eu27").content))) == {"Lyon"}
    assert set(_events(_parse(client.get("/events.ics?sector=healthcare").content))) == {"Tokyo"}
    refused = client.get("/events.ics?country=Narnia")
    assert refused.status_code == 422
    assert "Narnia" in refused.text


def test_acceptance_the_us_feed_of_the_demo_holds_exactly_the_us_events(
    client: Client, events_demo: Session
) -> None:
    answer = client.get("/events.ics?country=US&from=2018-01-01&to=2020-12-31")
    assert answer.status_code == 200
    cal = _parse(answer.content)
    names = sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT"))
    expected = sorted(
        e.name
        for e in event_lists.all_events(events_demo, event_lists.EventFilter(when="all"))
        if e.country_code == "US"
    )
    assert names == expected
    assert names == sorted([
        "GRC Meeting & Expo 2019", "Mission to USA", "PERES Mission to USA", "Photonics West 2019",
        "Smart Cities NYC", "BIO Convention", "MobiGoIn-Action International Mission WR1",
        "Mission to Chicago",
    ])  # fmt: skip
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def test_a_member_s_private_feed_holds_their_events_and_its_address_can_be_reset(
    client: Client, db: Session, member: User, other_member: User, events: Events
) -> None:
    going = events.make("Going there")
    maybe = events.make("Maybe there")
    events.make("Not mine")
    event_attendance.set_attendance(db, member, going, status="going")
    event_attendance.set_attendance(db, member, maybe, status="interested")
    event_attendance.set_attendance(db, other_member, maybe, status="going")
    sign_in(client, db, member)
    settings_page = client.get("/settings/calendar")
    assert "No calendar address yet" in settings_page.text
    client.post_form("/settings/calendar/reset", {})
    page = client.get("/settings/calendar")
    url = page.text.split('id="feed-url" class="token-value" value="')[1].split('"')[0]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    path = url.removeprefix("http://testserver")
    client.cookies.clear()  # a calendar app carries no session
    feed = client.get(path)
    assert feed.status_code == 200
    assert feed.headers["cache-control"] == "private, no-store"
    found = _events(_parse(feed.content))
    assert set(found) == {"Going there", "Maybe there"}
    assert str(found["Going there"]["STATUS"]) == "CONFIRMED"  # type: ignore[index]
    assert str(found["Maybe there"]["STATUS"]) == "TENTATIVE"  # type: ignore[index]
    sign_in(client, db, member)
    client.post_form("/settings/calendar/reset", {})
    assert client.get(path).status_code == 404  # the old address stops working at once
    new_url = (
        client.get("/settings/calendar").text.split('class="token-value" value="')[1].split('"')[0]
    )
    assert new_url != url
    assert client.get(new_url.removeprefix("http://testserver")).status_code == 200
    client.post_form("/settings/calendar/revoke", {})
    assert client.get(new_url.removeprefix("http://testserver")).status_code == 404
    assert "No calendar address yet" in client.get("/settings/calendar").text


def test_a_guessed_or_suspended_member_s_feed_is_not_found(
    client: Client, db: Session, member: User, settings: object
) -> None:
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    token = calendar_tokens.reset_calendar_token(
        db, member, secret_key="test-secret-key-not-for-production"
    )
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    member.suspended_at = dt.datetime.now(dt.UTC)
    db.flush()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_calendar_settings_need_a_signed_in_member(client: Client) -> None:
    assert client.get("/settings/calendar").headers["location"].startswith("/login")
    refused = client.post_form("/settings/calendar/reset", {})
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert refused.headers["location"].startswith("/login")  # type: ignore[attr-defined]


HOSTILE = 'Fair; "quoted", back\\slash, comma,semicolon;\nsecond line'


def test_every_text_property_parses_back_to_exactly_what_the_database_holds(
    client: Client, db: Session, events: Events
) -> None:
    event = events.make("placeholder", starts_on=D(2030, 5, 6), country="FR", city="x")
    # Rows written before the services cleaned single lines may hold anything: set them raw.
    event.name = f"Expo {HOSTILE}"
    event.city = f"Saint-Malo; {HOSTILE}"
    event.organiser = f"Org {HOSTILE}"
    event.description = f"First paragraph; with, marks \\ and\n\nsecond {HOSTILE}"
    db.flush()
    answer = client.get(f"/events/{event.id}.ics")
    assert answer.status_code == 200
    cal = _parse(answer.content)
    assert str(cal["X-WR-CALNAME"]) == event.name
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.name
    assert str(vevent["LOCATION"]) == event.place_label == f"{event.city}, France"
    description = str(vevent["DESCRIPTION"])
    assert f"Organiser: {event.organiser}\n" in description
    assert f"\n{event.description}\n" in description
    public = _parse(client.get("/events.ics?from=2030-01-01").content)
    assert str(public["X-WR-CALNAME"]) == "Cluster Forum: events"
    assert [str(e["SUMMARY"]) for e in public.walk("VEVENT")] == [event.name]
