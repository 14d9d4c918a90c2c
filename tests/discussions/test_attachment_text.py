"""The text of a good practice's files is extracted by the worker and found by search
(issue 16): the real extractor, the real job runner, the real embedded engine."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core import uploads
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, utcnow
from forum.discovery import service as search_service
from forum.discovery.documents import iter_all_documents
from forum.discovery.sync import close_search_engines, drain_outbox, search_engine
from forum.discussions import attachments
from forum.discussions.models import Category, Thread, ThreadAttachment
from forum.migrate import alembic_config
from tests.conftest import TEST_SECRET, Client, sign_in, start_good_practice
from tests.intelligence.test_attachments import run_worker_jobs
from tests.intelligence.test_extract import text_pdf

SENTENCE = "Algae photobioreactors halved the cooling costs"
WORD = "photobioreactors"  # in the PDF only: not in the thread's title, fields or tags
PDF = text_pdf(SENTENCE)
BROKEN_PDF = b"%PDF-1.4\nnot really a PDF\n"


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Each test's engine is closed after it (the embedded writer holds a lock)."""
    yield
    close_search_engines()


@pytest.fixture
def gp(db: Session, member: User, categories: dict[str, Category]) -> Thread:
    return start_good_practice(db, member, categories["good-practices"])


def upload(client: Client, thread: Thread, name: str, data: bytes) -> Any:
    return client.post(
        f"/threads/{thread.id}/attachments",
        data={"csrf_token": client.csrf_token()},
        files={"file": (name, data, "application/octet-stream")},
    )


def rows(db: Session) -> list[ThreadAttachment]:
    db.expire_all()
    return list(db.scalars(select(ThreadAttachment).order_by(ThreadAttachment.id)))


def drain(db: Session, settings: Settings, factory: sessionmaker[Session]) -> None:
    """Drain the search outbox into the real embedded engine, as the worker does."""
    db.commit()
    engine = search_engine(settings)
    engine.ensure_index()
    drain_outbox(factory, engine, settings)


def found(db: Session, settings: Settings, viewer: User | None, q: str) -> list[str]:
    outcome = search_service.search(db, settings, viewer, search_service.build_params(q=q))
    return [hit.id for hit in outcome.results.hits]


def test_a_word_only_in_a_good_practice_s_pdf_finds_the_good_practice_once_extracted(
    client: Client,
    db: Session,
    member: User,
    gp: Thread,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, db, member)
    assert upload(client, gp, "Cooling pilot 2025.pdf", PDF).status_code == 303
    drain(db, settings, session_factory)
    assert found(db, settings, None, WORD) == []  # stored, not yet read

    kinds = run_worker_jobs(settings, session_factory)
    assert len(kinds) == 1

    (attachment,) = rows(db)
    assert attachment.extraction_status == "done"
    drain(db, settings, session_factory)
    assert found(db, settings, None, WORD) == [f"thread:{gp.id}"]
    assert found(db, settings, member, f"{WORD} cooling") == [f"thread:{gp.id}"]
    # The API answers the same.
    hits = client.get("/api/v1/search", params={"q": WORD}).json()["hits"]
    assert [hit["id"] for hit in hits] == [f"thread:{gp.id}"]
    # A reindex rebuilds the document from the database with the file's text in it.
    documents = [doc for _, batch in iter_all_documents(db) for doc in batch]
    (document,) = [doc for doc in documents if doc.id == f"thread:{gp.id}"]
    assert SENTENCE in document.body and "Cooling pilot 2025.pdf" in document.body


