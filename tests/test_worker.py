"""Background work: claiming, running, retrying, periodic tasks, leases and housekeeping."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import make_session_factory, utcnow
from forum.core.jobs import (
    Job,
    JobContext,
    JobRegistry,
    PeriodicTask,
    WorkerLease,
    claim_jobs,
    enqueue,
)
from forum.runner import Runner, load_jobs
from tests.conftest import TEST_SECRET


@pytest.fixture
def factory(scratch_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(scratch_engine)


@pytest.fixture
def worker_settings(tmp_path: Path, scratch_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=scratch_url, secret_key=TEST_SECRET, lease_seconds=30
    )


@pytest.fixture
def calls() -> list[Any]:
    return []


@pytest.fixture
def registry(calls: list[Any]) -> JobRegistry:
    reg = JobRegistry()

    @reg.job("record")
    def record(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
        calls.append(payload["value"])

    @reg.job("explode")
    def explode(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
        session.add(Job(kind="should-be-rolled-back"))
        session.flush()
        raise RuntimeError("boom")

    @reg.periodic("tick", every=dt.timedelta(hours=1))
    def tick(session: Session, ctx: JobContext) -> None:
        calls.append("tick")

    return reg


def _enqueue(factory: sessionmaker[Session], kind: str, **payload: Any) -> int:
    with factory() as session:
        job = enqueue(session, kind, payload)
        session.commit()
        return job.id


def test_a_queued_job_runs_once_and_is_marked_done(
    factory: sessionmaker[Session],
    worker_settings: Settings,
    registry: JobRegistry,
    calls: list[Any],
) -> None:
    job_id = _enqueue(factory, "record", value=42)
    runner = Runner(worker_settings, factory, reg=registry)
    runner.run_once()
    runner.run_once()
    assert calls.count(42) == 1
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.status == "done"
        assert job.finished_at is not None


def test_a_job_queued_in_a_rolled_back_transaction_never_runs(
    factory: sessionmaker[Session],
    worker_settings: Settings,
    registry: JobRegistry,
    calls: list[Any],
) -> None:
    with factory() as session:
        enqueue(session, "record", {"value": "ghost"})
        session.rollback()
    Runner(worker_settings, factory, reg=registry).run_once()
    assert "ghost" not in calls


def test_a_failing_job_is_rolled_back_retried_later_and_finally_failed(
    factory: sessionmaker[Session], worker_settings: Settings, registry: JobRegistry
) -> None:
    with factory() as session:
        job = enqueue(session, "explode", {}, max_attempts=2)
        session.commit()
        job_id = job.id
    runner = Runner(worker_settings, factory, reg=registry)
    runner.run_once()
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.status == "queued"
        assert job.run_after > utcnow()
        assert "boom" in (job.last_error or "")
        assert session.scalar(select(Job).where(Job.kind == "should-be-rolled-back")) is None
        job.run_after = utcnow()  # skip the back-off
        session.commit()
    runner.run_once()
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.status == "failed"
        assert job.attempts == 2


def test_a_job_of_an_unknown_kind_fails_with_a_clear_error(
    factory: sessionmaker[Session], worker_settings: Settings, registry: JobRegistry
) -> None:
    with factory() as session:
        job = enqueue(session, "no-such-kind", {}, max_attempts=1)
        session.commit()
        job_id = job.id
    Runner(worker_settings, factory, reg=registry).run_once()
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.status == "failed"
        assert "no handler registered" in (job.last_error or "")


def test_a_periodic_task_runs_once_per_period_across_runners(
    factory: sessionmaker[Session],
    worker_settings: Settings,
    registry: JobRegistry,
    calls: list[Any],
) -> None:
    first = Runner(worker_settings, factory, reg=registry)
    second = Runner(worker_settings, factory, reg=registry)
    first.run_once()
    second.run_once()
    first.run_once()
    assert calls.count("tick") == 1
    with factory() as session:
        task = session.get(PeriodicTask, "tick")
        assert task is not None
        assert task.last_status == "ok"
        assert task.next_run_at > utcnow() + dt.timedelta(minutes=59)


def test_the_embedded_runner_idles_while_a_worker_lease_is_alive(
    factory: sessionmaker[Session],
    worker_settings: Settings,
    registry: JobRegistry,
    calls: list[Any],
) -> None:
    worker = Runner(worker_settings, factory, kind="worker", reg=registry)
    assert worker.heartbeat()
    embedded = Runner(worker_settings, factory, kind="embedded", reg=registry)
    _enqueue(factory, "record", value="for-the-worker")
    assert embedded.run_once() == 0
    assert calls == []
    worker.release()
    assert embedded.run_once() > 0
    assert "for-the-worker" in calls


def test_only_one_web_process_holds_the_embedded_lease(
    factory: sessionmaker[Session], worker_settings: Settings, registry: JobRegistry
) -> None:
    web_one = Runner(worker_settings, factory, kind="embedded", reg=registry)
    web_two = Runner(worker_settings, factory, kind="embedded", reg=registry)
    assert web_one.heartbeat()
    assert not web_two.heartbeat()
    with factory() as session:
        lease = session.get(WorkerLease, "embedded")
        assert lease is not None
        lease.expires_at = utcnow() - dt.timedelta(seconds=1)
        session.commit()
    assert web_two.heartbeat(), "an expired lease is taken over"
    assert not web_one.heartbeat()


def test_housekeeping_prunes_expired_leases_old_jobs_and_requeues_orphans(
    factory: sessionmaker[Session], worker_settings: Settings
) -> None:
    long_ago = utcnow() - dt.timedelta(days=30)
    with factory() as session:
        session.add(
            WorkerLease(
                name="worker:dead",
                kind="worker",
                holder="dead",
                hostname="h",
                pid=1,
                started_at=long_ago,
                heartbeat_at=long_ago,
                expires_at=long_ago,
            )
        )
        session.add(Job(kind="old", status="done", finished_at=long_ago))
        session.add(Job(kind="recent", status="done", finished_at=utcnow()))
        session.add(Job(kind="orphan", status="running", claimed_by="dead", claimed_at=long_ago))
        session.commit()
    runner = Runner(worker_settings, factory, reg=load_jobs())
    runner.run_once()
    with factory() as session:
        kinds = {job.kind: job for job in session.scalars(select(Job))}
        assert "old" not in kinds
        assert kinds["recent"].status == "done"
        # The orphan was requeued; no handler exists, so this pass or a later one fails it.
        assert kinds["orphan"].claimed_by != "dead"
        assert session.get(WorkerLease, "worker:dead") is None
        task = session.get(PeriodicTask, "prune-worker-records")
        assert task is not None
        assert task.last_status == "ok"


def test_two_workers_claim_disjoint_jobs_on_postgresql(
    factory: sessionmaker[Session], scratch_engine: Engine
) -> None:
    if scratch_engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED claiming is PostgreSQL's; SQLite has one writer")
    with factory() as session:
        for i in range(10):
            enqueue(session, "record", {"value": i})
        session.commit()
    # Two open transactions at once: the first holds its row locks while the second claims.
    with factory() as first, factory() as second:
        mine = claim_jobs(first, "worker-a", limit=6)
        theirs = claim_jobs(second, "worker-b", limit=6)
        first.commit()
        second.commit()
    assert len(mine) == 6
    assert len(theirs) == 4
    assert not set(mine) & set(theirs)
    with factory() as session:
        owners = {j.id: j.claimed_by for j in session.scalars(select(Job))}
    assert {owners[i] for i in mine} == {"worker-a"}
    assert {owners[i] for i in theirs} == {"worker-b"}


def test_sqlite_claims_with_one_update_returning(
    factory: sessionmaker[Session], scratch_engine: Engine
) -> None:
    if scratch_engine.dialect.name != "sqlite":
        pytest.skip("the PostgreSQL path is covered by the SKIP LOCKED test")
    with factory() as session:
        for i in range(5):
            enqueue(session, "record", {"value": i})
        session.commit()
    with factory() as session:
        first = claim_jobs(session, "a", limit=3)
        session.commit()
    with factory() as session:
        second = claim_jobs(session, "b", limit=3)
        session.commit()
    assert len(first) == 3
    assert len(second) == 2
    assert not set(first) & set(second)


def test_a_pass_of_slow_jobs_never_lets_the_lease_lapse(
    factory: sessionmaker[Session], tmp_path: Path, scratch_url: str
) -> None:
    """Each job outlasts a third of the lease period: the lease is renewed between them,
    so it is alive (and later) at every job."""
    settings = Settings(
        data_dir=tmp_path, database_url=scratch_url, secret_key=TEST_SECRET, lease_seconds=0.9
    )
    reg = JobRegistry()
    seen: list[tuple[dt.datetime, dt.datetime]] = []

    @reg.job("slow")
    def slow(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
        lease = session.scalar(select(WorkerLease).where(WorkerLease.holder == ctx.holder))
        assert lease is not None
        seen.append((utcnow(), lease.expires_at))
        session.rollback()
        time.sleep(0.35)  # a slow job: longer than a third of the lease

    for _ in range(3):
        _enqueue(factory, "slow")
    Runner(settings, factory, reg=reg).run_once()
    assert len(seen) == 3
    assert all(now < expires for now, expires in seen), "the lease never lapsed"
    assert seen[0][1] < seen[1][1] < seen[2][1], "renewed between the jobs"
