"""Planning and sending digests: who is due when, one row per period, a real SMTP server
on loopback, retries, bounces and the crash that leaves a message `sending`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.mail import SMTPTransport
from forum.digests.deliveries import MAX_ATTEMPTS, RETRY_BASE
from forum.digests.models import DigestDelivery
from forum.digests.planner import due_members, message_id_for, plan
from forum.digests.sender import SendReport, send_pending
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.notifications.models import EmailSettings
from forum.notifications.service import follow
from forum.taxonomy.service import resolve_sectors, seed_sectors
from tests.conftest import People
from tests.digests.smtp_sink import SMTPSink

WEEK = dt.timedelta(days=7)
# A Sunday in winter: Brussels is UTC+1, Tokyo UTC+9.
SUNDAY_2200_UTC = dt.datetime(2027, 1, 10, 22, 0, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def scheduled(
    db: Session,
    user: User,
    *,
    frequency: str = "weekly",
    weekday: int = 0,
    hour: int = 7,
    timezone: str = "Europe/Brussels",
    joined: dt.datetime = LONG_AGO,
) -> User:
    user.digest_frequency = frequency
    user.digest_weekday = weekday
    user.digest_hour = hour
    user.timezone = timezone
    user.created_at = joined
    db.flush()
    return user


def due_ids(db: Session, now: dt.datetime, **kwargs: object) -> dict[int, dt.date]:
    return {due.user_id: due.period for due, _ in plan(db, now, **kwargs)}  # type: ignore[arg-type]


def add_item(
    db: Session,
    author: User,
    *,
    title: str,
    countries: Sequence[str] = ("JP",),
    sectors: Sequence[str] = ("food",),
) -> IntelItem:
    return intel_writes.create_item(
        db,
        author,
        intel_writes.ItemInput(
            title=title,
            summary="Import rules for processed food change in April.",
            countries=list(countries),
            sectors=resolve_sectors(db, list(sectors)),
        ),
    )


def deliveries(db: Session, user: User | None = None) -> list[DigestDelivery]:
    db.expire_all()
    stmt = select(DigestDelivery).order_by(DigestDelivery.id)
    if user is not None:
        stmt = stmt.where(DigestDelivery.user_id == user.id)
    return list(db.scalars(stmt))


# --- the planner ---------------------------------------------------------------------


def test_a_member_in_tokyo_with_monday_0700_is_due_at_sunday_2200_utc(
    db: Session, people: People
) -> None:
    tokyo = scheduled(db, people.make(), timezone="Asia/Tokyo")
    brussels = scheduled(db, people.make(), timezone="Europe/Brussels")

    assert due_ids(db, SUNDAY_2200_UTC) == {tokyo.id: dt.date(2027, 1, 11)}
    assert due_ids(db, SUNDAY_2200_UTC - dt.timedelta(minutes=1)) == {}
    # Monday 07:00 in Brussels is 06:00 UTC in winter.
    monday_0600_utc = SUNDAY_2200_UTC + dt.timedelta(hours=8)
    assert due_ids(db, monday_0600_utc) == {
        tokyo.id: dt.date(2027, 1, 11),
        brussels.id: dt.date(2027, 1, 11),
    }


def test_a_daily_digest_is_due_every_day_from_its_hour(db: Session, people: People) -> None:
    daily = scheduled(db, people.make(), frequency="daily", hour=18)
    tuesday_1659_utc = dt.datetime(2027, 1, 12, 16, 59, tzinfo=dt.UTC)  # 17:59 in Brussels

    assert due_ids(db, tuesday_1659_utc) == {daily.id: dt.date(2027, 1, 11)}, (
        "before its hour, the member's last occurrence is still yesterday's"
    )
    assert due_ids(db, tuesday_1659_utc + dt.timedelta(minutes=1)) == {
        daily.id: dt.date(2027, 1, 12)
    }


def test_the_planner_writes_one_row_per_member_and_period(
    db: Session, people: People, settings: Settings
) -> None:
    member = scheduled(db, people.make(), timezone="Asia/Tokyo")

    first = due_members(db, SUNDAY_2200_UTC, settings=settings)
    again = due_members(db, SUNDAY_2200_UTC + dt.timedelta(minutes=5), settings=settings)

    assert [(d.user_id, d.period) for d in first] == [(member.id, dt.date(2027, 1, 11))]
    assert again == [], "a second planner finds the row and creates none"
    (row,) = deliveries(db, member)
    assert row.status == "pending"
    assert row.frequency == "weekly"
    assert row.window_end == SUNDAY_2200_UTC
    assert row.window_start == SUNDAY_2200_UTC - WEEK, "a first digest looks one period back"
    assert row.message_id == message_id_for(settings, member.id, dt.date(2027, 1, 11))
    assert row.message_id.startswith(f"<digest.{member.id}.20270111.")
    assert row.message_id.endswith("@testserver>")


def test_the_next_window_starts_where_the_previous_one_ended(
    db: Session, people: People, settings: Settings
) -> None:
    member = scheduled(db, people.make(), timezone="Asia/Tokyo")
    due_members(db, SUNDAY_2200_UTC, settings=settings)
    a_week_later = SUNDAY_2200_UTC + WEEK + dt.timedelta(minutes=3)

    (second,) = due_members(db, a_week_later, settings=settings)

    assert (second.user_id, second.period) == (member.id, dt.date(2027, 1, 18))
    assert second.window_start == SUNDAY_2200_UTC
    assert second.window_end == a_week_later


def test_the_planner_leaves_out_members_who_cannot_or_will_not_receive(
    db: Session, people: People
) -> None:
    wanted = scheduled(db, people.make())
    off = scheduled(db, people.make(), frequency="off")
    unverified = scheduled(db, people.make(verified=False))
    suspended = scheduled(db, people.make())
    suspended.suspended_at = LONG_AGO
    bouncing = scheduled(db, people.make())
    db.add(EmailSettings(user_id=bouncing.id, bouncing_at=LONG_AGO, bounce_reason="550"))
    db.flush()
    monday_0600_utc = SUNDAY_2200_UTC + dt.timedelta(hours=8)

    due = due_ids(db, monday_0600_utc)

    assert wanted.id in due
    assert not {off.id, unverified.id, suspended.id, bouncing.id} & set(due)
    forced = due_ids(db, monday_0600_utc, force=True)
    assert not {off.id, unverified.id, suspended.id, bouncing.id} & set(forced), (
        "--now does not override a member's choice or a bouncing address"
    )


def test_a_member_who_joined_after_this_weeks_hour_waits_for_the_next(
    db: Session, people: People
) -> None:
    monday_0600_utc = SUNDAY_2200_UTC + dt.timedelta(hours=8)
    newcomer = scheduled(db, people.make(), joined=monday_0600_utc + dt.timedelta(minutes=1))

    assert newcomer.id not in due_ids(db, monday_0600_utc + dt.timedelta(minutes=5))
    assert newcomer.id in due_ids(db, monday_0600_utc + WEEK)


def test_a_digest_more_than_a_day_late_waits_for_the_next_period(
    db: Session, people: People
) -> None:
    member = scheduled(db, people.make())
    monday_0600_utc = SUNDAY_2200_UTC + dt.timedelta(hours=8)

    assert member.id in due_ids(db, monday_0600_utc + dt.timedelta(hours=23))
    assert member.id not in due_ids(db, monday_0600_utc + dt.timedelta(hours=25))


# --- the sender, against a real SMTP server ------------------------------------------------


@pytest.fixture
def world(db: Session, people: People) -> dict[str, User]:
    """A JP + food follower, a US follower, and an author who turned digests off."""
    seed_sectors(db)
    author = people.make(name="Ana Author")
    author.digest_frequency = "off"
    jp_food = people.make(name="Jun Food", email="jun@example.eu")
    follow(db, jp_food.id, "country", "JP")
    follow(db, jp_food.id, "sector", "food")
    us_only = people.make(name="Uma States", email="uma@example.eu")
    follow(db, us_only.id, "country", "US")
    db.flush()
    add_item(db, author, title="Sake exporters meet Osaka food buyers")
    return {"author": author, "jp_food": jp_food, "us_only": us_only}


def send(
    session_factory: sessionmaker[Session],
    settings: Settings,
    sink: SMTPSink,
    *,
    now: dt.datetime | None = None,
    **kwargs: object,
) -> SendReport:
    return send_pending(
        session_factory,
        settings,
        transport=SMTPTransport(sink.url),
        now=now or utcnow(),
        **kwargs,  # type: ignore[arg-type]
    )


def plan_now(db: Session, settings: Settings, now: dt.datetime | None = None) -> None:
    due_members(db, now or utcnow(), settings=settings, force=True)
    db.commit()


def test_a_jp_food_follower_gets_the_new_item_in_both_parts_and_a_us_follower_nothing(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    plan_now(db, settings)

    report = send(session_factory, settings, sink)

    assert (report.sent, report.skipped, report.failed) == (1, 1, 0)
    (message,) = sink.messages()
    assert message["To"] == "jun@example.eu"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Sake exporters meet Osaka food buyers" in text.get_content()
    assert "Sake exporters meet Osaka food buyers" in html.get_content()
    (jun_row,) = deliveries(db, world["jp_food"])
    assert message["Message-ID"] == jun_row.message_id
    assert jun_row.status == "sent"
    assert jun_row.sent_at is not None
    assert jun_row.subject == message["Subject"]
    assert sum(jun_row.counts.values()) >= 1
    assert "/unsubscribe/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Id"]
    (uma_row,) = deliveries(db, world["us_only"])
    assert uma_row.status == "skipped", "nothing new for the US follower: no email, recorded"
    assert sink.sessions == 1


def test_a_second_run_for_the_period_sends_nothing(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    plan_now(db, settings)
    send(session_factory, settings, sink)
    plan_now(db, settings)

    again = send(session_factory, settings, sink)

    assert again.total == 0 and again.sent == 0
    assert len(sink.messages()) == 1


def test_one_connection_carries_the_whole_batch(
    db: Session,
    people: People,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    for n in range(5):
        reader = people.make(email=f"reader{n}@example.eu")
        follow(db, reader.id, "country", "JP")
    plan_now(db, settings)

    report = send(session_factory, settings, sink)

    assert report.sent == 6
    assert len(sink.messages()) == 6
    assert sink.sessions == 1
    ids = [m["Message-ID"] for m in sink.messages()]
    assert len(set(ids)) == 6


def test_a_temporary_refusal_is_retried_later(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    now = utcnow()
    plan_now(db, settings, now)
    sink.refuse["jun@example.eu"] = "451 4.3.0 Mailbox busy, try again later"

    first = send(session_factory, settings, sink, now=now)

    assert (first.sent, first.retried) == (0, 1)
    (row,) = deliveries(db, world["jp_food"])
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.next_attempt_at == now + RETRY_BASE
    assert "451" in (row.error or "")
    assert send(session_factory, settings, sink, now=now + dt.timedelta(minutes=1)).total == 0, (
        "not before its backoff"
    )

    del sink.refuse["jun@example.eu"]
    later = send(session_factory, settings, sink, now=now + dt.timedelta(minutes=6))

    assert later.sent == 1
    (row,) = deliveries(db, world["jp_food"])
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(sink.to("jun@example.eu")) == 1


def test_a_delivery_refused_every_time_fails_after_its_last_attempt(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    now = utcnow()
    plan_now(db, settings, now)
    sink.refuse["jun@example.eu"] = "421 4.7.0 Too many connections"
    for _ in range(MAX_ATTEMPTS):
        now += dt.timedelta(days=1)
        send(session_factory, settings, sink, now=now)

    (row,) = deliveries(db, world["jp_food"])
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert sink.messages() == []


def test_a_permanent_refusal_marks_the_address_bouncing_and_stops_sending(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    now = utcnow()
    plan_now(db, settings, now)
    sink.refuse["jun@example.eu"] = "550 5.1.1 No such user here"

    report = send(session_factory, settings, sink, now=now)

    assert (report.failed, report.bounced) == (1, 1)
    (row,) = deliveries(db, world["jp_food"])
    assert row.status == "failed"
    email_settings = db.get(EmailSettings, world["jp_food"].id)
    assert email_settings is not None and email_settings.bouncing_at is not None
    assert "550" in (email_settings.bounce_reason or "")
    tomorrow = now + dt.timedelta(days=1)
    assert world["jp_food"].id not in due_ids(db, tomorrow, force=True)


def test_a_delivery_left_sending_by_a_crash_is_sent_again_with_its_message_id(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan_now(db, settings)
    (row,) = deliveries(db, world["jp_food"])
    row.status, row.attempts = "sending", 1  # as a sender killed mid-SMTP leaves it
    db.commit()

    with caplog.at_level(logging.WARNING, logger="forum.digests.sender"):
        report = send(session_factory, settings, sink)

    assert (report.sent, report.resent) == (1, 1)
    (message,) = sink.to("jun@example.eu")
    (row,) = deliveries(db, world["jp_food"])
    assert message["Message-ID"] == row.message_id
    assert (row.status, row.resends, row.attempts) == ("sent", 1, 2)
    assert "after a crash" in caplog.text


def test_a_member_who_unsubscribed_after_planning_gets_nothing(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    plan_now(db, settings)
    world["jp_food"].digest_frequency = "off"
    db.commit()

    report = send(session_factory, settings, sink)

    assert report.sent == 0
    (row,) = deliveries(db, world["jp_food"])
    assert row.status == "skipped"
    assert sink.messages() == []


def test_a_dry_run_builds_every_digest_and_writes_and_sends_nothing(
    db: Session,
    world: dict[str, User],
    settings: Settings,
    session_factory: sessionmaker[Session],
    sink: SMTPSink,
) -> None:
    now = utcnow()
    planned = [due for due, _ in plan(db, now, force=True)]

    report = send(session_factory, settings, sink, now=now, dry_run=True, planned=planned)

    assert report.dry_run
    assert (report.sent, report.skipped) == (1, 1)
    assert deliveries(db) == []
    assert sink.messages() == []
    assert db.scalar(select(func.count()).select_from(EmailSettings)) == 0
