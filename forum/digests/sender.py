"""Digest planning and sending, kept apart (DESIGN.md "Email").

The planner decides who is due and writes one `DigestDelivery` row per member and period
(unique, so two planners never make two). The sender only sends: it takes the pending
rows, builds each digest from candidates loaded once per run, and walks every row through
pending -> sending -> sent | skipped | failed, committing `sending` before the SMTP
transaction and `sent` right after the server accepted. Only one row is ever `sending`
at a time, so a crash can leave at most one message whose fate is unknown; the next run
sends it again with the same Message-ID and counts it in `resends`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import smtplib
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import WorkerLease, acquire_lease, release_lease
from forum.core.mail import MailConnection, MailTransport, PreparedMessage, make_transport
from forum.digests.content import (
    Candidates,
    MemberInterests,
    build_digest,
    load_candidates,
    load_member_interests,
)
from forum.digests.models import DigestDelivery
from forum.notifications.models import EmailSettings

log = logging.getLogger(__name__)

PERIOD_LENGTH = {"weekly": dt.timedelta(days=7), "daily": dt.timedelta(days=1)}
# A digest whose hour passed while no worker ran is still sent within this delay.
CATCH_UP = dt.timedelta(days=1)
# A window never reaches further back than this many periods (a member back from "off").
MAX_WINDOW_PERIODS = 2
# SMTP 4xx and lost connections: retried after 5, 10, 20, 40, 80 minutes, then failed.
MAX_ATTEMPTS = 6
RETRY_BASE = dt.timedelta(minutes=5)
# Consecutive connection failures after which a run stops (the server is down).
MAX_CONNECTION_FAILURES = 3
BATCH = 100
SENDER_LEASE = "digest-sender"
SENDER_LEASE_TTL = dt.timedelta(seconds=120)


class Due(NamedTuple):
    """A member's digest to send: the period (their local date) and the window it covers."""

    user_id: int
    period: dt.date
    window_start: dt.datetime
    window_end: dt.datetime


# --- the planner ---------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def last_occurrence(
    local_now: dt.datetime, *, frequency: str, weekday: int, hour: int
) -> dt.datetime:
    """The latest scheduled local time at or before `local_now` (an aware local time)."""
    occurrence = local_now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == "weekly":
        # Same tzinfo: the arithmetic is on the wall clock, as the member reads it.
        occurrence -= dt.timedelta(days=(local_now.weekday() - weekday) % 7)
    if occurrence > local_now:
        occurrence -= PERIOD_LENGTH[frequency]
    return occurrence


def message_id_for(settings: Settings, user_id: int, period: dt.date) -> str:
    """The Message-ID of (member, period): the same in every run, unguessable elsewhere."""
    key = (settings.secret_key or "").encode()
    mac = hmac.new(key, f"digest:{user_id}:{period.isoformat()}".encode(), hashlib.sha256)
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"<digest.{user_id}.{period:%Y%m%d}.{mac.hexdigest()[:8]}@{host}>"


def _eligible(user_ids: Iterable[int] | None) -> Any:
    stmt = (
        select(
            User.id,
            User.timezone,
            User.digest_frequency,
            User.digest_weekday,
            User.digest_hour,
            User.created_at,
        )
        .outerjoin(EmailSettings, EmailSettings.user_id == User.id)
        .where(
            User.email_verified_at.is_not(None),
            User.suspended_at.is_(None),
            User.digest_frequency.in_(tuple(PERIOD_LENGTH)),
            EmailSettings.bouncing_at.is_(None),
        )
        .order_by(User.id)
    )
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(list(user_ids)))
    return stmt


