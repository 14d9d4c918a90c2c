"""The migrations match the models, on both databases, and run down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from forum import plugins
from forum.core.db import Base, make_engine
from forum.migrate import alembic_config, pending_revisions


def test_migrations_match_the_models(scratch_url: str) -> None:
    assert plugins.MODELS  # every table is known to Base.metadata
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: run `make migration`: {diff}"


def test_migrations_downgrade_to_empty_and_upgrade_again(scratch_url: str) -> None:
    config = alembic_config(scratch_url)
    command.downgrade(config, "base")
    engine = make_engine(scratch_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    current, heads = pending_revisions(engine)
    engine.dispose()
    assert current == heads
