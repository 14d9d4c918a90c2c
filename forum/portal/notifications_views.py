"""The notifications page, marking notifications read, and the follow/unfollow buttons."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render, safe_next
from forum.notifications import service
from forum.portal.follows import resolve_target

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "reply": "Reply",
    "mention": "Mention",
    "thread_post": "New post",
    "flag": "Report",
    "membership": "Membership",
}


# --- the notifications page ------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
def notifications(
    request: Request,
    db: DbSession,
    user: SignedInUser,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    listing = service.page_notifications(db, user.id, page=page_number(page))
    withheld = service.unreadable_ids(db, user, listing.items)
    tz = ZoneInfo(user.timezone)
    return render(
        request,
        "notifications/list.html",
        {
            "nav": "notifications",
            "listing": listing,
            "items": [
                {
                    "id": note.id,
                    "text": service.WITHHELD_TEXT if note.id in withheld else note.text,
                    "url": "/notifications" if note.id in withheld else _local(note.url),
                    "kind": KIND_LABELS.get(note.kind, note.kind),
                    "unread": note.read_at is None,
                    "when": note.created_at.astimezone(tz).strftime("%d %B %Y, %H:%M"),
                    "iso": note.created_at.isoformat(),
                }
                for note in listing.items
            ],
        },
    )


def _local(url: str) -> str:
    """A notification's own link when it is a path on this site, else the list itself."""
    return url if url and safe_next(url) == url else "/notifications"


@router.post("/notifications/read", response_class=HTMLResponse)
def read_all(request: Request, db: DbSession, user: SignedInUser) -> Response:
    count = service.mark_all_read(db, user.id)
    db.commit()
    response = redirect("/notifications")
    if count:
        flash(request, response, "All your notifications are marked read.", "success")
    return response


@router.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
def read_one(request: Request, notification_id: int, db: DbSession, user: SignedInUser) -> Response:
    note = service.mark_read(db, user.id, notification_id)
    if note is None:
        raise HTTPException(404, "You have no such notification.")
    db.commit()
    return redirect(_local(note.url))


# --- follow and unfollow -------------------------------------------------------------------------


FollowField = Annotated[str, Form(max_length=80)]


def _change_follow(
    request: Request,
    db: Session,
    user: User | None,
    *,
    following: bool,
    target_type: str,
    target: str,
    next: str,
) -> Response:
    back = safe_next(next)
    if user is None:
        # A session that ended between showing the button and pressing it.
        return redirect(f"/login?{urlencode({'next': back})}")
    found = resolve_target(db, user, target_type, target)
    if following:
        service.follow(db, user.id, found.type, found.key)
        message = f"You follow {found.label}: " + (
            "new posts in it will show in your notifications."
            if found.type == "thread"
            else "it will be in your digest."
        )
    else:
        service.unfollow(db, user.id, found.type, found.key)
        message = f"You no longer follow {found.label}."
    db.commit()
    response = redirect(back)
    flash(request, response, message, "success")
    return response


@router.post("/follow", response_class=HTMLResponse)
def follow(
    request: Request,
    db: DbSession,
    user: OptionalUser,
    target_type: FollowField,
    target: FollowField,
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    return _change_follow(
        request, db, user, following=True, target_type=target_type, target=target, next=next
    )


@router.post("/unfollow", response_class=HTMLResponse)
def unfollow(
    request: Request,
    db: DbSession,
    user: OptionalUser,
    target_type: FollowField,
    target: FollowField,
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    return _change_follow(
        request, db, user, following=False, target_type=target_type, target=target, next=next
    )
