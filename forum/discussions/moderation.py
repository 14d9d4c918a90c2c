"""Moderation of discussions: moderators hide, pin, lock, move, suspend (the flags and their
queue are `forum.moderation`'s).

Every moderator action checks the actor's role itself (raising NotAllowed), writes an
audit entry with the actor and the reason, and keeps the search index in step through
the outbox, all in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts import admin_service as accounts_admin
from forum.accounts import service as accounts
from forum.accounts.models import User
from forum.core.audit import record
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.formats import format_number
from forum.core.i18n import _
from forum.core.outbox import queue_document
from forum.core.text import control_characters_message, has_control_characters
from forum.discussions.models import Category, Flag, Post, Thread
from forum.discussions.service import DiscussionError, visible_posts

MAX_REASON = 1_000
# --- checks -------------------------------------------------------------------------------


def require_moderator(actor: User | None) -> User:
    if actor is None or not actor.is_moderator:
        raise NotAllowed(_("Only moderators can do this."))
    if actor.is_suspended:
        raise NotAllowed(_("Your account is suspended."))
    return actor


def require_can_flag(reporter: User | None) -> User:
    """Members in good standing flag content. Raises NotAllowed saying why not."""
    if reporter is None:
        raise NotAllowed(_("Log in to flag content."))
    if reporter.is_suspended:
        raise NotAllowed(_("Your account is suspended."))
    if not reporter.is_verified:
        raise NotAllowed(_("Confirm your email address before flagging: see your profile."))
    return reporter


def can_flag(viewer: User | None, author_id: int | None) -> bool:
    """Whether pages offer `viewer` a flag form on content by `author_id`: they may flag
    (`require_can_flag`), it is not their own, and they are no moderator (who acts instead)."""
    if viewer is None or viewer.is_moderator or author_id == viewer.id:
        return False
    try:
        require_can_flag(viewer)
    except NotAllowed:
        return False
    return True


def clean_reason(reason: str, *, what: str | None = None) -> str:
    """`reason` stripped; `what` is the sentence asking for one when it is empty."""
    reason = reason.strip()
    if not reason:
        raise DiscussionError(what or _("Say why: the reason is kept in the audit log."), "reason")
    if has_control_characters(reason):
        raise DiscussionError(control_characters_message(), "reason")
    if len(reason) > MAX_REASON:
        raise DiscussionError(
            _(
                "Keep the reason to %(max)s characters (this is %(count)s).",
                max=format_number(MAX_REASON),
                count=format_number(len(reason)),
            ),
            "reason",
        )
    return reason


def post_label(post: Post) -> str:
    return f"post #{post.id} in “{post.thread.title}”"


def _user_label(user: User) -> str:
    return f"{user.name} <{user.email}>"


def close_flags(
    db: Session, actor: User, object_type: str, object_id: int, resolution: str
) -> None:
    """Close the open flags on an object the moderator just acted on."""
    for item in db.scalars(
        select(Flag).where(
            Flag.object_type == object_type,
            Flag.object_id == object_id,
            Flag.resolved_at.is_(None),
        )
    ):
        item.resolved_at = utcnow()
        item.resolved_by_id = actor.id
        item.resolution = resolution


# --- posts ----------------------------------------------------------------------------------


def hide_post(db: Session, actor: User | None, post: Post, *, reason: str) -> bool:
    """Hide a reply from everyone but moderators; answers False when it was hidden already.

    The opening post cannot be hidden on its own: hide the thread instead.
    """
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if post.is_opening:
        raise DiscussionError(_("This is the opening post: hide the thread instead."), "reason")
    if post.hidden_at is not None:
        return False
    post.hidden_at = utcnow()
    queue_document(db, f"post:{post.id}", "delete")
    close_flags(db, moderator, "post", post.id, "hidden")
    record(
        db,
        actor=moderator,
        action="post.hide",
        object_type="post",
        object_id=post.id,
        object_label=post_label(post),
        reason=reason,
        details={"thread_id": post.thread_id},
    )
    return True


def unhide_post(db: Session, actor: User | None, post: Post, *, reason: str) -> bool:
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if post.hidden_at is None:
        return False
    post.hidden_at = None
    if post.deleted_at is None:
        queue_document(db, f"post:{post.id}", "upsert")
    record(
        db,
        actor=moderator,
        action="post.unhide",
        object_type="post",
        object_id=post.id,
        object_label=post_label(post),
        reason=reason,
        details={"thread_id": post.thread_id},
    )
    return True


# --- threads --------------------------------------------------------------------------------


def _thread_label(thread: Thread) -> str:
    return thread.title


def _queue_thread(db: Session, thread: Thread, op: str) -> None:
    """The thread's document and its replies' documents (deleted and hidden replies stay out)."""
    queue_document(db, f"thread:{thread.id}", op)
    stmt = select(Post.id).where(Post.thread_id == thread.id, Post.is_opening.is_(False))
    if op == "upsert":
        stmt = visible_posts(stmt, None)  # what search indexes: no hidden or deleted reply
    for post_id in db.scalars(stmt.order_by(Post.id)):
        queue_document(db, f"post:{post_id}", op)


def _thread_action(
    db: Session,
    actor: User | None,
    thread: Thread,
    *,
    reason: str,
    action: str,
    attribute: str,
    value: bool,
) -> bool:
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if getattr(thread, attribute) == value:
        return False
    setattr(thread, attribute, value)
    record(
        db,
        actor=moderator,
        action=f"thread.{action}",
        object_type="thread",
        object_id=thread.id,
        object_label=_thread_label(thread),
        reason=reason,
    )
    return True


def pin(db: Session, actor: User | None, thread: Thread, *, reason: str) -> bool:
    """Keep the thread at the top of its lists; False when it was pinned already."""
    return _thread_action(
        db, actor, thread, reason=reason, action="pin", attribute="pinned", value=True
    )


def unpin(db: Session, actor: User | None, thread: Thread, *, reason: str) -> bool:
    return _thread_action(
        db, actor, thread, reason=reason, action="unpin", attribute="pinned", value=False
    )


def lock(db: Session, actor: User | None, thread: Thread, *, reason: str) -> bool:
    """Members can no longer reply (moderators still can); False when it was locked already."""
    return _thread_action(
        db, actor, thread, reason=reason, action="lock", attribute="locked", value=True
    )


def unlock(db: Session, actor: User | None, thread: Thread, *, reason: str) -> bool:
    return _thread_action(
        db, actor, thread, reason=reason, action="unlock", attribute="locked", value=False
    )


def hide_thread(db: Session, actor: User | None, thread: Thread, *, reason: str) -> bool:
    """Hide the thread and all its posts from everyone but moderators."""
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if thread.hidden_at is not None:
        return False
    thread.hidden_at = utcnow()
    _queue_thread(db, thread, "delete")
    close_flags(db, moderator, "thread", thread.id, "hidden")
    record(
        db,
        actor=moderator,
        action="thread.hide",
        object_type="thread",
        object_id=thread.id,
        object_label=_thread_label(thread),
        reason=reason,
    )
    return True


def unhide_thread(db: Session, actor: User | None, thread: Thread, *, reason: str) -> bool:
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if thread.hidden_at is None:
        return False
    thread.hidden_at = None
    _queue_thread(db, thread, "upsert")
    record(
        db,
        actor=moderator,
        action="thread.unhide",
        object_type="thread",
        object_id=thread.id,
        object_label=_thread_label(thread),
        reason=reason,
    )
    return True


def move_thread(
    db: Session, actor: User | None, thread: Thread, *, to: Category, reason: str
) -> bool:
    """Move the thread to another category (its visibility follows the category)."""
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if thread.category_id == to.id:
        return False
    before = thread.category
    thread.category_id = to.id
    thread.category = to
    if thread.hidden_at is None:
        _queue_thread(db, thread, "upsert")
    record(
        db,
        actor=moderator,
        action="thread.move",
        object_type="thread",
        object_id=thread.id,
        object_label=_thread_label(thread),
        reason=reason,
        details={"category": {"from": before.slug, "to": to.slug}},
    )
    return True


def list_move_targets(db: Session, actor: User | None, thread: Thread) -> list[Category]:
    """The categories a moderator may move `thread` to (every other one)."""
    require_moderator(actor)
    return list(
        db.scalars(
            select(Category)
            .where(Category.id != thread.category_id)
            .order_by(Category.position, Category.name)
        )
    )


def get_category_by_slug(db: Session, slug: str) -> Category:
    found = db.scalar(select(Category).where(Category.slug == slug))
    if found is None:
        raise DiscussionError(_("There is no category %(slug)r.", slug=slug), "category")
    return found


# --- members --------------------------------------------------------------------------------


def suspend_member(db: Session, actor: User | None, user: User, *, reason: str) -> bool:
    """Suspend a member (signed out everywhere); False when they were suspended already."""
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if user.is_suspended:
        return False
    try:
        accounts_admin.suspend(db, moderator, user, reason=reason)
    except accounts.AccountError as exc:
        raise DiscussionError(str(exc), exc.field or "reason") from exc
    close_flags(db, moderator, "profile", user.id, "suspended")
    record(
        db,
        actor=moderator,
        action="user.suspend",
        object_type="user",
        object_id=user.id,
        object_label=_user_label(user),
        reason=reason,
    )
    return True
