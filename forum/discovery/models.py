"""Members' saved searches (the search outbox is the core's: `forum.core.outbox`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import Base, UTCDateTime, utcnow


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
    # Signed into the private feed's address (`saved.feed_token`); a new address adds
    # one, and the addresses given before stop working.
    feed_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
