"""agreements: the cooperation agreements partnerships signed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("counterpart", sa.String(length=300), nullable=True),
        sa.Column("counterpart_country", sa.String(length=2), nullable=True),
        sa.Column("topic", sa.String(length=300), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("date_text", sa.String(length=200), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("created_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_agreement_partnership_id_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_counterpart_country"), ["counterpart_country"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_partnership_id"), ["partnership_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_counterpart_country"))

    op.drop_table("agreement")
