"""Unsubscribing from the digest, or from one kind of notification email, by a signed
link, without a session (RFC 8058), and changing one's mind on the page it opens.

The token names the member (and the kind); reading it changes nothing, applying it turns
the digest, or that kind of email, off at once, and resubscribing turns the digest back
on. A forged or altered token reads as None.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.digests.tokens import read_emails_off_token, read_unsubscribe_token
from forum.notifications import tally
from forum.notifications.models import EmailSettings
from forum.notifications.service import EMAIL_TOGGLES


def read_unsubscribe(db: Session, *, secret_key: str, token: str) -> User | None:
    """The member an unsubscribe link is for, or None when the link is not ours."""
    user_id = read_unsubscribe_token(secret_key, token)
    return db.get(User, user_id) if user_id is not None else None


def unsubscribe(
    db: Session, *, secret_key: str, token: str, now: dt.datetime | None = None
) -> User | None:
    """Turn the member's digest off and note when; None (nothing changed) for a bad token.

    Applying it twice is harmless: the frequency stays off and the time of the first
    click is kept.
    Flushes, never commits.
    """
    user = read_unsubscribe(db, secret_key=secret_key, token=token)
    if user is None:
        return None
    row = db.get(EmailSettings, user.id)
    if row is None:
        row = EmailSettings(user_id=user.id)
        db.add(row)
    if user.digest_frequency != "off":
        tally.count(db, "unsubscribed", now=now)
    if user.digest_frequency != "off" or row.unsubscribed_at is None:
        row.unsubscribed_at = now or utcnow()
    user.digest_frequency = "off"
    db.flush()
    return user


# What resubscribing may turn the digest back on to; anything else is the default.
RESUBSCRIBE_FREQUENCIES = ("daily", "weekly")


def resubscribe(db: Session, *, secret_key: str, token: str, frequency: str) -> User | None:
    """Turn the member's digest back on at `frequency` (daily or weekly; anything else reads
    as weekly) and forget the unsubscription; None (nothing changed) for a bad token.

    A digest already on keeps its frequency. Flushes, never commits.
    """
    user = read_unsubscribe(db, secret_key=secret_key, token=token)
    if user is None:
        return None
    if user.digest_frequency == "off":
        user.digest_frequency = frequency if frequency in RESUBSCRIBE_FREQUENCIES else "weekly"
    row = db.get(EmailSettings, user.id)
    if row is not None:
        row.unsubscribed_at = None
    db.flush()
    return user


def read_emails_off(db: Session, *, secret_key: str, token: str) -> tuple[User, str] | None:
    """(member, notification kind) of a notification email's unsubscribe link, or None."""
    found = read_emails_off_token(secret_key, token)
    if found is None or found[1] not in EMAIL_TOGGLES:
        return None
    user = db.get(User, found[0])
    return (user, found[1]) if user is not None else None


def turn_emails_off(db: Session, *, secret_key: str, token: str) -> tuple[User, str] | None:
    """Turn that kind of immediate email off for the member (the toggle of
    `/settings/digest`); None (nothing changed) for a bad token. Twice is harmless.
    Flushes, never commits."""
    found = read_emails_off(db, secret_key=secret_key, token=token)
    if found is None:
        return None
    user, kind = found
    row = db.get(EmailSettings, user.id)
    if row is None:
        row = EmailSettings(
            user_id=user.id, notify_replies=True, notify_mentions=True, notify_thread_posts=True
        )
        db.add(row)
    setattr(row, EMAIL_TOGGLES[kind], False)
    db.flush()
    return found
