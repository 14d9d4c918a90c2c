"""What discussions add to "download my data" and "delete my account".

The download holds the member's threads (good practices with their sections and files),
their posts with each post's earlier versions, the versions they replaced when editing,
the files they attached, the reports they made, how far they read each thread and the
weeks they wrote a post in (`posting_weeks`). Deleting the account with its content
blanks threads and posts (other members' replies keep their place; the posting weeks go
with the authorship), deletes the files and the notifications that quote the content;
search and the Atom feed follow through the outbox and the current rows. Keeping the
content keeps the posting weeks of the posts kept, under the "Former member".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.attachments import queue_discard
from forum.core.db import utcnow
from forum.core.outbox import queue_document
from forum.core.privacy import register_eraser, register_exporter
from forum.discussions.models import (
    Flag,
    GoodPractice,
    Post,
    PostingWeek,
    PostRevision,
    Thread,
    ThreadAttachment,
    ThreadRead,
)
from forum.discussions.service import unreadable_notifications
from forum.notifications.models import Notification
from forum.notifications.service import register_unreadable

REMOVED_TITLE = "(removed by its author)"


def _attachment(attachment: ThreadAttachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "thread_id": attachment.thread_id,
        "name": attachment.original_name,
        "type": attachment.mime,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "url": attachment.url,
        "added_at": attachment.created_at.isoformat(),
    }


def _revision(revision: PostRevision, user: User) -> dict[str, Any]:
    return {
        "id": revision.id,
        "post_id": revision.post_id,
        "body": revision.body,
        "replaced_at": revision.created_at.isoformat(),
        "edited_by": "you" if revision.editor_id == user.id else "a moderator",
    }


def export_discussions(db: Session, user: User) -> dict[str, Any]:
    """The member's threads (with good-practice sections and files), posts (with their
    edit history), the versions they replaced, the files they attached and their flags."""
    threads = db.scalars(select(Thread).where(Thread.author_id == user.id).order_by(Thread.id))
    posts = list(db.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id)))
    history: dict[int, list[PostRevision]] = {}
    for revision in db.scalars(
        select(PostRevision)
        .where(PostRevision.post_id.in_([p.id for p in posts]))
        .order_by(PostRevision.created_at, PostRevision.id)
    ):
        history.setdefault(revision.post_id, []).append(revision)
    files: dict[int, list[ThreadAttachment]] = {}
    for attachment in db.scalars(
        select(ThreadAttachment)
        .join(Thread, Thread.id == ThreadAttachment.thread_id)
        .where(Thread.author_id == user.id)
        .order_by(ThreadAttachment.id)
    ):
        files.setdefault(attachment.thread_id, []).append(attachment)
    uploaded = db.scalars(
        select(ThreadAttachment)
        .where(ThreadAttachment.uploader_id == user.id)
        .order_by(ThreadAttachment.id)
    )
    edits = db.scalars(
        select(PostRevision).where(PostRevision.editor_id == user.id).order_by(PostRevision.id)
    )
    flags = db.scalars(select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.id))
    read = db.scalars(
        select(ThreadRead).where(ThreadRead.user_id == user.id).order_by(ThreadRead.thread_id)
    )
    return {
        "threads": [
            {
                "id": t.id,
                "title": t.title,
                "kind": t.kind,
                "category": t.category.slug,
                "countries": t.country_codes,
                "sectors": [s.slug for s in t.sectors],
                "created_at": t.created_at.isoformat(),
                "good_practice": (
                    {
                        "approach": t.good_practice.approach,
                        "results": t.good_practice.results,
                        "challenge": t.good_practice.challenge,
                        "lessons": t.good_practice.lessons,
                        "contact": t.good_practice.contact,
                    }
                    if t.good_practice
                    else None
                ),
                "attachments": [_attachment(a) for a in files.get(t.id, ())],
            }
            for t in threads
        ],
        "posts": [
            {
                "id": p.id,
                "thread_id": p.thread_id,
                "parent_id": p.parent_id,
                "body": p.body,
                "created_at": p.created_at.isoformat(),
                "edited_at": p.edited_at.isoformat() if p.edited_at else None,
                "deleted": p.deleted_at is not None,
                "revisions": [_revision(r, user) for r in history.get(p.id, ())],
            }
            for p in posts
        ],
        "revisions": [_revision(r, user) for r in edits],
        "attachments": [_attachment(a) for a in uploaded],
        "flags": [
            {
                "id": f.id,
                "object_type": f.object_type,
                "object_id": f.object_id,
                "reason": f.reason,
                "created_at": f.created_at.isoformat(),
            }
            for f in flags
        ],
        # How far the member has read each thread they opened (forum.discussions.reading).
        "reading": [
            {
                "thread_id": r.thread_id,
                "last_read_post_id": r.last_read_post_id,
                "read_at": r.read_at.isoformat(),
            }
            for r in read
        ],
        # The Mondays of the weeks they wrote a post (the analytics' members taking part).
        "posting_weeks": [
            {"week": week}
            for week in db.scalars(
                select(PostingWeek.week)
                .where(PostingWeek.user_id == user.id)
                .order_by(PostingWeek.week)
            )
        ],
    }


def erase_discussions(db: Session, user: User, *, keep_content: bool) -> bool:
    """Keep the member's content under "Former member", or blank it.

    Blanking keeps the tree: posts become "post deleted", threads keep other members'
    replies under a neutral title; their files and the notifications that quote them
    are deleted. Either way the member's reports and the moderation decisions and edits
    they made on others' content no longer name them. Answers whether content still
    points at the user.
    """
    db.execute(delete(ThreadRead).where(ThreadRead.user_id == user.id))
    owned_posts = list(db.scalars(select(Post.id).where(Post.author_id == user.id)))
    owned_threads = list(db.scalars(select(Thread.id).where(Thread.author_id == user.id)))
    for stmt in (
        update(Flag).where(Flag.reporter_id == user.id).values(reporter_id=None),
        update(Flag).where(Flag.resolved_by_id == user.id).values(resolved_by_id=None),
        # Their edits of other members' posts (moderators edit): the text is the others'.
        update(PostRevision)
        .where(PostRevision.editor_id == user.id, PostRevision.post_id.not_in(owned_posts))
        .values(editor_id=None),
    ):
        db.execute(stmt.execution_options(synchronize_session=False))
    files = list(
        db.scalars(
            select(ThreadAttachment).where(
                (ThreadAttachment.uploader_id == user.id)
                | ThreadAttachment.thread_id.in_(owned_threads)
            )
        )
    )
    if keep_content:
        for thread_id in owned_threads:
            queue_document(db, f"thread:{thread_id}")
        return bool(owned_posts or owned_threads or files)
    for attachment in files:
        db.delete(attachment)
    db.flush()
    queue_discard(db, [a.storage_name for a in files])
    db.execute(
        delete(Notification).where(
            Notification.thread_id.in_(owned_threads) | Notification.post_id.in_(owned_posts)
        )
    )
    now = utcnow()
    db.execute(delete(PostRevision).where(PostRevision.post_id.in_(owned_posts)))
    db.execute(
        update(Post)
        .where(Post.id.in_(owned_posts))
        .values(body="", body_html="", deleted_at=now, author_id=None)
        .execution_options(synchronize_session=False)
    )
    # Their posting weeks went with the authorship (migration 0029's triggers).
    db.execute(
        update(GoodPractice)
        .where(GoodPractice.thread_id.in_(owned_threads))
        .values(
            approach="",
            approach_html="",
            results="",
            results_html="",
            challenge="",
            challenge_html="",
            lessons="",
            lessons_html="",
            contact="",
        )
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(Thread)
        .where(Thread.id.in_(owned_threads))
        .values(title=REMOVED_TITLE, author_id=None)
        .execution_options(synchronize_session=False)
    )
    for post_id in owned_posts:
        queue_document(db, f"post:{post_id}", "delete")
    for thread_id in owned_threads:
        queue_document(db, f"thread:{thread_id}")
    # Other members' replies are found under their thread's title ("Re: ..."), now gone.
    for post_id in db.scalars(
        select(Post.id).where(
            Post.thread_id.in_(owned_threads),
            Post.is_opening.is_(False),
            Post.id.not_in(owned_posts),
        )
    ):
        queue_document(db, f"post:{post_id}")
    db.expire_all()
    return False


def register() -> None:
    """Add discussions to the privacy registries, and their visibility rule to the
    notifications' (`forum.plugins` calls it once)."""
    register_unreadable(unreadable_notifications)
    register_exporter(
        "discussions",
        export_discussions,
        covers={
            "thread.author_id": "threads",
            "post.author_id": "posts",
            "post_revision.editor_id": "revisions",
            "thread_attachment.uploader_id": "attachments",
            "flag.reporter_id": "flags",
            "thread_read.user_id": "reading",
            "member_posting_week.user_id": "posting_weeks",
        },
    )
    register_eraser(
        "discussions",
        erase_discussions,
        keeps={
            "thread.author_id",
            "post.author_id",
            "post_revision.editor_id",
            "thread_attachment.uploader_id",
            "member_posting_week.user_id",  # the weeks of the posts kept
        },
    )
