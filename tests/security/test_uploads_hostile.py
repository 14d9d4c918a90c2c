"""The hostile-upload corpus: every file is generated here (no binary fixtures) and sent
through the upload page. Each is refused (413/415/422, nothing left behind) or accepted
and neutralised: stored under its hash inside the upload root, served only as a
download that is never sniffed, and its text extracted by the sandboxed child in
bounded time (no hung worker)."""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.intelligence import attachments
from forum.intelligence.models import IntelItem
from tests.conftest import Client, sign_in
from tests.intelligence.test_attachments import files_under, make_item, rows, run_worker_jobs
from tests.intelligence.test_extract import text_pdf

LIMIT = 1536 * 1024  # the upload limit here: small, so the bombs stay cheap to build


def zipped(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def docx(extra: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    return zipped([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>"), *extra])


def symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16) | 0x20
    info.create_system = 3
    return info, target.encode()


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(4096), 9))
        + chunk(b"IEND", b"")
    )


def jpeg_flood() -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 65500, 65500, 1) + b"\x01\x11\x00"
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + bytes(64)


def nested_pdf(depth: int) -> bytes:
    """A PDF whose only object is an array nested `depth` deep, and a page tree that loops."""
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 99999 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R /X "
        + b"[" * depth
        + b"]" * depth
        + b" >>\nendobj\n4 0 obj\n<< /Length 999999999 /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(bytes(200_000), 9)
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n"
    )


def lying_bomb() -> bytes:
    """A DOCX whose 20 MB document.xml declares 1,000 bytes in both zip headers: the
    upload check believes it; the extraction child must not."""
    data = bytearray(
        zipped(
            [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w>" + bytes(20 << 20))]
        )
    )
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_length = struct.unpack_from("<H", data, at + (26 if offset == 22 else 28))[0]
            name_at = at + (30 if offset == 22 else 46)
            if bytes(data[name_at : name_at + name_length]) == b"word/document.xml":
                struct.pack_into("<I", data, at + offset, 1000)
            start = at + 4
    return bytes(data)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><w:document>&lol9;</w:document>"
)
PDF = text_pdf("A harmless market study of the hostile corpus")


@dataclass(frozen=True)
class Case:
    label: str
    name: str
    data: bytes
    status: int  # 303: accepted (then it must be neutralised)


CASES = [
    # wrong magic, scripts and markup dressed as documents
    Case("ELF binary named .pdf", "report.pdf", b"\x7fELF\x02\x01\x01" + bytes(300), 415),
    Case("Windows PE named .docx", "setup.docx", b"MZ\x90\x00" + bytes(300), 415),
    Case("HTML named .txt", "notes.txt", b"<!DOCTYPE html><script>alert(1)</script>", 415),
    Case("HTML with leading BOM and blanks", "a.csv", b"\xef\xbb\xbf \n<html><body>x", 415),
    Case(
        "SVG with script",
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        415,
    ),
    Case(
        "SVG after an XML declaration",
        "logo.png",
        b'<?xml version="1.0"?>\n<svg onload="alert(1)"/>',
        415,
    ),
    Case("text with a script tag inside", "data.csv", b"a,b\n1,<script>alert(1)</script>\n", 415),
    Case("GIF/JS polyglot", "x.gif", b"GIF89a/*\x00*/=alert(1)//", 415),
    Case("UTF-16 HTML", "u.txt", "<html><script>alert(1)</script>".encode("utf-16"), 415),
    Case("gzip of HTML", "page.txt", zlib.compress(b"<html><script>alert(1)</script>"), 415),
    Case("NUL bytes in text", "nul.txt", b"plain text\x00with a NUL", 415),
    Case("empty file", "empty.pdf", b"", 415),
    Case("zip without Office parts", "archive.docx", zipped([("a.txt", b"hello")]), 415),
    Case("JAR-like zip", "app.xlsx", zipped([("META-INF/MANIFEST.MF", b"Main-Class: X")]), 415),
    # archives: traversal, symlinks, bombs
    Case("zip entry ../", "t.docx", docx([("../../../../tmp/evil.txt", b"x")]), 422),
    Case("zip entry absolute", "t.docx", docx([("/etc/cron.d/evil", b"x")]), 422),
    Case("zip entry with backslashes", "t.docx", docx([("..\\..\\evil.bat", b"x")]), 422),
    Case("zip entry with a drive", "t.docx", docx([("C:/Windows/evil.dll", b"x")]), 422),
    Case(
        "zip entry ../ inside a part",
        "t.xlsx",
        zipped([("[Content_Types].xml", b"<T/>"), ("xl/../../evil.xml", b"x")]),
        422,
    ),
    Case("zip symlink to /etc/passwd", "s.docx", docx([symlink("word/link", "/etc/passwd")]), 422),
    Case(
        "ODT with a symlink",
        "s.odt",
        zipped(
            [
                ("mimetype", b"application/vnd.oasis.opendocument.text"),
                symlink("content.xml", "../../../etc/shadow"),
            ]
        ),
        422,
    ),
    Case(
        "zip bomb, one entry",
        "bomb.docx",
        docx([("word/media/zeros", bytes(3 * 1024 * 1024))]),
        422,
    ),
    Case(
        "zip bomb, total size",
        "bomb.xlsx",
        zipped(
            [("[Content_Types].xml", b"<T/>")]
            + [(f"xl/z{i}.xml", bytes(900 * 1024)) for i in range(20)]
        ),
        422,
    ),
    Case(
        "zip with too many entries",
        "many.pptx",
        zipped([("[Content_Types].xml", b"<T/>")] + [(f"ppt/{i}", b"") for i in range(10_001)]),
        422,
    ),
    # size
    Case("one byte over the limit", "over.pdf", PDF + b"%" * (LIMIT + 1 - len(PDF)), 413),
    # accepted, then neutralised: served as downloads, never decoded or run
    Case("exactly the limit", "exact.pdf", PDF + b"%" * (LIMIT - len(PDF)), 303),
    Case("PDF/HTML polyglot", "poly.pdf", b"%PDF-1.4\n<html><script>alert(1)</script>\n", 303),
    Case("PNG/HTML polyglot", "poly.png", png(1, 1) + b"<script>alert(1)</script>", 303),
    Case("PNG pixel flood", "flood.png", png(100_000, 100_000), 303),
    Case("JPEG pixel flood", "flood.jpg", jpeg_flood(), 303),
    Case("pathological PDF", "deep.pdf", nested_pdf(50_000), 303),
    Case(
        "PDF with a JavaScript action",
        "js.pdf",
        PDF.replace(
            b"/Type /Catalog",
            b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
            1,
        ),
        303,
    ),
    Case(
        "DOCX with an entity bomb",
        "laughs.docx",
        zipped([("[Content_Types].xml", b"<T/>"), ("word/document.xml", BILLION_LAUGHS)]),
        303,
    ),
    Case("zip bomb lying about its size", "liar.docx", lying_bomb(), 303),
    Case("traversal in the file name", "../../../../etc/passwd.pdf", PDF + b"%n1", 303),
    Case(
        "header injection in the name",
        'x"\r\nContent-Type: text/html\r\n\r\n<script>.pdf',
        PDF + b"%n2",
        303,
    ),
    Case("CSV with formulas", "sheet.csv", b"=cmd|' /C calc'!A0,@SUM(1)\n", 303),
]


