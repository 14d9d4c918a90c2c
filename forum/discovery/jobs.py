"""Search jobs: queue the documents a sector's rename changes (they carry its name)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, insert, literal, select
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.core.jobs import JobContext, registry
from forum.core.outbox import SearchOutbox, mark_queued
from forum.discussions.models import Post, thread_sector
from forum.events.models import event_sector
from forum.intelligence.models import intel_sector
from forum.partnerships.models import partnership_sector

REQUEUE_SECTOR = "search-requeue-sector"


@registry.job(REQUEUE_SECTOR)
def requeue_sector_documents(db: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    queue_sector_documents(db, int(payload["sector_id"]))


def queue_sector_documents(db: Session, sector_id: int) -> None:
    """Queue every document tagged with the sector, in one INSERT ... SELECT per kind:
    a sector may tag tens of thousands of posts."""
    now = utcnow()

    def rows(prefix: str, id_column: object, source: object) -> None:
        doc_id = literal(prefix, String) + cast(id_column, String)
        select_rows = select(doc_id, literal("upsert", String), literal(now))
        db.execute(
            insert(SearchOutbox).from_select(
                ["doc_id", "op", "created_at"],
                select_rows.select_from(source).where(  # type: ignore[arg-type]
                    source.c.sector_id == sector_id  # type: ignore[attr-defined]
                ),
            )
        )

    rows("thread:", thread_sector.c.thread_id, thread_sector)
    rows("intel:", intel_sector.c.item_id, intel_sector)
    rows("event:", event_sector.c.event_id, event_sector)
    rows("partnership:", partnership_sector.c.partnership_id, partnership_sector)
    posts = (
        select(
            literal("post:", String) + cast(Post.id, String),
            literal("upsert", String),
            literal(now),
        )
        .join(thread_sector, thread_sector.c.thread_id == Post.thread_id)
        .where(thread_sector.c.sector_id == sector_id, Post.is_opening.is_(False))
    )
    db.execute(insert(SearchOutbox).from_select(["doc_id", "op", "created_at"], posts))
    mark_queued(db)
