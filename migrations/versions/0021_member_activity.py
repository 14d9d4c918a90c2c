"""member_activity

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 12:30:00.000000

Issue 23 ("active: seen that week"): one row per member and week they were seen signed
in, kept 13 months (forum/accounts/activity.py). Nothing to backfill: last_seen_at keeps
only the last sighting, so the weeks before this revision are unknown.
(Numbered 0021 beside other work of issue 23; it is re-chained when merged.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_activity",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_member_activity_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f("pk_member_activity")),
    )
    op.create_index(op.f("ix_member_activity_week"), "member_activity", ["week"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_member_activity_week"), table_name="member_activity")
    op.drop_table("member_activity")
