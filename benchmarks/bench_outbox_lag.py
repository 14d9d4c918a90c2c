"""Outbox lag: from a write's commit to the moment the search API finds it.

Data: a copy of the search API benchmark's data dir (the demo and
FORUM_BENCH_SEARCH_API_DOCS synthetic documents, default 1,000,000; FORUM_BENCH_DATA_DIR
reuses a prepared one), so the index is as large as in production and the original
stays untouched. Three runs on it, in one `make bench`: `forum serve` with its embedded
worker, whose outbox drainer keeps the index in step (no `forum worker`); then `forum
serve` without it beside one `forum worker`; then beside two, of which one holds the
`search-drain` lease and drains while the other stands by (docs/deploy.md, "Several
workers"). The workers share the data dir's SQLite database here (one host); their logs
are searched for `LockBusy`, the error two writers of the embedded index would meet.

This process writes a steady stream of intelligence items through the forum's service
layer (`create_item`, committed sessions on the same SQLite database, as another web
or worker process would): FORUM_BENCH_OUTBOX_RATE per second (default 5) for
FORUM_BENCH_OUTBOX_SECONDS (default 60). Every title carries a word unique to the run,
and the drainer applies outbox rows in commit order, so when `GET /api/v1/search?q=<that
word>` counts n documents, the first n items are searchable. It asks every 20 ms;
an item's lag is the arrival of the first answer that counts it, less the end of its
commit (so the figures include up to one polling interval and one request).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from sqlalchemy import select

from benchmarks.bench_search_api import forum_env, forum_serve, prepared_data_dir
from benchmarks.harness import Result, percentile
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction, utcnow
from forum.core.jobs import live_leases
from forum.demo.textgen import TextGenerator
from forum.intelligence.writes import ItemInput, create_item
from forum.taxonomy.models import Sector

RATE = float(os.environ.get("FORUM_BENCH_OUTBOX_RATE", "5"))
SECONDS = float(os.environ.get("FORUM_BENCH_OUTBOX_SECONDS", "60"))
POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 15.0
WARM_UP_ITEMS = 3
GOAL_P95_S = 1.0


def _letters(number: int, rng: random.Random) -> str:
    """A word of letters only (the tokenizer splits on digits), unique for `number`."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word += string.ascii_lowercase[digit]
        if not number:
            break
    return word + "".join(rng.choices(string.ascii_lowercase, k=3))


class Writer(threading.Thread):
    """Commits `count` items at `rate` per second; records when each commit ended."""

    def __init__(self, settings: Settings, marker: str, count: int, rate: float) -> None:
        super().__init__(name="outbox-lag-writer", daemon=True)
        self.settings, self.marker, self.count, self.rate = settings, marker, count, rate
        self.committed: list[float] = []
        self.commit_ms: list[float] = []
        self.error: BaseException | None = None
        self.started_at = 0.0

    def run(self) -> None:
        engine = make_engine(self.settings.resolved_database_url)
        try:
            factory = make_session_factory(engine)
            with factory() as session:
                author_id = session.scalar(
                    select(User.id)
                    .where(User.email.like("synthetic-%@example.invalid"))
                    .order_by(User.id)
                )
                session.rollback()
            words = TextGenerator(seed=99)
            rng = random.Random(99)
            self.started_at = time.perf_counter()
            for number in range(self.count):
                pause = self.started_at + number / self.rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                begin = time.perf_counter()
                with transaction(factory) as session:
                    author = session.get(User, author_id)
                    sector = session.scalars(select(Sector).limit(1)).first()
                    data = ItemInput(
                        title=f"{self.marker} {_letters(number, rng)} {words.title(3, 6)}",
                        summary=words.sentence(),
                        body=words.paragraph(),
                        countries=["JP"],
                        sectors=[sector] if sector else [],
                        published_at=utcnow(),
                    )
                    create_item(session, author, data, source_note="outbox lag benchmark")
                end = time.perf_counter()
                self.committed.append(end)
                self.commit_ms.append((end - begin) * 1000)
        except BaseException as exc:
            self.error = exc
        finally:
            engine.dispose()


