"""/admin/analytics: the period chooser, the members' figures week by week, the CSV, and
who may see them. Each figure is compared with a count the test takes from the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import Membership, User
from forum.core.db import utcnow
from forum.digests.models import DigestDelivery
from forum.discovery.models import SearchLogEntry
from forum.discussions.models import Category, Post, Thread, ThreadCountry
from forum.events.attendance import set_attendance
from forum.events.models import Attendance, Event
from forum.inbound.models import InboundMessage
from forum.insights import analytics
from forum.insights import analytics_email as email
from forum.intelligence import writes as intelligence_writes
from forum.intelligence.models import IntelItem
from tests.conftest import Client, People, Threads, sign_in, start_good_practice
from tests.insights.test_insights import table

FEWER = "fewer than 5"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _add_people(db: Session, password_hash: str, n: int, when: dt.datetime, tag: str) -> None:
    for i in range(n):
        db.add(
            User(
                email=f"{tag}{i}@example.eu",
                name=f"{tag.title()} {i}",
                password_hash=password_hash,
                created_at=when,
                email_verified_at=when,
            )
        )
    db.flush()


def _expected_registered(db: Session, monday: dt.date) -> int:
    start = dt.datetime.combine(monday, dt.time(), dt.UTC)
    period_start, period_end = analytics.choose_period(utcnow().date()).bounds()
    low, high = max(start, period_start), min(start + dt.timedelta(days=7), period_end)
    return len(
        db.scalars(select(User.id).where(User.created_at >= low, User.created_at < high)).all()
    )


def test_period_chooser() -> None:
    today = dt.date(2026, 12, 7)  # a Monday
    four = analytics.choose_period(today)
    assert (four.start, four.end, four.key) == (dt.date(2026, 11, 10), today, "4w")
    assert four.weeks[0] == dt.date(2026, 11, 9) and four.weeks[-1] == today
    assert len(four.weeks) == 5  # the partial first week and this week's Monday
    assert len(analytics.choose_period(today, "12w").weeks) == 13
    months = analytics.choose_period(today, "12m")
    assert months.start == dt.date(2025, 12, 8)
    dates = analytics.choose_period(today, "", "2026-01-05", "2026-01-18")
    assert dates.weeks == [dt.date(2026, 1, 5), dt.date(2026, 1, 12)]


def test_small_groups_are_withheld() -> None:
    assert [analytics.withhold_small(n) for n in (0, 1, 4, 5, 9)] == [0, None, None, 5, 9]


def test_page_figures_equal_the_database(
    client: Client, db: Session, moderator: User, password_hash: str
) -> None:
    now = utcnow()
    last_week = now - dt.timedelta(days=7)
    _add_people(db, password_hash, 6, last_week, "big")  # shown as a number
    _add_people(db, password_hash, 2, now - dt.timedelta(days=14), "small")  # withheld
    sign_in(client, db, moderator)
    page = client.get("/admin/analytics")
    assert page.status_code == 200
    body = table(page.text, "members-table")  # the body's rows
    assert len(body) == len(analytics.choose_period(now.date()).weeks)
    by_week = {r[0]: r[1:] for r in body}
    assert len(by_week) == len(body)
    weeks = analytics.choose_period(now.date()).weeks
    registered_shown = [r[1] for r in body]
    for monday, shown in zip(weeks, registered_shown, strict=True):
        expected = _expected_registered(db, monday)
        if 0 < expected < 5:
            assert shown == FEWER
        else:
            assert shown == str(expected)
    # The week of the six people shows at least six; the week of the two shows the words.
    assert int(registered_shown[weeks.index(_monday(last_week.date()))]) >= 6
    two_weeks_ago = weeks.index(_monday((now - dt.timedelta(days=14)).date()))
    if _expected_registered(db, weeks[two_weeks_ago]) < 5:
        assert registered_shown[two_weeks_ago] == FEWER


def test_taking_part_counts_distinct_members_who_posted_added_intelligence_or_marked_going(
    db: Session, people: People, member: User, threads: Threads
) -> None:
    period = analytics.choose_period(utcnow().date())
    before = analytics.members(db, period)[-1].taking_part or 0
    thread = threads.start(member, title="Going to Japan together")
    posters = [people.make() for _ in range(5)]
    for person in posters:
        for _ in range(2):  # two replies each: still one person taking part
            threads.reply(person, thread)
    # One who only adds an item, one who only marks an event going, one who only says
    # "interested" (not taking part), and a poster who also marks going (counted once).
    adder, goer, curious = people.make(), people.make(), people.make()
    intelligence_writes.create_item(db, adder, intelligence_writes.ItemInput(title="A note"))
    event = Event(name="Foodex Japan")
    db.add(event)
    db.flush()
    set_attendance(db, goer, event, status="going")
    set_attendance(db, curious, event, status="interested")
    set_attendance(db, posters[0], event, status="going")
    rows = analytics.members(db, period)
    start, end = period.bounds()
    week_start = dt.datetime.combine(_monday(utcnow().date()), dt.time(), dt.UTC)
    low = max(start, week_start)
    authors = set(
        db.scalars(
            select(Post.author_id).where(
                Post.created_at >= low, Post.created_at < end, Post.author_id.is_not(None)
            )
        )
    )
    adders = set(
        db.scalars(
            select(IntelItem.author_id).where(
                IntelItem.added_at >= low,
                IntelItem.added_at < end,
                IntelItem.feed_id.is_(None),
                IntelItem.author_id.is_not(None),
            )
        )
    )
    goers = {
        mark.user_id or mark.marked_by_id
        for mark in db.scalars(
            select(Attendance).where(
                Attendance.marked_at >= low,
                Attendance.marked_at < end,
                Attendance.status == "going",
            )
        )
    }
    assert adder.id in adders and goer.id in goers and curious.id not in goers
    expected = authors | adders | goers
    assert len(expected) >= 8 > before
    assert rows[-1].week == _monday(utcnow().date())
    assert rows[-1].taking_part == len(expected)
    assert rows[-1].taking_part == len(authors) + 2  # the adder and the goer


def test_approved_memberships_are_counted(db: Session, people: People, demo_db: Session) -> None:
    period = analytics.choose_period(utcnow().date())
    now = utcnow()
    for _ in range(5):
        person = people.make(partnership_slug="laser-go-global")
        membership = db.scalars(select(Membership).where(Membership.user_id == person.id)).one()
        membership.decided_at = now
    db.flush()
    start = max(period.bounds()[0], dt.datetime.combine(_monday(now.date()), dt.time(), dt.UTC))
    approved = db.scalars(
        select(Membership.id).where(
            Membership.status == "approved",
            Membership.decided_at >= start,
            Membership.decided_at < period.bounds()[1],
        )
    ).all()
    assert analytics.members(db, period)[-1].approved == len(approved) >= 5


def test_csv_parses_and_equals_the_page(
    client: Client, db: Session, admin: User, password_hash: str
) -> None:
    _add_people(db, password_hash, 7, utcnow() - dt.timedelta(days=3), "csv")
    sign_in(client, db, admin)
    query = "?period=12w"
    page = client.get("/admin/analytics" + query)
    got = client.get("/admin/analytics/members.csv" + query)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["week", *analytics.MEMBER_FIGURES]
    shown = [r[1:] for r in table(page.text, "members-table")]
    assert [r[1:] for r in rows[1:]] == shown
    weeks = analytics.choose_period(utcnow().date(), "12w").weeks
    assert [r[0] for r in rows[1:]] == [w.isoformat() for w in weeks]


def test_bad_periods_are_422(client: Client, db: Session, moderator: User) -> None:
    sign_in(client, db, moderator)
    for query, words in [
        ("?from=2026-03-01&to=2026-02-01", "must not be after"),
        ("?from=2026-03-01", "both dates"),
        ("?from=2026-13-01&to=2026-14-01", "YYYY-MM-DD"),
        ("?period=5y", "`period` is one of"),
        ("?from=2020-01-01&to=2026-01-01", "two years"),
    ]:
        for path in ("/admin/analytics", "/admin/analytics/members.csv"):
            got = client.get(path + query)
            assert got.status_code == 422, (path, query)
            assert words in got.text, (path, query)
    ok = client.get("/admin/analytics?from=2026-01-05&to=2026-01-18")
    assert ok.status_code == 200
    assert len(table(ok.text, "members-table")) == 2  # two weeks


def test_members_and_visitors_are_kept_out(client: Client, db: Session, member: User) -> None:
    for path in ("/admin/analytics", "/admin/analytics/members.csv"):
        got = client.get(path, follow_redirects=False)
        assert got.status_code in (302, 303) and "/login" in got.headers["location"], path
    sign_in(client, db, member)
    for path in ("/admin/analytics", "/admin/analytics/members.csv"):
        assert client.get(path).status_code == 403, path


def _this_week_count(db: Session, column: Any, *where: Any) -> int:
    now = utcnow()
    start = max(
        analytics.choose_period(now.date()).bounds()[0],
        dt.datetime.combine(_monday(now.date()), dt.time(), dt.UTC),
    )
    return len(db.scalars(select(column).where(column >= start, *where)).all())


def test_content_flow_equals_the_database(
    client: Client,
    db: Session,
    moderator: User,
    member: User,
    threads: Threads,
    categories: dict[str, Category],
) -> None:
    first = threads.start(member, title="Going to Osaka")
    threads.start(member, title="Going to Seoul")
    for _ in range(3):
        threads.reply(moderator, first)
    start_good_practice(db, member, categories["good-practices"])
    intelligence_writes.create_item(db, member, intelligence_writes.ItemInput(title="A note"))
    sign_in(client, db, moderator)
    page = client.get("/admin/analytics")
    week = table(page.text, "content-table")[-1]
    expected = [
        _this_week_count(db, Thread.created_at, Thread.kind != "good_practice"),
        _this_week_count(db, Post.created_at, Post.is_opening.is_(False)),
        _this_week_count(db, Thread.created_at, Thread.kind == "good_practice"),
        _this_week_count(db, IntelItem.added_at, IntelItem.feed_id.is_(None)),
        _this_week_count(db, IntelItem.added_at, IntelItem.feed_id.is_not(None)),
        _this_week_count(db, Event.created_at),
    ]
    assert expected[:4] >= [2, 3, 1, 1]
    assert week[1:] == [str(n) for n in expected]
    got = client.get("/admin/analytics/content.csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["week", *analytics.CONTENT_FIGURES]
    assert [r[1:] for r in rows[1:]] == [r[1:] for r in table(page.text, "content-table")]
    assert client.get("/admin/analytics/nothing.csv").status_code == 404


def test_unanswered_discussions(db: Session, member: User, threads: Threads) -> None:
    now = utcnow()
    period = analytics.choose_period(now.date())
    before = analytics.unanswered(db, period, now)
    quiet = threads.start(member, title="Anyone in Chile?")
    answered = threads.start(member, title="Anyone in Peru?")
    threads.reply(member, answered)
    recent = threads.start(member, title="Anyone in Brazil?")  # not 7 days old yet
    for thread in (quiet, answered):
        thread.created_at = now - dt.timedelta(days=10)
    db.flush()
    assert recent.created_at > now - dt.timedelta(days=7)
    assert analytics.unanswered(db, period, now) == before + 1


def _log(db: Session, text: str, countries: str, results: int, n: int, signed_in: bool) -> None:
    for _ in range(n):
        db.add(
            SearchLogEntry(
                text=text,
                countries=countries,
                sectors="food" if countries else "",
                result_count=results,
                signed_in=signed_in,
                via="page",
            )
        )
    db.flush()


def test_searches_equal_the_log(client: Client, db: Session, admin: User) -> None:
    _log(db, "japan", "JP", 4, 6, True)
    _log(db, "lithium in atacama", "CL", 0, 3, True)
    _log(db, "lithium in atacama", "", 0, 1, False)
    _log(db, "robots", "", 2, 2, False)
    sign_in(client, db, admin)
    page = client.get("/admin/analytics")
    entries = db.scalars(select(SearchLogEntry)).all()
    week = table(page.text, "searches-table")[-1]
    assert week[1:] == [
        str(len(entries)),
        str(sum(1 for e in entries if e.result_count == 0)),
        str(sum(1 for e in entries if e.signed_in)),
    ]
    assert table(page.text, "no-results-table") == [
        ["lithium in atacama", "CL", "3", "3"],
        ["lithium in atacama", "—", "1", "1"],
    ]
    assert table(page.text, "queries-table")[:2] == [
        ["japan", "JP", "6", "0"],
        ["lithium in atacama", "CL", "3", "3"],
    ]
    assert table(page.text, "filters-table") == [
        ["Sector", "food", "9"],
        ["Country", "JP", "6"],
        ["Country", "CL", "3"],
    ]
    got = client.get("/admin/analytics/no-results.csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows == [
        ["query", "countries", "searches", "without_result"],
        ["lithium in atacama", "CL", "3", "3"],
        ["lithium in atacama", "", "1", "1"],
    ]
    weekly = list(csv.reader(io.StringIO(client.get("/admin/analytics/searches.csv").text)))
    assert weekly[0] == ["week", "searches", "without_result", "signed_in"]
    assert [r[1:] for r in weekly[1:]] == [r[1:] for r in table(page.text, "searches-table")]
    assert len(list(csv.reader(io.StringIO(client.get("/admin/analytics/queries.csv").text)))) == 5


def test_api_gives_the_page_figures(
    client: Client, db: Session, admin: User, member: User, password_hash: str
) -> None:
    _add_people(db, password_hash, 2, utcnow(), "api")  # withheld: null
    _log(db, "lithium in atacama", "CL", 0, 2, True)
    token, _ = create_api_token(db, admin, name="analytics")
    member_token, _ = create_api_token(db, member, name="not allowed")
    sign_in(client, db, admin)
    page = client.get("/admin/analytics?period=12w")
    got = client.get(
        "/api/v1/admin/analytics/members?period=12w", headers={"Authorization": f"Bearer {token}"}
    )
    assert got.status_code == 200
    data = got.json()
    weeks = analytics.choose_period(utcnow().date(), "12w").weeks
    assert [r["week"] for r in data["rows"]] == [w.isoformat() for w in weeks]
    shown = table(page.text, "members-table")
    as_text = [
        [FEWER if r[f] is None else str(r[f]) for f in analytics.MEMBER_FIGURES]
        for r in data["rows"]
    ]
    assert as_text == [r[1:] for r in shown]
    assert data["rows"][-1]["registered"] is None
    empty = client.get(
        "/api/v1/admin/analytics/no-results", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert empty["rows"] == [
        {"query": "lithium in atacama", "countries": "CL", "searches": 2, "without_result": 2}
    ]
    bad = client.get(
        "/api/v1/admin/analytics/members?from=2026-02-01&to=2026-01-01",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422 and "must not be after" in bad.text
    nothing = client.get(
        "/api/v1/admin/analytics/nothing", headers={"Authorization": f"Bearer {token}"}
    )
    assert nothing.status_code == 404
    client.cookies.clear()
    assert client.get("/api/v1/admin/analytics/members").status_code == 401
    refused = client.get(
        "/api/v1/admin/analytics/members", headers={"Authorization": f"Bearer {member_token}"}
    )
    assert refused.status_code == 403
    # Who asks is checked first, then the section, then the period and focus.
    member_auth = {"Authorization": f"Bearer {member_token}"}
    assert client.get("/api/v1/admin/analytics/nothing?period=5y").status_code == 401
    for path in (
        "/api/v1/admin/analytics/nothing?period=5y",
        "/api/v1/admin/analytics/members?country=XX",
    ):
        assert client.get(path, headers=member_auth).status_code == 403, path
    admin_auth = {"Authorization": f"Bearer {token}"}
    assert (
        client.get("/api/v1/admin/analytics/nothing?period=5y", headers=admin_auth).status_code
        == 404
    )


def test_who_asks_is_checked_before_the_period(client: Client, db: Session, member: User) -> None:
    """Every analytics route sends a visitor away and refuses a member before it reads the
    period or focus (one dependency, declared after the user's)."""
    paths = [
        "/admin/analytics?period=5y",
        "/admin/analytics/members.csv?country=XX",
        "/admin/analytics/nothing.csv?period=5y",
        "/admin/analytics/unanswered?from=2026-03-01",
    ]
    for path in paths:
        got = client.get(path, follow_redirects=False)
        assert got.status_code in (302, 303) and "/login" in got.headers["location"], path
    sign_in(client, db, member)
    for path in paths:
        assert client.get(path).status_code == 403, path


def test_content_filtered_by_country_and_sector(
    client: Client, db: Session, moderator: User, member: User, threads: Threads
) -> None:
    japan = threads.start(member, title="Food in Japan")  # JP, food
    threads.reply(moderator, japan)
    chile = threads.start(member, title="Media in Chile", countries=("CL",), sectors=("media",))
    threads.reply(moderator, chile)
    threads.reply(moderator, chile)
    sign_in(client, db, moderator)
    everything = table(client.get("/admin/analytics").text, "content-table")[-1]
    japan_only = table(client.get("/admin/analytics?country=JP").text, "content-table")[-1]
    asia = table(client.get("/admin/analytics?country=g:asean&sector=food").text, "content-table")
    in_japan = [
        Thread.id.in_(select(ThreadCountry.thread_id).where(ThreadCountry.country_code == "JP"))
    ]
    expected_threads = _this_week_count(
        db, Thread.created_at, Thread.kind != "good_practice", *in_japan
    )
    expected_replies = _this_week_count(
        db,
        Post.created_at,
        Post.is_opening.is_(False),
        Post.thread_id.in_(select(Thread.id).where(*in_japan)),
    )
    assert japan_only[1:3] == [str(expected_threads), str(expected_replies)]
    assert int(everything[1]) >= int(japan_only[1]) + 1
    assert int(everything[2]) >= int(japan_only[2]) + 2
    assert asia[-1][1:3] == ["0", "0"]  # Japan is not in ASEAN
    csv_rows = list(
        csv.reader(io.StringIO(client.get("/admin/analytics/content.csv?country=JP").text))
    )
    assert csv_rows[-1][1:3] == japan_only[1:3]
    for query in ("?country=XX", "?sector=no-such-sector"):
        for path in ("/admin/analytics", "/admin/analytics/content.csv"):
            assert client.get(path + query).status_code == 422, (path, query)


def test_email_figures_equal_the_database(
    client: Client, db: Session, admin: User, people: People
) -> None:
    now = utcnow()
    for i in range(7):
        person = people.make()
        status = "sent" if i < 5 else "skipped"
        db.add(
            DigestDelivery(
                user_id=person.id,
                period=now.date(),
                frequency="weekly",
                status=status,
                window_start=now - dt.timedelta(days=7),
                window_end=now,
                message_id=f"<digest-{i}@example.eu>",
                sent_at=now if status == "sent" else None,
            )
        )
    for i, status in enumerate(["posted", "thread", "refused"]):
        db.add(InboundMessage(message_key=f"k{i}", via="inbox", status=status, reason=""))
    db.flush()
    sign_in(client, db, admin)
    page = client.get("/admin/analytics")
    week = table(page.text, "email-table")[-1]
    this_week = _this_week_count

    def shown(n: int) -> str:
        return FEWER if 0 < n < 5 else str(n)

    sent = this_week(db, DigestDelivery.sent_at, DigestDelivery.status == "sent")
    skipped = this_week(db, DigestDelivery.window_end, DigestDelivery.status == "skipped")
    assert sent >= 5 and 0 < skipped < 5
    assert week[1:4] == [
        shown(sent),
        shown(skipped),
        shown(this_week(db, DigestDelivery.window_end, DigestDelivery.status == "failed")),
    ]
    posting = table(page.text, "posting-table")[-1]
    assert posting[2:4] == [
        str(
            this_week(
                db, InboundMessage.received_at, InboundMessage.status.in_(("posted", "thread"))
            )
        ),
        str(this_week(db, InboundMessage.received_at, InboundMessage.status == "refused")),
    ]
    rows = list(csv.reader(io.StringIO(client.get("/admin/analytics/email.csv").text)))
    assert rows[0] == ["week", *email.EMAIL_FIGURES]
    shares = len(email.DIGEST_FIGURES)  # the share reads "0%" on the page, "0.0000" in the CSV
    page_rows = [
        d[1:] + p[1:]
        for d, p in zip(
            table(page.text, "email-table"), table(page.text, "posting-table"), strict=True
        )
    ]
    assert [r[1:shares] + r[shares + 1 :] for r in rows[1:]] == [
        r[: shares - 1] + r[shares:] for r in page_rows
    ]
