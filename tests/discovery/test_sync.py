"""The outbox keeps the real embedded index in step with the database, and only what a
viewer may see reaches them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import People, Threads
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory
from forum.core.jobs import live_leases
from forum.core.outbox import SearchOutbox, queue_document
from forum.discovery import service as search_service
from forum.discovery.drainer import Drainer
from forum.discovery.sync import (
    REBUILD_LEASE,
    close_search_engines,
    drain_lock,
    drain_outbox,
    reindex,
    search_engine,
    search_status,
)
from forum.discussions import moderation
from forum.discussions import writes as discussion_writes
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Category, Thread
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.taxonomy.service import resolve_sectors, seed_sectors
from search.embedded import EmbeddedEngine
from search.engine import SearchDoc, SearchEngine, SearchError

Sync = Callable[[], None]


def found(
    db: Session, settings: Settings, viewer: User | None, q: str, **filters: Sequence[str]
) -> list[str]:
    params = search_service.build_params(q=q, **filters)  # type: ignore[arg-type]
    outcome = search_service.search(db, settings, viewer, params)
    return [hit.id for hit in outcome.results.hits]


def outbox_rows(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(SearchOutbox)) or 0


def add_item(
    db: Session,
    author: User,
    title: str,
    *,
    countries: Sequence[str] = ("JP",),
    sectors: Sequence[str] = ("food",),
    status: str = "published",
) -> IntelItem:
    data = intel_writes.ItemInput(
        title=title, countries=list(countries), sectors=resolve_sectors(db, list(sectors))
    )
    return intel_writes.create_item(db, author, data, status=status)


def test_a_new_thread_is_searchable_once_the_outbox_is_drained(
    db: Session, settings: Settings, threads: Threads, member: User, sync_index: Sync
) -> None:
    thread = threads.start(member, title="Halal certification for cosmetics exporters")
    assert outbox_rows(db) > 0
    search_engine(settings).ensure_index()
    assert found(db, settings, None, "halal") == []  # written, not yet drained
    sync_index()
    assert found(db, settings, None, "halal certification") == [f"thread:{thread.id}"]
    assert outbox_rows(db) == 0


def test_a_rolled_back_write_leaves_no_outbox_row(
    db: Session, threads: Threads, member: User, categories: dict[str, Category]
) -> None:
    db.commit()
    before = outbox_rows(db)
    nested = db.begin_nested()
    threads.start(member, title="Never committed")
    assert outbox_rows(db) > before
    nested.rollback()
    assert outbox_rows(db) == before


def test_country_names_in_other_languages_find_the_tagged_content(
    db: Session, settings: Settings, sectors: None, member: User, sync_index: Sync
) -> None:
    item = add_item(db, member, "Cosmetics distributors in the Maghreb", countries=["MA"])
    sync_index()
    for word in ("Morocco", "Maroc", "Marokko", "Marocco", "Marruecos"):
        assert found(db, settings, None, word) == [f"intel:{item.id}"], word


def test_members_only_categories_are_found_by_members_and_never_by_visitors(
    db: Session,
    settings: Settings,
    threads: Threads,
    member: User,
    members_only: Category,
    sync_index: Sync,
) -> None:
    private = threads.start(member, title="Quarterly staff budget", category=members_only)
    reply = threads.reply(member, private, body="The staff budget is tight this quarter.")
    sync_index()
    assert found(db, settings, None, "staff budget") == []
    assert set(found(db, settings, member, "staff budget")) == {
        f"thread:{private.id}",
        f"post:{reply.id}",
    }


def test_hidden_replies_are_found_by_moderators_only_and_deleted_ones_by_nobody(
    db: Session,
    settings: Settings,
    threads: Threads,
    member: User,
    other_member: User,
    moderator: User,
    sync_index: Sync,
) -> None:
    thread = threads.start(member, title="Trade fair in Osaka")
    hidden = threads.reply(other_member, thread, body="Buy cheap watches zzquux.")
    deleted = threads.reply(other_member, thread, body="A typo-laden draft wombatish.")
    sync_index()
    assert found(db, settings, member, "zzquux") == [f"post:{hidden.id}"]
    moderation.hide_post(db, moderator, hidden, reason="spam")
    discussion_writes.delete_post(db, other_member, deleted)
    sync_index()
    assert found(db, settings, member, "zzquux") == []
    assert found(db, settings, None, "zzquux") == []
    assert found(db, settings, moderator, "zzquux") == [f"post:{hidden.id}"]
    assert found(db, settings, moderator, "wombatish") == []


def test_drafts_and_withdrawn_items_never_reach_the_index(
    db: Session,
    settings: Settings,
    sectors: None,
    member: User,
    moderator: User,
    sync_index: Sync,
) -> None:
    draft = add_item(db, member, "Unpublished ocelot study", status="draft")
    public = add_item(db, member, "Published ocelot market study")
    sync_index()
    assert found(db, settings, moderator, "ocelot") == [f"intel:{public.id}"]
    intel_writes.set_status(db, moderator, public, "withdrawn", reason="Outdated")
    sync_index()
    assert found(db, settings, moderator, "ocelot") == []
    assert search_engine(settings).stats()["documents"] == 0
    assert draft.status == "draft"


def test_replies_carry_their_threads_tags_and_filters_apply(
    db: Session, settings: Settings, threads: Threads, member: User, sync_index: Sync
) -> None:
    jp = threads.start(member, title="Seafood logistics", countries=["JP"], sectors=["food"])
    kr = threads.start(member, title="Seafood logistics too", countries=["KR"], sectors=["food"])
    reply = threads.reply(member, jp, body="Cold chain seafood partners.")
    sync_index()
    in_japan = found(db, settings, None, "seafood", countries=["JP"])
    assert set(in_japan) == {f"thread:{jp.id}", f"post:{reply.id}"}
    assert set(found(db, settings, None, "seafood", countries=["g:asean", "KR"])) == {
        f"thread:{kr.id}"
    }
    assert found(db, settings, None, "seafood country:KR") == [f"thread:{kr.id}"]


class FailingEngine:
    """The real engine, made to fail its writes while `down` is set (a fault, not a fake)."""

    def __init__(self, real: SearchEngine) -> None:
        self.real = real
        self.down = True

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def upsert(self, docs: Sequence[SearchDoc]) -> None:
        if self.down:
            raise SearchError("search engine unreachable (injected)")
        self.real.upsert(docs)

    def delete(self, ids: Sequence[str]) -> None:
        if self.down:
            raise SearchError("search engine unreachable (injected)")
        self.real.delete(ids)


def test_an_engine_that_is_down_delays_search_but_never_a_write(
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    threads: Threads,
    member: User,
) -> None:
    real = search_engine(settings)
    real.ensure_index()
    failing = FailingEngine(real)
    written = [threads.start(member, title=f"Resilient lynxword {n}") for n in range(5)]
    db.commit()  # the writes succeed while the engine is down
    for _ in range(3):
        with pytest.raises(SearchError):
            drain_outbox(session_factory, failing, settings)  # type: ignore[arg-type]
    pending = outbox_rows(db)
    assert pending >= len(written)
    assert search_status(db, settings)["outbox_depth"] == pending
    failing.down = False
    drain_outbox(session_factory, failing, settings)  # type: ignore[arg-type]
    assert outbox_rows(db) == 0
    assert sorted(found(db, settings, None, "lynxword")) == sorted(
        f"thread:{t.id}" for t in written
    )


def test_rows_naming_no_document_are_dropped_and_do_not_block_the_rest(
    db: Session, settings: Settings, threads: Threads, member: User, sync_index: Sync
) -> None:
    queue_document(db, "bogus:1")
    queue_document(db, "thread:999999")  # deleted since: leaves the index
    thread = threads.start(member, title="After the bogus row")
    sync_index()
    assert outbox_rows(db) == 0
    assert found(db, settings, None, "bogus row") == [f"thread:{thread.id}"]


def test_a_second_drainer_skips_while_the_lock_is_held(
    db: Session, settings: Settings, session_factory: sessionmaker[Session], threads: Threads,
    member: User,
) -> None:  # fmt: skip
    threads.start(member, title="Locked out")
    db.commit()
    engine = search_engine(settings)
    engine.ensure_index()
    holder_ready, release = threading.Event(), threading.Event()

    def hold() -> None:
        with drain_lock(session_factory, settings, wait=True):
            holder_ready.set()
            release.wait(10)

    if session_factory.kw["bind"].dialect.name == "postgresql":
        pytest.skip("the advisory lock is re-entrant on the test's single connection")
    thread = threading.Thread(target=hold)
    thread.start()
    assert holder_ready.wait(10)
    try:
        result = drain_outbox(session_factory, engine, settings)
        assert result.skipped_locked and outbox_rows(db) > 0
    finally:
        release.set()
        thread.join()
    assert drain_outbox(session_factory, engine, settings).rows > 0


@dataclass
class Scratch:
    """A committed database of the test's own: real connections that interleave, as the
    reindex, the writers and the drainer's thread do in production."""

    factory: sessionmaker[Session]
    settings: Settings
    author_id: int

    def start_thread(self, title: str) -> int:
        with self.factory() as session:
            author = session.get(User, self.author_id)
            assert author is not None
            threads = Threads(session, {c.slug: c for c in session.scalars(select(Category))})
            thread_id = threads.start(author, title=title).id
            session.commit()
        return thread_id


