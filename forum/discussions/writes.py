"""Writing in the discussions: threads and good practices, replies in the reply tree,
edits and deletion, with the limits on new accounts.

Every function takes the session first, checks permissions through the rules of
service.py, flushes but never commits, and writes the search-outbox rows and
notifications in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import content_language
from forum.core.db import utcnow
from forum.core.errors import NotAllowed, NotFound
from forum.core.formats import format_number
from forum.core.i18n import _
from forum.core.outbox import queue_document
from forum.core.text import MAX_BODY, MAX_TITLE, clean_line, mentioned_handles, render_markdown
from forum.discussions.models import (
    MAX_DEPTH,
    THREAD_KINDS,
    Category,
    GoodPractice,
    Post,
    PostRevision,
    Thread,
)
from forum.discussions.service import (
    DiscussionError,
    can_edit_post,
    can_see_category,
    can_see_thread,
    get_reply_parent,
    reply_refusal,
    require_can_post,
)
from forum.notifications.service import follow, followers, notify
from forum.taxonomy.models import Sector

NEW_ACCOUNT_AGE = dt.timedelta(days=7)
NEW_ACCOUNT_POSTS = 3
NEW_ACCOUNT_MAX_LINKS = 3
NEW_ACCOUNT_POSTS_PER_HOUR = 10
LINK_RE = re.compile(r"https?://|\]\(|<https?:|www\.", re.I)


def _check_new_account_limits(db: Session, author: User, body: str) -> None:
    """New accounts (< 7 days or < 3 posts) get at most 3 links and 10 posts an hour."""
    if author.is_moderator:
        return
    post_count = db.scalar(select(func.count()).where(Post.author_id == author.id)) or 0
    if author.created_at > utcnow() - NEW_ACCOUNT_AGE or post_count < NEW_ACCOUNT_POSTS:
        if len(LINK_RE.findall(body)) > NEW_ACCOUNT_MAX_LINKS:
            raise DiscussionError(
                _(
                    "New accounts may put at most %(max)s links in a post, until they are "
                    "a week old and have written %(posts)s posts.",
                    max=NEW_ACCOUNT_MAX_LINKS,
                    posts=NEW_ACCOUNT_POSTS,
                ),
                "body",
            )
        recent = (
            db.scalar(
                select(func.count()).where(
                    Post.author_id == author.id, Post.created_at > utcnow() - dt.timedelta(hours=1)
                )
            )
            or 0
        )
        if recent >= NEW_ACCOUNT_POSTS_PER_HOUR:
            raise DiscussionError(
                _(
                    "New accounts may write at most %(max)s posts an hour. Please wait a little.",
                    max=NEW_ACCOUNT_POSTS_PER_HOUR,
                ),
                "body",
            )


# --- text ----------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = clean_line(title)
    if not title:
        raise DiscussionError(_("Give the thread a title."), "title")
    if len(title) > MAX_TITLE:
        raise DiscussionError(
            _("Keep the title to %(max)s characters.", max=format_number(MAX_TITLE)), "title"
        )
    return title


def _check_body(body: str, *, field: str = "body", required: bool = True) -> str:
    if required and not body.strip():
        raise DiscussionError(_("Write something first."), field)
    if len(body) > MAX_BODY:
        raise DiscussionError(
            _(
                "Keep it to %(max)s characters (this is %(count)s).",
                max=format_number(MAX_BODY),
                count=format_number(len(body)),
            ),
            field,
        )
    return body


def _mentions(db: Session, body: str) -> dict[str, User]:
    handles = mentioned_handles(body)
    if not handles:
        return {}
    users = db.scalars(select(User).where(User.handle.in_(handles), User.suspended_at.is_(None)))
    return {u.handle: u for u in users if u.handle}


def render_body(db: Session, body: str) -> tuple[str, dict[str, User]]:
    """Sanitized HTML for a post body, and the members it mentions."""
    mentioned = _mentions(db, body)
    html = render_markdown(body, mentions={h: f"/members/{h}" for h in mentioned})
    return html, mentioned


def preview(db: Session, body: str) -> str:
    """What a post will look like (the same rendering as on save)."""
    return render_body(db, _check_body(body, required=False))[0]


# --- threads -----------------------------------------------------------------------------


@dataclass
class GoodPracticeInput:
    approach: str = ""
    results: str = ""
    challenge: str = ""
    lessons: str = ""
    contact: str = ""


@dataclass
class ThreadInput:
    title: str
    body: str
    category: Category
    kind: str = "discussion"
    countries: Sequence[str] = ()
    sectors: Sequence[Sector] = ()
    good_practice: GoodPracticeInput = field(default_factory=GoodPracticeInput)
    # The language chosen for the title and text; None: detected from them.
    language: str | None = None


def create_thread(
    db: Session,
    author: User | None,
    data: ThreadInput,
    *,
    created_at: dt.datetime | None = None,
    source_note: str | None = None,
    check_limits: bool = True,
    require_tags: bool = True,
) -> Thread:
    """A new thread with its opening post. Raises NotAllowed or DiscussionError.

    Good practices need a title, approach, results, countries and sectors; their
    opening post is optional. `created_at` and `source_note` serve imported content.
    """
    user = require_can_post(author)
    if not can_see_category(user, data.category):
        raise NotFound("category")
    if data.kind not in THREAD_KINDS:
        raise DiscussionError(
            _(
                "Unknown kind %(kind)r: use one of %(kinds)s.",
                kind=data.kind,
                kinds=", ".join(THREAD_KINDS),
            ),
            "kind",
        )
    title = _clean_title(data.title)
    chosen_language = content_language.chosen(data.language, DiscussionError)
    gp = data.good_practice
    is_gp = data.kind == "good_practice"
    body = _check_body(data.body, required=not is_gp)
    if is_gp:
        _check_body(gp.approach, field="approach")
        _check_body(gp.results, field="results")
        for name in ("challenge", "lessons"):
            _check_body(getattr(gp, name), field=name, required=False)
        if len(gp.contact) > 500:
            raise DiscussionError(_("Keep the contact to %(max)s characters.", max=500), "contact")
        # Imported content (the report's showcases) keeps only the tags its source gives.
        if not data.countries and require_tags:
            raise DiscussionError(_("Choose at least one country (or region)."), "countries")
        if not data.sectors:
            raise DiscussionError(_("Choose at least one sector."), "sectors")
    if check_limits:
        everything = " ".join([body, gp.approach, gp.results, gp.challenge, gp.lessons])
        _check_new_account_limits(db, user, everything)
    now = created_at or utcnow()
    partnership = user.partnership
    language = chosen_language or content_language.detect(
        _join_texts(title, body, gp.challenge, gp.approach, gp.results, gp.lessons)
    )
    thread = Thread(
        category_id=data.category.id,
        kind=data.kind,
        title=title,
        author_id=user.id,
        partnership_id=partnership.id if partnership else None,
        created_at=now,
        last_activity_at=now,
        source_note=source_note,
        language=language,
    )
    thread.category = data.category
    thread.sectors = list(data.sectors)
    thread.set_countries(list(data.countries))
    if is_gp:
        thread.good_practice = GoodPractice(
            approach=gp.approach,
            approach_html=render_markdown(gp.approach),
            results=gp.results,
            results_html=render_markdown(gp.results),
            challenge=gp.challenge,
            challenge_html=render_markdown(gp.challenge) if gp.challenge.strip() else "",
            lessons=gp.lessons,
            lessons_html=render_markdown(gp.lessons) if gp.lessons.strip() else "",
            contact=clean_line(gp.contact),
        )
    db.add(thread)
    db.flush()
    html, mentioned = render_body(db, body)
    opening = Post(
        thread_id=thread.id,
        author_id=user.id,
        body=body,
        body_html=html,
        language=language,
        is_opening=True,
        depth=0,
        created_at=now,
    )
    db.add(opening)
    db.flush()
    opening.root_id = opening.id
    opening.path = _segment(opening.id)
    follow(db, user.id, "thread", str(thread.id))
    _notify_mentions(db, user, opening, thread, mentioned)
    queue_document(db, f"thread:{thread.id}")
    db.flush()
    return thread


def _segment(post_id: int) -> str:
    return f"/{post_id:010d}"


def update_thread_tags(
    db: Session,
    editor: User,
    thread: Thread,
    *,
    countries: Sequence[str],
    sectors: Sequence[Sector],
) -> None:
    if not (editor.is_moderator or thread.author_id == editor.id):
        raise NotAllowed(_("Only the author or a moderator can change the tags."))
    thread.set_countries(list(countries))
    thread.sectors = list(sectors)
    queue_document(db, f"thread:{thread.id}")
    db.flush()


# --- replies ------------------------------------------------------------------------------


def reply(
    db: Session,
    author: User | None,
    thread: Thread,
    *,
    body: str,
    parent_id: int | None = None,
    created_at: dt.datetime | None = None,
    check_limits: bool = True,
    language: str | None = None,
) -> Post:
    """A reply in `thread`, under `parent_id` or at the top level.

    Raises NotAllowed (locked thread, not allowed to post), NotFound (thread not
    visible) or DiscussionError (empty or long body, parent from another thread).
    """
    user = require_can_post(author)
    if not can_see_thread(user, thread):
        raise NotFound("thread")
    refusal = reply_refusal(user, thread)
    if refusal is not None:
        raise NotAllowed(refusal)
    body = _check_body(body)
    language = content_language.chosen(language, DiscussionError) or content_language.detect(body)
    if check_limits:
        _check_new_account_limits(db, user, body)
    parent = get_reply_parent(db, user, thread, parent_id) if parent_id is not None else None
    if parent is not None and parent.deleted_at is not None:
        raise DiscussionError(_("The post you reply to was deleted."), "parent_id")
    now = created_at or utcnow()
    html, mentioned = render_body(db, body)
    post = Post(thread_id=thread.id, parent_id=parent_id, author_id=user.id, body=body,
                body_html=html, language=language, created_at=now)  # fmt: skip
    db.add(post)
    db.flush()
    if parent is None or parent.is_opening:
        post.depth, post.root_id, post.path = 0, post.id, _segment(post.id)
        # A reply to the opening post is a top-level reply, not nested under it.
        post.parent_id = None if parent is None else parent.id
    elif parent.depth < MAX_DEPTH:
        post.depth, post.root_id = parent.depth + 1, parent.root_id
        post.path = parent.path + _segment(post.id)
    else:
        # At the cap a reply becomes its parent's sibling, shown "in reply to NAME".
        post.depth, post.root_id = parent.depth, parent.root_id
        post.path = parent.path.rsplit("/", 1)[0] + _segment(post.id)
    thread.reply_count += 1
    thread.last_activity_at = now
    follow(db, user.id, "thread", str(thread.id))
    _notify_reply(db, user, post, thread, parent, mentioned)
    queue_document(db, f"post:{post.id}")
    queue_document(db, f"thread:{thread.id}")
    db.flush()
    return post


def _notify_mentions(
    db: Session, actor: User, post: Post, thread: Thread, mentioned: dict[str, User]
) -> set[int]:
    told = set()
    for user in mentioned.values():
        if can_see_thread(user, thread) and notify(
            db, user_id=user.id, kind="mention", actor_id=actor.id, thread_id=thread.id,
            post_id=post.id, url=post.url,
            text=f"{actor.name} mentioned you in “{thread.title}”",
        ):  # fmt: skip
            told.add(user.id)
    return told


def _notify_reply(
    db: Session, actor: User, post: Post, thread: Thread, parent: Post | None,
    mentioned: dict[str, User],
) -> None:  # fmt: skip
    told = _notify_mentions(db, actor, post, thread, mentioned) | {actor.id}
    target = parent.author_id if parent is not None else thread.author_id
    if target is not None and target not in told:
        notify(db, user_id=target, kind="reply", actor_id=actor.id, thread_id=thread.id,
               post_id=post.id, url=post.url, text=f"{actor.name} replied in “{thread.title}”")  # fmt: skip
        told.add(target)
    for user_id in followers(db, "thread", str(thread.id)):
        if user_id not in told:
            notify(db, user_id=user_id, kind="thread_post", actor_id=actor.id,
                   thread_id=thread.id, post_id=post.id, url=post.url,
                   text=f"New reply by {actor.name} in “{thread.title}”")  # fmt: skip


# --- edits and deletion ------------------------------------------------------------------------


def edit_post(
    db: Session, editor: User | None, post: Post, *, body: str, language: str | None = None
) -> Post:
    """Replace a post's text, keeping the previous one as a revision.

    The language is `language` when one is chosen; otherwise a changed text's language is
    detected again (and kept as it was when detection is unsure)."""
    if not can_edit_post(editor, post):
        raise NotAllowed(_("You can edit only your own posts."))
    assert editor is not None
    body = _check_body(body, required=not post.is_opening)
    language = content_language.chosen(language, DiscussionError)
    if body == post.body and (language is None or language == post.language):
        return post
    if body != post.body:
        db.add(PostRevision(post_id=post.id, editor_id=editor.id, body=post.body))
        post.body = body
        post.body_html, _mentioned = render_body(db, body)
        post.edited_at = utcnow()
        if language is None:
            title = post.thread.title if post.is_opening else ""
            language = content_language.detect(_join_texts(title, body))
    post.language = language or post.language
    if post.is_opening:
        post.thread.language = post.language
    queue_document(db, f"thread:{post.thread_id}" if post.is_opening else f"post:{post.id}")
    db.flush()
    return post


def _join_texts(*texts: str) -> str:
    return "\n\n".join(text for text in texts if text and text.strip())


def delete_post(db: Session, actor: User | None, post: Post) -> None:
    """Soft delete: the post stays in the tree as "post deleted", its text is kept for moderators."""
    if not can_edit_post(actor, post):
        raise NotAllowed(_("You can delete only your own posts."))
    if post.deleted_at is None:
        post.deleted_at = utcnow()
        queue_document(db, f"post:{post.id}", "delete")
    db.flush()
