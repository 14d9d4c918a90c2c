"""Keeping the search index in step with the database: the engine, draining the outbox, reindexing.

- `search_engine(settings)`: the process's engine, chosen by the settings (Meilisearch
  when FORUM_MEILI_URL is set, else the embedded tantivy index in the data dir; kept in
  engines.py).
- `drain_outbox()`: reads pending outbox rows in order, builds each document from the
  database's current state, hands the batch to the engine, and deletes the rows only
  once the engine took them (Meilisearch: its task accepted; a task later found failed
  is queued again, `engine.check_writes()`). An engine that is down raises SearchError
  and leaves the rows where they are: search lags, writes never fail. The loop that
  calls it, and the drain lease, are `forum.discovery.drainer`'s.
- `reindex()`: `forum search reindex`, a new index built beside the live one from the
  database, the outbox rows that arrived meanwhile replayed into it, then one switch.
- `search_status()`: `forum search status` and /healthz.

Drainers and a rebuild's final replay exclude each other through the *drain lock*
(a PostgreSQL advisory lock, or a file lock beside a SQLite database). The embedded index
takes one writer across processes, so with it a drainer loop also needs the
`search-drain` lease (renewed at a third of FORUM_LEASE_SECONDS): one process drains, the
others stand by and take over when its lease lapses. Meilisearch takes several writers;
the drain lock alone orders them. While a rebuild
runs, it holds the `search-rebuild` lease, and drainers mark the rows they applied
instead of deleting them: the rebuild replays every row still in the outbox, so no
change its snapshot read too early is lost in the switch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from forum.core import outbox
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import WorkerLease, acquire_lease, release_lease
from forum.core.outbox import SearchOutbox
from forum.discovery.documents import (
    build_documents,
    candidate_bounds,
    count_candidates,
    iter_all_documents,
)

# The process's engine (engines.py), named here too for the modules that import it from here.
from forum.discovery.engines import close_search_engines as close_search_engines
from forum.discovery.engines import make_search_engine as make_search_engine
from forum.discovery.engines import search_engine as search_engine
from search.engine import SearchEngine, SearchError, parse_doc_id

log = logging.getLogger(__name__)

DRAIN_BATCH = 500
REBUILD_LEASE = "search-rebuild"
REBUILD_LEASE_TTL = dt.timedelta(minutes=2)
# A fixed key for pg_advisory_lock: "forum search drain".
_PG_LOCK_KEY = 0x5EA4C4D4


def read_only(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions that only read: on SQLite they must not take the write lock (the writer
    factory begins IMMEDIATE), or a reindex would block every write while it reads."""
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        return sessionmaker(
            bind=bind.execution_options(sqlite_immediate=False), expire_on_commit=False
        )
    return factory


# --- the drain lock -----------------------------------------------------------------


def _bind(factory: sessionmaker[Session]) -> Engine | Connection:
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine | Connection):
        raise TypeError(f"the session factory must be bound to an engine, got {bind!r}")
    return bind


