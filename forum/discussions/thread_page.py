"""The thread page: which posts a page of a thread shows, how deep, in reply to whom, and
what this viewer reads of each; and the page a permalink to a post lands on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import User
from forum.core.i18n import _
from forum.discussions.models import Post, Thread
from forum.discussions.service import can_edit_post, can_see_history

TOP_LEVEL_PER_PAGE = 50
MAX_DESCENDANTS = 200


@dataclass(frozen=True, slots=True)
class AuthorName:
    """What the page shows of a reply's author."""

    name: str
    handle: str | None


@dataclass(frozen=True, slots=True)
class PostRow:
    """A reply as the page reads it: the columns the page, the API and the post rules
    (`service.can_edit_post` takes it as a post) read, not a mapped object: building 200
    `Post` objects and their authors cost the page more than reading their rows.
    `body`, the Markdown source, is read for the API only (`thread_page(source=True)`)."""

    id: int
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    is_opening: bool
    author_id: int | None
    author: AuthorName | None
    body_html: str
    language: str | None
    created_at: dt.datetime
    edited_at: dt.datetime | None
    deleted_at: dt.datetime | None
    hidden_at: dt.datetime | None
    body: str | None = None

    @property
    def url(self) -> str:
        return Post.url_of(self.id)


# A PostRow's columns in its order; the author's two come from an outer join (a former
# member's posts have none).
_ROW = (Post.id, Post.thread_id, Post.parent_id, Post.root_id, Post.depth, Post.is_opening,
        Post.author_id, User.name, User.handle, Post.body_html, Post.language, Post.created_at,
        Post.edited_at, Post.deleted_at, Post.hidden_at)  # fmt: skip


def _rows_of(stmt: Select[*tuple[Any, ...]], *, source: bool) -> Select[*tuple[Any, ...]]:
    """`stmt` (a select from Post) with a PostRow's columns after its own."""
    stmt = stmt.add_columns(*_ROW).outerjoin(User, User.id == Post.author_id)
    return stmt.add_columns(Post.body) if source else stmt


def _post_row(values: Sequence[Any], authors: dict[int, AuthorName]) -> PostRow:
    """The PostRow of `_ROW`'s values (then the source, when read). One AuthorName per
    author (in `authors`): a page has a few authors for its 200 posts."""
    author_id, name, handle = values[6], values[7], values[8]
    author = None
    if author_id is not None and name is not None:
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = AuthorName(name, handle)
    v = values
    return PostRow(v[0], v[1], v[2], v[3], v[4], v[5], author_id, author, v[9], v[10], v[11],
                   v[12], v[13], v[14], v[15] if len(v) > 15 else None)  # fmt: skip


@dataclass
class ShownPost:
    """A post as the thread page shows it: display depth, whom it answers, its state.

    `state` is "visible", "deleted" or "hidden"; `show_text` says whether this viewer
    reads its text (moderators read hidden and deleted posts, marked as such).
    """

    post: PostRow
    depth: int
    in_reply_to: str | None
    state: str
    show_text: bool
    can_edit: bool
    can_see_history: bool = False
    more_replies: int = 0


@dataclass
class ThreadPage:
    thread: Thread
    opening: Post
    posts: list[ShownPost]
    page: int
    pages: int
    flat: bool
    top_level_total: int
    # What the page covers, for the reading state (forum.discussions.reading): the
    # top-level posts whose subtrees it shows, the ids it shows of the subtrees cut at
    # MAX_DESCENDANTS (by top-level post id), and the highest post id among them.
    roots: list[int] = field(default_factory=list)
    cut: dict[int, list[int]] = field(default_factory=dict)
    max_post_id: int = 0
    # One conversation (`root`), not a page of the thread.
    subtree: bool = False

    @property
    def whole_thread(self) -> bool:
        """Whether this page shows every post of the thread (hidden ones included for
        whoever may see them)."""
        return len(self.roots) == self.top_level_total and not self.cut