def _chunks(values: Sequence[int], size: int = 5000) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def plan(
    db: Session,
    now: dt.datetime,
    *,
    force: bool = False,
    user_ids: Iterable[int] | None = None,
) -> list[tuple[Due, str]]:
    """Who is due at `now`, with each digest's frequency; writes nothing.

    Due: a verified, not suspended member whose address is not bouncing, with a weekly or
    daily digest, whose scheduled local hour (on their weekday, for weekly) has come
    within CATCH_UP, after they joined, and who has no delivery for that period yet.
    `force` makes everyone with a digest due now, the period being today's local date.
    """
    candidates: list[tuple[int, str, dt.date, dt.timedelta]] = []
    for user_id, tz, frequency, weekday, hour, created_at in db.execute(_eligible(user_ids)):
        local_now = now.astimezone(_zone(tz))
        if force:
            period = local_now.date()
        else:
            occurrence = last_occurrence(local_now, frequency=frequency, weekday=weekday, hour=hour)
            if occurrence <= created_at or now - occurrence >= CATCH_UP:
                continue
            period = occurrence.date()
        candidates.append((user_id, frequency, period, PERIOD_LENGTH[frequency]))
    if not candidates:
        return []
    ids = [c[0] for c in candidates]
    earliest = min(c[2] for c in candidates)
    taken: set[tuple[int, dt.date]] = set()
    last_end: dict[int, dt.datetime] = {}
    for chunk in _chunks(ids):
        taken.update(
            (row.user_id, row.period)
            for row in db.execute(
                select(DigestDelivery.user_id, DigestDelivery.period).where(
                    DigestDelivery.user_id.in_(chunk), DigestDelivery.period >= earliest
                )
            )
        )
        for user_id, end in db.execute(
            select(DigestDelivery.user_id, func.max(DigestDelivery.window_end))
            .where(DigestDelivery.user_id.in_(chunk))
            .group_by(DigestDelivery.user_id)
        ):
            last_end[user_id] = end
    planned = []
    for user_id, frequency, period, length in candidates:
        if (user_id, period) in taken:
            continue
        previous = last_end.get(user_id)
        start = previous if previous is not None else now - length
        start = min(max(start, now - MAX_WINDOW_PERIODS * length), now)
        planned.append((Due(user_id, period, start, now), frequency))
    return planned


def due_members(
    db: Session,
    now: dt.datetime,
    *,
    settings: Settings,
    force: bool = False,
    user_ids: Iterable[int] | None = None,
) -> list[Due]:
    """Plan (see `plan`) and write a pending DigestDelivery for each due member.

    The INSERT ignores the unique (member, period) conflict, so planners running at once
    never make two rows; answers only the rows this call created. Flushes, never commits.
    """
    planned = plan(db, now, force=force, user_ids=user_ids)
    if not planned:
        return []
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    created: set[tuple[int, dt.date]] = set()
    for start in range(0, len(planned), 1000):
        rows = [
            {
                "user_id": due.user_id,
                "period": due.period,
                "frequency": frequency,
                "status": "pending",
                "window_start": due.window_start,
                "window_end": due.window_end,
                "message_id": message_id_for(settings, due.user_id, due.period),
                "attempts": 0,
                "resends": 0,
                "counts": {},
                "created_at": now,
            }
            for due, frequency in planned[start : start + 1000]
        ]
        stmt = (
            insert(DigestDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "period"])
            .returning(DigestDelivery.user_id, DigestDelivery.period)
        )
        created.update((row.user_id, row.period) for row in db.execute(stmt))
    return [due for due, _ in planned if (due.user_id, due.period) in created]


# --- the sender ----------------------------------------------------------------------


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


@dataclass
class _Work:
    delivery_id: int | None  # None: planned in a dry run, no row written
    user_id: int
    period: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    message_id: str
    status: str  # as read: "pending", or "sending" after a crash
    attempts: int = 0


@dataclass
class _Outcome:
    """A row's new state, written in the next commit (with the next row's claim)."""

    delivery_id: int
    values: dict[str, Any]
    bounce: tuple[int, str] | None = None  # (member, reason): mark the address bouncing


