"""Files attached to good practices: who may attach and remove them, and the worker job
that extracts their text so that search finds the good practice by what its files say.

The bytes are received, sniffed and stored by `forum.core.uploads` before anything here runs;
extraction itself is `forum.core.attachments`' (shared with intelligence items).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import uploads
from forum.core.attachments import attachment_not_found, prepare, run_extraction
from forum.core.errors import NotAllowed
from forum.core.i18n import _
from forum.core.jobs import JobContext, enqueue, registry
from forum.core.outbox import queue_document
from forum.discussions import service
from forum.discussions.models import Thread, ThreadAttachment

MAX_PER_THREAD = 5
EXTRACT_JOB = "thread-extract-attachment"


# --- who may do what -----------------------------------------------------------------------


def can_attach(viewer: User | None, thread: Thread) -> bool:
    """The thread's author or a moderator, on good-practice threads only."""
    if viewer is None or thread.kind != "good_practice":
        return False
    return viewer.is_moderator or (thread.author_id is not None and thread.author_id == viewer.id)


def can_delete(viewer: User | None, thread: Thread) -> bool:
    """Whoever may attach files to the good practice may remove them."""
    return can_attach(viewer, thread)


def can_see_status(viewer: User | None, thread: Thread, attachment: ThreadAttachment) -> bool:
    """The extraction status is for the uploader, the thread's author and moderators."""
    if viewer is None:
        return False
    return viewer.is_moderator or viewer.id in (attachment.uploader_id, thread.author_id)


def require_can_attach(db: Session, viewer: User | None, thread: Thread) -> None:
    """Before an upload is read: raises DiscussionError (422: not a good practice, or it
    has its maximum of files) or NotAllowed (403: not its author or a moderator)."""
    if thread.kind != "good_practice":
        raise service.DiscussionError(_("Files can be attached to good practices only."), "file")
    if not can_attach(viewer, thread):
        raise NotAllowed(_("Only the author of this good practice can attach files."))
    if count_attachments(db, thread) >= MAX_PER_THREAD:
        raise service.DiscussionError(
            _("A good practice can have at most %(max)s files.", max=MAX_PER_THREAD), "file"
        )


def list_attachments(db: Session, thread: Thread) -> list[ThreadAttachment]:
    return list(
        db.scalars(
            select(ThreadAttachment)
            .where(ThreadAttachment.thread_id == thread.id)
            .order_by(ThreadAttachment.id)
        )
    )


def count_attachments(db: Session, thread: Thread) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(ThreadAttachment)
            .where(ThreadAttachment.thread_id == thread.id)
        )
        or 0
    )


# --- writing -------------------------------------------------------------------------------


def add_attachment(
    db: Session, viewer: User, thread: Thread, stored: uploads.StoredFile, name: str
) -> ThreadAttachment:
    """Attach the stored file to the good practice under the shown name `name`.

    The caller has called `require_can_attach`. Text already extracted
    from the same content (another good practice's file) is reused; otherwise an
    extraction job is queued, to run once the caller commits.
    """
    attachment = ThreadAttachment(
        thread_id=thread.id,
        uploader_id=viewer.id,
        original_name=uploads.clean_name(name),
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
    # The file's name finds the good practice at once; its text once extracted (or now,
    # when known from the same content).
    queue_document(db, f"thread:{thread.id}")
    return attachment


def get_attachment(db: Session, viewer: User | None, attachment_id: int) -> ThreadAttachment:
    """The attachment, if its thread is visible to `viewer`; NotFound otherwise."""
    attachment = db.get(ThreadAttachment, attachment_id)
    if attachment is None or service.find_thread(db, viewer, attachment.thread_id) is None:
        raise attachment_not_found()
    return attachment


def delete_attachment(db: Session, viewer: User | None, attachment: ThreadAttachment) -> str:
    """Remove the attachment, and its text from the thread's search document.

    Answers its storage name for `forum.core.attachments.discard_file` after the commit: the
    file may be shared with other attachments, and must outlive a transaction that
    rolls back. Raises NotAllowed.
    """
    thread = attachment.thread
    if not can_delete(viewer, thread):
        raise NotAllowed(_("Only the author of this good practice can remove its files."))
    storage_name = attachment.storage_name
    db.delete(attachment)
    db.flush()
    # Its name is in the document even when no text was found.
    queue_document(db, f"thread:{thread.id}")
    return storage_name


# --- the extraction job --------------------------------------------------------------------


@registry.job(EXTRACT_JOB)
def extract_attachment_text(db: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """The extraction job of a good practice's file (`forum.core.attachments.run_extraction`)."""
    run_extraction(
        db,
        ThreadAttachment,
        int(payload["attachment_id"]),
        ctx,
        document=lambda a: f"thread:{a.thread_id}",
        owner=lambda a: f"thread {a.thread_id}",
    )
