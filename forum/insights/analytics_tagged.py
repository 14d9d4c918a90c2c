"""The content flow and the unanswered discussions counted by tag: for every country and
every sector at once (the focus rollups the job stores, `focus_weekly`), or for one
(the weeks of a focus not stored).

Each count joins the rows of a period to their tags (thread_country, thread_sector, ...)
and groups by tag and week: a thread tagged with Japan and Korea counts once for each,
which is what a focus of one of them counts (`analytics.Focus`). A reply counts by its
thread's tags, an event by its own country. The unanswered discussions are also counted
for the whole forum (key ""): a discussion, not hidden, that nobody has replied to, by the
week it was started; the page applies the "at least 7 days ago" rule by the day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from forum.discussions.models import Post, Thread, ThreadCountry, thread_sector
from forum.events.models import Event, event_sector
from forum.insights.focus_weekly import WHOLE, country_key, focus_rollup, sector_key
from forum.insights.weekly import as_monday, week_in
from forum.intelligence.models import IntelCountry, IntelItem, intel_sector

ByKey = dict[str, dict[str, dict[dt.date, int]]]
# (link table's owner column, its tag column, how a tag is named as a key)
Link = tuple[Any, Any, Any]


def no_reply_rule() -> list[ColumnElement[bool]]:
    """A discussion (not a good practice), not hidden, that nobody has replied to."""
    return [
        Thread.hidden_at.is_(None),
        Thread.kind != "good_practice",
        ~select(Post.id).where(Post.thread_id == Thread.id, Post.is_opening.is_(False)).exists(),
    ]


def _gather(db: Session, queries: list[tuple[Any, Any]], figures: tuple[str, ...]) -> ByKey:
    """Run `queries` (rows of tag, week, [condition met,] count) with how each names its
    tag's key; a row with a condition counts for figures[0] when met, else figures[1]."""
    out: ByKey = {}
    for query, naming in queries:
        for row in db.execute(query):
            tag, week, *rest = row
            figure = figures[0] if len(rest) == 1 or rest[0] else figures[1]
            counts = out.setdefault(naming(tag), {}).setdefault(figure, {})
            counts[as_monday(week)] = counts.get(as_monday(week), 0) + int(rest[-1])
    return out


SHORT = dt.timedelta(days=8)  # a period this short is read by time, not by tag


def _tag_is(tag: Any, value: Any, bounds: tuple[dt.datetime, dt.datetime]) -> Any:
    """`tag` equals `value`; over a short period written so that no index on the tag can
    serve it: the database then reads the period's few rows by time and looks up their
    tags, rather than every link of the tag (the planner cannot tell, as the period's
    bounds are parameters)."""
    if bounds[1] - bounds[0] > SHORT:
        return tag == value
    return (tag.op("||")("") if isinstance(value, str) else tag + 0) == value


def _wanted(
    links: tuple[Link, ...], only: str | None, bounds: tuple[dt.datetime, dt.datetime]
) -> list[tuple[Link, list[Any]]]:
    """The links to count by, each with its condition on the tag: all of them, or with
    `only` (a key) the one kind it names, narrowed to its tag."""
    if only is None:
        return [(link, []) for link in links]
    kind, _, value = only.partition(":")
    out = []
    for link in links:
        if link[2] is country_key and kind == "country":
            out.append((link, [_tag_is(link[1], value, bounds)]))
        elif link[2] is sector_key and kind == "sector":
            out.append((link, [_tag_is(link[1], int(value), bounds)]))
    return out


def _tagged(
    stamp: Any,
    owner: Any,
    links: tuple[Link, ...],
    bounds: tuple[dt.datetime, dt.datetime],
    only: str | None,
    *where: ColumnElement[bool],
    split: ColumnElement[bool] | None = None,
) -> list[tuple[Any, Any]]:
    """One query per kind of tag of `links` (`_wanted`), each joining the rows of
    [start, end) by `owner` to their tags."""
    week = week_in(stamp, *bounds)
    met = [case((split, 1), else_=0)] if split is not None else []
    out = []
    for (link_owner, tag, naming), on_tag in _wanted(links, only, bounds):
        query = (
            select(tag, week, *met, func.count())
            .join_from(owner.table, link_owner.table, link_owner == owner)
            .where(stamp >= bounds[0], stamp < bounds[1], *on_tag, *where)
            .group_by(tag, week, *met)
        )
        out.append((query, naming))
    return out


THREAD_TAGS: tuple[Link, ...] = (
    (ThreadCountry.thread_id, ThreadCountry.country_code, country_key),
    (thread_sector.c.thread_id, thread_sector.c.sector_id, sector_key),
)
REPLY_TAGS: tuple[Link, ...] = (
    (ThreadCountry.thread_id, ThreadCountry.country_code, country_key),
    (thread_sector.c.thread_id, thread_sector.c.sector_id, sector_key),
)
ITEM_TAGS: tuple[Link, ...] = (
    (IntelCountry.item_id, IntelCountry.country_code, country_key),
    (intel_sector.c.item_id, intel_sector.c.sector_id, sector_key),
)
EVENT_TAGS: tuple[Link, ...] = ((event_sector.c.event_id, event_sector.c.sector_id, sector_key),)