def _reader_factory(factory: sessionmaker[Session]) -> sessionmaker[Session] | None:
    """Sessions that read without SQLite's write lock, when `factory` is on an engine.

    Building a batch of digests reads for a while; a writer session would hold the lock
    (BEGIN IMMEDIATE) all that time. Bound to a connection (tests), there is none: two
    sessions' savepoints on one connection would release each other.
    """
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine):
        return sessionmaker(
            bind=bind.execution_options(sqlite_immediate=False), expire_on_commit=False
        )
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def take_sender_lease(db: Session, holder: str) -> bool:
    """Become the only sender. A `sending` row seen afterwards was left by a crash.

    The lease of a process that died on this host is taken over at once (a killed
    `forum digest send` restarted by hand); elsewhere it lapses after its TTL.
    """
    if acquire_lease(db, name=SENDER_LEASE, kind="digest", holder=holder, ttl=SENDER_LEASE_TTL):
        return True
    lease = db.get(WorkerLease, SENDER_LEASE)
    if lease is None or lease.hostname != socket.gethostname() or _pid_alive(lease.pid):
        return False
    now = utcnow()
    result = db.execute(
        update(WorkerLease)
        .where(WorkerLease.name == SENDER_LEASE, WorkerLease.holder == lease.holder)
        .values(
            holder=holder,
            pid=os.getpid(),
            started_at=now,
            heartbeat_at=now,
            expires_at=now + SENDER_LEASE_TTL,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        log.warning("took over the digest sender lease of dead process %s", lease.pid)
        db.expire(lease)
        return True
    return False


def _select_work(
    db: Session, now: dt.datetime, *, limit: int | None, user_ids: Sequence[int] | None
) -> list[_Work]:
    stmt = (
        select(
            DigestDelivery.id,
            DigestDelivery.user_id,
            DigestDelivery.period,
            DigestDelivery.window_start,
            DigestDelivery.window_end,
            DigestDelivery.message_id,
            DigestDelivery.status,
            DigestDelivery.attempts,
        )
        .where(
            or_(
                DigestDelivery.status == "sending",
                and_(
                    DigestDelivery.status == "pending",
                    or_(
                        DigestDelivery.next_attempt_at.is_(None),
                        DigestDelivery.next_attempt_at <= now,
                    ),
                ),
            )
        )
        # The crash's leftover first: its reader has waited longest.
        .order_by((DigestDelivery.status == "sending").desc(), DigestDelivery.id)
    )
    if user_ids is not None:
        stmt = stmt.where(DigestDelivery.user_id.in_(list(user_ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_Work(*row) for row in db.execute(stmt)]


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


def _retry_values(attempts: int, reason: str, now: dt.datetime) -> dict[str, Any]:
    if attempts >= MAX_ATTEMPTS:
        return {"status": "failed", "error": reason[:4000], "next_attempt_at": None}
    return {
        "status": "pending",
        "error": reason[:4000],
        "next_attempt_at": now + RETRY_BASE * 2 ** max(attempts - 1, 0),
    }


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
        self.writer = factory()
        readers = _reader_factory(factory)
        self.reader = readers() if readers is not None else self.writer
        self.outcomes: list[_Outcome] = []

    def close(self) -> None:
        if self.reader is not self.writer:
            self.reader.close()
        self.writer.close()

    def progress(self) -> None:
        self.report.done += 1
        if self.on_progress is not None:
            self.on_progress(self.report)

    # Writes: each commit applies the outcomes so far, plus at most one claim.

    def commit(self, claim: _Work | None = None) -> bool:
        """Write the outcomes, claim `claim` (mark it sending), commit; False when the
        claim lost (another sender moved the row)."""
        db = self.writer
        for outcome in self.outcomes:
            db.execute(
                update(DigestDelivery)
                .where(DigestDelivery.id == outcome.delivery_id)
                .values(**outcome.values)
                .execution_options(synchronize_session=False)
            )
            if outcome.bounce is not None:
                self._mark_bouncing(*outcome.bounce)
        self.outcomes.clear()
        claimed = True
        if claim is not None:
            values: dict[str, Any] = {
                "status": "sending",
                "attempts": DigestDelivery.attempts + 1,
                "next_attempt_at": None,
            }
            if claim.status == "sending":
                values["resends"] = DigestDelivery.resends + 1
            result = db.execute(
                update(DigestDelivery)
                .where(
                    DigestDelivery.id == claim.delivery_id, DigestDelivery.status == claim.status
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            claimed = bool(result.rowcount)  # type: ignore[attr-defined]
        db.commit()
        return claimed

    def _mark_bouncing(self, user_id: int, reason: str) -> None:
        db = self.writer
        row = db.get(EmailSettings, user_id)
        if row is None:
            row = EmailSettings(user_id=user_id)
            db.add(row)
        row.bouncing_at = self.now
        row.bounce_reason = reason[:500]
        db.flush()

    def renew_lease(self) -> bool:
        ok = acquire_lease(
            self.writer,
            name=SENDER_LEASE,
            kind="digest",
            holder=self.holder,
            ttl=SENDER_LEASE_TTL,
        )
        self.commit()
        return ok

    def record(
        self, work: _Work, values: dict[str, Any], bounce: tuple[int, str] | None = None
    ) -> None:
        if work.delivery_id is not None and not self.report.dry_run:
            self.outcomes.append(_Outcome(work.delivery_id, values, bounce))


def not_sendable(user: User | None, email_settings: EmailSettings | None) -> str | None:
    """Why a planned digest must not go out any more (changed since it was planned)."""
    if user is None:
        return "the account is gone"
    if user.digest_frequency not in PERIOD_LENGTH:
        return "the member turned digests off"
    if user.suspended_at is not None:
        return "the account is suspended"
    if user.email_verified_at is None:
        return "the address is not verified"
    if email_settings is not None and email_settings.bouncing_at is not None:
        return "the address is bouncing"
    return None


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
        work = _select_work(run.reader, now, limit=limit, user_ids=user_ids)
        if dry_run:
            work += [
                _Work(
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
            if not take_sender_lease(run.writer, holder):
                run.writer.rollback()
                report.stopped = "another digest sender is running"
                return report
            run.writer.commit()
            if run.reader is not run.writer:
                run.reader.rollback()
            # Selected again under the lease: a `sending` row is now surely a crash's.
            work = _select_work(run.reader, now, limit=limit, user_ids=user_ids)
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
        with transport.connect() as connection:
            for start in range(0, len(work), BATCH):
                if not dry_run and start and not run.renew_lease():
                    report.stopped = "lost the digest sender lease"
                    break
                batch = work[start : start + BATCH]
                messages = _build_batch(run, batch, candidates)
                run.reader.rollback()  # let go of the read snapshot between batches
                if dry_run:
                    continue
                if not _send_batch(run, batch, messages, connection):
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


def _build_batch(
    run: _Sender,
    batch: Sequence[_Work],
    candidates: Candidates,
) -> dict[int, tuple[PreparedMessage, dict[str, Any]]]:
    """Build this batch's messages (by position in `batch`); rows with nothing to send
    are recorded skipped (or, in a dry run, counted)."""
    from forum.digests.render import prepare_digest_email

    db = run.reader
    report = run.report
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
    messages: dict[int, tuple[PreparedMessage, dict[str, Any]]] = {}
    for index, work in enumerate(batch):
        user = users.get(work.user_id)
        reason = not_sendable(user, email_settings.get(work.user_id))
        if reason is None and user is not None:
            try:
                digest = build_digest(
                    db,
                    run.settings,
                    user,
                    period=work.period,
                    window_start=work.window_start,
                    window_end=work.window_end,
                    now=run.now,
                    candidates=candidates,
                    interests=interests.get(work.user_id),
                )
                counts = digest.counts()
                if digest.is_empty:
                    reason = "nothing new"
                else:
                    message = prepare_digest_email(
                        run.settings, user, digest, message_id=work.message_id
                    )
                    messages[index] = (message, counts)
                    continue
            except Exception as exc:
                log.exception(
                    "digest %s for member %s could not be built", work.period, work.user_id
                )
                report.errors.append(f"member {work.user_id}: {type(exc).__name__}: {exc}")
                attempts = work.attempts + 1
                values = _retry_values(attempts, f"{type(exc).__name__}: {exc}", run.now)
                run.record(work, {**values, "attempts": attempts})
                report.failed += 1
                run.progress()
                continue
        report.skipped += 1
        error = None if reason == "nothing new" else reason
        run.record(work, {"status": "skipped", "error": error, "next_attempt_at": None})
        run.progress()
    if report.dry_run:
        report.sent += len(messages)
        report.done += len(messages)
        if run.on_progress is not None and messages:
            run.on_progress(report)
    elif run.outcomes:
        run.commit()
    return messages


def _send_batch(
    run: _Sender,
    batch: Sequence[_Work],
    messages: dict[int, tuple[PreparedMessage, dict[str, Any]]],
    connection: MailConnection,
) -> bool:
    """Send the batch's messages, one claimed row at a time; False to stop the run."""
    report = run.report
    connection_failures = 0
    for index, (message, counts) in sorted(messages.items()):
        work = batch[index]
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
                values = _retry_values(attempts, reason, run.now)
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
