"""Attachments of good-practice threads: upload and removal (author or moderator), download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core import uploads
from forum.core.attachments import discard_file, file_row
from forum.core.upload_routes import CappedBodyRoute, attachment_response, too_large_message
from forum.core.web import AppSettings, DbSession, flash, redirect
from forum.discussions import attachments, service
from forum.discussions.models import Thread, ThreadAttachment

router = APIRouter(include_in_schema=False, route_class=CappedBodyRoute)


def _not_found() -> HTTPException:
    return HTTPException(404, "There is no file at this address, or it is not public.")


# --- the thread page's files ------------------------------------------------------------------


def thread_context(
    request: Request, db: Session, viewer: User | None, thread: Thread
) -> dict[str, object]:
    """What the thread page needs to list the files and show the upload form."""
    files = attachments.list_attachments(db, thread) if thread.kind == "good_practice" else []
    may_delete = attachments.can_delete(viewer, thread)
    return {
        "attachments": [
            file_row(
                a,
                url=a.url,
                shows_status=attachments.can_see_status(viewer, thread, a),
                can_delete=may_delete,
            )
            for a in files
        ],
        "can_attach": attachments.can_attach(viewer, thread),
        "max_attachments": attachments.MAX_PER_THREAD,
        "max_upload_bytes": request.app.state.settings.upload_max_bytes,
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
    if not attachments.can_attach(viewer, thread):
        raise HTTPException(403, "Only the author of this good practice can attach files.")
    if attachments.count_attachments(db, thread) >= attachments.MAX_PER_THREAD:
        raise HTTPException(
            422, f"A good practice can have at most {attachments.MAX_PER_THREAD} files."
        )
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
    attachment = attachments.add_attachment(db, viewer, thread, stored, name)
    db.commit()
    response = redirect(f"/threads/{thread.id}#attachments")
    if attachment.extraction_status == "pending":
        message = f"{name} is attached; its text is being extracted."
    else:
        message = f"{name} is attached."
    flash(request, response, message, "success")
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


@router.post("/attachments/{attachment_id}/delete")
def remove_attachment(
    request: Request,
    attachment_id: int,
    db: DbSession,
    viewer: SignedInUser,
    settings: AppSettings,
) -> Response:
    try:
        attachment = attachments.get_attachment(db, viewer, attachment_id)
    except service.NotFound as exc:
        raise _not_found() from exc
    thread_id, name = attachment.thread_id, attachment.original_name
    try:
        storage_name = attachments.delete_attachment(db, viewer, attachment)
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    db.commit()
    discard_file(db, settings.uploads_dir, storage_name)
    response = redirect(f"/threads/{thread_id}#attachments")
    flash(request, response, f"{name} is removed.", "success")
    return response
