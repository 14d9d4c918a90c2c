"""The thread page: which posts a page of a thread shows, how deep, in reply to whom, and
what this viewer reads of each; and the page a permalink to a post lands on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import User
from forum.core.i18n import _
from forum.discussions.models import Post, Thread
from forum.discussions.service import can_edit_post, can_see_history

TOP_LEVEL_PER_PAGE = 50
MAX_DESCENDANTS = 200


class AuthorName(NamedTuple):
    """What the page shows of a reply's author."""

    name: str
    handle: str | None


class PostRow(NamedTuple):
    """A reply as the page reads it: the columns the page, the API and the post rules
    (`service.can_edit_post` takes it as a post) read, as a tuple, not a mapped object:
    building 200 `Post` objects and their authors cost the page more than reading their
    rows. `body`, the Markdown source, is read for the API only (`thread_page(source=True)`).
    """

    id: int
    thread_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    is_opening: bool
    author_id: int | None
    author_name: str | None  # None: a former member (or no author)
    author_handle: str | None
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

    @property
    def author(self) -> AuthorName | None:
        if self.author_name is None:
            return None
        return AuthorName(self.author_name, self.author_handle)


# The page's statements, built once (their SQL is compiled once per engine): the values
# are bound parameters. A PostRow's columns are in its order, the author's two from an
# outer join (a former member's posts have none).
_ROW = (Post.id, Post.thread_id, Post.parent_id, Post.root_id, Post.depth, Post.is_opening,
        Post.author_id, User.name, User.handle, Post.body_html, Post.language, Post.created_at,
        Post.edited_at, Post.deleted_at, Post.hidden_at)  # fmt: skip
_OPENING = (
    select(Post)
    .where(Post.thread_id == bindparam("thread"), Post.is_opening.is_(True))
    # Many-to-one loads join (one query); a selectinload costs a query and its own
    # Python overhead, which on this page weighed more than the rows.
    .options(joinedload(Post.author))
)
_TOP = select(Post.id).where(
    Post.thread_id == bindparam("thread"), Post.depth == 0, Post.is_opening.is_(False)
)
_TOP_COUNT = select(func.count()).select_from(_TOP.subquery())
# The top-level posts of a page, with how many there are in all (a window count).
_PAGE_ROOTS = (
    _TOP.add_columns(func.count().over())
    .order_by(Post.id)
    .offset(bindparam("offset"))
    .limit(bindparam("per_page"))
)
_RANKED = (
    select(
        Post.id.label("id"),
        func.row_number().over(partition_by=Post.root_id, order_by=Post.path).label("rank"),
        # The whole conversation's size: "N more replies" past the cut.
        func.count().over(partition_by=Post.root_id).label("size"),
    )
    .where(
        Post.thread_id == bindparam("thread"), Post.root_id.in_(bindparam("roots", expanding=True))
    )
    .subquery()
)
# The page's replies (conversation size first, then a PostRow; its source for the API).
_REPLIES = {
    source: select(_RANKED.c.size, *_ROW, *([Post.body] if source else []))
    .select_from(Post)
    .join(_RANKED, _RANKED.c.id == Post.id)
    .outerjoin(User, User.id == Post.author_id)
    .where(_RANKED.c.rank <= bindparam("limit"))
    .order_by(Post.root_id, Post.path)
    for source in (False, True)
}
_PARENTS = (
    select(*_ROW)
    .select_from(Post)
    .outerjoin(User, User.id == Post.author_id)
    .where(Post.id.in_(bindparam("ids", expanding=True)))
)


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
    opening = db.scalar(_OPENING, {"thread": thread.id})
    assert opening is not None, f"thread {thread.id} has no opening post"
    limit = MAX_DESCENDANTS + 1
    page = max(page, 1)
    if root is not None:
        roots = [root]
        limit = 100_000
        top_total = db.scalar(_TOP_COUNT, {"thread": thread.id}) or 0
    else:
        roots, top_total = _page_roots(db, thread.id, page)
        if not roots and page > 1:  # past the last page: the last page
            top_total = db.scalar(_TOP_COUNT, {"thread": thread.id}) or 0
            page = max(1, -(-top_total // TOP_LEVEL_PER_PAGE))
            roots, top_total = _page_roots(db, thread.id, page)
    pages = max(1, -(-top_total // TOP_LEVEL_PER_PAGE))
    # Plain rows, in the session's transaction: no mapped objects to build.
    connection = db.connection()
    rows: list[PostRow] = []
    counts: dict[int | None, int] = {}
    for size, *values in connection.execute(
        _REPLIES[source], {"thread": thread.id, "roots": roots, "limit": limit}
    ):
        post = PostRow(*values)
        rows.append(post)
        counts[post.root_id] = size
    parents = {p.id: p for p in rows}
    missing = {p.parent_id for p in rows if p.parent_id and p.parent_id not in parents}
    if missing:
        for row in connection.execute(_PARENTS, {"ids": list(missing)}):
            parents[row[0]] = PostRow(*cast(Sequence[Any], row))
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


def _page_roots(db: Session, thread_id: int, page: int) -> tuple[list[int], int]:
    """The ids of the top-level posts on `page` and how many there are in all (the
    window's count, in the same query; 0 when the page is past the last)."""
    roots: list[int] = []
    total = 0
    for post_id, count in db.execute(
        _PAGE_ROOTS,
        {"thread": thread_id, "offset": (page - 1) * TOP_LEVEL_PER_PAGE,
         "per_page": TOP_LEVEL_PER_PAGE},
    ):  # fmt: skip
        roots.append(post_id)
        total = count
    return roots, total


def _author_name(post: PostRow) -> str:
    return post.author_name if post.author_name is not None else _("a former member")


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