@contextlib.contextmanager
def drain_lock(factory: sessionmaker[Session], settings: Settings, *, wait: bool) -> Iterator[bool]:
    """Hold the drain lock for the block; yields False when `wait` is off and it is taken."""
    bind = _bind(factory)
    if bind.dialect.name == "postgresql":
        with contextlib.ExitStack() as stack:
            conn = (
                bind
                if isinstance(bind, Connection)
                else stack.enter_context(
                    bind.execution_options(isolation_level="AUTOCOMMIT").connect()
                )
            )
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
                got = True
            else:
                got = bool(
                    conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
                )
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
        return
    # SQLite lives on one host: a file lock beside the index serves every process there.
    path = Path(settings.search_dir)
    path.mkdir(parents=True, exist_ok=True)
    with (path / ".drain.lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- draining ---------------------------------------------------------------------------


@dataclass
class DrainResult:
    upserted: int = 0
    deleted: int = 0
    rows: int = 0
    skipped_locked: bool = False

    def __bool__(self) -> bool:
        return bool(self.rows)


def _rebuild_running(session: Session) -> bool:
    live = select(WorkerLease.name).where(
        WorkerLease.name == REBUILD_LEASE, WorkerLease.expires_at > utcnow()
    )
    return session.scalar(live) is not None


def _apply(session: Session, engine: SearchEngine, doc_ids: list[str]) -> tuple[int, int]:
    """Build the documents of `doc_ids` now and send them; answers (upserted, deleted)."""
    docs = build_documents(session, doc_ids)
    upserts = [doc for doc in docs.values() if doc is not None]
    deletes = [doc_id for doc_id, doc in docs.items() if doc is None]
    session.rollback()  # end the read before talking to the engine
    if upserts:
        engine.upsert(upserts)
    if deletes:
        engine.delete(deletes)
    return len(upserts), len(deletes)


def drain_outbox(
    factory: sessionmaker[Session],
    engine: SearchEngine,
    settings: Settings,
    *,
    batch: int = DRAIN_BATCH,
    max_batches: int | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> DrainResult:
    """Apply pending outbox rows to the engine, oldest first, `batch` rows at a time.

    Raises SearchError when the engine fails; the rows of the failed batch stay. Rows
    naming no valid document are dropped with a warning (they could never apply).
    Returns at once, with `skipped_locked`, when another drainer holds the lock.
    `keep_going` is asked before each batch (the drainer renews its lease there) and
    stops the drain when it answers False.
    """
    result = DrainResult()
    with drain_lock(factory, settings, wait=False) as got:
        if not got:
            result.skipped_locked = True
            return result
        # Writes the engine accepted earlier and then failed (Meilisearch tasks): queued
        # again, one GET for all of them; the engine never waits for its tasks here.
        _requeue(factory, engine.check_writes())
        done = 0
        reader = read_only(factory)
        while (max_batches is None or done < max_batches) and keep_going():
            with reader() as session:
                rows = session.execute(
                    select(SearchOutbox.id, SearchOutbox.doc_id)
                    .where(SearchOutbox.applied_at.is_(None))
                    .order_by(SearchOutbox.id)
                    .limit(batch)
                ).all()
                if not rows:
                    session.rollback()
                    break
                valid: list[str] = []
                for _, doc_id in rows:
                    try:
                        parse_doc_id(doc_id)
                    except ValueError:
                        log.warning("search outbox: dropping invalid document id %r", doc_id)
                    else:
                        valid.append(doc_id)
                up, down = _apply(session, engine, list(dict.fromkeys(valid)))
            row_ids = [row_id for row_id, _ in rows]
            with factory() as session:
                # Checked in the same transaction as the delete: a rebuild that started
                # before it commits needs these rows for its replay.
                if _rebuild_running(session):
                    session.execute(
                        update(SearchOutbox)
                        .where(SearchOutbox.id.in_(row_ids))
                        .values(applied_at=utcnow())
                    )
                else:
                    session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids)))
                session.commit()
            result.upserted += up
            result.deleted += down
            result.rows += len(rows)
            done += 1
    return result


def _requeue(factory: sessionmaker[Session], doc_ids: list[str]) -> None:
    if not doc_ids:
        return
    log.warning("search: %d documents whose engine task failed are queued again", len(doc_ids))
    with factory() as session:
        for doc_id in dict.fromkeys(doc_ids):
            outbox.queue_document(session, doc_id)
        session.commit()


def has_pending(session: Session) -> bool:
    return (
        session.scalar(select(SearchOutbox.id).where(SearchOutbox.applied_at.is_(None)).limit(1))
        is not None
    )


# --- reindexing ---------------------------------------------------------------------------


@dataclass
class ReindexResult:
    documents: int = 0
    replayed: int = 0
    seconds: float = 0.0
    stats: dict[str, object] = field(default_factory=dict)


