"""Attachments of good practices: the upload pipeline end to end (issues 5 and 6)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import uploads
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.discussions.models import Category, Thread, ThreadAttachment
from tests.conftest import Client, Threads, sign_in, start_good_practice

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def gp(db: Session, member: User, categories: dict[str, Category]) -> Thread:
    return start_good_practice(db, member, categories["good-practices"])


def upload(client: Client, thread: Thread, name: str, data: bytes) -> Any:
    return client.post(
        f"/threads/{thread.id}/attachments",
        data={"csrf_token": client.csrf_token()},
        files={"file": (name, data, "application/pdf")},
    )


def files_under(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return [Path(root) / f for root, _dirs, names in os.walk(folder) for f in names]


def docx(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types/>'


# --- upload and download ---------------------------------------------------------------------


def test_a_pdf_is_stored_and_a_visitor_downloads_it_with_safe_headers(
    client: Client, db: Session, member: User, gp: Thread, settings: Settings
) -> None:
    sign_in(client, db, member)
    response = upload(client, gp, "Bilan été 2024.pdf", PDF)
    assert response.status_code == 303
    attachment = db.scalars(select(ThreadAttachment)).one()
    assert attachment.mime == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.storage_name == f"{attachment.sha256[:2]}/{attachment.sha256}.pdf"
    assert (settings.uploads_dir / attachment.storage_name).read_bytes() == PDF

    page = client.get(f"/threads/{gp.id}").text
    assert attachment.url in page and 'enctype="multipart/form-data"' in page
    assert 'style="' not in page

    client.cookies.clear()
    got = client.get(attachment.url)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "private"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Bilan été 2024.pdf', safe='')}" in disposition
    # A visitor sees the list but no upload form.
    page = client.get(f"/threads/{gp.id}").text
    assert attachment.original_name in page and 'type="file"' not in page


def test_a_hidden_thread_s_file_is_not_found(
    client: Client, db: Session, member: User, gp: Thread
) -> None:
    sign_in(client, db, member)
    upload(client, gp, "a.pdf", PDF)
    attachment = db.scalars(select(ThreadAttachment)).one()
    gp.hidden_at = utcnow()
    db.flush()
    client.cookies.clear()
    assert client.get(attachment.url).status_code == 404


def test_a_members_only_file_is_not_found_for_a_visitor(
    client: Client, db: Session, member: User, members_only: Category
) -> None:
    thread = start_good_practice(db, member, members_only)
    sign_in(client, db, member)
    assert upload(client, thread, "a.pdf", PDF).status_code == 303
    attachment = db.scalars(select(ThreadAttachment)).one()
    assert client.get(attachment.url).status_code == 200
    client.cookies.clear()
    assert client.get(attachment.url).status_code == 404


def test_the_same_content_is_stored_once(
    client: Client, db: Session, member: User, gp: Thread, settings: Settings
) -> None:
    sign_in(client, db, member)
    upload(client, gp, "one.pdf", PDF)
    upload(client, gp, "two.pdf", PDF)
    rows = db.scalars(select(ThreadAttachment)).all()
    assert len(rows) == 2 and rows[0].storage_name == rows[1].storage_name
    assert len(files_under(settings.uploads_dir)) == 1


def test_docx_xlsx_odt_csv_and_text_are_recognised_by_content() -> None:
    assert uploads.sniff(docx({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>"}), "x.bin") == uploads.OOXML["word/"]  # fmt: skip
    assert uploads.sniff(docx({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<x/>"}), "x") == uploads.OOXML["xl/"]  # fmt: skip
    odt = docx({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<o/>"})
    assert uploads.sniff(odt, "x.zip") == "application/vnd.oasis.opendocument.text"
    assert uploads.sniff("a;b\n1;ü\n".encode(), "data.csv") == "text/csv"
    assert uploads.sniff(b"plain notes\n", "notes.csv.exe") == "text/plain"
    assert uploads.sniff(b"a\x00b", "x.txt") is None
    assert uploads.sniff(b"\xff\xfe bad", "x.txt") is None
    assert uploads.sniff(docx({"readme.txt": b"hi"}), "x.docx") is None


def test_names_are_sanitised() -> None:
    assert uploads.clean_name("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert uploads.clean_name("../../etc/pa\x00ss\nwd") == "passwd"
    long = uploads.clean_name("a" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


# --- refusals: nothing is left behind -------------------------------------------------------


BOMB = docx({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": bytes(30 * 1024 * 1024)})


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), 415),
        ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", 415),
        ("notes.txt", b"Hello <script>alert(1)</script>", 415),
        ("bomb.docx", BOMB, 422),
        (
            "evil.docx",
            docx({"[Content_Types].xml": CONTENT_TYPES, "word/x.xml": b"<w/>", "../evil": b"x"}),
            422,
        ),
    ],
    ids=["renamed-exe", "html", "text-with-script", "zip-bomb", "path-escape"],
)
def test_dangerous_files_are_refused_and_leave_nothing(
    client: Client,
    db: Session,
    member: User,
    gp: Thread,
    settings: Settings,
    name: str,
    data: bytes,
    status: int,
) -> None:
    sign_in(client, db, member)
    response = upload(client, gp, name, data)
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    assert db.scalars(select(ThreadAttachment)).all() == []
    assert files_under(settings.uploads_dir) == []


def test_one_byte_over_the_limit_is_413_and_leaves_nothing(
    client: Client, db: Session, member: User, gp: Thread, settings: Settings
) -> None:
    settings.upload_max_bytes = 1000
    sign_in(client, db, member)
    exact = PDF + b"%" * (1000 - len(PDF))
    assert upload(client, gp, "exact.pdf", exact).status_code == 303
    db.query(ThreadAttachment).delete()
    for path in files_under(settings.uploads_dir):
        path.unlink()
    response = upload(client, gp, "over.pdf", exact + b"%")
    assert response.status_code == 413
    assert "Too large" in response.text
    assert files_under(settings.uploads_dir) == []


def test_a_declared_body_over_the_cap_is_refused_before_reading(
    client: Client, db: Session, member: User, gp: Thread, settings: Settings
) -> None:
    settings.upload_max_bytes = 1000
    sign_in(client, db, member)
    response = upload(client, gp, "big.pdf", PDF + bytes(200 * 1024))
    assert response.status_code == 413
    assert files_under(settings.uploads_dir) == []


# --- who may attach, and how many ------------------------------------------------------------


def test_another_member_cannot_attach_to_your_thread(
    client: Client, db: Session, other_member: User, gp: Thread, settings: Settings
) -> None:
    sign_in(client, db, other_member)
    assert upload(client, gp, "a.pdf", PDF).status_code == 403
    assert files_under(settings.uploads_dir) == []
    assert 'type="file"' not in client.get(f"/threads/{gp.id}").text


def test_a_moderator_may_attach(client: Client, db: Session, moderator: User, gp: Thread) -> None:
    sign_in(client, db, moderator)
    assert upload(client, gp, "a.pdf", PDF).status_code == 303


def test_only_good_practices_take_files(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(member)
    sign_in(client, db, member)
    assert upload(client, thread, "a.pdf", PDF).status_code == 422


def test_a_sixth_file_is_refused(client: Client, db: Session, member: User, gp: Thread) -> None:
    sign_in(client, db, member)
    for i in range(5):
        data = PDF + str(i).encode()
        assert upload(client, gp, f"{i}.pdf", data).status_code == 303
    response = upload(client, gp, "6.pdf", PDF + b"6")
    assert response.status_code == 422
    assert "at most 5" in response.text
    assert len(db.scalars(select(ThreadAttachment)).all()) == 5
    assert 'type="file"' not in client.get(f"/threads/{gp.id}").text


def test_uploading_needs_the_csrf_token(
    client: Client, db: Session, member: User, gp: Thread
) -> None:
    sign_in(client, db, member)
    client.get("/privacy")
    response = client.post(
        f"/threads/{gp.id}/attachments", files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert response.status_code == 403
    assert db.scalars(select(ThreadAttachment)).all() == []
