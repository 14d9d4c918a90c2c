"""intel feed entry index: the harvester's known-entry lookup uses an index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 13:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intel_item", schema=None) as batch_op:
        batch_op.create_index("ix_intel_item_feed_entry", ["feed_id", "entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intel_item", schema=None) as batch_op:
        batch_op.drop_index("ix_intel_item_feed_entry")
