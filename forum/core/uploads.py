"""The upload pipeline: receive with a hard size cap, decide the type by content, store once.

No web framework in here: views hand over a readable binary stream and the original
file name; the intelligence repository reuses the same steps.

1. `receive(source, uploads_dir, max_bytes)` copies the stream in chunks into a temp
   file inside the uploads dir and stops at `max_bytes + 1` (TooLarge, temp deleted).
2. `store(uploads_dir, data_path, name)` sniffs the type from the bytes (never the
   name or the client's content type), checks ZIP-based files entry by entry, then
   moves the temp file to `<sha256[:2]>/<sha256>.<ext>` with `os.replace`; the same
   content is stored once. On refusal the temp file is deleted.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from forum.core import formats
from forum.core.config import Settings
from forum.core.extract import ODT_MIMETYPE as ODT_MIMETYPE
from forum.core.extract import OOXML as OOXML
from forum.core.i18n import _, _l, ngettext
from forum.core.text import remove_controls

# The default limit; the running value is `Settings.upload_max_bytes`.
MAX_UPLOAD_BYTES: int = Settings.model_fields["upload_max_bytes"].default
CHUNK = 64 * 1024
# ZIP-based files: uncompressed total at most this many times the upload limit,
# and no entry of at least MIN_RATIO_CHECK bytes compressed more than MAX_RATIO times.
MAX_TOTAL_FACTOR = 10
MAX_RATIO = 100
MIN_RATIO_CHECK = 1024 * 1024
MAX_ENTRIES = 10_000
MAX_NAME_CHARS = 200
TEMP_PREFIX = ".incoming-"

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    OOXML["word/"]: "docx",
    OOXML["xl/"]: "xlsx",
    OOXML["ppt/"]: "pptx",
    ODT_MIMETYPE.decode(): "odt",
    "text/csv": "csv",
    "text/plain": "txt",
}
TYPE_LABELS = {
    "application/pdf": _l("PDF"),
    "image/png": _l("PNG image"),
    "image/jpeg": _l("JPEG image"),
    OOXML["word/"]: _l("Word document"),
    OOXML["xl/"]: _l("Excel workbook"),
    OOXML["ppt/"]: _l("PowerPoint presentation"),
    ODT_MIMETYPE.decode(): _l("OpenDocument text"),
    "text/csv": _l("CSV"),
    "text/plain": _l("Text"),
}
# Text that a browser could take for markup is refused even though it is valid UTF-8.
_MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<body", b"<iframe", b"<?xml", b"<head")


class UploadRefused(Exception):
    """The upload is not accepted; `status` is the HTTP answer a view should give."""

    status = 422


class TooLarge(UploadRefused):
    status = 413


class UnsupportedType(UploadRefused):
    status = 415


class UnsafeArchive(UploadRefused):
    """A ZIP-based file with a path escape, a symlink or a zip bomb."""

    status = 422


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime: str
    # Relative to the uploads dir: "ab/ab12….pdf".
    storage_name: str


# --- receiving ---------------------------------------------------------------------------


def new_temp(uploads_dir: Path) -> tuple[BinaryIO, Path]:
    """An open temp file inside the uploads dir (same file system, so os.replace is atomic)."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=uploads_dir)
    return os.fdopen(fd, "wb"), Path(name)


def receive(source: BinaryIO, uploads_dir: Path, max_bytes: int) -> Path:
    """Copy `source` into a temp file in chunks; TooLarge (temp deleted) past `max_bytes`.

    Never holds more than one chunk in memory and never writes more than
    `max_bytes + 1` bytes.
    """
    out, path = new_temp(uploads_dir)
    try:
        with out:
            written = 0
            while True:
                chunk = source.read(min(CHUNK, max_bytes + 1 - written))
                if not chunk:
                    break
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge(
                        _("The file is larger than %(size)s.", size=human_size(max_bytes))
                    )
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


# --- deciding the type -------------------------------------------------------------------


def sniff(head: bytes, name: str) -> str | None:
    """The MIME type of `head` (the whole content, or its beginning for non-ZIP types).

    Decided by content only; the name matters only to tell CSV from plain text.
    Raises UnsafeArchive for a ZIP with a path escape, a symlink or a bomb.
    """
    return _sniff(head, io.BytesIO(head), name, limit=MAX_UPLOAD_BYTES, complete=True)