def test_the_thread_page_tells_the_author_when_a_file_s_text_could_not_be_extracted(
    client: Client,
    db: Session,
    member: User,
    gp: Thread,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, db, member)
    assert upload(client, gp, "pilot.pdf", PDF).status_code == 303
    assert upload(client, gp, "broken.pdf", BROKEN_PDF).status_code == 303
    assert "Text being extracted" in client.get(f"/threads/{gp.id}").text

    run_worker_jobs(settings, session_factory)  # never raises for a bad file

    page = client.get(f"/threads/{gp.id}").text
    assert "Text extracted" in page and SENTENCE in page
    assert "Not searchable" in page
    assert (
        "Text could not be extracted: the file is damaged or not in the format its content"
        " suggests" in page
    )
    # Visitors get the files, not their extraction status or text.
    client.cookies.clear()
    page = client.get(f"/threads/{gp.id}").text
    assert "broken.pdf" in page and "pilot.pdf" in page
    assert "Text could not be extracted" not in page and SENTENCE not in page


def test_removing_a_file_takes_its_text_out_of_the_index(
    client: Client,
    db: Session,
    member: User,
    gp: Thread,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, db, member)
    upload(client, gp, "pilot.pdf", PDF)
    run_worker_jobs(settings, session_factory)
    drain(db, settings, session_factory)
    assert found(db, settings, None, WORD) == [f"thread:{gp.id}"]
    (attachment,) = rows(db)
    path = settings.uploads_dir / attachment.storage_name

    response = client.post_form(f"/attachments/{attachment.id}/delete", {})
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert rows(db) == [] and not path.exists()
    drain(db, settings, session_factory)
    assert found(db, settings, None, WORD) == []
    # The good practice itself stays findable by its own words.
    assert found(db, settings, None, "Osaka") == [f"thread:{gp.id}"]


# The revision that brought extraction to good practices (tests/test_migrations.py runs
# every revision; this one also queues the files uploaded before it).
REVISION = "0012"


def test_files_uploaded_before_extraction_existed_are_extracted_after_the_migration(
    scratch_url: str, tmp_path: Path
) -> None:
    config = alembic_config(scratch_url)
    before = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
    assert isinstance(before, str)
    command.downgrade(config, before)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=scratch_url,
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        embedded_worker=False,
    )
    temp = uploads.receive(io.BytesIO(PDF), settings.uploads_dir, settings.upload_max_bytes)
    stored = uploads.store(settings.uploads_dir, temp, "old.pdf")
    engine = make_engine(scratch_url)
    try:
        with engine.begin() as conn:
            now = utcnow()
            category = conn.execute(
                text(
                    "INSERT INTO category (slug, name, description, position, visibility)"
                    " VALUES ('gp', 'Good practices', '', 0, 'public') RETURNING id"
                )
            ).scalar_one()
            thread = conn.execute(
                text(
                    "INSERT INTO thread (category_id, kind, title, pinned, locked, created_at,"
                    " last_activity_at, reply_count, view_count) VALUES (:c, 'good_practice',"
                    " 'Cooling pilot', false, false, :now, :now, 0, 0) RETURNING id"
                ),
                {"c": category, "now": now.replace(tzinfo=None)},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO thread_attachment (thread_id, original_name, storage_name,"
                    " sha256, size, mime, created_at) VALUES (:t, 'old.pdf', :storage, :sha,"
                    " :size, 'application/pdf', :now)"
                ),
                {
                    "t": thread,
                    "storage": stored.storage_name,
                    "sha": stored.sha256,
                    "size": stored.size,
                    "now": now.replace(tzinfo=None),
                },
            )
        command.upgrade(config, "head")

        factory = make_session_factory(engine)
        with factory() as db:
            (attachment,) = db.scalars(select(ThreadAttachment)).all()
            assert attachment.extraction_status == "pending"
        assert run_worker_jobs(settings, factory) == [attachments.EXTRACT_JOB]
        with factory() as db:
            (attachment,) = db.scalars(select(ThreadAttachment)).all()
            assert attachment.extraction_status == "done"
            assert attachment.extracted_text and SENTENCE in attachment.extracted_text
        search = search_engine(settings)
        search.ensure_index()
        drain_outbox(factory, search, settings)
        with make_session_factory(engine, writer=False)() as db:
            assert found(db, settings, None, WORD) == [f"thread:{thread}"]
    finally:
        close_search_engines()
        engine.dispose()
