"""The digest sender (DESIGN.md "Email"), kept apart from the planner (`planner.py`): it
only sends. It takes the pending rows, builds each digest from candidates loaded once per
run, and walks every row through pending -> sending -> sent | skipped | failed,
committing `sending` before the SMTP transaction and `sent` right after the server
accepted. Only one row is ever `sending` at a time, so a crash can leave at most one
message whose fate is unknown; the next run sends it again with the same Message-ID and
counts it in `resends`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import smtplib
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import acquire_lease, release_lease
from forum.core.mail import MailConnection, MailTransport, PreparedMessage, make_transport
from forum.digests.batches import Built, built_batches
from forum.digests.deliveries import (
    SENDER_LEASE,
    Outcome,
    Work,
    reader_factory,
    retry_values,
    select_work,
    take_sender_lease,
)
from forum.digests.models import DigestDelivery
from forum.digests.news import load_candidates
from forum.digests.planner import Due, message_id_for
from forum.notifications import tally
from forum.notifications.models import EmailSettings

log = logging.getLogger(__name__)

# Consecutive connection failures after which a run stops (the server is down).
MAX_CONNECTION_FAILURES = 3
BATCH = 100
LOST_LEASE = "lost the digest sender lease"
ANOTHER_SENDER = "another digest sender is running"


@dataclass
class SendReport:
    """What a run did. In a dry run, `sent` and `skipped` say what it would have done."""

    total: int = 0
    done: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0  # back to pending after a 4xx or a lost connection
    bounced: int = 0  # failed because the recipient's server refused the address (5xx)
    resent: int = 0  # sent again after a crash left them `sending`
    dry_run: bool = False
    stopped: str | None = None  # why the run ended before its work did
    errors: list[str] = field(default_factory=list)


def _classify(exc: BaseException) -> tuple[str, str]:
    """("retry" | "bounce" | "fail" | "abort", reason) for an error sending one message.

    Each digest has one recipient, so a 5xx refusing it is about that address; a 5xx
    with an enhanced status 5.1.x or 5.2.x after DATA is too. Other 5xx (policy, content)
    fail the message but say nothing about the address.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        reason = "; ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in answers
        )
        if any(500 <= code < 600 for code, _ in answers):
            return "bounce", reason
        return "retry", reason
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        message = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        reason = f"{exc.smtp_code} {message}"
        if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
            # Our login or our From address: nothing else would go either.
            return ("retry" if exc.smtp_code < 500 else "abort"), reason
        if 400 <= exc.smtp_code < 500:
            return "retry", reason
        if message.startswith(("5.1.", "5.2.")):
            return "bounce", reason
        return "fail", reason
    return "retry", f"{type(exc).__name__}: {exc}"


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError | smtplib.SMTPServerDisconnected) and not isinstance(
        exc, smtplib.SMTPResponseException
    )


