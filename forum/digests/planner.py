"""The digest planner: who is due when, one `DigestDelivery` row per member and period
(unique, so two planners never make two). It writes the rows; the sender sends them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.digests.models import DigestDelivery
from forum.digests.schedule import CATCH_UP, PERIOD_LENGTH, last_occurrence, window_start, zone
from forum.notifications.models import EmailSettings


class Due(NamedTuple):
    """A member's digest to send: the period (their local date) and the window it covers."""

    user_id: int
    period: dt.date
    window_start: dt.datetime
    window_end: dt.datetime


def message_id_for(settings: Settings, user_id: int, period: dt.date) -> str:
    """The Message-ID of (member, period): the same in every run, unguessable elsewhere."""
    key = (settings.secret_key or "").encode()
    mac = hmac.new(key, f"digest:{user_id}:{period.isoformat()}".encode(), hashlib.sha256)
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"<digest.{user_id}.{period:%Y%m%d}.{mac.hexdigest()[:8]}@{host}>"


def _eligible(user_ids: Iterable[int] | None) -> Any:
    stmt = (
        select(
            User.id,
            User.timezone,
            User.digest_frequency,
            User.digest_weekday,
            User.digest_hour,
            User.created_at,
        )
        .outerjoin(EmailSettings, EmailSettings.user_id == User.id)
        .where(
            User.email_verified_at.is_not(None),
            User.suspended_at.is_(None),
            User.digest_frequency.in_(tuple(PERIOD_LENGTH)),
            EmailSettings.bouncing_at.is_(None),
        )
        .order_by(User.id)
    )
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(list(user_ids)))
    return stmt


def _chunks(values: Sequence[int], size: int = 5000) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def plan(
    db: Session,
    now: dt.datetime,
    *,
    force: bool = False,
    user_ids: Iterable[int] | None = None,
) -> list[tuple[Due, str]]:
    """Who is due at `now`, with each digest's frequency; writes nothing.

    Due: a verified, not suspended member whose address is not bouncing, with a weekly or
    daily digest, whose scheduled local hour (on their weekday, for weekly) has come
    within CATCH_UP, after they joined, and who has no delivery for that period yet.
    `force` makes everyone with a digest due now, the period being today's local date.
    """
    candidates: list[tuple[int, str, dt.date, dt.timedelta]] = []
    for user_id, tz, frequency, weekday, hour, created_at in db.execute(_eligible(user_ids)):
        local_now = now.astimezone(zone(tz))
        if force:
            period = local_now.date()
        else:
            occurrence = last_occurrence(local_now, frequency=frequency, weekday=weekday, hour=hour)
            if occurrence <= created_at or now - occurrence >= CATCH_UP:
                continue
            period = occurrence.date()
        candidates.append((user_id, frequency, period, PERIOD_LENGTH[frequency]))
    if not candidates:
        return []
    ids = [c[0] for c in candidates]
    earliest = min(c[2] for c in candidates)
    taken: set[tuple[int, dt.date]] = set()
    last_end: dict[int, dt.datetime] = {}
    for chunk in _chunks(ids):
        taken.update(
            (row.user_id, row.period)
            for row in db.execute(
                select(DigestDelivery.user_id, DigestDelivery.period).where(
                    DigestDelivery.user_id.in_(chunk), DigestDelivery.period >= earliest
                )
            )
        )
        for user_id, end in db.execute(
            select(DigestDelivery.user_id, func.max(DigestDelivery.window_end))
            .where(DigestDelivery.user_id.in_(chunk))
            .group_by(DigestDelivery.user_id)
        ):
            last_end[user_id] = end
    planned = []
    for user_id, frequency, period, length in candidates:
        if (user_id, period) in taken:
            continue
        start = window_start(last_end.get(user_id), now, length)
        planned.append((Due(user_id, period, start, now), frequency))
    return planned


def due_members(
    db: Session,
    now: dt.datetime,
    *,
    settings: Settings,
    force: bool = False,
    user_ids: Iterable[int] | None = None,
) -> list[Due]:
    """Plan (see `plan`) and write a pending DigestDelivery for each due member.

    The INSERT ignores the unique (member, period) conflict, so planners running at once
    never make two rows; answers only the rows this call created. Flushes, never commits.
    """
    planned = plan(db, now, force=force, user_ids=user_ids)
    if not planned:
        return []
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    created: set[tuple[int, dt.date]] = set()
    for start in range(0, len(planned), 1000):
        rows = [
            {
                "user_id": due.user_id,
                "period": due.period,
                "frequency": frequency,
                "status": "pending",
                "window_start": due.window_start,
                "window_end": due.window_end,
                "message_id": message_id_for(settings, due.user_id, due.period),
                "attempts": 0,
                "resends": 0,
                "counts": {},
                "created_at": now,
            }
            for due, frequency in planned[start : start + 1000]
        ]
        stmt = (
            insert(DigestDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "period"])
            .returning(DigestDelivery.user_id, DigestDelivery.period)
        )
        created.update((row.user_id, row.period) for row in db.execute(stmt))
    return [due for due, _ in planned if (due.user_id, due.period) in created]


def not_sendable(user: User | None, email_settings: EmailSettings | None) -> str | None:
    """Why a planned digest must not go out any more (changed since it was planned)."""
    if user is None:
        return "the account is gone"
    if user.digest_frequency not in PERIOD_LENGTH:
        return "the member turned digests off"
    if user.suspended_at is not None:
        return "the account is suspended"
    if user.email_verified_at is None:
        return "the address is not verified"
    if email_settings is not None and email_settings.bouncing_at is not None:
        return "the address is bouncing"
    return None
