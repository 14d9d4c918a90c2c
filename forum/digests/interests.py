"""A member's interests as their digest reads them: follows, saved searches and unread
replies and mentions, for a whole batch of members in three queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from forum.accounts.models import User
from forum.core.privacy import FORMER_MEMBER_NAME
from forum.digests.wording import excerpt
from forum.discovery.documents import html_text
from forum.discovery.models import SavedSearch
from forum.discussions.models import Post, Thread, ThreadRead
from forum.discussions.service import DIGEST_READER, visible_posts, visible_threads
from forum.notifications.models import Follow, Notification

NOTIFICATION_KINDS = ("reply", "mention")


@dataclass(frozen=True)
class UnreadNote:
    id: int
    kind: str
    text: str
    url: str
    created_at: dt.datetime
    # Who replied or mentioned, and where: the digest says it in the reader's language
    # ("" when gone: `text`, as stored, is said instead).
    actor_name: str = ""
    thread_title: str = ""
    # The start of the post's text (a reply's new text, the post that mentions): plain.
    excerpt: str = ""


@dataclass
class MemberInterests:
    """A member's follows (by target type), saved searches (id, name, query) and unread
    notes."""

    follows: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    saved_searches: list[tuple[int, str, str]] = field(default_factory=list)
    unread: list[UnreadNote] = field(default_factory=list)

    @property
    def follows_nothing(self) -> bool:
        return not any(self.follows.values()) and not self.saved_searches


def load_member_interests(
    db: Session, user_ids: Sequence[int], *, since: dt.datetime | None = None
) -> dict[int, MemberInterests]:
    """The interests of several members in three queries (every id has an entry).

    Unread notifications are replies and mentions created at or after `since`, on posts
    and threads a digest reader may still read, that the member has not read since on
    the site (their notification unread, their post above the member's reading state).
    """
    out = {user_id: MemberInterests() for user_id in user_ids}
    if not out:
        return out
    ids = list(out)
    for user_id, kind, target in db.execute(
        select(Follow.user_id, Follow.target_type, Follow.target).where(Follow.user_id.in_(ids))
    ):
        out[user_id].follows[kind].add(target)
    for user_id, saved_id, name, query in db.execute(
        select(SavedSearch.user_id, SavedSearch.id, SavedSearch.name, SavedSearch.query)
        .where(SavedSearch.user_id.in_(ids))
        .order_by(SavedSearch.id)
    ):
        out[user_id].saved_searches.append((saved_id, name, query))
    actor = aliased(User)
    notes = (
        select(
            Notification.user_id, Notification.id, Notification.kind, Notification.text,
            Notification.url, Notification.created_at, actor.name, Thread.title,
            Post.body_html,
        )
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Thread, Thread.id == Notification.thread_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(
            ThreadRead,
            and_(
                ThreadRead.user_id == Notification.user_id,
                ThreadRead.thread_id == Notification.thread_id,
            ),
        )
        .where(
            Notification.user_id.in_(ids),
            Notification.read_at.is_(None),
            Notification.kind.in_(NOTIFICATION_KINDS),
            # The one reading state: a post the member has read on the site is not
            # "unread" here, whatever its notification says (forum.discussions.reading).
            or_(
                ThreadRead.user_id.is_(None),
                Notification.post_id.is_(None),
                Notification.post_id > ThreadRead.last_read_post_id,
            ),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )  # fmt: skip
    # Outer joins: a notification without a post (or thread) passes, as the rules only
    # rule out rows that are there.
    notes = visible_threads(visible_posts(notes, DIGEST_READER), DIGEST_READER)
    if since is not None:
        notes = notes.where(Notification.created_at >= since)
    for user_id, note_id, kind, text, url, created_at, actor_name, title, body in db.execute(notes):
        out[user_id].unread.append(
            UnreadNote(
                note_id, kind, text, url, created_at, _shown(actor_name), title or "",
                excerpt(html_text(body or "")),
            )
        )  # fmt: skip
    return out


def _shown(name: str | None) -> str:
    """The actor's name; "" for an erased account (the digest says "A former member" in
    its reader's language rather than the row's English record)."""
    return "" if not name or name == FORMER_MEMBER_NAME else name
