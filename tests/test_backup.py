"""`forum backup` / `forum restore`: a round trip with the demo data and an upload, on
SQLite and (when FORUM_TEST_POSTGRES_URL is set and pg_dump is on PATH) PostgreSQL; a
corrupt backup and a non-empty target are refused with a non-zero exit code."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from forum.backup import BOOKKEEPING_TABLES
from forum.cli import app
from forum.core.config import Settings
from forum.core.db import make_engine
from forum.discovery.sync import close_search_engines, search_engine
from search.engine import SearchQuery
from tests.conftest import Backend, DemoTemplate, _pg_admin

# Tables the restore's reindex writes to (its lease, the outbox it replays): not data.
NOT_COMPARED = BOOKKEEPING_TABLES | {"search_outbox"}


@dataclass
class Instance:
    data_dir: Path
    url: str

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in list(os.environ):
            if name.startswith("FORUM_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("FORUM_DATA_DIR", str(self.data_dir))
        monkeypatch.setenv("FORUM_DATABASE_URL", self.url)

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.url)


@pytest.fixture
def source(backend: Backend, demo_template: DemoTemplate, tmp_path: Path) -> Iterator[Instance]:
    """An instance of its own holding the demo data, its uploads and one more binary file."""
    data_dir = tmp_path / "source"
    shutil.copytree(demo_template.data_dir / "uploads", data_dir / "uploads")
    (data_dir / "uploads" / "ab").mkdir(exist_ok=True)
    (data_dir / "uploads" / "ab" / "blob.bin").write_bytes(bytes(range(256)) * 40)
    if backend.name == "sqlite":
        path = data_dir / "forum.sqlite3"
        src = sqlite3.connect(make_url(str(demo_template.engine.url)).database or "")
        dst = sqlite3.connect(path)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        yield Instance(data_dir, f"sqlite:///{path}")
        return
    template = demo_template.engine.url.database
    name = f"forum_backup_{uuid.uuid4().hex[:10]}"
    demo_template.engine.dispose()  # a template database must have no connections
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield Instance(
            data_dir, demo_template.engine.url.set(database=name).render_as_string(False)
        )
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def target(backend: Backend, scratch_url: str, tmp_path: Path) -> Instance:
    """An empty instance: no database file on SQLite, a migrated empty one on PostgreSQL."""
    data_dir = tmp_path / "target"
    if backend.name == "sqlite":
        return Instance(data_dir, f"sqlite:///{data_dir / 'forum.sqlite3'}")
    return Instance(data_dir, scratch_url)


@pytest.fixture(autouse=True)
def _pg_tools(backend: Backend) -> None:
    if backend.name == "postgresql":
        missing = [t for t in ("pg_dump", "pg_restore") if not shutil.which(t)]
        if missing:
            pytest.skip(f"PostgreSQL round trip needs {', '.join(missing)} on PATH")


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    close_search_engines()


def forum(monkeypatch: pytest.MonkeyPatch, instance: Instance, *args: str) -> tuple[int, str]:
    instance.env(monkeypatch)
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output + (result.stderr or "")


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = make_engine(url, pool=False)
    try:
        with engine.connect() as conn:
            names = sorted(set(inspect(conn).get_table_names()) - NOT_COMPARED)
            return {
                name: sorted(
                    (
                        tuple(row)
                        for row in conn.execute(select(text("*")).select_from(table(name)))
                    ),
                    key=repr,
                )
                for name in names
            }
    finally:
        engine.dispose()


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_backup_and_restore_round_trip(
    monkeypatch: pytest.MonkeyPatch, source: Instance, target: Instance, tmp_path: Path
) -> None:
    backup_dir = tmp_path / "backup"
    code, out = forum(monkeypatch, source, "backup", str(backup_dir))
    assert code == 0, out
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["dialect"] == make_url(source.url).get_backend_name()
    assert manifest["alembic_revision"]
    listed = {f["path"] for f in manifest["files"]}
    assert "uploads/ab/blob.bin" in listed
    assert "secret_key" in listed  # generated into the source's data dir
    assert not any(p.startswith(("search", "outbox")) for p in listed)

    code, out = forum(monkeypatch, target, "restore", str(backup_dir))
    assert code == 0, out
    assert "search index rebuilt" in out

    assert snapshot(target.url) == snapshot(source.url)
    assert files(target.data_dir / "uploads") == files(source.data_dir / "uploads")
    key = (source.data_dir / "secret_key").read_text()
    assert (target.data_dir / "secret_key").read_text() == key
    # The index was rebuilt from the restored database: the report's content is found.
    engine = search_engine(target.settings)
    found = engine.search(SearchQuery(text="cluster"))
    assert found.total > 0
    assert engine.stats()["documents"] == search_engine(target.settings).stats()["documents"]


def test_restore_refuses_a_corrupt_backup(
    monkeypatch: pytest.MonkeyPatch, source: Instance, target: Instance, tmp_path: Path
) -> None:
    backup_dir = tmp_path / "backup"
    assert forum(monkeypatch, source, "backup", str(backup_dir))[0] == 0
    blob = backup_dir / "uploads" / "ab" / "blob.bin"
    damaged = bytearray(blob.read_bytes())
    damaged[100] ^= 0xFF
    blob.write_bytes(bytes(damaged))
    code, out = forum(monkeypatch, target, "restore", str(backup_dir))
    assert code == 1
    assert "corrupt" in out and "uploads/ab/blob.bin" in out
    assert not (target.data_dir / "uploads").exists()

    code, out = forum(monkeypatch, target, "restore", str(tmp_path / "nowhere"))
    assert code == 1
    assert "not a directory" in out
    (backup_dir / "manifest.json").unlink()
    code, out = forum(monkeypatch, target, "restore", str(backup_dir))
    assert code == 1
    assert "not a forum backup" in out


def test_restore_refuses_a_database_with_data_unless_forced(
    monkeypatch: pytest.MonkeyPatch, source: Instance, tmp_path: Path
) -> None:
    backup_dir = tmp_path / "backup"
    assert forum(monkeypatch, source, "backup", str(backup_dir))[0] == 0
    code, out = forum(monkeypatch, source, "restore", str(backup_dir))
    assert code == 1
    assert "not empty" in out and "--force" in out
    code, out = forum(monkeypatch, source, "backup", str(backup_dir))
    assert code == 1
    assert "not empty" in out
    before = snapshot(source.url)
    code, out = forum(monkeypatch, source, "restore", "--force", str(backup_dir))
    assert code == 0, out
    assert snapshot(source.url) == before
