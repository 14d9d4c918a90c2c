"""search: outbox applied_at, saved searches

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:46:25.930553
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", forum.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_saved_search_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
    )
    with op.batch_alter_table("saved_search", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_search_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("applied_at", forum.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_search_outbox_applied_at_id", ["applied_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_search_outbox_applied_at_id")
        batch_op.drop_column("applied_at")

    with op.batch_alter_table("saved_search", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_search_user_id"))

    op.drop_table("saved_search")
