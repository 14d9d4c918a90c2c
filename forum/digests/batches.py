"""The sender's batches of digests, built one batch ahead of the one being sent.

Building reads (its own session) and writes nothing: the rows' states stay the sender's
(`sender.py`), written in its thread in the same order as before, so the crash guarantees
of docs/email.md do not depend on how far ahead the digests are built. What a batch's
build says about rows that will not be sent (nothing new, the member unsubscribed, a
digest that could not be built) is handed back with the messages and recorded by the
sender when it takes the batch.

Ahead means in a thread: while the sender waits for the SMTP server's answers (four per
message, the GIL let go), the next batch is built. The GIL's switch interval is shortened
for the run, so that the sender, its answer in, waits a fraction of a millisecond for the
builder rather than the default 5 ms.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.mail import PreparedMessage
from forum.digests.builder import build_digest
from forum.digests.candidates import Candidates
from forum.digests.deliveries import Work, retry_values
from forum.digests.interests import MemberInterests, load_member_interests
from forum.digests.planner import not_sendable
from forum.notifications.models import EmailSettings

log = logging.getLogger(__name__)

# The GIL's switch interval while a batch is built beside the sending (seconds).
SWITCH_INTERVAL = 0.0002


@dataclass
class Built:
    """A batch's messages (by position in the batch, with their section counts), and the
    rows that will not be sent: (row, its new state, "skipped" or "failed")."""

    messages: dict[int, tuple[PreparedMessage, dict[str, Any]]] = field(default_factory=dict)
    settled: list[tuple[Work, dict[str, Any], str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def build_batch(
    db: Session,
    settings: Settings,
    batch: Sequence[Work],
    candidates: Candidates,
    *,
    now: dt.datetime,
) -> Built:
    """Build this batch's messages; rows with nothing to send are settled skipped, rows
    whose digest could not be built retried later (as a refused message is)."""
    from forum.digests.render import prepare_digest_email

    built = Built()
    ids = sorted({w.user_id for w in batch})
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))}
    email_settings = {
        e.user_id: e
        for e in db.scalars(select(EmailSettings).where(EmailSettings.user_id.in_(ids)))
    }
    # Interests in a few queries per window start (most of a batch shares one).
    interests: dict[int, MemberInterests] = {}
    by_start: dict[dt.datetime, list[int]] = {}
    for work in batch:
        by_start.setdefault(work.window_start, []).append(work.user_id)
    for since, members in by_start.items():
        interests.update(load_member_interests(db, members, since=since))
    for index, work in enumerate(batch):
        user = users.get(work.user_id)
        reason = not_sendable(user, email_settings.get(work.user_id))
        if reason is None and user is not None:
            try:
                digest = build_digest(
                    db, settings, user, period=work.period, window_start=work.window_start,
                    window_end=work.window_end, now=now, candidates=candidates,
                    interests=interests.get(work.user_id),
                )  # fmt: skip
                counts = digest.counts()
                if digest.is_empty:
                    reason = "nothing new"
                else:
                    message = prepare_digest_email(
                        settings, user, digest, message_id=work.message_id
                    )
                    built.messages[index] = (message, counts)
                    continue
            except Exception as exc:
                log.exception(
                    "digest %s for member %s could not be built", work.period, work.user_id
                )
                built.errors.append(f"member {work.user_id}: {type(exc).__name__}: {exc}")
                attempts = work.attempts + 1
                values = retry_values(attempts, f"{type(exc).__name__}: {exc}", now)
                built.settled.append((work, {**values, "attempts": attempts}, "failed"))
                continue
        error = None if reason == "nothing new" else reason
        built.settled.append(
            (work, {"status": "skipped", "error": error, "next_attempt_at": None}, "skipped")
        )
    db.rollback()  # let go of the read snapshot between batches
    return built


@contextmanager
def built_batches(
    db: Session,
    settings: Settings,
    work: Sequence[Work],
    candidates: Candidates,
    *,
    now: dt.datetime,
    size: int,
    ahead: bool,
) -> Iterator[Iterator[tuple[Sequence[Work], Built]]]:
    """The batches of `work` with their builds, in order. With `ahead`, the next batch is
    built in a thread while the caller sends this one (`db` is then the builder's alone);
    without, each is built when asked for (a session shared with the writer)."""
    batches = [work[start : start + size] for start in range(0, len(work), size)]
    if not ahead:
        yield ((batch, build_batch(db, settings, batch, candidates, now=now)) for batch in batches)
        return
    interval = sys.getswitchinterval()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-builder")

    def submit(batch: Sequence[Work]) -> Future[Built]:
        # In the caller's context (its language, if it chose one, as building inline).
        context = contextvars.copy_context()
        return executor.submit(context.run, build_batch, db, settings, batch, candidates, now=now)

    def walk() -> Iterator[tuple[Sequence[Work], Built]]:
        future = submit(batches[0]) if batches else None
        for i, batch in enumerate(batches):
            assert future is not None
            built = future.result()
            future = submit(batches[i + 1]) if i + 1 < len(batches) else None
            yield batch, built

    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    try:
        yield walk()
    finally:
        # A run that stops early waits for the batch being built, and builds no more.
        executor.shutdown(wait=True, cancel_futures=True)
        sys.setswitchinterval(interval)
