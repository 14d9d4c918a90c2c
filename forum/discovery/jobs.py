"""Search jobs: queue the documents a sector's rename changes (they carry its name); fill in
the language of content written before it was recorded (migration 0014); delete the search
log's rows past their 180 days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, cast, insert, literal, select, update
from sqlalchemy.orm import Session

from forum.core import content_language
from forum.core.db import utcnow
from forum.core.jobs import JobContext, enqueue, registry
from forum.core.outbox import SearchOutbox, mark_queued, queue_document
from forum.discovery.search_log import prune_search_log
from forum.discussions.models import Post, Thread, thread_sector
from forum.events.models import event_sector
from forum.intelligence.models import IntelItem, intel_sector
from forum.partnerships.models import partnership_sector

REQUEUE_SECTOR = "search-requeue-sector"
DETECT_LANGUAGES = "content-detect-languages"
# Rows looked at per run of the language job; it queues itself again for the next ones.
DETECT_BATCH = 1000


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


@registry.job(DETECT_LANGUAGES)
def detect_languages(db: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """Detect the language of posts and items that have none, DETECT_BATCH of each per
    run, in id order from the payload's cursors; queue the documents that changed and,
    while rows remain, the next run. Unsure detection leaves the language NULL."""
    post_after = int(payload.get("post_after", 0))
    intel_after = int(payload.get("intel_after", 0))
    posts = db.execute(
        select(Post.id, Post.thread_id, Post.is_opening, Post.body, Thread.title)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.id > post_after, Post.language.is_(None))
        .order_by(Post.id)
        .limit(DETECT_BATCH)
    ).all()
    for post_id, thread_id, is_opening, body, title in posts:
        language = content_language.detect(f"{title}\n\n{body}" if is_opening else body)
        if language:
            db.execute(update(Post).where(Post.id == post_id).values(language=language))
            if is_opening:
                db.execute(update(Thread).where(Thread.id == thread_id).values(language=language))
            queue_document(db, f"thread:{thread_id}" if is_opening else f"post:{post_id}")
    items = db.execute(
        select(IntelItem.id, IntelItem.title, IntelItem.summary, IntelItem.body)
        .where(IntelItem.id > intel_after, IntelItem.language.is_(None))
        .order_by(IntelItem.id)
        .limit(DETECT_BATCH)
    ).all()
    for item_id, title, summary, body in items:
        language = content_language.resolve(None, title, summary, body)
        if language:
            db.execute(update(IntelItem).where(IntelItem.id == item_id).values(language=language))
            queue_document(db, f"intel:{item_id}")
    if len(posts) == DETECT_BATCH or len(items) == DETECT_BATCH:
        enqueue(
            db,
            DETECT_LANGUAGES,
            {
                "post_after": posts[-1][0] if posts else post_after,
                "intel_after": items[-1][0] if items else intel_after,
            },
        )
    ctx.log.info("languages: %s posts and %s items looked at", len(posts), len(items))


@registry.periodic("search-log-prune", every=dt.timedelta(hours=6))
def prune_old_searches(db: Session, ctx: JobContext) -> None:
    removed = prune_search_log(db)
    if removed:
        ctx.log.info("search log: deleted %s rows older than 180 days", removed)
