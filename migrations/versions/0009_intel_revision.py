"""intel revision: one counter the list's cached counts are keyed by

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 13:25:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intel_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intel_revision")),
    )
    op.execute("INSERT INTO intel_revision (id, value) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("intel_revision")
