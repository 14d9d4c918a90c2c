"""The reading state's writes, after the page: a thread page decides how far the member has
read (`reading.read_mark`, a read) and is sent; the move is written after it, in a
transaction of its own, batched with every other page view's pending in this process
(coalesced per member and thread: the highest post wins) by whichever view's background
task runs first. The member's next request in this process writes what is still pending
of theirs before anything reads it (`settle_reading`): their next page, the header's
count, "Unread" and "What's new" agree with what they have read. Other processes (a
second web process, the worker's digests) see it once written: right after the page.

A write the database refuses (SQLite busy past its timeout, PostgreSQL down) stays
pending for the next flush; one it can never take (the thread or the member was deleted
meanwhile) is dropped, alone."""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext

from fastapi import BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.web import DbSession
from forum.discussions import reading
from forum.discussions.thread_page import ThreadPage

log = logging.getLogger(__name__)


class ReadingWrites:
    """This process's pending watermarks, written by `flush` in one transaction."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self._pending: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()  # guards _pending
        self._writing = threading.Lock()  # one flush at a time: batches form behind it

    def add(self, user_id: int, thread_id: int, post_id: int) -> None:
        with self._lock:
            key = (user_id, thread_id)
            self._pending[key] = max(post_id, self._pending.get(key, 0))

    def pending(self, user_id: int | None = None) -> int:
        """How many watermarks wait to be written (of `user_id`, when given)."""
        with self._lock:
            return sum(1 for user, _ in self._pending if user_id in (None, user))

    def _take(self) -> list[tuple[int, int, int]]:
        with self._lock:
            taken, self._pending = self._pending, {}
        return sorted((user, thread, post) for (user, thread), post in taken.items())

    def flush(self, db: Session | None = None) -> int:
        """Write every pending watermark, in `db` (committing it) or in a session of its
        own; answers how many were written. Those the database refused for now are
        pending again."""
        with self._writing:
            marks = self._take()
            if not marks:
                return 0
            try:
                self._write(marks, db)
            except OperationalError:
                log.warning("reading state not written yet; kept for the next page view")
                for mark in marks:
                    self.add(*mark)
                return 0
            except SQLAlchemyError:
                return self._write_one_by_one(marks, db)
            return len(marks)

    def _write(self, marks: list[tuple[int, int, int]], db: Session | None) -> None:
        with self.factory() if db is None else nullcontext(db) as session:
            try:
                reading.write_marks(session, marks)
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def _write_one_by_one(self, marks: list[tuple[int, int, int]], db: Session | None) -> int:
        written = 0
        for mark in marks:
            try:
                self._write([mark], db)
            except OperationalError:
                self.add(*mark)
            except SQLAlchemyError:
                log.warning("reading state of member %s in thread %s dropped", *mark[:2])
            else:
                written += 1
        return written


def reading_writes(request: Request) -> ReadingWrites:
    """The app's pending reading state (forum.app.bind gives each app one)."""
    writes: ReadingWrites = request.app.state.reading_writes
    return writes


def record_after(
    request: Request, background: BackgroundTasks, db: Session, viewer: User, shown: ThreadPage,
    mark: reading.Mark,
) -> None:  # fmt: skip
    """Record that `viewer` was shown `shown`, `mark` being where they stood before
    (`reading.thread_mark`): decide now (`reading.read_mark`, no write), write after the
    response (`ReadingWrites.flush` as a background task)."""
    new = reading.read_mark(db, viewer, shown, read_up_to=mark.read_up_to,
                            next_root=mark.next_root, last_post_id=mark.last_post_id)  # fmt: skip
    if new is None:
        return
    writes = reading_writes(request)
    writes.add(viewer.id, shown.thread.id, new)
    background.add_task(_after_page, db, writes)


def _after_page(db: Session, writes: ReadingWrites) -> None:
    # The page is sent: its session gives its connection back before the flush takes one
    # (so a web process needs no connection more than its requests), and ends its
    # transaction (which the flush's must not nest in, where sessions share one).
    db.close()
    writes.flush()


async def settle_reading(request: Request, db: DbSession) -> None:
    """App-wide, after load_user: write the signed-in member's pending reading state before
    this request reads any (a second tab can ask before the first page's write ran).

    Async, as load_user is: a request with nothing pending (nearly all) costs no thread
    hop; the write runs on a thread. It is written in the request's own session, in a
    transaction begun for it: on SQLite a request that changes things holds the write lock
    from its first query, which another connection would wait for in vain; and a page's
    snapshot would not see another connection's write."""
    user = getattr(request.state, "user", None)
    if user is None:
        return
    writes = reading_writes(request)
    if writes.pending(user.id):
        await run_in_threadpool(_settle, db, writes)


def _settle(db: Session, writes: ReadingWrites) -> None:
    db.commit()  # what load_user read and wrote; the next statement begins anew
    writes.flush(db)
