"""Digests and email in "download my data" and "delete my account".

The export holds the member's email choices (immediate emails, the unsubscribe and a
bouncing address) and the record of each digest sent to them (period, status, subject,
counts, times; never the message itself, which is rebuilt from content on demand).
Both are personal, never content to keep: they go with the account, also when its row
stays as the "Former member".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.privacy import register_eraser, register_exporter
from forum.digests.models import DigestDelivery
from forum.notifications.models import EmailSettings


def export_email(db: Session, user: User) -> dict[str, Any]:
    """The member's email settings (None until first changed) and their digests."""
    settings = db.get(EmailSettings, user.id)
    deliveries = db.scalars(
        select(DigestDelivery)
        .where(DigestDelivery.user_id == user.id)
        .order_by(DigestDelivery.period, DigestDelivery.id)
    )
    return {
        "settings": None
        if settings is None
        else {
            "user_id": settings.user_id,
            "notify_replies": settings.notify_replies,
            "notify_mentions": settings.notify_mentions,
            "notify_thread_posts": settings.notify_thread_posts,
            "immediate_emails_today": settings.immediate_count,
            "immediate_day": settings.immediate_day,
            "unsubscribed_at": settings.unsubscribed_at,
            "bouncing_at": settings.bouncing_at,
            "bounce_reason": settings.bounce_reason,
        },
        "digests": [
            {
                "id": d.id,
                "period": d.period,
                "frequency": d.frequency,
                "status": d.status,
                "subject": d.subject,
                "counts": d.counts,
                "window_start": d.window_start,
                "window_end": d.window_end,
                "sent_at": d.sent_at,
                "resends": d.resends,
                "error": d.error,
            }
            for d in deliveries
        ],
    }


def erase_email(db: Session, user: User, *, keep_content: bool) -> bool:
    """Email settings and the digest record go with the account; nothing is kept."""
    db.execute(delete(DigestDelivery).where(DigestDelivery.user_id == user.id))
    db.execute(delete(EmailSettings).where(EmailSettings.user_id == user.id))
    return False


def register() -> None:
    """Add email and digests to the privacy registries (idempotent)."""
    register_exporter(
        "email",
        export_email,
        covers={"email_settings.user_id": "settings", "digest_delivery.user_id": "digests"},
    )
    register_eraser("email", erase_email)
