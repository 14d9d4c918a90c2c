"""Server-side sessions: a random cookie token, its hash in the database, two lifetimes."""

from __future__ import annotations

import datetime as dt

from fastapi import Response
from sqlalchemy import delete
from sqlalchemy.orm import Session

from forum.accounts import activity
from forum.accounts.models import User, UserSession
from forum.accounts.tokens import find_by_token, hash_token, new_token
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.i18n import _

SESSION_COOKIE = "forum_session"
ABSOLUTE_LIFETIME = dt.timedelta(days=30)
IDLE_TIMEOUT = dt.timedelta(days=7)
# last_seen_at is refreshed at most this often: no write on every page view.
TOUCH_EVERY = dt.timedelta(minutes=5)
# A member seen again after this long starts a new visit: "Since your last visit" then
# counts from the end of the one before (User.previous_seen_at).
VISIT_GAP = dt.timedelta(minutes=30)


def touch(user: User, now: dt.datetime) -> bool:
    """Record that the member is here: the one activity record (`User.last_seen_at`).

    Writes at most every TOUCH_EVERY; answers whether it changed anything. When the gap
    since the last sighting is over VISIT_GAP a new visit starts, and that sighting
    becomes `previous_seen_at`, which stays put for the whole visit.
    """
    last = user.last_seen_at
    if last is not None and now - last <= TOUCH_EVERY:
        return False
    if last is None or now - last > VISIT_GAP:
        user.previous_seen_at = last
    user.last_seen_at = now
    return True


def create_session(db: Session, user: User, *, user_agent: str = "") -> str:
    """Start a session for `user`; answers the cookie value (never stored as such)."""
    raw, digest = new_token()
    now = utcnow()
    db.add(
        UserSession(
            token_hash=digest,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_LIFETIME,
            user_agent=user_agent[:300],
        )
    )
    touch(user, now)
    activity.record_seen(db, user)
    db.flush()
    return raw


def session_user(db: Session, raw: str) -> tuple[UserSession, User] | None:
    """The live session for a cookie value and its user, or None.

    Expired (absolute or idle) sessions and those of suspended members count as none.
    """
    found = find_by_token(db, UserSession, raw)
    if found is None:
        return None
    user_session, user = found
    now = utcnow()
    if (
        user_session.expires_at <= now
        or user_session.last_seen_at + IDLE_TIMEOUT <= now
        or user.is_suspended
    ):
        return None
    if now - user_session.last_seen_at > TOUCH_EVERY:
        user_session.last_seen_at = now
    touch(user, now)
    return user_session, user


def end_session(db: Session, raw: str) -> None:
    db.execute(delete(UserSession).where(UserSession.token_hash == hash_token(raw)))


def end_all_sessions(db: Session, user_id: int, *, keep: UserSession | None = None) -> int:
    """End every session of a member (but `keep`); answers how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def prune_sessions(db: Session) -> int:
    now = utcnow()
    stmt = delete(UserSession).where(
        (UserSession.expires_at <= now) | (UserSession.last_seen_at <= now - IDLE_TIMEOUT)
    )
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def set_session_cookie(response: Response, raw: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(ABSOLUTE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.https,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.https, path="/"
    )


# (token in the User-Agent header, name shown) in the order they must be tested: Edge and
# Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """A short summary such as "Firefox on Linux" for a session's User-Agent header, read
    locally (no lookup service); the header's first word for anything else, "Unknown
    browser" for none."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or _("A browser on %(system)s", system=system)
    first = user_agent.split(" ", 1)[0].split("/", 1)[0].strip()[:40]
    return first or _("Unknown browser")
