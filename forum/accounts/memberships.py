"""Memberships of partnerships: a member asks to join, the coordinator or an admin decides,
and who belongs to a partnership or waits to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import Membership, User
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.i18n import _
from forum.partnerships.models import Partnership


def request_membership(db: Session, user: User, partnership: Partnership) -> Membership:
    """Ask to join `partnership` (replacing any earlier request); approval comes later."""
    if user.membership is not None:
        if user.membership.partnership_id == partnership.id:
            return user.membership
        db.delete(user.membership)
        db.flush()
    membership = Membership(user_id=user.id, partnership_id=partnership.id, status="pending")
    db.add(membership)
    db.flush()
    db.refresh(user, ["membership"])
    return membership


def can_decide_membership(actor: User, partnership: Partnership) -> bool:
    return actor.is_admin or partnership.coordinator_id == actor.id


def decide_membership(db: Session, actor: User, membership: Membership, *, approve: bool) -> None:
    """Approve or reject a join request; only the coordinator or an admin may."""
    if not can_decide_membership(actor, membership.partnership):
        raise NotAllowed(_("Only the partnership's coordinator or an admin can decide this."))
    membership.status = "approved" if approve else "rejected"
    membership.decided_at = utcnow()
    membership.decided_by_id = actor.id
    db.flush()


def pending_memberships(db: Session, partnership_id: int) -> list[Membership]:
    return list(
        db.scalars(
            select(Membership)
            .where(Membership.partnership_id == partnership_id, Membership.status == "pending")
            .options(selectinload(Membership.user))
            .order_by(Membership.requested_at)
        )
    )


def partnership_members(db: Session, partnership_id: int) -> list[User]:
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.partnership_id == partnership_id, Membership.status == "approved")
            .order_by(User.name)
        )
    )
