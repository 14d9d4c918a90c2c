"""Members flag content; moderators see the open flags in one queue and close them.

A flag notifies and emails every moderator. The Flag table is the discussions' (hiding a
post or withdrawing an item closes its flags there); this module knows every kind of
object a flag may point at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.errors import Conflict, NotFound
from forum.core.i18n import DEFAULT_LANGUAGE, _, _l, using
from forum.core.mail import queue_email
from forum.core.pagination import Page
from forum.discussions.models import Flag, Post, Thread
from forum.discussions.moderation import (
    clean_reason,
    close_flags,
    require_can_flag,
    require_moderator,
)
from forum.discussions.service import DiscussionError, find_post, find_thread
from forum.intelligence import queries as intelligence_queries
from forum.intelligence import service as intelligence
from forum.intelligence import writes as intelligence_writes
from forum.intelligence.models import IntelItem
from forum.notifications.service import notify

FLAG_TYPES = ("post", "thread", "intel", "event", "profile")
# Content types whose domains are not built yet: their flags are refused for now.
NOT_YET_FLAGGABLE = ("event",)
FLAG_TYPE_LABELS = {
    "post": _l("a post"),
    "thread": _l("a thread"),
    "intel": _l("an intelligence item"),
    "event": _l("an event"),
    "profile": _l("a member's profile"),
}
QUEUE_PER_PAGE = 20
EXCERPT_LENGTH = 280


class AlreadyFlagged(Conflict, DiscussionError):
    """The reporter already has an open flag on this object (409; a form tells them)."""


# --- flags ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    # A lazy string: the flag's email and notification read it in each moderator's language.
    label: object
    url: str
    thread_id: int | None = None
    post_id: int | None = None


def _nothing_to_flag() -> NotFound:
    # Whatever the kind, one sentence: the answer names no kind the reporter may not see.
    return NotFound("flag target", detail=_("Nothing to flag with this id."))


def _flag_target(db: Session, reporter: User, object_type: str, object_id: int) -> _Target:
    """What is flagged, as this reporter may see it; NotFound when they may not."""
    if object_type == "post":
        post = find_post(db, reporter, object_id)
        if post is None:
            raise _nothing_to_flag()
        label = _l("post #%(id)s in “%(title)s”", id=post.id, title=post.thread.title)
        return _Target(label, post.url, post.thread_id, post.id)
    if object_type == "thread":
        thread = find_thread(db, reporter, object_id)
        if thread is None:
            raise _nothing_to_flag()
        return _Target(_l("the thread “%(title)s”", title=thread.title), thread.url, thread.id)
    if object_type == "intel":
        item = intelligence_queries.find_item(db, reporter, object_id)
        if item is None:
            raise _nothing_to_flag()
        return _Target(_l("the intelligence item “%(title)s”", title=item.title), item.url_path)
    user = db.get(User, object_id)
    if user is None:
        raise _nothing_to_flag()
    label = _l("the profile of %(name)s", name=user.name)
    return _Target(label, f"/members/{user.handle or user.id}")


def flag(
    db: Session,
    reporter: User | None,
    *,
    object_type: str,
    object_id: int,
    reason: str,
    settings: Settings,
) -> Flag:
    """Report a post, thread, intelligence item or profile to the moderators (notified, emailed).

    Raises NotAllowed (not signed in, suspended, unconfirmed), NotFound (no such object,
    or invisible to the reporter), AlreadyFlagged (an open flag by the same reporter on
    the same object) or DiscussionError (unknown type, a type not flaggable yet, a
    missing or long reason).
    """
    reporter = require_can_flag(reporter)
    if object_type not in FLAG_TYPES:
        raise DiscussionError(
            _(
                "Unknown type %(type)r: use one of %(types)s.",
                type=object_type,
                types=", ".join(FLAG_TYPES),
            ),
            "object_type",
        )
    if object_type in NOT_YET_FLAGGABLE:
        raise DiscussionError(
            _(
                "This kind of content (%(kind)s) cannot be flagged yet.",
                kind=FLAG_TYPE_LABELS[object_type],
            ),
            "object_type",
        )
    reason = clean_reason(
        reason, what=_("Say what is wrong, so a moderator knows what to look at.")
    )
    target = _flag_target(db, reporter, object_type, object_id)
    duplicate = db.scalar(
        select(Flag.id).where(
            Flag.object_type == object_type,
            Flag.object_id == object_id,
            Flag.reporter_id == reporter.id,
            Flag.resolved_at.is_(None),
        )
    )
    if duplicate is not None:
        raise AlreadyFlagged(_("You have already flagged this: a moderator will look at it."))
    item = Flag(
        object_type=object_type, object_id=object_id, reporter_id=reporter.id, reason=reason
    )
    db.add(item)
    db.flush()
    moderators = db.scalars(
        select(User)
        .where(User.role.in_(("moderator", "admin")), User.suspended_at.is_(None))
        .order_by(User.id)
    )
    for moderator in moderators:
        if moderator.id == reporter.id:
            continue
        # The stored text is the English record (forum.notifications.wording writes the
        # sentence people read, in their language, when it is read).
        with using(DEFAULT_LANGUAGE):
            text = f"{reporter.name} flagged {target.label}"
        notify(
            db,
            user_id=moderator.id,
            kind="flag",
            actor_id=reporter.id,
            thread_id=target.thread_id,
            post_id=target.post_id,
            url="/moderation",
            text=text,
        )
        queue_email(
            db,
            settings,
            "flag",
            to=moderator.email,
            language=moderator.language,
            timezone=moderator.timezone,
            context={
                "moderator_name": moderator.name,
                "reporter_name": reporter.name,
                "target_label": target.label,
                "target_url": target.url,
                "reason": reason,
            },
        )
    db.flush()
    return item


@dataclass
class QueueItem:
    """An open flag with what it points at, loaded up front for the queue page.

    Exactly one of `post`, `thread` (for thread flags), `intel` and `user` is set while
    the object exists; `thread` is also the post's thread for post flags.
    """

    flag: Flag
    post: Post | None = None
    thread: Thread | None = None
    user: User | None = None
    intel: IntelItem | None = None
    other_open_flags: int = 0

    @property
    def exists(self) -> bool:
        return any(x is not None for x in (self.post, self.thread, self.user, self.intel))

    @property
    def hidden(self) -> bool:
        if self.post is not None:
            return self.post.hidden_at is not None
        if self.thread is not None:
            return self.thread.hidden_at is not None
        if self.intel is not None:
            return self.intel.status == "withdrawn"
        return False

    @property
    def excerpt(self) -> str:
        text = ""
        if self.post is not None:
            text = self.post.body
        elif self.thread is not None:
            text = self.thread.title
        elif self.user is not None:
            text = self.user.bio
        elif self.intel is not None:
            text = self.intel.summary or self.intel.title
        text = " ".join(text.split())
        return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _ids(items: Iterable[Flag], object_type: str) -> list[int]:
    return sorted({f.object_id for f in items if f.object_type == object_type})


def open_flags(
    db: Session, viewer: User | None, *, page: int, per_page: int = QUEUE_PER_PAGE
) -> Page[QueueItem]:
    """One page of the open flags, oldest first (first come, first served)."""
    require_moderator(viewer)
    stmt = select(Flag).where(Flag.resolved_at.is_(None))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    flags = list(
        db.scalars(
            stmt.options(selectinload(Flag.reporter))
            .order_by(Flag.created_at, Flag.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    posts = {
        p.id: p
        for p in db.scalars(
            select(Post)
            .where(Post.id.in_(_ids(flags, "post")))
            .options(selectinload(Post.author), selectinload(Post.thread))
        )
    }
    threads = {
        t.id: t
        for t in db.scalars(
            select(Thread)
            .where(Thread.id.in_(_ids(flags, "thread")))
            .options(selectinload(Thread.author), selectinload(Thread.category))
        )
    }
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(_ids(flags, "profile"))))}
    intel_items = {
        i.id: i
        for i in db.scalars(
            select(IntelItem)
            .where(IntelItem.id.in_(_ids(flags, "intel")))
            .options(selectinload(IntelItem.author), selectinload(IntelItem.feed))
        )
    }
    keys = {(f.object_type, f.object_id) for f in flags}
    totals: dict[tuple[str, int], int] = {}
    if keys:
        for kind, oid, n in db.execute(
            select(Flag.object_type, Flag.object_id, func.count())
            .where(Flag.resolved_at.is_(None), Flag.object_id.in_(sorted({k[1] for k in keys})))
            .group_by(Flag.object_type, Flag.object_id)
        ).all():
            totals[(kind, oid)] = n
    items = []
    for f in flags:
        item = QueueItem(flag=f)
        if f.object_type == "post" and f.object_id in posts:
            item.post = posts[f.object_id]
            item.thread = item.post.thread
        elif f.object_type == "thread":
            item.thread = threads.get(f.object_id)
        elif f.object_type == "profile":
            item.user = users.get(f.object_id)
        elif f.object_type == "intel":
            item.intel = intel_items.get(f.object_id)
        item.other_open_flags = max(0, totals.get((f.object_type, f.object_id), 0) - 1)
        items.append(item)
    return Page(items, page, per_page, total, "/moderation", {})


def get_flag(db: Session, viewer: User | None, flag_id: int) -> Flag:
    require_moderator(viewer)
    found = db.get(Flag, flag_id)
    if found is None:
        raise NotFound("flag")
    return found


def resolve_flag(
    db: Session, actor: User | None, item: Flag, *, reason: str, resolution: str = "dismissed"
) -> bool:
    """Close a flag; answers False when it was already closed (nothing is recorded then)."""
    moderator = require_moderator(actor)
    reason = clean_reason(reason)
    if item.resolved_at is not None:
        return False
    item.resolved_at = utcnow()
    item.resolved_by_id = moderator.id
    item.resolution = resolution[:40]
    record(
        db,
        actor=moderator,
        action="flag.resolve",
        object_type="flag",
        object_id=item.id,
        object_label=f"flag on {item.object_type} #{item.object_id}",
        reason=reason,
        details={"resolution": item.resolution, "flag_reason": item.reason},
    )
    return True


def withdraw_flagged_intel(
    db: Session, actor: User | None, item: Flag, *, reason: str = ""
) -> bool:
    """Withdraw the intelligence item a flag is about, closing its open flags.

    The reason shown on the item (and kept in the audit log) is the moderator's, or the
    flag's when the moderator gives none. Answers False when the flag was already closed.
    """
    moderator = require_moderator(actor)
    if item.object_type != "intel":
        raise DiscussionError(_("This flag is not about an intelligence item."), "reason")
    if item.resolved_at is not None:
        return False
    target = db.get(IntelItem, item.object_id)
    if target is None:
        raise NotFound("intelligence item")
    reason = clean_reason(reason) if reason.strip() else item.reason
    try:
        if not intelligence_writes.set_status(db, moderator, target, "withdrawn", reason=reason):
            close_flags(db, moderator, "intel", target.id, "withdrawn")
    except intelligence.IntelError as exc:
        raise DiscussionError(str(exc), exc.field or "reason") from exc
    return True
