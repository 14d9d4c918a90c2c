"""The drainer: the loop that keeps the search index in step, beside the background loops.

It drains the outbox (`forum.discovery.sync.drain_outbox`) whenever rows are pending. The
embedded index takes one writer across processes, so with it a drainer also needs the
`search-drain` lease (renewed at a third of FORUM_LEASE_SECONDS): one process drains, the
others stand by and take over when its lease lapses, and a drainer that loses it closes
its index writer. Meilisearch takes several writers; the drain lock alone orders them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from forum.core import outbox
from forum.core.config import Settings
from forum.core.jobs import acquire_lease, release_lease
from forum.discovery import sync
from forum.discovery.sync import DrainResult, drain_outbox, has_pending, read_only
from search.engine import SearchError

log = logging.getLogger(__name__)

DRAIN_LEASE = "search-drain"
# How often a drainer without the drain lease looks whether it lapsed (when rows wait).
LEASE_LOOK_SECONDS = 1.0
# How often an idle drainer looks at the outbox for rows committed by other processes.
POLL_SECONDS = 0.1
# Backoff after the engine failed: doubles up to the maximum.
RETRY_MIN_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


class Drainer:
    """The loop that keeps the index in step: drains whenever something is pending.

    It wakes at once when a transaction of this process queued documents (a session
    event sets `outbox.committed`), and polls every POLL_SECONDS for other processes'
    rows. After an engine failure it waits, doubling from 1 s to 30 s, and tries again.
    `may_run` is asked before each pass: the embedded runner drains only while it
    holds its lease. With the embedded engine it also drains only while it holds the
    drain lease (`hold_lease`), and lets go of the index's writer when it loses it.
    """

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        may_run: Callable[[], bool] = lambda: True,
        holder: str | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.may_run = may_run
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # One writer at a time for the embedded index; Meilisearch takes several.
        self.needs_lease = not settings.meili_url
        self.holds_lease = False
        self.last_error: str | None = None
        self._looked_at_lease = -float("inf")  # time.monotonic() of the last renewal or look
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ensured = False

    def hold_lease(self, *, now: bool = False) -> bool:
        """Whether this drainer may write: takes the drain lease when it is free or lapsed
        and renews it at a third of its period (between batches too). Without it, looks
        again at most every LEASE_LOOK_SECONDS (`now`: at once)."""
        if not self.needs_lease:
            return True
        period = self.settings.lease_seconds
        wait = period / 3 if self.holds_lease else min(LEASE_LOOK_SECONDS, period / 4)
        if not now and time.monotonic() - self._looked_at_lease < wait:
            return self.holds_lease
        self._looked_at_lease = time.monotonic()
        with self.factory() as session:
            ok = acquire_lease(
                session,
                name=DRAIN_LEASE,
                kind="drain",
                holder=self.holder,
                ttl=self.settings.lease_ttl,
            )
            session.commit()
        if ok and not self.holds_lease:
            log.info("search: %s holds the drain lease", self.holder)
        elif self.holds_lease and not ok:
            log.warning("search: lost the drain lease; letting go of the index writer")
            self._let_go()
        self.holds_lease = ok
        return ok

    def _let_go(self) -> None:
        """Close the embedded index's writer, so that the next drainer can open it."""
        if self._ensured:
            sync.search_engine(self.settings).close()
            self._ensured = False

    def release_lease(self) -> None:
        """Let go of the writer, then of the drain lease: another drainer takes over at
        once instead of after the lease period."""
        self._let_go()
        if not self.holds_lease:
            return
        self.holds_lease = False
        try:
            with self.factory() as session:
                release_lease(session, name=DRAIN_LEASE, holder=self.holder)
                session.commit()
        except Exception:
            log.warning("could not release the drain lease", exc_info=True)

    def run_once(self) -> DrainResult:
        """Drain what is pending; with the embedded engine only under the drain lease
        (answers `skipped_locked` when another drainer holds it)."""
        if not self.hold_lease(now=not self.holds_lease):
            return DrainResult(skipped_locked=True)
        engine = sync.search_engine(self.settings)
        if not self._ensured:
            engine.ensure_index()
            self._ensured = True
        return drain_outbox(self.factory, engine, self.settings, keep_going=self.hold_lease)

    def run_forever(self) -> None:
        delay = RETRY_MIN_SECONDS
        while not self._stop.is_set():
            wait = POLL_SECONDS
            try:
                if not self.may_run():
                    # Another process took over the loops: let go of the embedded
                    # index's writer (and the drain lease) so its drainer can write.
                    self.release_lease()
                elif self.holds_lease and not self.hold_lease():
                    pass  # lost it (hold_lease let go of the writer)
                else:
                    with read_only(self.factory)() as session:
                        pending = has_pending(session)
                    if pending and self.hold_lease():
                        outbox.committed.clear()
                        result = self.run_once()
                        if result.rows:
                            log.info(
                                "search: %d outbox rows applied (%d upserted, %d deleted)",
                                result.rows,
                                result.upserted,
                                result.deleted,
                            )
                    self.last_error = None
                    delay = RETRY_MIN_SECONDS
            except SearchError as exc:
                self.last_error = str(exc)
                log.warning("search engine unavailable, retrying in %.0f s: %s", delay, exc)
                wait, delay = delay, min(delay * 2, RETRY_MAX_SECONDS)
            except Exception:
                log.exception("search outbox drain failed")
                wait, delay = delay, min(delay * 2, RETRY_MAX_SECONDS)
            if outbox.committed.wait(wait):
                outbox.committed.clear()

    def start_thread(self) -> threading.Thread:
        self._thread = threading.Thread(
            target=self.run_forever, name="forum-search-drain", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._stop.set()
        outbox.committed.set()  # wake it up to see the stop
        if self._thread is not None:
            self._thread.join(timeout=10)
        with contextlib.suppress(Exception):
            self.release_lease()
