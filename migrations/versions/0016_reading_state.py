"""thread_read, user_account.previous_seen_at

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:05:00.000000

Issue 21 ("what's new for me"): how far each member has read each thread (unread counts,
"New", jumping to the first unread post, notifications marked read on opening), and the
end of the member's previous visit beside `last_seen_at`, the one activity record
("Since your last visit").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thread_read",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("last_read_post_id", sa.Integer(), nullable=False),
        sa.Column("read_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_thread_read_thread_id_thread"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_thread_read_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "thread_id", name=op.f("pk_thread_read")),
    )
    op.create_index(op.f("ix_thread_read_thread_id"), "thread_read", ["thread_id"], unique=False)
    # Not a batch: SQLite adds the column in place, where a batch would copy the table and
    # drop the old one, which (foreign keys on) would delete every row pointing at it.
    op.add_column(
        "user_account",
        sa.Column("previous_seen_at", forum.core.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # Not a batch either: rebuilding user_account would delete (cascade) or unlink every
    # row that points at a member. SQLite drops a plain column in place since 3.35.
    op.execute("ALTER TABLE user_account DROP COLUMN previous_seen_at")
    op.drop_index(op.f("ix_thread_read_thread_id"), table_name="thread_read")
    op.drop_table("thread_read")
