"""The runner: the loops that run due periodic tasks and queued jobs, beside the search
drainer, and the housekeeping of the background work itself.

`forum worker` holds a lease row it renews every pass; `forum serve` runs the same loops
in a background thread only while no live worker lease exists (`forum.core.jobs` has the
tables, the queue and the leases; `forum.plugins` the list of the parts that register jobs).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from forum import plugins  # noqa: F401  (importing it registers every part's jobs)
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import (
    EMBEDDED_LEASE,
    FINISHED_JOB_RETENTION,
    Job,
    JobContext,
    JobRegistry,
    WorkerLease,
    acquire_lease,
    claim_jobs,
    ensure_periodic_rows,
    live_leases,
    registry,
    release_lease,
    run_job,
    run_periodic,
)
from forum.discovery.sync import Drainer

log = logging.getLogger(__name__)


def load_jobs() -> JobRegistry:
    """The registry with every part's jobs and periodic tasks (`forum.plugins` imports them)."""
    return registry


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


# --- the loops -------------------------------------------------------------------------


class Runner:
    """Runs the background loops: due periodic tasks, then claimed jobs.

    `kind="worker"` is a `forum worker` process: it always holds its own lease.
    `kind="embedded"` is the fallback inside `forum serve`: it works only while
    no worker lease is alive, and only one web process at a time holds it.
    """

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        kind: str = "worker",
        reg: JobRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.kind = kind
        self.registry = reg or load_jobs()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_name = EMBEDDED_LEASE if kind == "embedded" else f"worker:{self.holder}"
        self.ctx = JobContext(settings=settings, session_factory=factory, holder=self.holder)
        self._stop = threading.Event()
        # Whether the last heartbeat won the lease: the search drainer runs only then.
        self.active = False

    @property
    def ttl(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.worker_lease_seconds)

    def heartbeat(self) -> bool:
        """Renew this runner's lease; answers whether it may work this pass."""
        with self.factory() as session:
            if self.kind == "embedded" and live_leases(session, kind="worker"):
                session.rollback()
                self.active = False
                return False
            ok = acquire_lease(
                session, name=self.lease_name, kind=self.kind, holder=self.holder, ttl=self.ttl
            )
            session.commit()
            self.active = ok
            return ok

    def run_once(self, *, job_limit: int = 20) -> int:
        """One pass: run what is due. Answers how many tasks and jobs ran."""
        if not self.heartbeat():
            return 0
        done = 0
        with self.factory() as session:
            ensure_periodic_rows(session, self.registry)
            session.commit()
        for task in self.registry.periodic_tasks.values():
            if run_periodic(self.factory, task, self.ctx) is not None:
                done += 1
        with self.factory() as session:
            ids = claim_jobs(session, self.holder, limit=job_limit)
            session.commit()
        for job_id in ids:
            # A job may take as long as the lease lasts (text extraction: up to 30 s):
            # renew it before each one, so a pass of slow jobs never lets it lapse.
            self.heartbeat()
            run_job(self.factory, job_id, self.ctx, self.registry)
            done += 1
        return done

    def run_forever(self) -> None:
        """Run passes until stopped, with the search drainer beside them in a thread
        of its own: a slow job (a feed, an extraction) never delays search."""
        log.info("%s runner %s started", self.kind, self.holder)
        drainer = Drainer(self.settings, self.factory, may_run=lambda: self.active)
        drainer.start_thread()
        try:
            while not self._stop.is_set():
                try:
                    busy = self.run_once()
                except Exception:
                    # A database hiccup must not kill the loop; the next pass retries.
                    log.exception("background pass failed")
                    busy = 0
                if not busy:
                    self._stop.wait(self.settings.worker_tick_seconds)
        finally:
            drainer.stop()
            self.release()
            log.info("%s runner %s stopped", self.kind, self.holder)

    def stop(self) -> None:
        self._stop.set()

    def release(self) -> None:
        try:
            with self.factory() as session:
                release_lease(session, name=self.lease_name, holder=self.holder)
                session.commit()
        except Exception:
            log.warning("could not release lease %s", self.lease_name, exc_info=True)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name=f"forum-{self.kind}", daemon=True)
        thread.start()
        return thread
