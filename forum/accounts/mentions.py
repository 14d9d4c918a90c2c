"""Who a member may mention: the suggestions offered while typing `@` in a post.

The members suggested are those a mention reaches (`forum.discussions.writes` links and
notifies handles of members who are not suspended) and whose page every reader may see
(`service.can_see_member`): nobody is suggested whom a mention would not find.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import Membership, User
from forum.accounts.service import can_see_member

SUGGESTIONS = 8
MAX_PREFIX = 40


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def suggest(db: Session, typed: str, *, limit: int = SUGGESTIONS) -> list[User]:
    """Members whose handle, name or a word of their name starts with `typed`, handles
    first, then by name; at most `limit`. Nothing for an empty or overlong prefix."""
    typed = typed.strip().lstrip("@").casefold()
    if not typed or len(typed) > MAX_PREFIX:
        return []
    prefix = _like_prefix(typed)
    name = func.lower(User.name)
    starts_handle = User.handle.like(prefix, escape="\\")
    candidates = db.scalars(
        select(User)
        .where(
            User.handle.is_not(None),
            User.suspended_at.is_(None),
            or_(
                starts_handle,
                name.like(prefix, escape="\\"),
                name.like("% " + prefix, escape="\\"),
                name.like("%-" + prefix, escape="\\"),
            ),
        )
        .order_by(starts_handle.desc(), User.name, User.id)
        .limit(limit * 2)
        .options(selectinload(User.membership).selectinload(Membership.partnership))
    )
    return [user for user in candidates if can_see_member(user)][:limit]
