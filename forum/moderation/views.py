"""The moderators' queue of open flags, closing a flag, withdrawing a flagged item, and the
members' flag forms on every page.

Every action is a CSRF-protected POST with a `reason` (kept in the audit log) and an
optional `next` (a local path to return to).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts.deps import Moderator, SignedInUser
from forum.accounts.models import User
from forum.accounts.service import can_administer, can_suspend
from forum.core.i18n import _
from forum.core.pagination import page_number
from forum.core.web import AppSettings, DbSession, render, safe_next
from forum.discussions import service
from forum.discussions.moderation_views import Next, Reason, _act, _back
from forum.intelligence import queries as intelligence_queries
from forum.moderation import flags as moderation

router = APIRouter(include_in_schema=False)


# --- the queue -----------------------------------------------------------------------------


@router.get("/moderation", response_class=HTMLResponse)
def queue(
    request: Request,
    db: DbSession,
    moderator: Moderator,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    listing = moderation.open_flags(db, moderator, page=page_number(page))
    return render(
        request,
        "discussions/moderation.html",
        {
            "listing": listing,
            "viewer": moderator,
            # The members this moderator may suspend, by the accounts' rule.
            "suspendable": {
                item.user.id
                for item in listing.items
                if item.user is not None and can_suspend(moderator, item.user)
            },
            "can_administer": can_administer(moderator),
            "intel_in_review": intelligence_queries.count_in_review(db),
        },
    )


@router.post("/moderation/flags/{flag_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request, flag_id: int, db: DbSession, moderator: Moderator, reason: Reason = ""
) -> Response:
    item = moderation.get_flag(db, moderator, flag_id)
    return _act(
        request,
        db,
        "/moderation",
        lambda: moderation.resolve_flag(db, moderator, item, reason=reason),
        done=_("The flag is closed."),
        unchanged=_("That flag was already closed."),
    )


@router.post("/moderation/flags/{flag_id}/withdraw", response_class=HTMLResponse)
def withdraw_flagged(
    request: Request, flag_id: int, db: DbSession, moderator: Moderator, reason: Reason = ""
) -> Response:
    """Withdraw the flagged intelligence item (with the moderator's reason, else the flag's)."""
    item = moderation.get_flag(db, moderator, flag_id)
    return _act(
        request,
        db,
        "/moderation",
        lambda: moderation.withdraw_flagged_intel(db, moderator, item, reason=reason),
        done=_("The item is withdrawn and its flags are closed."),
        unchanged=_("That flag was already closed."),
    )


# --- members' flags ------------------------------------------------------------------------


def _flag(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: User,
    object_type: str,
    object_id: int,
    reason: str,
    back: str,
) -> Response:
    try:
        moderation.flag(
            db, user, object_type=object_type, object_id=object_id, reason=reason, settings=settings
        )
    except moderation.AlreadyFlagged as exc:
        db.rollback()
        return _back(request, back, str(exc), "info")
    except service.DiscussionError as exc:
        db.rollback()
        return _back(request, back, str(exc), "error")
    db.commit()
    return _back(request, back, _("Thank you: the moderators will look at it."), "success")


@router.post("/posts/{post_id}/flag", response_class=HTMLResponse)
def flag_post(
    request: Request,
    post_id: int,
    db: DbSession,
    settings: AppSettings,
    user: SignedInUser,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    back = safe_next(next, f"/posts/{post_id}")
    return _flag(request, db, settings, user, "post", post_id, reason, back)


@router.post("/threads/{thread_id}/flag", response_class=HTMLResponse)
def flag_thread(
    request: Request,
    thread_id: int,
    db: DbSession,
    settings: AppSettings,
    user: SignedInUser,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    back = safe_next(next, f"/threads/{thread_id}")
    return _flag(request, db, settings, user, "thread", thread_id, reason, back)


@router.post("/flags", response_class=HTMLResponse)
def flag_anything(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: SignedInUser,
    object_type: Annotated[str, Form(max_length=20)] = "",
    object_id: Annotated[int, Form()] = 0,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    """For other pages' flag forms (a member's profile ...): the type and id are fields."""
    return _flag(request, db, settings, user, object_type, object_id, reason, safe_next(next, "/"))
