"""Attachments of good-practice threads: upload (author or moderator) and download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import uploads
from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.discussions import service
from forum.discussions.models import Thread, ThreadAttachment
from forum.upload_routes import CappedBodyRoute, attachment_response, too_large_message
from forum.web import AppSettings, DbSession, flash, redirect

MAX_PER_THREAD = 5


router = APIRouter(include_in_schema=False, route_class=CappedBodyRoute)


def _not_found() -> HTTPException:
    return HTTPException(404, "There is no file at this address, or it is not public.")


# --- rules ---------------------------------------------------------------------------------


def list_attachments(db: Session, thread: Thread) -> list[ThreadAttachment]:
    return list(
        db.scalars(
            select(ThreadAttachment)
            .where(ThreadAttachment.thread_id == thread.id)
            .order_by(ThreadAttachment.id)
        )
    )


def can_attach(viewer: User | None, thread: Thread) -> bool:
    """The thread's author or a moderator, on good-practice threads only."""
    if viewer is None or thread.kind != "good_practice":
        return False
    return viewer.is_moderator or (thread.author_id is not None and thread.author_id == viewer.id)


def thread_context(
    request: Request, db: Session, viewer: User | None, thread: Thread
) -> dict[str, object]:
    """What the thread page needs to list the files and show the upload form."""
    return {
        "attachments": list_attachments(db, thread) if thread.kind == "good_practice" else [],
        "can_attach": can_attach(viewer, thread),
        "max_attachments": MAX_PER_THREAD,
        "max_upload_bytes": request.app.state.settings.upload_max_bytes,
        "type_labels": uploads.TYPE_LABELS,
        "human_size": uploads.human_size,
    }


# --- views -----------------------------------------------------------------------------------


@router.post("/threads/{thread_id}/attachments")
def upload_attachment(
    request: Request,
    thread_id: int,
    db: DbSession,
    viewer: SignedInUser,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="The file to attach")],
) -> Response:
    try:
        thread = service.get_thread(db, viewer, thread_id)
    except service.NotFound as exc:
        raise HTTPException(
            404, "There is no discussion at this address, or it is not public."
        ) from exc
    if thread.kind != "good_practice":
        raise HTTPException(422, "Files can be attached to good practices only.")
    if not can_attach(viewer, thread):
        raise HTTPException(403, "Only the author of this good practice can attach files.")
    count = db.scalar(
        select(func.count())
        .select_from(ThreadAttachment)
        .where(ThreadAttachment.thread_id == thread.id)
    )
    if (count or 0) >= MAX_PER_THREAD:
        raise HTTPException(422, f"A good practice can have at most {MAX_PER_THREAD} files.")
    name = uploads.clean_name(file.filename or "")
    uploads_dir = settings.uploads_dir
    limit = settings.upload_max_bytes
    try:
        temp = uploads.receive(file.file, uploads_dir, limit)
        stored = uploads.store(uploads_dir, temp, name, limit=limit)
    except uploads.TooLarge as exc:
        raise HTTPException(413, too_large_message(limit)) from exc
    except uploads.UploadRefused as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    finally:
        file.file.close()
    db.add(
        ThreadAttachment(
            thread_id=thread.id,
            uploader_id=viewer.id,
            original_name=name,
            storage_name=stored.storage_name,
            sha256=stored.sha256,
            size=stored.size,
            mime=stored.mime,
        )
    )
    db.commit()
    response = redirect(f"/threads/{thread.id}#attachments")
    flash(request, response, f"{name} is attached.", "success")
    return response


@router.get("/attachments/{attachment_id}/{filename}")
def download_attachment(
    attachment_id: int,
    filename: str,
    db: DbSession,
    viewer: OptionalUser,
    settings: AppSettings,
) -> Response:
    attachment = db.get(ThreadAttachment, attachment_id)
    if attachment is None:
        raise _not_found()
    try:
        service.get_thread(db, viewer, attachment.thread_id)
    except service.NotFound as exc:
        raise _not_found() from exc
    path = uploads.path_of(settings.uploads_dir, attachment.storage_name)
    if not Path(path).is_file():
        raise _not_found()
    return attachment_response(path, attachment.mime, attachment.original_name)
