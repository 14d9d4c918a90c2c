"""Harvesting feeds: claim the due ones, fetch them side by side, store each one's entries.

Harvesting one feed: fetch it with its ETag and Last-Modified (`fetch.py`: SSRF guard,
caps, one deadline), parse it (`parse.py`) and store its new entries
(`harvest_store.py`, which says how entries become items and how failures back off).

`harvest_due` gives each feed its own transactions and holds none while it fetches and
parses, so a slow server never holds SQLite's write lock. Feeds are claimed by moving
`next_fetch_at` forward in one conditional UPDATE, so the worker and `forum import
feeds` never harvest the same feed at once. Several feeds are fetched side by side,
each within its own deadline, so a slow one holds up no other; with four feeds or
more, a helper process parses them while this one stores (`harvest_helper.py`).
The feeds themselves are kept in `feed_admin.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from forum.core.db import utcnow
from forum.intelligence.feed_admin import DEFAULT_INTERVAL
from forum.intelligence.fetch import fetch_feed
from forum.intelligence.fetch_deadline import DEFAULT_DEADLINE, FetchFailed, FetchTimedOut
from forum.intelligence.fetch_guard import FetchRefused, private_feeds_allowed
from forum.intelligence.harvest_helper import Reader, start_helper
from forum.intelligence.harvest_store import (
    STATUS_ERROR,
    STATUS_NOT_MODIFIED,
    STATUS_OK,
    STATUS_REFUSED,
    STATUS_TIMED_OUT,
    Fetched,
    HarvestResult,
    apply_fetch,
    read_entries,
    record_failure,
)
from forum.intelligence.models import Feed

log = logging.getLogger(__name__)

# How many feeds are fetched at once by default (FORUM_HARVEST_CONCURRENCY).
DEFAULT_CONCURRENCY = 4
# From this many feeds on, a helper process parses what the fetching threads bring.
PARALLEL_MIN_FEEDS = 4
# Results are stored in the run's order, unless the feed whose turn it is has been
# fetching this long while later ones are ready: then those go first.
IN_ORDER_PATIENCE = 0.5  # seconds


@cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every fetch: building one reads the CA bundle,
    which costs more than fetching a small feed (~0.1 s)."""
    return httpx.create_ssl_context()


def _fetch(
    url: str,
    etag: str | None,
    last_modified: str | None,
    *,
    allow_private: bool,
    transport: httpx.BaseTransport | None,
    deadline: float = DEFAULT_DEADLINE,
    read: Reader = read_entries,
) -> Fetched:
    """Fetch (within `deadline` seconds) and `read` one feed; never raises."""
    try:
        result = fetch_feed(
            url, etag=etag, last_modified=last_modified, allow_private=allow_private,
            timeout=deadline, transport=transport,
            ssl_context=_tls_context() if transport is None else None,
        )  # fmt: skip
        if result.status == 304:
            return Fetched(result, STATUS_NOT_MODIFIED)
        entries = read(result.body or b"", result.final_url)
    except FetchRefused as exc:
        return Fetched(None, STATUS_REFUSED, f"refused: {exc}")
    except FetchTimedOut as exc:
        return Fetched(None, STATUS_TIMED_OUT, str(exc))
    except FetchFailed as exc:
        return Fetched(None, STATUS_ERROR, str(exc))
    except Exception as exc:  # a broken feed must never stop the others
        log.exception("unexpected error fetching %s", url)
        return Fetched(None, STATUS_ERROR, f"{type(exc).__name__}: {exc}")
    if isinstance(entries, str):
        return Fetched(None, STATUS_ERROR, entries)
    return Fetched(result, STATUS_OK, entries=entries)


def harvest_feed(
    db: Session,
    feed: Feed,
    *,
    allow_private: bool,
    now: dt.datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> HarvestResult:
    """Fetch and store one feed in the caller's transaction (flushes, never commits).

    The fetch happens inside that transaction: callers that must not hold a write
    lock meanwhile (the worker) use `harvest_due`.
    """
    started = now or utcnow()
    fetched = _fetch(feed.url, feed.etag, feed.last_modified, allow_private=allow_private,
                     transport=transport, deadline=deadline)  # fmt: skip
    return apply_fetch(db, feed, fetched, now or utcnow(), started_at=started)


# --- harvesting due feeds, one transaction at a time -----------------------------------------


def due_feed_ids(db: Session, *, now: dt.datetime | None = None) -> list[int]:
    """Enabled feeds whose next harvest time has come (never harvested: at once)."""
    now = now or utcnow()
    return list(
        db.scalars(
            select(Feed.id)
            .where(
                Feed.enabled.is_(True), or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now)
            )
            .order_by(Feed.next_fetch_at.asc().nulls_first(), Feed.id)
        )
    )


