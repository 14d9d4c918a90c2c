"""What `forum status` reports, gathered from the database: the job queue, the search
outbox's lag, the leases, the last digest run, failing feeds and the connection sizing.

Plain data (JSON-ready: times in ISO 8601 UTC, ages in seconds), read in one session; the
search engine and the mail server are not contacted, so it stays cheap and answers while
they are down. `/healthz` does not use it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import Job, PeriodicTask, WorkerLease
from forum.digests.models import DigestDelivery
from forum.discovery.sync import outbox_state
from forum.intelligence.harvest_store import FAILED_STATUSES
from forum.intelligence.models import Feed

DIGEST_TASK = "send-due-digests"
ERROR_SHOWN = 300


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds") if when else None


def _age(when: dt.datetime | None, now: dt.datetime) -> float | None:
    return round(max(0.0, (now - when).total_seconds()), 1) if when else None


def job_queue(session: Session, now: dt.datetime) -> dict[str, Any]:
    """Jobs queued (and how many of those are due) and running, by kind; failed ones; the
    age of the oldest due job (how late the queue runs)."""
    by_kind: dict[str, dict[str, int]] = {}
    totals = {"queued": 0, "due": 0, "running": 0, "failed": 0}

    def add(kind: str, status: str, count: int) -> None:
        by_kind.setdefault(kind, dict.fromkeys(totals, 0))[status] += count
        totals[status] += count

    for kind, status, count in session.execute(
        select(Job.kind, Job.status, func.count())
        .where(Job.status.in_(("queued", "running", "failed")))
        .group_by(Job.kind, Job.status)
    ):
        add(kind, status, count)
    for kind, count in session.execute(
        select(Job.kind, func.count())
        .where(Job.status == "queued", Job.run_after <= now)
        .group_by(Job.kind)
    ):
        add(kind, "due", count)
    oldest_due = session.scalar(
        select(func.min(Job.run_after)).where(Job.status == "queued", Job.run_after <= now)
    )
    return {
        **totals,
        "oldest_pending_seconds": _age(oldest_due, now),
        "by_kind": dict(sorted(by_kind.items())),
    }


def leases(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """Every lease row: who holds it, its last heartbeat, whether it is still alive."""
    return [
        {
            "name": lease.name,
            "kind": lease.kind,
            "holder": lease.holder,
            "hostname": lease.hostname,
            "pid": lease.pid,
            "alive": lease.expires_at > now,
            "heartbeat_seconds_ago": _age(lease.heartbeat_at, now),
            "expires_at": _iso(lease.expires_at),
        }
        for lease in session.scalars(select(WorkerLease).order_by(WorkerLease.name))
    ]


def last_digest_run(session: Session) -> dict[str, Any]:
    """The digest task's last run, and the deliveries of the latest period by status."""
    task = session.get(PeriodicTask, DIGEST_TASK)
    period = session.scalar(select(func.max(DigestDelivery.period)))
    by_status: dict[str, int] = {}
    if period is not None:
        rows = session.execute(
            select(DigestDelivery.status, func.count())
            .where(DigestDelivery.period == period)
            .group_by(DigestDelivery.status)
        )
        by_status = {status: count for status, count in sorted(rows)}
    return {
        "task_last_run_at": _iso(task.last_run_at) if task else None,
        "task_last_status": task.last_status if task else None,
        "task_next_run_at": _iso(task.next_run_at) if task else None,
        "latest_period": period.isoformat() if period else None,
        "latest_period_deliveries": by_status,
        "last_sent_at": _iso(session.scalar(select(func.max(DigestDelivery.sent_at)))),
    }


def failing_feeds(session: Session) -> list[dict[str, Any]]:
    """Enabled feeds whose last harvest failed (refused, timed out, an error)."""
    feeds = session.scalars(
        select(Feed)
        .where(Feed.enabled.is_(True), Feed.last_status.in_(sorted(FAILED_STATUSES)))
        .order_by(Feed.last_fetched_at.desc(), Feed.id)
    )
    return [
        {
            "id": feed.id,
            "name": feed.name,
            "url": feed.url,
            "last_status": feed.last_status,
            "last_error": " ".join((feed.last_error or "").split())[:ERROR_SHOWN] or None,
            "last_fetched_at": _iso(feed.last_fetched_at),
            "next_fetch_at": _iso(feed.next_fetch_at),
        }
        for feed in feeds
    ]


def connection_sizing(
    session: Session, settings: Settings, processes: int | None
) -> dict[str, Any]:
    """Each process's pool, and on PostgreSQL whether `processes` of them fit under the
    server's max_connections minus the reserve (FORUM_DB_CONNECTION_RESERVE)."""
    dialect = session.get_bind().dialect.name
    sizing: dict[str, Any] = {"dialect": dialect, "processes": processes}
    if dialect != "postgresql":
        sizing["note"] = "SQLite: no server connection limit"
        return sizing
    per_process = settings.db_connections_per_process
    max_connections = int(session.scalar(text("SHOW max_connections")) or 0)
    in_use = session.scalar(
        text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
    )
    budget = max_connections - settings.db_connection_reserve
    sizing.update(
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        per_process=per_process,
        request_slots=settings.request_slots,
        max_connections=max_connections,
        reserve=settings.db_connection_reserve,
        budget=budget,
        max_processes=max(0, budget // per_process),
        connections_in_use=in_use,
        total=per_process * processes if processes else None,
        fits=per_process * processes <= budget if processes else None,
    )
    return sizing


def gather(session: Session, settings: Settings, *, processes: int | None) -> dict[str, Any]:
    """The whole report, with `warnings`: what an operator should act on."""
    now = utcnow()
    report: dict[str, Any] = {
        "generated_at": _iso(now),
        "jobs": job_queue(session, now),
        "search_outbox": outbox_state(session),
        "leases": leases(session, now),
        "digests": last_digest_run(session),
        "failing_feeds": failing_feeds(session),
        "connections": connection_sizing(session, settings, processes),
    }
    report["warnings"] = warnings(report)
    return report


def warnings(report: dict[str, Any]) -> list[str]:
    found = []
    sizing = report["connections"]
    if sizing.get("fits") is False:
        found.append(
            f"{sizing['processes']} processes × {sizing['per_process']} connections "
            f"(FORUM_DB_POOL_SIZE + FORUM_DB_MAX_OVERFLOW) = {sizing['total']} exceed the "
            f"server's max_connections {sizing['max_connections']} minus the reserve "
            f"{sizing['reserve']} = {sizing['budget']}: at most {sizing['max_processes']} "
            "processes fit; lower the pool or raise max_connections "
            "(docs/deploy.md, Sizing connections)"
        )
    runners = [
        lease
        for lease in report["leases"]
        if lease["alive"] and (lease["kind"] in ("worker", "embedded"))
    ]
    if not runners:
        found.append(
            "no worker or embedded runner holds a live lease: no background work is running"
        )
    if report["jobs"]["failed"]:
        found.append(f"{report['jobs']['failed']} jobs failed for good (see the job table)")
    if report["failing_feeds"]:
        found.append(f"{len(report['failing_feeds'])} feeds failed at their last harvest")
    return found
