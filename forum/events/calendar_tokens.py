"""The secret of a member's private calendar feed: made, shown, reset, revoked, and the
member a feed URL belongs to. Only a hash of the token is stored."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.i18n import _
from forum.events.models import CalendarToken


def _token_for(secret_key: str, user_id: int, nonce: str) -> str:
    digest = hmac.new(
        secret_key.encode(), f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token(db: Session, user: User, *, secret_key: str) -> str | None:
    """The member's current feed token, or None when they have none (never made, revoked)."""
    row = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    return _token_for(secret_key, user.id, row.nonce) if row else None


def reset_calendar_token(db: Session, user: User, *, secret_key: str) -> str:
    """A new secret feed URL for the member; the old one stops working at once."""
    if user.is_suspended:
        raise NotAllowed(_("Your account is suspended."))
    row = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        row = CalendarToken(user_id=user.id)
        db.add(row)
    row.nonce = secrets.token_hex(16)
    token = _token_for(secret_key, user.id, row.nonce)
    row.token_hash = _hash(token)
    row.created_at = utcnow()
    row.last_used_at = None
    db.flush()
    return token


def revoke_calendar_token(db: Session, user: User) -> bool:
    """Turn the private feed off; answers whether there was one."""
    row = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True


def user_for_calendar_token(db: Session, token: str) -> User | None:
    """The member whose feed this is, or None (unknown or revoked token, suspended member).

    Records the use at most once an hour.
    """
    if not token or len(token) > 100:
        return None
    row = db.scalar(
        select(CalendarToken)
        .where(CalendarToken.token_hash == _hash(token))
        .options(selectinload(CalendarToken.user))
    )
    if row is None or row.user.is_suspended:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(hours=1):
        row.last_used_at = now
    return row.user
