"""What each member has read: the reading state of threads (`ThreadRead`), and what it
answers — unread counts, "new" threads, the first unread post, "mark all read" — always
through the discussions' visibility rules, so a count never reveals a post the member
may not read. Reading a post also marks the member's notifications about it read
(forum.notifications.service.mark_posts_read), so the header, the notifications page and
the digest agree with the lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discussions.models import Post, Thread, ThreadRead
from forum.discussions.service import _visible_threads, visible_posts
from forum.discussions.thread_page import TOP_LEVEL_PER_PAGE, ThreadPage
from forum.notifications.models import Notification
from forum.notifications.service import mark_posts_read

# A thread is "new" to a member for this long after it was started (and only if it was
# started after they joined), until they open it.
NEW_FOR = dt.timedelta(days=14)
VIEWS = ("latest", "unread", "new")


@dataclass(frozen=True)
class ThreadState:
    """A thread as one member stands with it: never opened and recent (`new`), or how
    many posts they may read are above their watermark, and where the first one is."""

    new: bool = False
    unread: int = 0
    first_unread_url: str | None = None


# --- conditions on a select over Thread ------------------------------------------------------


def _unread_posts(
    viewer: User, thread_id: Any, watermark: Any, reader_id: Any = None
) -> Select[Any]:
    """The posts of the thread above `watermark` that `viewer` may read, written by
    someone else (a member's own post is never news to them); `reader_id` stands for
    `viewer.id` in a statement built once for every viewer of the same role."""
    stmt = select(Post.id).where(
        Post.thread_id == thread_id,
        Post.id > watermark,
        or_(
            Post.author_id.is_(None),
            Post.author_id != (viewer.id if reader_id is None else reader_id),
        ),
    )
    return visible_posts(stmt, viewer)


def _read_row(viewer: User) -> Select[Any]:
    return (
        select(ThreadRead.last_read_post_id)
        .where(ThreadRead.user_id == viewer.id, ThreadRead.thread_id == Thread.id)
        .correlate(Thread)
    )


def new_since(viewer: User, now: dt.datetime) -> dt.datetime:
    """Threads started at or after this moment may be new to `viewer`."""
    return max(viewer.created_at, now - NEW_FOR)


def only_new(stmt: Select[Thread], viewer: User, *, now: dt.datetime) -> Select[Thread]:
    """Threads started since the member joined and in the last NEW_FOR, by someone else,
    that they have never opened."""
    return stmt.where(
        Thread.created_at >= new_since(viewer, now),
        or_(Thread.author_id.is_(None), Thread.author_id != viewer.id),
        ~exists(_read_row(viewer)),
    )


def only_unread(stmt: Select[Thread], viewer: User) -> Select[Thread]:
    """Threads the member opened that have posts they may read and have not seen."""
    watermark = _read_row(viewer).scalar_subquery()
    unread = _unread_posts(viewer, Thread.id, watermark).correlate(Thread)
    return stmt.where(exists(_read_row(viewer)), exists(unread))


# --- the state of a page of threads ---------------------------------------------------------------


def thread_states(
    db: Session, viewer: User, threads: Sequence[Thread], *, now: dt.datetime | None = None
) -> dict[int, ThreadState]:
    """Each thread's state for `viewer`, in three queries whatever the number of threads
    (the threads are ones `viewer` may see: a list applied the rule already)."""
    if not threads:
        return {}
    ids = [t.id for t in threads]
    marks = dict(
        db.execute(
            select(ThreadRead.thread_id, ThreadRead.last_read_post_id).where(
                ThreadRead.user_id == viewer.id, ThreadRead.thread_id.in_(ids)
            )
        ).all()
    )
    since = new_since(viewer, now or utcnow())
    out = {
        t.id: ThreadState(new=t.created_at >= since and t.author_id != viewer.id)
        for t in threads
        if t.id not in marks
    }
    if not marks:
        return out
    # Per thread: how many, and the first unread post of the earliest page with one.
    unread = visible_posts(
        select(
            Post.thread_id.label("thread_id"),
            Post.id.label("id"),
            func.count().over(partition_by=Post.thread_id).label("n"),
            func.row_number()
            .over(partition_by=Post.thread_id, order_by=(Post.root_id, Post.id))
            .label("rank"),
        )
        .join(
            ThreadRead,
            and_(ThreadRead.thread_id == Post.thread_id, ThreadRead.user_id == viewer.id),
        )
        .where(
            Post.thread_id.in_(list(marks)),
            Post.id > ThreadRead.last_read_post_id,
            or_(Post.author_id.is_(None), Post.author_id != viewer.id),
        ),
        viewer,
    ).subquery()
    counts = {
        tid: (int(n), int(first))
        for tid, n, first in db.execute(
            select(unread.c.thread_id, unread.c.n, unread.c.id).where(unread.c.rank == 1)
        )
    }
    urls = _post_urls(db, [first for _, first in counts.values()])
    for tid in marks:
        n, first = counts.get(tid, (0, 0))
        out[tid] = ThreadState(unread=n, first_unread_url=urls.get(first))
    return out


def _post_urls(db: Session, post_ids: list[int]) -> dict[int, str]:
    """The thread-page address of each post (its page and anchor), in one query: no
    redirect through the permalink (`thread_page.page_of_post` for many posts)."""
    if not post_ids:
        return {}
    top = aliased(Post)
    before = (
        select(func.count())
        .select_from(top)
        .where(
            top.thread_id == Post.thread_id,
            top.depth == 0,
            top.is_opening.is_(False),
            top.id < Post.root_id,
        )
        .correlate(Post)
        .scalar_subquery()
    )
    out = {}
    for post_id, thread_id, is_opening, earlier in db.execute(
        select(Post.id, Post.thread_id, Post.is_opening, before).where(Post.id.in_(post_ids))
    ):
        page = 1 if is_opening else int(earlier or 0) // TOP_LEVEL_PER_PAGE + 1
        # The page is always named: the plain thread address is the one that jumps here.
        out[post_id] = f"/threads/{thread_id}?page={page}#post-{post_id}"
    return out


# --- one thread -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """Where a member stands in one thread: their watermark (None: never opened), the
    address of the first post above it they may read (None: nothing unread), and the
    top-level post that the post right above the watermark belongs under, when that post
    is in this thread (None otherwise): a page that does not show it cannot move the
    watermark, which `record_read` then knows without asking."""

    read_up_to: int | None
    first_unread_url: str | None
    next_root: int | None = None
    # The thread's highest post id: a member read up to it has nothing left to read.
    last_post_id: int | None = None


def thread_mark(db: Session, viewer: User, thread: Thread, *, first_unread: bool = True) -> Mark:
    """The member's watermark in `thread` and the root of the post right above it, in one
    query; with `first_unread`, the first unread post's address too (one more query when
    there is one: its page). The statement is built once per role (`_mark_statement`): it
    runs on every thread page a member opens."""
    row = db.execute(
        _mark_statement(viewer, first_unread=first_unread),
        {"reader_id": viewer.id, "thread_id": thread.id},
    ).first()
    if row is None:
        return Mark(None, None)
    read_up_to, next_root, last_post_id, *first = row
    url = _post_urls(db, first).get(first[0]) if first and first[0] is not None else None
    return Mark(int(read_up_to), url, next_root, last_post_id)


_MARK_STATEMENTS: dict[tuple[bool, bool], Select[Any]] = {}


def _mark_statement(viewer: User, *, first_unread: bool) -> Select[Any]:
    """thread_mark's query for viewers who see hidden posts as `viewer` does, with the
    member and the thread as bound parameters `reader_id` and `thread_id`."""
    key = (viewer.is_moderator, first_unread)
    if key not in _MARK_STATEMENTS:
        reader_id = bindparam("reader_id", type_=Integer)
        thread_id = bindparam("thread_id", type_=Integer)
        columns: list[Any] = [
            ThreadRead.last_read_post_id,
            select(Post.root_id)
            .where(Post.id == ThreadRead.last_read_post_id + 1, Post.thread_id == thread_id)
            .correlate(ThreadRead)
            .scalar_subquery(),
            select(func.max(Post.id)).where(Post.thread_id == thread_id).scalar_subquery(),
        ]
        if first_unread:
            # The first unread post of the earliest page that has one (pages follow the
            # top-level posts): reading on from there reads them all.
            columns.append(
                _unread_posts(viewer, thread_id, ThreadRead.last_read_post_id, reader_id)
                .order_by(Post.root_id, Post.id)
                .limit(1)
                .correlate(ThreadRead)
                .scalar_subquery()
            )
        _MARK_STATEMENTS[key] = select(*columns).where(
            ThreadRead.user_id == reader_id, ThreadRead.thread_id == thread_id
        )
    return _MARK_STATEMENTS[key]


def _blocks(shown: ThreadPage, post_id: int, root_id: int) -> bool:
    """Whether the post `post_id` (under the top-level post `root_id`) stays unread after
    this page: one conversation reads only itself; a page of the thread reads itself and
    the pages before it (read in order: the first unread address opens the earliest page
    with something unread), never the pages after it nor the replies cut from a long
    conversation."""
    cut = shown.cut.get(root_id)
    if cut is not None:
        return post_id not in cut
    if shown.subtree:
        return root_id not in shown.roots
    return bool(shown.roots) and root_id > max(shown.roots)


def record_read(
    db: Session, viewer: User, shown: ThreadPage, *, read_up_to: int | None,
    next_root: int | None = None,
) -> bool:  # fmt: skip
    """Record that `viewer` was shown this page of the thread, in `db`'s transaction
    (`read_mark`, then `write_marks`); answers whether the watermark moved. Page views
    write it after the response instead (forum.discussions.reading_writes)."""
    new = read_mark(db, viewer, shown, read_up_to=read_up_to, next_root=next_root)
    if new is None:
        return False
    write_marks(db, [(viewer.id, shown.thread.id, new)])
    return True


def read_mark(
    db: Session, viewer: User, shown: ThreadPage, *, read_up_to: int | None,
    next_root: int | None = None, last_post_id: int | None = None,
) -> int | None:  # fmt: skip
    """Where `viewer`'s watermark in the thread moves to now that they were shown this page,
    or None when it stays; `read_up_to` is their watermark before, `next_root` the root
    of the post right above it and `last_post_id` the thread's highest post (`thread_mark`;
    read up to it, nothing is asked). Reads only.

    The watermark moves to the highest post id below which every post of the thread is
    read (`_blocks`): on a page that shows the whole thread, its highest post; on one page
    of several, up to the first post above the old watermark on a later page (or cut from
    its conversation); in one conversation, up to the first post outside it. No query
    when the post right above the watermark stays unread.
    """
    old = read_up_to or 0
    new = shown.max_post_id
    if read_up_to is not None and last_post_id is not None and read_up_to >= last_post_id:
        return None  # read to the end already
    if not shown.whole_thread:
        if next_root is not None and _blocks(shown, old + 1, next_root):
            return None  # the first post not read stays unread
        later: list[ColumnElement[bool]] = [
            (Post.root_id.not_in(shown.roots) if shown.roots else true())
            if shown.subtree
            else Post.root_id > max(shown.roots, default=0)
        ]
        later += [
            and_(Post.root_id == root, Post.id.not_in(ids)) for root, ids in shown.cut.items()
        ]
        first_unread, last = db.execute(
            select(func.min(case((or_(*later), Post.id))), func.max(Post.id)).where(
                Post.thread_id == shown.thread.id, Post.id > old, Post.is_opening.is_(False)
            )
        ).one()
        new = max(new, last or 0) if first_unread is None else first_unread - 1
    if read_up_to is not None and new <= old:
        return None
    return max(new, old)


def write_marks(db: Session, marks: Sequence[tuple[int, int, int]]) -> None:
    """Move each (member, thread, post id) watermark up to that post (never down: one
    upsert for them all), and mark read the members' notifications about the posts now
    read. In the order given: callers writing many sort them, so that two writers lock
    rows in the same order."""
    if not marks:
        return
    now = utcnow()
    _upsert(db, [{"user_id": user_id, "thread_id": thread_id, "last_read_post_id": post_id,
                  "read_at": now} for user_id, thread_id, post_id in marks])  # fmt: skip
    for user_id, thread_id, post_id in marks:
        mark_posts_read(db, user_id, thread_id=thread_id, read_up_to=post_id)


def unread_on_page(viewer: User | None, shown: ThreadPage, read_up_to: int | None) -> set[int]:
    """The posts of the page that were unread when the member opened it (marked "New"):
    above their watermark from before, by someone else, shown with their text. None for
    a visitor or a thread never opened (all of it is new)."""
    if viewer is None or read_up_to is None:
        return set()
    return {
        s.post.id
        for s in shown.posts
        if s.post.id > read_up_to and s.state == "visible" and s.post.author_id != viewer.id
    }


_UPSERTS: dict[str, Any] = {}


def _upsert(db: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or move up each (user_id, thread_id, last_read_post_id, read_at) row; the
    statement is built once per dialect (it runs whenever a page moves a watermark)."""
    dialect = db.get_bind().dialect.name
    if dialect not in _UPSERTS:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(ThreadRead)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["user_id", "thread_id"],
            set_={
                # Never backwards, whatever the order two requests commit in.
                "last_read_post_id": case(
                    (
                        stmt.excluded.last_read_post_id > ThreadRead.last_read_post_id,
                        stmt.excluded.last_read_post_id,
                    ),
                    else_=ThreadRead.last_read_post_id,
                ),
                "read_at": stmt.excluded.read_at,
            },
        )
    db.execute(_UPSERTS[dialect], rows)


