"""Digest tables: one delivery row per member and period.

The frequency, weekday and hour of a member's digest live on the user row (DESIGN.md:
User); what else a member chose about email lives in `email_settings`
(`forum.notifications.models.EmailSettings`, which immediate emails read too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import Base, UTCDateTime, utcnow

# pending -> sending -> sent | skipped (nothing new) | failed (after its retries)
DELIVERY_STATUSES = ("pending", "sending", "sent", "skipped", "failed")


class DigestDelivery(Base):
    """The digest of one member for one period: the member's local date it was due.

    Unique per (member, period), so a second run for the period finds the row and sends
    nothing. The row is marked `sending` before the SMTP transaction and `sent` right
    after the server accepted; a crash in between leaves `sending`, and the next run
    sends it again with the same Message-ID (counted in `resends`).
    """

    __tablename__ = "digest_delivery"
    __table_args__ = (
        UniqueConstraint("user_id", "period"),
        Index("ix_digest_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        # The analytics' weekly counts: sent by when sent (and to whom: the members sent
        # one, from the index alone), skipped and failed by when due.
        Index("ix_digest_delivery_sent_user", "sent_at", "status", "user_id"),
        Index("ix_digest_delivery_window_end", "window_end", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    period: Mapped[dt.date] = mapped_column(Date)
    frequency: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # What the digest covers: from the end of the member's previous window to its start.
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    message_id: Mapped[str] = mapped_column(String(250))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Times a message was sent again after a crash left it `sending`.
    resends: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(String(300))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class DigestClick(Base):
    """Clicks on digest entries, counted per week and section when FORUM_COUNT_DIGEST_CLICKS
    is on (`forum.digests.clicks`). No member, no entry: what the platform team may know
    is whether digests lead members to the forum, and through which section."""

    __tablename__ = "digest_click"

    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the Monday
    section: Mapped[str] = mapped_column(String(40), primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
