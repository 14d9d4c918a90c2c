"""Fault injection: the database becomes unreachable during a burst of requests.

The app (uvicorn in a thread, a real socket) reaches the test's PostgreSQL through a
loopback TCP proxy that the test cuts: the listener closes, every open connection is
torn down and new ones are refused. While it is cut, every request to a database-backed
page, its API twin and /healthz must answer 503 (the styled page or JSON) within a few
seconds, none hanging; once the proxy is back, the same app answers 200 again without a
restart. Never touches the shared server's own availability: only the proxy is cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import make_url

from forum.app import create_app
from forum.core.config import Settings
from forum.discovery.sync import close_search_engines
from tests.conftest import TEST_SECRET, Backend

pytestmark = pytest.mark.slow

BURST = 60  # requests while the database is unreachable
PER_REQUEST_TIMEOUT = 10.0  # httpx gives up after this: a hang fails the test
FAST_ENOUGH = 5.0  # seconds: every 503 must come sooner than this
PATHS = ("/partnerships", "/api/v1/partnerships", "/healthz")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CuttableProxy:
    """Forwards 127.0.0.1:port to the upstream server until cut()."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = _free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        # accept() polls: closing a socket does not wake a thread blocked in accept() on
        # Linux, and that thread would accept one more connection after the cut.
        listener.settimeout(0.05)
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def cut(self) -> None:
        """Refuse new connections and tear down every open one."""
        listener, self._listener = self._listener, None
        if listener:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        # Wait for the accept loop first: a connection it was still setting up is then
        # in the set below, not left forwarding after the cut.
        if self._accepting:
            self._accepting.join(timeout=10)
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # cut
            if self._listener is not listener:
                client.close()
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class ServerThread:
    def __init__(self, app: object) -> None:
        self.port = _free_port()
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def proxy(backend: Backend, scratch_url: str) -> Iterator[tuple[CuttableProxy, str]]:
    if backend.name != "postgresql":
        pytest.skip("the outage is simulated between the app and a PostgreSQL server")
    url = make_url(scratch_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy, through
    proxy.cut()


async def _burst(base: str, count: int) -> list[tuple[str, int | None, float, str]]:
    """(path, status or None when it timed out, seconds, content type) per request."""

    async def one(client: httpx.AsyncClient, path: str) -> tuple[str, int | None, float, str]:
        start = time.perf_counter()
        try:
            response = await client.get(path, headers={"accept": "text/html"})
        except httpx.TimeoutException:
            return path, None, time.perf_counter() - start, ""
        ctype = response.headers.get("content-type", "")
        return path, response.status_code, time.perf_counter() - start, ctype

    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(
        base_url=base, timeout=PER_REQUEST_TIMEOUT, limits=limits
    ) as client:
        return await asyncio.gather(*(one(client, PATHS[i % len(PATHS)]) for i in range(count)))


def test_requests_fail_fast_with_503_while_the_database_is_unreachable_then_recover(
    proxy: tuple[CuttableProxy, str], tmp_path: Path
) -> None:
    cuttable, url = proxy
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        embedded_worker=False,
    )
    app = create_app(settings)
    try:
        with ServerThread(app) as base:
            before = asyncio.run(_burst(base, 9))
            assert {status for _, status, _, _ in before} == {200}, before

            cuttable.cut()
            started = time.perf_counter()
            during = asyncio.run(_burst(base, BURST))
            took = time.perf_counter() - started
            hung = [r for r in during if r[1] is None]
            assert not hung, f"{len(hung)} requests hung past {PER_REQUEST_TIMEOUT} s"
            wrong = [r for r in during if r[1] != 503]
            assert not wrong, wrong
            slowest = max(seconds for _, _, seconds, _ in during)
            assert slowest < FAST_ENOUGH, f"slowest 503 took {slowest:.1f} s"
            for path, _, _, ctype in during:
                expected = "text/html" if path == "/partnerships" else "application/json"
                assert expected in ctype, (path, ctype)
            print(f"\n{BURST} requests while cut: all 503 in {took:.2f} s, slowest {slowest:.2f} s")

            cuttable.start()
            deadline = time.monotonic() + 10
            after: list[tuple[str, int | None, float, str]] = []
            while time.monotonic() < deadline:
                after = asyncio.run(_burst(base, 9))
                if {status for _, status, _, _ in after} == {200}:
                    break
                time.sleep(0.2)
            assert {status for _, status, _, _ in after} == {200}, after
    finally:
        app.state.engine.dispose()
        close_search_engines()