@pytest.fixture
def scratch(scratch_url: str, tmp_path: Path, password_hash: str) -> Iterator[Scratch]:
    engine_db = make_engine(scratch_url)
    factory = make_session_factory(engine_db)
    settings = Settings(data_dir=tmp_path / "data", database_url=scratch_url, secret_key="k")
    with factory() as setup:
        seed_sectors(setup)
        seed_categories(setup)
        setup.flush()
        author_id = People(setup, password_hash).make().id
        setup.commit()
    try:
        yield Scratch(factory, settings, author_id)
    finally:
        close_search_engines()
        engine_db.dispose()


def test_reindex_replays_changes_made_while_it_read_the_database(scratch: Scratch) -> None:
    factory, settings = scratch.factory, scratch.settings
    first_id = scratch.start_thread("Original walrus title")
    for n in range(4):
        scratch.start_thread(f"Filler thread {n}")
    engine = search_engine(settings)
    drain_outbox(factory, engine, settings)
    changed = threading.Event()

    def change_midway(done: int) -> None:
        # The snapshot has read the threads already; a change now must not be lost.
        if changed.is_set() or done < 5:
            return
        changed.set()
        with factory() as other:
            assert REBUILD_LEASE in [lease.name for lease in live_leases(other)]
            thread = other.get(Thread, first_id)
            assert thread is not None
            thread.title = "Renamed narwhal title"
            queue_document(other, f"thread:{first_id}")
            other.commit()
        # The live drainer applies it to the old index and keeps the row for the replay.
        assert drain_outbox(factory, engine, settings).rows == 1
        with factory() as other:
            assert outbox_rows(other) == 1

    result = reindex(factory, engine, settings, on_progress=change_midway, batch=2)
    assert changed.is_set()
    assert result.replayed >= 1
    with factory() as db:
        assert found(db, settings, None, "narwhal") == [f"thread:{first_id}"]
        assert found(db, settings, None, "walrus") == []
        assert outbox_rows(db) == 0
        assert REBUILD_LEASE not in [lease.name for lease in live_leases(db)]