def thread_page(
    db: Session, viewer: User | None, thread: Thread, *, page: int = 1, flat: bool = False,
    root: int | None = None, source: bool = False,
) -> ThreadPage:  # fmt: skip
    """One page of a thread: 50 top-level posts with up to 200 descendants each.

    The number of queries does not depend on the number of posts. `flat` lists the
    same page chronologically; `root` shows one top-level post's whole subtree; `source`
    reads each reply's Markdown too (PostRow.body, for the API).
    """
    # Many-to-one loads join (one query); a selectinload costs a query and its own
    # Python overhead, which on this page weighed more than the rows.
    opening = db.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(True))
        .options(joinedload(Post.author))
    )  # fmt: skip
    assert opening is not None, f"thread {thread.id} has no opening post"
    top_q = select(Post.id).where(
        Post.thread_id == thread.id, Post.depth == 0, Post.is_opening.is_(False)
    )
    limit = MAX_DESCENDANTS + 1
    page = max(page, 1)
    if root is not None:
        roots = [root]
        limit = 100_000
        top_total = db.scalar(select(func.count()).select_from(top_q.subquery())) or 0
    else:
        roots, top_total = _page_roots(db, top_q, page)
        if not roots and page > 1:  # past the last page: the last page
            top_total = db.scalar(select(func.count()).select_from(top_q.subquery())) or 0
            page = max(1, -(-top_total // TOP_LEVEL_PER_PAGE))
            roots, top_total = _page_roots(db, top_q, page)
    pages = max(1, -(-top_total // TOP_LEVEL_PER_PAGE))
    ranked = (
        select(
            Post.id.label("id"),
            func.row_number().over(partition_by=Post.root_id, order_by=Post.path).label("rank"),
            # The whole conversation's size: "N more replies" past the cut.
            func.count().over(partition_by=Post.root_id).label("size"),
        )
        .where(Post.thread_id == thread.id, Post.root_id.in_(roots) if roots else false())
        .subquery()
    )
    authors: dict[int, AuthorName] = {}
    rows: list[PostRow] = []
    counts: dict[int | None, int] = {}
    for size, *values in db.execute(
        _rows_of(select(ranked.c.size).select_from(Post), source=source)
        .join(ranked, ranked.c.id == Post.id)
        .where(ranked.c.rank <= limit)
        .order_by(Post.root_id, Post.path)
    ):
        post = _post_row(values, authors)
        rows.append(post)
        counts[post.root_id] = size
    parents = {p.id: p for p in rows}
    missing = {p.parent_id for p in rows if p.parent_id and p.parent_id not in parents}
    if missing:
        for row in db.execute(_rows_of(select().select_from(Post), source=False)
                              .where(Post.id.in_(missing))):  # fmt: skip
            parents[row[0]] = _post_row(row, authors)
    moderator = bool(viewer and viewer.is_moderator)
    has_children = {p.parent_id for p in rows if p.parent_id is not None}
    shown: list[ShownPost] = []
    for post in rows:
        if post.hidden_at is not None and not moderator and post.id not in has_children:
            continue  # a hidden post with no replies leaves no trace for members
        parent = parents.get(post.parent_id) if post.parent_id else None
        # "in reply to" where the indentation cannot say it: flat view, or past the cap.
        answers = None
        if parent is not None and not parent.is_opening and (flat or parent.depth >= post.depth):
            answers = _author_name(parent)
        more = 0
        if post.depth == 0 and root is None:
            more = max(0, counts.get(post.id, 1) - limit)
        state = "deleted" if post.deleted_at else "hidden" if post.hidden_at else "visible"
        shown.append(
            ShownPost(
                post=post,
                depth=0 if flat else post.depth,
                in_reply_to=answers,
                state=state,
                show_text=state == "visible" or moderator,
                can_edit=can_edit_post(viewer, post),
                can_see_history=can_see_history(viewer, post),
                more_replies=more,
            )
        )
    if flat:
        shown.sort(key=lambda s: (s.post.created_at, s.post.id))
    cut = {r: [p.id for p in rows if p.root_id == r] for r in roots if counts.get(r, 0) > limit}
    return ThreadPage(
        thread, opening, shown, page, pages, flat, top_total, roots=roots, cut=cut,
        max_post_id=max([opening.id, *(p.id for p in rows)]), subtree=root is not None,
    )  # fmt: skip


def _page_roots(db: Session, top_q: Select[int], page: int) -> tuple[list[int], int]:
    """The ids of the top-level posts on `page` and how many there are in all (the
    window's count, in the same query; 0 when the page is past the last)."""
    roots: list[int] = []
    total = 0
    for post_id, count in db.execute(
        top_q.add_columns(func.count().over())
        .order_by(Post.id)
        .offset((page - 1) * TOP_LEVEL_PER_PAGE)
        .limit(TOP_LEVEL_PER_PAGE)
    ):
        roots.append(post_id)
        total = count
    return roots, total


def _author_name(post: PostRow) -> str:
    return post.author.name if post.author else _("a former member")


def page_of_post(db: Session, post: Post) -> int:
    """The thread page that shows `post` (for permalinks)."""
    if post.is_opening or post.root_id is None:
        return 1
    before = (
        db.scalar(
            select(func.count()).where(
                Post.thread_id == post.thread_id,
                Post.depth == 0,
                Post.is_opening.is_(False),
                Post.id < post.root_id,
            )
        )
        or 0
    )
    return before // TOP_LEVEL_PER_PAGE + 1
