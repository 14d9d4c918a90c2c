"""Immediate emails: replies, mentions and new posts in followed threads, each on or off,
at most 20 a day per member (the rest wait for the digest), none to a bouncing address."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import Job
from forum.digests import service
from forum.digests.emails import IMMEDIATE_DAILY_CAP, send_notification_email
from forum.discussions import moderation
from forum.moderation import flags
from forum.notifications.models import EmailSettings, Notification
from forum.notifications.service import follow
from tests.conftest import Outbox, People, Threads


def plain(message: object) -> str:
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def notes_of(db: Session, user: User) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_a_reply_to_my_thread_is_emailed_at_once_with_its_text_and_link(
    db: Session, member: User, other_member: User, threads: Threads, outbox: Outbox
) -> None:
    thread = threads.start(member, title="Buyers in Osaka")
    post = threads.reply(other_member, thread, "We met two distributors at FOODEX.")
    mails = outbox.to(member.email)
    assert [m["Subject"] for m in mails] == ["Otto Other replied in “Buyers in Osaka”"]
    text = plain(mails[0])
    assert "We met two distributors at FOODEX." in text
    assert f"http://testserver{post.url}" in text
    assert "http://testserver/settings/digest" in text
    assert mails[0]["Auto-Submitted"] == "auto-generated"
    (note,) = notes_of(db, member)
    assert note.emailed_at is not None
    assert outbox.to(other_member.email) == [], "nobody is emailed about their own post"


def test_a_mention_and_a_post_in_a_followed_thread_are_emailed(
    db: Session, people: People, member: User, other_member: User, threads: Threads,
    outbox: Outbox,
) -> None:  # fmt: skip
    follower = people.make(name="Fiona Follower")
    thread = threads.start(other_member, title="Textile fairs in Bogotá")
    follow(db, follower.id, "thread", str(thread.id))
    threads.reply(other_member, thread, f"What do you think, @{member.handle}?")
    assert [m["Subject"] for m in outbox.to(member.email)] == [
        "Otto Other mentioned you in “Textile fairs in Bogotá”"
    ]
    assert [m["Subject"] for m in outbox.to(follower.email)] == [
        "New reply by Otto Other in “Textile fairs in Bogotá”"
    ]
    assert "a thread you follow" in plain(outbox.to(follower.email)[0])


def test_at_most_twenty_a_day_and_the_rest_wait_for_the_digest(
    db: Session, settings: Settings, member: User, other_member: User, threads: Threads,
    outbox: Outbox,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Cosmetics in the Gulf")
    for number in range(IMMEDIATE_DAILY_CAP + 5):
        threads.reply(other_member, thread, f"Reply number {number}.")
    assert len(outbox.to(member.email)) == IMMEDIATE_DAILY_CAP == 20
    notes = notes_of(db, member)
    waiting = [n for n in notes if n.emailed_at is None]
    assert len(notes) == 25 and len(waiting) == 5
    row = db.get(EmailSettings, member.id)
    assert row is not None and row.immediate_count == 20

    # The count is per day in the member's time zone: once the day is another, it starts
    # again (here the 20 are made yesterday's).
    assert row.immediate_day == utcnow().astimezone(ZoneInfo(member.timezone)).date()
    row.immediate_day -= dt.timedelta(days=1)
    assert send_notification_email(db, settings, waiting[0].id) == "sent"
    assert row.immediate_count == 1
    assert len(outbox.to(member.email)) == 21


def test_a_toggle_turned_off_stops_that_kind_only(
    db: Session, member: User, other_member: User, threads: Threads, outbox: Outbox
) -> None:
    service.update_email_settings(
        db, member, notify_replies=False, notify_mentions=True, notify_thread_posts=True
    )
    thread = threads.start(member, title="Rail fairs in India")
    threads.reply(other_member, thread, "A plain reply.")
    threads.reply(other_member, thread, f"And a word for @{member.handle}.")
    assert [m["Subject"] for m in outbox.to(member.email)] == [
        "Otto Other mentioned you in “Rail fairs in India”"
    ]
    reply_note = next(n for n in notes_of(db, member) if n.kind == "reply")
    assert reply_note.emailed_at is None, "it waits for the digest"


def test_every_toggle_off_means_no_immediate_email(
    db: Session, member: User, other_member: User, threads: Threads, outbox: Outbox
) -> None:
    service.update_email_settings(
        db, member, notify_replies=False, notify_mentions=False, notify_thread_posts=False
    )
    thread = threads.start(other_member, title="Smart mobility in Korea")
    follow(db, member.id, "thread", str(thread.id))
    threads.reply(other_member, thread, f"Hello @{member.handle}.")
    threads.reply(other_member, thread, "Another post in a thread Maria follows.")
    assert len(notes_of(db, member)) == 2, "the notifications themselves are still there"
    queued = db.scalars(select(Job.payload).where(Job.kind == "notification-email")).all()
    assert queued == [], "no job is queued only to find the switch off"
    assert outbox.to(member.email) == []


def test_a_bouncing_address_gets_no_immediate_email(
    db: Session, member: User, other_member: User, threads: Threads, outbox: Outbox
) -> None:
    db.add(EmailSettings(user_id=member.id, bouncing_at=utcnow(), bounce_reason="550"))
    db.flush()
    thread = threads.start(member, title="Blue energy in Canada")
    threads.reply(other_member, thread, "A reply.")
    assert outbox.to(member.email) == []
    # Once the member says the address works again, new replies are emailed.
    member_row = db.get(User, member.id)
    assert member_row is not None
    service.confirm_address(db, member_row)
    threads.reply(other_member, thread, "Another reply.")
    assert len(outbox.to(member.email)) == 1


def test_a_notification_read_before_its_email_went_is_not_emailed(
    db: Session, settings: Settings, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Healthcare in Israel")
    threads.reply(other_member, thread, "A reply.")
    (note,) = notes_of(db, member)
    note.read_at = utcnow()
    assert send_notification_email(db, settings, note.id) == "already read"


def test_a_notification_a_day_old_is_left_for_the_digest(
    db: Session, settings: Settings, member: User, other_member: User, threads: Threads
) -> None:
    thread = threads.start(member, title="Energy in South Africa")
    threads.reply(other_member, thread, "A reply.")
    (note,) = notes_of(db, member)
    later = utcnow() + dt.timedelta(hours=25)
    assert send_notification_email(db, settings, note.id, now=later).startswith("too old")
    assert note.emailed_at is None


def test_the_email_job_is_idempotent(
    db: Session, settings: Settings, member: User, other_member: User, threads: Threads,
    outbox: Outbox,
) -> None:  # fmt: skip
    thread = threads.start(member, title="Media in Brazil")
    threads.reply(other_member, thread, "A reply.")
    (note,) = notes_of(db, member)
    assert send_notification_email(db, settings, note.id) == "sent"
    assert send_notification_email(db, settings, note.id) == "already emailed"
    # The queued job finds it emailed too: one message in all.
    assert len(outbox.to(member.email)) == 1


def test_moderators_still_get_flag_emails_whatever_their_toggles(
    db: Session, settings: Settings, member: User, moderator: User, other_member: User,
    threads: Threads, outbox: Outbox,
) -> None:  # fmt: skip
    service.update_email_settings(
        db, moderator, notify_replies=False, notify_mentions=False, notify_thread_posts=False
    )
    thread = threads.start(other_member, title="Miracle pills")
    flags.flag(
        db, member, object_type="thread", object_id=thread.id, reason="Spam", settings=settings
    )
    mails = outbox.to(moderator.email)
    assert len(mails) == 1
    assert mails[0]["Subject"].startswith("Flagged on Cluster Forum")


def test_a_reply_hidden_before_its_email_goes_is_not_mailed_even_to_a_moderator(
    db: Session, moderator: User, other_member: User, threads: Threads, outbox: Outbox
) -> None:
    thread = threads.start(moderator, title="Tenders in Chile")
    post = threads.reply(other_member, thread, "A link to a shop, nothing about tenders.")
    moderation.hide_post(db, moderator, post, reason="Spam.")
    db.flush()
    assert outbox.to(moderator.email) == []
    (note,) = notes_of(db, moderator)
    assert note.emailed_at is None
