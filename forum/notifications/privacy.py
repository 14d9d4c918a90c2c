"""What notifications add to "download my data" and "delete my account".

The download holds the notifications the member received. They go with the account.
Notifications other members received about something the member did (a reply, a
mention, a report) name the member: deleting the account with its content deletes them
(what they pointed at is gone); keeping the content names the "Former member" in them
instead. Follows are exported with the account (forum.portal.privacy).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from forum.core.privacy import FORMER_MEMBER_NAME, Member, register_eraser, register_exporter
from forum.notifications.models import Notification
from forum.notifications.service import WITHHELD_TEXT, unreadable_ids


def export_notifications(db: Session, user: Member) -> list[dict[str, Any]]:
    """Every notification the member received, oldest first; about what they may no longer
    read (a thread hidden since), without its text and link."""
    notes = list(
        db.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at, Notification.id)
        )
    )
    withheld = unreadable_ids(db, user, notes)
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "text": str(WITHHELD_TEXT) if n.id in withheld else n.text,
            "url": "" if n.id in withheld else n.url,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "emailed_at": n.emailed_at,
        }
        for n in notes
    ]


def erase_notifications(db: Session, user: Member, *, keep_content: bool) -> bool:
    """The member's notifications go; others' about the member lose the member's name."""
    db.execute(delete(Notification).where(Notification.user_id == user.id))
    caused = select(Notification).where(Notification.actor_id == user.id)
    if not keep_content:
        db.execute(
            delete(Notification)
            .where(Notification.actor_id == user.id)
            .execution_options(synchronize_session="fetch")
        )
        return False
    name = re.compile(rf"(?<!\w){re.escape(user.name)}(?!\w)")
    for note in db.scalars(caused):
        note.text = name.sub(FORMER_MEMBER_NAME, note.text, count=1)[:300]
        note.actor_id = None
    db.flush()
    return False


def register() -> None:
    """Add notifications to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter("notifications", export_notifications, covers={"notification.user_id": ""})
    register_eraser("notifications", erase_notifications)
