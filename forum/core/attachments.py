"""Attached files, whichever domain holds them: the text extracted from them, and whether
a stored file is still used.

Intelligence items and good practices take files. Each domain's attachment model mixes in
`ExtractedText`; its upload calls `prepare` and queues its own job when that answers True;
its job calls `extract_pending` and queues its search document once text is in; its page
shows each file through `file_row`. The bytes themselves are `forum.core.uploads`' business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import String, Text, exists, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from forum.core import extract, uploads
from forum.core.db import Base
from forum.core.errors import NotFound
from forum.core.formats import format_number
from forum.core.i18n import _, _l, ngettext
from forum.core.jobs import JobContext, enqueue, registry
from forum.core.outbox import queue_document

# pending -> done | empty | error
STATUSES = ("pending", "done", "empty", "error")
# Results that depend on the bytes only: another attachment with the same content reuses them.
REUSABLE = ("done", "empty")
NO_TEXT_FROM_IMAGES = "Text is not read from images."
MISSING_FILE = "the stored file is missing"
# How much of the extracted text its uploader sees on the page.
EXCERPT_CHARS = 3000
STATUS_TEXT = {
    "pending": _l("Text being extracted"),
    "empty": _l("No text found (scanned document?)"),
}
# Why there is no text, as stored (in English, by the extraction job), and as the page
# shows it in the reader's language.
REASONS = {
    NO_TEXT_FROM_IMAGES: _l("Text is not read from images."),
    MISSING_FILE: _l("the stored file is missing"),
    extract.NO_TEXT: _l("no text found (scanned?)"),
    extract.TOO_LONG: _l("extraction took too long"),
    extract.TOO_COSTLY: _l("the file needs too much memory or time to read"),
    extract.FAILED: _l("extraction failed"),
    extract.UNSAFE_XML: _l("unsafe XML"),
    extract.ENCRYPTED: _l("the PDF is encrypted"),
    extract.DAMAGED: _l("the file is damaged or not in the format its content suggests"),
    extract.TOO_BIG: _l("the document is too large to read"),
    extract.UNSUPPORTED: _l("text cannot be extracted from this file type"),
}


def _reason(stored: str | None) -> str:
    if not stored:
        return _("unknown error")
    reason = REASONS.get(stored)
    return str(reason) if reason is not None else stored


def attachment_not_found() -> NotFound:
    """A file that is missing, or on an item or thread the reader may not see: answered
    alike, so that a file's existence says nothing of what holds it."""
    return NotFound(
        "attachment", detail=_("There is no file at this address, or it is not public.")
    )


class ExtractedText:
    """Mixin for an attachment model: the text extracted from its file, or why there is none."""

    extraction_status: Mapped[str] = mapped_column(String(20), default="pending")
    extracted_text: Mapped[str | None] = mapped_column(Text)
    extraction_error: Mapped[str | None] = mapped_column(Text)

    if TYPE_CHECKING:  # every attachment model has these columns, of its own sizes
        id: Mapped[int]
        storage_name: Mapped[str]
        original_name: Mapped[str]
        sha256: Mapped[str]
        size: Mapped[int]
        mime: Mapped[str]


def attachment_models() -> list[type[ExtractedText]]:
    """Every mapped attachment model (every table of attached files)."""
    return sorted(
        (
            mapper.class_
            for mapper in Base.registry.mappers
            if issubclass(mapper.class_, ExtractedText)
        ),
        key=lambda model: model.__name__,
    )


# --- at upload -------------------------------------------------------------------------------


def prepare(db: Session, attachment: ExtractedText) -> bool:
    """Set the new `attachment`'s extraction status; answers whether a job must extract it.

    Text already read from the same content (another attachment of the same kind) is
    reused; images are kept without extraction.
    """
    model = type(attachment)
    known = db.scalar(
        select(model)
        .where(model.sha256 == attachment.sha256, model.extraction_status.in_(REUSABLE))
        .order_by(model.id)
        .limit(1)
    )
    if known is not None:
        attachment.extraction_status = known.extraction_status
        attachment.extracted_text = known.extracted_text
        attachment.extraction_error = known.extraction_error
    elif attachment.mime not in extract.SUPPORTED:
        _not_read(attachment)
    else:
        attachment.extraction_status = "pending"
    return attachment.extraction_status == "pending"


def _not_read(attachment: ExtractedText) -> None:
    attachment.extraction_status = "empty"
    attachment.extracted_text = None
    attachment.extraction_error = NO_TEXT_FROM_IMAGES


# --- the extraction job ----------------------------------------------------------------------


def record_result(attachment: ExtractedText, result: extract.ExtractResult) -> None:
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


Model = TypeVar("Model", bound=ExtractedText)


