"""Files of intelligence items: upload, text extraction by the worker, refusals, downloads,
permissions, the multipart API and dedup by content (issue 6)."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core import attachments as shared
from forum.core import extract
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.jobs import Job, JobContext, claim_jobs, run_job
from forum.core.outbox import SearchOutbox
from forum.intelligence import attachments, writes
from forum.intelligence.models import IntelAttachment, IntelItem
from forum.runner import load_jobs
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, People, sign_in
from tests.intelligence.test_extract import make_pdf, text_pdf

SENTENCE = "Offshore wind clusters in Estonia expect growth"
PDF = text_pdf(SENTENCE)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# 30 MB of zeros in a ~30 KB "Word document".
BOMB = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": bytes(30 * 1024 * 1024)})


def make_item(db: Session, author: User, *, status: str = "published") -> IntelItem:
    item = writes.create_item(
        db,
        author,
        writes.ItemInput(
            title="Estonian offshore wind market study",
            kind="market_study",
            countries=["EE"],
            sectors=resolve_sectors(db, ["energy"]),
        ),
        status=status,
    )
    db.flush()
    return item


@pytest.fixture
def item(db: Session, sectors: None, member: User) -> IntelItem:
    return make_item(db, member)


def upload(client: Client, item_id: int, name: str, data: bytes) -> Any:
    return client.post(
        f"/intel/{item_id}/attachments",
        data={"csrf_token": client.csrf_token()},
        files={"file": (name, data, "application/octet-stream")},
    )


def api_upload(
    client: Client, item_id: int, name: str, data: bytes, headers: dict[str, str]
) -> Any:
    return client.post(
        f"/api/v1/intel/{item_id}/attachments",
        files={"file": (name, data, "application/pdf")},
        headers=headers,
    )


def bearer(db: Session, user: User) -> dict[str, str]:
    raw, _ = create_api_token(db, user, name="tests")
    db.flush()
    return {"Authorization": f"Bearer {raw}"}


def files_under(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return [Path(root) / f for root, _dirs, names in os.walk(folder) for f in names]


def rows(db: Session) -> list[IntelAttachment]:
    db.expire_all()
    return list(db.scalars(select(IntelAttachment).order_by(IntelAttachment.id)))


def queued_kinds(db: Session) -> list[str]:
    return list(db.scalars(select(Job.kind).where(Job.status == "queued").order_by(Job.id)))


def run_worker_jobs(settings: Settings, factory: sessionmaker[Session]) -> list[str]:
    """Claim every due job and run it, as `forum worker` does; answers their kinds."""
    ctx = JobContext(settings=settings, session_factory=factory, holder="test-worker")
    registry = load_jobs()
    with factory() as session:
        ids = claim_jobs(session, ctx.holder, limit=100)
        kinds = [session.get(Job, job_id).kind for job_id in ids]  # type: ignore[union-attr]
        session.commit()
    for job_id in ids:
        assert run_job(factory, job_id, ctx, registry), f"job {job_id} failed"
    return kinds


# --- the acceptance path: a PDF's sentence reaches the database and its uploader ---------------


def test_a_pdf_s_sentence_is_extracted_by_the_worker_and_shown_to_its_uploader(
    client: Client,
    db: Session,
    member: User,
    item: IntelItem,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, db, member)
    response = upload(client, item.id, "Estonia wind 2026.pdf", PDF)
    assert response.status_code == 303
    assert response.headers["location"] == f"/intel/{item.id}#attachments"
    (attachment,) = rows(db)
    assert attachment.extraction_status == "pending"
    assert attachment.mime == "application/pdf" and attachment.uploader_id == member.id
    assert (settings.uploads_dir / attachment.storage_name).read_bytes() == PDF
    assert queued_kinds(db) == [attachments.EXTRACT_JOB]
    assert "Text being extracted" in client.get(f"/intel/{item.id}").text

    assert run_worker_jobs(settings, session_factory) == [attachments.EXTRACT_JOB]

    (attachment,) = rows(db)
    assert attachment.extraction_status == "done"
    assert attachment.extracted_text is not None and SENTENCE in attachment.extracted_text
    assert attachment.extraction_error is None
    outbox = list(db.scalars(select(SearchOutbox.doc_id).order_by(SearchOutbox.id)))
    assert outbox[-1] == f"intel:{item.id}"
    page = client.get(f"/intel/{item.id}").text
    assert SENTENCE in page and "Text extracted" in page
    assert 'enctype="multipart/form-data"' in page and 'style="' not in page

    # A visitor gets the file but neither the status nor the upload form.
    client.cookies.clear()
    page = client.get(f"/intel/{item.id}").text
    assert "Estonia wind 2026.pdf" in page
    assert SENTENCE not in page and "Text extracted" not in page and 'type="file"' not in page


def test_a_pdf_without_text_and_a_damaged_pdf_are_explained_to_the_uploader(
    client: Client,
    db: Session,
    member: User,
    item: IntelItem,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, db, member)
    assert upload(client, item.id, "scan.pdf", make_pdf(b"")).status_code == 303
    assert upload(client, item.id, "broken.pdf", b"%PDF-1.4\nnot really a PDF\n").status_code == 303
    kinds = run_worker_jobs(settings, session_factory)  # never raises for a bad file
    assert kinds == [attachments.EXTRACT_JOB] * 2
    scan, broken = rows(db)
    assert (scan.extraction_status, scan.extracted_text) == ("empty", None)
    assert broken.extraction_status == "error" and broken.extraction_error == extract.DAMAGED
    page = client.get(f"/intel/{item.id}").text
    assert "No text found (scanned document?)" in page
    assert f"Text could not be extracted: {extract.DAMAGED}" in page


def test_the_job_is_idempotent_and_survives_a_missing_file(
    db: Session,
    member: User,
    item: IntelItem,
    settings: Settings,
    session_factory: sessionmaker[Session],
    client: Client,
) -> None:
    sign_in(client, db, member)
    upload(client, item.id, "a.pdf", PDF)
    (attachment,) = rows(db)
    (settings.uploads_dir / attachment.storage_name).unlink()
    run_worker_jobs(settings, session_factory)
    (attachment,) = rows(db)
    assert attachment.extraction_status == "error"
    assert attachment.extraction_error == shared.MISSING_FILE

    # Running it again changes nothing, and a removed attachment is simply skipped.
    ctx = JobContext(settings=settings, session_factory=session_factory, holder="again")
    attachments.extract_attachment_text(db, {"attachment_id": attachment.id}, ctx)
    attachments.extract_attachment_text(db, {"attachment_id": attachment.id + 999}, ctx)
    assert rows(db)[0].extraction_error == shared.MISSING_FILE


def test_an_image_is_kept_without_a_job(
    client: Client, db: Session, member: User, item: IntelItem
) -> None:
    sign_in(client, db, member)
    assert upload(client, item.id, "chart.png", PNG).status_code == 303
    (attachment,) = rows(db)
    assert (attachment.mime, attachment.extraction_status) == ("image/png", "empty")
    assert queued_kinds(db) == []
    assert shared.NO_TEXT_FROM_IMAGES in client.get(f"/intel/{item.id}").text


# --- refusals leave nothing behind --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [("report.pdf", ELF, 415), ("page.html", HTML, 415), ("study.docx", BOMB, 422)],
    ids=["renamed-executable", "html", "zip-bomb-as-docx"],
)
def test_dangerous_files_are_refused_and_leave_nothing(
    client: Client,
    db: Session,
    member: User,
    item: IntelItem,
    settings: Settings,
    name: str,
    data: bytes,
    status: int,
) -> None:
    sign_in(client, db, member)
    response = upload(client, item.id, name, data)
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    api = api_upload(client, item.id, name, data, bearer(db, member))
    assert api.status_code == status and api.json()["detail"]
    assert rows(db) == [] and queued_kinds(db) == []
    assert files_under(settings.uploads_dir) == []


def test_an_over_size_file_is_413_and_leaves_nothing(
    client: Client, db: Session, member: User, item: IntelItem, settings: Settings
) -> None:
    settings.upload_max_bytes = 1000
    sign_in(client, db, member)
    exact = PDF + b"%" * (1000 - len(PDF))
    over = exact + b"%"
    response = upload(client, item.id, "over.pdf", over)
    assert response.status_code == 413 and "up to 1000 bytes" in response.text
    # Far over: refused from the declared length, before the body is read.
    assert upload(client, item.id, "big.pdf", PDF + bytes(200 * 1024)).status_code == 413
    assert api_upload(client, item.id, "o.pdf", over, bearer(db, member)).status_code == 413
    assert rows(db) == [] and files_under(settings.uploads_dir) == []
    assert upload(client, item.id, "exact.pdf", exact).status_code == 303


def test_a_chunked_body_is_cut_off_at_the_cap(
    client: Client, db: Session, member: User, item: IntelItem, settings: Settings
) -> None:
    settings.upload_max_bytes = 1000
    boundary = "xyzzy"
    small_pdf = make_pdf(b"")
    assert len(small_pdf) < 1000  # the file itself would be accepted

    def body(padding_kb: int) -> Iterator[bytes]:
        # No Content-Length (a generator is sent chunked): only the running count can
        # refuse it. The padding field makes the body pass the cap, not the file.
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="padding"\r\n\r\n'.encode()
        for _ in range(padding_kb):
            yield b"x" * 1024
        yield (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        yield small_pdf
        yield f"\r\n--{boundary}--\r\n".encode()

    def send(padding_kb: int) -> Any:
        return client.post(
            f"/api/v1/intel/{item.id}/attachments",
            content=body(padding_kb),
            headers={
                **bearer(db, member),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )

    response = send(padding_kb=100)  # 100 KB: past upload_max_bytes + the 64 KB envelope
    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert rows(db) == [] and files_under(settings.uploads_dir) == []
    assert send(padding_kb=10).status_code == 201


# --- downloads ---------------------------------------------------------------------------------


def test_a_download_is_an_attachment_never_sniffed_or_shown_as_html(
    client: Client, db: Session, member: User, item: IntelItem
) -> None:
    sign_in(client, db, member)
    upload(client, item.id, "Étude été 2026.pdf", PDF)
    upload(client, item.id, "notes.txt", b"Plain notes about Tallinn.\n")
    pdf, txt = rows(db)
    client.cookies.clear()
    got = client.get(attachments.download_path(pdf))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "private"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote('Étude été 2026.pdf', safe='')}" in disposition
    text = client.get(attachments.download_path(txt))
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["content-disposition"].startswith("attachment;")


def test_a_draft_s_files_are_not_found_for_others(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    other_member: User,
    moderator: User,
) -> None:
    draft = make_item(db, member, status="draft")
    sign_in(client, db, member)
    assert upload(client, draft.id, "a.pdf", PDF).status_code == 303
    (attachment,) = rows(db)
    url = attachments.download_path(attachment)
    assert client.get(url).status_code == 200
    client.cookies.clear()
    assert client.get(url).status_code == 404
    sign_in(client, db, other_member)
    assert client.get(url).status_code == 404
    assert upload(client, draft.id, "b.pdf", PDF + b"b").status_code == 404
    sign_in(client, db, moderator)
    assert client.get(url).status_code == 200


# --- who may attach ------------------------------------------------------------------------------


def test_visitors_are_sent_to_log_in_and_the_api_answers_401(
    client: Client, item: IntelItem, settings: Settings
) -> None:
    response = upload(client, item.id, "a.pdf", PDF)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    response = api_upload(client, item.id, "a.pdf", PDF, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert files_under(settings.uploads_dir) == []


def test_another_member_is_refused_and_a_moderator_may_attach(
    client: Client,
    db: Session,
    item: IntelItem,
    other_member: User,
    moderator: User,
    settings: Settings,
) -> None:
    sign_in(client, db, other_member)
    assert upload(client, item.id, "a.pdf", PDF).status_code == 403
    assert api_upload(client, item.id, "a.pdf", PDF, bearer(db, other_member)).status_code == 403
    assert 'type="file"' not in client.get(f"/intel/{item.id}").text
    assert files_under(settings.uploads_dir) == []
    sign_in(client, db, moderator)
    assert upload(client, item.id, "a.pdf", PDF).status_code == 303
    page = client.get(f"/intel/{item.id}").text
    assert "Text being extracted" in page and 'type="file"' in page


def test_a_withdrawn_item_takes_no_files(
    client: Client, db: Session, member: User, moderator: User, item: IntelItem
) -> None:
    writes.set_status(db, moderator, item, "withdrawn", reason="Outdated")
    db.flush()
    sign_in(client, db, member)
    response = upload(client, item.id, "a.pdf", PDF)
    assert response.status_code == 403 and "withdrawn" in response.text
    sign_in(client, db, moderator)
    assert upload(client, item.id, "a.pdf", PDF).status_code == 403


def test_an_eleventh_file_is_refused(
    client: Client, db: Session, member: User, item: IntelItem
) -> None:
    sign_in(client, db, member)
    for i in range(attachments.MAX_PER_ITEM):
        assert upload(client, item.id, f"{i}.txt", f"Note {i}\n".encode()).status_code == 303
    response = upload(client, item.id, "11.txt", b"Note 11\n")
    assert response.status_code == 422 and "at most 10 files" in response.text
    assert len(rows(db)) == attachments.MAX_PER_ITEM
    page = client.get(f"/intel/{item.id}").text
    assert 'type="file"' not in page and "maximum of 10 files" in page


def test_uploading_through_the_page_needs_the_csrf_token(
    client: Client, db: Session, member: User, item: IntelItem
) -> None:
    sign_in(client, db, member)
    client.get("/privacy")
    response = client.post(
        f"/intel/{item.id}/attachments", files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert response.status_code == 403
    assert rows(db) == []


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_takes_a_multipart_upload_with_a_token_or_a_session(
    client: Client, db: Session, member: User, item: IntelItem, settings: Settings
) -> None:
    response = api_upload(client, item.id, "study.pdf", PDF, bearer(db, member))
    assert response.status_code == 201, response.text
    body = response.json()
    (attachment,) = rows(db)
    assert body["id"] == attachment.id and body["item_id"] == item.id
    assert body["name"] == "study.pdf" and body["mime"] == "application/pdf"
    assert body["extraction_status"] == "pending" and body["extraction_error"] is None
    assert body["size"] == len(PDF) and body["sha256"] == attachment.sha256
    assert body["url"] == settings.base_url + attachments.download_path(attachment)

    sign_in(client, db, member)
    data = PDF + b"%second"
    assert api_upload(client, item.id, "b.pdf", data, {}).status_code == 403  # no CSRF header
    response = api_upload(client, item.id, "b.pdf", data, {"X-CSRF-Token": client.csrf_token()})
    assert response.status_code == 201 and response.json()["name"] == "b.pdf"


def test_the_upload_is_declared_in_openapi_with_a_binary_file_field(client: Client) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/intel/{item_id}/attachments"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert schema["required"] == ["file"]
    field = schema["properties"]["file"]
    assert field["type"] == "string" and field["format"] == "binary"
    assert {"201", "401", "403", "404", "409", "413", "415", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"OAuth2PasswordBearer": []}]


def test_the_api_removes_a_file(
    client: Client,
    db: Session,
    member: User,
    other_member: User,
    item: IntelItem,
    settings: Settings,
) -> None:
    created = api_upload(client, item.id, "a.pdf", PDF, bearer(db, member)).json()
    url = f"/api/v1/intel/attachments/{created['id']}"
    assert client.delete(url, headers=bearer(db, other_member)).status_code == 403
    assert client.delete(url, headers=bearer(db, member)).status_code == 204
    assert rows(db) == [] and files_under(settings.uploads_dir) == []
    assert client.delete(url, headers=bearer(db, member)).status_code == 404


# --- dedup by content -----------------------------------------------------------------------------


def test_the_same_file_twice_on_one_item_is_refused_with_409(
    client: Client, db: Session, member: User, item: IntelItem, settings: Settings
) -> None:
    sign_in(client, db, member)
    assert upload(client, item.id, "first.pdf", PDF).status_code == 303
    response = upload(client, item.id, "again.pdf", PDF)
    assert response.status_code == 409
    assert "already attached to this item, as &#39;first.pdf&#39;" in response.text
    api = api_upload(client, item.id, "again.pdf", PDF, bearer(db, member))
    assert api.status_code == 409 and "first.pdf" in api.json()["detail"]
    assert [a.original_name for a in rows(db)] == ["first.pdf"]
    assert len(files_under(settings.uploads_dir)) == 1


def test_text_known_from_the_same_file_elsewhere_is_reused_without_a_job(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    item: IntelItem,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, db, member)
    upload(client, item.id, "study.pdf", PDF)
    run_worker_jobs(settings, session_factory)
    other = make_item(db, member)
    assert upload(client, other.id, "copy.pdf", PDF).status_code == 303
    first, copy = rows(db)
    assert copy.item_id == other.id and copy.storage_name == first.storage_name
    assert copy.extraction_status == "done" and copy.extracted_text == first.extracted_text
    assert queued_kinds(db) == []
    assert list(db.scalars(select(SearchOutbox.doc_id)))[-1] == f"intel:{other.id}"
    assert len(files_under(settings.uploads_dir)) == 1


def test_removing_a_file_keeps_content_another_attachment_uses(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    item: IntelItem,
    other_member: User,
    settings: Settings,
) -> None:
    other = make_item(db, member)
    sign_in(client, db, member)
    upload(client, item.id, "a.pdf", PDF)
    upload(client, other.id, "b.pdf", PDF)
    first, second = rows(db)
    sign_in(client, db, other_member)
    removal = client.post_form(f"/intel/attachments/{first.id}/delete", {})
    assert removal.status_code == 403  # type: ignore[attr-defined]
    sign_in(client, db, member)
    assert client.post_form(f"/intel/attachments/{first.id}/delete", {}).status_code == 303  # type: ignore[attr-defined]
    assert [a.id for a in rows(db)] == [second.id]
    assert len(files_under(settings.uploads_dir)) == 1  # b.pdf still needs it
    client.post_form(f"/intel/attachments/{second.id}/delete", {})
    assert rows(db) == [] and files_under(settings.uploads_dir) == []


def test_suspended_members_and_strangers_cannot_attach(
    db: Session, sectors: None, people: People, member: User, item: IntelItem
) -> None:
    stranger = people.make()
    assert attachments.can_attach(member, item)
    assert not attachments.can_attach(stranger, item)
    assert not attachments.can_attach(None, item)
    with pytest.raises(NotAllowed):
        attachments.require_can_attach(db, stranger, item)
    member.suspended_at = utcnow()
    assert not attachments.can_attach(member, item)
