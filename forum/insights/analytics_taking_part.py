"""Members taking part, for /admin/analytics: in each week, the members who posted (a
thread's opening post or a reply, in any state it is in now), added an intelligence item
(one of the items "written by members": no feed; whatever its status) or marked an
event "going" (their own mark, or their partnership's that they set; the marks that say
"going" now, by the time they took that status, `Attendance.marked_at`).

Whole weeks are read from the record of the weeks each member did so
(`member_taking_part_week`, migration 0030: the union of `member_posting_week`,
`member_item_week` and `member_going_week`, which migration 0029's triggers keep equal to
the posts, items and marks); a week the period cuts (at most its first and its last) is
counted from the rows of its days inside the period. Without a
focus, closed weeks come from the weekly rollup (source "taking_part"), whose stored week
goes stale as soon as a record row of that week is added or removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, union_all
from sqlalchemy.orm import Session

from forum.discussions.models import Post
from forum.events.models import Attendance
from forum.insights.models import TakingPartWeek
from forum.insights.weekly import as_monday, moment, rollup, split, week_in
from forum.intelligence.models import IntelItem

# Conditions on a column of member ids narrowing who is counted (`Focus.members`).
Members = Callable[[Any], list[ColumnElement[bool]]]


def _everyone(user_id: Any) -> list[ColumnElement[bool]]:
    return []


def _sources() -> list[tuple[Any, Any, list[ColumnElement[bool]]]]:
    """Each kind of taking part: (the member a row counts for, its moment, the rows that
    count), the same rules as the records' triggers."""
    return [
        (Post.author_id, Post.created_at, []),
        (IntelItem.author_id, IntelItem.added_at, [IntelItem.feed_id.is_(None)]),
        (
            func.coalesce(Attendance.user_id, Attendance.marked_by_id),
            Attendance.marked_at,
            [Attendance.status == "going"],
        ),
    ]


def recorded(
    db: Session, first: dt.date, last: dt.date, members: Members = _everyone
) -> dict[dt.date, int]:
    """Members taking part in each week from the Monday `first` to the Monday `last`, from
    the record (one row per member and week: a plain count; with a focus, read by its
    primary key, member then week, for each member the focus keeps)."""
    record = TakingPartWeek
    found = db.execute(
        select(record.week, func.count())
        .where(record.week >= first, record.week <= last, *members(record.user_id))
        .group_by(record.week)
    )
    return {as_monday(week): int(n) for week, n in found}


def live(
    db: Session, start: dt.datetime, end: dt.datetime, members: Members = _everyone
) -> dict[dt.date, int]:
    """Members taking part per week, from the posts, items and marks in [start, end)."""
    return _people_per_week(
        db,
        (
            select(person.label("user_id"), week_in(column, start, end).label("week")).where(
                column >= start, column < end, person.is_not(None), *where, *members(person)
            )
            for person, column, where in _sources()
        ),
    )


def live_in_week(
    db: Session, start: dt.datetime, end: dt.datetime, members: Members = _everyone
) -> int:
    """Members taking part in [start, end), a part of one week: as `live`, without the
    week of each row (twice as fast over the six days a four weeks' period cuts). The
    focus's members are tested on the rows of those days, read by time (`+ 0`: no index
    by author serves the test), not found by a seek per member among their posts (a
    country's thousands of followers: six times slower)."""
    rows = union_all(
        *(
            select(person.label("user_id")).where(
                column >= start, column < end, person.is_not(None), *where, *members(person + 0)
            )
            for person, column, where in _sources()
        )
    ).subquery()
    return int(db.scalar(select(func.count(rows.c.user_id.distinct()))) or 0)


def _people_per_week(db: Session, parts: Iterable[Select[Any, Any]]) -> dict[dt.date, int]:
    """Distinct `user_id` per `week` over the union of `parts` (each selecting both)."""
    rows = union_all(*parts).subquery()
    found = db.execute(
        select(rows.c.week, func.count(rows.c.user_id.distinct())).group_by(rows.c.week)
    )
    return {as_monday(week): int(n) for week, n in found}


def taking_part(
    db: Session, first: dt.date, last: dt.date, members: Members = _everyone
) -> dict[dt.date, int]:
    """Members taking part in each week the days `first` to `last` touch, counting what
    they did on those days only: the weeks wholly inside them from the records (the
    current week too: the records hold it as it happens), the others live."""
    weeks, whole = split(first, last, dt.date.max)  # "closed" by then: every whole week
    out = recorded(db, whole[0], whole[-1], members) if whole else {}
    start, end = moment(first), moment(last + dt.timedelta(days=1))
    for week in weeks:
        if week not in whole:
            low, high = max(start, moment(week)), min(end, moment(week + dt.timedelta(weeks=1)))
            if n := live_in_week(db, low, high, members):
                out[week] = n
    return out


@rollup("taking_part", ("taking_part",), additive=False)  # distinct people
def _taking_part_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    # The rollups count from one midnight (UTC) to another.
    first = start.astimezone(dt.UTC).date()
    last = end.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return {"taking_part": taking_part(db, first, last)}
