"""saved_search.feed_version

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:40:00.000000

Issue 22 ("a feed for any search"): each saved search has a private Atom feed whose
address is a token signed with the instance's secret key, naming the saved search and
this counter. "New address" adds one to it, and every address given before stops working.
(Numbered 0018 beside other work of issue 22; it is re-chained when merged.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place (no batch): SQLite adds a column with a constant default without a copy.
    op.add_column(
        "saved_search",
        sa.Column("feed_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    # In place, as the upgrade: a batch would rebuild saved_search and cascade to what
    # points at it.
    op.execute("ALTER TABLE saved_search DROP COLUMN feed_version")
