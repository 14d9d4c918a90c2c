"""member_posting_week, member_item_week, member_going_week: the weeks each member took
part, kept by triggers on post, intel_item and event_attendance, filled from the rows
there; event_attendance.marked_at, the time a mark took its status

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 18:30:00.000000

Issue 23: /admin/analytics counts the members "taking part (posted, replied, added
intelligence, marked going)" in each week. Counting them from every post, item and mark
of the period was too slow with a country chosen, so three records hold one row per
(member, Monday in UTC) in which the member:

- member_posting_week: wrote a post (a thread's opening post or a reply), in any state
  it is in now (hidden and deleted posts included), by `post.created_at`;
- member_item_week: added an intelligence item, the items the content flow counts as
  "written by members" (no feed), whatever their status, by `intel_item.added_at`;
- member_going_week: marked an event "going", their own mark (`user_id`) or their
  partnership's (`marked_by_id`), by `event_attendance.marked_at`, for the marks that
  say "going" now (a mark withdrawn or changed to "interested" no longer counts).

`event_attendance.marked_at` is new: the time the mark took its current status (set
on a new mark, and when its status changes or another member of the partnership sets
it again: forum/events/attendance.py); the marks already there get their created_at.

The triggers keep each record exactly equal to its rows, in the same transaction as the
change:

- a row inserted that counts: its (member, week) is added when missing;
- a row deleted (with its thread, event or member) or changed in what makes it count
  (author, time, status, feed, who set the mark; an erasure sets the author to NULL):
  the old (member, week) goes when no other row of that member remains in that week,
  and the new one is added.

On PostgreSQL a row written locks its (member, week) row (an insert, or an update of it
that changes nothing), and a row deleted locks that row before it looks for the member's
other rows of the week: a row written and another deleted at the same moment, or two
deleted at once, wait for each other, and the second sees what the first did. SQLite has
one writer at a time.

Without a focus the page reads "taking part" from the weekly rollup (source
"taking_part", analytics_week): a record row inserted or deleted deletes that week's
stored figure, as 0024's triggers do for the tables. The figure leaves the rollup of
`post` (its stored rows go).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMP = forum.core.db.UTCDateTime(timezone=True)
ROLLUP = "taking_part"  # analytics_week.source of the figure


class Source(NamedTuple):
    record: str  # the record table
    table: str  # the rows it records
    time: str  # the column of their moment
    person: str  # the member a row {r} counts for, NULL when it does not count
    match: str  # the rows that count for the member {p} (no time)
    watched: tuple[str, ...]  # the columns whose change matters


SOURCES = (
    Source(
        "member_posting_week",
        "post",
        "created_at",
        "{r}.author_id",
        "author_id = {p}",
        ("author_id", "created_at"),
    ),
    Source(
        "member_item_week",
        "intel_item",
        "added_at",
        "CASE WHEN {r}.feed_id IS NULL THEN {r}.author_id END",
        "author_id = {p} AND feed_id IS NULL",
        ("author_id", "added_at", "feed_id"),
    ),
    Source(
        "member_going_week",
        "event_attendance",
        "marked_at",
        "CASE WHEN {r}.status = 'going' THEN COALESCE({r}.user_id, {r}.marked_by_id) END",
        "status = 'going' AND (user_id = {p} OR (user_id IS NULL AND marked_by_id = {p}))",
        ("user_id", "marked_by_id", "marked_at", "status"),
    ),
)

# SQLite: the Monday of a stored UTC timestamp ("2026-12-07 09:30:00.000000"); a row's
# moment in a week is its text from the Monday ('2026-12-07' sorts before every time of
# that day) to the next.
SQLITE_MONDAY = "date(substr({r}.{time}, 1, 10), '-6 days', 'weekday 1')"


def _sqlite(s: Source) -> list[str]:
    def monday(row: str) -> str:
        return SQLITE_MONDAY.format(r=row, time=s.time)

    old, new = s.person.format(r="OLD"), s.person.format(r="NEW")
    gone = (
        f"DELETE FROM {s.record} WHERE user_id = {old} AND week = {monday('OLD')} "
        f"AND NOT EXISTS (SELECT 1 FROM {s.table} WHERE {s.match.format(p=old)} "
        f"AND {s.time} >= {monday('OLD')} AND {s.time} < date({monday('OLD')}, '+7 days'));"
    )
    added = (
        f"INSERT INTO {s.record} (user_id, week) SELECT {new}, {monday('NEW')} "
        f"WHERE {new} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {s.record} "
        f"WHERE user_id = {new} AND week = {monday('NEW')});"
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in s.watched)
    return [
        f"CREATE TRIGGER {s.record}_insert AFTER INSERT ON {s.table} BEGIN {added} END",
        f"CREATE TRIGGER {s.record}_update AFTER UPDATE OF {', '.join(s.watched)} "
        f"ON {s.table} WHEN {changed} BEGIN {gone} {added} END",
        f"CREATE TRIGGER {s.record}_delete AFTER DELETE ON {s.table} BEGIN {gone} END",
        # The stored figure of the week goes stale with the record.
        f"CREATE TRIGGER {s.record}_stale_insert AFTER INSERT ON {s.record} BEGIN "
        f"DELETE FROM analytics_week WHERE source = '{ROLLUP}' AND week = NEW.week; END",
        f"CREATE TRIGGER {s.record}_stale_delete AFTER DELETE ON {s.record} BEGIN "
        f"DELETE FROM analytics_week WHERE source = '{ROLLUP}' AND week = OLD.week; END",
    ]


def _postgres(s: Source) -> list[str]:
    low = "monday::timestamp AT TIME ZONE 'UTC'"
    high = "(monday + 7)::timestamp AT TIME ZONE 'UTC'"
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in s.watched)
    return [
        f"""
