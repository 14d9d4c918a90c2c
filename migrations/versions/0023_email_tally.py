"""email_tally

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:40:00.000000

Issue 23: counts of what happens to email per week (bounces, unsubscribes, immediate
emails held back), with no member (forum/notifications/tally.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_tally",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("figure", sa.String(length=30), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "figure", name=op.f("pk_email_tally")),
    )


def downgrade() -> None:
    op.drop_table("email_tally")
