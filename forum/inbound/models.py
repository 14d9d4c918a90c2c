"""Inbound mail: every message received (for dedup by Message-ID and the refusals page),
each member's revocation moment and last explanation, threads awaiting confirmation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import Base, UTCDateTime, utcnow


class InboundMessage(Base):
    """One message received for one of our addresses, whatever became of it.
    `message_key` is the SHA-256 of its Message-ID (or of its bytes when it has none) and
    that address: a delivery seen twice (an MTA's retry) is ignored."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    via: Mapped[str] = mapped_column(String(10))  # receive, lmtp, smtp, inbox
    sender: Mapped[str] = mapped_column(String(320), default="")
    recipient: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    # posted, thread, pending (awaiting confirmation), refused
    status: Mapped[str] = mapped_column(String(10), index=True)
    reason: Mapped[str] = mapped_column(String(30), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", ondelete="SET NULL"), index=True
    )


class InboundMember(Base):
    """A member's reply addresses made before `revoked_before` no longer work; the last
    explanation of a refusal they were sent (at most one an hour)."""

    __tablename__ = "inbound_member"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    revoked_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    explained_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PendingThread(Base):
    """A thread sent by email to a category address without a DKIM or DMARC pass: it
    opens when the member follows the emailed link and presses the button. Only the
    SHA-256 of the link's token is stored."""

    __tablename__ = "inbound_pending_thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    thread_id: Mapped[int | None] = mapped_column(Integer)
