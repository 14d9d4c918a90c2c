"""Who is asking: the signed-in member for pages, the bearer token's owner for the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from forum.accounts import activity, api_tokens, service, sessions
from forum.accounts.models import User
from forum.core import i18n
from forum.core.db import best_effort
from forum.core.errors import LoginRequired
from forum.core.i18n import _
from forum.core.web import DbSession


async def load_user(request: Request, db: DbSession) -> None:
    """App-wide: put the signed-in member (or None) on request.state for views and templates.

    Async, so that an API call or a visitor without a session cookie costs no thread hop;
    looking a session up runs on a thread, as a sync dependency would."""
    raw = _session_cookie(request)
    if raw:
        await run_in_threadpool(_load_signed_in, request, db, raw)


def _session_cookie(request: Request) -> str | None:
    """Nobody on request.state yet; the session cookie to look up, if any (none for the API)."""
    request.state.user = None
    request.state.user_session = None
    if request.url.path.startswith("/api/"):
        return None
    return request.cookies.get(sessions.SESSION_COOKIE) or None


def _load_signed_in(request: Request, db: Session, raw: str) -> None:
    found = sessions.session_user(db, raw)
    if found is None:
        return
    request.state.user_session, request.state.user = found
    # The member's own language and time zone beat the switcher's cookie and the browser's.
    i18n.choose(found[1].language, found[1].timezone)
    # The page header's links to the moderation queue and the admin area.
    request.state.can_moderate = service.can_moderate(found[1])
    request.state.can_administer = service.can_administer(found[1])
    # A refreshed last_seen_at (and, first thing in a week, the week's activity row) is
    # the only write here, and a best-effort one: on a busy SQLite database it waits for
    # the next request rather than failing this one.
    if db.dirty:
        best_effort(db, lambda: activity.record_seen(db, found[1]))


def identify(request: Request) -> None:
    """`load_user` for a request no route answered (the page-not-found page): its header
    and language are the signed-in member's, as on every other page."""
    raw = _session_cookie(request)
    if raw:
        with request.app.state.read_session_factory() as db:
            _load_signed_in(request, db, raw)


def current_user(request: Request) -> User | None:
    user: User | None = getattr(request.state, "user", None)
    return user


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def require_moderator(user: Annotated[User, Depends(require_user)]) -> User:
    if not service.can_moderate(user):
        raise HTTPException(403, _("This page is for the platform's moderators."))
    return user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if not service.can_administer(user):
        raise HTTPException(403, _("This page is for the platform's admins."))
    return user


OptionalUser = Annotated[User | None, Depends(current_user)]
SignedInUser = Annotated[User, Depends(require_user)]
Moderator = Annotated[User, Depends(require_moderator)]
Admin = Annotated[User, Depends(require_admin)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def api_user_optional(
    db: DbSession, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User | None:
    """The bearer token's owner; None without a token; 401 for a bad one. Async so that
    an anonymous call costs no thread hop; the token's lookup runs on a thread."""
    if token is None:
        return None
    return await run_in_threadpool(_bearer_owner, db, token)


def _bearer_owner(db: Session, token: str) -> User:
    user = api_tokens.user_for_bearer(db, token)
    if user is None:
        raise HTTPException(
            401, "Invalid or expired token.", headers={"WWW-Authenticate": "Bearer"}
        )
    db.commit()  # last_used_at
    return user


async def api_user(user: Annotated[User | None, Depends(api_user_optional)]) -> User:
    if user is None:
        raise HTTPException(
            401,
            "Authentication required: send a bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


ApiUser = Annotated[User, Depends(api_user)]
ApiOptionalUser = Annotated[User | None, Depends(api_user_optional)]
