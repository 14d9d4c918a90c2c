"""Background work's plumbing: queued jobs, periodic tasks, the registry and worker leases.

Work items live in the database. Queued jobs are claimed with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (several workers may run) and with one
`UPDATE ... RETURNING` statement on SQLite (one writer at a time anyway).
Periodic tasks are claimed by moving their `next_run_at` forward in a single
conditional UPDATE, so two processes never run the same occurrence.

The loops that run them are the runner's (`forum.runner`): `forum worker` holds a
lease row it renews every pass; `forum serve` runs the same loops in a background
thread only while no live worker lease exists.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    Text,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from forum.core.config import Settings
from forum.core.db import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)

EMBEDDED_LEASE = "embedded"
FINISHED_JOB_RETENTION = dt.timedelta(days=7)
RETRY_BASE = dt.timedelta(seconds=30)


# --- tables -------------------------------------------------------------------


class WorkerLease(Base):
    """A process's claim to run the background loops, renewed by its heartbeat."""

    __tablename__ = "worker_lease"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "worker" or "embedded"
    holder: Mapped[str] = mapped_column(String(120))
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Job(Base):
    """One unit of queued work. Handlers take ids in `payload` and are idempotent."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # queued -> running -> done | failed (after max_attempts)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PeriodicTask(Base):
    """When a registered periodic task runs next, and how its last run went."""

    __tablename__ = "periodic_task"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)


# --- registry -------------------------------------------------------------------


@dataclass
class JobContext:
    """What a job handler may use besides its session."""

    settings: Settings
    session_factory: sessionmaker[Session]
    holder: str
    log: logging.Logger = field(default_factory=lambda: log)
    # The job being run (set by run_job): a handler that records its progress on its
    # own row (the send-email job's Message-ID) finds it by this.
    job_id: int | None = None


JobHandler = Callable[[Session, dict[str, Any], JobContext], None]
PeriodicHandler = Callable[[Session, JobContext], None]
# Answers whether it found (and did) work a dead process left behind.
TakeoverHandler = Callable[[JobContext], bool]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    handler: PeriodicHandler


class JobRegistry:
    """Where each domain declares its jobs (in its `jobs.py`)."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobHandler] = {}
        self.periodic_tasks: dict[str, Periodic] = {}
        self.takeovers: dict[str, TakeoverHandler] = {}

    def job(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        def register(handler: JobHandler) -> JobHandler:
            if kind in self.jobs:
                raise ValueError(f"job kind {kind!r} registered twice")
            self.jobs[kind] = handler
            return handler

        return register

    def periodic(
        self, name: str, *, every: dt.timedelta
    ) -> Callable[[PeriodicHandler], PeriodicHandler]:
        def register(handler: PeriodicHandler) -> PeriodicHandler:
            if name in self.periodic_tasks:
                raise ValueError(f"periodic task {name!r} registered twice")
            self.periodic_tasks[name] = Periodic(name, every, handler)
            return handler

        return register

    def takeover(self, name: str) -> Callable[[TakeoverHandler], TakeoverHandler]:
        """A check every runner pass makes for a run a dead process left half done (the
        digest sender's): cheap when there is none (one lease row read), and it resumes
        the run when there is, so the rest waits one lease period, not the next periodic
        occurrence."""

        def register(handler: TakeoverHandler) -> TakeoverHandler:
            if name in self.takeovers:
                raise ValueError(f"takeover {name!r} registered twice")
            self.takeovers[name] = handler
            return handler

        return register


registry = JobRegistry()


# --- queue ----------------------------------------------------------------------------


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: dt.datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Queue a job inside the caller's transaction: it runs only if that commits."""
    job = Job(
        kind=kind,
        payload=payload or {},
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    session.add(job)
    session.flush()
    return job


def claim_jobs(session: Session, holder: str, *, limit: int = 10) -> list[int]:
    """Mark up to `limit` due jobs as running for `holder` and answer their ids.

    Safe with several claimers on PostgreSQL (SKIP LOCKED); on SQLite the single
    UPDATE ... RETURNING is atomic. The caller commits.
    """
    now = utcnow()
    due = (
        select(Job.id)
        .where(Job.status == "queued", Job.run_after <= now)
        .order_by(Job.run_after, Job.id)
        .limit(limit)
    )
    values = {
        "status": "running",
        "claimed_by": holder,
        "claimed_at": now,
        "attempts": Job.attempts + 1,
    }
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        if ids:
            session.execute(update(Job).where(Job.id.in_(ids)).values(**values))
        return ids
    stmt = (
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()))
        .values(**values)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt))


