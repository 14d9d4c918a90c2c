"""The audit log's page for admins (entries are written with `forum.core.audit.record`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.core.audit import AuditLog
from forum.core.pagination import Page


def page_audit_log(
    db: Session, *, page: int, per_page: int = 50, object_type: str | None = None
) -> Page[AuditLog]:
    stmt = select(AuditLog)
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        db.scalars(
            stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/audit", {"type": object_type})
