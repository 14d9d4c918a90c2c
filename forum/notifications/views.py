"""The notifications page, marking notifications read, and the follow/unfollow buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.accounts.views import safe_next
from forum.core.pagination import page_number
from forum.core.web import DbSession, flash, redirect, render
from forum.discussions.models import Category, Thread
from forum.discussions.service import can_see_thread
from forum.notifications import service
from forum.notifications.models import FOLLOW_TARGETS
from forum.partnerships.models import Partnership
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import get_country, get_sector

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
                    "text": note.text,
                    "url": _local(note.url),
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


@dataclass(frozen=True)
class Target:
    type: str
    key: str  # as stored in follow.target
    label: str


class InvalidTarget(ValueError):
    pass


def resolve_target(db: Session, viewer: User, target_type: str, target: str) -> Target:
    """The followable thing named by the form, normalised as follows store it.

    Raises InvalidTarget with a message when the type is unknown or the target does not
    exist (a thread the viewer cannot see counts as not existing).
    """
    value = target.strip()
    if target_type not in FOLLOW_TARGETS:
        raise InvalidTarget(f"{target_type!r} is not something you can follow.")
    if target_type == "country":
        country = get_country(value) if len(value) == 2 else None
        if country is None:
            raise InvalidTarget(f"{value!r} is not an ISO 3166-1 country code.")
        return Target("country", country.code, country.name)
    if target_type == "region_group":
        group = get_region_group(value)
        if group is None:
            raise InvalidTarget(f"{value!r} is not a region group we know.")
        return Target("region_group", group.code, group.name)
    if target_type == "sector":
        sector = get_sector(db, value.lower())
        if sector is None:
            raise InvalidTarget(f"{value!r} is not a sector we know.")
        return Target("sector", sector.slug, sector.name)
    if target_type == "category":
        category = db.scalar(select(Category).where(Category.slug == value.lower()))
        if category is None:
            raise InvalidTarget(f"{value!r} is not a category we know.")
        return Target("category", category.slug, category.name)
    number = int(value) if value.isdigit() and len(value) < 10 else None
    if target_type == "partnership":
        partnership = db.get(Partnership, number) if number else None
        if partnership is None:
            raise InvalidTarget(f"There is no partnership {value!r}.")
        return Target("partnership", str(partnership.id), partnership.name)
    thread = db.get(Thread, number) if number else None
    if thread is None or not can_see_thread(viewer, thread):
        raise InvalidTarget(f"There is no thread {value!r}.")
    return Target("thread", str(thread.id), f"“{thread.title}”")


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
    try:
        found = resolve_target(db, user, target_type, target)
    except InvalidTarget as exc:
        raise HTTPException(422, str(exc)) from exc
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
