"""tag_reasons

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 13:30:00.000000

Issue 27 (intelligence tagged right): each harvested item keeps the words that triggered
its automatic tags (`intel_item.tag_reasons`), and every tag a reviewer or the item's
author adds or removes is recorded in `tag_correction`, with the item's text at the time,
so that `forum tagging export` can write the corrections as labelled examples.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("intel_item", sa.Column("tag_reasons", sa.JSON(), nullable=True))
    op.create_table(
        "tag_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["intel_item.id"],
            name=op.f("fk_tag_correction_item_id_intel_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_tag_correction_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_correction")),
    )
    op.create_index(op.f("ix_tag_correction_item_id"), "tag_correction", ["item_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tag_correction_item_id"), table_name="tag_correction")
    op.drop_table("tag_correction")
    op.drop_column("intel_item", "tag_reasons")