def test_the_corpus_has_at_least_25_hostile_files() -> None:
    assert len({c.label for c in CASES}) == len(CASES) >= 25
    assert all(len(c.data) <= LIMIT + 1 for c in CASES)


@pytest.fixture
def item(db: Session, sectors: None, member: User) -> IntelItem:
    return make_item(db, member)


@pytest.mark.slow
def test_hostile_files_are_refused_or_neutralised(
    client: Client, db: Session, member: User, item: IntelItem, settings: Settings,
    session_factory: sessionmaker[Session], tmp_path: Path,
) -> None:  # fmt: skip
    settings.upload_max_bytes = LIMIT
    root = settings.uploads_dir.resolve()
    outside_before = {p for p in tmp_path.rglob("*") if not p.resolve().is_relative_to(root)}
    sign_in(client, db, member)
    accepted = []
    for case in CASES:
        if case.status == 303 and len(rows(db)) >= attachments.MAX_PER_ITEM:
            item = make_item(db, member)  # an item takes at most ten files
        response = client.post(
            f"/intel/{item.id}/attachments",
            data={"csrf_token": client.csrf_token()},
            files={"file": (case.name, case.data, "application/octet-stream")},
        )
        assert response.status_code == case.status, (case.label, response.status_code)
        if case.status != 303:
            # Nothing of a refused file stays: no row, no temp file.
            assert len(rows(db)) == len(accepted), case.label
            assert len(files_under(settings.uploads_dir)) == len(accepted), case.label
        else:
            accepted.append(case)

    # Everything written is inside the upload root, under its hash; nothing else appeared.
    stored = files_under(settings.uploads_dir)
    assert len(stored) == len(accepted)
    for path in stored:
        relative = path.resolve().relative_to(root)
        assert len(relative.parts) == 2 and relative.parts[1].startswith(relative.parts[0])
    outside_after = {p for p in tmp_path.rglob("*") if not p.resolve().is_relative_to(root)}
    assert {p.name for p in outside_after - outside_before} <= {"outbox"}
    assert not any("evil" in p.name or p.name == "passwd" for p in tmp_path.rglob("*"))

    # Served as downloads only: never HTML, never sniffed, names without paths or breaks.
    for attachment in rows(db):
        assert "/" not in attachment.original_name and "\r" not in attachment.original_name
        response = client.get(attachments.download_path(attachment))
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"].startswith("attachment")
        assert "html" not in response.headers["content-type"]
        assert "\n" not in response.headers["content-disposition"]

    # Extraction runs in the sandboxed child and ends for every file, in bounded time.
    started = time.monotonic()
    run_worker_jobs(settings, session_factory)
    assert time.monotonic() - started < 90
    statuses = {a.original_name: a.extraction_status for a in rows(db)}
    assert "pending" not in statuses.values(), statuses
    assert statuses["laughs.docx"] in ("error", "empty"), statuses
    assert statuses["liar.docx"] in ("error", "empty"), statuses
    assert statuses["deep.pdf"] in ("error", "empty"), statuses
    assert os.listdir(settings.uploads_dir)
