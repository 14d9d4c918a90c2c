"""The analytics' rollups by focus (migration 0028): with one country or one sector chosen,
the content flow and the unanswered count read closed weeks from `analytics_focus_week`.
Each figure equals the count the test takes from the rows themselves (fetched and counted
in Python, week by week), before and after the job, for every kind of period; a tag, a
reply or a row written into a closed week makes its stored week go (the triggers)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discussions.models import Category, Post, Thread, ThreadCountry, thread_sector
from forum.events.models import Event, event_sector
from forum.insights import analytics, jobs
from forum.insights import analytics_content as by_source
from forum.insights.models import AnalyticsFocusWeek
from forum.intelligence import writes as intelligence_writes
from forum.intelligence.models import Feed, IntelCountry, IntelItem, intel_sector
from forum.taxonomy.models import Sector
from tests.conftest import Client, People, Threads, sign_in, start_good_practice
from tests.insights.test_insights import table


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weeks_ago(n: int, hours: int = 30) -> dt.datetime:
    monday = _monday(utcnow().date()) - dt.timedelta(weeks=n)
    return dt.datetime.combine(monday, dt.time(), dt.UTC) + dt.timedelta(hours=hours)


def _thread(
    db: Session, threads: Threads, author: User, weeks_ago: int, replies: int, **tags: Any
) -> Thread:
    thread = threads.start(author, title=f"Going there, {weeks_ago} {replies}", **tags)
    for _ in range(replies):
        threads.reply(author, thread)
    thread.created_at = _weeks_ago(weeks_ago)
    for post in db.scalars(select(Post).where(Post.thread_id == thread.id)):
        post.created_at = _weeks_ago(weeks_ago, 40 if not post.is_opening else 30)
    db.flush()
    return thread


def _activity(
    db: Session, people: People, threads: Threads, categories: dict[str, Category]
) -> None:
    """Tagged content over closed weeks, this week and a week the 4 weeks cut: threads
    answered and not, good practices, items by members and harvested, events."""
    author = people.make()
    feed = Feed(url="https://eu.example/news.xml", name="News")
    db.add(feed)
    db.flush()
    food, media = (db.scalar(select(Sector).where(Sector.slug == s)) for s in ("food", "media"))
    for weeks_ago in (0, 1, 2, 3, 4, 6):
        _thread(db, threads, author, weeks_ago, 2)  # Japan, food
        _thread(db, threads, author, weeks_ago, 0)  # unanswered
        _thread(db, threads, author, weeks_ago, 1, countries=("JP", "KR"), sectors=("media",))
        _thread(db, threads, author, weeks_ago, 0, countries=("CL",), sectors=("media",))
        practice = start_good_practice(db, author, categories["good-practices"])
        practice.created_at = _weeks_ago(weeks_ago, 20)
        for countries, sectors in ((("JP",), [food]), (("JP", "CL"), [media]), ((), [])):
            item = intelligence_writes.create_item(
                db,
                author,
                intelligence_writes.ItemInput(
                    title=f"A note {weeks_ago}", countries=countries, sectors=sectors
                ),
            )
            item.added_at = _weeks_ago(weeks_ago, 50)
            item.feed_id = feed.id if sectors == [media] else None  # harvested
        for code in ("JP", "KR", None):
            event = Event(name=f"Fair {weeks_ago}", country_code=code)
            event.created_at = _weeks_ago(weeks_ago, 60)
            db.add(event)
            db.flush()
            if code == "JP":
                db.execute(insert(event_sector).values(event_id=event.id, sector_id=food.id))
    db.flush()


def _week(moment: dt.datetime) -> dt.date:
    return _monday(moment.astimezone(dt.UTC).date())


def _expected(
    db: Session, period: analytics.Period, now: dt.datetime, countries: set[str], sector: str
) -> tuple[list[list[int]], int, dict[int | None, int]]:
    """The content flow, the unanswered count and the items by source (feed id, None for
    those written by members), from the rows fetched and counted here."""
    start, end = period.bounds()
    sector_id = db.scalar(select(Sector.id).where(Sector.slug == sector)) if sector else None
    thread_tags: dict[int, tuple[set[str], set[int]]] = {}
    for thread_id, code in db.execute(select(ThreadCountry.thread_id, ThreadCountry.country_code)):
        thread_tags.setdefault(thread_id, (set(), set()))[0].add(code)
    for thread_id, sid in db.execute(select(thread_sector.c.thread_id, thread_sector.c.sector_id)):
        thread_tags.setdefault(thread_id, (set(), set()))[1].add(sid)

    def tagged(tags: tuple[set[str], set[int]]) -> bool:
        return (not countries or bool(tags[0] & countries)) and (
            sector_id is None or sector_id in tags[1]
        )

    flow: dict[str, Counter[dt.date]] = {figure: Counter() for figure in analytics.CONTENT_FIGURES}
    replied = {t for (t,) in db.execute(select(Post.thread_id).where(Post.is_opening.is_(False)))}
    unanswered = 0
    for thread_id, created, kind, hidden in db.execute(
        select(Thread.id, Thread.created_at, Thread.kind, Thread.hidden_at)
    ):
        if start <= created < end and tagged(thread_tags.get(thread_id, (set(), set()))):
            flow["good_practices" if kind == "good_practice" else "threads"][_week(created)] += 1
            if (
                kind != "good_practice"
                and hidden is None
                and thread_id not in replied
                and created < now - analytics.UNANSWERED_AFTER
            ):
                unanswered += 1
    for thread_id, created in db.execute(
        select(Post.thread_id, Post.created_at).where(Post.is_opening.is_(False))
    ):
        if start <= created < end and tagged(thread_tags.get(thread_id, (set(), set()))):
            flow["replies"][_week(created)] += 1
    item_tags: dict[int, tuple[set[str], set[int]]] = {}
    for item_id, code in db.execute(select(IntelCountry.item_id, IntelCountry.country_code)):
        item_tags.setdefault(item_id, (set(), set()))[0].add(code)
    for item_id, sid in db.execute(select(intel_sector.c.item_id, intel_sector.c.sector_id)):
        item_tags.setdefault(item_id, (set(), set()))[1].add(sid)
    sources: Counter[int | None] = Counter()
    for item_id, added, feed_id in db.execute(
        select(IntelItem.id, IntelItem.added_at, IntelItem.feed_id)
    ):
        if start <= added < end and tagged(item_tags.get(item_id, (set(), set()))):
            flow["items_by_members" if feed_id is None else "items_harvested"][_week(added)] += 1
            sources[feed_id] += 1
    event_sectors: dict[int, set[int]] = {}
    for event_id, sid in db.execute(select(event_sector.c.event_id, event_sector.c.sector_id)):
        event_sectors.setdefault(event_id, set()).add(sid)
    for event_id, created, code in db.execute(
        select(Event.id, Event.created_at, Event.country_code)
    ):
        tags = ({code} if code else set(), event_sectors.get(event_id, set()))
        if start <= created < end and tagged(tags):
            flow["events"][_week(created)] += 1
    rows = [[flow[f][w] for f in analytics.CONTENT_FIGURES] for w in period.weeks]
    return rows, unanswered, dict(sources)


def _shown(
    db: Session, period: analytics.Period, now: dt.datetime, focus: analytics.Focus
) -> tuple[list[list[int]], int, dict[int | None, int]]:
    rows = analytics.content(db, period, focus)
    flow = [[getattr(r, f) for f in analytics.CONTENT_FIGURES] for r in rows]
    sources = {s.feed_id: s.items for s in by_source.items_by_source(db, period, focus)}
    return flow, analytics.unanswered(db, period, now, focus), sources


FOCI = [
    ((), ""),
    (("JP",), ""),
    (("KR",), ""),
    (("CL",), ""),
    ((), "food"),
    ((), "media"),
    (("JP", "KR", "CL"), ""),  # a region group: counted live
    (("JP",), "media"),  # a country and a sector: counted live
]


def _periods(today: dt.date) -> list[analytics.Period]:
    cut = _monday(today) - dt.timedelta(weeks=4, days=-2)  # a Wednesday: a cut week
    return [
        analytics.choose_period(today),
        analytics.choose_period(today, "12w"),
        analytics.choose_period(
            today, "", cut.isoformat(), (cut + dt.timedelta(days=17)).isoformat()
        ),
    ]


@pytest.mark.usefixtures("sectors")
def test_each_figure_by_focus_equals_the_rows_before_and_after_the_job(
    db: Session, people: People, threads: Threads, categories: dict[str, Category]
) -> None:
    _activity(db, people, threads, categories)
    now = utcnow()
    for period in _periods(now.date()):
        for countries, sector in FOCI:
            focus = analytics.Focus(countries, (sector,) if sector else ())
            expected = _expected(db, period, now, set(countries), sector)
            assert _shown(db, period, now, focus) == expected, (period, focus)
    assert jobs.roll_up(db) > 0
    stored = db.scalar(select(func.count()).where(AnalyticsFocusWeek.focus == "country:JP"))
    assert stored and stored > 0
    for period in _periods(now.date()):
        for countries, sector in FOCI:
            focus = analytics.Focus(countries, (sector,) if sector else ())
            expected = _expected(db, period, now, set(countries), sector)
            assert _shown(db, period, now, focus) == expected, (period, focus)
    # Japan, 12 weeks: something in every figure, and the unanswered are counted.
    rows, unanswered, sources = _shown(
        db, analytics.choose_period(now.date(), "12w"), now, analytics.Focus(("JP",))
    )
    assert all(sum(column) > 0 for column in zip(*rows, strict=True))
    assert unanswered >= 4
    assert len(sources) == 2 and None in sources  # written by members, and the feed's


@pytest.mark.usefixtures("sectors")
def test_a_stored_week_is_read_and_a_tag_a_reply_or_a_late_row_makes_it_go(
    db: Session, people: People, threads: Threads, categories: dict[str, Category]
) -> None:
    _activity(db, people, threads, categories)
    now = utcnow()
    jobs.roll_up(db)
    period = analytics.choose_period(now.date(), "12w")
    week = _weeks_ago(3, 0).date()
    at = period.weeks.index(week)
    japan = analytics.Focus(("JP",))
    before = analytics.content(db, period, japan)[at]
    where = (
        AnalyticsFocusWeek.source == "thread",
        AnalyticsFocusWeek.focus == "country:JP",
        AnalyticsFocusWeek.week == week,
        AnalyticsFocusWeek.figure == "threads",
    )
    db.execute(update(AnalyticsFocusWeek).where(*where).values(value=12345))
    assert analytics.content(db, period, japan)[at].threads == 12345  # read from the rollup

    def stored(source: str) -> bool:
        return bool(
            db.scalar(
                select(func.count()).where(
                    AnalyticsFocusWeek.source == source, AnalyticsFocusWeek.week == week
                )
            )
        )

    # A Chilean thread of that week tagged with Japan: its thread, reply and unanswered
    # weeks go, and the page counts it.
    chile = db.scalars(
        select(Thread)
        .join(ThreadCountry)
        .where(ThreadCountry.country_code == "CL", Thread.created_at >= _weeks_ago(3, 0))
        .order_by(Thread.created_at)
    ).first()
    assert chile is not None and _week(chile.created_at) == week
    assert stored("thread") and stored("unanswered")
    db.add(ThreadCountry(thread_id=chile.id, country_code="JP"))
    db.flush()
    assert not stored("thread") and not stored("unanswered")
    after = analytics.content(db, period, japan)[at]
    assert after.threads == before.threads + 1
    assert _shown(db, period, now, japan) == _expected(db, period, now, {"JP"}, "")
    jobs.roll_up(db)
    assert stored("thread") and stored("unanswered")
    assert _shown(db, period, now, japan) == _expected(db, period, now, {"JP"}, "")
    # A reply to an unanswered Japanese thread of that week: the unanswered week goes.
    waiting = _shown(db, period, now, japan)[1]
    lonely = db.scalars(
        select(Thread)
        .join(ThreadCountry)
        .where(
            ThreadCountry.country_code == "JP",
            Thread.kind != "good_practice",
            Thread.created_at >= _weeks_ago(3, 0),
            Thread.created_at < _weeks_ago(2, 0),
            ~select(Post.id)
            .where(Post.thread_id == Thread.id, Post.is_opening.is_(False))
            .exists(),
        )
    ).first()
    assert lonely is not None
    threads.reply(people.make(), lonely)
    assert not stored("unanswered")
    assert _shown(db, period, now, japan)[1] == waiting - 1
    assert _shown(db, period, now, japan) == _expected(db, period, now, {"JP"}, "")
    # An item's country removed, an event's sector removed, a thread hidden, a feed
    # deleted (its items count as written by members): the same.
    jobs.roll_up(db)
    for change in (
        delete(IntelCountry).where(
            IntelCountry.country_code == "JP",
            IntelCountry.item_id.in_(
                select(IntelItem.id).where(IntelItem.added_at >= _weeks_ago(3, 0))
            ),
        ),
        delete(event_sector),
        update(Thread).where(Thread.id == lonely.id).values(hidden_at=now),
        update(IntelItem).where(IntelItem.feed_id.is_not(None)).values(feed_id=None),
    ):
        db.execute(change)
        food = analytics.Focus((), ("food",))
        for focus, countries, sector in ((japan, {"JP"}, ""), (food, set(), "food")):
            assert _shown(db, period, now, focus) == _expected(db, period, now, countries, sector)
        jobs.roll_up(db)
        for focus, countries, sector in ((japan, {"JP"}, ""), (food, set(), "food")):
            assert _shown(db, period, now, focus) == _expected(db, period, now, countries, sector)


@pytest.mark.usefixtures("sectors")
def test_the_page_with_a_focus_shows_the_rolled_up_figures_small_ones_included(
    client: Client,
    db: Session,
    people: People,
    moderator: User,
    threads: Threads,
    categories: dict[str, Category],
) -> None:
    """Content is counted, not people: a figure from 1 to 4 is shown as it is."""
    _activity(db, people, threads, categories)
    jobs.roll_up(db)
    now = utcnow()
    sign_in(client, db, moderator)
    page = client.get("/admin/analytics?period=12w&country=KR")
    period = analytics.choose_period(now.date(), "12w")
    rows, unanswered, _ = _expected(db, period, now, {"KR"}, "")
    assert [r[1:] for r in table(page.text, "content-table")] == [
        [str(n) for n in row] for row in rows
    ]
    assert any(0 < n < 5 for row in rows for n in row)
    assert "fewer than 5" not in str(table(page.text, "content-table"))
    assert f"{unanswered} discussion" in page.text
