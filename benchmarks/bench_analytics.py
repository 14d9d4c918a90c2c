"""/admin/analytics at scale, beside /insights in the same run (issue 23, "Scale").

Data (`analytics_data`): 10,000 members, 1,000,000 documents over 12 months, 500,000
digest deliveries and 1,000,000 search-log rows, on SQLite (on PostgreSQL as well when
FORUM_BENCH_POSTGRES_URL names a scratch database called *bench*: its schema is dropped),
made once a week and reused. Before timing, the rollup job runs as the worker would have
run it: its first run, every closed week of two years, is timed and reported. Each URL: warm-up, then SAMPLES requests through the whole app (in-process
TestClient: routing, session, queries, template), interleaved so the machine's other
work weighs on every page alike; p50 and p95 against the goal p95 < 300 ms.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from benchmarks import analytics_data
from benchmarks.harness import Result, summary
from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.accounts.sessions import SESSION_COOKIE, create_session
from forum.app import create_app
from forum.core.db import make_session_factory, transaction

# FORUM_BENCH_ANALYTICS_SAMPLES=3 for a quick look (or to time the code before the rollups).
SAMPLES = int(os.environ.get("FORUM_BENCH_ANALYTICS_SAMPLES", "30"))
WARMUP = min(3, SAMPLES // 10)
GOAL_MS = 300.0
MODERATOR = "bench-moderator@example.invalid"
SECTIONS = ("members", "content", "searches", "queries", "no-results", "email")
PAGES = {
    "analytics, 4 weeks": "/admin/analytics",
    "analytics, 12 months": "/admin/analytics?period=12m",
    "analytics, 12 months, Japan": "/admin/analytics?period=12m&country=JP",
    "insights": "/insights",
}
CSVS = {f"CSV {s}, 12 months": f"/admin/analytics/{s}.csv?period=12m" for s in SECTIONS}
APIS = {f"API {s}, 12 months": f"/api/v1/admin/analytics/{s}?period=12m" for s in SECTIONS}
URLS = {**PAGES, **CSVS, **APIS}


def _credentials(engine: object) -> tuple[str, str]:
    """A session cookie and an API token of a moderator (made on first use)."""
    factory = make_session_factory(engine)  # type: ignore[arg-type]
    with transaction(factory) as db:
        moderator = _moderator(db)
        cookie = create_session(db, moderator)
        token, _ = create_api_token(db, moderator, name="bench")
    return cookie, token


def _moderator(db: Session) -> User:
    found = db.scalar(select(User).where(User.email == MODERATOR))
    if found is None:
        found = User(email=MODERATOR, name="Bench moderator", role="moderator")
        db.add(found)
        db.flush()
    return found


def _roll_up(engine: object, console: Console) -> float | None:
    """Run the analytics rollup job's first run (no week stored yet), as the worker would
    have; its time in ms (None when this version of the forum has no rollup job)."""
    try:
        from forum.insights import jobs
    except ImportError:
        return None
    from forum.insights import models

    factory = make_session_factory(engine)  # type: ignore[arg-type]
    with transaction(factory) as db:  # the job's first run over the year, every time
        for table in ("AnalyticsWeek", "AnalyticsQueryWeek", "AnalyticsFocusWeek"):
            if hasattr(models, table):  # the tables of this version of the forum
                db.execute(delete(getattr(models, table)))
    start = time.perf_counter()
    with transaction(factory) as db:
        jobs.roll_up(db)
    took = (time.perf_counter() - start) * 1000
    console.print(f"rollup job: {took:,.0f} ms")
    return took


def measure(console: Console, postgres_url: str | None) -> tuple[dict[str, dict], float | None]:
    with ExitStack() as stack:
        settings, engine = analytics_data.prepare(console, postgres_url)
        stack.callback(engine.dispose)
        rolled = _roll_up(engine, console)
        cookie, token = _credentials(engine)
        client = stack.enter_context(TestClient(create_app(settings, engine=engine)))
        client.cookies.set(SESSION_COOKIE, cookie)
        auth = {"Authorization": f"Bearer {token}"}
        samples: dict[str, list[float]] = {label: [] for label in URLS}
        cpu: dict[str, list[float]] = {label: [] for label in URLS}
        for label, url in URLS.items():
            start = time.perf_counter()
            answer = client.get(url, headers=auth)
            assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
            console.print(f"{label}: first {(time.perf_counter() - start) * 1000:,.0f} ms")
            for _ in range(WARMUP):
                client.get(url, headers=auth)
        for n in range(SAMPLES):
            for label, url in URLS.items():
                start, used = time.perf_counter(), time.process_time()
                client.get(url, headers=auth)
                samples[label].append((time.perf_counter() - start) * 1000)
                cpu[label].append((time.process_time() - used) * 1000)
            if n % 10 == 9:
                console.print(f"{n + 1} of {SAMPLES} rounds")
    out = {label: summary(values) for label, values in samples.items()}
    for label, stats in out.items():
        # CPU time of this process (app and client): what the machine's other work cannot
        # inflate, beside the wall-clock time it can.
        mine = summary(cpu[label])
        stats["cpu_p50"], stats["cpu_p95"] = mine["p50"], mine["p95"]
        console.print(
            f"{label}: p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms "
            f"(CPU p50 {mine['p50']:.1f} ms, p95 {mine['p95']:.1f} ms)"
        )
    return out, rolled


def _results(database: str, measured: dict[str, dict], rolled: float | None) -> list[Result]:
    scale = (
        f"{analytics_data.MEMBERS:,} members, {analytics_data.DOCUMENTS:,} documents, "
        f"{analytics_data.DELIVERIES:,} deliveries, {analytics_data.SEARCHES:,} searches"
    )
    results = [
        Result(
            "analytics",
            f"{label} ({URLS[label]}), p95",
            stats["p95"],
            "ms",
            goal=f"< {GOAL_MS:.0f} ms",
            note=f"p50 {stats['p50']:.1f} ms; CPU p50 {stats['cpu_p50']:.1f} ms, p95 "
            f"{stats['cpu_p95']:.1f} ms; {database}; {scale}; {SAMPLES} samples; "
            "in-process client",
        )
        for label, stats in measured.items()
    ]
    if rolled is not None:
        results.append(
            Result(
                "analytics",
                "rollup job, first run (every closed week of two years)",
                rolled,
                "ms",
                note=f"{database}; {scale}; then once a week per table",
            )
        )
    return results


def run(console: Console) -> list[Result]:
    measured, rolled = measure(console, None)
    results = _results("SQLite", measured, rolled)
    postgres_url = os.environ.get("FORUM_BENCH_POSTGRES_URL")
    if postgres_url:
        measured, rolled = measure(console, postgres_url)
        results += _results("PostgreSQL", measured, rolled)
    return results
