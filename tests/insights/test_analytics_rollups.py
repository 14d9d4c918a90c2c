"""The analytics' weekly rollups (issue 23, "Scale"): a rolled-up figure equals the live
count, a stored week is what the page reads, a row written into a closed week makes its
stored figures go (the triggers), and the ranked tables from the rollups equal the live
ranking. Weeks are counted in the database the way Python counts them, on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.digests.models import DigestDelivery
from forum.discovery.models import SearchLogEntry
from forum.discussions.models import Post
from forum.events.models import Event
from forum.insights import analytics, analytics_ranked, jobs
from forum.insights import analytics_email as email
from forum.insights import analytics_searches as searches
from forum.insights.models import AnalyticsQueryWeek, AnalyticsWeek
from forum.insights.weekly import count_weeks
from forum.intelligence import writes as intelligence_writes
from tests.conftest import People, Threads


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weeks_ago(n: int, hours: int = 30) -> dt.datetime:
    """A moment `hours` into the Monday-to-Sunday week `n` weeks before this one."""
    monday = _monday(utcnow().date()) - dt.timedelta(weeks=n)
    return dt.datetime.combine(monday, dt.time(), dt.UTC) + dt.timedelta(hours=hours)


def _log(db: Session, when: dt.datetime, text_: str, countries: str, results: int, n: int) -> None:
    db.add_all(
        SearchLogEntry(
            logged_at=when,
            text=text_,
            countries=countries,
            sectors="food" if countries else "",
            result_count=results,
            signed_in=n % 2 == 0,
            via="page",
        )
        for _ in range(n)
    )
    db.flush()


def _activity(db: Session, people: People, member: User, threads: Threads) -> None:
    """Members, posts, items, events, digests and searches spread over closed weeks."""
    for weeks_ago, joining in ((2, 6), (3, 2), (5, 7)):
        for _ in range(joining):
            person = people.make()
            person.created_at = person.email_verified_at = _weeks_ago(weeks_ago)
            db.add(
                DigestDelivery(
                    user_id=person.id,
                    period=_weeks_ago(weeks_ago).date(),
                    frequency="weekly",
                    status="sent" if joining > 5 else "failed",
                    window_start=_weeks_ago(weeks_ago + 1),
                    window_end=_weeks_ago(weeks_ago),
                    message_id=f"<{person.id}@example.eu>",
                    sent_at=_weeks_ago(weeks_ago, 31) if joining > 5 else None,
                )
            )
    for weeks_ago in (2, 4):
        thread = threads.start(member, title=f"Going to Osaka, {weeks_ago}")
        replies = [threads.reply(people.make(), thread) for _ in range(6)]
        thread.created_at = _weeks_ago(weeks_ago)
        for post in db.scalars(select(Post).where(Post.thread_id == thread.id)):
            post.created_at = _weeks_ago(weeks_ago, 40)
        assert replies
        item = intelligence_writes.create_item(
            db, member, intelligence_writes.ItemInput(title=f"A note {weeks_ago}")
        )
        item.added_at = _weeks_ago(weeks_ago, 50)
        db.add(Event(name=f"Fair {weeks_ago}", created_at=_weeks_ago(weeks_ago, 60)))
    for weeks_ago, (first, second) in enumerate([(5, 1), (2, 4), (3, 3)], start=1):
        _log(db, _weeks_ago(weeks_ago), "japan", "JP", 4, first)
        _log(db, _weeks_ago(weeks_ago, 70), "lithium", "CL", 0, second)
        _log(db, _weeks_ago(weeks_ago, 80), f"rare {weeks_ago}", "", 0, 1)
        _log(db, _weeks_ago(weeks_ago, 24 * 5 + 2), "weekend", "DE", 0, 2)  # a Saturday
    db.flush()


def _figures(db: Session, period: analytics.Period) -> list[Any]:
    return [
        analytics.members(db, period),
        analytics.content(db, period),
        email.weeks(db, period),
        searches.weeks(db, period),
        searches.top_queries(db, period),
        searches.top_queries(db, period, without_result=True),
        searches.top_filters(db, period),
    ]


def test_rolled_up_figures_equal_the_live_ones(
    db: Session, people: People, member: User, threads: Threads
) -> None:
    _activity(db, people, member, threads)
    period = analytics.choose_period(utcnow().date(), "12w")
    live = _figures(db, period)
    assert db.scalar(select(func.count()).select_from(AnalyticsWeek)) == 0
    assert jobs.roll_up(db) > 0
    assert jobs.roll_up(db) == 0  # closed weeks are rolled up once
    two_weeks_ago = _weeks_ago(2, 0).date()
    stored = db.scalar(
        select(AnalyticsWeek.value).where(
            AnalyticsWeek.source == "user_account",
            AnalyticsWeek.week == two_weeks_ago,
            AnalyticsWeek.figure == "registered",
        )
    )
    in_that_week = count_weeks(db, User.created_at, _weeks_ago(2, 0), _weeks_ago(1, 0)).get(
        two_weeks_ago, 0
    )
    assert stored == in_that_week >= 6
    assert _figures(db, period) == live
    # The four weeks and the two dates (a partial first week) read the rollups too.
    for other in (
        analytics.choose_period(utcnow().date()),
        analytics.choose_period(
            utcnow().date(),
            "",
            (two_weeks_ago - dt.timedelta(days=10)).isoformat(),
            (two_weeks_ago + dt.timedelta(days=3)).isoformat(),
        ),
    ):
        db.execute(delete(AnalyticsWeek))
        db.execute(delete(AnalyticsQueryWeek))
        before = _figures(db, other)
        jobs.roll_up(db)
        assert _figures(db, other) == before


def test_a_stored_week_is_read_and_a_late_row_makes_it_go(
    db: Session, people: People, member: User, threads: Threads
) -> None:
    _activity(db, people, member, threads)
    jobs.roll_up(db)
    period = analytics.choose_period(utcnow().date(), "12w")
    week = _weeks_ago(2, 0).date()
    at = period.weeks.index(week)
    live = analytics.members(db, period)[at].registered
    assert live is not None and live >= 6
    where = (AnalyticsWeek.week == week, AnalyticsWeek.figure == "registered")
    db.execute(update(AnalyticsWeek).where(*where).values(value=12345))
    assert analytics.members(db, period)[at].registered == 12345  # read from the rollup
    late = people.make()
    late.created_at = _weeks_ago(2, 100)  # written into the closed week: its rows go
    db.flush()
    assert db.scalar(select(AnalyticsWeek.value).where(*where)) is None
    assert analytics.members(db, period)[at].registered == live + 1
    jobs.roll_up(db)
    assert db.scalar(select(AnalyticsWeek.value).where(*where)) == live + 1
    # The search log's prune (a delete) makes its week's figures and ranked tables go.
    assert db.scalar(select(func.count()).where(AnalyticsQueryWeek.week == week)) > 0
    db.execute(delete(SearchLogEntry).where(SearchLogEntry.text == "lithium"))
    assert db.scalar(select(func.count()).where(AnalyticsQueryWeek.week == week)) == 0
    assert not db.scalars(
        select(AnalyticsWeek.figure).where(
            AnalyticsWeek.source == "search_log", AnalyticsWeek.week == week
        )
    ).all()
    assert searches.weeks(db, period)[at].without_result == 3  # "rare" and "weekend" left


def test_digest_recipients_are_rolled_up_and_a_week_stored_without_them_is_counted_again(
    db: Session, people: People, member: User, threads: Threads
) -> None:
    """The members sent a digest per week (the unsubscribe share's base) are distinct
    people: stored per closed week like the other figures, equal to the live count; a
    week stored before the figure existed is counted again, whole, by the next run."""
    _activity(db, people, member, threads)
    week = _weeks_ago(2, 0).date()
    live = email._digests_live(db, _weeks_ago(2, 0), _weeks_ago(1, 0))["digest_recipients"]
    assert live[week] == 6  # six members joined that week, each sent one digest
    jobs.roll_up(db)
    where = (AnalyticsWeek.source == "digest_delivery", AnalyticsWeek.week == week)
    stored = dict(db.execute(select(AnalyticsWeek.figure, AnalyticsWeek.value).where(*where)).all())
    assert stored["digest_recipients"] == 6
    db.execute(delete(AnalyticsWeek).where(*where, AnalyticsWeek.figure == "digest_recipients"))
    assert jobs.roll_up(db) > 0
    again = dict(db.execute(select(AnalyticsWeek.figure, AnalyticsWeek.value).where(*where)).all())
    assert again == stored


@pytest.mark.parametrize(("kept", "shallow"), [(1, 1), (2, 1), (50, 1), (50, 40)])
def test_ranked_tables_from_the_rollups_equal_the_live_ranking(
    db: Session, monkeypatch: pytest.MonkeyPatch, kept: int, shallow: int
) -> None:
    monkeypatch.setattr(analytics_ranked, "KEPT", kept)  # pairs stored per week
    monkeypatch.setattr(analytics_ranked, "SHALLOW", shallow)  # read first
    busy = {"japan": "JP", "lithium": "CL", "robots": "", "wind": "DK", "solar": "ES"}
    for weeks_ago in range(1, 6):
        for n, (words, country) in enumerate(busy.items()):
            # Each week its own order: which pairs a week keeps differs from week to week.
            count = 2 + (n * 7 + weeks_ago * 3) % 9
            _log(db, _weeks_ago(weeks_ago), words, country, 0 if n % 2 else 3, count)
        _log(db, _weeks_ago(weeks_ago, 90), f"once {weeks_ago}", "", 0, 1)
    _log(db, utcnow() - dt.timedelta(minutes=5), "solar", "ES", 0, 4)  # this week: live
    period = analytics.choose_period(utcnow().date(), "12w")
    start, end = period.bounds()
    live = {
        empty: analytics_ranked.ordered(analytics_ranked.live_pairs(db, start, end, empty=empty), 3)
        for empty in (False, True)
    }
    jobs.roll_up(db)
    assert db.scalar(select(func.count()).select_from(AnalyticsQueryWeek)) > 0
    for empty in (False, True):
        got = analytics_ranked.top_pairs(db, period.start, period.end, empty=empty, top=3)
        assert got == live[empty], (kept, empty)


@pytest.mark.parametrize(("kept", "shallow"), [(1, 1), (2, 1), (3, 2), (50, 40)])
def test_ranked_tables_count_the_current_week_for_the_pairs_that_can_rank(
    db: Session, monkeypatch: pytest.MonkeyPatch, kept: int, shallow: int
) -> None:
    """This week's rare pairs are not fetched (they cannot rank), but a pair no stored week
    keeps that is frequent this week, and the kept pairs' searches of this week, count."""
    monkeypatch.setattr(analytics_ranked, "KEPT", kept)
    monkeypatch.setattr(analytics_ranked, "SHALLOW", shallow)
    busy = {"japan": "JP", "lithium": "CL", "robots": "", "wind": "DK"}
    for weeks_ago in range(1, 4):
        for n, (words, country) in enumerate(busy.items()):
            _log(db, _weeks_ago(weeks_ago), words, country, 0 if n % 2 else 3, 6 + n + weeks_ago)
        for n in range(6):
            _log(db, _weeks_ago(weeks_ago, 40), f"rare {weeks_ago} {n}", "", 0, 1 + n % 2)
    now = utcnow()
    for n in range(40):
        _log(db, now - dt.timedelta(minutes=1), f"today {n}", "", 0, 1)
    _log(db, now - dt.timedelta(minutes=2), "sudden", "FR", 0, 60)  # kept by no week
    _log(db, now - dt.timedelta(minutes=3), "wind", "DK", 0, 9)
    period = analytics.choose_period(now.date(), "12w")
    live = _ranked_live_then_rolled_up(db, period, kept)
    assert live[False][0].text == "sudden"


@pytest.mark.parametrize(("kept", "shallow"), [(1, 1), (2, 1), (3, 2), (50, 40)])
def test_ranked_tables_of_a_cut_week_less_its_days_outside(
    db: Session, monkeypatch: pytest.MonkeyPatch, kept: int, shallow: int
) -> None:
    """A period starting on a Wednesday cuts a stored week: its kept pairs less their
    searches of Monday and Tuesday, counted for those pairs alone, equal the live ranking."""
    monkeypatch.setattr(analytics_ranked, "KEPT", kept)
    monkeypatch.setattr(analytics_ranked, "SHALLOW", shallow)
    busy = {"japan": "JP", "lithium": "CL", "robots": "", "wind": "DK", "solar": "ES"}
    for n, (words, country) in enumerate(busy.items()):
        # Monday and Tuesday (outside the period) rank the pairs unlike the days inside.
        _log(db, _weeks_ago(3, 10), words, country, 0 if n % 2 else 2, 1 + (n * 5) % 7)
        _log(db, _weeks_ago(3, 34), words, country, 0, 1 + n)
        _log(db, _weeks_ago(3, 60), words, country, 0 if n % 3 else 1, 9 - n)
        _log(db, _weeks_ago(2, 60), words, country, 0, 2 + (n * 3) % 5)
    _log(db, _weeks_ago(3, 20), "only outside", "", 0, 8)
    _log(db, _weeks_ago(3, 100), "only inside", "FR", 0, 3)
    wednesday = _monday(utcnow().date()) - dt.timedelta(weeks=3) + dt.timedelta(days=2)
    period = analytics.choose_period(
        utcnow().date(), "", wednesday.isoformat(), (wednesday + dt.timedelta(days=11)).isoformat()
    )
    _ranked_live_then_rolled_up(db, period, kept)


def test_weeks_counted_in_the_database_are_python_weeks(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))  # not UTC: still UTC weeks
    monday = _monday(utcnow().date()) - dt.timedelta(weeks=3)
    start = dt.datetime.combine(monday, dt.time(), dt.UTC)
    moments = [
        start,  # Monday 00:00 UTC
        start + dt.timedelta(days=7) - dt.timedelta(microseconds=1),  # Sunday 23:59:59.999999
        start + dt.timedelta(days=7),  # the next Monday
        start + dt.timedelta(days=3, hours=23),
    ]
    for moment in moments:
        _log(db, moment, "edge", "", 1, 1)
    counted = count_weeks(
        db,
        SearchLogEntry.logged_at,
        start - dt.timedelta(days=7),
        start + dt.timedelta(days=14),
        SearchLogEntry.text == "edge",
    )
    assert counted == {monday: 3, monday + dt.timedelta(weeks=1): 1}
    # A range within one week (its week written once, `week_in`): the same weeks.
    for low, high, expected in (
        (start, start + dt.timedelta(days=7), {monday: 3}),
        (start + dt.timedelta(days=3), start + dt.timedelta(days=7), {monday: 2}),
        (
            start + dt.timedelta(days=7),
            start + dt.timedelta(days=8),
            {monday + dt.timedelta(weeks=1): 1},
        ),
        (start + dt.timedelta(days=8), start + dt.timedelta(days=9), {}),
    ):
        assert count_weeks(db, SearchLogEntry.logged_at, low, high) == expected, (low, high)


def _ranked_live_then_rolled_up(
    db: Session, period: analytics.Period, kept: int
) -> dict[bool, list[analytics_ranked.Ranked]]:
    """The top 3 pairs (found, and found nothing) counted live, then read after the job
    with its stored weeks: asserted equal; the live ranking returned."""
    start, end = period.bounds()
    live = {
        empty: analytics_ranked.ordered(analytics_ranked.live_pairs(db, start, end, empty=empty), 3)
        for empty in (False, True)
    }
    jobs.roll_up(db)
    for empty in (False, True):
        got = analytics_ranked.top_pairs(db, period.start, period.end, empty=empty, top=3)
        assert got == live[empty], (kept, empty)
    return live
