"""The forum behind PgBouncer in session mode (docs/deploy.md, "PgBouncer"): pages, the
API, a worker pass with its job claims and leases, the search drain under its advisory
lock, and a migration plan all go through a real pgbouncer on a loopback port in front of
the test's PostgreSQL. Skipped where pgbouncer is not installed (.ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from forum.accounts.api_tokens import create_api_token
from forum.accounts.service import create_user
from forum.app import create_app
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction
from forum.discovery.drainer import Drainer
from forum.discovery.sync import close_search_engines
from forum.discussions.admin_service import seed_categories
from forum.migrate import plan_migration
from forum.runner import Runner
from forum.taxonomy.service import seed_sectors
from tests.conftest import TEST_SECRET, Backend

pytestmark = pytest.mark.slow

PGBOUNCER = shutil.which("pgbouncer") or next(
    (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if Path(p).exists()), None
)
READY_WITHIN = 15.0  # seconds for pgbouncer to accept connections


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Bouncer:
    """A pgbouncer in session mode on 127.0.0.1:port, in front of `upstream`."""

    def __init__(
        self, upstream_host: str, upstream_port: int, user: str, *, mode: str = "session"
    ) -> None:
        self.port = _free_port()
        self.user = user
        # pgbouncer refuses to run as root: it then switches to the postgres user, who
        # must read its files (pytest's own temporary folders are private to root).
        self.dir = Path(tempfile.mkdtemp(prefix="forum-pgbouncer-"))
        self.dir.chmod(0o755)
        (self.dir / "users.txt").write_text(f'"{user}" ""\n')
        lines = [
            "[databases]",
            f"* = host={upstream_host} port={upstream_port}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {self.dir / 'users.txt'}",
            f"pool_mode = {mode}",
            "max_client_conn = 200",
            "default_pool_size = 40",
            f"admin_users = {user}",
            "ignore_startup_parameters = extra_float_digits",
            f"logfile = {self.dir / 'pgbouncer.log'}",
            f"pidfile = {self.dir / 'pgbouncer.pid'}",
        ]
        if os.geteuid() == 0:
            lines.append("user = postgres")
        (self.dir / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        for path in self.dir.iterdir():
            path.chmod(0o644)
        self.dir.chmod(0o777)  # its log and pid files are written as that user

    def __enter__(self) -> Bouncer:
        assert PGBOUNCER
        self.process = subprocess.Popen(
            [PGBOUNCER, str(self.dir / "pgbouncer.ini")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + READY_WITHIN
        while not _accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                output, _ = self.process.communicate(timeout=10)
                log = self.dir / "pgbouncer.log"
                told = output.decode() + (log.read_text() if log.exists() else "")
                self.__exit__()
                pytest.fail(f"pgbouncer did not start: {told}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def through(self, url: str) -> str:
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    def server_connections(self, database: str) -> int:
        """How many connections to the server pgbouncer holds for `database` (its admin
        console's SHOW POOLS: active, idle and used ones)."""
        psql = shutil.which("psql")
        assert psql, "psql is installed with PostgreSQL"
        pools = subprocess.run(
            [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-A",
             "-F", "\t", "-d", "pgbouncer", "-c", "SHOW POOLS"],
            capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        header, *rows = pools.stdout.splitlines()
        names = header.split("\t")
        for row in rows:
            pool = dict(zip(names, row.split("\t"), strict=False))
            if pool.get("database") == database:
                return sum(int(pool[k]) for k in ("sv_active", "sv_idle", "sv_used"))
        return 0


@pytest.fixture
def bounced(backend: Backend, scratch_url: str) -> Iterator[tuple[str, Bouncer]]:
    if backend.name != "postgresql":
        pytest.skip("PgBouncer stands in front of PostgreSQL")
    if PGBOUNCER is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    url = make_url(scratch_url)
    with Bouncer(url.host or "127.0.0.1", url.port or 5432, url.username or "postgres") as b:
        yield b.through(scratch_url), b


def test_the_forum_works_behind_pgbouncer_in_session_mode(
    bounced: tuple[str, Bouncer], tmp_path: Path
) -> None:
    url, bouncer = bounced
    settings = Settings(
        data_dir=tmp_path, database_url=url, secret_key=TEST_SECRET,
        base_url="http://testserver", embedded_worker=False,
    )  # fmt: skip
    engine = make_engine(url, **settings.engine_options())
    factory = make_session_factory(engine)
    with transaction(factory) as db:
        seed_sectors(db)
        seed_categories(db)
        member = create_user(
            db, email="m@example.eu", name="Maria", password="long enough passphrase 42",
            verified=True,
        )  # fmt: skip
        member.onboarded_at = member.email_verified_at
        token, _ = create_api_token(db, member, name="pgbouncer")
    app = create_app(settings, engine=engine)
    try:
        with TestClient(app, base_url="http://testserver") as client:
            created = client.post(
                "/api/v1/threads",
                json={
                    "title": "Olive oil buyers in Osaka", "body": "Who met them?",
                    "category": "market-intelligence", "kind": "discussion", "countries": ["JP"],
                    "sectors": ["food"],
                },
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            assert created.status_code == 201, created.text
            page = client.get(f"/threads/{created.json()['id']}")
            assert page.status_code == 200
            assert "Olive oil buyers in Osaka" in page.text
            health = client.get("/healthz").json()
            assert health["database"] == {"ok": True, "dialect": "postgresql"}

            # A worker pass: its lease, the periodic tasks' claims, the job queue.
            runner = Runner(settings, factory, kind="worker")
            assert runner.run_once() > 0
            runner.release()
            # The drain runs under a session-level advisory lock (the drain lock).
            drained = Drainer(settings, factory).run_once()
            assert drained.rows >= 1
            found = client.get("/api/v1/search", params={"q": "Osaka olive"}).json()
            assert [hit["title"] for hit in found["hits"]] == ["Olive oil buyers in Osaka"]
    finally:
        close_search_engines()
        engine.dispose()
    # A downgrade's trial runs in a rolled-back transaction through the bouncer too.
    plan = plan_migration(url, "0019")
    assert plan.direction == "downgrade"
    # What the test wrote since 0019 (a digest click) is named among the losses.
    assert "digest_click" in [loss.name for loss in plan.losses]
    assert bouncer.server_connections(make_url(url).database or "") >= 1
