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
from forum.insights.analytics import Focus, Period

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


def _in_period(period: Period, focus: Focus | None) -> list[ColumnElement[bool]]:
    """In the period, and with a focus, filtered by one of its countries and sectors."""
    start, end = period.bounds()
    in_focus = focus.searches() if focus else []
    return [SearchLogEntry.logged_at >= start, SearchLogEntry.logged_at < end, *in_focus]


def weeks(db: Session, period: Period, focus: Focus | None = None) -> list[SearchWeek]:
    counts: dict[dt.date, list[int]] = {}
    rows = db.execute(
        select(
            SearchLogEntry.logged_at, SearchLogEntry.result_count, SearchLogEntry.signed_in
        ).where(*_in_period(period, focus))
    )
    for logged_at, result_count, signed_in in rows:
        moment = logged_at if logged_at.tzinfo else logged_at.replace(tzinfo=dt.UTC)
        day = moment.astimezone(dt.UTC).date()
        week = counts.setdefault(day - dt.timedelta(days=day.weekday()), [0, 0, 0])
        week[0] += 1
        week[1] += 1 if result_count == 0 else 0
        week[2] += 1 if signed_in else 0
    return [SearchWeek(w, *counts.get(w, [0, 0, 0])) for w in period.weeks]


def top_queries(
    db: Session, period: Period, *, without_result: bool = False, focus: Focus | None = None
) -> list[QueryCount]:
    """The most frequent (query, country filter) pairs; with `without_result`, only the
    searches that found nothing (what members look for and the forum lacks)."""
    nothing = func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0))
    searches = func.count(SearchLogEntry.id)
    query = (
        select(SearchLogEntry.text, SearchLogEntry.countries, searches, nothing)
        .where(*_in_period(period, focus))
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
    used first: a search filtered by two countries counts for each."""
    used: Counter[tuple[str, str]] = Counter()
    rows = db.execute(
        select(SearchLogEntry.countries, SearchLogEntry.sectors).where(
            *_in_period(period, focus),
            (SearchLogEntry.countries != "") | (SearchLogEntry.sectors != ""),
        )
    )
    for countries, sectors in rows:
        used.update(("country", c) for c in countries.split(",") if c)
        used.update(("sector", s) for s in sectors.split(",") if s)
    return [(kind, value, n) for (kind, value), n in used.most_common(TOP)]
