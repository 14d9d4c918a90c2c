"""The demo records the weeks its members were seen: exactly those they took part in (wrote
a post or an intelligence item, marked an event going)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import MemberActivity, User
from forum.core.config import Settings
from forum.core.weeks import monday_of
from forum.discussions.models import Post
from forum.events.models import Attendance
from forum.intelligence.models import IntelItem
from forum.plugins import demo_parts


def test_each_demo_member_is_seen_in_the_weeks_they_took_part_in_and_no_other(
    demo_db: Session, settings: Settings
) -> None:
    recorded = {
        (a, w) for a, w in demo_db.execute(select(MemberActivity.user_id, MemberActivity.week))
    }
    assert recorded, "a fresh demo counts active members"
    written = {
        (a, monday_of(t)) for a, t in demo_db.execute(select(Post.author_id, Post.created_at))
    }
    written |= {
        (a, monday_of(t))
        for a, t in demo_db.execute(
            select(IntelItem.author_id, IntelItem.added_at).where(IntelItem.feed_id.is_(None))
        )
        if a is not None
    }
    going = {
        (u if u is not None else m, monday_of(t))
        for u, m, t in demo_db.execute(
            select(Attendance.user_id, Attendance.marked_by_id, Attendance.marked_at).where(
                Attendance.status == "going"
            )
        )
    }
    assert going, "the demo marks events going"
    written |= going
    demo = set(demo_db.scalars(select(User.id).where(User.email.like("demo+%@example.invalid"))))
    assert recorded == {(a, w) for a, w in written if a in demo}

    member = demo_db.scalars(select(User).where(User.id.in_({a for a, _ in recorded}))).first()
    assert member is not None and member.last_seen_at is not None
    assert monday_of(member.last_seen_at) == max(w for a, w in recorded if a == member.id)

    (part,) = [p for p in demo_parts() if p.name == "activity"]
    part.load(demo_db, settings)
    demo_db.flush()
    again = {
        (a, w) for a, w in demo_db.execute(select(MemberActivity.user_id, MemberActivity.week))
    }
    assert again == recorded
