"""/admin/analytics: intelligence by source, the list of unanswered discussions and the
harvesting health. Each figure on the page, in its CSV and in the API is compared with a
count the test takes from the database; feeds are served by the harvest tests' real
loopback server and harvested for real."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.formats import machine_time
from forum.discussions.models import Category, Post, Thread
from forum.insights import analytics
from forum.insights.analytics_content import UNANSWERED_PER_PAGE
from forum.intelligence import harvest
from forum.intelligence.models import Feed, FeedRun, IntelCountry, IntelItem
from tests.conftest import Client, Threads, sign_in, start_good_practice
from tests.insights.test_insights import table
from tests.intelligence import factories
from tests.intelligence.test_harvest import ARTICLES, Entry, FeedServer, make_feed, rss
from tests.intelligence.test_harvest import feed_server as feed_server  # the fixture

MEMBERS = "Written by members"


def _csv(client: Client, path: str) -> list[list[str]]:
    got = client.get(path)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv"), path
    return list(csv.reader(io.StringIO(got.text)))


def _api(client: Client, token: str, section: str, query: str = "") -> dict[str, Any]:
    got = client.get(
        f"/api/v1/admin/analytics/{section}{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert got.status_code == 200, got.text
    data: dict[str, Any] = got.json()
    return data


def _in_period(column: Any) -> list[Any]:
    start, end = analytics.choose_period(utcnow().date()).bounds()
    return [column >= start, column < end]


# --- intelligence by source ----------------------------------------------------------------


def _harvest_two_feeds(
    db: Session, feed_server: FeedServer, session_factory: sessionmaker[Session], now: dt.datetime
) -> tuple[Feed, Feed]:
    trade = make_feed(db, feed_server.serve("/trade.xml", rss(ARTICLES)), name="Trade desk")
    calls = make_feed(
        db,
        feed_server.serve(
            "/calls.xml", rss([Entry("Open call on textiles", "https://c.example/1")])
        ),
        name="Calls digest",
    )
    harvest.harvest_due(session_factory, allow_private=True, now=now)
    return trade, calls


def test_intelligence_by_source_equals_the_database(
    client: Client, db: Session, moderator: User, member: User, sectors: None,
    feed_server: FeedServer, session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    now = utcnow() - dt.timedelta(minutes=5)
    trade, calls = _harvest_two_feeds(db, feed_server, session_factory, now)
    factories.make(db, member, "Our notes from Osaka")  # JP, food
    factories.make(db, member, "Our notes from Lima", countries=["PE"])
    db.expire_all()
    counted = dict(
        db.execute(
            select(IntelItem.feed_id, func.count(IntelItem.id))
            .where(*_in_period(IntelItem.added_at))
            .group_by(IntelItem.feed_id)
        ).all()
    )
    assert counted[trade.id] == 3 and counted[calls.id] == 1 and counted[None] >= 2
    names = {trade.id: "Trade desk", calls.id: "Calls digest", None: MEMBERS}
    expected = sorted(
        ([names[f], str(n)] for f, n in counted.items()), key=lambda r: (-int(r[1]), r[0])
    )

    sign_in(client, db, moderator)
    page = client.get("/admin/analytics")
    assert page.status_code == 200
    shown = table(page.text, "sources-table")
    assert sorted(shown, key=lambda r: (-int(r[1]), r[0])) == expected
    assert [int(r[1]) for r in shown] == sorted((int(r[1]) for r in shown), reverse=True)
    assert 'id="sources-chart-title"' in page.text
    assert table(page.text, "feeds-table")  # the harvesting health lists both feeds
    assert "/admin/feeds/" not in page.text  # the feeds' pages are the admins'

    # Week by week: by members and harvested, the content flow's own figures.
    week = table(page.text, "intelligence-table")[-1]
    this_week = dt.datetime.combine(
        now.date() - dt.timedelta(days=now.weekday()), dt.time(), dt.UTC
    )
    start = max(this_week, analytics.choose_period(utcnow().date()).bounds()[0])
    in_week = [IntelItem.added_at >= start]
    by_members = db.scalar(select(func.count()).where(IntelItem.feed_id.is_(None), *in_week))
    harvested = db.scalar(select(func.count()).where(IntelItem.feed_id.is_not(None), *in_week))
    assert week[1:] == [str(by_members), str(harvested)]
    assert harvested == 4

    # The CSVs: a header row and the page's rows.
    rows = _csv(client, "/admin/analytics/sources.csv")
    assert rows[0] == ["source", "feed_id", "items"]
    assert [[r[0], r[2]] for r in rows[1:]] == shown
    assert {r[1] for r in rows[1:] if r[0] == "Trade desk"} == {str(trade.id)}
    weekly = _csv(client, "/admin/analytics/intelligence.csv")
    assert weekly[0] == ["week", "items_by_members", "items_harvested"]
    assert [r[1:] for r in weekly[1:]] == [r[1:] for r in table(page.text, "intelligence-table")]

    # The API: the same, the members' items with no feed.
    admin_token, _ = create_api_token(db, moderator, name="analytics")
    data = _api(client, admin_token, "sources")
    assert [[r["source"] or MEMBERS, str(r["items"])] for r in data["rows"]] == shown
    assert {r["feed_id"] for r in data["rows"]} == {trade.id, calls.id, None}
    weeks = _api(client, admin_token, "intelligence")["rows"]
    assert [str(weeks[-1]["items_by_members"]), str(weeks[-1]["items_harvested"])] == week[1:]


def test_intelligence_by_source_honours_the_country_filter(
    client: Client, db: Session, admin: User, member: User, sectors: None,
    feed_server: FeedServer, session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    trade, _calls = _harvest_two_feeds(db, feed_server, session_factory, utcnow())
    factories.make(db, member, "Our notes from Osaka")  # JP
    factories.make(db, member, "Our notes from Lima", countries=["PE"])
    in_japan = IntelItem.id.in_(
        select(IntelCountry.item_id).where(IntelCountry.country_code == "JP")
    )
    db.expire_all()
    counted = dict(
        db.execute(
            select(IntelItem.feed_id, func.count(IntelItem.id))
            .where(in_japan, *_in_period(IntelItem.added_at))
            .group_by(IntelItem.feed_id)
        ).all()
    )
    assert counted.get(trade.id) == 1  # the Japanese food market article
    sign_in(client, db, admin)
    shown = table(client.get("/admin/analytics?country=JP").text, "sources-table")
    names = {trade.id: "Trade desk", None: MEMBERS}
    assert sorted(shown) == sorted([names[f], str(n)] for f, n in counted.items())
    assert "Calls digest" not in {r[0] for r in shown}
    rows = _csv(client, "/admin/analytics/sources.csv?country=JP")
    assert [[r[0], r[2]] for r in rows[1:]] == shown


def test_no_intelligence_in_the_period_shows_the_empty_state(
    client: Client, db: Session, moderator: User
) -> None:
    sign_in(client, db, moderator)
    page = client.get("/admin/analytics?from=2020-01-06&to=2020-01-19")
    assert "No intelligence item was added in this period." in page.text
    assert _csv(client, "/admin/analytics/sources.csv?from=2020-01-06&to=2020-01-19") == [
        ["source", "feed_id", "items"]
    ]


# --- the unanswered discussions ------------------------------------------------------------


def _listed(html: str) -> list[int]:
    """The thread ids the list links to, in order."""
    main = html[html.index("<main") :]
    return [int(n) for n in re.findall(r'<th scope="row"><a href="/threads/(\d+)">', main)]


def _expected_unanswered(db: Session, now: dt.datetime) -> set[int]:
    start, _end = analytics.choose_period(now.date()).bounds()
    replied = select(Post.thread_id).where(Post.is_opening.is_(False))
    return set(
        db.scalars(
            select(Thread.id).where(
                Thread.created_at >= start,
                Thread.created_at < now - dt.timedelta(days=7),
                Thread.hidden_at.is_(None),
                Thread.kind != "good_practice",
                Thread.id.not_in(replied),
            )
        )
    )


def test_the_unanswered_list_shows_exactly_the_counted_threads_and_paginates(
    client: Client, db: Session, moderator: User, member: User, threads: Threads,
    categories: dict[str, Category],
) -> None:  # fmt: skip
    now = utcnow()
    quiet = [threads.start(member, title=f"Anyone in Chile? ({i})") for i in range(26)]
    answered = threads.start(member, title="Anyone in Peru?")
    threads.reply(moderator, answered)
    hidden = threads.start(member, title="Anyone in Bolivia?")
    hidden.hidden_at = now
    practice = start_good_practice(db, member, categories["good-practices"])
    recent = threads.start(member, title="Anyone in Brazil?")  # not 7 days old yet
    for i, thread in enumerate([*quiet, answered, hidden, practice]):
        thread.created_at = now - dt.timedelta(days=10, minutes=i)
    db.flush()
    expected = _expected_unanswered(db, now)
    assert {t.id for t in quiet} <= expected
    assert not {answered.id, hidden.id, practice.id, recent.id} & expected

    sign_in(client, db, moderator)
    page = client.get("/admin/analytics")
    figure = re.search(r'<p id="unanswered">(.*?)</p>', page.text, re.S)
    assert figure is not None
    assert f"{len(expected)} discussions" in figure.group(1)
    assert 'href="/admin/analytics/unanswered"' in figure.group(1)

    first = client.get("/admin/analytics/unanswered")
    assert first.status_code == 200
    assert len(_listed(first.text)) == UNANSWERED_PER_PAGE
    assert f"1–{UNANSWERED_PER_PAGE} of {len(expected)}" in first.text
    assert 'rel="next"' in first.text
    second = client.get("/admin/analytics/unanswered?page=2")
    listed = _listed(first.text) + _listed(second.text)
    assert len(listed) == len(set(listed)) == len(expected)
    assert set(listed) == expected
    assert analytics.unanswered(db, analytics.choose_period(now.date()), now) == len(expected)
    # The longest waiting first.
    assert listed.index(quiet[-1].id) < listed.index(quiet[0].id)
    past = client.get("/admin/analytics/unanswered?page=9")
    assert "Nothing on this page" in past.text and _listed(past.text) == []


def test_the_unanswered_list_carries_the_period_and_focus(
    client: Client, db: Session, moderator: User, member: User, threads: Threads
) -> None:
    now = utcnow()
    japan = threads.start(member, title="Food in Japan")  # JP
    chile = threads.start(member, title="Media in Chile", countries=("CL",), sectors=("media",))
    for thread in (japan, chile):
        thread.created_at = now - dt.timedelta(days=9)
    db.flush()
    sign_in(client, db, moderator)
    in_chile = client.get("/admin/analytics/unanswered?period=12w&country=CL")
    assert in_chile.status_code == 200
    assert chile.id in _listed(in_chile.text) and japan.id not in _listed(in_chile.text)
    period = analytics.choose_period(now.date(), "12w")
    focus = analytics.Focus(("CL",), ())
    assert len(_listed(in_chile.text)) == analytics.unanswered(db, period, now, focus)
    page = client.get("/admin/analytics?period=12w&country=CL")
    assert 'href="/admin/analytics/unanswered?period=12w&amp;country=CL"' in page.text
    empty = client.get("/admin/analytics/unanswered?from=2020-01-06&to=2020-01-19")
    assert "Every discussion has an answer" in empty.text and _listed(empty.text) == []
    for query, words in [("?from=2026-03-01", "both dates"), ("?country=XX", "XX")]:
        bad = client.get("/admin/analytics/unanswered" + query)
        assert bad.status_code == 422 and words in bad.text, query


# --- harvesting health ---------------------------------------------------------------------


def test_a_feed_that_failed_is_shown_with_its_error_and_the_time_of_its_last_success(
    client: Client, db: Session, admin: User, sectors: None, feed_server: FeedServer,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    now = utcnow().replace(microsecond=0)
    succeeded, failed_at = now - dt.timedelta(hours=30), now - dt.timedelta(hours=2)
    broken = make_feed(db, feed_server.serve("/broken.xml", rss(ARTICLES[:2])), name="Broken")
    good = make_feed(db, feed_server.serve("/good.xml", rss(ARTICLES[2:])), name="Good")
    idle = make_feed(db, "https://feeds.example.org/idle.xml", name="Idle", enabled=False)
    harvest.harvest_due(session_factory, feed_ids=[broken.id, good.id], allow_private=True,
                        now=succeeded)  # fmt: skip
    del feed_server.documents["/broken.xml"]  # now 404
    harvest.harvest_due(session_factory, feed_ids=[broken.id, good.id], force=True,
                        allow_private=True, now=failed_at)  # fmt: skip
    db.expire_all()
    [failure] = db.scalars(select(FeedRun).where(FeedRun.ok.is_(False))).all()
    assert failure.feed_id == broken.id and "HTTP 404" in (failure.error or "")

    sign_in(client, db, admin)
    page = client.get("/admin/analytics")
    rows = table(page.text, "feeds-table")
    assert [r[0] for r in rows] == ["Broken", "Good"]  # failing first; Idle never harvested
    state, last_success, last_failure = rows[0][1:4]
    assert state == "Failing" and last_success != "never"
    assert "HTTP 404" in last_failure
    row = re.search(rf'<tr data-feed="{broken.id}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert f'data-time="last-success"><time datetime="{machine_time(succeeded)}"' in row.group(1)
    assert f'data-time="last-failure"><time datetime="{machine_time(failed_at)}"' in row.group(1)
    assert rows[1][1] == "Working"
    assert f'href="/admin/feeds/{broken.id}"' in page.text  # an admin may open it
    assert "1 feed that is disabled and was never harvested is not listed." in page.text

    def in_period(feed: Feed, column: Any, *where: Any) -> int:
        return int(
            db.scalar(
                select(func.coalesce(func.sum(column), 0)).where(
                    FeedRun.feed_id == feed.id, *where, *_in_period(FeedRun.finished_at)
                )
            )
            or 0
        )

    for shown, feed in zip(rows, (broken, good), strict=True):
        expected = [
            in_period(feed, FeedRun.items_added),
            in_period(feed, FeedRun.duplicates),
            in_period(feed, 1, FeedRun.ok.is_(False)),
        ]
        assert shown[4:] == [str(n) for n in expected]
    assert rows[0][4:] == ["2", "0", "1"] and rows[1][4:] == ["1", "1", "0"]

    csv_rows = _csv(client, "/admin/analytics/feeds.csv")
    assert csv_rows[0] == [
        "feed_id", "feed", "enabled", "failing", "last_success", "last_failure", "last_error",
        "added", "duplicates", "failures",
    ]  # fmt: skip
    assert [r[1] for r in csv_rows[1:]] == [r[0] for r in rows]
    assert csv_rows[1][3:6] == ["yes", machine_time(succeeded), machine_time(failed_at)]
    assert "HTTP 404" in csv_rows[1][6] and csv_rows[1][6] in rows[0][3]
    assert [r[7:] for r in csv_rows[1:]] == [r[4:] for r in rows]

    token, _ = create_api_token(db, admin, name="health")
    api_rows = _api(client, token, "feeds")["rows"]
    assert [(r["feed"], r["failing"], r["added"], r["duplicates"], r["failures"])
            for r in api_rows] == [("Broken", True, 2, 0, 1), ("Good", False, 1, 1, 0)]  # fmt: skip
    assert api_rows[0]["last_success"] == machine_time(succeeded)
    assert "HTTP 404" in api_rows[0]["last_error"]
    assert idle.id not in {r["feed_id"] for r in api_rows}


# --- who may see them ----------------------------------------------------------------------

NEW_ROUTES = (
    "/admin/analytics/unanswered",
    "/admin/analytics/intelligence.csv",
    "/admin/analytics/sources.csv",
    "/admin/analytics/feeds.csv",
)


def test_members_and_visitors_are_kept_out_of_the_new_routes(
    client: Client, db: Session, member: User
) -> None:
    for path in NEW_ROUTES:
        got = client.get(path, follow_redirects=False)
        assert got.status_code in (302, 303) and "/login" in got.headers["location"], path
    for section in ("intelligence", "sources", "feeds"):
        assert client.get(f"/api/v1/admin/analytics/{section}").status_code == 401
    token, _ = create_api_token(db, member, name="not allowed")
    for section in ("intelligence", "sources", "feeds"):
        got = client.get(
            f"/api/v1/admin/analytics/{section}", headers={"Authorization": f"Bearer {token}"}
        )
        assert got.status_code == 403, section
    sign_in(client, db, member)
    for path in NEW_ROUTES:
        assert client.get(path).status_code == 403, path
