"""What admins and moderators do to accounts: the members list, roles, suspensions (which end
the member's sessions and API tokens at once)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from forum.accounts import sessions
from forum.accounts.models import ROLES, ApiToken, Membership, User
from forum.accounts.service import AccountError, require_can_suspend
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.i18n import _
from forum.core.pagination import Page


def page_users(db: Session, *, page: int, query: str = "", per_page: int = 25) -> Page[User]:
    stmt = select(User)
    if query:
        escaped = (
            query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        like = f"%{escaped}%"
        stmt = stmt.where(
            func.lower(User.name).like(like, escape="\\") | User.email.like(like, escape="\\")
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        db.scalars(
            stmt.options(selectinload(User.membership).selectinload(Membership.partnership))
            .order_by(User.created_at.desc(), User.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/admin/users", {"q": query})


def set_role(db: Session, actor: User, user: User, role: str) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only admins change roles."))
    if role not in ROLES:
        raise AccountError(_("Unknown role %(role)r.", role=role), "role")
    if user.id == actor.id and role != "admin":
        raise AccountError(_("You cannot remove your own admin role."), "role")
    user.role = role
    db.flush()


def suspend(db: Session, actor: User, user: User, *, reason: str) -> None:
    require_can_suspend(actor, user)
    if not reason.strip():
        raise AccountError(_("Say why: the reason is recorded in the audit log."), "reason")
    user.suspended_at = utcnow()
    user.suspended_reason = reason.strip()
    sessions.end_all_sessions(db, user.id)
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.flush()


def unsuspend(db: Session, actor: User, user: User) -> None:
    if not actor.is_moderator:
        raise NotAllowed(_("Only moderators and admins lift suspensions."))
    user.suspended_at = None
    user.suspended_reason = None
    db.flush()
