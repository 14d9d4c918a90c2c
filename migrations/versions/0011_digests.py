"""digests: deliveries and email settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:19:05.421524
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("window_start", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", forum.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", forum.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_digest_delivery_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_delivery")),
        sa.UniqueConstraint("user_id", "period", name=op.f("uq_digest_delivery_user_id_period")),
    )
    with op.batch_alter_table("digest_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_digest_delivery_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "email_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("notify_replies", sa.Boolean(), nullable=False),
        sa.Column("notify_mentions", sa.Boolean(), nullable=False),
        sa.Column("notify_thread_posts", sa.Boolean(), nullable=False),
        sa.Column("immediate_day", sa.Date(), nullable=True),
        sa.Column("immediate_count", sa.Integer(), nullable=False),
        sa.Column("bouncing_at", forum.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bounce_reason", sa.String(length=500), nullable=True),
        sa.Column("unsubscribed_at", forum.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_email_settings_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_settings")),
    )


def downgrade() -> None:
    op.drop_table("email_settings")
    with op.batch_alter_table("digest_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_delivery_status_next_attempt_at")

    op.drop_table("digest_delivery")
