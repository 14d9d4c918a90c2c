"""The record of each harvest of each feed (`FeedRun`): when it ran, whether it worked,
what it added and recognised as held already, and why it failed.

Written by `harvest_store` in the transaction that stores the harvest's outcome, read by
the harvesting health of /admin/analytics, and deleted after 13 months by a periodic job
(`jobs.prune_old_feed_runs`), so that the longest period shown (12 months) is whole.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.intelligence.models import Feed, FeedRun

KEEP_DAYS = 396  # 13 months
ERROR_MAX = 500  # characters of the error kept with a run (the feed keeps its last in full)


def record_run(
    db: Session,
    feed: Feed,
    *,
    started_at: dt.datetime | None,
    finished_at: dt.datetime,
    ok: bool,
    added: int = 0,
    duplicates: int = 0,
    error: str | None = None,
) -> FeedRun:
    """Add the run's row to the session (the caller's transaction commits it)."""
    start = finished_at if started_at is None else min(started_at, finished_at)
    run = FeedRun(
        feed_id=feed.id,
        started_at=start,
        finished_at=finished_at,
        ok=ok,
        items_added=added,
        duplicates=duplicates,
        error=error[:ERROR_MAX] if error else None,
    )
    db.add(run)
    return run


def prune_feed_runs(db: Session, *, now: dt.datetime | None = None) -> int:
    """Delete the runs that finished more than KEEP_DAYS days ago; answers how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
    result = db.execute(delete(FeedRun).where(FeedRun.finished_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
