"""Housekeeping jobs of the background work itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from forum.db import utcnow
from forum.worker import FINISHED_JOB_RETENTION, Job, JobContext, WorkerLease, registry


@registry.periodic("prune-worker-records", every=dt.timedelta(minutes=10))
def prune_worker_records(session: Session, ctx: JobContext) -> None:
    """Drop expired leases and old finished jobs; requeue jobs their dead runner held.

    A job is requeued only when the lease of the runner that claimed it has
    expired, so a slow job of a live worker is never run twice at once.
    """
    now = utcnow()
    live = select(WorkerLease.holder).where(WorkerLease.expires_at > now)
    requeued = session.execute(
        update(Job)
        .where(Job.status == "running", Job.claimed_by.not_in(live))
        .values(status="queued", claimed_by=None, claimed_at=None, run_after=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    leases = session.execute(delete(WorkerLease).where(WorkerLease.expires_at <= now)).rowcount  # type: ignore[attr-defined]
    jobs = session.execute(
        delete(Job).where(
            Job.status.in_(("done", "failed")),
            Job.finished_at < now - FINISHED_JOB_RETENTION,
        )
    ).rowcount  # type: ignore[attr-defined]
    if requeued or leases or jobs:
        ctx.log.info(
            "pruned %d expired leases and %d finished jobs; requeued %d orphaned jobs",
            leases,
            jobs,
            requeued,
        )
