"""The digests' periodic task (plan who is due, then send what is pending) and the
takeover of a run whose sender died."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.core.db import transaction, utcnow
from forum.core.jobs import JobContext, WorkerLease, registry, release_lease
from forum.digests.deliveries import SENDER_LEASE, select_work, sender_lease_left
from forum.digests.planner import due_members
from forum.digests.sender import ANOTHER_SENDER, send_pending


@registry.periodic("send-due-digests", every=dt.timedelta(minutes=5))
def send_due_digests(session: Session, ctx: JobContext) -> None:
    """Plan, commit, then send: a row exists before its message can go."""
    now = utcnow()
    with transaction(ctx.session_factory) as db:
        planned = due_members(db, now, settings=ctx.settings)
    report = send_pending(ctx.session_factory, ctx.settings, now=now)
    if planned or report.total or report.stopped:
        ctx.log.info(
            "digests: %d planned; %d sent, %d skipped, %d failed, %d retried later, "
            "%d resent after a crash%s",
            len(planned),
            report.sent,
            report.skipped,
            report.failed,
            report.retried,
            report.resent,
            f"; stopped: {report.stopped}" if report.stopped else "",
        )


@registry.takeover("resume-digest-run")
def resume_interrupted_run(ctx: JobContext) -> bool:
    """Finish the run of a sender that died holding its lease, within one lease period
    (every runner pass looks), instead of at the next `send-due-digests` occurrence."""
    factory = ctx.session_factory
    with factory() as db:
        if not sender_lease_left(db):
            db.rollback()
            return False
        lease = db.get(WorkerLease, SENDER_LEASE)
        work = select_work(db, utcnow(), limit=1, user_ids=None)
        if not work and lease is not None:
            # Nothing left to send: clear the dead sender's lease so no pass looks again.
            release_lease(db, name=SENDER_LEASE, holder=lease.holder)
            db.commit()
            return False
        db.rollback()
    report = send_pending(factory, ctx.settings)
    if report.stopped == ANOTHER_SENDER:
        return False  # another runner took it over first
    ctx.log.warning(
        "digests: took over the run of a sender that died: %d sent, %d skipped, %d failed, "
        "%d resent after the crash%s",
        report.sent,
        report.skipped,
        report.failed,
        report.resent,
        f"; stopped: {report.stopped}" if report.stopped else "",
    )
    return True