CREATE FUNCTION {s.record}_track() RETURNS trigger AS $$
DECLARE
    member integer;
    monday date;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        member := {s.person.format(r="OLD")};
        IF member IS NOT NULL THEN
            monday := analytics_monday(OLD.{s.time});
            PERFORM 1 FROM {s.record} WHERE user_id = member AND week = monday FOR UPDATE;
            DELETE FROM {s.record} WHERE user_id = member AND week = monday AND NOT EXISTS (
                SELECT 1 FROM {s.table} WHERE {s.match.format(p="member")}
                AND {s.time} >= {low} AND {s.time} < {high}
            );
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        member := {s.person.format(r="NEW")};
        IF member IS NOT NULL THEN
            INSERT INTO {s.record} (user_id, week)
            VALUES (member, analytics_monday(NEW.{s.time}))
            ON CONFLICT (user_id, week) DO UPDATE SET week = EXCLUDED.week;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
        f"CREATE TRIGGER {s.record}_insert_delete AFTER INSERT OR DELETE ON {s.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {s.record}_track()",
        f"CREATE TRIGGER {s.record}_update AFTER UPDATE OF {', '.join(s.watched)} "
        f"ON {s.table} FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {s.record}_track()",
        # The stored figure of the week goes stale with the record (not on the update
        # that only locks a row).
        f"CREATE TRIGGER {s.record}_stale AFTER INSERT OR DELETE OR UPDATE ON {s.record} "
        "FOR EACH ROW EXECUTE FUNCTION analytics_taking_part_stale()",
    ]


POSTGRES_STALE = f"""
CREATE FUNCTION analytics_taking_part_stale() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM analytics_week WHERE source = '{ROLLUP}' AND week = OLD.week;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        DELETE FROM analytics_week WHERE source = '{ROLLUP}' AND week = NEW.week;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # When a mark took its status: the marks there took it when they were made. Not a
    # batch (which would copy the table and, on SQLite, lose its CHECK): PostgreSQL adds
    # the column, fills it, then requires it; SQLite adds it in place, NOT NULL with a
    # default that only the rows already there take, before they get their created_at.
    if postgres:
        op.add_column("event_attendance", sa.Column("marked_at", STAMP, nullable=True))
        op.execute("UPDATE event_attendance SET marked_at = created_at")
        op.alter_column("event_attendance", "marked_at", existing_type=STAMP, nullable=False)
    else:
        op.execute(
            "ALTER TABLE event_attendance ADD COLUMN marked_at DATETIME NOT NULL "
            "DEFAULT '1970-01-01 00:00:00.000000'"
        )
        op.execute("UPDATE event_attendance SET marked_at = created_at")
    # The marks of a member, found by who set them, and the marks by time.
    op.create_index("ix_event_attendance_marked_by_id", "event_attendance", ["marked_by_id"])
    op.create_index(
        "ix_event_attendance_marked_at",
        "event_attendance",
        ["marked_at", "status", "user_id", "marked_by_id"],
    )
    for s in SOURCES:
        op.create_table(
            s.record,
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("week", sa.Date(), nullable=False),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["user_account.id"],
                name=op.f(f"fk_{s.record}_user_id_user_account"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("user_id", "week", name=op.f(f"pk_{s.record}")),
        )
        op.create_index(f"ix_{s.record}_week", s.record, ["week", "user_id"])
    if postgres:
        op.execute(POSTGRES_STALE)
    for s in SOURCES:
        for statement in _postgres(s) if postgres else _sqlite(s):
            op.execute(statement)
        # The rows already there.
        monday = (
            f"analytics_monday({s.time})"
            if postgres
            else SQLITE_MONDAY.format(r=s.table, time=s.time)
        )
        person = s.person.format(r=s.table)
        op.execute(
            f"INSERT INTO {s.record} (user_id, week) SELECT DISTINCT {person}, {monday} "
            f"FROM {s.table} WHERE {person} IS NOT NULL"
        )
    # "taking_part" was a figure of the posts' rollup: its own source now.
    op.execute("DELETE FROM analytics_week WHERE source = 'post' AND figure = 'taking_part'")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for s in SOURCES:
        if postgres:
            op.execute(f"DROP TRIGGER {s.record}_update ON {s.table}")
            op.execute(f"DROP TRIGGER {s.record}_insert_delete ON {s.table}")
            op.execute(f"DROP FUNCTION {s.record}_track()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {s.record}_{event}")
        op.drop_table(s.record)  # with its own triggers and index
    if postgres:
        op.execute("DROP FUNCTION analytics_taking_part_stale()")
    # The posts' rollup counts "taking_part" again: its stored weeks are counted again.
    op.execute(f"DELETE FROM analytics_week WHERE source IN ('post', '{ROLLUP}')")
    op.drop_index("ix_event_attendance_marked_at", table_name="event_attendance")
    op.drop_index("ix_event_attendance_marked_by_id", table_name="event_attendance")
    # In place (SQLite drops a plain column since 3.35), as 0016 does.
    op.execute("ALTER TABLE event_attendance DROP COLUMN marked_at")
