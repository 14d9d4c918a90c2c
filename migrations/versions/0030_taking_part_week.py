"""member_taking_part_week: the weeks each member took part, the three records of 0029 in
one, kept by triggers on those records, filled from them

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 00:10:00.000000

Issue 23: with a country chosen, /admin/analytics counted the members taking part in each
week as the distinct members of the union of member_posting_week, member_item_week and
member_going_week (narrowed to the country's followers): three reads by primary key per
follower, the union kept aside, then a distinct count. This table holds one row per
(member, Monday) found in any of the three, so a week's figure is a plain count of its
rows, read once per follower (twice as fast over the bench's year).

The triggers keep it equal to the union of the three records, in the same transaction:

- a record row inserted: its (member, week) is added when missing;
- a record row deleted (with its post, item or mark, or its member): the (member, week)
  goes when none of the three records has it any more.

The records themselves are only inserted and deleted (0029's triggers; on PostgreSQL an
update that changes nothing locks a record row), so an update is not watched.

On PostgreSQL a record row inserted locks the (member, week) row here (an insert, or an
update of it that changes nothing), and a record row deleted locks it before it looks
for the member's week in the three records: a record row added and another deleted at
the same moment wait for each other, and the second sees what the first did. SQLite has
one writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "member_taking_part_week"
RECORDS = ("member_posting_week", "member_item_week", "member_going_week")


def _none_left(user: str, week: str) -> str:
    """No record has the member's week any more."""
    return " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {r} WHERE user_id = {user} AND week = {week})" for r in RECORDS
    )


def _sqlite(record: str) -> list[str]:
    added = (
        f"INSERT INTO {TABLE} (user_id, week) SELECT NEW.user_id, NEW.week WHERE NOT EXISTS "
        f"(SELECT 1 FROM {TABLE} WHERE user_id = NEW.user_id AND week = NEW.week);"
    )
    gone = (
        f"DELETE FROM {TABLE} WHERE user_id = OLD.user_id AND week = OLD.week "
        f"AND {_none_left('OLD.user_id', 'OLD.week')};"
    )
    return [
        f"CREATE TRIGGER {TABLE}_from_{record}_insert AFTER INSERT ON {record} BEGIN {added} END",
        f"CREATE TRIGGER {TABLE}_from_{record}_delete AFTER DELETE ON {record} BEGIN {gone} END",
    ]


POSTGRES_FUNCTION = f"""
CREATE FUNCTION {TABLE}_track() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM {TABLE} WHERE user_id = OLD.user_id AND week = OLD.week FOR UPDATE;
        DELETE FROM {TABLE} WHERE user_id = OLD.user_id AND week = OLD.week
            AND {_none_left("OLD.user_id", "OLD.week")};
    ELSE
        INSERT INTO {TABLE} (user_id, week) VALUES (NEW.user_id, NEW.week)
        ON CONFLICT (user_id, week) DO UPDATE SET week = EXCLUDED.week;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f(f"fk_{TABLE}_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(f"ix_{TABLE}_week", TABLE, ["week", "user_id"])
    if postgres:
        op.execute(POSTGRES_FUNCTION)
    for record in RECORDS:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {TABLE}_from_{record} AFTER INSERT OR DELETE ON {record} "
                f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_track()"
            )
        else:
            for statement in _sqlite(record):
                op.execute(statement)
    union = " UNION ".join(f"SELECT user_id, week FROM {r}" for r in RECORDS)
    op.execute(f"INSERT INTO {TABLE} (user_id, week) {union}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for record in RECORDS:
        if postgres:
            op.execute(f"DROP TRIGGER {TABLE}_from_{record} ON {record}")
        else:
            op.execute(f"DROP TRIGGER {TABLE}_from_{record}_insert")
            op.execute(f"DROP TRIGGER {TABLE}_from_{record}_delete")
    if postgres:
        op.execute(f"DROP FUNCTION {TABLE}_track()")
    op.drop_table(TABLE)  # with its index
