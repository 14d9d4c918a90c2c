"""Search tables: the outbox that keeps the index in step, and members' saved searches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, UTCDateTime, utcnow


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


class SavedSearch(Base):
    """A member's search, kept to run again (and, with the digests, to be alerted)."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # The search page's query string (q, country, sector, kind, ...), normalised.
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
