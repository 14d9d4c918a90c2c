"""Rules of the discussions: who sees and may write what (can_*/require_*, the visibility
filters), and reading one category, thread or post through them. The writes are in
writes.py, the lists of threads in listing.py, the thread page in thread_page.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from forum.accounts.models import User
from forum.core.errors import Invalid, NotAllowed, NotFound
from forum.core.i18n import _, _l
from forum.discussions.models import (
    Category,
    Post,
    PostRevision,
    Thread,
)
from forum.notifications.models import Notification

# Any select, whatever its columns: the filters narrow its rows, never its columns.
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


class DiscussionError(Invalid):
    """Input that breaks a rule of the discussions; `field` names the form field."""


# --- categories ------------------------------------------------------------------------


def can_see_category(viewer: User | DigestReader | None, category: Category) -> bool:
    return category.is_public or viewer is not None


def list_categories(db: Session, viewer: User | None) -> list[Category]:
    stmt = select(Category).order_by(Category.position, Category.name)
    if viewer is None:
        stmt = stmt.where(Category.visibility == "public")
    return list(db.scalars(stmt))


def find_category(db: Session, viewer: User | None, slug: str) -> Category | None:
    """The category, or None when it is missing or `viewer` may not see it."""
    category = db.scalar(select(Category).where(Category.slug == slug))
    return category if category is not None and can_see_category(viewer, category) else None


def get_category(db: Session, viewer: User | None, slug: str) -> Category:
    """`find_category`, raising NotFound instead of answering None."""
    category = find_category(db, viewer, slug)
    if category is None:
        raise NotFound("category")
    return category


# --- who may do what -------------------------------------------------------------------------


def can_see_thread(viewer: User | DigestReader | None, thread: Thread) -> bool:
    if not can_see_category(viewer, thread.category):
        return False
    return thread.hidden_at is None or _sees_hidden(viewer)


def can_see_post(viewer: User | DigestReader | None, post: Post) -> bool:
    """Whether `viewer` reads the post's text: not hidden, unless a moderator on the site
    (an email, `DIGEST_READER`, never carries a hidden post)."""
    return post.hidden_at is None or _sees_hidden(viewer)


def unreadable_notifications(viewer: User) -> ColumnElement[bool]:
    """A condition on Notification: about a thread or post `viewer` may not see (hidden
    since it was made). Registered with forum.notifications, which withholds their text."""
    threads = _visible_threads(viewer).with_only_columns(Thread.id)
    unseen = and_(Notification.thread_id.is_not(None), Notification.thread_id.not_in(threads))
    if viewer.is_moderator:
        return unseen
    hidden_posts = select(Post.id).where(Post.hidden_at.is_not(None))
    return or_(unseen, Notification.post_id.in_(hidden_posts))


class PostFacts(Protocol):
    """What the post rules read of a post: a `Post`, or a thread page's row of one
    (`thread_page.PostRow`)."""

    @property
    def author_id(self) -> int | None: ...
    @property
    def deleted_at(self) -> dt.datetime | None: ...
    @property
    def hidden_at(self) -> dt.datetime | None: ...


def can_edit_post(viewer: User | None, post: PostFacts) -> bool:
    if viewer is None or viewer.is_suspended:
        return False
    if viewer.is_moderator:
        return True
    return post.author_id == viewer.id and post.deleted_at is None and post.hidden_at is None


@dataclass(frozen=True)
class DigestReader:
    """Whoever reads an email digest, in place of a viewer: a signed-in member (so
    members-only categories are readable), never sent hidden or removed content, not even
    as a moderator: an email cannot mark a post as hidden, and outlives the decision."""


DIGEST_READER = DigestReader()


def _sees_hidden(viewer: User | DigestReader | None) -> bool:
    return isinstance(viewer, User) and viewer.is_moderator


def visible_threads(stmt: S, viewer: User | DigestReader | None) -> S:
    """`stmt`, a select over Thread, narrowed to the threads `viewer` may read: a visitor
    those of public categories, a member every category, a moderator on the site hidden
    threads too (marked as such); a digest (`DIGEST_READER`) never a hidden one."""
    if viewer is None:
        public = select(Category.id).where(Category.visibility == "public").correlate(None)
        stmt = stmt.where(Thread.category_id.in_(public))
    if not _sees_hidden(viewer):
        stmt = stmt.where(Thread.hidden_at.is_(None))
    return stmt


def threads_not_visible(viewer: User | DigestReader | None) -> Select[int]:
    """The ids of the threads `viewer` may not read: `visible_threads` turned round, for a
    count taken by subtraction (every link counted from its own index, less the few of
    these threads), where testing each of many rows against the rule would be slow. The
    two halves together are every thread, once (tests/discussions/test_visibility.py)."""
    left_out: list[ColumnElement[bool]] = [false()]
    if viewer is None:
        closed = select(Category.id).where(Category.visibility != "public").correlate(None)
        left_out.append(Thread.category_id.in_(closed))
    if not _sees_hidden(viewer):
        left_out.append(Thread.hidden_at.is_not(None))
    return select(Thread.id).where(or_(*left_out))


def visible_posts(stmt: S, viewer: User | DigestReader | None) -> S:
    """`stmt`, a select over Post, narrowed to the posts whose text `viewer` may read: not
    deleted, and not hidden unless a moderator on the site (never in a digest). The
    thread's own rule is `visible_threads`, for the caller to apply to the thread."""
    stmt = stmt.where(Post.deleted_at.is_(None))
    if not _sees_hidden(viewer):
        stmt = stmt.where(Post.hidden_at.is_(None))
    return stmt


