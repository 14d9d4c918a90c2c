"""The notifications page, marking notifications read, and the follow/unfollow buttons."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core.formats import format_datetime, machine_time
from forum.core.i18n import _, _l, lazy_pgettext
from forum.core.pagination import page_number
from forum.core.privacy import FORMER_MEMBER_NAME
from forum.core.web import DbSession, flash, redirect, render, safe_next
from forum.discussions.models import Thread
from forum.notifications import service, wording
from forum.notifications.models import Notification
from forum.portal.follows import resolve_target

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "reply": lazy_pgettext("notification kind", "Reply"),
    "mention": _l("Mention"),
    "thread_post": _l("New post"),
    "flag": lazy_pgettext("notification kind", "Report"),
    "membership": _l("Membership"),
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
    sentences = _sentences(db, listing.items)
    return render(
        request,
        "notifications/list.html",
        {
            "nav": "notifications",
            "listing": listing,
            "items": [
                {
                    "id": note.id,
                    "text": str(service.WITHHELD_TEXT)
                    if note.id in withheld
                    else sentences[note.id],
                    "url": "/notifications" if note.id in withheld else _local(note.url),
                    "kind": str(KIND_LABELS.get(note.kind, note.kind)),
                    "unread": note.read_at is None,
                    "when": format_datetime(note.created_at),
                    "iso": machine_time(note.created_at),
                }
                for note in listing.items
            ],
        },
    )


def _erased(member: User) -> bool:
    """The "Former member" an erased account became (forum.portal.privacy)."""
    return member.name == FORMER_MEMBER_NAME and member.email == f"deleted-{member.id}@invalid"


def _sentences(db: Session, notes: list[Notification]) -> dict[int, str]:
    """Each notification's sentence in the reader's language, with the actor's name and
    the thread's title as they are now (forum.notifications.wording)."""
    actor_ids = {n.actor_id for n in notes if n.actor_id is not None}
    thread_ids = {n.thread_id for n in notes if n.thread_id is not None}
    actors = (
        {
            u.id: None if _erased(u) else u.name
            for u in db.scalars(select(User).where(User.id.in_(actor_ids)))
        }
        if actor_ids
        else {}
    )
    titles: dict[int, str] = {}
    if thread_ids:
        query = select(Thread.id, Thread.title).where(Thread.id.in_(thread_ids))
        titles = {thread_id: title for thread_id, title in db.execute(query)}
    return {
        n.id: wording.describe(
            n.kind,
            actor=actors.get(n.actor_id) if n.actor_id is not None else None,
            title=titles.get(n.thread_id) if n.thread_id is not None else None,
            stored=n.text,
            on_post=n.post_id is not None,
        )
        for n in notes
    }


def _local(url: str) -> str:
    """A notification's own link when it is a path on this site, else the list itself."""
    return url if url and safe_next(url) == url else "/notifications"


@router.post("/notifications/read", response_class=HTMLResponse)
def read_all(request: Request, db: DbSession, user: SignedInUser) -> Response:
    count = service.mark_all_read(db, user.id)
    db.commit()
    response = redirect("/notifications")
    if count:
        flash(request, response, _("All your notifications are marked read."), "success")
    return response


@router.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
def read_one(request: Request, notification_id: int, db: DbSession, user: SignedInUser) -> Response:
    note = service.mark_read(db, user.id, notification_id)
    if note is None:
        raise HTTPException(404, _("You have no such notification."))
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
        if found.type == "thread":
            message = _(
                "You follow %(name)s: new posts in it will show in your notifications.",
                name=found.label,
            )
        else:
            message = _("You follow %(name)s: it will be in your digest.", name=found.label)
    else:
        service.unfollow(db, user.id, found.type, found.key)
        message = _("You no longer follow %(name)s.", name=found.label)
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
