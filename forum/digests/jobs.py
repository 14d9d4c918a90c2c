"""The digests' periodic task: plan who is due, then send what is pending."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.core.db import transaction, utcnow
from forum.core.jobs import JobContext, registry
from forum.digests.planner import due_members
from forum.digests.sender import send_pending


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
