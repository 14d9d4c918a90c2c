"""Spoofed text (issue 16): the bidirectional embedding, override and isolate controls
(U+202A-U+202E, U+2066-U+2069) are removed from single-line fields when they are
stored, whichever way they arrive (form, API, harvested feed), so pages, Atom feeds,
iCal and mail never show "feedxss3 exe.png" for "feedxss3 \\u202egnp.exe".
Right-to-left text itself, and the marks U+200E, U+200F and U+061C, are kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.text import BIDI_CONTROLS
from forum.discussions.models import Category, Thread
from forum.events.models import Event
from forum.intelligence import feed_admin, harvest_store
from forum.intelligence.models import IntelItem
from tests.conftest import TEST_PASSWORD, Client, Outbox, People, Threads, sign_in
from tests.intelligence.test_harvest import Entry, rss

SPOOFED = "feedxss3 \u202egnp.exe"
SHOWN = "feedxss3 gnp.exe"
EVERY_CONTROL = "A\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j"
ARABIC = "تقرير \u200fعن السوق المغربي \u061c2024\u200e"


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def clean(text: str) -> bool:
    return not any(ch in text for ch in BIDI_CONTROLS)


def test_a_thread_title_from_the_form_or_the_api_loses_its_controls_on_the_page_and_in_the_feed(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    sign_in(client, db, member)
    answer = client.post_form(
        "/discussions/new",
        {"title": SPOOFED, "category": "market-intelligence", "body": "See the file."},
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    api = client.post(
        "/api/v1/threads",
        json={"title": EVERY_CONTROL, "body": "Hm.", "category": "market-intelligence"},
        headers=bearer(db, member),
    )
    assert api.status_code == 201
    assert api.json()["title"] == "Abcdefghij"
    titles = set(db.scalars(select(Thread.title)))
    assert titles == {SHOWN, "Abcdefghij"}
    for thread in db.scalars(select(Thread)):
        assert clean(client.get(thread.url).text)
    feed = client.get("/feeds/threads.atom").text
    assert SHOWN in feed and clean(feed)


def test_a_reply_notification_mails_the_title_and_the_name_without_controls(
    db: Session, people: People, member: User, threads: Threads, outbox: Outbox
) -> None:
    replier = people.make(name="Eve \u2067Evil\u2069 Doer")
    thread = threads.start(member, title=SPOOFED)
    threads.reply(replier, thread, "Open the attachment.")
    (mail,) = outbox.to(member.email)
    assert mail["Subject"] == f"Eve Evil Doer replied in “{SHOWN}”"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and clean(str(body.get_content()))


def test_an_intelligence_title_from_the_api_or_a_harvested_feed_loses_its_controls(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    api = client.post(
        "/api/v1/intel",
        json={"title": SPOOFED, "kind": "news", "source_name": "Agency \u202enaf"},
        headers=bearer(db, member),
    )
    assert api.status_code == 201, api.text
    assert api.json()["title"] == SHOWN
    feed, _ = feed_admin.create_feed(
        db,
        None,
        "https://news.example.org/feed",
        feed_admin.FeedSettings(name="Desk \u2066east\u2069", auto_publish=True, enabled=True),
        allow_private=True,
    )
    assert feed.name == "Desk east"
    body = rss([Entry("Harvested \u202etxt.exe", "https://news.example.org/a/9", "urn:a:9")])
    result = harvest_store.harvest_body(db, feed, body, now=dt.datetime.now(dt.UTC))
    assert result.added == 1, result.summary
    items = list(db.scalars(select(IntelItem).order_by(IntelItem.id)))
    assert [i.title for i in items] == [SHOWN, "Harvested txt.exe"]
    assert [i.source_name for i in items] == ["Agency naf", "Desk east"]
    for item in items:
        assert clean(client.get(item.url_path).text)
    atom = client.get("/feeds/intel.atom").text
    assert "Harvested txt.exe" in atom and clean(atom)


def test_an_event_name_from_the_api_loses_its_controls_on_the_page_and_in_ical(
    client: Client, db: Session, member: User, sectors: None
) -> None:
    answer = client.post(
        "/api/v1/events",
        json={
            "name": SPOOFED,
            "starts_on": "2031-03-12",
            "country": "FR",
            "city": "Ren\u202enes",
            "organiser": "Org \u2068x\u2069",
        },
        headers=bearer(db, member),
    )
    assert answer.status_code == 201, answer.text
    event = db.scalars(select(Event)).one()
    assert (event.name, event.city, event.organiser) == (SHOWN, "Rennes", "Org x")
    assert clean(client.get(event.url_path).text)
    ical = client.get(f"/events/{event.id}.ics").content.decode()
    assert SHOWN in ical and clean(ical)


def test_a_member_name_from_the_sign_up_form_loses_its_controls(
    client: Client, db: Session
) -> None:
    client.post_form(
        "/register",
        {"email": "eve@example.eu", "name": "Eve \u202eEvil", "password": TEST_PASSWORD,
         "partnership": ""},
    )  # fmt: skip
    assert db.scalar(select(User.name).where(User.email == "eve@example.eu")) == "Eve Evil"


def test_an_arabic_title_and_its_marks_round_trip_unchanged(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    api = client.post(
        "/api/v1/threads",
        json={"title": ARABIC, "body": "نص", "category": "market-intelligence"},
        headers=bearer(db, member),
    )
    assert api.status_code == 201
    assert api.json()["title"] == ARABIC
    thread = db.scalars(select(Thread)).one()
    assert thread.title == ARABIC
    assert ARABIC in client.get(thread.url).text
