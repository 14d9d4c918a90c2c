"""The migrations match the models, on both databases, and run down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_the_bidi_migration_removes_the_controls_from_existing_rows_and_keeps_arabic(
    scratch_url: str,
) -> None:
    config = alembic_config(scratch_url)
    command.downgrade(config, "0012")
    engine = make_engine(scratch_url)
    arabic = "تقرير \u200fعن السوق \u061c2024"
    insert = text(
        "INSERT INTO sector (slug, name, description, report_label, position) "
        "VALUES (:slug, :name, '', :label, 0)"
    )
    with engine.begin() as connection:
        connection.execute(insert, {"slug": "a", "name": "Food \u202eeciffo", "label": arabic})
        every = "a\u2066b\u2067c\u2068d\u2069e\u202af\u202bg\u202ch\u202di"
        connection.execute(insert, {"slug": "b", "name": every, "label": None})
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, report_label FROM sector ORDER BY slug"))
        assert [tuple(row) for row in rows] == [("Food eciffo", arabic), ("abcdefghi", None)]
    engine.dispose()
