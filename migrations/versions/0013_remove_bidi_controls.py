"""remove bidi controls from single-line text

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:14:07.278434

A data migration (issue 16): the bidirectional embedding, override and isolate controls
(U+202A-U+202E, U+2066-U+2069) are removed from the single-line text columns, as the
services now remove them on write (`forum.core.text.clean_line`). The characters are listed
here rather than imported, so the migration keeps doing what it did when it was written.
The marks U+200E, U+200F and U+061C, and right-to-left text, are left as they are.
Search documents are rebuilt from the rows by `forum search reindex`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Every single-line text column a person reads. The audit log and the digest deliveries
# are records of what happened and stay as written.
COLUMNS = {
    "user_account": ("name",),
    "api_token": ("name",),
    "saved_search": ("name",),
    "category": ("name",),
    "thread": ("title",),
    "good_practice": ("contact",),
    "thread_attachment": ("original_name",),
    "sector": ("name", "report_label"),
    "partnership": ("name", "targets_note"),
    "agreement": ("counterpart", "topic", "date_text"),
    "event": ("name", "organiser", "city", "location_text", "date_text"),
    "event_partnership": ("listed_as",),
    "feed": ("name",),
    "intel_item": ("title", "source_name"),
    "intel_attachment": ("original_name",),
    "notification": ("text",),
}


def upgrade() -> None:
    for table_name, columns in COLUMNS.items():
        table = sa.table(table_name, *(sa.column(name, sa.String()) for name in columns))
        for name in columns:
            column = table.c[name]
            cleaned: sa.ColumnElement[str] = column
            for control in BIDI_CONTROLS:
                cleaned = sa.func.replace(cleaned, control, "")
            op.execute(
                table.update()
                .where(sa.or_(*(column.contains(control) for control in BIDI_CONTROLS)))
                .values({name: cleaned})
            )


def downgrade() -> None:
    # Nothing to undo: the removed controls only changed how the text displayed, and
    # putting them back would bring the spoofing back.
    pass
