"""search_log

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 10:40:00.000000

Issue 23 ("what members search for and do not find"): each search of the page and the
API, without a member id, kept 180 days (docs/search.md, "The search log").
(Numbered 0019 beside other work of issue 23; it is re-chained when merged.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("logged_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("countries", sa.String(length=200), nullable=False),
        sa.Column("sectors", sa.String(length=200), nullable=False),
        sa.Column("kinds", sa.String(length=100), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("signed_in", sa.Boolean(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_log")),
    )
    op.create_index(op.f("ix_search_log_logged_at"), "search_log", ["logged_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_search_log_logged_at"), table_name="search_log")
    op.drop_table("search_log")
