"""Retention: expired sessions, throttle counters, old email tokens and .eml files go."""

from __future__ import annotations

import datetime as dt
import os
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import EmailToken, ThrottleEvent, User, UserSession
from forum.accounts.service import issue_email_token
from forum.accounts.sessions import create_session
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.runner import Runner


def test_the_retention_job_prunes_what_has_expired_and_keeps_the_rest(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, member: User
) -> None:
    create_session(db, member)
    create_session(db, member)
    stale, fresh = db.scalars(select(UserSession).order_by(UserSession.id)).all()
    stale.last_seen_at = utcnow() - dt.timedelta(days=8)
    db.add(ThrottleEvent(scope="ip", key="1.2.3.4", created_at=utcnow() - dt.timedelta(days=2)))
    db.add(ThrottleEvent(scope="ip", key="1.2.3.4"))
    issue_email_token(db, member, "reset")
    token = db.scalar(select(EmailToken))
    assert token is not None
    token.expires_at = utcnow() - dt.timedelta(days=31)
    db.flush()
    outbox = settings.outbox_dir
    outbox.mkdir(parents=True)
    old, new = outbox / "old.eml", outbox / "new.eml"
    old.write_text("Subject: old\n\nold")
    new.write_text("Subject: new\n\nnew")
    month_ago = time.time() - 31 * 24 * 3600
    os.utime(old, (month_ago, month_ago))

    Runner(settings, session_factory).run_once()

    assert [s.id for s in db.scalars(select(UserSession))] == [fresh.id]
    assert db.scalar(select(func.count()).select_from(ThrottleEvent)) == 1
    assert db.scalar(select(func.count()).select_from(EmailToken)) == 0
    assert not old.exists()
    assert new.exists()
