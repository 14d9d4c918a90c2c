"""Writing to the search outbox: every content change, in the content's own transaction.

Each process also learns at once when a transaction that queued documents commits
(a session event), so its drainer runs straight away instead of at its next poll.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.discovery.models import SearchOutbox

_QUEUED = "forum.search_queued"
# Set when a transaction of this process committed outbox rows; the drainer waits on it.
committed = threading.Event()


def queue_document(db: Session, doc_id: str, op: str = "upsert") -> None:
    """Record that search document `doc_id` ("thread:12") must be upserted or deleted."""
    if op not in ("upsert", "delete"):
        raise ValueError(f"unknown outbox operation {op!r}")
    db.add(SearchOutbox(doc_id=doc_id, op=op))
    db.info[_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_drainer(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        committed.set()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def queue_sector_documents(db: Session, sector_id: int) -> None:
    """Queue every document tagged with the sector (a rename changes their text), in one
    INSERT ... SELECT per kind: a sector may tag tens of thousands of posts."""
    from sqlalchemy import String, cast, insert, literal, select

    from forum.db import utcnow
    from forum.discussions.models import Post, thread_sector
    from forum.events.models import event_sector
    from forum.intelligence.models import intel_sector
    from forum.partnerships.models import partnership_sector

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
    db.info[_QUEUED] = True