def enabled_feed_ids(db: Session) -> list[int]:
    return list(db.scalars(select(Feed.id).where(Feed.enabled.is_(True)).order_by(Feed.id)))


def _claim(db: Session, feed_id: int, now: dt.datetime, *, force: bool) -> Feed | None:
    """Take this feed's harvest, moving its next time on; None when another took it
    (or, unless forced, when it is not due or not enabled any more)."""
    feed = db.get(Feed, feed_id)
    if feed is None:
        return None
    stmt = update(Feed).where(Feed.id == feed_id)
    if not force:
        stmt = stmt.where(
            Feed.enabled.is_(True), or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now)
        )
    lease = now + dt.timedelta(minutes=feed.interval_minutes or DEFAULT_INTERVAL)
    claimed = db.execute(
        stmt.values(next_fetch_at=lease).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not claimed:
        return None
    db.refresh(feed)
    return feed


@dataclass(frozen=True)
class _Claimed:
    """What a fetch needs of a claimed feed, read in the claim's short transaction."""

    feed_id: int
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    claimed_at: dt.datetime  # when the harvest began (its run's `started_at`)


def _claim_for_fetch(
    factory: sessionmaker[Session], feed_id: int, now: dt.datetime, *, force: bool
) -> _Claimed | None:
    with factory() as db:
        feed = _claim(db, feed_id, now, force=force)
        if feed is None:
            db.rollback()
            return None
        claimed = _Claimed(feed.id, feed.name, feed.url, feed.etag, feed.last_modified, now)
        db.commit()
    return claimed


def _store_fetched(
    factory: sessionmaker[Session], claimed: _Claimed, fetched: Fetched, now: dt.datetime
) -> HarvestResult | None:
    """Store one fetch in its own transaction; a failure is rolled back and recorded."""
    with factory() as db:
        try:
            feed = db.get(Feed, claimed.feed_id)
            if feed is None:  # deleted meanwhile
                db.rollback()
                return None
            result = apply_fetch(db, feed, fetched, now, started_at=claimed.claimed_at)
            db.commit()
            return result
        except Exception as exc:
            db.rollback()
            log.exception("storing the harvest of feed %s failed", claimed.feed_id)
            error = f"{type(exc).__name__}: {exc}"
            feed = db.get(Feed, claimed.feed_id)
            if feed is None:
                return HarvestResult(claimed.feed_id, claimed.name, STATUS_ERROR, error=error)
            failure = record_failure(
                db, feed, now, STATUS_ERROR, error, started_at=claimed.claimed_at
            )
            db.commit()
            return failure


def harvest_one(
    factory: sessionmaker[Session],
    feed_id: int,
    *,
    allow_private: bool,
    force: bool = False,
    now: dt.datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> HarvestResult | None:
    """Claim, fetch and parse (outside any transaction), then store one feed.

    None when the feed was not claimed (another harvester has it, or it is not due).
    """
    claimed = _claim_for_fetch(factory, feed_id, now or utcnow(), force=force)
    if claimed is None:
        return None
    fetched = _fetch(claimed.url, claimed.etag, claimed.last_modified,
                     allow_private=allow_private, transport=transport,
                     deadline=deadline)  # fmt: skip
    return _store_fetched(factory, claimed, fetched, now or utcnow())


@dataclass(frozen=True)
class _InFlight:
    claimed: _Claimed
    future: Future[Fetched]
    started: float  # time.monotonic()


def _next_ready(in_flight: deque[_InFlight]) -> _InFlight:
    """The next fetch to store: the oldest, unless it has been running for
    IN_ORDER_PATIENCE while a later one is done (then the first such). Blocks."""
    while True:
        head = in_flight[0]
        if head.future.done():
            return head
        later = next((f for f in in_flight if f.future.done()), None)
        patience = head.started + IN_ORDER_PATIENCE - time.monotonic()
        if later is not None and patience <= 0:
            return later
        if later is not None:
            wait([head.future], timeout=patience)
        else:
            wait([f.future for f in in_flight], return_when=FIRST_COMPLETED)


def _harvest_side_by_side(
    factory: sessionmaker[Session],
    feed_ids: Sequence[int],
    *,
    allow_private: bool,
    force: bool,
    now: dt.datetime | None,
    transport: httpx.BaseTransport | None,
    deadline: float,
    concurrency: int,
    helper: bool,
) -> Iterator[HarvestResult]:
    """Fetch up to `concurrency` feeds at once in threads, store them here one by one.

    Each fetch has its own deadline, so a slow or hostile server holds up its own
    feed and no other. Claims and stores stay in this thread (one database writer;
    the session factory may be bound to one connection). With `helper`, a helper
    process parses what the threads fetched (`harvest_helper.py`).
    """
    remaining = iter(feed_ids)
    in_flight: deque[_InFlight] = deque()
    with ExitStack() as stack:
        threads = stack.enter_context(
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="harvest")
        )
        read: Reader = start_helper(stack) if helper else read_entries

        def fill() -> None:
            # Every fetch in flight has a thread: none waits in the pool's queue, so
            # `started` is when its deadline began.
            while len(in_flight) < concurrency:
                claimed = next(
                    (c for feed_id in remaining
                     if (c := _claim_for_fetch(factory, feed_id, now or utcnow(),
                                               force=force)) is not None),
                    None,
                )  # fmt: skip
                if claimed is None:
                    return
                future = threads.submit(
                    _fetch, claimed.url, claimed.etag, claimed.last_modified,
                    allow_private=allow_private, transport=transport, deadline=deadline,
                    read=read,
                )  # fmt: skip
                in_flight.append(_InFlight(claimed, future, time.monotonic()))

        try:
            fill()
            while in_flight:
                ready = _next_ready(in_flight)
                in_flight.remove(ready)
                fill()  # the next fetch runs while this one is stored
                try:
                    fetched = ready.future.result()
                except Exception as exc:  # _fetch catches everything; this is a last guard
                    log.exception("fetching feed %s failed", ready.claimed.feed_id)
                    fetched = Fetched(None, STATUS_ERROR, f"{type(exc).__name__}: {exc}")
                result = _store_fetched(factory, ready.claimed, fetched, now or utcnow())
                if result is not None:
                    yield result
        finally:
            for waiting in in_flight:
                waiting.future.cancel()


def harvest_due(
    factory: sessionmaker[Session],
    *,
    feed_ids: Sequence[int] | None = None,
    force: bool = False,
    allow_private: bool | None = None,
    now: dt.datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    on_result: Callable[[HarvestResult], None] | None = None,
    parallel: bool = True,
    deadline: float = DEFAULT_DEADLINE,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[HarvestResult]:
    """Harvest the due feeds (or `feed_ids`; `force` ignores due times and `enabled`).

    Each feed has its own transactions; a failing feed is recorded and the others go
    on. `allow_private` defaults to FORUM_ALLOW_PRIVATE_FEEDS. Each fetch gives up
    after `deadline` seconds (FORUM_FETCH_DEADLINE) and up to `concurrency` feeds
    (FORUM_HARVEST_CONCURRENCY) are fetched at once, so a slow feed delays the others
    by nothing (or, when `concurrency` slow ones fill every place, by one deadline).
    From PARALLEL_MIN_FEEDS feeds on (unless `parallel` is False or a test transport is
    given), a helper process parses them. `on_result` is called as each feed is stored.
    """
    allow = private_feeds_allowed() if allow_private is None else allow_private
    if feed_ids is None:
        with factory() as db:
            feed_ids = due_feed_ids(db, now=now)
            db.rollback()
    results: list[HarvestResult] = []
    if len(feed_ids) > 1:
        helper = parallel and transport is None and len(feed_ids) >= PARALLEL_MIN_FEEDS
        harvested: Iterable[HarvestResult] = _harvest_side_by_side(
            factory, feed_ids, allow_private=allow, force=force, now=now, transport=transport,
            deadline=deadline, concurrency=max(1, concurrency), helper=helper,
        )  # fmt: skip
    else:
        harvested = (
            result
            for feed_id in feed_ids
            if (result := harvest_one(factory, feed_id, allow_private=allow, force=force,
                                      now=now, transport=transport,
                                      deadline=deadline)) is not None
        )  # fmt: skip
    for result in harvested:
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
