"""Immediate emails: a reply to me, a mention, a new post in a thread I follow.

`notify()` queues a `notification-email` job for each such notification; the job decides
(the member's toggles, a bouncing address, at most IMMEDIATE_DAILY_CAP a day in the
member's time zone) and queues the message. What is not emailed waits for the digest,
whose "replies and mentions not yet read" section lists it. Moderators' flag emails are
sent by the moderation service itself, as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import JobContext, registry
from forum.core.mail import queue_email
from forum.core.privacy import FORMER_MEMBER_NAME
from forum.digests import tokens
from forum.discussions.models import Post, Thread
from forum.discussions.service import DIGEST_READER, can_see_post, can_see_thread
from forum.notifications import tally
from forum.notifications.models import EmailSettings, Notification
from forum.notifications.reply_address import reply_address, thread_headers
from forum.notifications.service import EMAIL_TOGGLES

IMMEDIATE_DAILY_CAP = 20
# An "immediate" email a day late is no longer one (a worker that was down, a demo load of
# past replies): older notifications are left for the digest.
IMMEDIATE_MAX_AGE = dt.timedelta(hours=24)
EXCERPT_CHARS = 600


def _settings_row(db: Session, user_id: int) -> EmailSettings:
    """The member's row, locked for the count (PostgreSQL; SQLite has one writer)."""
    row = db.scalar(select(EmailSettings).where(EmailSettings.user_id == user_id).with_for_update())
    if row is None:
        row = EmailSettings(
            user_id=user_id,
            notify_replies=True,
            notify_mentions=True,
            notify_thread_posts=True,
            immediate_count=0,
        )
        db.add(row)
    return row


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def send_notification_email(
    db: Session, settings: Settings, notification_id: int, *, now: dt.datetime | None = None
) -> str:
    """Queue the email of one notification if the member wants it and is under the day's
    cap; mark the notification emailed. Answers what happened ("sent", or why not).
    Idempotent: a notification already emailed is not emailed again."""
    note = db.get(Notification, notification_id)
    if note is None:
        return "gone"
    if note.emailed_at is not None:
        return "already emailed"
    toggle = EMAIL_TOGGLES.get(note.kind)
    if toggle is None:
        return "not an immediate kind"
    if note.read_at is not None:
        return "already read"
    if note.created_at < (now or utcnow()) - IMMEDIATE_MAX_AGE:
        return "too old: left for the digest"
    user = db.get(User, note.user_id)
    if user is None or user.is_suspended or not user.is_verified:
        return "no deliverable member"
    post = db.get(Post, note.post_id) if note.post_id else None
    thread = db.get(Thread, note.thread_id) if note.thread_id else None
    # An email outlives a moderator's decision and cannot mark a post as hidden: it is
    # read as a digest is (DIGEST_READER), even by a moderator.
    if thread is None or not can_see_thread(DIGEST_READER, thread):
        return "thread not visible"
    if post is not None and (post.deleted_at is not None or not can_see_post(DIGEST_READER, post)):
        return "post gone"
    row = _settings_row(db, user.id)
    if row.bouncing_at is not None:
        tally.count(db, "immediate_bouncing", now=now)
        return "address bouncing"
    if not getattr(row, toggle):
        tally.count(db, "immediate_off", now=now)
        return "turned off"
    today = (now or utcnow()).astimezone(ZoneInfo(user.timezone)).date()
    if row.immediate_day != today:
        row.immediate_day, row.immediate_count = today, 0
    if row.immediate_count >= IMMEDIATE_DAILY_CAP:
        tally.count(db, "immediate_capped", now=now)
        return "daily cap reached"
    row.immediate_count += 1
    actor = db.get(User, note.actor_id) if note.actor_id else None
    # Answering the email answers the post (docs/email.md, "Answering by email").
    reply_to = None
    if post is not None:
        reply_to = reply_address(
            settings.secret_key, settings.inbound_domain, user.id, post.id, now=now or utcnow()
        )
    secret = settings.secret_key or ""
    base = settings.base_url.rstrip("/")
    # One click turns this kind of email off (RFC 8058); the mute link asks first.
    off_url = f"{base}/emails/off/{tokens.emails_off_token(secret, user.id, note.kind)}"
    mute = tokens.interest_token(secret, user.id, "mute", "thread", str(thread.id))
    queue_email(
        db,
        settings,
        "notification",
        to=user.email,
        language=user.language,
        timezone=user.timezone,
        context={
            "name": user.name,
            "kind": note.kind,
            # The subject is written from the kind, in the member's language: `note.text`
            # was written when the notification was, in whoever caused it's language.
            "text": note.text,
            "url": note.url,
            # No actor (an account gone): the template names "A former member", translated.
            "actor_name": actor.name if actor and actor.name != FORMER_MEMBER_NAME else "",
            "thread_title": thread.title,
            "excerpt": _excerpt(post.body) if post is not None else "",
            "cap": IMMEDIATE_DAILY_CAP,
            "can_answer": reply_to is not None,
            "off_url": off_url,
            "mute_url": f"{base}/digests/interest/{mute}",
        },
        reply_to=reply_to,
        headers={
            **thread_headers(settings.base_url, thread.id, automatic=True),
            "List-Unsubscribe": f"<{off_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    note.emailed_at = now or utcnow()
    db.flush()
    return "sent"


@registry.job("notification-email")
def notification_email_job(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    outcome = send_notification_email(session, ctx.settings, int(payload["id"]))
    ctx.log.info("notification %s: %s", payload["id"], outcome)
