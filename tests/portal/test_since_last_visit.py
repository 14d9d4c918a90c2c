"""The signed-in home page starts with "Since your last visit", counted from the end of the
member's previous visit in the one activity record (User.previous_seen_at)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.events import attendance as event_attendance
from forum.events import service as events
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.notifications.service import follow
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, Threads, sign_in


def _item(db: Session, author: User, title: str, *, days_ago: float) -> IntelItem:
    item = intel_writes.create_item(
        db,
        author,
        intel_writes.ItemInput(
            title=title, kind="news", summary="Import rules change.", countries=["JP"],
            sectors=resolve_sectors(db, ["food"]),
        ),
        status="published",
    )  # fmt: skip
    item.added_at = utcnow() - dt.timedelta(days=days_ago)
    db.flush()
    return item


def _since_part(page: str) -> str:
    """The "Since your last visit" part of the home page (before "Your week")."""
    start = page.index("<h1>Since your last visit</h1>")
    return page[start : page.index("<h2>Your week</h2>")]


def test_the_home_page_starts_with_what_is_new_since_the_previous_visit(
    client: Client, db: Session, people: People, threads: Threads, sectors: None
) -> None:
    reader, writer = people.make(), people.make(name="Wendy Writer")
    follow(db, reader.id, "country", "JP")
    _item(db, writer, "Sake exports grow", days_ago=1)
    _item(db, writer, "Rice prices settle", days_ago=3)
    followed = threads.start(reader, title="Our FOODEX stand")
    followed.created_at = utcnow() - dt.timedelta(days=6)
    reply = threads.reply(writer, followed, "We can share the stand.")
    reader.last_seen_at = reader.previous_seen_at = utcnow() - dt.timedelta(days=2)
    db.flush()

    sign_in(client, db, reader)  # a new visit: the sighting two days ago becomes the boundary
    page = client.get("/").text
    assert page.index("<h1>Since your last visit</h1>") < page.index("<h2>Your week</h2>")
    since = _since_part(page)
    assert "Sake exports grow" in since
    assert "Rice prices settle" not in since, "before the previous visit"
    assert "Rice prices settle" in page, "still in the week below"
    assert "Our FOODEX stand" in since
    assert f'href="/posts/{reply.id}"' in since
    assert 'href="/discussions?view=unread"' in since
    assert "You have marked no upcoming event as going or interested." in since

    db.refresh(reader)
    boundary = reader.previous_seen_at
    assert boundary is not None
    assert boundary < utcnow() - dt.timedelta(days=1)
    client.get("/")
    db.refresh(reader)
    assert reader.previous_seen_at == boundary, "stable during the visit"


def test_since_your_last_visit_lists_the_upcoming_events_the_member_goes_to(
    client: Client, db: Session, member: User, other_member: User
) -> None:
    today = utcnow().date()
    going = events.create_event(
        db, other_member,
        events.EventInput(name="FOODEX Japan", city="Chiba", country="JP",
                          starts_on=today + dt.timedelta(days=10)),
    )  # fmt: skip
    past = events.create_event(
        db, other_member,
        events.EventInput(name="Last year's fair", country="JP",
                          starts_on=today - dt.timedelta(days=200)),
    )  # fmt: skip
    events.create_event(
        db, other_member,
        events.EventInput(name="A fair nobody marked", country="JP",
                          starts_on=today + dt.timedelta(days=12)),
    )  # fmt: skip
    for event in (going, past):
        event_attendance.set_attendance(db, member, event, status="going")
    db.flush()
    sign_in(client, db, member)
    since = _since_part(client.get("/").text)
    assert f'<a href="{going.url_path}">FOODEX Japan</a>' in since
    assert "Last year's fair" not in since
    assert "A fair nobody marked" not in since


def test_a_member_with_nothing_new_sees_each_part_empty_with_a_way_to_see_all(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    follow(db, member.id, "country", "US")
    sign_in(client, db, member)
    since = _since_part(client.get("/").text)
    for empty in (
        "No new replies in the threads you follow.",
        "No new intelligence for your countries and sectors.",
        "No new good practices for your countries and sectors.",
    ):
        assert empty in since
    assert since.count(">See all<") == 4
