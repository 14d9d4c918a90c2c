"""Counting by week in the database: the week bucket of a timestamp on SQLite and on
PostgreSQL, the counts the analytics make of it (rows; rows split by a condition), and
the weekly rollups.

Weeks run Monday to Sunday, in UTC. On SQLite a timestamp is stored as UTC text
("2026-12-07 09:30:00.000000"), so its day is its first ten characters; on PostgreSQL a
timestamptz is first turned to UTC, whatever the session's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

from forum.core.db import utcnow
from forum.core.weeks import monday_of
from forum.insights.models import AnalyticsWeek


class week_of(FunctionElement[str]):
    """The Monday (UTC) of a timestamp's week, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


@compiles(week_of, "sqlite")
def _week_sqlite(element: week_of, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    # date(x, '-6 days', 'weekday 1'): back six days, then on to the next Monday (or stay).
    return f"date(substr({compiler.process(column, **kw)}, 1, 10), '-6 days', 'weekday 1')"


@compiles(week_of, "postgresql")
def _week_postgresql(element: week_of, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    utc = f"timezone('UTC', {compiler.process(column, **kw)})"
    return f"to_char(date_trunc('week', {utc}), 'YYYY-MM-DD')"


class week_known(FunctionElement[str]):
    """`week_of(column)` where every row counted is known to fall in one week, whose
    Monday is the second clause (a constant): SQLite writes the constant rather than
    work out each row's week (five times faster over a day of rows); PostgreSQL, which
    refuses a constant in GROUP BY and finds weeks cheaply, works it out as before."""

    type = String()
    inherit_cache = True


@compiles(week_known, "sqlite")
def _week_known_sqlite(element: week_known, compiler: Any, **kw: Any) -> str:
    _, monday = element.clauses
    return str(compiler.process(monday, **kw))


@compiles(week_known, "postgresql")
def _week_known_postgresql(element: week_known, compiler: Any, **kw: Any) -> str:
    column, _ = element.clauses
    return str(compiler.process(week_of(column), **kw))


def week_in(column: Any, start: dt.datetime, end: dt.datetime) -> FunctionElement[str]:
    """The week (its Monday, 'YYYY-MM-DD') of `column` for the rows whose `column` falls in
    [start, end): `week_of(column)`, or when the range lies within one week (a day, the
    days a period cuts off a week, the current week), that week written once."""
    first = monday_of(start)
    last = monday_of(end - dt.timedelta(microseconds=1))
    if first != last:
        return week_of(column)
    return week_known(column, literal_column(f"'{first.isoformat()}'", String()))


def as_monday(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def count_weeks(
    db: Session, column: Any, start: dt.datetime, end: dt.datetime, *where: Any
) -> dict[dt.date, int]:
    """Rows whose `column` falls in [start, end), per week."""
    week = week_in(column, start, end)
    rows = db.execute(
        select(week, func.count()).where(column >= start, column < end, *where).group_by(week)
    )
    return {as_monday(w): int(n) for w, n in rows}


def count_weeks_split(
    db: Session,
    column: Any,
    start: dt.datetime,
    end: dt.datetime,
    condition: ColumnElement[bool],
    *where: Any,
) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """Rows whose `column` falls in [start, end), per week, in one pass: those meeting
    `condition`, and the others."""
    week = week_in(column, start, end)
    meets = case((condition, 1), else_=0)
    yes: dict[dt.date, int] = {}
    no: dict[dt.date, int] = {}
    rows = db.execute(
        select(week, meets, func.count())
        .where(column >= start, column < end, *where)
        .group_by(week, meets)
    )
    for w, met, n in rows:
        (yes if met else no)[as_monday(w)] = int(n)
    return yes, no


# The rollups: a source table's figures per week, counted live by `live(db, start, end)`
# (each figure's count per week for the rows in [start, end)), stored for closed weeks by
# the job in forum.insights.rollups and read back by `figures`.
Live = Callable[[Session, dt.datetime, dt.datetime], dict[str, dict[dt.date, int]]]


@dataclass(frozen=True)
class Rollup:
    source: str  # the table whose rows are counted; migration 0024's triggers watch it
    figures: tuple[str, ...]
    live: Live
    additive: bool  # a week's figure is the sum of its days' (not so: distinct people)


ROLLUPS: dict[str, Rollup] = {}


def rollup(
    source: str, figures: tuple[str, ...], *, additive: bool = True
) -> Callable[[Live], Live]:
    """Register `live` as the count of `figures` from `source`, to be rolled up weekly."""

    def register(live: Live) -> Live:
        ROLLUPS[source] = Rollup(source, figures, live, additive)
        return live

    return register


def moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def runs(weeks: list[dt.date]) -> list[list[dt.date]]:
    """Mondays (sorted) cut into runs of consecutive weeks."""
    out: list[list[dt.date]] = []
    for week in weeks:
        if out and week - out[-1][-1] == dt.timedelta(weeks=1):
            out[-1].append(week)
        else:
            out.append([week])
    return out


def split(
    first: dt.date, last: dt.date, today: dt.date | None = None
) -> tuple[list[dt.date], list[dt.date]]:
    """The Mondays of the weeks the days `first` to `last` touch, and of those the weeks
    wholly inside them and closed (ended before `today`'s week): the ones a rollup may
    answer for."""
    this_monday = monday_of(today or utcnow().date())
    weeks = []
    week = monday_of(first)
    while week <= last:
        weeks.append(week)
        week += dt.timedelta(weeks=1)
    closed = [
        w for w in weeks if w >= first and w + dt.timedelta(days=6) <= last and w < this_monday
    ]
    return weeks, closed


def cut_weeks(
    first: dt.date, last: dt.date, today: dt.date | None = None
) -> dict[dt.date, list[tuple[dt.datetime, dt.datetime]]]:
    """The closed weeks the days `first` to `last` cut (a period starting on a Tuesday)
    with fewer days outside them than inside: Monday -> the [start, end) ranges outside.
    Such a week's sum is its stored figure less the live count of those few days."""
    this_monday = monday_of(today or utcnow().date())
    out = {}
    for week in {monday_of(first), monday_of(last)}:
        low = max(week, first)
        high = min(week + dt.timedelta(weeks=1), last + dt.timedelta(days=1))
        inside = (high - low).days
        if week >= this_monday or not 3 < inside < 7:
            continue
        outside = []
        if low > week:
            outside.append((moment(week), moment(low)))
        if high < week + dt.timedelta(weeks=1):
            outside.append((moment(high), moment(week + dt.timedelta(weeks=1))))
        out[week] = outside
    return out


# One request's figures already counted: (source, first, last) -> figure -> week -> count.
# Sections of one page share a source (posts: replies, posts on the web); made per
# request, never kept between requests.
Counted = dict[tuple[str, dt.date, dt.date], dict[str, dict[dt.date, int]]]


def figures(
    db: Session,
    source: str,
    first: dt.date,
    last: dt.date,
    today: dt.date | None = None,
    *,
    counted: Counted | None = None,
) -> dict[str, dict[dt.date, int]]:
    """The figures of `source` per week (by Monday) for the days `first` to `last`: a
    week wholly inside them and closed (ended before `today`'s week) from the rollup when
    the job has stored it, a closed week mostly inside them from the rollup less the live
    count of its days outside, every other week counted live, its part inside only. With
    `counted`, a source counted already for these days is not counted again."""
    if counted is not None:
        key = (source, first, last)
        if key not in counted:
            counted[key] = figures(db, source, first, last, today)
        return counted[key]
    roll = ROLLUPS[source]
    weeks, closed = split(first, last, today)
    cut = cut_weeks(first, last, today) if roll.additive else {}
    wanted = sorted({*closed, *cut})
    out: dict[str, dict[dt.date, int]] = {figure: {} for figure in roll.figures}
    stored: set[dt.date] = set()
    found: dict[dt.date, dict[str, int]] = {}
    if wanted:
        for week, figure, value in db.execute(
            select(AnalyticsWeek.week, AnalyticsWeek.figure, AnalyticsWeek.value).where(
                AnalyticsWeek.source == source,
                AnalyticsWeek.week >= wanted[0],
                AnalyticsWeek.week <= wanted[-1],
            )
        ):
            found.setdefault(week, {})[figure] = value
    for week in wanted:
        values = found.get(week, {})
        if not set(values) >= set(roll.figures):
            continue  # not stored (yet, or no longer): counted live below
        stored.add(week)
        for figure in roll.figures:
            out[figure][week] = values[figure]
        for low, high in cut.get(week, []):
            for figure, counts in roll.live(db, low, high).items():
                out[figure][week] -= counts.get(week, 0)
    start, end = moment(first), moment(last + dt.timedelta(days=1))
    for run in runs([w for w in weeks if w not in stored]):
        low = max(start, moment(run[0]))
        high = min(end, moment(run[-1] + dt.timedelta(weeks=1)))
        for figure, counts in roll.live(db, low, high).items():
            out[figure].update(counts)
    return out
