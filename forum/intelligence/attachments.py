"""Files attached to intelligence items: who may attach, dedup by content, and the worker
job that extracts their text so that search finds the item by what its files say.

The bytes are received, sniffed and stored by `forum.uploads` before anything here runs;
these functions decide whether the stored file becomes an attachment of the item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from forum import extract, uploads
from forum.accounts.models import User
from forum.discovery.outbox import queue_document
from forum.discussions.models import ThreadAttachment
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.intelligence.service import IntelError, NotAllowed, NotFound, can_edit, get_item
from forum.worker import JobContext, enqueue, registry

MAX_PER_ITEM = 10
EXTRACT_JOB = "intel-extract-attachment"
# Results that depend on the bytes only: another attachment with the same content reuses them.
REUSABLE = ("done", "empty")
NO_TEXT_FROM_IMAGES = "Text is not read from images."
MISSING_FILE = "the stored file is missing"


class AlreadyAttached(IntelError):
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
        raise NotAllowed("Log in to attach files.")
    if item.status == "withdrawn":
        raise NotAllowed("Files cannot be added to a withdrawn item.")
    if not can_attach(viewer, item):
        raise NotAllowed("Only the author of this item or a moderator can attach files.")
    if count_attachments(db, item) >= MAX_PER_ITEM:
        raise IntelError(f"An item can have at most {MAX_PER_ITEM} files.", "file")


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
            f"This file is already attached to this item, as {same.original_name!r}."
        )
    attachment = IntelAttachment(
        item_id=item.id,
        uploader_id=viewer.id,
        original_name=name,
        storage_name=stored.storage_name,
        sha256=stored.sha256,
        size=stored.size,
        mime=stored.mime,
        extraction_status="pending",
    )
    db.add(attachment)
    known = db.scalar(
        select(IntelAttachment)
        .where(
            IntelAttachment.sha256 == stored.sha256,
            IntelAttachment.extraction_status.in_(REUSABLE),
        )
        .order_by(IntelAttachment.id)
        .limit(1)
    )
    if known is not None:
        attachment.extraction_status = known.extraction_status
        attachment.extracted_text = known.extracted_text
        attachment.extraction_error = known.extraction_error
    elif stored.mime not in extract.SUPPORTED:
        attachment.extraction_status = "empty"
        attachment.extraction_error = NO_TEXT_FROM_IMAGES
    db.flush()
    if attachment.extraction_status == "pending":
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
        raise NotAllowed("Only the author of this item or a moderator can remove its files.")
    storage_name = attachment.storage_name
    had_text = attachment.extraction_status == "done"
    db.delete(attachment)
    db.flush()
    if had_text:
        queue_document(db, f"intel:{item.id}")
    return storage_name


def file_in_use(db: Session, storage_name: str) -> bool:
    """Whether any attachment (of an item or of a good practice) points at this stored file."""
    return bool(
        db.scalar(
            select(
                exists().where(IntelAttachment.storage_name == storage_name)
                | exists().where(ThreadAttachment.storage_name == storage_name)
            )
        )
    )


def discard_file(db: Session, uploads_dir: Path, storage_name: str) -> bool:
    """Delete the stored file unless an attachment still uses it; answers whether it went.

    Call it after the commit (or the rollback) that left the file without its row.
    """
    if file_in_use(db, storage_name):
        return False
    path = uploads.path_of(uploads_dir, storage_name)
    # The "ab/" folder stays: removing it could race with an upload storing into it.
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


# --- reading -------------------------------------------------------------------------------


def get_attachment(db: Session, viewer: User | None, attachment_id: int) -> IntelAttachment:
    """The attachment, if its item is visible to `viewer`; NotFound otherwise."""
    attachment = db.get(IntelAttachment, attachment_id)
    if attachment is None:
        raise NotFound(str(attachment_id))
    get_item(db, viewer, attachment.item_id)
    return attachment


def download_path(attachment: IntelAttachment) -> str:
    return f"/intel/attachments/{attachment.id}/{quote(attachment.original_name, safe='')}"


# --- the extraction job --------------------------------------------------------------------


def record_result(attachment: IntelAttachment, result: extract.ExtractResult) -> None:
    """Store what extraction found: the text (done), nothing (empty) or why not (error)."""
    if result.error is None and result.text:
        attachment.extraction_status = "done"
        attachment.extracted_text = result.text
        attachment.extraction_error = None
    elif result.error in (None, extract.NO_TEXT):
        attachment.extraction_status = "empty"
        attachment.extracted_text = None
        attachment.extraction_error = None
    else:
        attachment.extraction_status = "error"
        attachment.extracted_text = None
        attachment.extraction_error = result.error


@registry.job(EXTRACT_JOB)
def extract_attachment_text(db: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """Extract the text of one attachment in a limited child process.

    Idempotent: an attachment that is gone or no longer pending is left alone. A bad
    file ends as "empty" or "error" with a sentence for the uploader; it never raises.
    """
    attachment_id = int(payload["attachment_id"])
    attachment = db.get(IntelAttachment, attachment_id)
    if attachment is None or attachment.extraction_status != "pending":
        return
    path = uploads.path_of(ctx.settings.uploads_dir, attachment.storage_name)
    mime = attachment.mime
    # The child may take half a minute: end this read-only transaction first, so no
    # database lock (SQLite's write lock above all) is held while it runs.
    db.rollback()
    if path.is_file():
        result = extract.extract_in_subprocess(path, mime)
    else:
        result = extract.ExtractResult("", MISSING_FILE)
    attachment = db.get(IntelAttachment, attachment_id)
    if attachment is None or attachment.extraction_status != "pending":
        return  # removed, or done by another run, while the child worked
    record_result(attachment, result)
    if attachment.extraction_status == "done":
        queue_document(db, f"intel:{attachment.item_id}")
    db.flush()
    ctx.log.info(
        "attachment %s of item %s: text %s%s",
        attachment.id,
        attachment.item_id,
        attachment.extraction_status,
        f" ({attachment.extraction_error})" if attachment.extraction_error else "",
    )
