"""A partnership's members: asking to join one, and its coordinator's decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts import memberships
from forum.accounts.deps import SignedInUser
from forum.accounts.models import Membership
from forum.core.audit import record
from forum.core.errors import NotFound
from forum.core.i18n import _
from forum.core.web import DbSession, flash, redirect, render
from forum.partnerships.service import get_partnership_by_slug

router = APIRouter(include_in_schema=False)


@router.post("/partnerships/{slug}/join", response_class=HTMLResponse)
def join_partnership(request: Request, slug: str, db: DbSession, user: SignedInUser) -> Response:
    partnership = get_partnership_by_slug(db, slug)
    if partnership is None:
        raise NotFound("partnership", detail=_("There is no partnership at this address."))
    memberships.request_membership(db, user, partnership)
    db.commit()
    response = redirect(f"/partnerships/{slug}")
    flash(
        request,
        response,
        _(
            "Your request to join %(partnership)s was sent to its coordinator.",
            partnership=partnership.name,
        ),
        "success",
    )
    return response


@router.get("/partnerships/{slug}/members", response_class=HTMLResponse)
def partnership_members(request: Request, slug: str, db: DbSession, user: SignedInUser) -> Response:
    partnership = get_partnership_by_slug(db, slug)
    if partnership is None:
        raise NotFound("partnership", detail=_("There is no partnership at this address."))
    if not memberships.can_decide_membership(user, partnership):
        raise HTTPException(
            403, _("Only the partnership's coordinator or an admin manages members.")
        )
    return render(
        request,
        "accounts/members.html",
        {
            "nav": "partnerships",
            "partnership": partnership,
            "pending": memberships.pending_memberships(db, partnership.id),
            "members": memberships.partnership_members(db, partnership.id),
        },
    )


@router.post("/partnerships/{slug}/members/{membership_id}", response_class=HTMLResponse)
def decide_membership(
    request: Request,
    slug: str,
    membership_id: int,
    db: DbSession,
    user: SignedInUser,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
) -> Response:
    membership = db.get(Membership, membership_id)
    partnership = get_partnership_by_slug(db, slug)
    if membership is None or partnership is None or membership.partnership_id != partnership.id:
        raise HTTPException(404, _("There is no such request."))
    memberships.decide_membership(db, user, membership, approve=decision == "approve")
    record(
        db,
        actor=user,
        action=f"membership.{decision}",
        object_type="membership",
        object_id=membership.id,
        object_label=f"{membership.user.name} in {partnership.name}",
    )
    db.commit()
    response = redirect(f"/partnerships/{slug}/members")
    name = membership.user.name
    if decision == "approve":
        message = _("%(name)s's request is approved.", name=name)
    else:
        message = _("%(name)s's request is declined.", name=name)
    flash(request, response, message, "success")
    return response
