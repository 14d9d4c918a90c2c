"""The delivery rows as the sender walks them: the work it selects, the sender lease that
makes it the only one, and the retry schedule of a message that could not go yet."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from forum.core.db import utcnow
from forum.core.jobs import WorkerLease, acquire_lease
from forum.digests.models import DigestDelivery

log = logging.getLogger(__name__)

# SMTP 4xx and lost connections: retried after 5, 10, 20, 40, 80 minutes, then failed.
MAX_ATTEMPTS = 6
RETRY_BASE = dt.timedelta(minutes=5)
SENDER_LEASE = "digest-sender"


@dataclass
class Work:
    delivery_id: int | None  # None: planned in a dry run, no row written
    user_id: int
    period: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    message_id: str
    status: str  # as read: "pending", or "sending" after a crash
    attempts: int = 0


@dataclass
class Outcome:
    """A row's new state, written in the next commit (with the next row's claim)."""

    delivery_id: int
    values: dict[str, Any]
    bounce: tuple[int, str] | None = None  # (member, reason): mark the address bouncing


def reader_factory(factory: sessionmaker[Session]) -> sessionmaker[Session] | None:
    """Sessions that read without SQLite's write lock, when `factory` is on an engine.

    Building a batch of digests reads for a while; a writer session would hold the lock
    (BEGIN IMMEDIATE) all that time. Bound to a connection (tests), there is none: two
    sessions' savepoints on one connection would release each other.
    """
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine):
        return sessionmaker(
            bind=bind.execution_options(sqlite_immediate=False), expire_on_commit=False
        )
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sender_lease_left(db: Session) -> bool:
    """Whether a sender died holding the lease: it lapsed (the lease period), or its
    process on this host is gone. A sender that finished released it."""
    lease = db.get(WorkerLease, SENDER_LEASE)
    if lease is None:
        return False
    expires = lease.expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    if expires <= utcnow():
        return True
    return lease.hostname == socket.gethostname() and not _pid_alive(lease.pid)


def take_sender_lease(db: Session, holder: str, ttl: dt.timedelta) -> bool:
    """Become the only sender. A `sending` row seen afterwards was left by a crash.

    The lease of a process that died on this host is taken over at once (a killed
    `forum digest send` restarted by hand); elsewhere it lapses after `ttl`.
    """
    if acquire_lease(db, name=SENDER_LEASE, kind="digest", holder=holder, ttl=ttl):
        return True
    lease = db.get(WorkerLease, SENDER_LEASE)
    if lease is None or lease.hostname != socket.gethostname() or _pid_alive(lease.pid):
        return False
    now = utcnow()
    result = db.execute(
        update(WorkerLease)
        .where(WorkerLease.name == SENDER_LEASE, WorkerLease.holder == lease.holder)
        .values(
            holder=holder,
            pid=os.getpid(),
            started_at=now,
            heartbeat_at=now,
            expires_at=now + ttl,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        log.warning("took over the digest sender lease of dead process %s", lease.pid)
        db.expire(lease)
        return True
    return False


def select_work(
    db: Session, now: dt.datetime, *, limit: int | None, user_ids: Sequence[int] | None
) -> list[Work]:
    stmt = (
        select(
            DigestDelivery.id,
            DigestDelivery.user_id,
            DigestDelivery.period,
            DigestDelivery.window_start,
            DigestDelivery.window_end,
            DigestDelivery.message_id,
            DigestDelivery.status,
            DigestDelivery.attempts,
        )
        .where(
            or_(
                DigestDelivery.status == "sending",
                and_(
                    DigestDelivery.status == "pending",
                    or_(
                        DigestDelivery.next_attempt_at.is_(None),
                        DigestDelivery.next_attempt_at <= now,
                    ),
                ),
            )
        )
        # The crash's leftover first: its reader has waited longest.
        .order_by((DigestDelivery.status == "sending").desc(), DigestDelivery.id)
    )
    if user_ids is not None:
        stmt = stmt.where(DigestDelivery.user_id.in_(list(user_ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [Work(*row) for row in db.execute(stmt)]


def retry_values(attempts: int, reason: str, now: dt.datetime) -> dict[str, Any]:
    if attempts >= MAX_ATTEMPTS:
        return {"status": "failed", "error": reason[:4000], "next_attempt_at": None}
    return {
        "status": "pending",
        "error": reason[:4000],
        "next_attempt_at": now + RETRY_BASE * 2 ** max(attempts - 1, 0),
    }