def extract_pending(
    db: Session, model: type[Model], attachment_id: int, uploads_dir: Path
) -> Model | None:
    """Extract the text of one pending attachment in a limited child process (a job's body).

    Answers the attachment with its result recorded (flushed; the caller queues its
    search document when the status is "done"), or None when there was nothing to do:
    the attachment is gone or no longer pending. Never raises for a bad file: it ends as
    "empty" or "error" with a sentence for the uploader.
    """
    attachment = db.get(model, attachment_id)
    if attachment is None or attachment.extraction_status != "pending":
        return None
    if attachment.mime not in extract.SUPPORTED:
        # Queued for every file uploaded before its kind had extraction: images among them.
        _not_read(attachment)
        db.flush()
        return attachment
    path = uploads.path_of(uploads_dir, attachment.storage_name)
    mime = attachment.mime
    # The child may take half a minute: end this read-only transaction first, so no
    # database lock (SQLite's write lock above all) is held while it runs.
    db.rollback()
    if path.is_file():
        result = extract.extract_in_subprocess(path, mime)
    else:
        result = extract.ExtractResult("", MISSING_FILE)
    attachment = db.get(model, attachment_id)
    if attachment is None or attachment.extraction_status != "pending":
        return None  # removed, or done by another run, while the child worked
    record_result(attachment, result)
    db.flush()
    return attachment


def run_extraction(
    db: Session,
    model: type[Model],
    attachment_id: int,
    ctx: JobContext,
    *,
    document: Callable[[Model], str],
    owner: Callable[[Model], str],
) -> None:
    """A domain's extraction job: extract one pending attachment's text (`extract_pending`),
    queue the search `document(attachment)` of what it is attached to once text is in,
    and log the outcome naming its `owner(attachment)`. Idempotent; never raises for a
    bad file."""
    attachment = extract_pending(db, model, attachment_id, ctx.settings.uploads_dir)
    if attachment is None:
        return
    if attachment.extraction_status == "done":
        queue_document(db, document(attachment))
    ctx.log.info(
        "attachment %s of %s: text %s%s",
        attachment.id,
        owner(attachment),
        attachment.extraction_status,
        f" ({attachment.extraction_error})" if attachment.extraction_error else "",
    )


# --- on the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRow:
    """One file as a page lists it (`templates/macros/files.html`)."""

    id: int
    name: str
    url: str
    type_label: str
    size_label: str
    # For the uploader, the author of what it is attached to and moderators; else None.
    status: str | None
    status_text: str | None
    excerpt: str | None
    can_delete: bool


def status_text(attachment: ExtractedText) -> str:
    """The sentence saying whether search finds the file's text, and if not, why."""
    status = attachment.extraction_status
    if status == "done":
        count = len(attachment.extracted_text or "")
        return ngettext(
            "Text extracted (%(count)s character)",
            "Text extracted (%(count)s characters)",
            count,
            count=format_number(count),
        )
    if status == "error":
        return _(
            "Text could not be extracted: %(reason)s",
            reason=_reason(attachment.extraction_error),
        )
    if status == "empty" and attachment.extraction_error:
        return _reason(attachment.extraction_error)
    return str(STATUS_TEXT.get(status, status))


def file_row(
    attachment: ExtractedText, *, url: str, shows_status: bool, can_delete: bool
) -> FileRow:
    """`attachment` as a page lists it; its extraction status only when `shows_status`."""
    text = attachment.extracted_text or ""
    excerpt = None
    if shows_status and text:
        excerpt = text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
    return FileRow(
        id=attachment.id,
        name=attachment.original_name,
        url=url,
        type_label=str(uploads.TYPE_LABELS.get(attachment.mime, attachment.mime)),
        size_label=uploads.human_size(attachment.size),
        status=attachment.extraction_status if shows_status else None,
        status_text=status_text(attachment) if shows_status else None,
        excerpt=excerpt,
        can_delete=can_delete,
    )


# --- the stored file -------------------------------------------------------------------------


def file_in_use(db: Session, storage_name: str) -> bool:
    """Whether any attachment, of any kind, points at this stored file."""
    return bool(
        db.scalar(
            select(
                or_(
                    *(
                        exists().where(model.storage_name == storage_name)
                        for model in attachment_models()
                    )
                )
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


DISCARD_JOB = "uploads-discard"


def queue_discard(db: Session, storage_names: Iterable[str]) -> None:
    """Delete these stored files once the caller commits, unless an attachment still uses
    them (a job, so that a rollback never loses a file that is still wanted)."""
    names = sorted(set(storage_names))
    if names:
        enqueue(db, DISCARD_JOB, {"storage_names": names})


@registry.job(DISCARD_JOB)
def discard_files(db: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """Delete the stored files no attachment uses any more (idempotent)."""
    gone = sum(
        discard_file(db, ctx.settings.uploads_dir, str(name)) for name in payload["storage_names"]
    )
    ctx.log.info("%d of %d stored files deleted", gone, len(payload["storage_names"]))
