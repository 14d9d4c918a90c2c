"""The process's search engine, chosen by the settings: Meilisearch when FORUM_MEILI_URL
is set, else the embedded tantivy index in the data dir; shared by its requests and its
drainer (`forum.discovery.sync` re-exports these names)."""

from __future__ import annotations

import contextlib
import logging
import threading

from forum.core.config import Settings
from search.engine import SearchEngine, SearchError

log = logging.getLogger(__name__)

_engines: dict[tuple[str | None, str | None, str], SearchEngine] = {}
_engines_lock = threading.Lock()


def make_search_engine(settings: Settings) -> SearchEngine:
    """A new engine for `settings`; callers normally want the shared `search_engine()`."""
    if settings.meili_url:
        from search.meili import MeiliEngine

        return MeiliEngine(
            settings.meili_url,
            settings.meili_key,
            search_key=settings.meili_search_key,
            max_total_hits=settings.meili_max_total_hits,
            payload_limit_bytes=settings.meili_payload_limit_bytes,
        )
    from search.embedded import EmbeddedEngine

    engine = EmbeddedEngine(settings.search_dir)
    try:
        # A fresh data dir gets its empty index at once (a local, idempotent step), so a
        # new instance answers "no results" rather than "unavailable" before its first drain.
        engine.ensure_index()
    except SearchError as exc:
        log.warning("search index not ready: %s", exc)
    return engine


def search_engine(settings: Settings) -> SearchEngine:
    """The engine this process shares among its requests and its drainer."""
    key = (
        settings.meili_url,
        f"{settings.meili_key}/{settings.meili_search_key}",
        str(settings.search_dir.resolve()),
    )
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = make_search_engine(settings)
        return engine


def close_search_engines() -> None:
    """Close every shared engine (tests and shutdown: releases the embedded writer lock)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        with contextlib.suppress(SearchError):
            engine.close()
