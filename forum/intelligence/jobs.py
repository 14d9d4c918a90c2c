"""Background harvesting: due feeds every few minutes, "harvest now" from the admin page,
and the deletion of the harvest runs past their 13 months."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from forum.core.jobs import JobContext, registry
from forum.intelligence.feed_runs import KEEP_DAYS, prune_feed_runs
from forum.intelligence.harvest import harvest_due
from forum.intelligence.harvest_store import HarvestResult

HARVEST_EVERY = dt.timedelta(minutes=5)
HARVEST_FEED_JOB = "harvest-feed"


def _limits(ctx: JobContext) -> dict[str, Any]:
    return {
        "deadline": ctx.settings.fetch_deadline,
        "concurrency": ctx.settings.harvest_concurrency,
    }


def _log(ctx: JobContext, results: list[HarvestResult]) -> None:
    for result in results:
        ctx.log.info("feed %s (%s): %s", result.feed_id, result.name, result.summary())


@registry.periodic("harvest-feeds", every=HARVEST_EVERY)
def harvest_due_feeds(session: Session, ctx: JobContext) -> None:
    """Harvest the enabled feeds whose time has come, each in its own transactions.

    `session` stays unused: a fetch can take seconds, and no transaction (nor
    SQLite's write lock) may be held meanwhile; `harvest_due` opens its own.
    """
    _log(ctx, harvest_due(ctx.session_factory, **_limits(ctx)))


@registry.job(HARVEST_FEED_JOB)
def harvest_feed_now(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """Harvest one feed now, due or not, enabled or not (payload: `feed_id`).

    Idempotent: a second run finds the entries already harvested.
    """
    # End the transaction that read the job row before fetching: holding it would
    # hold SQLite's write lock for as long as the feed's server takes to answer.
    session.commit()
    feed_ids = [int(payload["feed_id"])]
    _log(ctx, harvest_due(ctx.session_factory, feed_ids=feed_ids, force=True, **_limits(ctx)))


@registry.periodic("feed-runs-prune", every=dt.timedelta(hours=6))
def prune_old_feed_runs(session: Session, ctx: JobContext) -> None:
    removed = prune_feed_runs(session)
    if removed:
        ctx.log.info("feed runs: deleted %s rows older than %s days", removed, KEEP_DAYS)
