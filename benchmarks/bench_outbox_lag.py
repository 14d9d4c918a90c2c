"""Outbox lag: from a write's commit to the moment the search API finds it.

Data: a copy of the search API benchmark's data dir (the demo and
FORUM_BENCH_SEARCH_API_DOCS synthetic documents, default 1,000,000; FORUM_BENCH_DATA_DIR
reuses a prepared one), so the index is as large as in production and the original
stays untouched. `forum serve` runs on it with its embedded worker, whose outbox
drainer keeps the index in step; no `forum worker` runs.

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

import os
import random
import shutil
import string
import tempfile
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console
from sqlalchemy import select

from benchmarks.bench_search_api import forum_serve, prepared_data_dir
from benchmarks.harness import Result, percentile
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction, utcnow
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


def run(console: Console) -> list[Result]:
    with (
        prepared_data_dir(console) as (source, build),
        tempfile.TemporaryDirectory(prefix="forum-bench-lag-") as tmp,
    ):
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        shutil.copytree(source, data_dir, ignore=shutil.ignore_patterns("*.lock"))
        console.print(f"copied {source} in {time.perf_counter() - started:.0f} s")
        settings = Settings(data_dir=data_dir, secret_key="bench", embedded_worker=False)
        # Words of their own: the last word of a query is also a prefix, so neither may
        # start the other.
        marker, warm_marker = ("".join(random.choices(string.ascii_lowercase, k=6)) + suffix
                               for suffix in ("lagmark", "warmmark"))  # fmt: skip
        log_path = Path(tmp) / "serve.log"
        with (
            forum_serve(data_dir, log_path, embedded_worker=True) as (base, _process),
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            # Warm-up: the drainer's first pass opens the index writer.
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
        errors = log_path.read_text().count("Traceback")
    lags = [s - c for s, c in zip(seen, writer.committed, strict=False)]
    missed = count - len(lags)
    if missed:  # never seen within GIVE_UP_SECONDS of the last write: counted as that long
        lags += [GIVE_UP_SECONDS] * missed
    p50, p95, p99 = (percentile(lags, p) for p in (50, 95, 99))
    note = (
        f"{count} items at {RATE:g}/s for {SECONDS:g} s through create_item on SQLite; "
        f"{build.documents:,} documents indexed; embedded drainer in `forum serve`; polled every "
        f"{POLL_SECONDS * 1000:.0f} ms ({len(polls)} requests); load average {load_before:.1f} -> "
        f"{load_after:.1f}"
    )
    if missed:
        note += f"; {missed} never seen within {GIVE_UP_SECONDS:.0f} s"
    if errors:
        note += f"; forum serve logged {errors} tracebacks"
    console.print(
        f"outbox lag p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {max(lags) * 1000:.0f} ms; commit p50 {percentile(writer.commit_ms, 50):.1f} ms; "
        f"health {health.get('search')}; {note}"
    )
    return [
        Result("outbox lag", "commit to searchable p95", p95, "s", goal=f"<= {GOAL_P95_S:g} s",
               note=note),
        Result("outbox lag", "commit to searchable p50", p50, "s"),
        Result("outbox lag", "commit to searchable max", max(lags), "s",
               note=f"p99 {p99:.3f} s"),
        Result("outbox lag", "polling search request p50", percentile(polls, 50), "ms",
               note=f"p95 {percentile(polls, 95):.1f} ms, max {max(polls):.1f} ms: one word, "
                    "sort=newest, anonymous, while the index takes a commit every write"),
        Result("outbox lag", "create_item commit p50", percentile(writer.commit_ms, 50), "ms",
               note=f"p95 {percentile(writer.commit_ms, 95):.1f} ms; the writing side, for context"),
    ]  # fmt: skip