class _Sender:
    """One run of `send_pending`: its session(s), report and the outcomes not yet committed."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        report: SendReport,
        *,
        now: dt.datetime,
        holder: str,
        on_progress: Callable[[SendReport], None] | None,
    ) -> None:
        self.settings = settings
        self.report = report
        self.now = now
        self.holder = holder
        self.on_progress = on_progress
        bind = factory.kw.get("bind")
        # The writer keeps one connection for the whole run: a session that takes one
        # from the pool for each transaction and gives it back (with the pool's reset and
        # checks) cost the per-message commit more than the database's own work.
        self.held: Connection | None = bind.connect() if isinstance(bind, Engine) else None
        self.writer = factory(bind=self.held) if self.held is not None else factory()
        readers = reader_factory(factory)
        self.reader = readers() if readers is not None else self.writer
        self.outcomes: list[Outcome] = []
        self.renewed_at = time.monotonic()

    def close(self) -> None:
        if self.reader is not self.writer:
            self.reader.close()
        self.writer.close()
        if self.held is not None:
            self.held.close()

    def progress(self) -> None:
        self.report.done += 1
        if self.on_progress is not None:
            self.on_progress(self.report)

    # Writes: each commit applies the outcomes so far, plus at most one claim.

    def commit(self, claim: Work | None = None) -> bool:
        """Write the outcomes, claim `claim` (mark it sending), commit; False when the
        claim lost (another sender moved the row)."""
        db = self.writer
        held = self.held
        if (
            held is not None
            and not db.in_transaction()
            and all(outcome.bounce is None for outcome in self.outcomes)
        ):
            # The usual commit (no bounce to write through the ORM): its transaction on
            # the held connection itself, begun (IMMEDIATE on SQLite) and committed
            # there, the session idle; the session's commit, its state and events, cost
            # more than the two UPDATEs. The same statements, in the same order.
            with held.begin():
                return self._write(held, claim)
        # Core statements on the session's connection (its transaction): the ORM's
        # execute path is not needed for an UPDATE of one row.
        claimed = self._write(db.connection(), claim)
        db.commit()
        return claimed

    def _write(self, connection: Connection, claim: Work | None) -> bool:
        for outcome in self.outcomes:
            connection.execute(
                _set(tuple(outcome.values)),
                {"row_id": outcome.delivery_id, **{f"v_{k}": v for k, v in outcome.values.items()}},
            )
            if outcome.bounce is not None:
                self._mark_bouncing(*outcome.bounce)
        self.outcomes.clear()
        if claim is None:
            return True
        statement = _CLAIM_AGAIN if claim.status == "sending" else _CLAIM
        result = connection.execute(statement, {"row_id": claim.delivery_id, "was": claim.status})
        return bool(result.rowcount)

    def _mark_bouncing(self, user_id: int, reason: str) -> None:
        db = self.writer
        row = db.get(EmailSettings, user_id)
        if row is None:
            row = EmailSettings(user_id=user_id)
            db.add(row)
        if row.bouncing_at is None:
            tally.count(db, "bounced", now=self.now)
        row.bouncing_at = self.now
        row.bounce_reason = reason[:500]
        db.flush()

    def renew_lease(self) -> bool:
        """Renew the sender lease when a third of its period has gone by (checked before
        each message, so a slow server never lets it lapse mid-run); False when lost."""
        if self.report.dry_run or time.monotonic() - self.renewed_at < (
            self.settings.lease_seconds / 3
        ):
            return True
        ok = acquire_lease(
            self.writer,
            name=SENDER_LEASE,
            kind="digest",
            holder=self.holder,
            ttl=self.settings.lease_ttl,
        )
        self.commit()
        self.renewed_at = time.monotonic()
        return ok

    def record(
        self, work: Work, values: dict[str, Any], bounce: tuple[int, str] | None = None
    ) -> None:
        if work.delivery_id is not None and not self.report.dry_run:
            self.outcomes.append(Outcome(work.delivery_id, values, bounce))


# The sender's writes, as statements made once: a commit per message is the price of the
# crash guarantee (docs/email.md), and building each UPDATE anew (the ORM's bulk path)
# cost three times the writing itself.
_ROWS = cast(Table, DigestDelivery.__table__)
_CLAIM = (
    update(_ROWS)
    .where(_ROWS.c.id == bindparam("row_id"), _ROWS.c.status == bindparam("was"))
    .values(status="sending", attempts=_ROWS.c.attempts + 1, next_attempt_at=None)
)
# A row a crash left `sending`: claimed again, and counted as a resend.
_CLAIM_AGAIN = _CLAIM.values(resends=_ROWS.c.resends + 1)


@functools.cache
def _set(columns: tuple[str, ...]) -> Any:
    """UPDATE digest_delivery SET these columns (bound as `v_<column>`) WHERE id = row_id."""
    return (
        update(_ROWS)
        .where(_ROWS.c.id == bindparam("row_id"))
        .values({column: bindparam(f"v_{column}") for column in columns})
    )


def send_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    transport: MailTransport | None = None,
    limit: int | None = None,
    on_progress: Callable[[SendReport], None] | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    user_ids: Sequence[int] | None = None,
    planned: Sequence[Due] = (),
) -> SendReport:
    """Send every pending digest (and the one a crash left `sending`); answer the report.

    Commits as it goes, row by row. Runs only while it holds the sender lease; another
    sender running answers a report with `stopped` set. A dry run builds every digest
    (the pending rows, plus `planned` ones that have no row yet), sends nothing and writes
    nothing.
    """
    now = now or utcnow()
    report = SendReport(dry_run=dry_run)
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    run = _Sender(factory, settings, report, now=now, holder=holder, on_progress=on_progress)
    try:
        work = select_work(run.reader, now, limit=limit, user_ids=user_ids)
        if dry_run:
            work += [
                Work(
                    None,
                    d.user_id,
                    d.period,
                    d.window_start,
                    d.window_end,
                    message_id_for(settings, d.user_id, d.period),
                    "pending",
                )
                for d in planned
            ]
        if not work:
            return report
        if not dry_run:
            if not take_sender_lease(run.writer, holder, settings.lease_ttl):
                run.writer.rollback()
                report.stopped = ANOTHER_SENDER
                return report
            run.writer.commit()
            run.renewed_at = time.monotonic()
            if run.reader is not run.writer:
                run.reader.rollback()
            # Selected again under the lease: a `sending` row is now surely a crash's.
            work = select_work(run.reader, now, limit=limit, user_ids=user_ids)
        report.total = len(work)
        if not work:
            return report
        candidates = load_candidates(
            run.reader,
            window_start=min(w.window_start for w in work),
            window_end=max(w.window_end for w in work),
            now=now,
        )
        transport = transport or make_transport(settings)
        with (
            transport.connect() as connection,
            built_batches(
                run.reader, settings, work, candidates, now=now, size=BATCH,
                # Ahead in a thread when there is more than one batch, and a session
                # of its own to read with (not one bound to the writer's connection).
                ahead=run.reader is not run.writer and len(work) > BATCH,
            ) as batches,
        ):  # fmt: skip
            for batch, built in batches:
                if not run.renew_lease():
                    report.stopped = LOST_LEASE
                    break
                _take(run, built)
                if dry_run:
                    continue
                if not _send_batch(run, batch, built.messages, connection):
                    break
        run.commit()
    finally:
        if not dry_run:
            try:
                run.writer.rollback()
                release_lease(run.writer, name=SENDER_LEASE, holder=holder)
                run.writer.commit()
            except Exception:
                log.warning("could not release the digest sender lease", exc_info=True)
        run.close()
    return report


def _take(run: _Sender, built: Built) -> None:
    """Record what a batch's build settled (rows skipped, or failed to build), as the
    build found them; commit them before the batch's first message."""
    report = run.report
    report.errors += built.errors
    for work, values, kind in built.settled:
        run.record(work, values)
        if kind == "failed":
            report.failed += 1
        else:
            report.skipped += 1
        run.progress()
    if report.dry_run:
        report.sent += len(built.messages)
        report.done += len(built.messages)
        if run.on_progress is not None and built.messages:
            run.on_progress(report)
    elif run.outcomes:
        run.commit()