def test_the_reindex_progress_never_passes_its_total_and_ends_full(scratch: Scratch) -> None:
    """Threads started and deleted while the reindex reads: the bar's total is the rows
    it looks at, never less than the progress, and equal to it at the end."""
    ids = [scratch.start_thread(f"Progress tapir {n}") for n in range(6)]
    totals: list[int] = []
    progress: list[tuple[int, int]] = []
    added: list[int] = []

    def on_progress(done: int) -> None:
        progress.append((done, totals[-1]))
        if len(progress) == 1:
            # Rows after the count: three new threads, one of the counted ones gone.
            added.extend(scratch.start_thread(f"Late okapi {n}") for n in range(3))
            with scratch.factory() as other:
                gone = other.get(Thread, ids[-1])
                assert gone is not None
                other.delete(gone)
                other.commit()

    engine = search_engine(scratch.settings)
    result = reindex(
        scratch.factory, engine, scratch.settings, on_total=totals.append,
        on_progress=on_progress, batch=2,
    )  # fmt: skip
    assert all(done <= total for done, total in progress)
    last_done = progress[-1][0]
    assert totals[-1] == last_done  # the bar ends at 100 %, not past it nor short of it
    # Every row looked at was either sent or had no document (the deleted thread).
    assert result.documents <= last_done
    with scratch.factory() as db:
        # The late threads came through the replay, not the walk.
        assert sorted(found(db, scratch.settings, None, "okapi")) == sorted(
            f"thread:{n}" for n in added
        )


