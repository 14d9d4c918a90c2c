"""Retention: what accounts keep only for a while (docs/privacy, the privacy page)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from forum.accounts import activity, sessions, throttle
from forum.accounts.models import EmailToken
from forum.accounts.password_changes import send_password_reset
from forum.core.db import utcnow
from forum.core.jobs import JobContext, registry

OUTBOX_RETENTION = dt.timedelta(days=30)
EMAIL_TOKEN_RETENTION = dt.timedelta(days=30)


@registry.periodic("accounts-retention", every=dt.timedelta(hours=1))
def prune_account_records(session: Session, ctx: JobContext) -> None:
    """Delete expired sessions, old throttle counters, old email tokens and .eml files."""
    ended = sessions.prune_sessions(session)
    counters = throttle.prune(session)
    tokens = session.execute(
        delete(EmailToken).where(EmailToken.expires_at < utcnow() - EMAIL_TOKEN_RETENTION)
    ).rowcount  # type: ignore[attr-defined]
    files = 0
    outbox = ctx.settings.outbox_dir
    if outbox.is_dir():
        cutoff = time.time() - OUTBOX_RETENTION.total_seconds()
        for path in outbox.glob("*.eml"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                files += 1
    if ended or counters or tokens or files:
        ctx.log.info(
            "retention: %d sessions, %d throttle counters, %d email tokens, %d outbox files",
            ended,
            counters,
            tokens,
            files,
        )


@registry.periodic("member-activity-prune", every=dt.timedelta(hours=6))
def prune_member_activity(session: Session, ctx: JobContext) -> None:
    """Delete the weekly activity rows older than 13 months (accounts.activity)."""
    removed = activity.prune_activity(session)
    if removed:
        ctx.log.info("member activity: deleted %s weeks older than 13 months", removed)


@registry.job("password-reset")
def password_reset(session: Session, payload: dict[str, Any], ctx: JobContext) -> None:
    """Mail a reset link if the address has an account (see service.request_password_reset)."""
    sent = send_password_reset(session, ctx.settings, payload["email"])
    ctx.log.info("password reset request: %s", "link queued" if sent else "no such account")
