"""Demo part: the weeks the demo members were seen, from what the demo has them do.

/admin/analytics counts a member as active in a week when they were seen signed in then
(`member_activity`, written as they use the site), and as taking part when they posted
(a thread or a reply), added an intelligence item or marked an event going that week
(`forum/insights/analytics_taking_part.py`: the demo's posts, items and marks count
there by themselves). The demo's members write threads, replies and intelligence items
dated over the last weeks, and mark events going when it loads, without signing in, so
on a fresh demo every "active" figure would be nil. A member who took part in a week was
signed in that week: this part records exactly those weeks, and moves a member's
`last_seen_at` to their latest when it is earlier or unset. Nothing else is assumed
(the report says nothing about who used the forum when). Idempotent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CompoundSelect

from forum.accounts.activity import record_weeks
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.weeks import monday_of
from forum.demo.discussions import DEMO_EMAIL
from forum.demo.registry import demo_part
from forum.discussions.models import Post
from forum.events.models import Attendance
from forum.intelligence.models import IntelItem


@demo_part("activity", order=55)
def load_activity(session: Session, settings: Settings) -> str:
    demo = select(User.id).where(User.email.like(DEMO_EMAIL.format("%")))
    going = func.coalesce(Attendance.user_id, Attendance.marked_by_id)  # own, or partnership's
    written: CompoundSelect[int | None, dt.datetime] = union_all(
        select(Post.author_id, Post.created_at).where(Post.author_id.in_(demo)),
        select(IntelItem.author_id, IntelItem.added_at).where(
            IntelItem.author_id.in_(demo), IntelItem.feed_id.is_(None)
        ),
        select(going, Attendance.marked_at).where(Attendance.status == "going", going.in_(demo)),
    )
    weeks: set[tuple[int, dt.date]] = set()
    latest: dict[int, dt.datetime] = {}
    for user_id, moment in session.execute(written):
        if user_id is None:  # not after the filter; says so to the type checker
            continue
        weeks.add((user_id, monday_of(moment)))
        if user_id not in latest or moment > latest[user_id]:
            latest[user_id] = moment
    record_weeks(session, sorted(weeks))
    for user in session.scalars(select(User).where(User.id.in_(latest))):
        moment = latest[user.id]
        if user.last_seen_at is None or user.last_seen_at < moment:
            user.last_seen_at = moment
    session.flush()
    return f"{len(weeks)} member-weeks seen, from what {len(latest)} demo members did"
