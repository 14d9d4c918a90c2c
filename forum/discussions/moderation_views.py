"""Moderation pages of the discussions: the moderators' actions on posts, threads and
members, and edit history (flags and the queue are `forum.moderation.views`).

Every action is a CSRF-protected POST with a `reason` (kept in the audit log) and an
optional `next` (a local path to return to, normally the thread page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from forum.accounts import service as accounts
from forum.accounts.deps import Moderator, SignedInUser
from forum.core.errors import NotFound
from forum.core.i18n import _, _l
from forum.core.web import DbSession, flash, redirect, render, safe_next
from forum.discussions import moderation, service
from forum.discussions.models import Post

router = APIRouter(include_in_schema=False)

Reason = Annotated[str, Form(max_length=5_000)]
Next = Annotated[str, Form(max_length=500)]


def _back(request: Request, url: str, message: str, level: str) -> Response:
    response = redirect(url)
    flash(request, response, message, level)
    return response


def _act(
    request: Request,
    db: DbSession,
    back: str,
    action: Callable[[], bool],
    *,
    done: object,
    unchanged: object,
) -> Response:
    """Run a service action, commit, and go back with a flash saying what happened.

    Refusals (NotAllowed, NotFound) rise to the error handlers without a rollback:
    closing the session rolls back, and a rollback here would expire the signed-in member
    the error page's header still reads.
    """
    try:
        changed = action()
    except service.DiscussionError as exc:
        db.rollback()
        return _back(request, back, str(exc), "error")
    db.commit()
    message = str(done if changed else unchanged)
    return _back(request, back, message, "success" if changed else "info")


@router.post("/moderation/users/{user_id}/suspend", response_class=HTMLResponse)
def suspend(
    request: Request,
    user_id: int,
    db: DbSession,
    moderator: Moderator,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    user = accounts.get_user(db, user_id)
    if user is None:
        raise NotFound("member")
    return _act(
        request,
        db,
        safe_next(next, "/moderation"),
        lambda: moderation.suspend_member(db, moderator, user, reason=reason),
        done=_("%(name)s is suspended and signed out everywhere.", name=user.name),
        unchanged=_("%(name)s was already suspended.", name=user.name),
    )


# --- posts ---------------------------------------------------------------------------------


def _post_back(post: Post, next_url: str) -> str:
    return safe_next(next_url, post.url)


@router.post("/moderation/posts/{post_id}/hide", response_class=HTMLResponse)
def hide_post(
    request: Request,
    post_id: int,
    db: DbSession,
    moderator: Moderator,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    post = service.get_post(db, moderator, post_id)
    return _act(
        request,
        db,
        _post_back(post, next),
        lambda: moderation.hide_post(db, moderator, post, reason=reason),
        done=_("The post is hidden: only moderators see it now."),
        unchanged=_("That post was already hidden."),
    )


@router.post("/moderation/posts/{post_id}/unhide", response_class=HTMLResponse)
def unhide_post(
    request: Request,
    post_id: int,
    db: DbSession,
    moderator: Moderator,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    post = service.get_post(db, moderator, post_id)
    return _act(
        request,
        db,
        _post_back(post, next),
        lambda: moderation.unhide_post(db, moderator, post, reason=reason),
        done=_("The post is visible again."),
        unchanged=_("That post was not hidden."),
    )


@router.get("/posts/{post_id}/history", response_class=HTMLResponse)
def post_history(request: Request, post_id: int, db: DbSession, viewer: SignedInUser) -> Response:
    post = service.get_post(db, viewer, post_id)
    revisions = service.revisions(db, viewer, post)
    return render(
        request,
        "discussions/post_history.html",
        {"post": post, "thread": post.thread, "revisions": revisions},
    )


# --- threads -------------------------------------------------------------------------------

# The flashes are translated when shown (lazily): the table is built at import time.
_THREAD_ACTIONS: dict[str, tuple[Callable[..., bool], object, object]] = {
    "pin": (moderation.pin, _l("The thread is pinned."), _l("That thread was already pinned.")),
    "unpin": (
        moderation.unpin,
        _l("The thread is no longer pinned."),
        _l("That thread was not pinned."),
    ),
    "lock": (
        moderation.lock,
        _l("The thread is locked: members can no longer reply."),
        _l("That thread was already locked."),
    ),
    "unlock": (
        moderation.unlock,
        _l("The thread takes replies again."),
        _l("That thread was not locked."),
    ),
    "hide": (
        moderation.hide_thread,
        _l("The thread is hidden: only moderators see it now."),
        _l("That thread was already hidden."),
    ),
    "unhide": (
        moderation.unhide_thread,
        _l("The thread is visible again."),
        _l("That thread was not hidden."),
    ),
}


@router.get("/moderation/threads/{thread_id}/move", response_class=HTMLResponse)
def move_form(request: Request, thread_id: int, db: DbSession, moderator: Moderator) -> Response:
    thread = service.get_thread(db, moderator, thread_id)
    return render(
        request,
        "discussions/move.html",
        {"thread": thread, "categories": moderation.list_move_targets(db, moderator, thread)},
    )


@router.post("/moderation/threads/{thread_id}/move", response_class=HTMLResponse)
def move(
    request: Request,
    thread_id: int,
    db: DbSession,
    moderator: Moderator,
    category: Annotated[str, Form(max_length=60)] = "",
    reason: Reason = "",
    next: Next = "",
) -> Response:
    thread = service.get_thread(db, moderator, thread_id)
    back = safe_next(next, thread.url)

    def action() -> bool:
        target = moderation.get_category_by_slug(db, category)
        return moderation.move_thread(db, moderator, thread, to=target, reason=reason)

    return _act(
        request,
        db,
        back,
        action,
        done=_("The thread has moved."),
        unchanged=_("The thread is already in that category."),
    )


@router.post("/moderation/threads/{thread_id}/{action}", response_class=HTMLResponse)
def thread_action(
    request: Request,
    thread_id: int,
    action: str,
    db: DbSession,
    moderator: Moderator,
    reason: Reason = "",
    next: Next = "",
) -> Response:
    """Pin, unpin, lock, unlock, hide or unhide a thread."""
    if action not in _THREAD_ACTIONS:
        raise HTTPException(404, _("There is no thread action %(action)r.", action=action))
    function, done, unchanged = _THREAD_ACTIONS[action]
    thread = service.get_thread(db, moderator, thread_id)
    return _act(
        request,
        db,
        safe_next(next, thread.url),
        lambda: function(db, moderator, thread, reason=reason),
        done=done,
        unchanged=unchanged,
    )
