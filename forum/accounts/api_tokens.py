"""Bearer tokens of the API: personal ones a member names and revokes, login ones that
expire, and the member a token stands for. Only a hash of each token is stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts import sessions
from forum.accounts.models import ApiToken, User
from forum.accounts.service import AccountError
from forum.accounts.tokens import find_by_token, new_token
from forum.core.db import utcnow
from forum.core.errors import NotFound
from forum.core.i18n import _
from forum.core.text import clean_line

LOGIN_TOKEN_LIFETIME = dt.timedelta(days=30)
TOKEN_PREFIX = "cf_"  # noqa: S105 - marks our tokens in secret scanners


def create_api_token(
    db: Session, user: User, *, name: str, kind: str = "personal"
) -> tuple[str, ApiToken]:
    """A new bearer token; the raw value is answered once and never stored."""
    name = clean_line(name)[:100]
    if not name:
        raise AccountError(_("Give the token a name, to recognise it later."), "name")
    raw, digest = new_token(TOKEN_PREFIX)
    token = ApiToken(
        token_hash=digest,
        prefix=raw[:10],
        user_id=user.id,
        name=name,
        kind=kind,
        expires_at=utcnow() + LOGIN_TOKEN_LIFETIME if kind == "login" else None,
    )
    db.add(token)
    db.flush()
    return raw, token


def list_api_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .where(ApiToken.kind == "personal")
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(db: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens (personal or login); raises NotFound for an
    id that is not a live token of theirs, another member's included."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("token", detail=_("You have no such token."))
    token.revoked_at = utcnow()
    db.flush()
    return token


def user_for_bearer(db: Session, raw: str) -> User | None:
    """The active member a bearer token belongs to, or None."""
    found = find_by_token(db, ApiToken, raw)
    if found is None:
        return None
    token, user = found
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if user.is_suspended:
        return None
    if token.last_used_at is None or now - token.last_used_at > sessions.TOUCH_EVERY:
        token.last_used_at = now
    return user