def run_job(factory: sessionmaker[Session], job_id: int, ctx: JobContext, reg: JobRegistry) -> bool:
    """Run one claimed job in its own transaction; answer whether it succeeded.

    A failure rolls the handler's work back and requeues the job with a growing
    delay until `max_attempts`, then marks it failed with the error kept.
    """
    with factory() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "running":
            return False
        kind, payload = job.kind, dict(job.payload)
        handler = reg.jobs.get(kind)
        try:
            if handler is None:
                raise LookupError(f"no handler registered for job kind {kind!r}")
            handler(session, payload, replace(ctx, job_id=job_id))
            job.status = "done"
            job.finished_at = utcnow()
            job.last_error = None
            session.commit()
            ctx.log.info("job %s (%s) done", job_id, kind)
            return True
        except Exception as exc:
            session.rollback()
            ctx.log.exception("job %s (%s) failed", job_id, kind)
            job = session.get(Job, job_id)
            if job is not None:
                job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
                if job.attempts >= job.max_attempts:
                    job.status = "failed"
                    job.finished_at = utcnow()
                else:
                    job.status = "queued"
                    job.run_after = utcnow() + RETRY_BASE * 2 ** (job.attempts - 1)
                session.commit()
            return False


# --- periodic tasks ------------------------------------------------------------------


def ensure_periodic_rows(session: Session, reg: JobRegistry) -> None:
    known = set(session.scalars(select(PeriodicTask.name)))
    for name in reg.periodic_tasks.keys() - known:
        try:
            with session.begin_nested():
                session.add(PeriodicTask(name=name, next_run_at=utcnow()))
        except IntegrityError:
            pass  # another process created it first


def claim_periodic(session: Session, task: Periodic, holder: str) -> bool:
    """Take this occurrence of `task` if it is due; only one claimer can win it."""
    now = utcnow()
    result = session.execute(
        update(PeriodicTask)
        .where(PeriodicTask.name == task.name, PeriodicTask.next_run_at <= now)
        .values(next_run_at=now + task.every, last_run_at=now, last_status="running")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def run_periodic(factory: sessionmaker[Session], task: Periodic, ctx: JobContext) -> bool | None:
    """Run `task` if due. Answers None when it was not due, else whether it succeeded."""
    with factory() as session:
        if not claim_periodic(session, task, ctx.holder):
            session.rollback()
            return None
        session.commit()
    ok = True
    error: str | None = None
    with factory() as session:
        try:
            task.handler(session, ctx)
            session.commit()
        except Exception as exc:
            session.rollback()
            ctx.log.exception("periodic task %s failed", task.name)
            ok, error = False, f"{type(exc).__name__}: {exc}"[:4000]
    with factory() as session:
        session.execute(
            update(PeriodicTask)
            .where(PeriodicTask.name == task.name)
            .values(last_status="ok" if ok else "error", last_error=error)
        )
        session.commit()
    return ok


# --- leases ------------------------------------------------------------------------------


def live_leases(session: Session, *, kind: str | None = None) -> list[WorkerLease]:
    stmt = select(WorkerLease).where(WorkerLease.expires_at > utcnow())
    if kind:
        stmt = stmt.where(WorkerLease.kind == kind)
    return list(session.scalars(stmt))


def acquire_lease(
    session: Session, *, name: str, kind: str, holder: str, ttl: dt.timedelta
) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's is alive."""
    now = utcnow()
    result = session.execute(
        update(WorkerLease)
        .where(
            WorkerLease.name == name,
            or_(WorkerLease.holder == holder, WorkerLease.expires_at <= now),
        )
        .values(
            holder=holder,
            kind=kind,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            heartbeat_at=now,
            expires_at=now + ttl,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(WorkerLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                WorkerLease(
                    name=name,
                    kind=kind,
                    holder=holder,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=now,
                    heartbeat_at=now,
                    expires_at=now + ttl,
                )
            )
    except IntegrityError:
        return False
    return True


def release_lease(session: Session, *, name: str, holder: str) -> None:
    session.execute(
        delete(WorkerLease).where(WorkerLease.name == name, WorkerLease.holder == holder)
    )


def requeue_orphaned_jobs(session: Session) -> int:
    """Put back in the queue the running jobs whose runner's lease has lapsed (or was
    released); answers how many. The caller commits.

    A live runner renews its lease in a thread of its own, whatever it is running, so a
    lapsed lease means a dead (or stalled) process, and its jobs are taken over within
    one lease period. A slow job of a live runner is never run twice at once.
    """
    now = utcnow()
    live = select(WorkerLease.holder).where(WorkerLease.expires_at > now)
    result = session.execute(
        update(Job)
        .where(Job.status == "running", Job.claimed_by.not_in(live))
        # run_after stays as it was: claimed first, they run first again.
        .values(status="queued", claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def status(session: Session) -> dict[str, Any]:
    """The background work's state, as /healthz and `forum worker --status` show it."""
    leases = [lease for lease in live_leases(session) if lease.kind in ("worker", "embedded")]
    queued = session.scalar(select(func.count()).select_from(Job).where(Job.status == "queued"))
    failed = session.scalar(select(func.count()).select_from(Job).where(Job.status == "failed"))
    return {
        "alive": bool(leases),
        "runners": sorted(f"{lease.kind}:{lease.holder}" for lease in leases),
        "jobs_queued": queued or 0,
        "jobs_failed": failed or 0,
    }
