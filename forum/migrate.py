"""Alembic, driven from the forum's settings: upgrades, downgrades that say what they
would drop (and refuse to drop rows unless forced), and the up-to-date check."""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, column, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from forum.core.db import make_engine

# The repository's root (where forum.core.web.ROOT points too), found without importing
# the web layer: `forum` commands that only check the schema need no FastAPI.
MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


VERSION_TABLE = "alembic_version"
# A trial downgrade on PostgreSQL waits this long for a table's lock, then gives up: the
# forum's processes are still using it.
TRIAL_LOCK_TIMEOUT = "10s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires


class NotMigratedError(RuntimeError):
    pass


class MigrateError(RuntimeError):
    """A migration that cannot be planned: an unknown revision, a database the code does
    not know. The message says what to do."""


@dataclass(frozen=True)
class Loss:
    """What a downgrade drops: a table (`column` None) or a column, and its rows (for a
    column, the rows where it holds a value)."""

    table: str
    column: str | None
    rows: int

    @property
    def name(self) -> str:
        return self.table if self.column is None else f"{self.table}.{self.column}"


@dataclass(frozen=True)
class MigrationPlan:
    """Where the database is, where it is going, and what going there drops."""

    current: str | None  # None: no schema yet (or downgraded to base)
    target: str | None
    direction: str  # "upgrade", "downgrade" or "none"
    # The revisions to apply (upgrade) or to undo (downgrade), in the order they run.
    revisions: list[str] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)

    @property
    def data_lost(self) -> list[Loss]:
        """The drops that take rows with them: a downgrade refuses them unless forced."""
        return [loss for loss in self.losses if loss.rows]


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def _revision_id(script: ScriptDirectory, target: str) -> str | None:
    """`target` as a full revision id: "head", "base" (None) or an id or its prefix."""
    if target == "base":
        return None
    if target == "head":
        return script.get_current_head()
    try:
        found = script.get_revision(target)
    except CommandError as exc:
        found = None
        reason = str(exc)
    else:
        reason = ""
    if found is None:
        known = [rev.revision for rev in script.walk_revisions()]
        raise MigrateError(
            f"unknown revision {target!r}{f' ({reason})' if reason else ''}: "
            f"known revisions are {', '.join(reversed(known))}, head and base"
        )
    return found.revision


def _current_revision(engine: Engine, script: ScriptDirectory) -> str | None:
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    if len(heads) > 1:
        raise MigrateError(f"the database has several revisions ({', '.join(heads)})")
    current = heads[0] if heads else None
    if current is not None:
        try:
            known = script.get_revision(current) is not None
        except CommandError:
            known = False
        if not known:
            raise MigrateError(
                f"the database is at revision {current}, which this version of the forum "
                "does not know: a newer version migrated it. Go down with that version's "
                "`forum migrate --to`, or restore the backup taken before its upgrade"
            )
    return current


def plan_migration(database_url: str, target: str = "head") -> MigrationPlan:
    """What `migrate(database_url, target)` would do, and for a downgrade what it drops.

    The drops are found by running the downgrade for real where it cannot stay: on a copy
    of an SQLite file, or inside a PostgreSQL transaction that is rolled back. Raises
    MigrateError for a revision the code does not know.
    """
    script = ScriptDirectory.from_config(alembic_config(database_url))
    wanted = _revision_id(script, target)
    engine = make_engine(database_url, pool=False)
    try:
        current = _current_revision(engine, script)
        if wanted == current:
            return MigrationPlan(current, wanted, "none")
        ancestors = _ancestors(script, current) if current else set()
        if current is not None and (wanted is None or wanted in ancestors):
            kept = _ancestors(script, wanted) if wanted else set()
            undone = [
                rev.revision
                for rev in script.walk_revisions("base", current)
                if rev.revision not in kept
            ]
            losses = _losses(engine, database_url, wanted)
            return MigrationPlan(current, wanted, "downgrade", undone, losses)
        assert wanted is not None, "base is below every revision"
        applied = [
            rev.revision
            for rev in script.walk_revisions("base", wanted)
            if rev.revision not in ancestors
        ]
        return MigrationPlan(current, wanted, "upgrade", list(reversed(applied)))
    finally:
        engine.dispose()


