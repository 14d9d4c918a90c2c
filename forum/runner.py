"""The runner: the loops that run due periodic tasks and queued jobs, beside the search
drainer, and the housekeeping of the background work itself.

`forum worker` holds a lease row a thread of its own renews at a third of the lease period
(FORUM_LEASE_SECONDS); `forum serve` runs the same loops in a background thread only
while no live worker lease exists. Each pass also takes over, within one lease period,
what a dead runner left: its claimed jobs and a half-done digest run (`forum.core.jobs` has the
tables, the queue and the leases; `forum.plugins` the list of the parts that register jobs).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid

from sqlalchemy import delete
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
    requeue_orphaned_jobs,
    run_job,
    run_periodic,
)
from forum.discovery.drainer import Drainer

log = logging.getLogger(__name__)


def load_jobs() -> JobRegistry:
    """The registry with every part's jobs and periodic tasks (`forum.plugins` imports them)."""
    return registry


@registry.periodic("prune-worker-records", every=dt.timedelta(minutes=10))
def prune_worker_records(session: Session, ctx: JobContext) -> None:
    """Drop expired leases and old finished jobs; requeue jobs their dead runner held
    (the runners do that within a lease period already: this is the last resort)."""
    now = utcnow()
    requeued = requeue_orphaned_jobs(session)
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
        self._looked_for_orphans = -float("inf")  # time.monotonic() of the last look
        self._renewed_at = -float("inf")  # time.monotonic() of the last renewal

    @property
    def ttl(self) -> dt.timedelta:
        return self.settings.lease_ttl

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
            self._renewed_at = time.monotonic()
            self.active = ok
            return ok

    def renew(self) -> bool:
        """Renew the lease this runner holds (whatever else runs); False when it was lost."""
        try:
            with self.factory() as session:
                ok = acquire_lease(
                    session, name=self.lease_name, kind=self.kind, holder=self.holder, ttl=self.ttl
                )
                session.commit()
        except Exception:
            log.warning("could not renew the lease %s", self.lease_name, exc_info=True)
            return self.active
        self._renewed_at = time.monotonic()
        if not ok and self.active:
            log.warning("lost the lease %s: standing down", self.lease_name)
            self.active = False
        return ok

    def keep_alive(self) -> None:
        """Renew the lease at a third of its period until stopped, whatever a pass is doing
        (a digest run, a slow feed): only a dead or stalled process lets it lapse, so
        requeueing the jobs of a lapsed lease never runs a live runner's job twice."""
        while not self._stop.wait(self.settings.lease_seconds / 3):
            if self.active:
                self.renew()

    def requeue_orphans(self) -> None:
        """Requeue the jobs of runners whose lease lapsed; at most once per tick (asked at
        each pass and between jobs, so a long pass delays no takeover)."""
        now = time.monotonic()
        if now - self._looked_for_orphans < self.settings.worker_tick_seconds:
            return
        self._looked_for_orphans = now
        with self.factory() as session:
            requeued = requeue_orphaned_jobs(session)
            session.commit()
        if requeued:
            log.warning("requeued %d jobs claimed by runners whose lease lapsed", requeued)

    def take_over(self) -> int:
        """Requeue dead runners' jobs and resume what a dead process left half done (the
        registry's takeovers). Answers how many takeovers ran."""
        self.requeue_orphans()
        done = 0
        for name, handler in self.registry.takeovers.items():
            try:
                if handler(self.ctx):
                    done += 1
            except Exception:
                log.exception("takeover %s failed", name)
        return done

    def run_once(self, *, job_limit: int = 20) -> int:
        """One pass: take over what dead runners left, run what is due. Answers how many
        tasks and jobs ran."""
        if not self.heartbeat():
            return 0
        done = self.take_over()
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
            # Without the keep-alive thread (`forum worker --once`), a pass of slow jobs
            # (text extraction: up to 30 s each) must not let the lease lapse either.
            if time.monotonic() - self._renewed_at > self.settings.lease_seconds / 3:
                self.renew()
            self.requeue_orphans()
            if not self.active:
                # The lease was lost (a stall longer than its period): another runner
                # requeues these jobs, so they are not ours to run any more.
                break
            run_job(self.factory, job_id, self.ctx, self.registry)
            done += 1
        return done

    def run_forever(self) -> None:
        """Run passes until stopped, with the search drainer beside them in a thread
        of its own: a slow job (a feed, an extraction) never delays search."""
        log.info("%s runner %s started", self.kind, self.holder)
        drainer = Drainer(
            self.settings, self.factory, may_run=lambda: self.active, holder=self.holder
        )
        drainer.start_thread()
        beat = threading.Thread(
            target=self.keep_alive, name=f"forum-{self.kind}-lease", daemon=True
        )
        beat.start()
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
            beat.join(timeout=10)
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
