"""intel_item.specific

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 07:15:00.000000

Issue 20 ("specific items first"): an item tagged with at most 5 countries and at most 5
sectors, and not global, is specific; filtered lists and digests show specific items
before broader ones. The flag is stored (kept by every flush that changes an item's tags)
so that a filtered list walks an index in its order, as the unfiltered list does; the
rows already there are computed here from their tags.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# forum.intelligence.models.SPECIFIC_MAX_TAGS at this revision.
MAX_TAGS = 5


def upgrade() -> None:
    # Not a batch: SQLite adds the column in place, where a batch would copy the table and
    # drop the old one, which (foreign keys on) deletes the item's tags with it.
    op.add_column(
        "intel_item", sa.Column("specific", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.create_index(
        "ix_intel_item_status_specific_added",
        "intel_item",
        ["status", "specific", "added_at"],
        unique=False,
    )
    op.execute(
        sa.text(
            "UPDATE intel_item SET specific = :false WHERE is_global"
            " OR (SELECT count(*) FROM intel_country"
            "     WHERE intel_country.item_id = intel_item.id) > :cap"
            " OR (SELECT count(*) FROM intel_sector"
            "     WHERE intel_sector.item_id = intel_item.id) > :cap"
        ).bindparams(false=False, cap=MAX_TAGS)
    )


def downgrade() -> None:
    # In place, as the upgrade: a batch would rebuild intel_item and, foreign keys on,
    # delete every item's tags, attachments and flags with the old table.
    op.drop_index("ix_intel_item_status_specific_added", table_name="intel_item")
    op.execute("ALTER TABLE intel_item DROP COLUMN specific")