@focus_rollup("thread", ("good_practices", "threads"))
def threads_by_tag(
    db: Session, start: dt.datetime, end: dt.datetime, only: str | None = None
) -> ByKey:
    split = Thread.kind == "good_practice"
    queries = _tagged(Thread.created_at, Thread.id, THREAD_TAGS, (start, end), only, split=split)
    return _gather(db, queries, ("good_practices", "threads"))


@focus_rollup("post", ("replies",))
def replies_by_tag(
    db: Session, start: dt.datetime, end: dt.datetime, only: str | None = None
) -> ByKey:
    replies = Post.is_opening.is_(False)
    queries = _tagged(Post.created_at, Post.thread_id, REPLY_TAGS, (start, end), only, replies)
    return _gather(db, queries, ("replies",))


@focus_rollup("intel_item", ("items_by_members", "items_harvested"))
def items_by_tag(
    db: Session, start: dt.datetime, end: dt.datetime, only: str | None = None
) -> ByKey:
    split = IntelItem.feed_id.is_(None)
    queries = _tagged(IntelItem.added_at, IntelItem.id, ITEM_TAGS, (start, end), only, split=split)
    return _gather(db, queries, ("items_by_members", "items_harvested"))


@focus_rollup("event", ("events",))
def events_by_tag(
    db: Session, start: dt.datetime, end: dt.datetime, only: str | None = None
) -> ByKey:
    queries = _tagged(Event.created_at, Event.id, EVENT_TAGS, (start, end), only)
    kind, _, code = (only or "country:").partition(":")
    if kind == "country":  # an event has one country, its own
        week = week_in(Event.created_at, start, end)
        bounds = (start, end)
        country = (
            [_tag_is(Event.country_code, code, bounds)]
            if code
            else [Event.country_code.is_not(None)]
        )
        by_country = (
            select(Event.country_code, week, func.count())
            .where(Event.created_at >= start, Event.created_at < end, *country)
            .group_by(Event.country_code, week)
        )
        queries.append((by_country, country_key))
    return _gather(db, queries, ("events",))


@focus_rollup("unanswered", ("no_reply",))
def unanswered_by_tag(
    db: Session, start: dt.datetime, end: dt.datetime, only: str | None = None
) -> ByKey:
    """Discussions started in [start, end), not hidden, without a reply: for the whole
    forum (WHOLE) and by tag."""
    if only == WHOLE:
        tagged: list[tuple[Any, Any]] = []
    else:
        tagged = _tagged(
            Thread.created_at, Thread.id, THREAD_TAGS, (start, end), only, *no_reply_rule()
        )
    if only is None or only == WHOLE:
        week = week_in(Thread.created_at, start, end)
        whole = (
            select(week.label("tag"), week, func.count())  # the tag column is not read
            .where(Thread.created_at >= start, Thread.created_at < end, *no_reply_rule())
            .group_by(week)
        )
        tagged.append((whole, lambda _: WHOLE))
    return _gather(db, tagged, ("no_reply",))


MEMBERS = "members"  # the figure of the items written by members, beside "feed:<id>"


def feed_figure(feed_id: int | None) -> str:
    return MEMBERS if feed_id is None else f"feed:{feed_id}"


@focus_rollup("intel_feed", ())
def items_by_feed(
    db: Session, start: dt.datetime, end: dt.datetime, only: str | None = None
) -> ByKey:
    """Intelligence items added in [start, end) per source (a figure per feed, and the
    items written by members), for the whole forum (WHOLE) and by tag."""
    week = week_in(IntelItem.added_at, start, end)
    queries: list[tuple[Any, Any]] = []
    if only != WHOLE:
        for (link_owner, tag, naming), on_tag in _wanted(ITEM_TAGS, only, (start, end)):
            query = (
                select(tag, week, IntelItem.feed_id, func.count())
                .join_from(IntelItem, link_owner.table, link_owner == IntelItem.id)
                .where(IntelItem.added_at >= start, IntelItem.added_at < end, *on_tag)
                .group_by(tag, week, IntelItem.feed_id)
            )
            queries.append((query, naming))
    if only is None or only == WHOLE:
        whole = (
            select(week.label("tag"), week, IntelItem.feed_id, func.count())
            .where(IntelItem.added_at >= start, IntelItem.added_at < end)
            .group_by(week, IntelItem.feed_id)
        )
        queries.append((whole, lambda _: WHOLE))
    out: ByKey = {}
    for query, naming in queries:
        for tag, monday, feed_id, n in db.execute(query):
            counts = out.setdefault(naming(tag), {}).setdefault(feed_figure(feed_id), {})
            counts[as_monday(monday)] = counts.get(as_monday(monday), 0) + int(n)
    return out
