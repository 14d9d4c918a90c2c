"""Throttling of the sign-in forms and the token endpoint, with counters in the database.

Two rules (issue 4): more than 50 requests from one IP in 10 s answers 429 with
Retry-After; more than 10 failed attempts on one account in 15 minutes slow that
account down with growing delays — never a lock: the delay is capped, and a
password reset is not affected by it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math

from fastapi import HTTPException, Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forum.accounts.models import ThrottleEvent
from forum.core.db import utcnow
from forum.core.i18n import _, ngettext

IP_LIMIT = 50
IP_WINDOW = dt.timedelta(seconds=10)
FAILURE_LIMIT = 10
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_DELAY = dt.timedelta(minutes=5)
RETENTION = dt.timedelta(days=1)


class TooManyRequests(HTTPException):
    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(429, message, headers={"Retry-After": str(max(1, retry_after))})


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """The client's address: X-Forwarded-For is believed only from a trusted proxy.

    Walks the header from the right, skipping trusted proxies, so a client cannot
    forge its address by sending its own X-Forwarded-For.
    """
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([p for p in forwarded if p]):
        if not _is_trusted(address, trusted_proxies):
            return address
    return peer


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def account_key(email: str) -> str:
    # Hashed: the counters table holds no addresses, known or not.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _count(db: Session, scope: str, key: str, since: dt.datetime) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(ThrottleEvent)
            .where(ThrottleEvent.scope == scope, ThrottleEvent.key == key)
            .where(ThrottleEvent.created_at > since)
        )
        or 0
    )


def hit_ip(db: Session, ip: str, action: str) -> None:
    """Count a request from `ip`; raise TooManyRequests past the limit."""
    now = utcnow()
    if _count(db, "ip", ip, now - IP_WINDOW) >= IP_LIMIT:
        raise TooManyRequests(
            math.ceil(IP_WINDOW.total_seconds()),
            _("Too many requests from your network. Please wait a few seconds and try again."),
        )
    db.add(ThrottleEvent(scope="ip", key=ip, created_at=now))
    db.flush()


def account_delay(db: Session, email: str) -> int:
    """Seconds this account must wait before its next attempt (0 when it may try now)."""
    now = utcnow()
    key = account_key(email)
    failures = list(
        db.scalars(
            select(ThrottleEvent.created_at)
            .where(ThrottleEvent.scope == "login-failure", ThrottleEvent.key == key)
            .where(ThrottleEvent.created_at > now - FAILURE_WINDOW)
            .order_by(ThrottleEvent.created_at.desc())
        )
    )
    if len(failures) < FAILURE_LIMIT:
        return 0
    excess = len(failures) - FAILURE_LIMIT
    delay = min(dt.timedelta(seconds=2 ** min(excess + 1, 16)), MAX_DELAY)
    wait = failures[0] + delay - now
    return max(0, math.ceil(wait.total_seconds()))


def record_failure(db: Session, email: str) -> None:
    db.add(ThrottleEvent(scope="login-failure", key=account_key(email), created_at=utcnow()))
    db.flush()


def prune(db: Session) -> int:
    result = db.execute(
        delete(ThrottleEvent).where(ThrottleEvent.created_at < utcnow() - RETENTION)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def require_password_attempts(db: Session, email: str) -> None:
    """Forms that check the password count failures as the login form does: raises
    TooManyRequests while the account must wait."""
    wait = account_delay(db, email)
    if wait:
        raise TooManyRequests(
            wait,
            ngettext(
                "Too many wrong passwords. Try again in %(num)s second.",
                "Too many wrong passwords. Try again in %(num)s seconds.",
                wait,
            ),
        )


def count_password_failure(db: Session, email: str) -> None:
    """Count a wrong password given on a form, and keep the count whatever happens next."""
    record_failure(db, email)
    db.commit()
