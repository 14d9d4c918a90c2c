"""The weekly activity record: one row per member and week they were seen signed in
(`MemberActivity`), for the count of active members on /admin/analytics. Kept 13 months.

It is written where the member's `last_seen_at` moves (`sessions.touch`), and only when
that sighting is the first of a new week: at most one insert per member per week.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, delete, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from forum.accounts.models import MemberActivity, User
from forum.core.db import utcnow
from forum.core.privacy import Member, register_eraser, register_exporter
from forum.core.weeks import monday_of

KEEP_MONTHS = 13  # a year of weekly figures, and the same weeks a year before


def week_to_record(user: User) -> dt.date | None:
    """The week to record after `sessions.touch` moved `user.last_seen_at` (not flushed
    yet): its Monday when the sighting before was in an earlier week or there was none;
    None when last_seen_at did not move, or already fell in this week (recorded then)."""
    history = inspect(user).attrs.last_seen_at.history
    seen = next((v for v in history.added if v is not None), None)
    if seen is None:
        return None
    before = next((v for v in history.deleted if v is not None), None)
    week = monday_of(seen)
    if before is not None and monday_of(before) >= week:
        return None
    return week


def record_seen(db: Session, user: User) -> None:
    """Record the member's week if this sighting is the first of it. Call it after
    `sessions.touch` and before the flush. Two requests of the same member racing into a
    new week insert one row: the second insert does nothing."""
    week = week_to_record(user)
    if week is not None:
        record_weeks(db, [(user.id, week)])


def record_weeks(db: Session, weeks: list[tuple[int, dt.date]]) -> None:
    """Record (member id, Monday) pairs; a pair already there is left as it is."""
    if not weeks:
        return
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(
        insert(MemberActivity)
        .values([{"user_id": user_id, "week": week} for user_id, week in weeks])
        .on_conflict_do_nothing(index_elements=["user_id", "week"])
    )


def active_by_week(
    db: Session, first: dt.date, last: dt.date, *where: ColumnElement[bool]
) -> dict[dt.date, int]:
    """Members seen in each week from the week of `first` to that of `last` (Mondays),
    `where` narrowing them (conditions on `MemberActivity.user_id`)."""
    rows = db.execute(
        select(MemberActivity.week, func.count())
        .where(MemberActivity.week >= first, MemberActivity.week <= last, *where)
        .group_by(MemberActivity.week)
    )
    return {week: int(count) for week, count in rows}


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def prune_activity(db: Session, *, now: dt.datetime | None = None) -> int:
    """Delete the weeks that ended more than KEEP_MONTHS months ago; answers how many rows."""
    cutoff = months_before((now or utcnow()).astimezone(dt.UTC).date(), KEEP_MONTHS)
    # A week ended more than 13 months ago when its Sunday is before the cutoff.
    result = db.execute(
        delete(MemberActivity).where(MemberActivity.week < cutoff - dt.timedelta(days=6))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def export_activity(db: Session, user: Member) -> list[dict[str, Any]]:
    """The weeks the member was seen, oldest first."""
    weeks = db.scalars(
        select(MemberActivity.week)
        .where(MemberActivity.user_id == user.id)
        .order_by(MemberActivity.week)
    )
    return [{"week": week} for week in weeks]


def erase_activity(db: Session, user: Member, *, keep_content: bool) -> bool:
    """The member's weeks go, whatever becomes of their content."""
    db.execute(delete(MemberActivity).where(MemberActivity.user_id == user.id))
    return False


def register() -> None:
    """Add the activity record to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter("activity_weeks", export_activity, covers={"member_activity.user_id": ""})
    register_eraser("activity_weeks", erase_activity)
