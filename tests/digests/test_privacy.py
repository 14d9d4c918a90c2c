"""Email settings and the digests sent are in "download my data" and go with the account."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.digests import service
from forum.digests.models import DigestDelivery
from forum.notifications.models import EmailSettings
from forum.portal.privacy import delete_account, export_user_data
from tests.conftest import Threads


def _a_sent_digest(db: Session, user: User) -> DigestDelivery:
    now = utcnow()
    row = DigestDelivery(
        user_id=user.id,
        period=dt.date(2026, 11, 30),
        frequency="weekly",
        status="sent",
        window_start=now - dt.timedelta(days=7),
        window_end=now,
        message_id="<digest-1@forum.example>",
        subject="Your week: 3 items on Japan",
        counts={"intel": 3},
        sent_at=now,
    )
    db.add(row)
    db.flush()
    return row


def test_the_export_holds_the_email_settings_and_each_digest_sent(
    db: Session, member: User
) -> None:
    assert export_user_data(db, member)["email"] == {"settings": None, "digests": []}
    service.update_email_settings(
        db, member, notify_replies=False, notify_mentions=True, notify_thread_posts=False
    )
    _a_sent_digest(db, member)

    exported = export_user_data(db, member)["email"]

    assert exported["settings"]["notify_replies"] is False
    assert exported["settings"]["notify_mentions"] is True
    assert exported["settings"]["notify_thread_posts"] is False
    assert exported["settings"]["unsubscribed_at"] is None
    assert [(d["period"], d["status"], d["subject"], d["counts"]) for d in exported["digests"]] == [
        ("2026-11-30", "sent", "Your week: 3 items on Japan", {"intel": 3})
    ]
    assert "message_id" not in exported["digests"][0]


def test_email_settings_and_digests_go_even_when_the_content_stays(
    db: Session, member: User, threads: Threads
) -> None:
    service.update_email_settings(
        db, member, notify_replies=False, notify_mentions=False, notify_thread_posts=False
    )
    _a_sent_digest(db, member)
    threads.start(member)  # kept content keeps the user row as the "Former member"

    assert delete_account(db, member, keep_content=True) is True

    assert db.scalars(select(EmailSettings)).all() == []
    assert db.scalars(select(DigestDelivery)).all() == []
