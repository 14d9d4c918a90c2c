"""What every upload route shares: the body cap before parsing, and safe download headers.

Used by the good-practice attachments (forum/discussions/attachment_views.py) and the
intelligence attachments (forum/intelligence/attachment_views.py). A CSV file is served
with its formula cells neutralised (forum/core/csvsafe.py); every other file as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from starlette.types import Message

from forum.core import csvsafe, uploads

# Room for the multipart envelope and the other fields (the CSRF token) around the file.
ENVELOPE_BYTES = 64 * 1024


def too_large_message(limit: int) -> str:
    return f"The file is too large: attachments may be up to {uploads.human_size(limit)}."


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
