"""Takeover within the lease: a dead runner's claimed jobs are requeued at the next pass of
any runner once its lease lapsed, never while it lives; the lease is renewed by a thread of
its own while a pass is busy."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import make_session_factory, utcnow
from forum.core.jobs import Job, JobContext, JobRegistry, WorkerLease, enqueue
from forum.runner import Runner
from tests.conftest import TEST_SECRET


@pytest.fixture
def factory(scratch_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(scratch_engine)


def settings_for(tmp_path: Path, scratch_url: str, lease: float) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=scratch_url,
        secret_key=TEST_SECRET,
        lease_seconds=lease,
        worker_tick_seconds=0.05,
    )


def recording_registry(calls: list[Any], release: threading.Event | None = None) -> JobRegistry:
    """No periodic task (so no housekeeping): only the runners' own takeover requeues."""
    reg = JobRegistry()

    @reg.job("record")
    def record(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
        calls.append((payload["value"], ctx.holder))

    @reg.job("block")
    def block(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
        assert release is not None
        calls.append(("blocking", ctx.holder))
        session.rollback()  # a slow job holds no transaction open (SQLite's write lock)
        assert release.wait(timeout=30), "the test never let the job finish"

    return reg


def lease_row(factory: sessionmaker[Session], holder: str, expires_in: float) -> None:
    now = utcnow()
    with factory() as session:
        session.add(
            WorkerLease(
                name=f"worker:{holder}",
                kind="worker",
                holder=holder,
                hostname="elsewhere",
                pid=1,
                started_at=now,
                heartbeat_at=now,
                expires_at=now + dt.timedelta(seconds=expires_in),
            )
        )
        session.commit()


def claimed_job(factory: sessionmaker[Session], holder: str, value: str) -> int:
    with factory() as session:
        job = enqueue(session, "record", {"value": value})
        job.status, job.claimed_by, job.claimed_at, job.attempts = "running", holder, utcnow(), 1
        session.commit()
        return job.id


def test_a_dead_runners_jobs_run_at_the_next_pass_of_another(
    factory: sessionmaker[Session], tmp_path: Path, scratch_url: str
) -> None:
    calls: list[Any] = []
    lease_row(factory, "dead", expires_in=-1)  # lapsed a second ago
    job_id = claimed_job(factory, "dead", "orphan")
    survivor = Runner(
        settings_for(tmp_path, scratch_url, 30), factory, reg=recording_registry(calls)
    )
    assert survivor.run_once() >= 1
    assert calls == [("orphan", survivor.holder)]
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.claimed_by, job.attempts) == ("done", survivor.holder, 2)


def test_a_live_runners_jobs_are_never_taken_over(
    factory: sessionmaker[Session], tmp_path: Path, scratch_url: str
) -> None:
    calls: list[Any] = []
    lease_row(factory, "alive", expires_in=30)
    job_id = claimed_job(factory, "alive", "theirs")
    other = Runner(settings_for(tmp_path, scratch_url, 30), factory, reg=recording_registry(calls))
    other.run_once()
    assert calls == []
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.claimed_by) == ("running", "alive")


def test_a_busy_runner_keeps_its_lease_and_its_job_until_it_stops(
    factory: sessionmaker[Session], tmp_path: Path, scratch_url: str
) -> None:
    """A job outlasting several lease periods: the runner's own thread renews the lease
    meanwhile, so another runner never takes the job; once the runner stops, its lease
    is released and nothing is left running."""
    settings = settings_for(tmp_path, scratch_url, 0.6)
    calls: list[Any] = []
    release = threading.Event()
    busy = Runner(settings, factory, reg=recording_registry(calls, release))
    other = Runner(settings, factory, reg=recording_registry(calls, release))
    with factory() as session:
        job_id = enqueue(session, "block", {}).id
        session.commit()
    thread = busy.start_thread()
    try:
        deadline = time.monotonic() + 20
        while ("blocking", busy.holder) not in calls:
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.01)
        started = utcnow()
        # Three lease periods go by while the job blocks; the other runner looks all along.
        while utcnow() < started + dt.timedelta(seconds=1.8):
            other.run_once()
            time.sleep(0.05)
        with factory() as session:
            lease = session.get(WorkerLease, busy.lease_name)
            job = session.get(Job, job_id)
            assert lease is not None and job is not None
            assert lease.expires_at > utcnow(), "renewed while the job runs"
            assert (job.status, job.claimed_by) == ("running", busy.holder)
        assert calls == [("blocking", busy.holder)], "the other runner never ran it"
    finally:
        release.set()
        busy.stop()
        thread.join(timeout=30)
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "done"
        assert session.get(WorkerLease, busy.lease_name) is None, "released at the stop"
        assert session.scalars(select(Job).where(Job.status == "running")).all() == []
