"""the analytics focus's indexes: the tag links by tag first, follows by target with
their member, posts by author, the search log by its filters

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 13:40:00.000000

Issue 23 (scale): with a country or sector chosen, the analytics count a year live. These
indexes let those counts start from the few rows the focus names (the threads and items
tagged with the country, its followers, the filter values naming it) instead of reading
a year of rows and testing each: each covers what its lookup needs, so the links are read
from the index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_thread_country_code_thread", "thread_country", ["country_code", "thread_id"]),
    ("ix_intel_country_code_item", "intel_country", ["country_code", "item_id"]),
    ("ix_thread_sector_sector_thread", "thread_sector", ["sector_id", "thread_id"]),
    ("ix_intel_sector_sector_item", "intel_sector", ["sector_id", "item_id"]),
    ("ix_event_sector_sector_event", "event_sector", ["sector_id", "event_id"]),
    ("ix_event_country_created", "event", ["country_code", "created_at"]),
    ("ix_follow_target_user", "follow", ["target_type", "target", "user_id"]),
    ("ix_post_author_created", "post", ["author_id", "created_at"]),
    ("ix_intel_item_feed_added", "intel_item", ["feed_id", "added_at"]),
    ("ix_search_log_countries_logged", "search_log", ["countries", "logged_at"]),
    ("ix_search_log_sectors_logged", "search_log", ["sectors", "logged_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
