"""The audit log: every admin and moderator action is recorded with who, when, what, why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.admin.models import AuditLog
from forum.core.pagination import Page


def record(
    db: Session,
    *,
    actor: User | None,
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


def page_audit_log(
    db: Session, *, page: int, per_page: int = 50, object_type: str | None = None
) -> Page[AuditLog]:
    stmt = select(AuditLog)
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        db.scalars(
            stmt.options(selectinload(AuditLog.actor))
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/audit", {"type": object_type})
