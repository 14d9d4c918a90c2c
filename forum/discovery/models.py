"""The search outbox: content changes waiting to reach the search engine."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, UTCDateTime, utcnow


class SearchOutbox(Base):
    """One pending change of a search document, written in the content's own transaction.

    Rows are deleted only after the engine confirmed the change.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(80), index=True)  # e.g. "intel:42"
    op: Mapped[str] = mapped_column(String(10))  # "upsert" or "delete"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
