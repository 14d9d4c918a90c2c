"""post and thread language

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:50:00.000000

Issue 19 ("content stays as written"): each post records the language it is written in
(`post.language`, an ISO 639-1 code, NULL when unknown), as intelligence items already
do; a thread keeps its opening post's (`thread.language`, the title's language). The column is added empty; the rows already there are filled by the worker's
`content-detect-languages` job, queued here, which detects each post's language (and
that of items without one), keeps NULL where detection is unsure, and queues the changed
search documents. Detection runs in the worker rather than here because it loads a
statistical model: the migration stays a quick schema change, the forum serves while the
job runs, and the job uses the detector of the code that runs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forum.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# forum.discovery.jobs.DETECT_LANGUAGES, as it was named at this revision.
DETECT_JOB = "content-detect-languages"

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
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    bind = op.get_bind()
    has_rows = bind.scalar(sa.text("SELECT 1 FROM post LIMIT 1")) or bind.scalar(
        sa.text("SELECT 1 FROM intel_item WHERE language IS NULL LIMIT 1")
    )
    if has_rows:
        now = dt.datetime.now(dt.UTC)
        op.bulk_insert(
            job,
            [
                {
                    "kind": DETECT_JOB,
                    "payload": {},
                    "status": "queued",
                    "run_after": now,
                    "attempts": 0,
                    "max_attempts": 5,
                    "created_at": now,
                }
            ],
        )


def downgrade() -> None:
    op.execute(job.delete().where(job.c.kind == DETECT_JOB))
    # In place (SQLite drops a plain column since 3.35): a batch would rebuild thread and
    # post and, foreign keys on, delete every post, reply and follow with the old tables.
    op.execute("ALTER TABLE thread DROP COLUMN language")
    op.execute("ALTER TABLE post DROP COLUMN language")
