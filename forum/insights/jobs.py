"""The analytics rollup job: the figures of every closed week, counted once and stored.

Every hour the worker rolls up each source of `weekly.ROLLUPS` for the closed weeks (the
last HORIZON_WEEKS of them) that have no stored row: the figures are the live counts of
that week, zeros included, so a stored week is a complete one. A row inserted, changed or
deleted in a closed week deletes that week's stored figures of its table (the triggers of
migration 0024), and the next run counts the week again; until then the page counts it
live. The figures shown are therefore always the live counts. The same run stores the
weeks by focus (`focus_weekly`: content per country and sector, unanswered discussions,
intelligence per feed), kept true by migration 0028's triggers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.core.jobs import JobContext, registry
from forum.core.weeks import monday_of
from forum.insights import analytics as _analytics
from forum.insights import analytics_email as _analytics_email
from forum.insights import analytics_ranked as ranked
from forum.insights import analytics_searches as _analytics_searches
from forum.insights import analytics_tagged as _analytics_tagged
from forum.insights import analytics_taking_part as _analytics_taking_part
from forum.insights import focus_weekly
from forum.insights.models import AnalyticsWeek
from forum.insights.weekly import ROLLUPS, moment, runs

HORIZON_WEEKS = 106  # two years: the longest period the page offers (analytics.LONGEST)
# They register ROLLUPS and FOCUS_ROLLUPS.
FIGURE_MODULES = (
    _analytics,
    _analytics_email,
    _analytics_searches,
    _analytics_tagged,
    _analytics_taking_part,
)


def roll_up(db: Session, *, now: dt.datetime | None = None) -> int:
    """Store the figures, the ranked tables and the figures by focus of each closed week
    not stored yet; answers how many (source, week) pairs it stored."""
    this_monday = monday_of((now or utcnow()).date())
    first = this_monday - dt.timedelta(weeks=HORIZON_WEEKS)
    closed = [first + dt.timedelta(weeks=n) for n in range(HORIZON_WEEKS)]
    done = 0
    for source, roll in ROLLUPS.items():
        kept: dict[dt.date, set[str]] = {}
        for week, figure in db.execute(
            select(AnalyticsWeek.week, AnalyticsWeek.figure).where(
                AnalyticsWeek.source == source, AnalyticsWeek.week >= first
            )
        ):
            kept.setdefault(week, set()).add(figure)
        # A week stored before a figure was added to its source is counted again, whole.
        stored = {week for week, figures in kept.items() if figures >= set(roll.figures)}
        partial = sorted(set(kept) - stored)
        if partial:
            db.execute(
                delete(AnalyticsWeek).where(
                    AnalyticsWeek.source == source, AnalyticsWeek.week.in_(partial)
                )
            )
        for run in runs([week for week in closed if week not in stored]):
            counts = roll.live(db, moment(run[0]), moment(run[-1] + dt.timedelta(weeks=1)))
            db.execute(
                insert(AnalyticsWeek),
                [
                    {
                        "source": source,
                        "week": week,
                        "figure": figure,
                        "value": counts[figure].get(week, 0),
                    }
                    for week in run
                    for figure in roll.figures
                ],
            )
            done += len(run)
    return done + ranked.roll_up(db, closed) + focus_weekly.roll_up(db, closed)


@registry.periodic("analytics-rollup", every=dt.timedelta(hours=1))
def roll_up_weeks(db: Session, ctx: JobContext) -> None:
    rolled = roll_up(db)
    if rolled:
        ctx.log.info("analytics: %s weeks rolled up", rolled)
