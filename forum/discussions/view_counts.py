"""Thread view counts: counted in memory per process, written to the threads in one go
every 30 seconds (and at exit) by the ViewCounter thread the app starts."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from forum.discussions.models import Thread

log = logging.getLogger(__name__)

VIEW_BUFFER: dict[int, int] = {}


def count_view(thread_id: int) -> None:
    """Count a page view in memory; `flush_views` writes the counts in one go."""
    VIEW_BUFFER[thread_id] = VIEW_BUFFER.get(thread_id, 0) + 1


def flush_views(db: Session) -> int:
    """Add the buffered view counts to the threads; answers how many threads changed."""
    pending = dict(VIEW_BUFFER)
    for thread_id in pending:
        VIEW_BUFFER[thread_id] -= pending[thread_id]
        if not VIEW_BUFFER[thread_id]:
            del VIEW_BUFFER[thread_id]
    for thread_id, count in pending.items():
        db.execute(
            update(Thread)
            .where(Thread.id == thread_id)
            .values(view_count=Thread.view_count + count)
        )
    return len(pending)


class ViewCounter:
    """Writes this process's buffered view counts every `every` seconds, and at exit."""

    def __init__(self, factory: sessionmaker[Session], *, every: float = 30.0) -> None:
        self.factory = factory
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="forum-views", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.flush()
        self.flush()

    def flush(self) -> None:
        if not VIEW_BUFFER:
            return
        try:
            with self.factory() as session:
                flush_views(session)
                session.commit()
        except SQLAlchemyError:
            log.warning("could not write view counts; they are dropped", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
