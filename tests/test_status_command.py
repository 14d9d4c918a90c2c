"""`forum status [--json]`: queue depth by kind, the oldest due job, the outbox lag, the
leases, the last digest run, failing feeds, and whether the pools fit the server's
max_connections. Through the real command, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from forum.cli import app
from forum.core.db import make_session_factory, utcnow
from forum.core.jobs import Job, PeriodicTask, WorkerLease
from forum.core.outbox import SearchOutbox
from forum.digests.models import DigestDelivery
from forum.intelligence.models import Feed


def forum_status(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    for name in list(os.environ):
        if name.startswith("FORUM_"):
            monkeypatch.delenv(name)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FORUM_DATABASE_URL", url)
    monkeypatch.setenv("FORUM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("COLUMNS", "200")  # rich's tables: one line per row
    result = CliRunner().invoke(app, ["status", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def report(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path, *args: str) -> Any:
    code, output = forum_status(monkeypatch, url, data_dir, "--json", *args)
    assert code == 0, output
    return json.loads(output)


def lease(name: str, kind: str, *, expires_in: float, now: dt.datetime) -> WorkerLease:
    return WorkerLease(
        name=name, kind=kind, holder=f"{name}-holder", hostname="web1", pid=4242,
        started_at=now - dt.timedelta(minutes=5), heartbeat_at=now - dt.timedelta(seconds=3),
        expires_at=now + dt.timedelta(seconds=expires_in),
    )  # fmt: skip


def fill(engine: Engine) -> None:
    now = utcnow()
    with make_session_factory(engine)() as db:
        db.add_all(
            [
                Job(kind="send-email", status="queued", run_after=now - dt.timedelta(minutes=7)),
                Job(kind="send-email", status="queued", run_after=now - dt.timedelta(minutes=1)),
                Job(kind="send-email", status="queued", run_after=now + dt.timedelta(hours=1)),
                Job(kind="extract-text", status="running", run_after=now, claimed_by="w1"),
                Job(kind="extract-text", status="failed", run_after=now, attempts=5),
                Job(kind="extract-text", status="done", run_after=now),
                SearchOutbox(doc_id="intel:1", op="upsert", created_at=now - dt.timedelta(seconds=90)),
                SearchOutbox(doc_id="intel:2", op="upsert", created_at=now),
                lease("worker:w1", "worker", expires_in=25, now=now),
                lease("digest-sender", "digest", expires_in=-60, now=now),
                PeriodicTask(
                    name="send-due-digests", next_run_at=now + dt.timedelta(minutes=4),
                    last_run_at=now - dt.timedelta(minutes=1), last_status="ok",
                ),
                Feed(url="https://eu.example/ok.xml", name="Fine", enabled=True, last_status="ok"),
                Feed(
                    url="https://eu.example/bad.xml", name="Broken", enabled=True,
                    last_status="timed out", last_error="no answer\nwithin 10 s",
                    last_fetched_at=now - dt.timedelta(minutes=30),
                ),
                Feed(url="https://eu.example/off.xml", name="Off", last_status="error"),
            ]
        )  # fmt: skip
        db.flush()
        user_id = db.scalar(
            text(
                "INSERT INTO user_account (email, name, role, bio, timezone, language,"
                " digest_frequency, digest_weekday, digest_hour, created_at)"
                " VALUES ('m@example.eu', 'M', 'member', '', 'UTC', 'en', 'weekly', 0, 7, :now)"
                " RETURNING id"
            ),
            {"now": now},
        )
        for period, status in [
            (dt.date(2026, 11, 30), "sent"),
            (dt.date(2026, 12, 7), "sent"),
            (dt.date(2026, 12, 7), "sending"),
        ]:
            db.execute(
                text(
                    "INSERT INTO user_account (email, name, role, bio, timezone, language,"
                    " digest_frequency, digest_weekday, digest_hour, created_at)"
                    " VALUES (:email, 'M', 'member', '', 'UTC', 'en', 'weekly', 0, 7, :now)"
                ),
                {"email": f"{period}{status}@example.eu", "now": now},
            )
            db.add(
                DigestDelivery(
                    user_id=db.scalar(text("SELECT max(id) FROM user_account")) or user_id,
                    period=period, frequency="weekly", status=status, window_start=now,
                    window_end=now, message_id=f"<{period}.{status}@forum>",
                    sent_at=now - dt.timedelta(minutes=2) if status == "sent" else None,
                )
            )  # fmt: skip
        db.commit()


def test_status_reports_the_queue_outbox_leases_digests_and_failing_feeds(
    scratch_engine: Engine, scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(scratch_engine)
    data = report(monkeypatch, scratch_url, tmp_path)
    jobs = data["jobs"]
    assert (jobs["queued"], jobs["due"], jobs["running"], jobs["failed"]) == (3, 2, 1, 1)
    assert jobs["by_kind"]["send-email"] == {"queued": 3, "due": 2, "running": 0, "failed": 0}
    assert jobs["by_kind"]["extract-text"] == {"queued": 0, "due": 0, "running": 1, "failed": 1}
    assert 7 * 60 - 5 <= jobs["oldest_pending_seconds"] <= 7 * 60 + 60
    assert data["search_outbox"]["outbox_depth"] == 2
    assert 85 <= data["search_outbox"]["oldest_pending_seconds"] <= 150
    leases = {entry["name"]: entry for entry in data["leases"]}
    assert leases["worker:w1"]["alive"] is True
    assert leases["worker:w1"]["holder"] == "worker:w1-holder"
    assert leases["digest-sender"]["alive"] is False
    digests = data["digests"]
    assert digests["task_last_status"] == "ok"
    assert digests["latest_period"] == "2026-12-07"
    assert digests["latest_period_deliveries"] == {"sending": 1, "sent": 1}
    assert digests["last_sent_at"] is not None
    assert [(f["name"], f["last_status"]) for f in data["failing_feeds"]] == [
        ("Broken", "timed out")
    ]
    assert data["failing_feeds"][0]["last_error"] == "no answer within 10 s"
    assert "1 jobs failed for good (see the job table)" in data["warnings"]
    assert not any("no worker" in warning for warning in data["warnings"])

    code, human = forum_status(monkeypatch, scratch_url, tmp_path)
    assert code == 0
    assert "Jobs: 3 queued (2 due), 1 running, 1 failed; oldest due job waiting 7 min" in human
    assert "Search outbox: 2 changes not yet indexed" in human
    assert "worker:w1-holder" in human
    assert "Failing feeds: 1" in human
    assert "Broken" in human


def test_status_warns_when_no_runner_holds_a_lease(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = report(monkeypatch, scratch_url, tmp_path)
    assert data["jobs"]["queued"] == 0
    assert data["leases"] == []
    assert any("no background work is running" in warning for warning in data["warnings"])


def test_status_checks_the_pools_against_max_connections(
    scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = report(monkeypatch, scratch_url, tmp_path)
    sizing = data["connections"]
    if sizing["dialect"] != "postgresql":
        assert sizing["note"] == "SQLite: no server connection limit"
        return
    per_process = sizing["per_process"]
    assert per_process == sizing["pool_size"] + sizing["max_overflow"]
    assert sizing["budget"] == sizing["max_connections"] - sizing["reserve"]
    fits = sizing["max_processes"]
    assert fits == sizing["budget"] // per_process
    ok = report(monkeypatch, scratch_url, tmp_path, "--processes", str(fits))
    assert ok["connections"]["fits"] is True
    assert not any("max_connections" in warning for warning in ok["warnings"])
    too_many = report(monkeypatch, scratch_url, tmp_path, "--processes", str(fits + 1))
    assert too_many["connections"]["fits"] is False
    assert too_many["connections"]["total"] == (fits + 1) * per_process
    assert any(
        f"{fits + 1} processes × {per_process} connections" in warning
        and f"at most {fits} processes fit" in warning
        for warning in too_many["warnings"]
    )
    # FORUM_DB_PROCESSES is the default count; a smaller pool makes room for more.
    many = {"FORUM_DB_PROCESSES": str(fits + 1)}
    code, human = forum_status(monkeypatch, scratch_url, tmp_path, env=many)
    assert code == 0
    assert f"{fits + 1} processes need {(fits + 1) * per_process}: does not fit" in human
    smaller = {**many, "FORUM_DB_POOL_SIZE": "2", "FORUM_DB_MAX_OVERFLOW": "1"}
    code, human = forum_status(monkeypatch, scratch_url, tmp_path, env=smaller)
    assert f"{fits + 1} processes need {(fits + 1) * 3}: fits" in human
