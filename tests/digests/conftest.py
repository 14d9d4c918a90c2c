"""Digests with saved searches ask the real embedded engine, in each test's own data dir."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.discovery.sync import close_search_engines, drain_outbox, search_engine


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Each test's engine is closed after it (the embedded writer holds a lock)."""
    yield
    close_search_engines()


@pytest.fixture
def sync_index(
    session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> Callable[[], None]:
    """Call to make what the test wrote searchable: commit, then drain the outbox."""

    def run() -> None:
        db.commit()
        engine = search_engine(settings)
        engine.ensure_index()
        drain_outbox(session_factory, engine, settings)

    return run