def reindex(
    factory: sessionmaker[Session],
    engine: SearchEngine,
    settings: Settings,
    *,
    on_total: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda done: None,
    batch: int = 1000,
) -> ReindexResult:
    """Rebuild the whole index from the database, then switch to it atomically.

    Searches use the live index until the switch; drainers keep applying changes to it
    meanwhile. Raises SearchError when the engine fails (the live index is untouched)
    or when another rebuild is running.
    """
    started = time.perf_counter()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with factory() as session:
        if not acquire_lease(
            session, name=REBUILD_LEASE, kind="rebuild", holder=holder, ttl=REBUILD_LEASE_TTL
        ):
            session.rollback()
            raise SearchError("another `forum search reindex` is running")
        session.commit()
    result = ReindexResult()
    target = None
    try:
        target = engine.start_rebuild()
        reader = read_only(factory)
        with reader() as session:
            # The walk stops at today's highest ids (later rows come through the outbox
            # replay), so the bar's total holds; it only grows if a row committed late
            # under a lower id turns up, and it ends equal to the rows looked at.
            bounds = candidate_bounds(session)
            total = count_candidates(session, upto=bounds)
            session.rollback()
        on_total(total)
        done = 0
        last_renewal = time.monotonic()
        with reader() as session:
            for looked_at, docs in iter_all_documents(session, batch=batch, upto=bounds):
                target.upsert(docs)
                result.documents += len(docs)
                done += looked_at
                if done > total:
                    total = done
                    on_total(total)
                on_progress(done)
                if time.monotonic() - last_renewal > REBUILD_LEASE_TTL.total_seconds() / 4:
                    _renew(factory, holder)
                    last_renewal = time.monotonic()
            session.rollback()
        if total != done:
            on_total(done)  # rows deleted during the walk: the bar ends full
        # Meilisearch applies the rebuild's writes later: wait for them before taking the
        # drain lock, so the drainers keep their pace while it indexes.
        target.settle()
        _renew(factory, holder)
        with drain_lock(factory, settings, wait=True):
            with reader() as session:
                rows = session.execute(
                    select(SearchOutbox.id, SearchOutbox.doc_id).order_by(SearchOutbox.id)
                ).all()
                doc_ids = []
                for _, doc_id in rows:
                    with contextlib.suppress(ValueError):
                        parse_doc_id(doc_id)
                        doc_ids.append(doc_id)
                up, down = _apply(session, target, list(dict.fromkeys(doc_ids)))
                result.replayed = up + down
            engine.finish_rebuild(target)
            target = None
            with factory() as session:
                # The new index holds every replayed row's document as it was read under
                # the lock, so exactly those rows are done; later ones stay for the drainer.
                replayed = [row_id for row_id, _ in rows]
                for start in range(0, len(replayed), 1000):
                    chunk = replayed[start : start + 1000]
                    session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(chunk)))
                release_lease(session, name=REBUILD_LEASE, holder=holder)
                session.commit()
    except BaseException:
        if target is not None:
            with contextlib.suppress(Exception):
                target.close()
        with contextlib.suppress(Exception), factory() as session:
            release_lease(session, name=REBUILD_LEASE, holder=holder)
            session.commit()
        raise
    result.seconds = time.perf_counter() - started
    result.stats = engine.stats()
    return result


def _renew(factory: sessionmaker[Session], holder: str) -> None:
    with factory() as session:
        acquire_lease(
            session, name=REBUILD_LEASE, kind="rebuild", holder=holder, ttl=REBUILD_LEASE_TTL
        )
        session.commit()


# --- status -----------------------------------------------------------------------------------


def outbox_state(session: Session) -> dict[str, Any]:
    """How far the index is behind: pending rows and the age of the oldest, in seconds."""
    depth, oldest = session.execute(
        select(func.count(), func.min(SearchOutbox.created_at)).where(
            SearchOutbox.applied_at.is_(None)
        )
    ).one()
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = round(max(0.0, (utcnow() - oldest).total_seconds()), 1)
    return {"outbox_depth": depth or 0, "oldest_pending_seconds": age}


def search_status(session: Session, settings: Settings, *, deep: bool = True) -> dict[str, Any]:
    """The engine, its document count, and the outbox: what `forum search status` prints.

    `deep=False` (/healthz) asks the engine only its cheap health check (Meilisearch:
    one GET /health, which needs no key; no document count). Never raises: an engine
    that cannot answer is reported with its error.
    """
    state: dict[str, Any] = {"engine": settings.search_engine_name, "ok": True}
    state.update(outbox_state(session))
    state["rebuilding"] = _rebuild_running(session)
    engine = search_engine(settings)
    try:
        stats = engine.stats() if deep else engine.health()
    except SearchError as exc:
        state["ok"] = False
        state["error"] = str(exc)
    else:
        state["documents"] = stats.get("documents")
        if stats.get("ok") is False:
            state["ok"] = False
            state["error"] = "the search engine says it is not available"
    return state