def mark_all_read(db: Session, viewer: User) -> int:
    """Mark every thread `viewer` may see read up to its last post, in one statement
    (and their notifications about those posts, in one more). Answers how many threads
    had something unread or had never been opened."""
    threads = _visible_threads(viewer).subquery()
    last_post = select(func.max(Post.id)).where(Post.thread_id == threads.c.id).scalar_subquery()
    behind = (
        db.scalar(
            select(func.count())
            .select_from(threads)
            .outerjoin(
                ThreadRead,
                and_(ThreadRead.thread_id == threads.c.id, ThreadRead.user_id == viewer.id),
            )
            .where(or_(ThreadRead.user_id.is_(None), ThreadRead.last_read_post_id < last_post))
        )
        or 0
    )
    if not behind:
        return 0
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    # The WHERE is not decoration: SQLite needs one in an INSERT ... SELECT ... ON
    # CONFLICT, or it reads ON CONFLICT as a join constraint.
    source = select(
        literal(viewer.id),
        threads.c.id,
        func.coalesce(last_post, 0),
        literal(now, ThreadRead.read_at.type),
    ).where(threads.c.id.is_not(None))
    stmt = insert(ThreadRead).from_select(
        ["user_id", "thread_id", "last_read_post_id", "read_at"], source
    )
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "thread_id"],
            set_={
                "last_read_post_id": stmt.excluded.last_read_post_id,
                "read_at": stmt.excluded.read_at,
            },
        )
    )
    watermark = (
        select(ThreadRead.last_read_post_id)
        .where(ThreadRead.user_id == viewer.id, ThreadRead.thread_id == Notification.thread_id)
        .scalar_subquery()
    )
    mark_posts_read(db, viewer.id, read_up_to=watermark)
    return int(behind)
