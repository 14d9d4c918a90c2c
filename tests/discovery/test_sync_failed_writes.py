"""Writes an engine accepted and later failed (Meilisearch tasks) come back through the
outbox: the drainer asks `check_writes()` on each pass and queues those documents again.

The engine is the real embedded one, wrapped to report a failure the way MeiliEngine's
`check_writes()` does after a failed task (a fault wrapper, not a fake engine)."""

from __future__ import annotations

from collections.abc import Sequence

from conftest import Threads
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.outbox import SearchOutbox
from forum.discovery.sync import drain_outbox, search_engine
from search.engine import SearchDoc, SearchEngine, SearchQuery


class LateFailures:
    """The real engine; documents named in `fail_later` are written, then reported by
    check_writes() as failed, once, as a failed Meilisearch task would be."""

    def __init__(self, real: SearchEngine) -> None:
        self.real = real
        self.fail_later: set[str] = set()
        self.failed: list[str] = []  # written and failed, not yet reported
        self.reported: list[str] = []
        self.checks = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        self.failed.extend(doc.id for doc in docs if doc.id in self.fail_later)
        self.fail_later -= set(self.failed)
        self.real.upsert([doc for doc in docs if doc.id not in self.failed])

    def check_writes(self) -> list[str]:
        self.checks += 1
        failed, self.failed = self.failed, []
        self.reported.extend(failed)
        return failed


def pending(db: Session) -> list[str]:
    return list(db.scalars(select(SearchOutbox.doc_id).where(SearchOutbox.applied_at.is_(None))))


def test_a_write_that_failed_later_is_queued_again_and_applied(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    threads: Threads,
    member: User,
) -> None:
    engine = LateFailures(search_engine(settings))
    engine.ensure_index()
    thread = threads.start(member, title="Quokka export rules")
    doc_id = f"thread:{thread.id}"
    db.commit()
    engine.fail_later.add(doc_id)
    drain_outbox(session_factory, engine, settings)  # type: ignore[arg-type]
    db.rollback()
    # Accepted, so its row is gone; nothing searchable: the write "failed" in its task.
    assert doc_id not in pending(db)
    assert engine.search(SearchQuery(text="quokka")).total == 0
    # The next pass learns it first thing and queues the document again...
    drain_outbox(session_factory, engine, settings)  # type: ignore[arg-type]
    assert engine.reported == [doc_id] and engine.checks == 2
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    # ... and applies it in that same pass.
    assert [hit.id for hit in engine.search(SearchQuery(text="quokka")).hits] == [doc_id]