def _send_batch(
    run: _Sender,
    batch: Sequence[Work],
    messages: dict[int, tuple[PreparedMessage, dict[str, Any]]],
    connection: MailConnection,
) -> bool:
    """Send the batch's messages, one claimed row at a time; False to stop the run."""
    report = run.report
    connection_failures = 0
    for index, (message, counts) in sorted(messages.items()):
        work = batch[index]
        if not run.renew_lease():
            report.stopped = LOST_LEASE
            return False
        if not run.commit(claim=work):
            continue  # another sender moved it meanwhile
        attempts = work.attempts + 1
        if work.status == "sending":
            log.warning(
                "resending the digest %s of member %s after a crash (same Message-ID %s)",
                work.period,
                work.user_id,
                work.message_id,
            )
        try:
            connection.send(message)
        except Exception as exc:
            kind, reason = _classify(exc)
            log.warning(
                "digest %s for member %s not sent (%s): %s", work.period, work.user_id, kind, reason
            )
            if kind == "bounce":
                run.record(
                    work,
                    {"status": "failed", "error": reason[:4000], "next_attempt_at": None},
                    bounce=(work.user_id, reason),
                )
                report.failed += 1
                report.bounced += 1
            elif kind == "fail":
                run.record(work, {"status": "failed", "error": reason[:4000]})
                report.failed += 1
            else:
                values = retry_values(attempts, reason, run.now)
                run.record(work, values)
                if values["status"] == "failed":
                    report.failed += 1
                else:
                    report.retried += 1
            run.commit()
            run.progress()
            if kind == "abort":
                report.stopped = f"the mail server refused us: {reason}"
                return False
            connection_failures = connection_failures + 1 if _is_connection_error(exc) else 0
            if connection_failures >= MAX_CONNECTION_FAILURES:
                report.stopped = f"the mail server is unreachable: {reason}"
                return False
            continue
        connection_failures = 0
        run.record(
            work,
            {
                "status": "sent",
                "sent_at": utcnow(),
                "subject": message.subject[:300],
                "counts": counts,
                "error": None,
            },
        )
        report.sent += 1
        if work.status == "sending":
            report.resent += 1
        # The next claim commits this one too; the last of the batch commits at once.
        if index == max(messages):
            run.commit()
        run.progress()
    return True
