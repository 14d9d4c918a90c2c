"""Attachments of good-practice threads: upload and removal (author or moderator), download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core import uploads
from forum.core.attachments import file_row
from forum.core.upload_routes import (
    CappedBodyRoute,
    attached_message,
    receive_upload,
    removed_response,
    stored_file_response,
)
from forum.core.web import AppSettings, DbSession, flash, redirect
from forum.discussions import attachments, service
from forum.discussions.models import Thread

router = APIRouter(include_in_schema=False, route_class=CappedBodyRoute)


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
    thread = service.get_thread(db, viewer, thread_id)
    attachments.require_can_attach(db, viewer, thread)
    name, stored = receive_upload(file, settings)
    attachment = attachments.add_attachment(db, viewer, thread, stored, name)
    db.commit()
    response = redirect(f"/threads/{thread.id}#attachments")
    flash(request, response, attached_message(attachment), "success")
    return response


@router.get("/attachments/{attachment_id}/{filename}")
def download_attachment(
    attachment_id: int,
    filename: str,
    db: DbSession,
    viewer: OptionalUser,
    settings: AppSettings,
) -> Response:
    attachment = attachments.get_attachment(db, viewer, attachment_id)
    return stored_file_response(settings.uploads_dir, attachment)


@router.post("/attachments/{attachment_id}/delete")
def remove_attachment(
    request: Request,
    attachment_id: int,
    db: DbSession,
    viewer: SignedInUser,
    settings: AppSettings,
) -> Response:
    attachment = attachments.get_attachment(db, viewer, attachment_id)
    thread_id, name = attachment.thread_id, attachment.original_name
    storage_name = attachments.delete_attachment(db, viewer, attachment)
    db.commit()
    return removed_response(
        request, db, settings.uploads_dir, storage_name, name=name,
        back=f"/threads/{thread_id}#attachments",
    )  # fmt: skip
