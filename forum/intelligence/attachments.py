"""Files attached to intelligence items: who may attach, dedup by content, and the worker
job that extracts their text so that search finds the item by what its files say.

The bytes are received, sniffed and stored by `forum.core.uploads` before anything here runs;
these functions decide whether the stored file becomes an attachment of the item.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import uploads
from forum.core.attachments import attachment_not_found, prepare, run_extraction
from forum.core.errors import Conflict, NotAllowed
from forum.core.i18n import _, ngettext
from forum.core.jobs import JobContext, enqueue, registry
from forum.core.outbox import queue_document
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.intelligence.queries import find_item
from forum.intelligence.service import IntelError, can_edit

MAX_PER_ITEM = 10
EXTRACT_JOB = "intel-extract-attachment"


class AlreadyAttached(Conflict, IntelError):
    """The same content is already attached to this item (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


# --- who may do what -----------------------------------------------------------------------


def can_attach(viewer: User | None, item: IntelItem) -> bool:
    """The item's author or a moderator, while the item is not withdrawn."""
    if viewer is None or viewer.is_suspended or item.status == "withdrawn":
        return False
    return viewer.is_moderator or (item.author_id is not None and item.author_id == viewer.id)


def can_delete(viewer: User | None, item: IntelItem) -> bool:
    """Whoever may edit the item: its author (unless withdrawn) or a moderator."""
    return can_edit(viewer, item)


def can_see_status(viewer: User | None, item: IntelItem, attachment: IntelAttachment) -> bool:
    """The extraction status is for the uploader, the item's author and moderators."""
    if viewer is None:
        return False
    return viewer.is_moderator or viewer.id in (attachment.uploader_id, item.author_id)


def count_attachments(db: Session, item: IntelItem) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(IntelAttachment)
            .where(IntelAttachment.item_id == item.id)
        )
        or 0
    )


def require_can_attach(db: Session, viewer: User | None, item: IntelItem) -> None:
    """Raise NotAllowed (403) or IntelError (422, the item is full) before an upload is read."""
    if viewer is None:
        raise NotAllowed(_("Log in to attach files."))
    if item.status == "withdrawn":
        raise NotAllowed(_("Files cannot be added to a withdrawn item."))
    if not can_attach(viewer, item):
        raise NotAllowed(_("Only the author of this item or a moderator can attach files."))
    if count_attachments(db, item) >= MAX_PER_ITEM:
        raise IntelError(
            ngettext(
                "An item can have at most %(num)s file.",
                "An item can have at most %(num)s files.",
                MAX_PER_ITEM,
            ),
            "file",
        )


# --- writing -------------------------------------------------------------------------------


def add_attachment(
    db: Session, viewer: User | None, item: IntelItem, stored: uploads.StoredFile, name: str
) -> IntelAttachment:
    """Attach the stored file `stored` to `item` under the shown name `name`.

    Text already extracted from the same content (another item's attachment) is reused;
    otherwise an extraction job is queued, to run once the caller commits. Raises
    NotAllowed, IntelError (too many files) or AlreadyAttached (same content, this item).
    """
    require_can_attach(db, viewer, item)
    assert viewer is not None  # require_can_attach refuses nobody
    name = uploads.clean_name(name)
    same = db.scalar(
        select(IntelAttachment).where(
            IntelAttachment.item_id == item.id, IntelAttachment.sha256 == stored.sha256
        )
    )
    if same is not None:
        raise AlreadyAttached(
            _("This file is already attached to this item, as %(name)r.", name=same.original_name)
        )
    attachment = IntelAttachment(
        item_id=item.id,
        uploader_id=viewer.id,
        original_name=name,
        storage_name=stored.storage_name,
        sha256=stored.sha256,
        size=stored.size,
        mime=stored.mime,
    )
    db.add(attachment)
    pending = prepare(db, attachment)
    db.flush()
    if pending:
        enqueue(db, EXTRACT_JOB, {"attachment_id": attachment.id})
    elif attachment.extraction_status == "done":
        queue_document(db, f"intel:{item.id}")
    return attachment


def delete_attachment(db: Session, viewer: User | None, attachment: IntelAttachment) -> str:
    """Remove the attachment; answers its storage name for `discard_file` after the commit.

    The file itself is left to the caller: it may be shared with other attachments, and
    must outlive a transaction that rolls back. Raises NotAllowed.
    """
    item = attachment.item
    if not can_delete(viewer, item):
        raise NotAllowed(_("Only the author of this item or a moderator can remove its files."))
    storage_name = attachment.storage_name
    had_text = attachment.extraction_status == "done"
    db.delete(attachment)
    db.flush()
    if had_text:
        queue_document(db, f"intel:{item.id}")
    return storage_name


# --- reading -------------------------------------------------------------------------------


def get_attachment(db: Session, viewer: User | None, attachment_id: int) -> IntelAttachment:
    """The attachment, if its item is visible to `viewer`; NotFound otherwise."""
    attachment = db.get(IntelAttachment, attachment_id)
    if attachment is None or find_item(db, viewer, attachment.item_id) is None:
        raise attachment_not_found()
    return attachment


def download_path(attachment: IntelAttachment) -> str:
    return f"/intel/attachments/{attachment.id}/{quote(attachment.original_name, safe='')}"


# --- the extraction job --------------------------------------------------------------------


@registry.job(EXTRACT_JOB)
def extract_attachment_text(db: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """The extraction job of an item's file (`forum.core.attachments.run_extraction`)."""
    run_extraction(
        db,
        IntelAttachment,
        int(payload["attachment_id"]),
        ctx,
        document=lambda a: f"intel:{a.item_id}",
        owner=lambda a: f"item {a.item_id}",
    )
