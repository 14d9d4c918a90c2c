"""Follow: the one store of a member's interests (DESIGN.md).

Profile, digest settings and /me/preferences all read and write it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import Base, UTCDateTime, utcnow

# What can be followed, and what `target` holds for each.
FOLLOW_TARGETS = {
    "country": "ISO 3166-1 alpha-2 code",
    "region_group": "region-group code (g:...)",
    "sector": "sector slug",
    "partnership": "partnership id",
    "category": "category slug",
    "thread": "thread id",
}


class Follow(Base):
    __tablename__ = "follow"
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target"),
        # Who follows this country / sector ...: the digest planner's question.
        Index("ix_follow_target", "target_type", "target"),
        # ... and its followers, from the index alone (the analytics' focus).
        Index("ix_follow_target_user", "target_type", "target", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    target_type: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


NOTIFICATION_KINDS = ("reply", "mention", "thread_post", "flag", "membership")


class Notification(Base):
    """Something a member should know about; read on the notifications page or in the digest."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class EmailSettings(Base):
    """A member's choices about email besides the digest schedule (created on first change)."""

    __tablename__ = "email_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # Immediate emails, each on or off; at most IMMEDIATE_DAILY_CAP a day, the rest wait
    # for the digest.
    notify_replies: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_mentions: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_thread_posts: Mapped[bool] = mapped_column(Boolean, default=True)
    immediate_day: Mapped[dt.date | None] = mapped_column(Date)
    immediate_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the member's server refused the address for good (SMTP 5xx): nothing is
    # sent until the member confirms the address again in settings.
    bouncing_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    bounce_reason: Mapped[str | None] = mapped_column(String(500))
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class EmailTally(Base):
    """How many times something happened to email in a week, for /admin/analytics: an
    address marked bouncing, a digest unsubscribed, an immediate email held back (turned
    off, over the day's cap, address bouncing). Counts only: no member, no message
    (`forum.notifications.tally`)."""

    __tablename__ = "email_tally"

    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its Monday, UTC
    figure: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
