"""The insights' part of a member's download and erasure: the weeks they took part.

`member_taking_part_week` (migration 0030) is the union of the weeks of the member's
posts, items and going marks (`discussions.posting_weeks`, `intelligence.item_weeks`,
`events.going_weeks`), kept equal to them by triggers. The download holds it as
`insights.taking_part_weeks`; on erasure it follows those records, in the same
transaction: the weeks of the posts and items kept under the "Former member" stay, the
others go with their posts, items and marks. Nothing is left to delete here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.privacy import register_eraser, register_exporter
from forum.insights.models import TakingPartWeek


def export_insights(db: Session, user: User) -> dict[str, Any]:
    """The Mondays of the weeks the member took part (the analytics' members taking part)."""
    weeks = db.scalars(
        select(TakingPartWeek.week)
        .where(TakingPartWeek.user_id == user.id)
        .order_by(TakingPartWeek.week)
    )
    return {"taking_part_weeks": [{"week": week} for week in weeks]}


def erase_insights(db: Session, user: User, *, keep_content: bool) -> bool:
    """The triggers have done it (the content's erasers run first): answers whether weeks
    of the content kept still point at the user row."""
    db.flush()
    return (
        db.scalar(select(TakingPartWeek.week).where(TakingPartWeek.user_id == user.id).limit(1))
        is not None
    )


def register() -> None:
    """Add the insights to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter(
        "insights",
        export_insights,
        covers={"member_taking_part_week.user_id": "taking_part_weeks"},
    )
    register_eraser(
        "insights",
        erase_insights,
        keeps={"member_taking_part_week.user_id"},  # the weeks of the posts and items kept
    )
