"""The data layer's promises: aware UTC datetimes, SQLite writers that do not trip over each other."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from forum.core.db import SQLITE_POOL_SIZE, make_engine, make_session_factory, utcnow
from forum.core.jobs import Job, enqueue
from tests.conftest import Backend


def test_datetimes_come_back_aware_in_utc(scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)
    brussels = dt.timezone(dt.timedelta(hours=1))
    when = dt.datetime(2019, 5, 1, 9, 30, tzinfo=brussels)
    with factory() as session:
        job = enqueue(session, "x", run_after=when)
        session.commit()
        job_id = job.id
    with factory() as session:
        stored = session.get(Job, job_id)
        assert stored is not None
        assert stored.run_after.tzinfo is not None
        assert stored.run_after == when
        assert stored.run_after.utcoffset() == dt.timedelta(0)
    engine.dispose()


def test_a_naive_datetime_is_refused(scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    with make_session_factory(engine)() as session:
        session.add(Job(kind="x", run_after=dt.datetime(2019, 5, 1)))  # noqa: DTZ001
        with pytest.raises(Exception, match="naive datetime"):
            session.flush()
    engine.dispose()


def test_sqlite_writer_sessions_survive_a_concurrent_commit(scratch_url: str) -> None:
    """A deferred reader that later writes fails after another commit; writers don't."""
    engine = make_engine(scratch_url)
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no such hazard")
    with make_session_factory(engine)() as session:
        enqueue(session, "seed", {})
        session.commit()

    def read_then_write(factory_writer: bool) -> None:
        factory = make_session_factory(engine, writer=factory_writer)
        with factory() as first:
            first.scalars(select(Job)).all()  # a read starts the transaction
            done = threading.Event()

            def other_writer() -> None:
                with make_session_factory(engine)() as second:
                    enqueue(second, "other", {})
                    second.commit()
                done.set()

            thread = threading.Thread(target=other_writer)
            thread.start()
            if factory_writer:
                # The other writer waits for our lock; we finish first, then it commits.
                enqueue(first, "mine", {})
                first.commit()
                thread.join(timeout=10)
                assert done.is_set()
            else:
                thread.join(timeout=10)
                assert done.is_set()
                enqueue(first, "mine", {})
                first.commit()

    with pytest.raises(OperationalError, match="locked"):
        read_then_write(factory_writer=False)
    read_then_write(factory_writer=True)
    with engine.connect() as conn:
        kinds = sorted(conn.execute(text("select kind from job")).scalars())
    assert kinds.count("mine") == 1
    engine.dispose()
    assert utcnow().tzinfo is dt.UTC


def test_an_sqlite_file_keeps_a_connection_for_each_request_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        held = [engine.connect() for _ in range(SQLITE_POOL_SIZE)]
        for conn in held:
            conn.close()
        assert engine.pool.checkedin() == SQLITE_POOL_SIZE, "none was closed on return"
        with engine.connect() as conn:
            last = conn.connection.driver_connection
        with engine.connect() as conn:
            assert conn.connection.driver_connection is last, "the warmest one comes next"
    finally:
        engine.dispose()


def test_postgresql_connections_give_up_on_a_silent_server(backend: Backend) -> None:
    if backend.name != "postgresql":
        pytest.skip("TCP keepalives and the user timeout are libpq settings")
    engine = make_engine(backend.fresh())
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            parameters = raw.info.get_parameters()  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    assert parameters["tcp_user_timeout"] == "30000"
    assert parameters["keepalives"] == "1"
    assert parameters["connect_timeout"] == "3"


def test_each_sqlite_connection_keeps_the_page_cache_the_settings_allow(tmp_path: Path) -> None:
    from forum.core.config import Settings
    from forum.core.db import SQLITE_CACHE_KIB

    assert Settings(data_dir=tmp_path).engine_options() == {"sqlite_cache_kib": SQLITE_CACHE_KIB}
    settings = Settings(data_dir=tmp_path, sqlite_cache_kib=512)
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA cache_size")).scalar() == -512
    finally:
        engine.dispose()
    default = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        with default.connect() as conn:
            assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    finally:
        default.dispose()
