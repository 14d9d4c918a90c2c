"""feed_run, feed.last_success_at

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:30:00.000000

Issue 23 ("harvesting health"): one row per harvest of a feed (when, whether it worked,
items added, duplicates recognised, the error), kept 13 months, and the time of each
feed's last successful harvest, which outlives the pruned runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("started_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", forum.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("items_added", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_feed_run_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_run")),
    )
    op.create_index(op.f("ix_feed_run_finished_at"), "feed_run", ["finished_at"], unique=False)
    op.create_index("ix_feed_run_feed_finished", "feed_run", ["feed_id", "finished_at"])
    # In place (no batch): a batch would rebuild feed and, foreign keys on, cascade to
    # what points at it.
    op.add_column("feed", sa.Column("last_success_at", forum.core.db.UTCDateTime(timezone=True)))
    # The last harvest of a feed whose last status is not a failure was a success.
    op.execute(
        sa.text(
            "UPDATE feed SET last_success_at = last_fetched_at"
            " WHERE last_status IN ('ok', 'not modified')"
        )
    )


def downgrade() -> None:
    # In place, as the upgrade.
    op.execute("ALTER TABLE feed DROP COLUMN last_success_at")
    op.drop_index("ix_feed_run_feed_finished", table_name="feed_run")
    op.drop_index(op.f("ix_feed_run_finished_at"), table_name="feed_run")
    op.drop_table("feed_run")
