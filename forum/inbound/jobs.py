"""Background work of inbound mail: the inbox folder, and pruning what it keeps."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from forum.core.jobs import JobContext, registry
from forum.inbound.inbox import process_inbox, prune


@registry.periodic("inbound-inbox", every=dt.timedelta(seconds=5))
def read_inbox(session: Session, ctx: JobContext) -> None:
    outcomes = process_inbox(ctx.session_factory, ctx.settings, holder=ctx.holder)
    if outcomes:
        ctx.log.info("inbox: %s messages", len(outcomes))


@registry.periodic("inbound-prune", every=dt.timedelta(hours=6))
def prune_inbox(session: Session, ctx: JobContext) -> None:
    removed = prune(ctx.settings)
    if removed:
        ctx.log.info("inbox: pruned %s old messages", removed)
