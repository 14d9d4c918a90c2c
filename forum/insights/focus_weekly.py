"""Weekly rollups by focus: a closed week's content per country and per sector it is
tagged with, and the discussions still unanswered, counted once by the job.

A focus of one country or one sector reads its closed weeks from `analytics_focus_week`
(keyed "country:JP", "sector:<id>"; "" is the whole forum), as `weekly.figures` reads
`analytics_week`: a week wholly inside the period from its stored rows, a week the period
cuts with more days inside than outside from its stored rows less the live count of the
days outside, every other week counted live (`live`, the focused count of
`forum.insights.analytics`). A focus of several countries (a region group) or of a
country and a sector is counted live: a thread tagged with two of its countries counts
once, which per-tag weeks cannot tell. Every figure here is additive (content, not
people). The triggers of migration 0028 delete a stored week as soon as a row it counts,
or one of its tags, changes, so a stored figure is always the live count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from forum.insights.models import AnalyticsFocusWeek
from forum.insights.weekly import cut_weeks, moment, runs, split

# (db, start, end) -> focus key -> figure -> Monday -> count, for every key at once
Grouped = Callable[[Session, dt.datetime, dt.datetime], dict[str, dict[str, dict[dt.date, int]]]]
# (db, start, end) -> figure -> Monday -> count, for one focus
Live = Callable[[Session, dt.datetime, dt.datetime], dict[str, dict[dt.date, int]]]
MARKER = ""  # focus and figure of the row that says a (source, week) is stored
WHOLE = ""  # the focus key of the whole forum


@dataclass(frozen=True)
class FocusRollup:
    source: str  # what the triggers of migration 0028 call it
    figures: tuple[str, ...]
    grouped: Grouped


FOCUS_ROLLUPS: dict[str, FocusRollup] = {}


def focus_rollup(source: str, figures: tuple[str, ...]) -> Callable[[Grouped], Grouped]:
    """Register `grouped` as the count of `figures` of `source` for every focus key."""

    def register(grouped: Grouped) -> Grouped:
        FOCUS_ROLLUPS[source] = FocusRollup(source, figures, grouped)
        return grouped

    return register


def country_key(code: str) -> str:
    return f"country:{code}"


def sector_key(sector_id: int) -> str:
    return f"sector:{sector_id}"


def focus_figures(
    db: Session,
    source: str,
    figures: tuple[str, ...],
    key: str,
    first: dt.date,
    last: dt.date,
    live: Live,
    today: dt.date | None = None,
) -> dict[str, dict[dt.date, int]]:
    """`figures` of `source` for the focus `key` per week (by Monday), for the days
    `first` to `last`: stored weeks from the rollup, the rest counted by `live`. With no
    `figures` named, those found (the sources of intelligence: one figure per feed)."""
    weeks, closed = split(first, last, today)
    cut = cut_weeks(first, last, today)
    wanted = sorted({*closed, *cut})
    out: dict[str, dict[dt.date, int]] = {figure: {} for figure in figures}
    stored: set[dt.date] = set()
    if wanted:
        in_range = (
            AnalyticsFocusWeek.source == source,
            AnalyticsFocusWeek.week >= wanted[0],
            AnalyticsFocusWeek.week <= wanted[-1],
        )
        marked = set(
            db.scalars(
                select(AnalyticsFocusWeek.week).where(
                    *in_range,
                    AnalyticsFocusWeek.focus == MARKER,
                    AnalyticsFocusWeek.figure == MARKER,
                )
            )
        )
        stored = marked & set(wanted)
        for week in stored:
            for figure in figures:
                out[figure][week] = 0
        for week, figure, value in db.execute(
            select(
                AnalyticsFocusWeek.week, AnalyticsFocusWeek.figure, AnalyticsFocusWeek.value
            ).where(*in_range, AnalyticsFocusWeek.focus == key)
        ):
            if week in stored and figure != MARKER and (figure in out or not figures):
                out.setdefault(figure, {})[week] = value
        for week in stored & set(cut):
            for low, high in cut[week]:
                for figure, counts in live(db, low, high).items():
                    found = out.setdefault(figure, {})
                    found[week] = found.get(week, 0) - counts.get(week, 0)
    start, end = moment(first), moment(last + dt.timedelta(days=1))
    for run in runs([w for w in weeks if w not in stored]):
        low = max(start, moment(run[0]))
        high = min(end, moment(run[-1] + dt.timedelta(weeks=1)))
        for figure, counts in live(db, low, high).items():
            out.setdefault(figure, {}).update(counts)
    return out


def roll_up(db: Session, closed: list[dt.date]) -> int:
    """Store every focus's figures of each week of `closed` (Mondays) a source has not
    stored: a marker row per week, a row per non-zero figure. Answers how many (source,
    week) pairs it stored."""
    done = 0
    for source, roll in FOCUS_ROLLUPS.items():
        stored = set(
            db.scalars(
                select(AnalyticsFocusWeek.week).where(
                    AnalyticsFocusWeek.source == source,
                    AnalyticsFocusWeek.focus == MARKER,
                    AnalyticsFocusWeek.figure == MARKER,
                    AnalyticsFocusWeek.week.in_(closed),
                )
            )
        )
        for run in runs([week for week in closed if week not in stored]):
            counted = roll.grouped(db, moment(run[0]), moment(run[-1] + dt.timedelta(weeks=1)))
            rows = [
                {"source": source, "focus": MARKER, "week": w, "figure": MARKER, "value": 0}
                for w in run
            ]
            rows += [
                {"source": source, "focus": key, "week": week, "figure": figure, "value": n}
                for key, by_figure in counted.items()
                for figure, by_week in by_figure.items()
                for week, n in by_week.items()
                if n and week in run
            ]
            db.execute(insert(AnalyticsFocusWeek), rows)
            done += len(run)
    return done