def test_the_drainer_thread_makes_a_commit_searchable_without_a_poll_interval(
    scratch: Scratch,
) -> None:
    drainer = Drainer(scratch.settings, scratch.factory)
    drainer.start_thread()
    try:
        thread_id = scratch.start_thread("Live capybara update")
        seen: list[str] = []
        for _ in range(500):  # bounded: 10 s at most
            with scratch.factory() as db:
                seen = found(db, scratch.settings, None, "capybara")
            if seen:
                break
            threading.Event().wait(0.02)
        assert seen == [f"thread:{thread_id}"]
    finally:
        drainer.stop()


def test_renaming_a_sector_requeues_everything_tagged_with_it(
    db: Session,
    settings: Settings,
    threads: Threads,
    member: User,
    admin: User,
    sync_index: Sync,
) -> None:
    from forum.admin.sectors import rename_sector
    from forum.core.jobs import Job
    from forum.discovery.jobs import requeue_sector_documents
    from forum.taxonomy.service import get_sector

    thread = threads.start(member, title="Supply chains", sectors=["food"])
    reply = threads.reply(member, thread, body="Shelf life matters.")
    item = add_item(db, member, "Distributors report", sectors=["food"])
    other = add_item(db, member, "Textile fairs", sectors=["textile"])
    sync_index()
    food = get_sector(db, "food")
    assert food is not None
    rename_sector(db, admin, food, name="Agrifood gastronomy")
    [job] = db.scalars(select(Job).where(Job.kind == "search-requeue-sector"))
    requeue_sector_documents(db, job.payload, None)  # type: ignore[arg-type]
    queued = set(db.scalars(select(SearchOutbox.doc_id)))
    assert {f"thread:{thread.id}", f"post:{reply.id}", f"intel:{item.id}"} <= queued
    assert f"intel:{other.id}" not in queued
    sync_index()
    assert {f"thread:{thread.id}", f"post:{reply.id}", f"intel:{item.id}"} <= set(
        found(db, settings, None, "gastronomy")
    )


def test_a_drainer_that_loses_the_loops_lets_go_of_the_writer_lock(scratch: Scratch) -> None:
    allowed = threading.Event()
    allowed.set()
    drainer = Drainer(scratch.settings, scratch.factory, may_run=allowed.is_set)
    drainer.start_thread()
    try:
        scratch.start_thread("First write by the web process")
        for _ in range(500):  # bounded: 10 s at most
            with scratch.factory() as db:
                if found(db, scratch.settings, None, "first write"):
                    break
            threading.Event().wait(0.02)
        other = EmbeddedEngine(scratch.settings.search_dir)
        with pytest.raises(SearchError, match="only one process may write"):
            other._get_writer()
        allowed.clear()  # a `forum worker` started: it drains from now on
        try:
            for _ in range(500):
                try:
                    other._get_writer()
                    break
                except SearchError:
                    threading.Event().wait(0.02)
            else:
                pytest.fail("the writer lock was never released")
        finally:
            other.close()
    finally:
        drainer.stop()


def test_the_health_check_asks_meilisearch_only_for_its_health(db: Session, tmp_path: Path) -> None:
    """/healthz's search part is one GET /health (no key, no index listed); the deep
    status (`forum search status`) reads the index's stats."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(data_dir=tmp_path, meili_url=f"http://127.0.0.1:{port}", secret_key="k")
    cheap = search_status(db, settings, deep=False)
    assert cheap["ok"] is False and "(health)" in cheap["error"] and "documents" not in cheap
    deep = search_status(db, settings)
    assert deep["ok"] is False and "(stats)" in deep["error"]
