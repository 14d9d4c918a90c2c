"""Members' saved searches and the search log (the search outbox is the core's:
`forum.core.outbox`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
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


class SearchLogEntry(Base):
    """One search made on the page or through the API, for the platform team's figures of
    what members look for (docs/search.md, "The search log"). It holds no member id, no
    address and no session: only what was asked, what it found and whether the searcher
    was signed in. Deleted after `search_log.KEEP_DAYS` days by a periodic job."""

    __tablename__ = "search_log"
    __table_args__ = (
        # The analytics: searches per week, and the exact count of a few (text, filter).
        Index("ix_search_log_logged_counts", "logged_at", "result_count", "signed_in"),
        Index("ix_search_log_query", "text", "countries", "logged_at", "result_count"),
        # With a focus: the distinct filter values, then the searches of those naming it,
        # counted from the index alone.
        Index(
            "ix_search_log_countries_cover",
            "countries",
            "logged_at",
            "result_count",
            "signed_in",
            "sectors",
            "text",
        ),
        Index(
            "ix_search_log_sectors_cover",
            "sectors",
            "logged_at",
            "result_count",
            "signed_in",
            "countries",
            "text",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    logged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The words, lower-cased with whitespace collapsed; operator words are in the filters.
    text: Mapped[str] = mapped_column(String(500), default="")
    # Filters from the form and from operators, sorted and comma-separated ("JP,g:asean").
    countries: Mapped[str] = mapped_column(String(200), default="")
    sectors: Mapped[str] = mapped_column(String(200), default="")
    kinds: Mapped[str] = mapped_column(String(100), default="")
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    signed_in: Mapped[bool] = mapped_column(Boolean, default=False)
    via: Mapped[str] = mapped_column(String(8))  # "page" or "api"
