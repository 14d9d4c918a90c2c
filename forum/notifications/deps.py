"""The header's notification count, for pages (an app-wide dependency after load_user)."""

from __future__ import annotations

from fastapi import Request

from forum.core.web import DbSession
from forum.notifications.service import unread_count


def load_unread(request: Request, db: DbSession) -> None:
    """Put the signed-in member's unread count on request.state: one COUNT per page, for
    signed-in members only."""
    user = getattr(request.state, "user", None)
    request.state.unread = unread_count(db, user.id) if user is not None else 0
