"""What keeps a member signed in besides the password: browser sessions and API login
tokens. Listing them, ending one, and ending them all when the password changes.

Plain functions taking the session first; they flush, never commit. A member reaches only
their own sessions and tokens: another member's id is answered as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    delete,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from forum.accounts import sessions
from forum.accounts.models import ApiToken, EmailToken, User, UserSession
from forum.accounts.tokens import hash_token
from forum.core.db import utcnow
from forum.core.errors import NotFound
from forum.core.i18n import _
from forum.core.pagination import Page

SIGNINS_PER_PAGE = 10
# One row of the sessions-and-tokens union: kind, id, created, last used, client.
SignInRow = Select[str, int, dt.datetime, dt.datetime | None, str]
# Email links that act on the account and that a password change must void: a reset or
# an invitation sets a password, an email change moves the account to another address.
# Confirmation links are kept: they only confirm the address the account already has.
ACCOUNT_LINKS = ("reset", "invite", "email-change")


@dataclass(frozen=True)
class SignIn:
    """One place the member is signed in: a browser session or an API login token."""

    kind: str  # "session" or "token"
    id: int
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    # A session's User-Agent header as sent; a token's name ("API login").
    client: str
    current: bool


@dataclass(frozen=True)
class Ended:
    """What a sign-out or a password change ended."""

    sessions: int
    tokens: int


def _live_sessions(user: User, now: dt.datetime) -> list[ColumnElement[bool]]:
    return [
        UserSession.user_id == user.id,
        UserSession.expires_at > now,
        UserSession.last_seen_at > now - sessions.IDLE_TIMEOUT,
    ]


def _live_login_tokens(user: User, now: dt.datetime) -> list[ColumnElement[bool]]:
    return [
        ApiToken.user_id == user.id,
        ApiToken.kind == "login",
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now,
    ]


def list_signins(
    db: Session,
    user: User,
    *,
    current: UserSession | None,
    page: int,
    per_page: int = SIGNINS_PER_PAGE,
    base_path: str = "/profile",
) -> Page[SignIn]:
    """The member's live sessions and API login tokens, the current session first, then
    the most recently used. Personal tokens are not here: the profile lists them apart."""
    now = utcnow()
    # The kinds are written into the SQL: PostgreSQL cannot type a bare parameter in a UNION.
    browsers = select(
        literal_column("'session'", String).label("kind"),
        UserSession.id.label("id"),
        UserSession.created_at.label("created_at"),
        UserSession.last_seen_at.label("used_at"),
        UserSession.user_agent.label("client"),
    ).where(*_live_sessions(user, now))
    logins: SignInRow = select(
        literal_column("'token'", String),
        ApiToken.id,
        ApiToken.created_at,
        ApiToken.last_used_at,
        ApiToken.name,
    ).where(*_live_login_tokens(user, now))
    rows = union_all(cast(SignInRow, browsers), logins).subquery()
    total = db.scalar(select(func.count()).select_from(rows)) or 0
    current_id = current.id if current is not None else -1
    found = db.execute(
        select(rows)
        .order_by(
            case((and_(rows.c.kind == "session", rows.c.id == current_id), 0), else_=1),
            func.coalesce(rows.c.used_at, rows.c.created_at).desc(),
            rows.c.kind,
            rows.c.id.desc(),
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        SignIn(
            kind=row.kind,
            id=row.id,
            created_at=row.created_at,
            last_used_at=row.used_at,
            client=row.client,
            current=row.kind == "session" and row.id == current_id,
        )
        for row in found
    ]
    return Page(items, page, per_page, total, base_path, {})


def end_own_session(db: Session, user: User, session_id: int) -> None:
    """End one of the member's own sessions. Raises NotFound for an id that is not a
    session of theirs, so another member's sessions cannot even be told to exist."""
    ended = db.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    ).rowcount  # type: ignore[attr-defined]
    if not ended:
        raise NotFound("sign-in", detail=_("You are not signed in there (any more)."))


def revoke_login_tokens(db: Session, user: User) -> int:
    """Revoke every live API login token of the member; answers how many.

    Personal tokens, made one by one on the profile and listed there, are kept."""
    now = utcnow()
    return int(
        db.execute(
            update(ApiToken)
            .where(*_live_login_tokens(user, now))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    )


def sign_out_everywhere_else(db: Session, user: User, *, keep: UserSession | None) -> Ended:
    """End every session of the member but `keep` (the one asking) and every login token."""
    ended = Ended(
        sessions=sessions.end_all_sessions(db, user.id, keep=keep),
        tokens=revoke_login_tokens(db, user),
    )
    db.flush()
    return ended


def void_account_links(db: Session, user: User) -> int:
    """Void the member's unused reset, invitation and email-change links; answers how many.

    Whoever knew the old password may have asked for them (an email change sends its link
    to the new address, which could be theirs)."""
    return int(
        db.execute(
            update(EmailToken)
            .where(
                EmailToken.user_id == user.id,
                EmailToken.purpose.in_(ACCOUNT_LINKS),
                EmailToken.used_at.is_(None),
            )
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    )


def count_personal_tokens(db: Session, user: User) -> int:
    """How many personal tokens of the member still work (a password change keeps them)."""
    now = utcnow()
    return (
        db.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.kind == "personal",
                ApiToken.revoked_at.is_(None),
                (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now),
            )
        )
        or 0
    )


def revoke_bearer_token(db: Session, user: User, raw: str) -> bool:
    """Revoke the token `raw` of `user` (the API's log out); answers False when it is not
    a live token of theirs (another request revoked it meanwhile)."""
    revoked = db.execute(
        update(ApiToken)
        .where(
            ApiToken.token_hash == hash_token(raw),
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not revoked:
        return False
    db.flush()
    return True
