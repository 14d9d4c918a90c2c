"""What intelligence adds to "download my data" and "delete my account".

The download holds the items the member added (whatever their status) with their files
listed, the files the member attached to anyone's item, the tag corrections they made,
and the weeks they added an item in (`item_weeks`, kept equal to the items by triggers:
kept with the items kept, gone with the items deleted).
Deleting the account keeps the corrections (labelled examples for the tagger) without the
member's name. Deleting the account with its
content deletes those items and files: gone from their pages, from search (the outbox
queues their removal), from the Atom feeds, the country and sector pages and every later
digest, which all read the items as they are. The stored files go after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.attachments import queue_discard
from forum.core.outbox import queue_document
from forum.core.privacy import register_eraser, register_exporter
from forum.discussions.models import Flag
from forum.intelligence.attachments import download_path
from forum.intelligence.models import IntelAttachment, IntelItem, ItemWeek, TagCorrection


def _attachment(attachment: IntelAttachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "item_id": attachment.item_id,
        "name": attachment.original_name,
        "type": attachment.mime,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "url": download_path(attachment),
        "added_at": attachment.created_at,
    }


def export_intelligence(db: Session, user: User) -> dict[str, Any]:
    """The member's items (with their files) and the files they attached to any item."""
    items = db.scalars(
        select(IntelItem)
        .where(IntelItem.author_id == user.id)
        .order_by(IntelItem.id)
        .options(
            selectinload(IntelItem.attachments),
            selectinload(IntelItem.sectors),
            selectinload(IntelItem.country_rows),
        )
    )
    uploaded = db.scalars(
        select(IntelAttachment)
        .where(IntelAttachment.uploader_id == user.id)
        .order_by(IntelAttachment.id)
    )
    return {
        "items": [
            {
                "id": item.id,
                "url": item.url_path,
                "title": item.title,
                "kind": item.kind,
                "status": item.status,
                "summary": item.summary,
                "body": item.body,
                "source_name": item.source_name,
                "source_url": item.source_url,
                "original_url": item.url,
                "language": item.language,
                "countries": item.country_codes,
                "global": item.is_global,
                "sectors": [s.slug for s in item.sectors],
                "published_at": item.published_at,
                "deadline": item.deadline,
                "added_at": item.added_at,
                "updated_at": item.updated_at,
                "withdrawn_reason": item.withdrawn_reason,
                "attachments": [_attachment(a) for a in item.attachments],
            }
            for item in items
        ],
        "attachments": [_attachment(a) for a in uploaded],
        "tag_corrections": [
            {
                "id": c.id,
                "item_id": c.item_id,
                "field": c.field,
                "code": c.code,
                "action": c.action,
                "at": c.created_at,
            }
            for c in db.scalars(
                select(TagCorrection)
                .where(TagCorrection.user_id == user.id)
                .order_by(TagCorrection.id)
            )
        ],
        # The Mondays of the weeks they added an item (the analytics' members taking part).
        "item_weeks": [
            {"week": week}
            for week in db.scalars(
                select(ItemWeek.week).where(ItemWeek.user_id == user.id).order_by(ItemWeek.week)
            )
        ],
    }


def erase_intelligence(db: Session, user: User, *, keep_content: bool) -> bool:
    """Keep the member's items and files under "Former member", or delete them.

    Answers whether kept content still points at the user row.
    """
    items = list(
        db.scalars(
            select(IntelItem)
            .where(IntelItem.author_id == user.id)
            .options(selectinload(IntelItem.attachments))
        )
    )
    uploaded = list(
        db.scalars(select(IntelAttachment).where(IntelAttachment.uploader_id == user.id))
    )
    # Tag corrections stay as labelled examples, no longer naming who made them.
    db.execute(update(TagCorrection).where(TagCorrection.user_id == user.id).values(user_id=None))
    if keep_content:
        return bool(items or uploaded)
    item_ids = {item.id for item in items}
    files: set[str] = set()
    for attachment in uploaded:
        if attachment.item_id not in item_ids:
            # A file the member attached to another's item: the item stays, without it.
            files.add(attachment.storage_name)
            queue_document(db, f"intel:{attachment.item_id}")
            db.delete(attachment)
    for item in items:
        files.update(a.storage_name for a in item.attachments)
        queue_document(db, f"intel:{item.id}", "delete")
        # ORM deletes (not one DELETE statement): the attachments and tags go with the
        # item, and the lists' cached counts see the change (IntelRevision).
        db.delete(item)
    if item_ids:
        db.execute(delete(Flag).where(Flag.object_type == "intel", Flag.object_id.in_(item_ids)))
    db.flush()
    queue_discard(db, files)
    return False


def register() -> None:
    """Add intelligence to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter(
        "intelligence",
        export_intelligence,
        covers={
            "intel_item.author_id": "items",
            "intel_attachment.uploader_id": "attachments",
            "tag_correction.user_id": "tag_corrections",
            "member_item_week.user_id": "item_weeks",
        },
    )
    register_eraser(
        "intelligence",
        erase_intelligence,
        # The weeks of the items kept stay with them (migration 0029's triggers).
        keeps={"intel_item.author_id", "intel_attachment.uploader_id", "member_item_week.user_id"},
    )
