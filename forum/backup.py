"""`forum backup DIR` / `forum restore DIR`: the database, the uploads and the secret key.

A backup directory holds:

- `database.sqlite3` (SQLite's online backup API: a consistent copy while the app runs)
  or `database.pgdump` (`pg_dump --format=custom`);
- `uploads/`, the members' files as they are on disk;
- `secret_key`, when the key was generated into the data dir (not when it comes from
  FORUM_SECRET_KEY: the environment is the operator's to keep);
- `manifest.json`: the forum's version, the schema's Alembic revision, the dialect, the
  time, and every file with its size and SHA-256.

Never the search index (restore rebuilds it from the database) nor the mail outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import make_url

from forum.core.config import SECRET_KEY_FILE, Settings
from forum.core.db import make_engine
from forum.migrate import alembic_config, upgrade

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS = "uploads"
# Tables a migrated but unused database already has rows in, or that only hold the
# processes' bookkeeping: they do not make a database "non-empty".
BOOKKEEPING_TABLES = {
    "alembic_version",
    "intel_revision",
    "worker_lease",
    "periodic_task",
    "throttle_event",
}

Step = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Manifest:
    version: str
    alembic_revision: str | None
    dialect: str
    created_at: str
    files: list[dict[str, object]] = field(default_factory=list)
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"


def _version() -> str:
    try:
        return metadata.version("cluster-forum")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore, with the password moved to PGPASSWORD
    (a command line is visible to every user of the host)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"`{name}` is not on PATH: install the PostgreSQL client tools "
            "(the same major version as the server or newer)"
        )
    return path


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup(settings: Settings, target: Path, step: Step = lambda _msg: None) -> Manifest:
    """Write a backup of this instance into `target` (created; must be empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new or empty directory")
    target.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    engine = make_engine(url, pool=False)
    try:
        revision = current_revision(engine)
        dialect = engine.dialect.name
    finally:
        engine.dispose()
    if revision is None:
        raise BackupError("the database has no schema: nothing to back up (run `forum migrate`?)")
    if dialect == "sqlite":
        source = Path(make_url(url).database or "")
        step(f"database: SQLite online backup of {source}")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target / SQLITE_FILE)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    elif dialect == "postgresql":
        pg_dump = _pg_tool("pg_dump")
        step("database: pg_dump --format=custom")
        libpq_url, env = _libpq(url)
        cmd = [pg_dump, "--format=custom", "--no-owner", "--file", str(target / PG_FILE)]
        _run([*cmd, "--dbname", libpq_url], env, "pg_dump")
    else:
        raise BackupError(f"backing up a {dialect} database is not supported")
    uploads = settings.uploads_dir
    if uploads.is_dir():
        step(f"uploads: copying {uploads}")
        shutil.copytree(uploads, target / UPLOADS, symlinks=False)
    key = settings.data_dir / SECRET_KEY_FILE
    if key.is_file():
        step("secret key: copying the generated key file")
        shutil.copy2(key, target / SECRET_KEY_FILE)
        os.chmod(target / SECRET_KEY_FILE, 0o600)
    step("manifest: checksums")
    manifest = Manifest(
        version=_version(),
        alembic_revision=revision,
        dialect=dialect,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    for path in _files_under(target):
        manifest.files.append(
            {
                "path": path.relative_to(target).as_posix(),
                "bytes": path.stat().st_size,
                "sha256": sha256_of(path),
            }
        )
    (target / MANIFEST).write_text(manifest.to_json())
    return manifest


def read_manifest(source: Path) -> Manifest:
    """The backup's manifest, after checking every file it lists against its checksum."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory")
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not a forum backup")
    try:
        raw = json.loads(path.read_text())
        manifest = Manifest(**raw)
    except (ValueError, TypeError) as exc:
        raise BackupError(f"{path} is damaged: {exc}") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"backup format {manifest.format} is not known (expected {FORMAT})")
    for entry in manifest.files:
        rel = str(entry.get("path", ""))
        file = (source / rel).resolve()
        if not file.is_relative_to(source.resolve()):
            raise BackupError(f"the manifest names a file outside the backup: {rel}")
        if not file.is_file():
            raise BackupError(f"the backup is incomplete: {rel} is missing")
        if sha256_of(file) != entry.get("sha256"):
            raise BackupError(f"the backup is corrupt: {rel} does not match its checksum")
    names = {str(e["path"]) for e in manifest.files}
    wanted = SQLITE_FILE if manifest.dialect == "sqlite" else PG_FILE
    if wanted not in names:
        raise BackupError(f"the backup is incomplete: the manifest lists no {wanted}")
    return manifest


def has_data(engine: Engine) -> bool:
    """Whether the database holds anything besides a migrated schema's bookkeeping."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        for name in names:
            if name in BOOKKEEPING_TABLES:
                continue
            if conn.execute(select(func.count()).select_from(table(name))).scalar():
                return True
    return False


def restore(
    settings: Settings, source: Path, *, force: bool = False, step: Step = lambda _msg: None
) -> Manifest:
    """Put a backup back: database, uploads, key; migrate to head. The caller rebuilds
    the search index afterwards."""
    step("manifest: checking checksums")
    manifest = read_manifest(source)
    url = settings.resolved_database_url
    dialect = make_url(url).get_backend_name()
    if dialect != manifest.dialect:
        raise BackupError(
            f"the backup is of a {manifest.dialect} database; FORUM_DATABASE_URL is {dialect}"
        )
    script = ScriptDirectory.from_config(alembic_config(url))
    for rev in (manifest.alembic_revision or "").split(","):
        try:
            known = bool(rev) and script.get_revision(rev) is not None
        except Exception:  # alembic raises on an unknown revision
            known = False
        if not known:
            raise BackupError(
                f"the backup's schema revision {rev!r} is unknown to this version "
                f"({manifest.version} made it): restore with that version or a newer one"
            )
    engine = make_engine(url, pool=False)
    try:
        if dialect == "sqlite":
            path = Path(make_url(url).database or "")
            occupied = path.is_file() and path.stat().st_size > 0 and has_data(engine)
        else:
            occupied = has_data(engine)
    except Exception as exc:
        raise BackupError(f"the target database cannot be read: {exc}") from exc
    finally:
        engine.dispose()
    if occupied and not force:
        raise BackupError(
            "the target database is not empty: restore into an empty one, "
            "or pass --force to replace what it holds"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if dialect == "sqlite":
        path = Path(make_url(url).database or "")
        step(f"database: copying into {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".restoring")
        shutil.copyfile(source / SQLITE_FILE, tmp)
        for suffix in ("-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(tmp, path)
    else:
        pg_restore = _pg_tool("pg_restore")
        step("database: pg_restore --clean --if-exists")
        libpq_url, env = _libpq(url)
        cmd = [pg_restore, "--clean", "--if-exists", "--no-owner", "--exit-on-error"]
        _run([*cmd, "--dbname", libpq_url, str(source / PG_FILE)], env, "pg_restore")
    uploads = settings.uploads_dir
    if (source / UPLOADS).is_dir():
        step(f"uploads: copying into {uploads}")
        if uploads.exists():
            shutil.rmtree(uploads)
        shutil.copytree(source / UPLOADS, uploads)
    if (source / SECRET_KEY_FILE).is_file():
        key = settings.data_dir / SECRET_KEY_FILE
        if settings.secret_key and not settings.secret_key_is_generated:
            step("secret key: FORUM_SECRET_KEY is set, the backup's key file is not used")
        else:
            step("secret key: restoring the key file")
            shutil.copyfile(source / SECRET_KEY_FILE, key)
            os.chmod(key, 0o600)
            settings.secret_key = key.read_text().strip()
    step(f"schema: migrating from {manifest.alembic_revision} to head")
    upgrade(url)
    return manifest
