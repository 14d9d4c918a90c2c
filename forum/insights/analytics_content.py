"""Intelligence by source and the unanswered discussions, for /admin/analytics.

By source: the intelligence items added in the period, per feed (by its name today) and
written by members (no feed), narrowed by the page's country and sector like the content
flow; the week-by-week split of members and harvested is the content flow's
(`analytics.content`). Unanswered: the threads `analytics.unanswered` counts, as a list.
Both count content, not people, so nothing is withheld when small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.core.csvsafe import neutralise_cell
from forum.core.pagination import Page
from forum.discussions.models import Thread
from forum.insights.analytics import Focus, Period, focus_key, of_key, unanswered_conditions
from forum.insights.analytics_tagged import MEMBERS, items_by_feed
from forum.insights.focus_weekly import focus_figures
from forum.intelligence.models import Feed, IntelItem

INTEL_FIGURES = ("items_by_members", "items_harvested")  # of analytics.ContentWeek
SOURCE_HEADER = ["source", "feed_id", "items"]
UNANSWERED_PER_PAGE = 25


@dataclass(frozen=True)
class SourceCount:
    feed_id: int | None  # None: written by members
    name: str  # the feed's name; "" for the items written by members
    items: int


def items_by_source(db: Session, period: Period, focus: Focus | None = None) -> list[SourceCount]:
    """Items added in the period per source, most first (ties by name), sources without
    any left out. An item whose feed was deleted since counts as written by members, as it
    does in the content flow (its `feed_id` is gone). Closed weeks from the rollups by
    focus (`focus_weekly`: the whole forum, one country, one sector) where stored."""
    focus = focus or Focus()
    key = focus_key(db, focus)
    if key is not None:  # the whole forum, one country, one sector: from the rollups
        weekly = focus_figures(
            db, "intel_feed", (), key, period.start, period.end, of_key(items_by_feed, key)
        )
        summed = {
            None if figure == MEMBERS else int(figure.removeprefix("feed:")): sum(by_week.values())
            for figure, by_week in weekly.items()
        }
        return _named(db, list(summed.items()))
    start, end = period.bounds()  # several countries, or a country and a sector: live
    counted = db.execute(  # from the items tagged with the focus (their link table's index)
        select(IntelItem.feed_id, func.count(IntelItem.id))
        .where(IntelItem.added_at >= start, IntelItem.added_at < end, *focus.items())
        .group_by(IntelItem.feed_id)
    )
    return _named(db, [(feed_id, int(n)) for feed_id, n in counted])


def _named(db: Session, counted: list[tuple[int | None, int]]) -> list[SourceCount]:
    """(feed id, items) with each feed's name, most items first (ties by name), those
    without any left out."""
    ids = [feed_id for feed_id, _ in counted if feed_id is not None]
    names = {i: n for i, n in db.execute(select(Feed.id, Feed.name).where(Feed.id.in_(ids)))}
    rows = [SourceCount(f, names.get(f, "") if f else "", n) for f, n in counted if n]
    return sorted(rows, key=lambda r: (-r.items, r.feed_id is not None, r.name.casefold()))


def source_rows(rows: list[SourceCount], members_label: str) -> list[list[str]]:
    """The CSV of `items_by_source`: a header row, then one row per source as the page's
    table shows it (`members_label` names the items written by members)."""
    return [SOURCE_HEADER] + [
        [
            neutralise_cell(r.name) if r.feed_id else members_label,
            str(r.feed_id or ""),
            str(r.items),
        ]
        for r in rows
    ]


def source_json(rows: list[SourceCount]) -> list[dict[str, Any]]:
    """`items_by_source` for the API: the items written by members have `feed_id` null."""
    return [
        {"source": r.name if r.feed_id else None, "feed_id": r.feed_id, "items": r.items}
        for r in rows
    ]


@dataclass(frozen=True)
class UnansweredThread:
    id: int
    title: str
    url: str
    category: str
    started_at: dt.datetime
    waiting_days: int  # whole days since it was started


def list_unanswered(
    db: Session,
    period: Period,
    now: dt.datetime,
    focus: Focus | None = None,
    *,
    page: int,
    params: Mapping[str, str],
) -> Page[UnansweredThread]:
    """The threads `analytics.unanswered` counts, waiting longest first, a page of
    UNANSWERED_PER_PAGE; `params` (the period and focus) are carried by the page links."""
    where = unanswered_conditions(period, now, focus)
    total = db.scalar(select(func.count(Thread.id)).where(*where)) or 0
    threads = db.scalars(
        select(Thread)
        .where(*where)
        .options(selectinload(Thread.category))
        .order_by(Thread.created_at, Thread.id)
        .offset((page - 1) * UNANSWERED_PER_PAGE)
        .limit(UNANSWERED_PER_PAGE)
    )
    items = [
        UnansweredThread(
            t.id, t.title, t.url, t.category.name, t.created_at, (now - t.created_at).days
        )
        for t in threads
    ]
    return Page(items, page, UNANSWERED_PER_PAGE, int(total), "/admin/analytics/unanswered", params)
