"""Random tokens for cookies, links and the API: only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import ApiToken, User, UserSession

# What a raw token may stand for: a browser session or an API token, each of a member.
T = TypeVar("T", ApiToken, UserSession)


def new_token(prefix: str = "") -> tuple[str, str]:
    """A fresh token (256 random bits) and the hash to store for it."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def find_by_token(db: Session, kind: type[T], raw: str) -> tuple[T, User] | None:
    """The row of `kind` whose hash is that of `raw`, with its member; None for nothing,
    an empty or an oversized value. Whether it is still valid is the caller's rule."""
    if not raw or len(raw) > 100:
        return None
    found = db.execute(
        select(kind, User)
        .join(User, User.id == kind.user_id)
        .where(kind.token_hash == hash_token(raw))
    ).first()
    if found is None:
        return None
    row, user = found
    return row, user