def _visible(client: httpx.Client, marker: str) -> int:
    response = client.get("/api/v1/search", params={"q": marker, "sort": "newest"})
    response.raise_for_status()
    return int(response.json()["total"])


@dataclass
class Phase:
    """One measured run: the lags of its items, its polls and its writer's commits."""

    name: str
    lags: list[float]
    polls: list[float]
    commit_ms: list[float]
    missed: int
    load: tuple[float, float]
    health: dict[str, object]
    errors: int = 0
    lock_busy: int = 0


def measure(name: str, settings: Settings, client: httpx.Client, log_path: Path) -> Phase:
    """Warm up (the drainer's first pass opens the index writer), then write RATE items a
    second for SECONDS and poll the search API until each is found."""
    # Words of their own: the last word of a query is also a prefix, so neither may
    # start the other.
    marker, warm_marker = ("".join(random.choices(string.ascii_lowercase, k=6)) + suffix
                           for suffix in ("lagmark", "warmmark"))  # fmt: skip
    warm = Writer(settings, warm_marker, WARM_UP_ITEMS, 10.0)
    warm.start()
    warm.join()
    if warm.error:
        raise warm.error
    deadline = time.monotonic() + 120
    while _visible(client, warm_marker) < WARM_UP_ITEMS:
        if time.monotonic() > deadline:
            raise RuntimeError(f"warm-up items never became searchable; see {log_path}")
        time.sleep(0.1)
    count = int(RATE * SECONDS)
    writer = Writer(settings, marker, count, RATE)
    seen: list[float] = []
    polls: list[float] = []
    load_before = os.getloadavg()[0]
    writer.start()
    give_up = None
    while len(seen) < count:
        tick = time.perf_counter()
        visible = _visible(client, marker)
        arrived = time.perf_counter()
        polls.append((arrived - tick) * 1000)
        seen.extend([arrived] * (visible - len(seen)))
        if writer.error:
            raise writer.error
        if not writer.is_alive() and give_up is None:
            give_up = arrived + GIVE_UP_SECONDS
        if give_up is not None and arrived > give_up:
            break
        time.sleep(max(0.0, POLL_SECONDS - (time.perf_counter() - tick)))
    writer.join()
    if _visible(client, marker) > count:
        raise RuntimeError(f"{marker!r} finds more than the {count} items written")
    load_after = os.getloadavg()[0]
    health = client.get("/healthz").json()
    lags = [s - c for s, c in zip(seen, writer.committed, strict=False)]
    missed = count - len(lags)
    if missed:  # never seen within GIVE_UP_SECONDS of the last write: counted as that long
        lags += [GIVE_UP_SECONDS] * missed
    return Phase(name, lags, polls, writer.commit_ms, missed, (load_before, load_after),
                 health)  # fmt: skip


@contextlib.contextmanager
def forum_workers(data_dir: Path, logs: list[Path]) -> Iterator[None]:
    """`forum worker` processes on `data_dir`, one per log path, once they all hold a
    lease; stopped with SIGTERM (a clean stop) afterwards."""
    processes = []
    try:
        for log_path in logs:
            with log_path.open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "forum.cli", "worker"],
                        env=forum_env(data_dir), stdout=log, stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
        engine = make_engine(Settings(data_dir=data_dir, secret_key="bench").resolved_database_url)
        try:
            deadline = time.monotonic() + 120
            while True:
                with make_session_factory(engine)() as session:
                    alive = len(live_leases(session, kind="worker"))
                if alive == len(logs):
                    break
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise RuntimeError(f"the workers did not start; see {logs}")
                time.sleep(0.1)
        finally:
            engine.dispose()
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run(console: Console) -> list[Result]:
    phases: list[Phase] = []
    with (
        prepared_data_dir(console) as (source, build),
        tempfile.TemporaryDirectory(prefix="forum-bench-lag-") as tmp,
    ):
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        shutil.copytree(source, data_dir, ignore=shutil.ignore_patterns("*.lock"))
        console.print(f"copied {source} in {time.perf_counter() - started:.0f} s")
        settings = Settings(data_dir=data_dir, secret_key="bench", embedded_worker=False)
        for name, workers in (("embedded", 0), ("one worker", 1), ("two workers", 2)):
            log_path = Path(tmp) / f"serve-{workers}.log"
            worker_logs = [Path(tmp) / f"worker-{workers}-{n}.log" for n in range(workers)]
            with (
                forum_serve(data_dir, log_path, embedded_worker=not workers) as (base, _),
                forum_workers(data_dir, worker_logs),
                httpx.Client(base_url=base, timeout=30) as client,
            ):
                phase = measure(name, settings, client, log_path)
            texts = [path.read_text(errors="replace") for path in [log_path, *worker_logs]]
            phase.errors = sum(text.count("Traceback") for text in texts)
            phase.lock_busy = sum(text.count("LockBusy") for text in texts)
            console.print(
                f"{name}: outbox lag p50 {percentile(phase.lags, 50) * 1000:.0f} ms, "
                f"p95 {percentile(phase.lags, 95) * 1000:.0f} ms, max "
                f"{max(phase.lags) * 1000:.0f} ms; LockBusy {phase.lock_busy}; "
                f"health {phase.health.get('search')}"
            )
            phases.append(phase)
    return results(phases, build.documents)


