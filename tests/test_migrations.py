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


def test_the_specific_migration_marks_existing_broad_and_global_items(scratch_url: str) -> None:
    config = alembic_config(scratch_url)
    command.downgrade(config, "0014")
    engine = make_engine(scratch_url)
    codes = ["JP", "KR", "CN", "US", "CA", "BR"]
    with engine.begin() as connection:
        for position in range(6):
            connection.execute(
                text(
                    "INSERT INTO sector (slug, name, description, position) "
                    "VALUES (:slug, :slug, '', :position)"
                ),
                {"slug": f"s{position}", "position": position},
            )
        sector_ids = list(connection.scalars(text("SELECT id FROM sector ORDER BY id")))
        # (title, countries, sectors, global)
        for title, countries, sectors, is_global in [
            ("five", codes[:5], sector_ids[:5], False),
            ("six countries", codes, sector_ids[:1], False),
            ("six sectors", codes[:1], sector_ids, False),
            ("global", [], [], True),
        ]:
            item_id = connection.scalar(
                text(
                    "INSERT INTO intel_item (title, summary, body, body_html, kind, also_from,"
                    " added_at, is_global, status, updated_at) VALUES (:title, '', '', '',"
                    " 'news', '[]', :now, :is_global, 'published', :now) RETURNING id"
                ),
                {"title": title, "is_global": is_global, "now": "2026-12-01 00:00:00"},
            )
            for code in countries:
                connection.execute(
                    text("INSERT INTO intel_country (item_id, country_code) VALUES (:i, :c)"),
                    {"i": item_id, "c": code},
                )
            for sector_id in sectors:
                connection.execute(
                    text("INSERT INTO intel_sector (item_id, sector_id) VALUES (:i, :s)"),
                    {"i": item_id, "s": sector_id},
                )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT title, specific FROM intel_item ORDER BY title"))
        assert {title: bool(specific) for title, specific in rows} == {
            "five": True, "global": False, "six countries": False, "six sectors": False,
        }  # fmt: skip
    engine.dispose()


def test_the_reading_state_migration_keeps_every_row_that_points_at_a_member(
    scratch_url: str,
) -> None:
    """0016 adds and drops a column of user_account in place: rebuilding that table (a
    batch) would cascade to sessions, memberships and follows on SQLite."""
    config = alembic_config(scratch_url)
    engine = make_engine(scratch_url)
    with engine.begin() as connection:
        user_id = connection.scalar(
            text(
                "INSERT INTO user_account (email, name, role, bio, timezone, language,"
                " digest_frequency, digest_weekday, digest_hour, created_at)"
                " VALUES ('m@example.eu', 'M', 'member', '', 'UTC', 'en', 'weekly', 0, 7,"
                " :now) RETURNING id"
            ),
            {"now": "2026-12-01 00:00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO follow (user_id, target_type, target, created_at)"
                " VALUES (:u, 'country', 'JP', :now)"
            ),
            {"u": user_id, "now": "2026-12-01 00:00:00"},
        )
    command.downgrade(config, "0015")
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM follow")) == 1
        assert connection.scalar(text("SELECT count(*) FROM user_account")) == 1
    engine.dispose()


def test_downgrades_drop_columns_in_place_and_keep_every_row(scratch_url: str) -> None:
    """0014, 0015, 0016 and 0018 drop a column on the way down. On SQLite a batch would
    rebuild the table and, foreign keys on, delete what points at it (posts with their
    thread, tags with their item, saved searches with their member): every row stays."""
    config = alembic_config(scratch_url)
    engine = make_engine(scratch_url)
    now = {"now": "2026-12-01 00:00:00"}
    statements = [
        "INSERT INTO user_account (id, email, name, role, bio, timezone, language,"
        " digest_frequency, digest_weekday, digest_hour, created_at)"
        " VALUES (1, 'm@example.eu', 'M', 'member', '', 'UTC', 'en', 'weekly', 0, 7, :now)",
        "INSERT INTO category (id, slug, name, description, position, visibility)"
        " VALUES (1, 'c', 'C', '', 0, 'public')",
        "INSERT INTO thread (id, category_id, kind, title, pinned, locked, created_at,"
        " last_activity_at, reply_count, view_count)"
        " VALUES (1, 1, 'discussion', 'T', false, false, :now, :now, 0, 0)",
        "INSERT INTO post (id, thread_id, path, depth, is_opening, body, body_html, created_at)"
        " VALUES (1, 1, '0001', 0, true, 'B', '<p>B</p>', :now)",
        "INSERT INTO intel_item (id, title, summary, body, body_html, kind, also_from,"
        " added_at, is_global, status, updated_at)"
        " VALUES (1, 'I', '', '', '', 'news', '[]', :now, false, 'published', :now)",
        "INSERT INTO intel_country (item_id, country_code) VALUES (1, 'JP')",
        "INSERT INTO saved_search (id, user_id, name, query, created_at)"
        " VALUES (1, 1, 'S', 'q=olive', :now)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), now)
    tables = ("user_account", "thread", "post", "intel_item", "intel_country", "saved_search")

    def counts() -> dict[str, int]:
        with engine.connect() as connection:
            return {t: connection.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in tables}

    assert counts() == dict.fromkeys(tables, 1)
    command.downgrade(config, "0013")
    assert counts() == dict.fromkeys(tables, 1)
    command.upgrade(config, "head")
    assert counts() == dict.fromkeys(tables, 1)
    engine.dispose()
