"""The events API: lists with filters and cursors, one event with who is going, adding
events, attendance marks, and 422s naming what is unknown."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.events import attendance as event_attendance
from forum.events.listing import today_utc
from forum.events.models import Attendance, Event
from tests.conftest import Client
from tests.events.conftest import Events, join, make_partnership


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def test_the_list_filters_and_pages_by_cursor(client: Client, db: Session, events: Events) -> None:
    start = today_utc() + dt.timedelta(days=3)
    for n in range(5):
        events.make(f"US {n}", starts_on=start + dt.timedelta(days=n), country="US", city="Boston")
    events.make("Tokyo", starts_on=start, country="JP")
    events.make("US undated", date_text="Not announced", country="US", city=None)
    seen, cursor = [], None
    for _ in range(10):
        answer = client.get(
            "/api/v1/events",
            params={"country": "US", "limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        assert answer.status_code == 200
        body = answer.json()
        seen += [item["name"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == ["US 0", "US 1", "US 2", "US 3", "US 4", "US undated"]
    undated = client.get("/api/v1/events", params={"country": "US", "limit": 100}).json()["items"][
        -1
    ]
    assert undated["starts_on"] is None and undated["date_text"] == "Not announced"
    assert undated["ical_url"] is None


def test_a_date_range_reaches_back_to_past_events(client: Client, events: Events) -> None:
    events.make(
        "CES 2019", starts_on=dt.date(2019, 1, 8), ends_on=dt.date(2019, 1, 11), country="US"
    )
    assert client.get("/api/v1/events").json()["items"] == []
    found = client.get("/api/v1/events?from=2019-01-01&to=2019-01-31").json()["items"]
    assert [(e["name"], e["starts_on"], e["ends_on"]) for e in found] == [
        ("CES 2019", "2019-01-08", "2019-01-11")
    ]


def test_unknown_country_sector_or_partnership_answers_422_naming_it(client: Client) -> None:
    for query, named in [("country=ZZ", "ZZ"), ("sector=astrology", "astrology"),
                         ("partnership=nobody", "nobody"), ("country=g:atlantis", "g:atlantis")]:  # fmt: skip
        answer = client.get(f"/api/v1/events?{query}")
        assert answer.status_code == 422, query
        assert named in str(answer.json()["detail"]), query
    assert client.get("/api/v1/events?from=someday").status_code == 422
    assert client.get("/api/v1/events?cursor=forged").status_code == 422


def test_one_event_shows_who_is_going_names_for_members_only(
    client: Client, db: Session, member: User, events: Events
) -> None:
    alpha = make_partnership(db, "Alpha")
    event = events.make("Bio Korea", partnerships=[alpha])
    event_attendance.set_attendance(db, member, event, status="going")
    anonymous = client.get(f"/api/v1/events/{event.id}").json()
    assert anonymous["going"]["partnerships_going"] == [
        {"id": alpha.id, "slug": "alpha", "name": "Alpha"}
    ]
    assert anonymous["going"]["listed_by"][0]["name"] == "Alpha"
    assert anonymous["members_going"] == 1
    assert anonymous["going"]["members_going"] == []
    signed = client.get(f"/api/v1/events/{event.id}", headers=bearer(db, member)).json()
    assert signed["going"]["members_going"] == [{"name": "Maria Member", "handle": member.handle}]
    assert signed["url"] == f"http://testserver/events/{event.id}"
    assert client.get("/api/v1/events/999999").status_code == 404


def test_a_member_adds_an_event_and_bad_input_is_named(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    auth = bearer(db, member)
    created = client.post("/api/v1/events", headers=auth, json={
        "name": "Photonics North", "date_text": "May 21st - 23rd 2019", "city": "Quebec",
        "country": "CA", "sectors": ["high-tech"],
    })  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert (body["starts_on"], body["ends_on"], body["date_text"]) == (
        "2019-05-21",
        "2019-05-23",
        None,
    )
    assert body["in_europe"] is False
    assert body["sectors"] == [{"slug": "high-tech", "name": "High-tech industry"}]
    for payload, named in [
        ({"name": "X", "country": "QQ"}, "QQ"),
        ({"name": "X", "sectors": ["astrology"]}, "astrology"),
        ({"name": "X", "starts_on": "2019-05-02", "ends_on": "2019-05-01"}, "before"),
        ({"name": ""}, "name"),
    ]:
        refused = client.post("/api/v1/events", headers=auth, json=payload)
        assert refused.status_code == 422, payload
        assert named in str(refused.json()["detail"]), payload
    assert client.post("/api/v1/events", json={"name": "X"}).status_code == 401
    alone = client.post("/api/v1/events", headers=auth, json={"name": "X", "for_partnership": True})
    assert alone.status_code == 403
    assert db.scalar(select(Event).where(Event.name == "X")) is None


def test_attendance_for_me_and_for_my_partnership(
    client: Client, db: Session, member: User, other_member: User, events: Events
) -> None:
    event = events.make()
    alpha = make_partnership(db, "Alpha")
    join(db, member, alpha)
    auth = bearer(db, member)
    url = f"/api/v1/events/{event.id}/attendance"
    mine = client.post(url, headers=auth, json={"status": "going", "for": "me"})
    assert mine.status_code == 200
    assert mine.json() == {
        "event_id": event.id,
        "status": "going",
        "for": "me",
        "partnership": None,
    }
    ours = client.post(url, headers=auth, json={"status": "interested", "for": "partnership"})
    assert ours.json()["partnership"]["slug"] == "alpha"
    marks = {(m.user_id, m.partnership_id, m.status) for m in db.scalars(select(Attendance))}
    assert marks == {(member.id, None, "going"), (None, alpha.id, "interested")}
    refused = client.post(
        url, headers=bearer(db, other_member), json={"status": "going", "for": "partnership"}
    )
    assert refused.status_code == 403
    assert client.post(url, headers=auth, json={"status": "maybe"}).status_code == 422
    assert client.post(url, json={"status": "going"}).status_code == 401
    assert (
        client.post(
            "/api/v1/events/999999/attendance", headers=auth, json={"status": "going"}
        ).status_code
        == 404
    )
    cleared = client.post(url, headers=auth, json={"status": "none"})
    assert cleared.status_code == 200
    assert {m.user_id for m in db.scalars(select(Attendance))} == {None}


def test_a_date_filter_that_is_not_yyyy_mm_dd_is_refused(client: Client) -> None:
    response = client.get("/api/v1/events", params={"to": "0.0"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "to"]
    assert client.get("/api/v1/events", params={"to": "2030-01-01"}).status_code == 200


def test_a_day_sent_as_a_number_is_refused_not_read_as_a_unix_time(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    auth = bearer(db, member)
    for starts_on in (0, 1_767_225_600, 0.0, "0", "2026-1-1"):
        response = client.post(
            "/api/v1/events", headers=auth, json={"name": "Number day", "starts_on": starts_on}
        )
        assert response.status_code == 422, starts_on
        assert response.json()["detail"][0]["loc"] == ["body", "starts_on"]
    assert db.scalars(select(Event).where(Event.name == "Number day")).first() is None
    created = client.post(
        "/api/v1/events", headers=auth, json={"name": "Number day", "starts_on": "2027-01-01"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["starts_on"] == "2027-01-01"