def sniff_file(path: Path, name: str, *, limit: int = MAX_UPLOAD_BYTES) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(CHUNK)
        fh.seek(0)
        return _sniff(head, fh, name, limit=limit, complete=False)


def _sniff(head: bytes, stream: BinaryIO, name: str, *, limit: int, complete: bool) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(stream, limit)
    if _is_text(stream, complete=complete, head=head):
        return "text/csv" if name.lower().endswith(".csv") else "text/plain"
    return None


def _sniff_zip(stream: BinaryIO, limit: int) -> str | None:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    with archive:
        infos = archive.infolist()
        check_archive(infos, limit)
        names = {info.filename for info in infos}
        if "mimetype" in names:
            info = archive.getinfo("mimetype")
            if info.file_size <= 100:
                try:
                    if archive.read(info).strip() == ODT_MIMETYPE:
                        return ODT_MIMETYPE.decode()
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
                    return None
        if "[Content_Types].xml" in names:
            for prefix, mime in OOXML.items():
                if any(n.startswith(prefix) for n in names):
                    return mime
    return None


def check_archive(infos: list[zipfile.ZipInfo], limit: int) -> None:
    """UnsafeArchive unless every entry is a plain relative file and nothing is a bomb."""
    if len(infos) > MAX_ENTRIES:
        raise UnsafeArchive(_("The file holds too many parts."))
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts:
            raise UnsafeArchive(_("The file holds a part with an unsafe path."))
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise UnsafeArchive(_("The file holds a symbolic link."))
        total += info.file_size
        if total > MAX_TOTAL_FACTOR * limit:
            raise UnsafeArchive(_("The file unpacks to far more than it weighs."))
        if info.file_size >= MIN_RATIO_CHECK and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise UnsafeArchive(_("The file unpacks to far more than it weighs."))


def _is_text(stream: BinaryIO, *, complete: bool, head: bytes) -> bool:
    """Valid UTF-8 without NUL bytes and not markup (read to the end when a file)."""
    if not head:
        return False
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<") or any(tag in head.lower() for tag in _MARKUP):
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    data = head if complete else stream.read(CHUNK)
    while data:
        if b"\x00" in data:
            return False
        try:
            decoder.decode(data)
        except UnicodeDecodeError:
            return False
        if complete:
            break
        data = stream.read(CHUNK)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- storing -----------------------------------------------------------------------------


def store(
    uploads_dir: Path, data_path: Path, name: str = "", *, limit: int = MAX_UPLOAD_BYTES
) -> StoredFile:
    """Sniff and store the temp file `data_path` (from `receive`) under its SHA-256.

    The same content is stored once: a second copy is dropped. On refusal
    (UnsupportedType, UnsafeArchive) the temp file is deleted.
    """
    try:
        mime = sniff_file(data_path, name, limit=limit)
        if mime is None:
            raise UnsupportedType(
                _(
                    "This type of file is not accepted: use PDF, PNG, JPEG, Word, Excel, "
                    "PowerPoint, OpenDocument text, CSV or plain text."
                )
            )
        digest = hashlib.sha256()
        size = 0
        with data_path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        storage_name = f"{sha[:2]}/{sha}.{EXTENSIONS[mime]}"
        target = uploads_dir / storage_name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            data_path.unlink()
        else:
            os.chmod(data_path, 0o640)
            os.replace(data_path, target)
    except BaseException:
        data_path.unlink(missing_ok=True)
        raise
    return StoredFile(sha256=sha, size=size, mime=mime, storage_name=storage_name)


def path_of(uploads_dir: Path, storage_name: str) -> Path:
    return uploads_dir / storage_name


# --- names and labels --------------------------------------------------------------------


def clean_name(name: str) -> str:
    """The original file name as shown: its base name, no control characters, ≤ 200 chars."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = remove_controls(base).strip().strip(".")
    if not base:
        return "file"
    if len(base) > MAX_NAME_CHARS:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            base = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_NAME_CHARS]
    return base


def human_size(size: int) -> str:
    """A file size as people read it, in their language: 900 bytes, 12 KB, 1.5 MB."""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=formats.format_number(round(size / 1024)))
    return _("%(size)s MB", size=formats.format_number(round(size / (1024 * 1024), 1)))
