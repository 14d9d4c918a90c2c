"""good-practice attachments: extracted text

Files attached to good practices before this revision had no text extracted: each is
marked pending and gets an extraction job, which the worker runs like any new upload's
(images end as "Text is not read from images."). Once a job is done, the outbox makes
the good practice findable by its files' text; `forum search reindex` includes it too.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:08:30.562640
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# forum.discussions.attachments.EXTRACT_JOB, as it was named at this revision.
EXTRACT_JOB = "thread-extract-attachment"

job = sa.table(
    "job",
    sa.column("kind", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("run_after", forum.core.db.UTCDateTime()),
    sa.column("attempts", sa.Integer()),
    sa.column("max_attempts", sa.Integer()),
    sa.column("created_at", forum.core.db.UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("thread_attachment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "extraction_status",
                sa.String(length=20),
                nullable=False,
                server_default="pending",
            )
        )
        batch_op.add_column(sa.Column("extracted_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("extraction_error", sa.Text(), nullable=True))
    # The default was for the rows already there; the model sets it for new ones.
    with op.batch_alter_table("thread_attachment", schema=None) as batch_op:
        batch_op.alter_column("extraction_status", server_default=None)

    ids = op.get_bind().scalars(sa.text("SELECT id FROM thread_attachment ORDER BY id")).all()
    now = dt.datetime.now(dt.UTC)
    if ids:
        op.bulk_insert(
            job,
            [
                {
                    "kind": EXTRACT_JOB,
                    "payload": {"attachment_id": attachment_id},
                    "status": "queued",
                    "run_after": now,
                    "attempts": 0,
                    "max_attempts": 5,
                    "created_at": now,
                }
                for attachment_id in ids
            ],
        )


def downgrade() -> None:
    # Jobs of a kind the older code does not know would only fail.
    op.execute(job.delete().where(job.c.kind == EXTRACT_JOB))
    with op.batch_alter_table("thread_attachment", schema=None) as batch_op:
        batch_op.drop_column("extraction_error")
        batch_op.drop_column("extracted_text")
        batch_op.drop_column("extraction_status")
