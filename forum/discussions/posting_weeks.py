"""The weeks each member wrote a post (`PostingWeek`, table `member_posting_week`), for the
count of members taking part on /admin/analytics with a country or a sector chosen.

One row per author and week (its Monday, UTC) in which they wrote at least one post, a
reply or a thread's opening post, in any state it is in now (hidden and deleted posts
count, as they do in the live count of distinct authors). No code writes it: the triggers
of migration 0029 on `post` add and remove rows as posts are inserted, deleted or change
author or time (an erasure that blanks the content sets the author to NULL), in the same
transaction, so the rows always equal the posts. Kept as long as the posts are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from forum.discussions.models import PostingWeek


def posting_by_week(
    db: Session, first: dt.date, last: dt.date, *where: ColumnElement[bool]
) -> dict[dt.date, int]:
    """Members who wrote a post in each week from the Monday `first` to the Monday `last`,
    `where` narrowing them (conditions on `PostingWeek.user_id`)."""
    rows = db.execute(
        select(PostingWeek.week, func.count())
        .where(PostingWeek.week >= first, PostingWeek.week <= last, *where)
        .group_by(PostingWeek.week)
    )
    return {week: int(count) for week, count in rows}


def export_posting_weeks(db: Session, user_id: int) -> list[dict[str, Any]]:
    """The Mondays of the weeks the member wrote a post, oldest first."""
    weeks = db.scalars(
        select(PostingWeek.week).where(PostingWeek.user_id == user_id).order_by(PostingWeek.week)
    )
    return [{"week": week} for week in weeks]
