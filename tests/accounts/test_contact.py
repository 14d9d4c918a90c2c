"""Contact: members write to each other and to coordinators, relayed by email."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts import contact
from forum.accounts.models import ThrottleEvent, User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import Job
from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import Client, Outbox, People, sign_in


def _queued_mail(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Job).where(Job.kind == "send-email")) or 0


def _body(message: object) -> str:
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


def _write(client: Client, path: str, message: str = "Shall we meet in Osaka?", **extra: str):  # type: ignore[no-untyped-def]
    return client.post_form(path, {"subject": "Osaka mission", "message": message, **extra})


@pytest.fixture
def as_maria(client: Client, db: Session, member: User) -> Client:
    sign_in(client, db, member)
    return client


def test_a_message_reaches_the_recipient_with_reply_to_the_sender(
    as_maria: Client, db: Session, member: User, other_member: User, outbox: Outbox
) -> None:
    form = as_maria.get(f"/members/{other_member.handle}/contact")
    assert form.status_code == 200
    assert form.text.count("<h1") == 1
    assert "Write to Otto Other" in form.text
    assert other_member.email not in form.text

    sent = _write(as_maria, f"/members/{other_member.handle}/contact")
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/members/{other_member.handle}"
    after = as_maria.get(sent.headers["location"])
    assert "Your message to Otto Other is on its way" in html.unescape(after.text)
    assert other_member.email not in after.text

    [mail] = outbox.to(other_member.email)
    assert mail["Reply-To"] == member.email
    assert mail["To"] == other_member.email
    assert "Osaka mission" in mail["Subject"] and "Maria Member" in mail["Subject"]
    body = _body(mail)
    assert "Shall we meet in Osaka?" in body
    assert f"/members/{member.handle}" in body
    # Nothing goes back to the sender: no copy, and no address of the recipient.
    assert outbox.to(member.email) == []


def test_the_platform_keeps_no_copy_beyond_the_mail_job(
    as_maria: Client, db: Session, other_member: User, outbox: Outbox
) -> None:
    _write(as_maria, f"/members/{other_member.handle}/contact", "A secret plan for Osaka.")
    outbox.deliver()
    events = list(db.scalars(select(ThrottleEvent).where(ThrottleEvent.scope == "contact")))
    assert len(events) == 1
    assert "Osaka" not in events[0].key


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"subject": "Hello", "message": "   "}, "Write your message."),
        ({"subject": "Hello", "message": "x" * 5_001}, "Keep the message to 5,000 characters"),
        ({"subject": "s" * 151, "message": "Hello"}, "Keep the subject to 150 characters"),
    ],
    ids=["empty", "message-too-long", "subject-too-long"],
)
def test_invalid_messages_are_refused_and_nothing_is_queued(
    as_maria: Client, db: Session, other_member: User, data: dict[str, str], expected: str
) -> None:
    response = as_maria.post_form(f"/members/{other_member.handle}/contact", data)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert expected in html.unescape(response.text)  # type: ignore[attr-defined]
    assert _queued_mail(db) == 0


def test_the_longest_allowed_message_and_subject_go_through(
    as_maria: Client, db: Session, other_member: User
) -> None:
    response = as_maria.post_form(
        f"/members/{other_member.handle}/contact", {"subject": "s" * 150, "message": "m" * 5_000}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _queued_mail(db) == 1


def test_nobody_writes_to_themselves(as_maria: Client, db: Session, member: User) -> None:
    page = as_maria.get(f"/members/{member.handle}/contact")
    assert "This is you" in page.text
    assert 'name="message"' not in page.text
    refused = _write(as_maria, f"/members/{member.handle}/contact")
    assert refused.status_code == 400
    assert "This is you" in refused.text
    assert _queued_mail(db) == 0


def test_an_unverified_member_cannot_write_yet(
    client: Client, db: Session, people: People, other_member: User
) -> None:
    newcomer = people.make(name="Nina New", verified=False)
    sign_in(client, db, newcomer)
    page = client.get(f"/members/{other_member.handle}/contact")
    assert "Confirm your email address" in page.text
    assert 'name="message"' not in page.text
    refused = _write(client, f"/members/{other_member.handle}/contact")
    assert refused.status_code == 403
    assert "Confirm your email address" in refused.text
    assert _queued_mail(db) == 0


def test_an_unverified_member_cannot_be_written_to(
    as_maria: Client, db: Session, people: People
) -> None:
    unconfirmed = people.make(name="Ulla Unconfirmed", verified=False)
    profile = as_maria.get(f"/members/{unconfirmed.handle}")
    assert "/contact" not in profile.text
    assert as_maria.get(f"/members/{unconfirmed.handle}/contact").status_code == 404
    assert _write(as_maria, f"/members/{unconfirmed.handle}/contact").status_code == 404
    assert _queued_mail(db) == 0


def test_the_sixth_message_in_an_hour_is_refused_with_retry_after(
    as_maria: Client, db: Session, people: People
) -> None:
    recipients = [people.make() for _ in range(6)]
    for person in recipients[:5]:
        assert _write(as_maria, f"/members/{person.handle}/contact").status_code == 303
    refused = _write(as_maria, f"/members/{recipients[5].handle}/contact", "My sixth message")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    text = html.unescape(refused.text)
    assert "You have sent 5 messages in less than an hour" in text
    assert "My sixth message" in text  # what was typed is kept
    assert _queued_mail(db) == 5


def test_the_hourly_limit_frees_up_as_messages_age(
    as_maria: Client, db: Session, member: User, other_member: User
) -> None:
    long_ago = utcnow() - dt.timedelta(minutes=61)
    for _ in range(5):
        db.add(ThrottleEvent(scope="contact", key=str(member.id), created_at=long_ago))
    db.flush()
    assert _write(as_maria, f"/members/{other_member.handle}/contact").status_code == 303


def test_at_most_twenty_messages_a_day(
    as_maria: Client, db: Session, member: User, other_member: User
) -> None:
    now = utcnow()
    for n in range(20):
        moment = now - dt.timedelta(hours=2, minutes=n * 10)
        db.add(ThrottleEvent(scope="contact", key=str(member.id), created_at=moment))
    db.flush()
    refused = _write(as_maria, f"/members/{other_member.handle}/contact")
    assert refused.status_code == 429
    assert "20 messages in less than a day" in html.unescape(refused.text)
    # The oldest of the twenty leaves the day window in 24h - (2h + 190 min).
    assert int(refused.headers["retry-after"]) == pytest.approx(
        (dt.timedelta(days=1) - dt.timedelta(hours=2, minutes=190)).total_seconds(), abs=60
    )
    assert _queued_mail(db) == 0


def test_partnership_contact_reaches_the_coordinator(
    client: Client, demo_db: Session, coordinator: User, member: User, outbox: Outbox
) -> None:
    sign_in(client, demo_db, member)
    form = client.get("/partnerships/laser-go-global/contact")
    assert form.status_code == 200
    assert "Write to the coordinator of LASER-GO GLOBAL" in form.text
    assert coordinator.email not in form.text
    sent = _write(client, "/partnerships/laser-go-global/contact", "Can we join your mission?")
    assert sent.status_code == 303
    assert sent.headers["location"] == "/partnerships/laser-go-global"
    [mail] = outbox.to(coordinator.email)
    assert mail["Reply-To"] == member.email
    body = _body(mail)
    assert "Can we join your mission?" in body
    assert "as the coordinator of LASER-GO GLOBAL" in body


def test_a_partnership_without_coordinator_offers_nothing(
    client: Client, demo_db: Session, member: User
) -> None:
    partnership = get_partnership_by_slug(demo_db, "laser-go-global")
    assert partnership is not None and partnership.coordinator_id is None
    sign_in(client, demo_db, member)
    page = client.get("/partnerships/laser-go-global/contact")
    assert page.status_code == 200
    assert "has no coordinator on the platform yet" in page.text
    main = page.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<form" not in main  # the footer's language switcher is a form, outside <main>
    refused = _write(client, "/partnerships/laser-go-global/contact")
    assert refused.status_code == 404
    assert _queued_mail(demo_db) == 0
    assert client.get("/partnerships/no-such-thing/contact").status_code == 404


def test_send_contact_refuses_a_suspended_sender(
    db: Session, settings: Settings, member: User, other_member: User
) -> None:
    member.suspended_at = utcnow()
    with pytest.raises(contact.ContactError, match="suspended"):
        contact.send_contact(db, settings, member, other_member, "Hi", "Hello")
    assert _queued_mail(db) == 0
