"""Connections per process: the pool comes from the settings, and a web process admits
only as many requests as its pool serves, so a burst of slow requests waits for a place
instead of timing out on the pool."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from forum.app import create_app
from forum.core.admission import AdmissionMiddleware
from forum.core.config import EMBEDDED_RUNNER_CONNECTIONS, WEB_BACKGROUND_CONNECTIONS, Settings
from forum.core.db import SQLITE_POOL_SIZE, make_engine

PG = "postgresql+psycopg://forum@db.internal/forum"


def test_the_postgresql_pool_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUM_DB_POOL_SIZE", "6")
    monkeypatch.setenv("FORUM_DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("FORUM_DB_POOL_TIMEOUT", "2.5")
    settings = Settings(database_url=PG)
    assert settings.engine_options() == {"pool_size": 6, "max_overflow": 3, "pool_timeout": 2.5}
    engine = make_engine(settings.resolved_database_url, **settings.engine_options())
    try:
        assert engine.pool.size() == 6  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 3  # type: ignore[attr-defined]
        assert engine.pool._timeout == 2.5  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    assert settings.db_connections_per_process == 9


def test_request_slots_leave_room_for_the_web_process_own_threads(tmp_path: Path) -> None:
    embedded = Settings(database_url=PG, db_pool_size=10, db_max_overflow=5)
    assert embedded.request_slots == 15 - WEB_BACKGROUND_CONNECTIONS - EMBEDDED_RUNNER_CONNECTIONS
    alone = Settings(database_url=PG, db_pool_size=10, db_max_overflow=5, embedded_worker=False)
    assert alone.request_slots == 15 - WEB_BACKGROUND_CONNECTIONS
    assert Settings(database_url=PG, db_pool_size=1, db_max_overflow=0).request_slots == 2
    assert Settings(data_dir=tmp_path).request_slots == SQLITE_POOL_SIZE
    # SQLite has no pool to size: its engine is given the page cache's bound only.
    assert Settings(data_dir=tmp_path).engine_options() == {"sqlite_cache_kib": 2000}


def test_the_app_sizes_its_thread_pool_to_its_request_slots(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(data_dir=tmp_path, secret_key="k" * 40, embedded_worker=False)
    app = create_app(settings, check_migrations=False)
    with TestClient(app) as client:
        client.get("/static/does-not-exist.css")  # past the door: the pool is untouched
        client.get("/nowhere-at-all")

        def tokens() -> float:
            return anyio.to_thread.current_default_thread_limiter().total_tokens

        assert client.portal is not None
        assert client.portal.call(tokens) == settings.request_slots


def _slow_request(engine: Engine) -> ASGIApp:
    """A request as the forum's are: its first query in a dependency's thread, its
    handler in another thread, the connection held between the two hops."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        conn = await anyio.to_thread.run_sync(engine.connect)
        try:

            def handler() -> None:
                conn.execute(text("SELECT 1"))
                time.sleep(0.05)  # a slow page

            await anyio.to_thread.run_sync(handler)
        finally:
            await anyio.to_thread.run_sync(conn.close)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return asgi


def _burst(asgi: ASGIApp, requests: int, *, threads: int) -> tuple[int, int]:
    """(answered, timed out on the pool) for `requests` sent at once."""
    outcomes: list[bool] = []

    async def main() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def one() -> None:
                try:
                    response = await client.get("/thread/1")
                    outcomes.append(response.status_code == 200)
                except PoolTimeout:
                    outcomes.append(False)

            async with anyio.create_task_group() as group:
                for _ in range(requests):
                    group.start_soon(one)

    anyio.run(main)
    return outcomes.count(True), outcomes.count(False)


@pytest.fixture
def small_pool(scratch_url: str) -> Iterator[Callable[[], Engine]]:
    engines: list[Engine] = []

    def make() -> Engine:
        engine = make_engine(scratch_url, pool_size=3, max_overflow=0, pool_timeout=0.5)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def test_a_burst_of_slow_requests_waits_for_a_place_instead_of_timing_out_on_the_pool(
    small_pool: Callable[[], Engine],
) -> None:
    admitted = AdmissionMiddleware(_slow_request(small_pool()), slots=3)
    assert _burst(admitted, 24, threads=3) == (24, 0)
    # The same burst with only the thread pool matched: requests holding a connection
    # wait for a thread while the threads wait for a connection, until the pool's timeout.
    _answered, timed_out = _burst(_slow_request(small_pool()), 24, threads=3)
    assert timed_out > 0