def results(phases: list[Phase], documents: int) -> list[Result]:
    embedded, *with_workers = phases
    lags, polls, commit_ms = embedded.lags, embedded.polls, embedded.commit_ms
    count = int(RATE * SECONDS)
    p50, p95, p99 = (percentile(lags, p) for p in (50, 95, 99))
    note = (
        f"{count} items at {RATE:g}/s for {SECONDS:g} s through create_item on SQLite; "
        f"{documents:,} documents indexed; embedded drainer in `forum serve`; polled every "
        f"{POLL_SECONDS * 1000:.0f} ms ({len(polls)} requests); load average "
        f"{embedded.load[0]:.1f} -> {embedded.load[1]:.1f}"
    )
    if embedded.missed:
        note += f"; {embedded.missed} never seen within {GIVE_UP_SECONDS:.0f} s"
    if embedded.errors:
        note += f"; forum serve logged {embedded.errors} tracebacks"
    out = [
        Result("outbox lag", "commit to searchable p95", p95, "s", goal=f"<= {GOAL_P95_S:g} s",
               note=note),
        Result("outbox lag", "commit to searchable p50", p50, "s"),
        Result("outbox lag", "commit to searchable max", max(lags), "s",
               note=f"p99 {p99:.3f} s"),
        Result("outbox lag", "polling search request p50", percentile(polls, 50), "ms",
               note=f"p95 {percentile(polls, 95):.1f} ms, max {max(polls):.1f} ms: one word, "
                    "sort=newest, anonymous, while the index takes a commit every write"),
        Result("outbox lag", "create_item commit p50", percentile(commit_ms, 50), "ms",
               note=f"p95 {percentile(commit_ms, 95):.1f} ms; the writing side, for context"),
    ]  # fmt: skip
    for phase in with_workers:
        note = (
            f"`forum serve` without its embedded worker beside {phase.name} (`forum worker`, "
            f"same SQLite data dir, same run); {len(phase.polls)} polls; LockBusy logged "
            f"{phase.lock_busy} times; load average {phase.load[0]:.1f} -> {phase.load[1]:.1f}"
        )
        if phase.missed:
            note += f"; {phase.missed} never seen within {GIVE_UP_SECONDS:.0f} s"
        if phase.errors:
            note += f"; {phase.errors} tracebacks logged"
        out += [
            Result("outbox lag", f"{phase.name}: commit to searchable p95",
                   percentile(phase.lags, 95), "s", goal=f"<= {GOAL_P95_S:g} s", note=note),
            Result("outbox lag", f"{phase.name}: commit to searchable p50",
                   percentile(phase.lags, 50), "s",
                   note=f"max {max(phase.lags):.3f} s; commit p50 "
                        f"{percentile(phase.commit_ms, 50):.1f} ms"),
        ]  # fmt: skip
    return out
