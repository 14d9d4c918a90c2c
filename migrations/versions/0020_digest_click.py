"""digest_click

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 11:00:00.000000

Issue 23 (privacy by design): when FORUM_COUNT_DIGEST_CLICKS is on, clicks on digest
entries are counted per week and section through the links' own signed redirect; no
member, no entry (forum/digests/clicks.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_click",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "section", name=op.f("pk_digest_click")),
    )


def downgrade() -> None:
    op.drop_table("digest_click")
