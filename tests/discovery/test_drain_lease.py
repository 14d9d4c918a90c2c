"""With the embedded index, one drainer at a time holds the `search-drain` lease: the others
skip, take over when it lapses or is released, and a holder that loses it lets go of the
index's writer. Meilisearch drainers need no lease."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, utcnow
from forum.core.jobs import WorkerLease
from forum.core.outbox import SearchOutbox, queue_document
from forum.discovery.drainer import DRAIN_LEASE, Drainer
from forum.discovery.sync import close_search_engines, drain_outbox, search_engine
from search.embedded import EmbeddedEngine
from search.engine import SearchError


@dataclass
class Scene:
    factory: sessionmaker[Session]
    settings: Settings

    def queue(self, count: int = 1) -> None:
        """Outbox rows naming documents that do not exist: each drains as a delete."""
        with self.factory() as db:
            for n in range(count):
                queue_document(db, f"thread:{900000 + n}", "delete")
            db.commit()

    def pending(self) -> int:
        with self.factory() as db:
            return db.scalar(select(func.count()).select_from(SearchOutbox)) or 0

    def holder(self) -> str | None:
        with self.factory() as db:
            lease = db.get(WorkerLease, DRAIN_LEASE)
            return lease.holder if lease is not None and lease.expires_at > utcnow() else None

    def lapse(self) -> None:
        """The holder stopped renewing a lease period ago (it died)."""
        with self.factory() as db:
            db.execute(
                update(WorkerLease)
                .where(WorkerLease.name == DRAIN_LEASE)
                .values(expires_at=utcnow() - dt.timedelta(seconds=1))
            )
            db.commit()


@pytest.fixture
def scene(scratch_url: str, tmp_path: Path) -> Iterator[Scene]:
    engine = make_engine(scratch_url)
    settings = Settings(
        data_dir=tmp_path / "data", database_url=scratch_url, secret_key="k", lease_seconds=1.5
    )
    try:
        yield Scene(make_session_factory(engine), settings)
    finally:
        close_search_engines()
        engine.dispose()


def test_one_drainer_holds_the_lease_and_the_other_takes_over_when_it_lapses(
    scene: Scene,
) -> None:
    first = Drainer(scene.settings, scene.factory, holder="first")
    second = Drainer(scene.settings, scene.factory, holder="second")
    scene.queue()
    assert first.run_once().rows == 1
    assert scene.holder() == "first"
    scene.queue()
    result = second.run_once()
    assert result.skipped_locked and not result.rows
    assert scene.pending() == 1, "left for the holder"
    scene.lapse()
    assert second.run_once().rows == 1
    assert scene.holder() == "second"
    assert not first.hold_lease(now=True), "the first one knows it lost the lease"
    assert not first.holds_lease


def test_a_drainer_that_stops_hands_the_lease_over_at_once(scene: Scene) -> None:
    first = Drainer(scene.settings, scene.factory, holder="first")
    second = Drainer(scene.settings, scene.factory, holder="second")
    scene.queue()
    first.run_once()
    first.stop()
    assert scene.holder() is None
    scene.queue()
    assert second.run_once().rows == 1


def test_a_holder_that_loses_the_lease_lets_go_of_the_index_writer(scene: Scene) -> None:
    holder = Drainer(scene.settings, scene.factory, holder="holder")
    holder.start_thread()
    other = EmbeddedEngine(scene.settings.search_dir)
    try:
        scene.queue()
        for _ in range(500):  # bounded: 10 s at most
            if scene.pending() == 0:
                break
            threading.Event().wait(0.02)
        assert scene.pending() == 0
        with pytest.raises(SearchError, match="only one process may write"):
            other._get_writer()
        scene.lapse()
        taker = Drainer(scene.settings, scene.factory, holder="taker")
        assert taker.hold_lease(now=True)
        for _ in range(500):  # the holder looks at its lease every third of 1.5 s
            try:
                other._get_writer()
                break
            except SearchError:
                threading.Event().wait(0.02)
        else:
            pytest.fail("the holder never let go of the writer")
        assert not holder.holds_lease
    finally:
        other.close()
        holder.stop()


def test_a_drain_stops_between_batches_when_the_lease_is_lost(scene: Scene) -> None:
    scene.queue(5)
    engine = search_engine(scene.settings)
    engine.ensure_index()
    answers = iter([True, True, False])
    result = drain_outbox(
        scene.factory, engine, scene.settings, batch=1, keep_going=lambda: next(answers)
    )
    assert result.rows == 2
    assert scene.pending() == 3


def test_meilisearch_drainers_need_no_lease(scene: Scene) -> None:
    settings = scene.settings.model_copy(update={"meili_url": "http://127.0.0.1:9"})
    drainer = Drainer(settings, scene.factory, holder="meili")
    assert drainer.hold_lease(now=True)
    assert scene.holder() is None, "no lease row written"
