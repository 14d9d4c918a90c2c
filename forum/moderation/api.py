"""JSON routes for flags: report a post, a thread or a member's profile to the moderators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from forum.accounts.deps import ApiUser
from forum.accounts.models import User
from forum.core.web import AppSettings, DbSession, RowId
from forum.discussions.api import R401, R403, R404, Message
from forum.discussions.schemas import FlagAnyIn, FlagIn, FlagOut
from forum.moderation import flags as moderation

router = APIRouter(tags=["discussions"])


_FLAG_RESPONSES: dict[int | str, dict[str, Any]] = {
    **R401,
    **R403,
    **R404,
    409: {"model": Message, "description": "You already have an open flag on it"},
}


def _flag(
    db: Session, settings: AppSettings, user: User, object_type: str, object_id: int, reason: str
) -> FlagOut:
    created = moderation.flag(
        db, user, object_type=object_type, object_id=object_id, reason=reason, settings=settings
    )
    db.commit()
    return FlagOut.of(created)


@router.post(
    "/posts/{post_id}/flags", response_model=FlagOut, status_code=201, responses=_FLAG_RESPONSES
)
def flag_post(
    post_id: RowId, data: FlagIn, db: DbSession, settings: AppSettings, user: ApiUser
) -> FlagOut:
    """Report a post to the moderators, saying what is wrong."""
    return _flag(db, settings, user, "post", post_id, data.reason)


@router.post(
    "/threads/{thread_id}/flags",
    response_model=FlagOut,
    status_code=201,
    responses=_FLAG_RESPONSES,
)
def flag_thread(
    thread_id: RowId, data: FlagIn, db: DbSession, settings: AppSettings, user: ApiUser
) -> FlagOut:
    """Report a thread to the moderators, saying what is wrong."""
    return _flag(db, settings, user, "thread", thread_id, data.reason)


@router.post("/flags", response_model=FlagOut, status_code=201, responses=_FLAG_RESPONSES)
def flag_anything(data: FlagAnyIn, db: DbSession, settings: AppSettings, user: ApiUser) -> FlagOut:
    """Report a post, thread or member profile (by user id) to the moderators."""
    return _flag(db, settings, user, data.object_type, data.object_id, data.reason)