def _ancestors(script: ScriptDirectory, revision: str) -> set[str]:
    """`revision` and every revision before it."""
    return {rev.revision for rev in script.walk_revisions("base", revision)}


def migrate(database_url: str, plan: MigrationPlan) -> None:
    """Carry out `plan` (from `plan_migration`): the caller decided it may lose data."""
    config = alembic_config(database_url)
    if plan.direction == "upgrade":
        command.upgrade(config, plan.target or "base")
    elif plan.direction == "downgrade":
        command.downgrade(config, plan.target or "base")


# --- what a downgrade drops ------------------------------------------------------------------

Schema = dict[str, set[str]]


def _schema(conn: Connection) -> Schema:
    inspector = inspect(conn)
    return {
        name: {col["name"] for col in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != VERSION_TABLE
    }


def _losses(engine: Engine, database_url: str, target: str | None) -> list[Loss]:
    """The tables and columns that going down to `target` drops, with their rows."""
    with engine.connect() as conn:
        before = _schema(conn)
    after = _trial_downgrade(engine, database_url, target)
    losses: list[Loss] = []
    with engine.connect() as conn:
        for name in sorted(before.keys() - after.keys()):
            rows = conn.scalar(select(func.count()).select_from(table(name)))
            losses.append(Loss(name, None, rows or 0))
        for name in sorted(before.keys() & after.keys()):
            for col in sorted(before[name] - after[name]):
                rows = conn.scalar(select(func.count(column(col))).select_from(table(name)))
                losses.append(Loss(name, col, rows or 0))
    return losses


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    # The trial's "Running downgrade ..." lines would read as if it had gone down.
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _trial_downgrade(engine: Engine, database_url: str, target: str | None) -> Schema:
    """The schema the downgrade to `target` leaves, the database itself untouched."""
    with _quiet_alembic():
        return _trial(engine, database_url, target)


def _trial(engine: Engine, database_url: str, target: str | None) -> Schema:
    if engine.dialect.name == "sqlite":
        source = make_url(database_url).database
        if not source or source == ":memory:":
            raise MigrateError("an in-memory SQLite database cannot be downgraded safely")
        # Beside the database: the copy is as large, and /tmp may be small.
        with tempfile.TemporaryDirectory(dir=Path(source).parent, prefix=".forum-trial-") as tmp:
            copy = Path(tmp) / "trial.sqlite3"
            src, dst = sqlite3.connect(source), sqlite3.connect(copy)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
            copy_url = f"sqlite:///{copy}"
            command.downgrade(alembic_config(copy_url), target or "base")
            trial = make_engine(copy_url, pool=False)
            try:
                with trial.connect() as conn:
                    return _schema(conn)
            finally:
                trial.dispose()
    # PostgreSQL's DDL is transactional: go down inside a transaction, look, roll back.
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.execute(text(f"SET LOCAL lock_timeout = '{TRIAL_LOCK_TIMEOUT}'"))
            config = alembic_config(database_url)
            config.attributes["connection"] = conn
            try:
                command.downgrade(config, target or "base")
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
                raise MigrateError(
                    f"a table to drop stayed in use for {TRIAL_LOCK_TIMEOUT}: stop every "
                    "`forum serve` and `forum worker` before going down"
                ) from exc
            return _schema(conn)
        finally:
            transaction.rollback()


def pending_revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """(current revisions of the database, head revisions of the code)."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current, set(script.get_heads())


def require_migrated(engine: Engine) -> None:
    """Raise NotMigratedError, naming `forum migrate`, unless the database is at head."""
    current, heads = pending_revisions(engine)
    if current != heads:
        state = ", ".join(sorted(current)) or "empty"
        raise NotMigratedError(
            f"the database is not migrated (at {state}, code expects {', '.join(sorted(heads))}): "
            "run `forum migrate` first"
        )


def new_revision(message: str) -> None:
    """Autogenerate a revision from the models against a scratch SQLite database at head."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/migration.sqlite3"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "new":
        sys.exit('usage: python -m forum.migrate new "what changed"')
    new_revision(sys.argv[2])
