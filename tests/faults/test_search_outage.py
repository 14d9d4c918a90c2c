"""Fault injection: the search engine fails for a while as members keep writing.

The real embedded engine is wrapped so its writes raise SearchError while `down` is set
(the outage), and the real outbox drainer runs in its thread, as in `forum serve`.
Writes of every kind go on through the services meanwhile: new threads and replies, an
edit, a deleted reply, a retitled thread, intelligence items published and withdrawn.
None may fail. Once the engine is back the drainer catches up (a bounded wait, polling),
and then the index holds exactly the documents the database says it should, field by
field: nothing missing, nothing extra, nothing stale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory
from forum.core.outbox import SearchOutbox, queue_document
from forum.discovery import sync
from forum.discovery.documents import iter_all_documents
from forum.discovery.drainer import Drainer
from forum.discussions import writes as discussion_writes
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Category, Post, Thread
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.taxonomy.service import resolve_sectors, seed_sectors
from search.engine import SearchDoc, SearchEngine, SearchError, SearchQuery
from tests.conftest import People, Threads

pytestmark = pytest.mark.slow

CATCH_UP_SECONDS = 60.0  # the drainer backs off up to 30 s between tries; bounded wait


class OutageEngine:
    """The real engine; while `down` is set every write fails as an unreachable server
    would, and each refused call is counted (a fault wrapper, not a fake)."""

    def __init__(self, real: SearchEngine) -> None:
        self.real = real
        self.down = threading.Event()
        self.refused = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def _check(self) -> None:
        if self.down.is_set():
            self.refused += 1
            raise SearchError("search engine unreachable (injected outage)")

    def ensure_index(self) -> None:
        self._check()
        self.real.ensure_index()

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        self._check()
        self.real.upsert(docs)

    def delete(self, ids: Sequence[str]) -> None:
        self._check()
        self.real.delete(ids)


@pytest.fixture
def factory(scratch_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(scratch_url)
    yield make_session_factory(engine)
    engine.dispose()


def outbox_depth(factory: sessionmaker[Session]) -> int:
    with factory() as db:
        return db.scalar(select(func.count()).select_from(SearchOutbox)) or 0


def indexed(engine: SearchEngine) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """Every document in the index, whoever may see it: id -> (title, url, countries)."""
    everything: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
    page = 1
    while True:
        results = engine.search(
            SearchQuery(visibilities=("public", "members", "hidden"), page=page, per_page=200)
        )
        for hit in results.hits:
            everything[hit.id] = (hit.title, hit.url, tuple(sorted(hit.countries)))
        if page * 200 >= results.total:
            return everything
        page += 1


def expected(factory: sessionmaker[Session]) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    with factory() as db:
        return {
            doc.id: (doc.title, doc.url, tuple(sorted(doc.countries)))
            for _, docs in iter_all_documents(db)
            for doc in docs
        }


def test_writes_never_fail_while_the_engine_is_down_and_the_index_catches_up_exactly(
    factory: sessionmaker[Session],
    scratch_url: str,
    tmp_path: Path,
    password_hash: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=scratch_url, secret_key="k" * 32)
    with factory() as setup:
        seed_sectors(setup)
        seed_categories(setup)
        setup.flush()
        people = People(setup, password_hash)
        # Moderators skip the new-account posting limits: this test writes a lot at once.
        author_id = people.make(role="moderator", name="Mia Moderator").id
        setup.commit()

    outage = OutageEngine(sync.search_engine(settings))
    monkeypatch.setattr(sync, "search_engine", lambda _settings: outage)
    drainer = Drainer(settings, factory)
    drainer.start_thread()
    failed_writes: list[str] = []

    def write(label: str, action: object) -> int | None:
        """Run `action(db, author)` in a transaction of its own; the id of what it made."""
        with factory() as db:
            author = db.get(User, author_id)
            assert author is not None
            try:
                made = action(db, author)  # type: ignore[operator]
                db.commit()
            except Exception as exc:  # a failed write is what this test counts
                db.rollback()
                failed_writes.append(f"{label}: {exc!r}")
                return None
            return getattr(made, "id", None)

    def threads_in(db: Session) -> Threads:
        return Threads(db, {c.slug: c for c in db.scalars(select(Category))})

    def item(title: str, status: str = "published") -> object:
        def create(db: Session, author: User) -> IntelItem:
            data = intel_writes.ItemInput(
                title=title, countries=["JP", "KR"], sectors=resolve_sectors(db, ["food"])
            )
            return intel_writes.create_item(db, author, data, status=status)

        return create

    try:
        # Before the outage: a thread and an item reach the index as usual.
        write("thread before", lambda db, a: threads_in(db).start(a, title="Pre-outage pelican"))
        write("item before", item("Pre-outage heron report"))
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while outbox_depth(factory) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outbox_depth(factory) == 0

        outage.down.set()
        for n in range(12):
            write(
                f"thread {n}",
                lambda db, a, n=n: threads_in(db).start(
                    a, title=f"Outage thread {n}", countries=("JP",) if n % 2 else ("DE",)
                ),
            )
        with factory() as db:
            thread_ids = list(db.scalars(select(Thread.id).order_by(Thread.id)))
        replies = [
            write(
                f"reply {n}",
                lambda db, a, t=thread_id, n=n: discussion_writes.reply(
                    db, a, db.get(Thread, t), body=f"Outage reply {n}"
                ),
            )
            for n, thread_id in enumerate(thread_ids[-6:])
        ]
        write(
            "edit",
            lambda db, a: discussion_writes.edit_post(
                db, a, db.get(Post, replies[0]), body="Edited while the engine was down"
            ),
        )
        write(
            "delete", lambda db, a: discussion_writes.delete_post(db, a, db.get(Post, replies[1]))
        )

        def retitle(db: Session, author: User) -> None:
            thread = db.get(Thread, thread_ids[0])
            assert thread is not None
            thread.title = "Pre-outage pelican, renamed during the outage"
            queue_document(db, f"thread:{thread.id}")

        write("retitle", retitle)
        for n in range(4):
            write(f"item {n}", item(f"Outage intelligence {n}"))

        def withdraw(db: Session, author: User) -> None:
            first = db.scalars(select(IntelItem).order_by(IntelItem.id)).first()
            assert first is not None
            intel_writes.set_status(db, author, first, "withdrawn", reason="Duplicate (fault test)")

        write("withdraw", withdraw)
        write("draft", item("Outage draft never indexed", status="draft"))

        assert failed_writes == [], "a write failed because search was down"
        # The drainer really tried, and failed, during the outage.
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while outage.refused == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outage.refused > 0
        assert drainer.last_error is not None and "injected outage" in drainer.last_error
        pending = outbox_depth(factory)
        assert pending > 0, "the changes wait in the outbox"

        outage.down.clear()
        # Members go on writing: the next commit wakes the drainer out of its backoff
        # (without one it would retry within RETRY_MAX_SECONDS).
        write("thread after", lambda db, a: threads_in(db).start(a, title="Post-outage ibis"))
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while outbox_depth(factory) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outbox_depth(factory) == 0, f"not caught up within {CATCH_UP_SECONDS} s"
    finally:
        drainer.stop()
        sync.close_search_engines()

    print(
        f"\nsearch outage: {outage.refused} engine calls refused, {pending} outbox rows "
        "waited, 0 writes failed"
    )
    want = expected(factory)
    have = indexed(outage.real)
    assert "post:" + str(replies[1]) not in want, "the deleted reply is no document"
    assert sorted(set(want) - set(have)) == [], "missing from the index"
    assert sorted(set(have) - set(want)) == [], "in the index but not in the database"
    stale = {
        doc_id: (have[doc_id], want[doc_id]) for doc_id in want if have[doc_id] != want[doc_id]
    }
    assert stale == {}, "stale documents"
    assert have[f"thread:{thread_ids[0]}"][0].endswith("renamed during the outage")
    # 14 threads, 6 replies less the deleted one, 5 published items less the withdrawn one
    assert len(want) == 14 + 5 + 4
