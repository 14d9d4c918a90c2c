"""analytics_focus_week: closed weeks' content per country and per sector, and the
unanswered discussions, with the triggers that keep them true; covering indexes for the
search log by filter and the digests sent

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 15:30:00.000000

Issue 23 (scale): with a country or a sector chosen, the content flow and the unanswered
count were counted live over the whole period. The job (forum/insights/focus_weekly.py)
now stores each closed week's figures per tag; these triggers delete a source's stored
week as soon as a row it counts, or a tag of one, is inserted, changed or deleted, so a
stored figure always equals the live count (the page counts that week live until the
job stores it again), as analytics_week's triggers do (0024).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (the columns whose change matters, None for any; [(source, the weeks it
# touches, as SQL over the row {r} with WEEK(x) the Monday of a timestamp)])
THREAD_WEEK = "SELECT WEEK(created_at) FROM thread WHERE id = {r}.thread_id"
REPLY_WEEKS = "SELECT WEEK(created_at) FROM post WHERE thread_id = {r}.thread_id"
ITEM_WEEK = "SELECT WEEK(added_at) FROM intel_item WHERE id = {r}.item_id"
WATCHED: dict[str, tuple[tuple[str, ...] | None, list[tuple[str, str]]]] = {
    "thread": (
        ("created_at", "kind", "hidden_at"),
        [("thread", "WEEK({r}.created_at)"), ("unanswered", "WEEK({r}.created_at)")],
    ),
    "post": (
        ("created_at", "is_opening", "thread_id"),
        [("post", "WEEK({r}.created_at)"), ("unanswered", THREAD_WEEK)],
    ),
    "thread_country": (
        None,
        [("thread", THREAD_WEEK), ("unanswered", THREAD_WEEK), ("post", REPLY_WEEKS)],
    ),
    "thread_sector": (
        None,
        [("thread", THREAD_WEEK), ("unanswered", THREAD_WEEK), ("post", REPLY_WEEKS)],
    ),
    "intel_item": (
        ("added_at", "feed_id"),
        [("intel_item", "WEEK({r}.added_at)"), ("intel_feed", "WEEK({r}.added_at)")],
    ),
    "intel_country": (None, [("intel_item", ITEM_WEEK), ("intel_feed", ITEM_WEEK)]),
    "intel_sector": (None, [("intel_item", ITEM_WEEK), ("intel_feed", ITEM_WEEK)]),
    "event": (("created_at", "country_code"), [("event", "WEEK({r}.created_at)")]),
    "event_sector": (
        None,
        [("event", "SELECT WEEK(created_at) FROM event WHERE id = {r}.event_id")],
    ),
}


MONDAY = {
    "postgresql": r"analytics_monday(\1)",
    # SQLite: the stored UTC text's day, back six days, then on to the next Monday (or stay)
    "sqlite": r"date(substr(\1, 1, 10), '-6 days', 'weekday 1')",
}


# Indexes that cover what the analytics read, replacing narrower ones: the search log of a
# focus read by its filter and time with every column it counts (no row looked up), and
# the members sent a digest counted from the index by time.
REPLACED = [
    (
        ("ix_search_log_countries_logged", "search_log", ["countries", "logged_at"]),
        (
            "ix_search_log_countries_cover",
            "search_log",
            ["countries", "logged_at", "result_count", "signed_in", "sectors", "text"],
        ),
    ),
    (
        ("ix_search_log_sectors_logged", "search_log", ["sectors", "logged_at"]),
        (
            "ix_search_log_sectors_cover",
            "search_log",
            ["sectors", "logged_at", "result_count", "signed_in", "countries", "text"],
        ),
    ),
    (
        ("ix_digest_delivery_sent_at", "digest_delivery", ["sent_at", "status"]),
        ("ix_digest_delivery_sent_user", "digest_delivery", ["sent_at", "status", "user_id"]),
    ),
]


def _deletes(table: str, row: str, dialect: str) -> str:
    out = []
    for source, weeks in WATCHED[table][1]:
        sql = re.sub(r"WEEK\(([^)]*)\)", MONDAY[dialect], weeks.format(r=row))
        out.append(
            f"DELETE FROM analytics_focus_week WHERE source = '{source}' AND week IN ({sql});"
        )
    return " ".join(out)


POSTGRES_MONDAY = """
CREATE FUNCTION analytics_monday(moment timestamptz) RETURNS date AS $$
    SELECT date_trunc('week', timezone('UTC', moment))::date
$$ LANGUAGE sql IMMUTABLE
"""


def _postgres(table: str) -> list[str]:
    name = f"analytics_focus_stale_{table}"
    columns, _ = WATCHED[table]
    of = f"OF {', '.join(columns)} " if columns else ""
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_deletes(table, 'OLD', 'postgresql')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_deletes(table, 'NEW', 'postgresql')} END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE {of}ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def _sqlite(table: str) -> list[str]:
    name = f"analytics_focus_stale_{table}"
    columns, _ = WATCHED[table]
    of = f"OF {', '.join(columns)} " if columns else ""
    old, new = _deletes(table, "OLD", "sqlite"), _deletes(table, "NEW", "sqlite")
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {new} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE {of}ON {table} BEGIN {old} {new} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {old} END",
    ]


def upgrade() -> None:
    op.create_table(
        "analytics_focus_week",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("focus", sa.String(length=60), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("figure", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "source", "focus", "week", "figure", name=op.f("pk_analytics_focus_week")
        ),
    )
    op.create_index(
        "ix_analytics_focus_week_source_week", "analytics_focus_week", ["source", "week"]
    )
    for (old, table, _), (name, _, columns) in REPLACED:
        op.create_index(name, table, columns)
        op.drop_index(old, table_name=table)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(POSTGRES_MONDAY)
    for table in WATCHED:
        for statement in _postgres(table) if postgres else _sqlite(table):
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        name = f"analytics_focus_stale_{table}"
        if postgres:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {name}_{event}")
    if postgres:
        op.execute("DROP FUNCTION analytics_monday(timestamptz)")
    op.drop_index("ix_analytics_focus_week_source_week", table_name="analytics_focus_week")
    op.drop_table("analytics_focus_week")
    for (old, table, columns), (name, _, _) in REPLACED:
        op.create_index(old, table, columns)
        op.drop_index(name, table_name=table)
