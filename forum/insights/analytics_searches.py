"""The searches section of /admin/analytics: what people look for and do not find.

From the search log (`discovery.models.SearchLogEntry`): how many searches each week and
how many found nothing, the most frequent queries, the filters used, and the queries that
found nothing by country filter.

The log holds no member id (docs/search.md, "The search log"); these are counts of
searches, not of people.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from forum.discovery.models import SearchLogEntry
from forum.insights import analytics_ranked as ranked
from forum.insights.analytics import Focus, Period
from forum.insights.weekly import as_monday, figures, rollup, week_in

TOP = 20  # rows in each ranked table


@dataclass(frozen=True)
class SearchWeek:
    week: dt.date
    searches: int
    without_result: int
    signed_in: int


SEARCH_FIGURES = ("searches", "without_result", "signed_in")


@dataclass(frozen=True)
class QueryCount:
    text: str  # normalised; "" for a search by filters only
    countries: str  # the country filter as logged ("JP,g:asean"), "" for none
    searches: int
    without_result: int


@rollup("search_log", SEARCH_FIGURES)
def _searches_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    week = week_in(SearchLogEntry.logged_at, start, end)
    found = db.execute(
        select(
            week,
            func.count(),
            func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0)),
            func.sum(case((SearchLogEntry.signed_in, 1), else_=0)),
        )
        .where(SearchLogEntry.logged_at >= start, SearchLogEntry.logged_at < end)
        .group_by(week)
    ).all()
    return {
        figure: {as_monday(row[0]): int(row[n + 1] or 0) for row in found}
        for n, figure in enumerate(SEARCH_FIGURES)
    }


def _focused(focus: Focus | None) -> bool:
    return bool(focus and (focus.countries or focus.sectors))


def _in_period(db: Session, period: Period, focus: Focus | None) -> list[ColumnElement[bool]]:
    """In the period, and with a focus, filtered by one of its countries and sectors."""
    start, end = period.bounds()
    in_focus = focus.searches(db) if focus else []
    return [SearchLogEntry.logged_at >= start, SearchLogEntry.logged_at < end, *in_focus]


def weeks(db: Session, period: Period, focus: Focus | None = None) -> list[SearchWeek]:
    """Counted in the database; without a focus, closed weeks read from the weekly rollup
    when stored; with one, every week counted live over the searches it keeps."""
    if not _focused(focus):
        found = figures(db, "search_log", period.start, period.end)
    else:
        week = week_in(SearchLogEntry.logged_at, *period.bounds())
        rows = db.execute(
            select(
                week,
                func.count(),
                func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0)),
                func.sum(case((SearchLogEntry.signed_in, 1), else_=0)),
            )
            .where(*_in_period(db, period, focus))
            .group_by(week)
        ).all()
        found = {
            figure: {as_monday(row[0]): int(row[n + 1] or 0) for row in rows}
            for n, figure in enumerate(SEARCH_FIGURES)
        }
    return [SearchWeek(w, *(found[f].get(w, 0) for f in SEARCH_FIGURES)) for w in period.weeks]


def top_queries(
    db: Session, period: Period, *, without_result: bool = False, focus: Focus | None = None
) -> list[QueryCount]:
    """The most frequent (query, country filter) pairs, ties by text then filter; with
    `without_result`, only the searches that found nothing (what members look for and the
    forum lacks). Exact: without a focus from the weekly rollups where stored
    (`analytics_ranked`), with one counted live over the searches it keeps."""
    if not _focused(focus):
        found = ranked.top_pairs(db, period.start, period.end, empty=without_result, top=TOP)
        return [QueryCount(r.text, r.countries, r.searches, r.without_result) for r in found]
    nothing = func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0))
    searches = func.count(SearchLogEntry.id)
    query = (
        select(SearchLogEntry.text, SearchLogEntry.countries, searches, nothing)
        .where(*_in_period(db, period, focus))
        .group_by(SearchLogEntry.text, SearchLogEntry.countries)
        .order_by(searches.desc(), SearchLogEntry.text, SearchLogEntry.countries)
        .limit(TOP)
    )
    if without_result:
        query = query.where(SearchLogEntry.result_count == 0)
    return [QueryCount(t, c, int(n), int(z or 0)) for t, c, n, z in db.execute(query)]


def top_filters(
    db: Session, period: Period, focus: Focus | None = None
) -> list[tuple[str, str, int]]:
    """(kind of filter, value, searches) for the country and sector filters used, most
    used first (ties by kind, then value): a search filtered by two countries counts for
    each."""
    if not _focused(focus):
        found = ranked.top_filters(db, period.start, period.end, top=TOP)
        return [(r.text, r.countries, r.searches) for r in found]
    used: Counter[tuple[str, str]] = Counter()
    rows = db.execute(  # the filter values are few: counted by pair of values, then split
        select(SearchLogEntry.countries, SearchLogEntry.sectors, func.count())
        .where(
            *_in_period(db, period, focus),
            (SearchLogEntry.countries != "") | (SearchLogEntry.sectors != ""),
        )
        .group_by(SearchLogEntry.countries, SearchLogEntry.sectors)
    )
    for countries, sectors, n in rows:
        for kind, values in (("country", countries), ("sector", sectors)):
            for value in values.split(","):
                if value:
                    used[kind, value] += n
    ordered = sorted(used.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(kind, value, n) for (kind, value), n in ordered[:TOP]]
