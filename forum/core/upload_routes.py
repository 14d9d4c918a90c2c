"""What every upload route shares: the body cap before parsing, receiving and storing the
file, safe downloads, and the page after a file is removed.

Used by the good-practice attachments (forum/discussions/attachment_views.py) and the
intelligence attachments (forum/intelligence/attachment_views.py and attachment_api.py).
A CSV file is served with its formula cells neutralised (forum/core/csvsafe.py); every
other file as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.types import Message

from forum.core import csvsafe, uploads
from forum.core.attachments import ExtractedText, attachment_not_found, discard_file
from forum.core.config import Settings
from forum.core.i18n import _
from forum.core.web import flash, redirect

# Room for the multipart envelope and the other fields (the CSRF token) around the file.
ENVELOPE_BYTES = 64 * 1024


def too_large_message(limit: int) -> str:
    return _(
        "The file is too large: attachments may be up to %(size)s.",
        size=uploads.human_size(limit),
    )


class CappedBodyRoute(APIRoute):
    """Refuses (413) a body over `upload_max_bytes + ENVELOPE_BYTES` before it is parsed.

    A declared Content-Length over the cap is refused before anything is read; a
    body without one (chunked) is cut off as soon as it passes the cap.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def capped(request: Request) -> Response:
            if request.method not in ("POST", "PUT", "PATCH"):
                return await handler(request)
            limit = request.app.state.settings.upload_max_bytes
            cap = limit + ENVELOPE_BYTES
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > cap):
                raise HTTPException(413, too_large_message(limit))
            received = 0
            receive = request.receive

            async def limited() -> Message:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > cap:
                    raise HTTPException(413, too_large_message(limit))
                return message

            return await handler(Request(request.scope, limited))

        return capped


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact name as RFC 5987 `filename*`."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_headers(name: str) -> dict[str, str]:
    """Headers for serving a stored upload: always a download, never sniffed, never shared."""
    return {
        "Content-Disposition": content_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private",
    }


def served_type(mime: str) -> str:
    """The Content-Type to serve a stored file with: a sniffed type, never text/html."""
    if mime not in uploads.EXTENSIONS:
        return "application/octet-stream"
    return mime + "; charset=utf-8" if mime.startswith("text/") else mime


def attachment_response(path: Path, mime: str, name: str) -> Response:
    """A stored upload as a download: a CSV file with its formula cells neutralised
    (streamed; the stored file and its checksum stay as uploaded), any other as stored."""
    if mime == "text/csv":
        return StreamingResponse(
            csvsafe.neutralised_csv(path),
            media_type=served_type(mime),
            headers=download_headers(name),
        )
    return FileResponse(path, media_type=served_type(mime), headers=download_headers(name))


# --- receiving, serving and removing a file ----------------------------------------------------


def receive_upload(file: UploadFile, settings: Settings) -> tuple[str, uploads.StoredFile]:
    """Receive and store `file` under the upload limit; answers its cleaned name and the
    stored file. The caller has checked who may attach what before reading a byte.

    Refusals are HTTPExceptions (413 too large, 415 or 422 by content) and leave no file
    of their own behind; the upload is closed either way.
    """
    name = uploads.clean_name(file.filename or "")
    uploads_dir, limit = settings.uploads_dir, settings.upload_max_bytes
    try:
        temp = uploads.receive(file.file, uploads_dir, limit)
        return name, uploads.store(uploads_dir, temp, name, limit=limit)
    except uploads.TooLarge as exc:
        raise HTTPException(413, too_large_message(limit)) from exc
    except uploads.UploadRefused as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    finally:
        file.file.close()


def attached_message(attachment: ExtractedText) -> str:
    """What the page says once a file is attached."""
    if attachment.extraction_status == "pending":
        return _(
            "%(name)s is attached; its text is being extracted.", name=attachment.original_name
        )
    return _("%(name)s is attached.", name=attachment.original_name)


def stored_file_response(uploads_dir: Path, attachment: ExtractedText) -> Response:
    """The download of an attachment the caller's rule let the reader see; NotFound when
    its stored file is missing."""
    path = uploads.path_of(uploads_dir, attachment.storage_name)
    if not path.is_file():
        raise attachment_not_found()
    return attachment_response(path, attachment.mime, attachment.original_name)


def removed_response(
    request: Request, db: Session, uploads_dir: Path, storage_name: str, *, name: str, back: str
) -> Response:
    """After the commit that removed the attachment `name`: its stored file goes unless
    another attachment uses it, and the reader goes `back` to the page with a message."""
    discard_file(db, uploads_dir, storage_name)
    response = redirect(back)
    flash(request, response, _("%(name)s is removed.", name=name), "success")
    return response
