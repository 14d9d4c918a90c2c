"""Follows: read and write a member's interests (the one store the digest reads)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.core.i18n import _l
from forum.core.jobs import enqueue
from forum.core.pagination import Page
from forum.notifications import tally
from forum.notifications.models import (
    FOLLOW_TARGETS,
    NOTIFICATION_KINDS,
    EmailSettings,
    Follow,
    Notification,
)

# Kinds that may also be emailed at once, with the member's switch for each. The
# `notification-email` job (forum.digests.emails) decides after the commit, from the
# member's settings and the day's cap.
EMAIL_TOGGLES = {
    "reply": "notify_replies",
    "mention": "notify_mentions",
    "thread_post": "notify_thread_posts",
}


def list_follows(db: Session, user_id: int) -> dict[str, list[str]]:
    """Every follow of a member, by target type (types without follows are present, empty)."""
    out: dict[str, list[str]] = {kind: [] for kind in FOLLOW_TARGETS}
    rows = db.execute(
        select(Follow.target_type, Follow.target)
        .where(Follow.user_id == user_id)
        .order_by(Follow.target_type, Follow.target)
    )
    for kind, target in rows:
        out.setdefault(kind, []).append(target)
    return out


def set_follows(db: Session, user_id: int, target_type: str, targets: Iterable[str]) -> None:
    """Replace the member's follows of one type with `targets` (already validated)."""
    if target_type not in FOLLOW_TARGETS:
        raise ValueError(f"cannot follow a {target_type!r}")
    wanted = set(targets)
    current = set(
        db.scalars(
            select(Follow.target).where(
                Follow.user_id == user_id, Follow.target_type == target_type
            )
        )
    )
    if current - wanted:
        db.execute(
            delete(Follow).where(
                Follow.user_id == user_id,
                Follow.target_type == target_type,
                Follow.target.in_(current - wanted),
            )
        )
    for target in sorted(wanted - current):
        db.add(Follow(user_id=user_id, target_type=target_type, target=target))
    db.flush()


def follow(db: Session, user_id: int, target_type: str, target: str) -> None:
    if target_type not in FOLLOW_TARGETS:
        raise ValueError(f"cannot follow a {target_type!r}")
    exists = db.scalar(
        select(Follow.id).where(
            Follow.user_id == user_id, Follow.target_type == target_type, Follow.target == target
        )
    )
    if exists is None:
        db.add(Follow(user_id=user_id, target_type=target_type, target=target))
        db.flush()


def unfollow(db: Session, user_id: int, target_type: str, target: str) -> None:
    db.execute(
        delete(Follow).where(
            Follow.user_id == user_id, Follow.target_type == target_type, Follow.target == target
        )
    )


def notify(
    db: Session,
    *,
    user_id: int,
    kind: str,
    text: str,
    url: str,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
) -> Notification | None:
    """An in-app notification, unless it would tell the actor about their own action."""
    if actor_id is not None and actor_id == user_id:
        return None
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    note = Notification(
        user_id=user_id,
        kind=kind,
        text=text[:300],
        url=url[:300],
        actor_id=actor_id,
        thread_id=thread_id,
        post_id=post_id,
    )
    db.add(note)
    toggle = EMAIL_TOGGLES.get(kind)
    if toggle is not None:
        # No job for a member who turned this kind off (or whose address bounces): most
        # of them would only find that out.
        # Held back here is counted as the email job counts it (forum.notifications.tally).
        email = db.get(EmailSettings, user_id)
        if email is not None and email.bouncing_at is not None:
            tally.count(db, "immediate_bouncing")
        elif email is not None and not getattr(email, toggle):
            tally.count(db, "immediate_off")
        else:
            db.flush()
            enqueue(db, "notification-email", {"id": note.id})
    return note


def unread_count(db: Session, user_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def followers(db: Session, target_type: str, target: str) -> list[int]:
    """Ids of the members who follow this target."""
    return list(
        db.scalars(
            select(Follow.user_id).where(Follow.target_type == target_type, Follow.target == target)
        )
    )


def follow_state(db: Session, user_id: int, target_type: str, target: str) -> bool:
    """Whether the member follows this target."""
    return (
        db.scalar(
            select(Follow.id).where(
                Follow.user_id == user_id,
                Follow.target_type == target_type,
                Follow.target == target,
            )
        )
        is not None
    )


# --- the notifications page ----------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 30


def page_notifications(
    db: Session, user_id: int, *, page: int, per_page: int = NOTIFICATIONS_PER_PAGE
) -> Page[Notification]:
    """One numbered page of the member's notifications, newest first."""
    mine = Notification.user_id == user_id
    total = db.scalar(select(func.count()).select_from(Notification).where(mine)) or 0
    items = list(
        db.scalars(
            select(Notification)
            .where(mine)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, page, per_page, total, "/notifications", {})


# --- what a member may no longer read -------------------------------------------------------
# A notification copies a thread's title when it is made; the thread may be hidden later.
# The domain that owns what notifications point at says which of them a member may no
# longer read (`register_unreadable`, from the `register()` that forum.plugins calls); the
# notifications page and the download show those without their text and link.

WITHHELD_TEXT = _l("About something you can no longer see.")
# rule(member) -> a condition on Notification, true where `member` may not read what it
# points at. The member is the accounts' User, which this floor does not know: hence Any.
UnreadableRule = Callable[[Any], ColumnElement[bool]]
_UNREADABLE: list[UnreadableRule] = []


def register_unreadable(rule: UnreadableRule) -> None:
    """Add a content domain's rule for the notifications a member may no longer read."""
    if rule not in _UNREADABLE:
        _UNREADABLE.append(rule)


def unreadable_ids(db: Session, member: Any, notes: Sequence[Notification]) -> set[int]:
    """The ids among `notes` (the member's own) whose text and link `member` may not read."""
    if not notes or not _UNREADABLE:
        return set()
    return set(
        db.scalars(
            select(Notification.id).where(
                Notification.id.in_([n.id for n in notes]),
                or_(*(rule(member) for rule in _UNREADABLE)),
            )
        )
    )


def mark_read(db: Session, user_id: int, notification_id: int) -> Notification | None:
    """Mark one of the member's notifications read; None when it is not theirs (or gone)."""
    note = db.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        return None
    if note.read_at is None:
        note.read_at = utcnow()
        db.flush()
    return note


# Notifications about one post of a thread: read once the member has read that post.
POST_KINDS = ("reply", "mention", "thread_post")


def mark_posts_read(
    db: Session, user_id: int, *, read_up_to: int | ColumnElement[int], thread_id: int | None = None
) -> int:
    """Mark read the member's notifications about posts they have now read: those of
    POST_KINDS whose post id is at most `read_up_to` (a number, or an expression on
    Notification.thread_id giving each thread's watermark, forum.discussions.reading), in
    `thread_id` or in any thread. Answers how many were unread."""
    where = [
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
        Notification.kind.in_(POST_KINDS),
        Notification.post_id <= read_up_to,
    ]
    if thread_id is not None:
        where.append(Notification.thread_id == thread_id)
    result = db.execute(
        update(Notification)
        .where(*where)
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_all_read(db: Session, user_id: int) -> int:
    """Mark every unread notification of the member read; answers how many were."""
    result = db.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
