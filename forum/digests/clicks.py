"""Counting clicks on digests, without knowing who clicked (FORUM_COUNT_DIGEST_CLICKS).

Off by default. When on, each entry link of a sent digest goes through the forum's own
signed redirect, `/d/{token}`: the token carries the entry's path on this site, the
digest section and the week it was sent, never the member. Following it adds one to that
week's and section's count (`digest_click`) and redirects to the path. A forged or
altered token answers 404; a token can only name a path on this site, so the redirect is
not an open one. No pixel, no open tracking. The privacy page says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.weeks import monday_of
from forum.digests.digest import Digest, Entry
from forum.digests.models import DigestClick

SALT = "forum.digest.click"
MAX_TOKEN = 600


def _serializer(settings: Settings) -> URLSafeSerializer:
    assert settings.secret_key, "a secret key signs the links"
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def _local_path(settings: Settings, url: str) -> str | None:
    """The path (with query and fragment) of `url` when it is on this site, else None."""
    base, parts = urlsplit(settings.base_url), urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return (
        path
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def counted_url(settings: Settings, url: str, *, section: str, sent_on: dt.date) -> str:
    """`url` through the counting redirect; unchanged when it leaves the site."""
    path = _local_path(settings, url)
    if path is None:
        return url
    token = _serializer(settings).dumps(
        {"p": path, "s": section[:40], "w": monday_of(sent_on).isoformat()}
    )
    return f"{settings.base_url.rstrip('/')}/d/{token}"


def with_counted_links(settings: Settings, digest: Digest, *, sent_on: dt.date) -> Digest:
    """The digest with each entry's link through the counting redirect, when counting is
    on; the digest itself otherwise."""
    if not settings.count_digest_clicks:
        return digest
    sections = [
        replace(
            section,
            entries=[
                _counted_entry(settings, entry, section.key, sent_on) for entry in section.entries
            ],
        )
        for section in digest.sections
    ]
    return replace(digest, sections=sections)


def _counted_entry(settings: Settings, entry: Entry, section: str, sent_on: dt.date) -> Entry:
    return replace(entry, url=counted_url(settings, entry.url, section=section, sent_on=sent_on))


def follow(db: Session, settings: Settings, token: str) -> str | None:
    """Count the click `token` names and answer the path to redirect to; None for a
    token that is not ours. The count is best effort: a busy database loses a click,
    never the member's way to the page."""
    if not token or len(token) > MAX_TOKEN or not settings.secret_key:
        return None
    try:
        data = _serializer(settings).loads(token)
        path, section = str(data["p"]), str(data["s"])[:40]
        week = dt.date.fromisoformat(str(data["w"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if not path.startswith("/") or path.startswith("//"):
        return None
    if settings.count_digest_clicks:
        _count(db, week, section)
    return path


def _count(db: Session, week: dt.date, section: str) -> None:
    try:
        bumped = db.execute(
            update(DigestClick)
            .where(DigestClick.week == week, DigestClick.section == section)
            .values(clicks=DigestClick.clicks + 1)
        )
        if not bumped.rowcount:  # type: ignore[attr-defined]
            db.execute(insert(DigestClick).values(week=week, section=section, clicks=1))
        db.commit()
    except (OperationalError, IntegrityError):
        db.rollback()
