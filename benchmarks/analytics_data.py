"""A year of a busy forum for the analytics benchmark, written fast and kept for reuse.

10,000 members (memberships, follows), 1,000,000 documents over the last 12 months
(100,000 threads, 600,000 posts: their openings and 500,000 replies, 270,000 intelligence
items tagged with countries and sectors, 30,000 events), 500,000 digest deliveries (sent,
skipped, failed) and 1,000,000 search-log rows over the 180 days the log is kept.

Rows go in with Core `insert()` in batches of BATCH (executemany), ids chosen here; the
report's demo comes first for categories, sectors and partnerships. The database is kept
under var/ in a folder named by VERSION and the ISO week it was made in: a second run the
same week reuses it (change VERSION when what is generated changes).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, func, insert, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import Membership, User
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction, utcnow
from forum.demo.textgen import SkewedChoice, report_country_weights
from forum.digests.models import DigestDelivery
from forum.discovery.models import SearchLogEntry
from forum.discussions.models import Category, Post, Thread, ThreadCountry, thread_sector
from forum.events.models import Attendance, Event, event_sector
from forum.intelligence.models import Feed, IntelCountry, IntelItem, intel_sector
from forum.migrate import upgrade
from forum.notifications.models import Follow
from forum.partnerships.models import Partnership
from forum.plugins import demo_parts
from forum.taxonomy.models import Sector

VERSION = 3  # 3: going and interested marks on the events
ROOT = Path(__file__).resolve().parent.parent / "var" / "bench-analytics"
BATCH = 20_000
SEED = 23
MEMBERS = 10_000
THREADS = 100_000
REPLIES = 500_000
ITEMS = 270_000
EVENTS = 30_000
MARKS_PER_EVENT = 9  # at most: 0 to 9 members' or partnerships' marks, 4.5 on average
DELIVERIES = 500_000
SEARCHES = 1_000_000
YEAR = dt.timedelta(days=365)
SEARCH_DAYS = 180
QUERIES = 5_000  # distinct query texts, drawn Zipf-like
DOCUMENTS = THREADS + (THREADS + REPLIES) + ITEMS + EVENTS  # threads, posts, items, events


def database_dir(now: dt.datetime) -> Path:
    year, week, _ = now.isocalendar()
    return ROOT / f"v{VERSION}-{year}-w{week:02d}"


def settings_for(data_dir: Path, url: str | None = None) -> Settings:
    return Settings(data_dir=data_dir, database_url=url, secret_key="bench", embedded_worker=False)


class _Writer:
    """Inserts rows of one table at a time, in batches, advancing one progress bar."""

    def __init__(self, factory: sessionmaker[Session], progress: Progress) -> None:
        self.factory = factory
        self.progress = progress

    def write(self, label: str, total: int, rows: Callable[[], Iterator[tuple[Any, dict]]]) -> None:
        """Insert `rows` ((table, row) pairs); the bar counts rows of the first table."""
        task = self.progress.add_task(label, total=total)
        pending: dict[Any, list[dict[str, Any]]] = {}
        counted, seen = None, 0
        with transaction(self.factory) as db:

            def flush() -> None:  # in first-seen order: a row's parent goes in before it
                for table, batch in pending.items():
                    if batch:
                        db.execute(insert(table), batch)
                        batch.clear()

            for table, row in rows():
                counted = table if counted is None else counted
                if table is counted:
                    seen += 1
                    if seen % 1000 == 0:
                        self.progress.advance(task, 1000)
                batch = pending.setdefault(table, [])
                batch.append(row)
                if len(batch) == BATCH:
                    flush()
            flush()
        self.progress.update(task, completed=total)


def _moment(rng: random.Random, now: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """A moment in the last `span`, more of them recent (the forum grows)."""
    return now - span * (1 - rng.random() ** 0.7)


def _moments(rng: random.Random, now: dt.datetime, span: dt.timedelta, n: int) -> list[dt.datetime]:
    """`n` moments oldest first: ids follow time, as they do in a forum that is used."""
    return sorted(_moment(rng, now, span) for _ in range(n))


def generate(factory: sessionmaker[Session], settings: Settings, console: Console) -> None:
    for part in demo_parts():
        with transaction(factory) as db:
            part.load(db, settings)
    rng = random.Random(SEED)
    now = utcnow()
    countries = SkewedChoice(report_country_weights(), seed=SEED + 1)
    with transaction(factory) as db:
        sector_ids = list(db.scalars(select(Sector.id)))
        sector_slugs = list(db.scalars(select(Sector.slug)))
        category_ids = list(db.scalars(select(Category.id)))
        partnership_ids = list(db.scalars(select(Partnership.id)))
        first = {
            table: int(db.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1
            for table, column in (
                ("user", User.id),
                ("thread", Thread.id),
                ("post", Post.id),
                ("item", IntelItem.id),
                ("event", Event.id),
                ("feed", Feed.id),
            )
        }
        feed_ids = []
        for n in range(12):
            feed = Feed(url=f"https://example.invalid/bench/{n}.xml", name=f"Bench feed {n}")
            db.add(feed)
            db.flush()
            feed_ids.append(feed.id)
    users = list(range(first["user"], first["user"] + MEMBERS))
    joined: dict[int, dt.datetime] = {}

    def members() -> Iterator[tuple[Any, dict[str, Any]]]:
        for uid, created in zip(users, _moments(rng, now, YEAR, MEMBERS), strict=True):
            joined[uid] = created
            verified = created + dt.timedelta(hours=rng.randrange(1, 48))
            yield (
                User,
                {
                    "id": uid,
                    "email": f"bench{uid}@example.invalid",
                    "name": f"Bench member {uid}",
                    "created_at": created,
                    "email_verified_at": verified if rng.random() < 0.9 else None,
                },
            )
        for uid in users:
            if rng.random() < 0.85:
                yield (
                    Membership,
                    {
                        "user_id": uid,
                        "partnership_id": rng.choice(partnership_ids),
                        "status": "approved" if rng.random() < 0.9 else "pending",
                        "requested_at": joined[uid],
                        "decided_at": joined[uid] + dt.timedelta(hours=rng.randrange(2, 96)),
                    },
                )
            targets = {("country", c) for c in countries.pick(1, 4)}
            targets |= {("sector", s) for s in rng.sample(sector_slugs, rng.randint(1, 2))}
            for kind, target in targets:
                yield (
                    Follow,
                    {"user_id": uid, "target_type": kind, "target": target, "created_at": now},
                )

    def discussions() -> Iterator[tuple[Any, dict[str, Any]]]:
        thread_times = _moments(rng, now, YEAR, THREADS)
        for n, created in enumerate(thread_times):
            tid = first["thread"] + n
            roll = rng.random()
            kind = "good_practice" if roll < 0.08 else "question" if roll < 0.15 else "discussion"
            yield (
                Thread,
                {
                    "id": tid,
                    "category_id": rng.choice(category_ids),
                    "kind": kind,
                    "title": f"Bench thread {tid}",
                    "author_id": rng.choice(users),
                    "created_at": created,
                    "last_activity_at": created,
                },
            )
            for code in countries.pick(1, 2):
                yield ThreadCountry, {"thread_id": tid, "country_code": code}
            yield thread_sector, {"thread_id": tid, "sector_id": rng.choice(sector_ids)}
        post_id = first["post"]
        for n, created in enumerate(thread_times):
            yield (
                Post,
                {
                    "id": post_id,
                    "thread_id": first["thread"] + n,
                    "is_opening": True,
                    "author_id": rng.choice(users),
                    "body": "Opening.",
                    "body_html": "<p>Opening.</p>",
                    "created_at": created,
                },
            )
            post_id += 1
        busy = THREADS * 4 // 5  # a fifth of the threads never get a reply
        replies = []
        for _ in range(REPLIES):
            n = busy - 1 - int(busy * rng.random() ** 1.5)  # the older, the more replies
            late = dt.timedelta(minutes=rng.randrange(1, 30 * 1440))
            replies.append((min(now, thread_times[n] + late), n))
        replies.sort()
        for created, n in replies:
            yield (
                Post,
                {
                    "id": post_id,
                    "thread_id": first["thread"] + n,
                    "depth": 1,
                    "author_id": rng.choice(users),
                    "body": "A reply.",
                    "body_html": "<p>A reply.</p>",
                    "created_at": created,
                },
            )
            post_id += 1

    def intelligence() -> Iterator[tuple[Any, dict[str, Any]]]:
        for n, added in enumerate(_moments(rng, now, YEAR, ITEMS)):
            iid = first["item"] + n
            harvested = rng.random() < 0.7
            yield (
                IntelItem,
                {
                    "id": iid,
                    "title": f"Bench item {iid}",
                    "kind": "news",
                    "status": "published" if rng.random() < 0.95 else "review",
                    "feed_id": rng.choice(feed_ids) if harvested else None,
                    "author_id": None if harvested else rng.choice(users),
                    "added_at": added,
                    "published_at": added,
                    "updated_at": added,
                    "also_from": [],
                },
            )
            for code in countries.pick(1, 3):
                yield IntelCountry, {"item_id": iid, "country_code": code}
            for sid in rng.sample(sector_ids, rng.randint(1, 2)):
                yield intel_sector, {"item_id": iid, "sector_id": sid}

    def events() -> Iterator[tuple[Any, dict[str, Any]]]:
        for n, created in enumerate(_moments(rng, now, YEAR, EVENTS)):
            eid = first["event"] + n
            yield (
                Event,
                {
                    "id": eid,
                    "name": f"Bench event {eid}",
                    "country_code": countries.pick(1, 1)[0],
                    "starts_on": (created + dt.timedelta(days=rng.randrange(7, 200))).date(),
                    "created_at": created,
                    "updated_at": created,
                },
            )
            yield event_sector, {"event_id": eid, "sector_id": rng.choice(sector_ids)}
            # Marks: members' own, and a partnership's set by a member (15 %); "going" for
            # 60 %; a fifth took their status (marked_at) after they were made.
            marked: set[int] = set()
            for _ in range(rng.randint(0, MARKS_PER_EVENT)):
                made = created + (now - created) * rng.random()
                holder = rng.choice(users)
                partnership = rng.choice(partnership_ids) if rng.random() < 0.15 else None
                if (partnership or -holder) in marked:
                    continue
                marked.add(partnership or -holder)
                yield (
                    Attendance,
                    {
                        "event_id": eid,
                        "user_id": None if partnership else holder,
                        "partnership_id": partnership,
                        "marked_by_id": holder if partnership else None,
                        "status": "going" if rng.random() < 0.6 else "interested",
                        "created_at": made,
                        "marked_at": made + (now - made) * rng.random()
                        if rng.random() < 0.2
                        else made,
                    },
                )

    def deliveries() -> Iterator[tuple[Any, dict[str, Any]]]:
        monday = (now - dt.timedelta(days=now.weekday())).replace(
            hour=7, minute=0, second=0, microsecond=0
        )
        made = 0
        weeks = -(-DELIVERIES // MEMBERS)
        for week in range(weeks, 0, -1):  # oldest first
            window_end = monday - dt.timedelta(weeks=week - 1)
            for uid in users:
                if made == DELIVERIES:
                    break
                roll = rng.random()
                status = "sent" if roll < 0.8 else "skipped" if roll < 0.97 else "failed"
                made += 1
                yield (
                    DigestDelivery,
                    {
                        "user_id": uid,
                        "period": window_end.date(),
                        "frequency": "weekly",
                        "status": status,
                        "window_start": window_end - dt.timedelta(weeks=1),
                        "window_end": window_end,
                        "message_id": f"<bench-{uid}-{week}@example.invalid>",
                        "counts": {},
                        "created_at": window_end,
                        "sent_at": window_end + dt.timedelta(seconds=rng.randrange(3600))
                        if status == "sent"
                        else None,
                    },
                )

    def searches() -> Iterator[tuple[Any, dict[str, Any]]]:
        span = dt.timedelta(days=SEARCH_DAYS)
        for logged_at in _moments(rng, now, span, SEARCHES):
            rank = int(QUERIES * rng.random() ** 3)
            filtered = rng.random() < 0.3
            yield (
                SearchLogEntry,
                {
                    "logged_at": logged_at,
                    "text": f"query {rank}",
                    "countries": countries.pick(1, 1)[0] if filtered else "",
                    "sectors": rng.choice(sector_slugs) if rng.random() < 0.1 else "",
                    "result_count": 0 if rank % 7 == 0 else 1 + rank % 40,
                    "signed_in": rng.random() < 0.6,
                    "via": "page" if rng.random() < 0.8 else "api",
                },
            )

    with Progress(console=console) as progress:
        writer = _Writer(factory, progress)
        writer.write("members", MEMBERS, members)
        writer.write("threads and posts", THREADS, discussions)
        writer.write("intelligence items", ITEMS, intelligence)
        writer.write("events", EVENTS, events)
        writer.write("digest deliveries", DELIVERIES, deliveries)
        writer.write("search log", SEARCHES, searches)
    with factory() as db:
        if db.get_bind().dialect.name == "postgresql":
            for table in ("user_account", "thread", "post", "intel_item", "event"):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            db.execute(text("ANALYZE"))
            db.commit()
        else:
            db.execute(text("ANALYZE"))
            db.commit()


def prepare(console: Console, postgres_url: str | None = None) -> tuple[Settings, Engine]:
    """The benchmark's database, migrated: reused when this week's is there, else made."""
    now = utcnow()
    data_dir = database_dir(now)
    ready = data_dir / "ready"
    if postgres_url:
        data_dir = data_dir.with_name(data_dir.name + "-pg")
        ready = data_dir / "ready"
    if not ready.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        settings = settings_for(data_dir, postgres_url)
        settings.ensure_data_dir()
        if postgres_url:
            _reset_postgres(postgres_url)
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        console.print(f"generating the analytics database in {data_dir} (reused this week)")
        generate(make_session_factory(engine), settings, console)
        engine.dispose()
        ready.write_text(f"version {VERSION}, made {now.isoformat()}\n")
    else:
        console.print(f"reusing the analytics database in {data_dir}")
    settings = settings_for(data_dir, postgres_url)
    upgrade(settings.resolved_database_url)  # later migrations (rollup tables) apply here
    return settings, make_engine(settings.resolved_database_url)


def _reset_postgres(url: str) -> None:
    """Empty the scratch database of FORUM_BENCH_POSTGRES_URL (its schema is dropped): only
    one whose name says it is a benchmark's."""
    if "bench" not in (make_url(url).database or ""):
        raise SystemExit(f"FORUM_BENCH_POSTGRES_URL: a database named *bench*, not {url}")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
