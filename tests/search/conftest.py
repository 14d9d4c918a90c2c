"""Engines for the search tests: the embedded one always, Meilisearch when
FORUM_MEILI_URL names a running server (FORUM_MEILI_KEY its key), never a fake."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search.embedded import EmbeddedEngine
from search.engine import SearchEngine
from search.meili import MeiliEngine

MEILI_URL = os.environ.get("FORUM_MEILI_URL", "").strip()
MEILI_KEY = os.environ.get("FORUM_MEILI_KEY", "").strip() or None
ENGINES = [
    "embedded",
    pytest.param(
        "meilisearch",
        marks=pytest.mark.skipif(
            not MEILI_URL,
            reason="FORUM_MEILI_URL is not set: no Meilisearch server to run the contract "
            "against (none can be installed here; docs/search.md says how to run it)",
        ),
    ),
]

EngineFactory = Callable[[], SearchEngine]


def _make_engine(kind: str, tmp: Path, cleanup: list[SearchEngine]) -> SearchEngine:
    engine: SearchEngine
    if kind == "embedded":
        engine = EmbeddedEngine(tmp / f"search-{uuid.uuid4().hex[:8]}")
    else:
        # settle_writes: the suite reads each write at once; the forum's drainer does not
        # wait (it checks the tasks at its next pass).
        engine = MeiliEngine(
            MEILI_URL,
            MEILI_KEY,
            index_uid=f"forum_test_{uuid.uuid4().hex[:12]}",
            settle_writes=True,
        )
    engine.ensure_index()
    cleanup.append(engine)
    return engine


def _drop(engine: SearchEngine) -> None:
    if isinstance(engine, MeiliEngine):
        task = engine._client.delete_index(engine.index_uid)
        engine._client.wait_for_task(task.task_uid)
    engine.close()


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def new_engine(engine_kind: str, tmp_path: Path) -> Iterator[EngineFactory]:
    """Makes empty engines of the parametrised kind; dropped after the test."""
    made: list[SearchEngine] = []
    yield lambda: _make_engine(engine_kind, tmp_path, made)
    for engine in made:
        _drop(engine)


@pytest.fixture
def engine(new_engine: EngineFactory) -> SearchEngine:
    return new_engine()
