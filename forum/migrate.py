"""Alembic, driven from the forum's settings: upgrade, and the up-to-date check."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from forum.core.web import ROOT

MIGRATIONS_DIR = ROOT / "migrations"


class NotMigratedError(RuntimeError):
    pass


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


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
