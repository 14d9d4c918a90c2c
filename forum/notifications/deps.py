"""The header's notification count, for pages (an app-wide dependency after load_user)."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from forum.core.web import DbSession
from forum.notifications.service import unread_count


async def load_unread(request: Request, db: DbSession) -> None:
    """Put the signed-in member's unread count on request.state: one COUNT per page, for
    signed-in members only (on a thread; async, so that nobody else costs a thread hop)."""
    user = getattr(request.state, "user", None)
    request.state.unread = 0 if user is None else await run_in_threadpool(unread_count, db, user.id)