LOG_IN_TO_POST = _l("Log in to post.")
LOCKED = _l("This thread is locked: it takes no new replies.")


def require_can_post(viewer: User | None) -> User:
    if viewer is None:
        raise NotAllowed(str(LOG_IN_TO_POST))
    if viewer.is_suspended:
        raise NotAllowed(_("Your account is suspended."))
    if not viewer.is_verified:
        raise NotAllowed(_("Confirm your email address before posting: see your profile."))
    return viewer


def can_post(viewer: User | None) -> bool:
    """`require_can_post` as a bool: signed in, confirmed, not suspended."""
    try:
        require_can_post(viewer)
    except NotAllowed:
        return False
    return True


def reply_refusal(viewer: User | None, thread: Thread) -> str | None:
    """Why `viewer` may not reply in `thread` (which they see), or None when they may.

    A locked thread takes replies from moderators only; anyone else must be allowed to
    post (`require_can_post`). `reply` raises NotAllowed with the same sentence.
    """
    if thread.locked and not (viewer is not None and viewer.is_moderator):
        return str(LOCKED)
    try:
        require_can_post(viewer)
    except NotAllowed as exc:
        return str(exc)
    return None


def can_quote(viewer: User | None, post: Post) -> bool:
    """A post is quoted (and shown above the reply form answering it) while it is not
    deleted and `viewer` may see it."""
    return post.deleted_at is None and can_see_post(viewer, post)


def lead_html(opening_html: str, *, challenge_html: str = "", approach_html: str = "") -> str:
    """What a list or a digest quotes of a thread, as HTML: a good practice's own first
    field as its page shows it (the challenge, else the approach), else the opening post.
    A good practice's opening post holds notes around the fields (the demo's say which
    report section it comes from), never its gist."""
    for field in (challenge_html, approach_html):
        if field.strip():
            return field
    return opening_html


def can_see_history(viewer: User | None, post: PostFacts) -> bool:
    """A post's edit history is for its author (while they may still edit it) and the
    moderators: the earlier versions are the author's own words."""
    return can_edit_post(viewer, post)


def require_can_see_history(viewer: User | None, post: Post) -> None:
    if not can_see_history(viewer, post):
        raise NotAllowed(_("Edit history is for the post's author and the moderators."))


def revisions(db: Session, viewer: User | None, post: Post) -> list[PostRevision]:
    """The earlier versions of `post`, newest first. Raises NotAllowed (require_can_see_history)."""
    require_can_see_history(viewer, post)
    return list(
        db.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .options(selectinload(PostRevision.editor))
            .order_by(PostRevision.created_at.desc(), PostRevision.id.desc())
        )
    )


# --- reading one ---------------------------------------------------------------------------------


def _visible_threads(viewer: User | None) -> Select[Thread]:
    # The join lets list pages load each thread's category with it (contains_eager).
    return visible_threads(select(Thread).join(Category, Category.id == Thread.category_id), viewer)


def _with_tags(stmt: Select[Thread]) -> Select[Thread]:
    return stmt.options(
        selectinload(Thread.sectors),
        selectinload(Thread.country_rows),
        selectinload(Thread.category),
        selectinload(Thread.author),
        selectinload(Thread.partnership),
    )


def find_thread(db: Session, viewer: User | None, thread_id: int) -> Thread | None:
    """The thread with its tags, or None when it is missing or `viewer` may not see it."""
    # One row: what it has one of is joined (a selectinload costs a query and more Python
    # than the join); its tags, which it has many of, come by selectinload.
    thread = db.scalar(
        select(Thread)
        .where(Thread.id == thread_id)
        .options(
            selectinload(Thread.sectors),
            selectinload(Thread.country_rows),
            joinedload(Thread.category),
            joinedload(Thread.author),
            joinedload(Thread.partnership),
            joinedload(Thread.good_practice),
        )
    )
    return thread if thread is not None and can_see_thread(viewer, thread) else None


def get_thread(db: Session, viewer: User | None, thread_id: int) -> Thread:
    """`find_thread`, raising NotFound instead of answering None."""
    thread = find_thread(db, viewer, thread_id)
    if thread is None:
        raise NotFound("thread")
    return thread


def find_post(db: Session, viewer: User | None, post_id: int) -> Post | None:
    """The post, or None when it is missing or `viewer` may not see it or its thread."""
    post = db.scalar(
        select(Post)
        .where(Post.id == post_id)
        .options(selectinload(Post.thread).selectinload(Thread.category))
    )
    if post is None or not can_see_thread(viewer, post.thread) or not can_see_post(viewer, post):
        return None
    return post


def get_post(db: Session, viewer: User | None, post_id: int) -> Post:
    """`find_post`, raising NotFound instead of answering None."""
    post = find_post(db, viewer, post_id)
    if post is None:
        raise NotFound("post")
    return post


def get_reply_parent(db: Session, viewer: User | None, thread: Thread, post_id: int) -> Post:
    """The post `viewer` answers in `thread`: one they may read, of that very thread.

    Raises DiscussionError otherwise; a hidden or foreign post answers like a missing
    one, so the reply form never reveals whether it exists.
    """
    parent = find_post(db, viewer, post_id)
    if parent is None or parent.thread_id != thread.id:
        raise DiscussionError(_("The post you reply to is not in this thread."), "parent_id")
    return parent
