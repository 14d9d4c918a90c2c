"""What discussions add to "download my data" and "delete my account"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.privacy import register_eraser, register_exporter
from forum.core.db import utcnow
from forum.core.outbox import queue_document
from forum.discussions.models import Flag, GoodPractice, Post, PostRevision, Thread

REMOVED_TITLE = "(removed by its author)"


def export_discussions(db: Session, user: User) -> dict[str, Any]:
    """The member's threads (with good-practice sections), posts and flags."""
    threads = db.scalars(select(Thread).where(Thread.author_id == user.id).order_by(Thread.id))
    posts = db.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id))
    flags = db.scalars(select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.id))
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
            }
            for p in posts
        ],
        "flags": [
            {
                "object_type": f.object_type,
                "object_id": f.object_id,
                "reason": f.reason,
                "created_at": f.created_at.isoformat(),
            }
            for f in flags
        ],
    }


def erase_discussions(db: Session, user: User, *, keep_content: bool) -> bool:
    """Keep the member's content under "Former member", or blank it.

    Blanking keeps the tree: posts become "post deleted", threads keep other members'
    replies under a neutral title. Answers whether content still points at the user.
    """
    owned_posts = list(db.scalars(select(Post.id).where(Post.author_id == user.id)))
    owned_threads = list(db.scalars(select(Thread.id).where(Thread.author_id == user.id)))
    db.execute(update(Flag).where(Flag.reporter_id == user.id).values(reporter_id=None))
    if keep_content:
        for thread_id in owned_threads:
            queue_document(db, f"thread:{thread_id}")
        return bool(owned_posts or owned_threads)
    now = utcnow()
    db.execute(delete(PostRevision).where(PostRevision.post_id.in_(owned_posts)))
    db.execute(
        update(Post)
        .where(Post.id.in_(owned_posts))
        .values(body="", body_html="", deleted_at=now, author_id=None)
        .execution_options(synchronize_session=False)
    )
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
    db.expire_all()
    return False


def register() -> None:
    """Add discussions to the privacy registries (idempotent: called before each use)."""
    register_exporter("discussions", export_discussions)
    register_eraser("discussions", erase_discussions)
