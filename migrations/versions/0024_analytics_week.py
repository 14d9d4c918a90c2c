"""analytics_week, analytics_query_week: the analytics' weekly rollups, the triggers
that keep them true, the indexes their live counts read

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 12:00:00.000000

Issue 23 (scale): the job in forum/insights/jobs.py stores the figures of closed weeks in
analytics_week. A row of a counted table inserted, changed (in a column a figure depends
on) or deleted deletes the stored figures of its table for the week(s) it falls in, so a
stored figure always equals the live count: the page counts that week live until the job
stores it again. Weeks run Monday to Sunday in UTC, as forum/insights/weekly.py counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (its timestamps a figure is counted by, the columns a figure depends on)
WATCHED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "user_account": (("created_at", "email_verified_at"), ("created_at", "email_verified_at")),
    "membership": (("decided_at",), ("decided_at", "status")),
    "post": (("created_at",), ("created_at", "author_id", "is_opening")),
    "thread": (("created_at",), ("created_at", "kind")),
    "intel_item": (("added_at",), ("added_at", "feed_id")),
    "event": (("created_at",), ("created_at",)),
    "digest_delivery": (("sent_at", "window_end"), ("sent_at", "window_end", "status")),
    "inbound_message": (("received_at",), ("received_at", "status")),
    "search_log": (("logged_at",), ("logged_at", "result_count", "signed_in")),
}

# The indexes the live counts of a week (and the job) read, covering what they count.
INDEXES = [
    ("ix_post_created_author", "post", ["created_at", "author_id", "is_opening"]),
    ("ix_post_thread_created", "post", ["thread_id", "created_at", "is_opening"]),
    ("ix_thread_created_kind", "thread", ["created_at", "kind", "hidden_at"]),
    ("ix_intel_item_added_feed", "intel_item", ["added_at", "feed_id"]),
    ("ix_event_created_at", "event", ["created_at"]),
    ("ix_digest_delivery_sent_at", "digest_delivery", ["sent_at", "status"]),
    ("ix_digest_delivery_window_end", "digest_delivery", ["window_end", "status"]),
    ("ix_search_log_logged_counts", "search_log", ["logged_at", "result_count", "signed_in"]),
    ("ix_search_log_query", "search_log", ["text", "countries", "logged_at", "result_count"]),
]

# The search log's ranked tables (analytics_query_week) go stale with it too.
POSTGRES_FUNCTION = """
CREATE FUNCTION analytics_week_stale() RETURNS trigger AS $$
DECLARE
    col text;
    stale date;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            stale := date_trunc('week', timezone('UTC', (to_jsonb(OLD) ->> col)::timestamptz));
            DELETE FROM analytics_week WHERE source = TG_TABLE_NAME AND week = stale;
            IF TG_TABLE_NAME = 'search_log' THEN
                DELETE FROM analytics_query_week WHERE week = stale;
            END IF;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            stale := date_trunc('week', timezone('UTC', (to_jsonb(NEW) ->> col)::timestamptz));
            DELETE FROM analytics_week WHERE source = TG_TABLE_NAME AND week = stale;
            IF TG_TABLE_NAME = 'search_log' THEN
                DELETE FROM analytics_query_week WHERE week = stale;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def _sqlite_week(row: str, column: str) -> str:
    return f"date(substr({row}.{column}, 1, 10), '-6 days', 'weekday 1')"


def _sqlite_triggers(table: str, stamps: tuple[str, ...], columns: tuple[str, ...]) -> list[str]:
    def delete(*rows: str) -> str:
        weeks = ", ".join(_sqlite_week(row, c) for row in rows for c in stamps)
        out = f"DELETE FROM analytics_week WHERE source = '{table}' AND week IN ({weeks});"
        if table == "search_log":
            out += f" DELETE FROM analytics_query_week WHERE week IN ({weeks});"
        return out

    name = f"analytics_week_stale_{table}"
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {delete('NEW')} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"BEGIN {delete('OLD', 'NEW')} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {delete('OLD')} END",
    ]


def upgrade() -> None:
    op.create_table(
        "analytics_week",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("figure", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "week", "figure", name=op.f("pk_analytics_week")),
    )
    op.create_table(
        "analytics_query_week",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("countries", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("without_result", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "scope", "position", name=op.f("pk_analytics_query_week")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table, (stamps, columns) in WATCHED.items():
            args = ", ".join(f"'{c}'" for c in stamps)
            op.execute(
                f"CREATE TRIGGER analytics_week_stale_{table} AFTER INSERT OR DELETE OR UPDATE "
                f"OF {', '.join(columns)} ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION analytics_week_stale({args})"
            )
    else:
        for table, (stamps, columns) in WATCHED.items():
            for statement in _sqlite_triggers(table, stamps, columns):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER analytics_week_stale_{table} ON {table}")
        op.execute("DROP FUNCTION analytics_week_stale()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER analytics_week_stale_{table}_{event}")
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("analytics_query_week")
    op.drop_table("analytics_week")
