"""Attachments of intelligence items: the upload form's route, downloads and removal.

`item_context` gives the item page what `templates/intelligence/_attachments.html`
needs; `attach_upload` is the one upload path, shared with the JSON API.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from forum.accounts.deps import OptionalUser, SignedInUser
from forum.accounts.models import User
from forum.core import uploads
from forum.core.attachments import FileRow, discard_file, file_row
from forum.core.config import Settings
from forum.core.errors import Conflict
from forum.core.upload_routes import (
    CappedBodyRoute,
    attached_message,
    receive_upload,
    removed_response,
    stored_file_response,
)
from forum.core.web import AppSettings, DbSession, flash, redirect
from forum.intelligence import attachments
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.intelligence.queries import get_item
from forum.intelligence.service import IntelError

router = APIRouter(include_in_schema=False, route_class=CappedBodyRoute)


# --- the item page's panel ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentPanel:
    item_id: int
    rows: list[FileRow]
    can_attach: bool
    room_left: bool
    max_files: int
    max_size_label: str


def panel(viewer: User | None, item: IntelItem, max_upload_bytes: int) -> AttachmentPanel:
    """The files of `item` as `viewer` may see them (the item's attachments are loaded)."""
    rows = []
    may_delete = attachments.can_delete(viewer, item)
    for a in item.attachments:
        rows.append(
            file_row(
                a,
                url=attachments.download_path(a),
                shows_status=attachments.can_see_status(viewer, item, a),
                can_delete=may_delete,
            )
        )
    return AttachmentPanel(
        item_id=item.id,
        rows=rows,
        can_attach=attachments.can_attach(viewer, item),
        room_left=len(rows) < attachments.MAX_PER_ITEM,
        max_files=attachments.MAX_PER_ITEM,
        max_size_label=uploads.human_size(max_upload_bytes),
    )


def item_context(request: Request, viewer: User | None, item: IntelItem) -> dict[str, object]:
    """The item page's context for `intelligence/_attachments.html`."""
    limit: int = request.app.state.settings.upload_max_bytes
    return {"attachment_panel": panel(viewer, item, limit)}


# --- the upload path (HTML and API) ------------------------------------------------------------


def attach_upload(
    db: Session, viewer: User, item: IntelItem, file: UploadFile, settings: Settings
) -> IntelAttachment:
    """Check, receive, store and attach `file`, then commit.

    A refusal leaves neither a row nor a file of its own behind. NotAllowed (403) and
    AlreadyAttached (409) rise to the error handlers; an item that has its maximum of
    files answers 422 with a sentence, like the file checks' refusals (the API's answer
    is that plain `detail`, not a list of fields).
    """
    try:
        attachments.require_can_attach(db, viewer, item)
    except IntelError as exc:
        raise HTTPException(422, str(exc)) from exc
    name, stored = receive_upload(file, settings)
    uploads_dir = settings.uploads_dir
    try:
        # A savepoint: a refusal undoes only this, and the viewer stays loaded for the
        # error page (a full rollback would expire it, and the page renders after the
        # request's session is closed).
        with db.begin_nested():
            attachment = attachments.add_attachment(db, viewer, item, stored, name)
    except Exception as exc:
        # Whatever refused it, the stored file must not outlive the refusal.
        discard_unused(db, uploads_dir, stored.storage_name)
        if isinstance(exc, IntelError) and not isinstance(exc, Conflict):
            raise HTTPException(422, str(exc)) from exc
        raise
    try:
        db.commit()
    except BaseException:
        db.rollback()
        with contextlib.suppress(Exception):
            discard_unused(db, uploads_dir, stored.storage_name)
            db.refresh(viewer)
        raise
    return attachment


def discard_unused(db: Session, uploads_dir: Path, storage_name: str) -> None:
    """Delete a stored file that no attachment uses (after the commit or the undo)."""
    discard_file(db, uploads_dir, storage_name)


# --- routes ----------------------------------------------------------------------------------


@router.post("/intel/{item_id}/attachments")
def upload_attachment(
    request: Request,
    item_id: int,
    db: DbSession,
    viewer: SignedInUser,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="The file to attach")],
) -> Response:
    item = get_item(db, viewer, item_id)
    attachment = attach_upload(db, viewer, item, file, settings)
    response = redirect(f"{item.url_path}#attachments")
    flash(request, response, attached_message(attachment), "success")
    return response


@router.get("/intel/attachments/{attachment_id}/{filename}")
def download_attachment(
    attachment_id: int,
    filename: str,
    db: DbSession,
    viewer: OptionalUser,
    settings: AppSettings,
) -> Response:
    attachment = attachments.get_attachment(db, viewer, attachment_id)
    return stored_file_response(settings.uploads_dir, attachment)


@router.post("/intel/attachments/{attachment_id}/delete")
def remove_attachment(
    request: Request,
    attachment_id: int,
    db: DbSession,
    viewer: SignedInUser,
    settings: AppSettings,
) -> Response:
    attachment = attachments.get_attachment(db, viewer, attachment_id)
    item_id, name = attachment.item_id, attachment.original_name
    storage_name = attachments.delete_attachment(db, viewer, attachment)
    db.commit()
    return removed_response(
        request, db, settings.uploads_dir, storage_name, name=name,
        back=f"/intel/{item_id}#attachments",
    )  # fmt: skip
