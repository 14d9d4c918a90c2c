"""The audit log: every admin and moderator action is recorded with who, when, what, why."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from forum.core.db import Base, UTCDateTime, utcnow


class Actor(Protocol):
    """Who acted: a member (the audit log keeps their name and address as they were)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # None for the system (a CLI run, a job) or an actor whose account was deleted.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(200))  # kept when the actor is gone
    action: Mapped[str] = mapped_column(String(60))  # e.g. "user.suspend"
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    object_label: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    db: Session,
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object,
    object_label: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_label=(f"{actor.name} <{actor.email}>" if actor else "system")[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:300],
        reason=reason,
        details=details or {},
    )
    db.add(entry)
    db.flush()
    return entry
