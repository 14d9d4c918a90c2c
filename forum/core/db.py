"""The data layer's plumbing: engine, sessions, the declarative Base, column types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations name the same thing on SQLite
# and PostgreSQL and batch ALTERs on SQLite can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 5000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and returns naive values; PostgreSQL's timestamptz
    returns aware ones. This type makes both answer the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


# Connections kept open to an SQLite file: AnyIO's default number of worker threads.
SQLITE_POOL_SIZE = 40
# PostgreSQL's pool per process unless the settings say otherwise (FORUM_DB_POOL_SIZE,
# FORUM_DB_MAX_OVERFLOW, FORUM_DB_POOL_TIMEOUT): 12 connections at most, so two web
# processes and two workers hold 48 of the server's default 100.
PG_POOL_SIZE = 8
PG_MAX_OVERFLOW = 4
PG_POOL_TIMEOUT = 5.0
_POOL_ARGUMENTS = ("pool_size", "max_overflow", "pool_timeout", "pool_use_lifo")


# Each SQLite connection's page cache, KiB at most: SQLite's own default. It is the
# process's memory, and a web process keeps up to SQLITE_POOL_SIZE connections
# (FORUM_SQLITE_CACHE_KIB; docs/deploy.md, "Memory").
SQLITE_CACHE_KIB = 2000


def _sqlite_pragmas(cache_kib: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin:
        # the module's own handling breaks SAVEPOINT and reads outside transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")  # negative: KiB, not pages
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads, then writes after another connection
    # committed, fails at once with SQLITE_BUSY (its snapshot is stale; the busy
    # timeout cannot help). Writers therefore begin IMMEDIATE: they wait for the
    # write lock up front, and readers never block them in WAL mode.
    if conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(
    url: str, *, pool: bool = True, sqlite_cache_kib: int = SQLITE_CACHE_KIB, **kwargs: Any
) -> Engine:
    """An engine for `url` with the forum's settings for its dialect.

    SQLite gets WAL, foreign keys, a busy timeout and a page cache of `sqlite_cache_kib`
    KiB on every connection, and
    may be used from the threadpool that runs request handlers. PostgreSQL gets a
    pool of `pool_size` (+ `max_overflow`) unless given (`Settings.engine_options()`).
    Without `pool`, every connection is closed when returned and pool arguments are
    ignored.
    """
    if not pool:
        for name in _POOL_ARGUMENTS:
            kwargs.pop(name, None)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {})["check_same_thread"] = False
        if pool and ":memory:" not in url and url.rstrip("/") != "sqlite:":
            # Keep a connection for each request thread (AnyIO runs up to 40): one
            # past the pool would be opened and closed per request, its page cache
            # cold, which halved the thread page's req/s under 8 concurrent clients.
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
            # The connection returned last is handed out next: a light load keeps
            # reusing a few warm connections instead of cycling through all forty
            # (each with a page cache of its own: +137 MiB RSS at 1M documents).
            kwargs.setdefault("pool_use_lifo", True)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        # Fail fast when the server is unreachable instead of hanging a request.
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", 3)
        # A server that vanishes mid-connection (a network partition, a dead host: no
        # RST ever comes) is given up within about 30 s rather than the kernel's ~15
        # minutes of retransmissions: unacknowledged data times out, idle pooled
        # connections are probed.
        connect_args.setdefault("tcp_user_timeout", 30_000)
        connect_args.setdefault("keepalives", 1)
        connect_args.setdefault("keepalives_idle", 30)
        connect_args.setdefault("keepalives_interval", 10)
        connect_args.setdefault("keepalives_count", 3)
        if pool:
            kwargs.setdefault("pool_size", PG_POOL_SIZE)
            kwargs.setdefault("max_overflow", PG_MAX_OVERFLOW)
            kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT)
    if not pool:
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_cache_kib))
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def make_session_factory(engine: Engine, *, writer: bool = True) -> sessionmaker[Session]:
    """Sessions on `engine`. Writer sessions take SQLite's write lock when they begin;
    read-mostly ones (GET requests) do not. On PostgreSQL both are the same."""
    bind = engine.execution_options(sqlite_immediate=True) if writer else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def best_effort(session: Session, write: Callable[[], object] | None = None) -> bool:
    """Run `write` (statements on `session`; none: what is pending) and commit, unless
    `write` answers False; answers whether it committed. For the writes a safe request
    may lose (a last-seen time, a reading state, a log row): a GET's transaction reads
    before it writes, and on SQLite a writer that commits in between makes the write
    fail at once ("database is locked", a stale snapshot that waiting cannot cure). The
    request goes on from a fresh transaction instead of failing."""
    try:
        if write is not None and write() is False:
            return False
        session.commit()
    except OperationalError:
        session.rollback()
        return False
    return True


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back otherwise."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
