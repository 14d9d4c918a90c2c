"""Writing to the search outbox: every content change, in the content's own transaction.

Each process also learns at once when a transaction that queued documents commits
(a session event), so its drainer runs straight away instead of at its next poll.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from forum.core.db import Base, UTCDateTime, utcnow


class SearchOutbox(Base):
    """One pending change of a search document, written in the content's own transaction.

    Rows are deleted only after the engine confirmed the change. While `forum search
    reindex` runs, the drainer marks the rows it applied (`applied_at`) instead of
    deleting them, so the rebuild can replay every change its snapshot may have missed.
    """

    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_applied_at_id", "applied_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(80), index=True)  # e.g. "intel:42"
    # A hint only: the drainer reads the document's current state and upserts or
    # deletes whatever it finds.
    op: Mapped[str] = mapped_column(String(10))  # "upsert" or "delete"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


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


def mark_queued(db: Session) -> None:
    """Say that `db` wrote outbox rows by other means (INSERT ... SELECT): wake the drainer
    when it commits."""
    db.info[_QUEUED] = True
