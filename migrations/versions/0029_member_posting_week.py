"""member_posting_week: the weeks each member wrote a post, kept by triggers on post, filled
from the posts there

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 18:30:00.000000

Issue 23 (scale): with a country or a sector chosen, /admin/analytics counted "members
taking part" (distinct authors per week among the focus's followers) from every post of
theirs in the period, the week computed for each. This record holds one row per (author,
Monday in UTC) with at least one post that week, in any state (hidden and deleted posts
included, as the live count counts them), so the page counts rows instead. The triggers
keep it exactly equal to the posts, in the same transaction as the change:

- a post inserted: its (author, week) is added when missing;
- a post deleted (a thread deleted with it, a member deleted with their posts) or its
  author or time changed (an erasure sets the author to NULL): the old (author, week)
  goes when no other post of that author remains in that week, and the new one is added.

On PostgreSQL a post written locks its (author, week) row (an insert, or an update of it
that changes nothing), and a post deleted locks that row before it looks for the author's
other posts of the week: a post written and another deleted at the same moment, or two
deleted at once, wait for each other, and the second sees what the first did. SQLite has
one writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: the Monday of a stored UTC timestamp ("2026-12-07 09:30:00.000000"), and the
# posts of an author in that week, read by ix_post_author_created: a timestamp's text from
# one Monday ('2026-12-07' sorts before every time of that day) to the next.
SQLITE_MONDAY = "date(substr({r}.created_at, 1, 10), '-6 days', 'weekday 1')"
SQLITE_GONE = (
    "DELETE FROM member_posting_week WHERE user_id = OLD.author_id AND week = {monday} "
    "AND NOT EXISTS (SELECT 1 FROM post WHERE author_id = OLD.author_id "
    "AND created_at >= {monday} AND created_at < date({monday}, '+7 days'));"
)
SQLITE_ADDED = (
    "INSERT INTO member_posting_week (user_id, week) SELECT NEW.author_id, {monday} "
    "WHERE NEW.author_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM member_posting_week "
    "WHERE user_id = NEW.author_id AND week = {monday});"
)
CHANGED = "OLD.author_id IS NOT NEW.author_id OR OLD.created_at IS NOT NEW.created_at"

POSTGRES_FUNCTION = """
CREATE FUNCTION member_posting_week_track() RETURNS trigger AS $$
DECLARE
    monday date;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.author_id IS NOT NULL THEN
        monday := analytics_monday(OLD.created_at);
        PERFORM 1 FROM member_posting_week
        WHERE user_id = OLD.author_id AND week = monday FOR UPDATE;
        DELETE FROM member_posting_week
        WHERE user_id = OLD.author_id AND week = monday AND NOT EXISTS (
            SELECT 1 FROM post WHERE author_id = OLD.author_id
            AND created_at >= monday::timestamp AT TIME ZONE 'UTC'
            AND created_at < (monday + 7)::timestamp AT TIME ZONE 'UTC'
        );
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.author_id IS NOT NULL THEN
        INSERT INTO member_posting_week (user_id, week)
        VALUES (NEW.author_id, analytics_monday(NEW.created_at))
        ON CONFLICT (user_id, week) DO UPDATE SET week = EXCLUDED.week;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "member_posting_week",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_member_posting_week_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f("pk_member_posting_week")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER member_posting_week_insert_delete AFTER INSERT OR DELETE ON post "
            "FOR EACH ROW EXECUTE FUNCTION member_posting_week_track()"
        )
        op.execute(
            "CREATE TRIGGER member_posting_week_update AFTER UPDATE OF author_id, created_at "
            "ON post FOR EACH ROW WHEN (OLD.author_id IS DISTINCT FROM NEW.author_id "
            "OR OLD.created_at IS DISTINCT FROM NEW.created_at) "
            "EXECUTE FUNCTION member_posting_week_track()"
        )
        monday = "analytics_monday(created_at)"
    else:
        gone = SQLITE_GONE.format(monday=SQLITE_MONDAY.format(r="OLD"))
        added = SQLITE_ADDED.format(monday=SQLITE_MONDAY.format(r="NEW"))
        op.execute(
            "CREATE TRIGGER member_posting_week_insert AFTER INSERT ON post "
            f"WHEN NEW.author_id IS NOT NULL BEGIN {added} END"
        )
        op.execute(
            "CREATE TRIGGER member_posting_week_update AFTER UPDATE OF author_id, created_at "
            f"ON post WHEN {CHANGED} BEGIN {gone} {added} END"
        )
        op.execute(
            "CREATE TRIGGER member_posting_week_delete AFTER DELETE ON post "
            f"WHEN OLD.author_id IS NOT NULL BEGIN {gone} END"
        )
        monday = SQLITE_MONDAY.format(r="post")
    # The posts already written.
    op.execute(
        f"INSERT INTO member_posting_week (user_id, week) SELECT DISTINCT author_id, {monday} "
        "FROM post WHERE author_id IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER member_posting_week_update ON post")
        op.execute("DROP TRIGGER member_posting_week_insert_delete ON post")
        op.execute("DROP FUNCTION member_posting_week_track()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER member_posting_week_{event}")
    op.drop_table("member_posting_week")
