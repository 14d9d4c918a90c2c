"""JSON routes for the files of intelligence items: `POST /api/v1/intel/{id}/attachments`.

Authenticated by a bearer token, or by a signed-in browser session that sends the
page's CSRF token in the `X-CSRF-Token` header (API routes skip the form CSRF check,
so a session without it is refused). Bodies over the upload limit are refused with
413 before they are parsed (`CappedBodyRoute`).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Request, Response, UploadFile
from pydantic import BaseModel, Field

from forum.accounts import activity, sessions
from forum.accounts.deps import ApiOptionalUser
from forum.accounts.models import User
from forum.core.errors import NotFound
from forum.core.security import CSRF_COOKIE, CSRF_HEADER, csrf_token_for
from forum.core.upload_routes import CappedBodyRoute
from forum.core.web import AppSettings, DbSession, RowId
from forum.intelligence import attachments
from forum.intelligence.attachment_views import attach_upload, discard_unused
from forum.intelligence.models import IntelAttachment
from forum.intelligence.queries import find_item

router = APIRouter(tags=["intelligence"], route_class=CappedBodyRoute)


class Message(BaseModel):
    detail: str


class AttachmentOut(BaseModel):
    id: int
    item_id: int
    name: str = Field(description="The file's name as uploaded (cleaned)")
    url: str = Field(description="Where to download it (Content-Disposition: attachment)")
    size: int = Field(description="Bytes")
    mime: str = Field(description="The type decided from the content, not the name")
    sha256: str
    extraction_status: Literal["pending", "done", "empty", "error"] = Field(
        description="pending until the worker has read the file; empty when it holds no "
        "text (a scanned document?); error with `extraction_error` saying why"
    )
    extraction_error: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, a: IntelAttachment, base_url: str) -> AttachmentOut:
        return cls(
            id=a.id,
            item_id=a.item_id,
            name=a.original_name,
            url=base_url + attachments.download_path(a),
            size=a.size,
            mime=a.mime,
            sha256=a.sha256,
            extraction_status=a.extraction_status,
            extraction_error=a.extraction_error,
            created_at=a.created_at,
        )


def _refused(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Message, "description": description}}


UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_refused(401, "No valid bearer token or session"),
    **_refused(403, "Not the item's author or a moderator, or a session without X-CSRF-Token"),
    **_refused(404, "No such item, or not visible to you"),
    **_refused(409, "The same file is already attached to this item"),
    **_refused(413, "The file is larger than the upload limit"),
    **_refused(415, "Not an accepted file type (decided by content)"),
    **_refused(422, "A damaged or unsafe archive, or the item has its maximum of files"),
}


def api_or_session_user(request: Request, db: DbSession, bearer: ApiOptionalUser) -> User:
    """The bearer token's owner, else the session's member when the CSRF header is right."""
    if bearer is not None:
        return bearer
    raw = request.cookies.get(sessions.SESSION_COOKIE, "")
    found = sessions.session_user(db, raw) if raw else None
    if found is None:
        raise HTTPException(
            401,
            "Authentication required: send a bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    cookie = request.cookies.get(CSRF_COOKIE, "")
    submitted = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token_for(request.app.state.settings.secret_key, cookie) if cookie else ""
    if not expected or not submitted or not hmac.compare_digest(submitted, expected):
        raise HTTPException(
            403, "With a browser session, send the page's CSRF token in the X-CSRF-Token header."
        )
    activity.record_seen(db, found[1])  # committed with the upload (a POST or DELETE)
    return found[1]


UploadUser = Annotated[User, Depends(api_or_session_user)]


@router.post(
    "/intel/{item_id}/attachments",
    response_model=AttachmentOut,
    status_code=201,
    responses=UPLOAD_RESPONSES,
)
def upload_attachment(
    item_id: RowId,
    db: DbSession,
    settings: AppSettings,
    user: UploadUser,
    file: Annotated[
        UploadFile,
        File(
            description="PDF, DOCX, XLSX, PPTX, ODT, CSV, TXT, PNG or JPEG; type checked by content",
            # OpenAPI 3.0 tools know binary uploads by this; 3.1 ones by contentMediaType.
            json_schema_extra={"format": "binary"},
        ),
    ],
) -> AttachmentOut:
    """Attach a file to an item (its author or a moderator). Its text is extracted by the
    worker: `extraction_status` starts as `pending` unless the same content was read before."""
    item = find_item(db, user, item_id)
    if item is None:
        # This route answers with the sentence of the pages it was first written for.
        raise NotFound(
            "intelligence item", detail="There is no item at this address, or it is not public."
        )
    attachment = attach_upload(db, user, item, file, settings)
    return AttachmentOut.of(attachment, settings.base_url)


@router.delete(
    "/intel/attachments/{attachment_id}",
    status_code=204,
    responses={k: v for k, v in UPLOAD_RESPONSES.items() if k in (401, 403, 404)},
)
def delete_attachment(
    attachment_id: RowId, db: DbSession, settings: AppSettings, user: UploadUser
) -> Response:
    """Remove a file from an item (its author or a moderator)."""
    attachment = attachments.get_attachment(db, user, attachment_id)
    storage_name = attachments.delete_attachment(db, user, attachment)
    db.commit()
    discard_unused(db, settings.uploads_dir, storage_name)
    return Response(status_code=204)
