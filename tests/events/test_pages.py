"""The events pages: lists with filters and empty states, month view, archive, an event,
adding and editing."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.events.listing import today_utc
from forum.events.models import Event
from tests.conftest import Client, People, sign_in
from tests.events.conftest import Events, join, make_partnership


def _titles(html: str) -> list[str]:
    return re.findall(r'<h[2-4] class="card-title"><a href="/events/\d+">([^<]+)</a>', html)


def test_the_upcoming_list_shows_dated_events_then_dates_to_be_announced(
    client: Client, events: Events
) -> None:
    today = today_utc()
    events.make("Next week", starts_on=today + dt.timedelta(days=7))
    events.make("Over", starts_on=today - dt.timedelta(days=30))
    events.make("Undated", date_text="To be defined", country="DE", city="Munich")
    page = client.get("/events")
    assert page.status_code == 200
    assert _titles(page.text) == ["Next week", "Undated"]
    tba = page.text[page.text.index('id="tba-heading"') :]
    assert "Undated" in tba and "To be defined" in tba
    assert 'aria-current="page">Events</a>' in page.text


def test_the_archive_shows_what_is_over(client: Client, events: Events) -> None:
    events.make("Over", starts_on=today_utc() - dt.timedelta(days=30))
    events.make("Next week", starts_on=today_utc() + dt.timedelta(days=7))
    assert _titles(client.get("/events/archive").text) == ["Over"]


def test_empty_states_say_what_to_do(client: Client, db: Session, member: User) -> None:
    empty = client.get("/events")
    assert "No upcoming events" in empty.text
    assert "No past events" in client.get("/events/archive").text
    filtered = client.get("/events?country=JP")
    assert "No events match these filters" in filtered.text
    assert "No events this month" in client.get("/events/month?m=2030-01").text
    sign_in(client, db, member)
    assert 'href="/events/new"' in client.get("/events").text


def test_lists_are_paginated_by_twenty(client: Client, events: Events) -> None:
    start = today_utc() + dt.timedelta(days=1)
    for n in range(25):
        events.make(f"Event {n:02d}", starts_on=start + dt.timedelta(days=n))
    first = client.get("/events")
    assert len(_titles(first.text)) == 20
    assert "1–20 of 25" in first.text
    assert 'href="/events?page=2" rel="next"' in first.text
    second = client.get("/events?page=2")
    assert _titles(second.text) == [f"Event {n:02d}" for n in range(20, 25)]


def test_filters_by_country_region_sector_partnership_and_dates(
    client: Client, db: Session, events: Events
) -> None:
    start = today_utc() + dt.timedelta(days=10)
    alpha = make_partnership(db, "Alpha")
    events.make(
        "Tokyo", starts_on=start, country="JP", sectors=["healthcare"], partnerships=[alpha]
    )
    events.make("Paris", starts_on=start + dt.timedelta(days=40), country="FR", city="Paris")
    events.make("Hanoi", starts_on=start + dt.timedelta(days=80), country="VN", city="Hanoi")
    assert _titles(client.get("/events?country=JP").text) == ["Tokyo"]
    assert _titles(client.get("/events?country=g:asean").text) == ["Hanoi"]
    assert _titles(client.get("/events?sector=healthcare").text) == ["Tokyo"]
    assert _titles(client.get("/events?partnership=alpha").text) == ["Tokyo"]
    assert _titles(client.get(f"/events?partnership={alpha.id}").text) == ["Tokyo"]
    window = f"from={start + dt.timedelta(days=30)}&to={start + dt.timedelta(days=50)}"
    assert _titles(client.get(f"/events?{window}").text) == ["Paris"]
    page = client.get("/events?country=FR")
    assert "Country or region: France" in page.text
    assert 'href="/events.ics?country=FR"' in page.text


def test_unknown_filter_values_answer_422_naming_them(client: Client) -> None:
    for query, named in [
        ("country=XX", "XX"),
        ("sector=astrology", "astrology"),
        ("partnership=nobody", "nobody"),
        ("from=next-week", "from"),
        ("from=2019-05-02&to=2019-05-01", "is after"),
    ]:
        answer = client.get(f"/events?{query}")
        assert answer.status_code == 422, query
        assert named in answer.text, query
    assert client.get("/events/month?m=2019-13").status_code == 422


def test_the_month_view_groups_days_in_weeks_and_lists_loose_dates(
    client: Client, events: Events
) -> None:
    events.make("CFIA 2019", date_text="March 12th - 14th 2019", country="FR", city="Rennes")
    events.make("Final meeting", date_text="March 2019", country="BE", city="Brussels")
    page = client.get("/events/month?m=2019-03")
    assert page.status_code == 200
    assert "<h1>Events in March 2019</h1>" in page.text
    assert "Week of 11 March" in page.text
    assert '<time datetime="2019-03-12">Tuesday 12 March</time>' in page.text
    loose = page.text[page.text.index('id="loose-heading"') :]
    assert "Final meeting" in loose and "March 2019" in loose
    assert 'href="/events/month?m=2019-04"' in page.text


def test_an_event_page_shows_the_wording_as_is_the_flag_and_who_is_going(
    client: Client, db: Session, events: Events, member: User, people: People
) -> None:
    alpha = make_partnership(db, "Alpha")
    event = events.make("MWC 2019", date_text="February 25th - 29th 2019", country="ES",
                        city="Barcelona", partnerships=[alpha])  # fmt: skip
    from forum.events import attendance as event_attendance

    event_attendance.set_attendance(db, member, event, status="going")
    page = client.get(f"/events/{event.id}")
    assert "February 25th - 29th 2019" in page.text
    assert "25–28 February 2019" in page.text
    assert "29 February 2019 does not exist" in page.text
    assert '<a href="/partnerships/alpha">Alpha</a>' in page.text
    assert "1 going, 0 interested" in page.text  # visitors see counts, not names
    assert "Maria Member" not in page.text
    assert f'href="/events/{event.id}.ics"' in page.text
    sign_in(client, db, people.make())
    assert "Maria Member" in client.get(f"/events/{event.id}").text


def test_an_unknown_event_is_404_and_an_undated_one_offers_no_calendar_file(
    client: Client, events: Events
) -> None:
    assert client.get("/events/999999").status_code == 404
    undated = events.make("Later", date_text="Not announced")
    page = client.get(f"/events/{undated.id}")
    assert "Not announced" in page.text and "(date to be announced)" in page.text
    assert ".ics" not in page.text.split("<main", 1)[1].split("Who is going")[0]
    assert client.get(f"/events/{undated.id}.ics").status_code == 404


def test_a_member_adds_an_event_for_their_partnership_with_vague_dates(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    alpha = make_partnership(db, "Alpha")
    join(db, member, alpha)
    sign_in(client, db, member)
    form = client.get("/events/new")
    assert form.status_code == 200
    for field in ("name", "starts_on", "ends_on", "date_text", "city", "country", "sectors"):
        assert f'<label for="{field}">' in form.text, field
    done = client.post_form("/events/new", {
        "name": "Bio Korea", "date_text": "Q2 2019", "city": "Seoul", "country": "KR",
        "sectors": "healthcare", "for_partnership": "1",
    })  # fmt: skip
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    event = db.scalar(select(Event).where(Event.name == "Bio Korea"))
    assert event is not None
    assert done.headers["location"] == f"/events/{event.id}"  # type: ignore[attr-defined]
    assert (event.starts_on, event.ends_on, event.date_text) == (
        dt.date(2019, 4, 1),
        dt.date(2019, 6, 30),
        "Q2 2019",
    )
    assert [row.partnership_id for row in event.listings] == [alpha.id]
    assert event.created_by_id == member.id


def test_a_bad_form_is_shown_again_with_the_error_and_nothing_saved(
    client: Client, db: Session, member: User
) -> None:
    sign_in(client, db, member)
    answer = client.post_form(
        "/events/new", {"name": "Fair", "starts_on": "2019-05-02", "ends_on": "2019-05-01"}
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "The last day comes before the first day." in answer.text  # type: ignore[attr-defined]
    assert 'value="Fair"' in answer.text  # type: ignore[attr-defined]
    wrong_day = client.post_form("/events/new", {"name": "Fair", "starts_on": "02/05/2019"})
    assert wrong_day.status_code == 422  # type: ignore[attr-defined]
    assert db.scalar(select(Event).where(Event.name == "Fair")) is None


def test_visitors_are_sent_to_log_in_and_others_cannot_edit(
    client: Client, db: Session, member: User, other_member: User, moderator: User
) -> None:
    assert client.get("/events/new").headers["location"].startswith("/login")
    sign_in(client, db, member)
    client.post_form("/events/new", {"name": "Mine", "date_text": "2030"})
    event = db.scalar(select(Event).where(Event.name == "Mine"))
    assert event is not None
    assert client.get(f"/events/{event.id}/edit").status_code == 200
    sign_in(client, db, other_member)
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    refused = client.post_form(f"/events/{event.id}/edit", {"name": "Stolen"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    sign_in(client, db, moderator)
    saved = client.post_form(
        f"/events/{event.id}/edit", {"name": "Mine (checked)", "date_text": "2031"}
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    db.refresh(event)
    assert (event.name, event.starts_on) == ("Mine (checked)", dt.date(2031, 1, 1))


def test_events_are_in_the_main_navigation(client: Client) -> None:
    assert '<a href="/events">Events</a>' in client.get("/privacy").text
