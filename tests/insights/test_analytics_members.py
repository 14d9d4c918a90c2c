"""/admin/analytics, the members: the weekly activity record and the active members, the
members by country and sector followed and by partnership, and the focus on members and
searches. Scripted members sign in on different weeks, follow countries and sectors and
belong to partnerships; each figure on the page, in the CSV and in the API is compared
with a count the test takes from the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts import activity, sessions
from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import MemberActivity, Membership, User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import JobContext
from forum.discovery.models import SearchLogEntry
from forum.insights import analytics
from forum.notifications.models import Follow
from forum.notifications.service import follow
from forum.partnerships.models import Partnership
from forum.runner import load_jobs
from forum.taxonomy.regions import expand_codes, get_region_group, load_region_groups
from tests.conftest import Client, People, sign_in
from tests.insights.test_insights import table

FEWER = "fewer than 5"
ACTIVE = 1 + analytics.MEMBER_FIGURES.index("active")  # its column in the members table
REGISTERED = 1 + analytics.MEMBER_FIGURES.index("registered")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _shown(n: int) -> str:
    return FEWER if 0 < n < 5 else str(n)


def _seen(db: Session, person: User, when: dt.datetime) -> None:
    """The member is seen signed in at `when`, as a sign-in or a page view records it."""
    sessions.touch(person, when)
    activity.record_seen(db, person)
    db.flush()


def _weeks_of(db: Session, person: User) -> list[dt.date]:
    return list(
        db.scalars(
            select(MemberActivity.week)
            .where(MemberActivity.user_id == person.id)
            .order_by(MemberActivity.week)
        )
    )


@pytest.fixture
def inserts(db: Session) -> Iterator[list[str]]:
    """The INSERT statements into member_activity, as they reach the database."""
    found: list[str] = []

    def spy(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO MEMBER_ACTIVITY"):
            found.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", spy)
    yield found
    event.remove(engine, "before_cursor_execute", spy)


# --- the weekly activity record -------------------------------------------------------------


def test_a_member_seen_in_three_weeks_has_three_rows_written_once_each(
    db: Session, member: User, inserts: list[str]
) -> None:
    now = utcnow()
    member.last_seen_at = member.previous_seen_at = None
    db.flush()
    db.execute(MemberActivity.__table__.delete().where(MemberActivity.user_id == member.id))
    inserts.clear()
    sightings = [now - dt.timedelta(days=d, hours=h) for d in (15, 8, 0) for h in (3, 2, 0)]
    for when in sightings:
        _seen(db, member, when)
    weeks = sorted({_monday(w.date()) for w in sightings})
    assert _weeks_of(db, member) == weeks
    assert len(inserts) == len(weeks), "one insert per week, none for later sightings in it"


def test_a_second_request_racing_into_the_same_new_week_inserts_nothing(
    db: Session, member: User
) -> None:
    now = utcnow()
    member.last_seen_at = now - dt.timedelta(days=8)
    db.flush()
    db.add(MemberActivity(user_id=member.id, week=_monday(now.date())))  # the other request
    db.flush()
    _seen(db, member, now)  # no IntegrityError
    assert _weeks_of(db, member).count(_monday(now.date())) == 1


def test_signing_in_and_a_page_view_in_a_new_week_record_it(
    client: Client, db: Session, member: User, inserts: list[str]
) -> None:
    this_week = _monday(utcnow().date())
    member.last_seen_at = utcnow() - dt.timedelta(days=30)
    db.flush()
    sign_in(client, db, member)
    assert this_week in _weeks_of(db, member), "the sign-in records the week"
    db.execute(MemberActivity.__table__.delete().where(MemberActivity.user_id == member.id))
    member.last_seen_at = utcnow() - dt.timedelta(days=8)  # seen last in an earlier week
    db.flush()
    inserts.clear()
    for _ in range(3):
        assert client.get("/discussions").status_code == 200
    db.expire_all()
    assert _weeks_of(db, member) == [this_week]
    assert len(inserts) == 1, "the first page view of the week writes it, the next ones nothing"


def test_the_prune_job_deletes_the_weeks_older_than_13_months(
    db: Session, member: User, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    today = utcnow().date()
    old = _monday(activity.months_before(today, 13)) - dt.timedelta(weeks=1)
    kept = [_monday(activity.months_before(today, 12)), _monday(today)]
    db.execute(MemberActivity.__table__.delete().where(MemberActivity.user_id == member.id))
    for week in (old, *kept):
        db.add(MemberActivity(user_id=member.id, week=week))
    db.flush()
    task = load_jobs().periodic_tasks["member-activity-prune"]
    task.handler(db, JobContext(settings=settings, session_factory=session_factory, holder="t"))
    assert _weeks_of(db, member) == kept


def test_months_before_keeps_the_day_or_takes_the_shorter_months_last() -> None:
    assert activity.months_before(dt.date(2026, 12, 7), 13) == dt.date(2025, 11, 7)
    assert activity.months_before(dt.date(2027, 3, 31), 13) == dt.date(2026, 2, 28)
    assert activity.months_before(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)


def test_the_privacy_page_says_what_is_kept_for_how_long_and_why(client: Client) -> None:
    text = " ".join(client.get("/privacy").text.split())
    assert "The weeks you were seen signed in" in text
    assert "13 months, then deleted" in text
    assert "To count how many members use the forum each week" in text
    assert '<tr id="data-activity_weeks">' in text


# --- active members on the page, in the CSV and in the API -----------------------------------


def _active_in_db(db: Session, week: dt.date) -> int:
    found = db.scalar(
        select(func.count()).select_from(MemberActivity).where(MemberActivity.week == week)
    )
    return int(found or 0)


def test_active_members_equal_the_database_on_the_page_the_csv_and_the_api(
    client: Client, db: Session, admin: User, people: People
) -> None:
    now = utcnow()
    last_week = now - dt.timedelta(days=7)
    for _ in range(6):
        _seen(db, people.make(), now)
    for _ in range(2):
        _seen(db, people.make(), last_week)
    both = people.make()
    _seen(db, both, last_week)
    _seen(db, both, now)  # one member, seen in two weeks: one in each
    sign_in(client, db, admin)
    token, _ = create_api_token(db, admin, name="analytics")
    page = client.get("/admin/analytics")
    weeks = analytics.choose_period(now.date()).weeks
    shown = [row[ACTIVE] for row in table(page.text, "members-table")]
    assert shown == [_shown(_active_in_db(db, w)) for w in weeks]
    assert int(shown[-1]) >= 8
    assert 0 < _active_in_db(db, _monday(last_week.date())) < 5 and shown[-2] == FEWER
    rows = list(csv.reader(io.StringIO(client.get("/admin/analytics/members.csv").text)))
    assert rows[0] == ["week", *analytics.MEMBER_FIGURES]
    assert [r[ACTIVE] for r in rows[1:]] == shown
    api = client.get(
        "/api/v1/admin/analytics/members", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [r["active"] for r in api["rows"]] == [None if v == FEWER else int(v) for v in shown]


# --- members by country and sector followed, and by partnership ------------------------------


def _eligible() -> list[Any]:
    return [User.email_verified_at.is_not(None), User.suspended_at.is_(None)]


def _following_country(db: Session, code: str) -> int:
    """Members following `code`, directly or through a region group that holds it."""
    groups = [g.code for g in load_region_groups().values() if code in g.members]
    return len(
        set(
            db.scalars(
                select(Follow.user_id)
                .join(User, User.id == Follow.user_id)
                .where(
                    *_eligible(),
                    or_(
                        and_(Follow.target_type == "country", Follow.target == code),
                        and_(Follow.target_type == "region_group", Follow.target.in_(groups)),
                    ),
                )
            )
        )
    )


def _following_sector(db: Session, slug: str) -> int:
    found = db.scalar(
        select(func.count(func.distinct(Follow.user_id)))
        .join(User, User.id == Follow.user_id)
        .where(*_eligible(), Follow.target_type == "sector", Follow.target == slug)
    )
    return int(found or 0)


def _members_of(db: Session, slug: str) -> int:
    found = db.scalar(
        select(func.count(Membership.id))
        .join(Partnership, Partnership.id == Membership.partnership_id)
        .join(User, User.id == Membership.user_id)
        .where(*_eligible(), Partnership.slug == slug, Membership.status == "approved")
    )
    return int(found or 0)


@pytest.fixture
def followers(db: Session, people: People, sectors: None) -> dict[str, list[User]]:
    """Members following Japan (one through East Asia), Mongolia, the EU 27, sectors, and
    belonging to two partnerships; one suspended follower of Japan, who is not counted."""
    alpha = Partnership(slug="alpha-cluster", name="Alpha Cluster")
    beta = Partnership(slug="beta-cluster", name="Beta Cluster")
    db.add_all([alpha, beta])
    db.flush()
    groups: dict[str, list[User]] = {"japan": [], "mongolia": [], "alpha": [], "beta": []}
    for i in range(6):
        person = people.make()
        follow(db, person.id, "country" if i else "region_group", "JP" if i else "g:east-asia")
        follow(db, person.id, "sector", "food")
        db.add(Membership(user_id=person.id, partnership_id=alpha.id, status="approved"))
        groups["japan"].append(person)
        groups["alpha"].append(person)
    for _ in range(2):
        person = people.make()
        follow(db, person.id, "country", "MN")
        follow(db, person.id, "sector", "media")
        db.add(Membership(user_id=person.id, partnership_id=beta.id, status="approved"))
        groups["mongolia"].append(person)
        groups["beta"].append(person)
    waiting = people.make()
    db.add(Membership(user_id=waiting.id, partnership_id=beta.id, status="pending"))
    europe = people.make()
    follow(db, europe.id, "region_group", "g:eu27")
    gone = people.make()
    follow(db, gone.id, "country", "JP")
    gone.suspended_at = utcnow()
    gone.created_at = utcnow() - dt.timedelta(days=60)  # before the period: not registered in it
    db.flush()
    return groups


def _csv(client: Client, section: str, query: str = "") -> list[list[str]]:
    got = client.get(f"/admin/analytics/{section}.csv{query}")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(got.text)))


def test_members_by_country_followed_equal_the_database(
    client: Client, db: Session, admin: User, people: People, followers: dict[str, list[User]]
) -> None:
    both = people.make()  # Mongolia directly and through East Asia: counted once for it
    follow(db, both.id, "country", "MN")
    follow(db, both.id, "region_group", "g:east-asia")
    db.flush()
    sign_in(client, db, admin)
    token, _ = create_api_token(db, admin, name="analytics")
    page = client.get("/admin/analytics")
    shown = table(page.text, "members-countries-table")
    rows = _csv(client, "members-countries")
    assert rows[0] == ["country", "name", "members"]
    followed = set(expand_codes(["g:eu27", "g:east-asia"])) | {"JP", "MN"}
    assert {r[0] for r in rows[1:]} == followed
    for code, _, members in rows[1:]:
        assert members == _shown(_following_country(db, code)), code
    assert _following_country(db, "JP") == 7  # five directly, two through East Asia
    assert dict((r[1], r[2]) for r in rows[1:])["Japan"] == "7"
    assert _following_country(db, "MN") == 4  # two directly, one through East Asia, one both
    # The page shows the first 15, as the CSV ranks them: numbers first, then the withheld.
    assert len(followed) > 15 and shown == [r[1:] for r in rows[1:16]]
    values = [r[2] for r in rows[1:]]
    numbers = [int(v) for v in values if v != FEWER]
    assert numbers == sorted(numbers, reverse=True)
    assert values == [str(n) for n in numbers] + [FEWER] * (len(values) - len(numbers))
    assert "The first 15 of" in page.text
    api = client.get(
        "/api/v1/admin/analytics/members-countries", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [[r["country"], r["name"], r["members"]] for r in api["rows"]] == [
        [c, n, None if m == FEWER else int(m)] for c, n, m in rows[1:]
    ]


def test_members_by_sector_and_partnership_equal_the_database(
    client: Client, db: Session, admin: User, followers: dict[str, list[User]]
) -> None:
    sign_in(client, db, admin)
    page = client.get("/admin/analytics")
    sectors = _csv(client, "members-sectors")
    assert sectors[0] == ["sector", "name", "members"]
    assert [r[0] for r in sectors[1:]] == ["food", "media"]
    assert (
        [r[2] for r in sectors[1:]]
        == [
            _shown(_following_sector(db, "food")),
            _shown(_following_sector(db, "media")),
        ]
        == ["6", FEWER]
    )
    assert table(page.text, "members-sectors-table") == [r[1:] for r in sectors[1:]]
    partnerships = _csv(client, "members-partnerships")
    assert partnerships[1:] == [
        ["alpha-cluster", "Alpha Cluster", _shown(_members_of(db, "alpha-cluster"))],
        ["beta-cluster", "Beta Cluster", FEWER],
    ]
    assert partnerships[1][2] == "6", "approved memberships; the pending one is not counted"
    assert table(page.text, "members-partnerships-table") == [r[1:] for r in partnerships[1:]]
    # The ranked bar chart draws a bar for the counted row and the words for the withheld.
    chart = page.text.split('id="members-partnerships-chart-title"')[1].split("</svg>")[0]
    assert "Alpha Cluster" in chart and FEWER in chart and chart.count("<rect") == 2


def test_a_member_list_with_nobody_says_so(client: Client, db: Session, admin: User) -> None:
    sign_in(client, db, admin)
    page = client.get("/admin/analytics").text
    assert "No member follows a country." in page
    assert "No membership of a partnership is approved." in page
    assert _csv(client, "members-partnerships") == [["partnership", "name", "members"]]


# --- the focus narrows members and searches --------------------------------------------------


def _registered_following(db: Session, code: str) -> int:
    """Accounts registered this week (inside the period) that follow `code` (the rule)."""
    groups = [g.code for g in load_region_groups().values() if code in g.members]
    start = max(
        analytics.choose_period(utcnow().date()).bounds()[0],
        dt.datetime.combine(_monday(utcnow().date()), dt.time(), dt.UTC),
    )
    follows = select(Follow.user_id).where(
        or_(
            and_(Follow.target_type == "country", Follow.target == code),
            and_(Follow.target_type == "region_group", Follow.target.in_(groups)),
        )
    )
    return len(
        db.scalars(select(User.id).where(User.created_at >= start, User.id.in_(follows))).all()
    )


def test_the_focus_counts_the_members_who_follow_the_country(
    client: Client, db: Session, moderator: User, people: People, followers: dict[str, list[User]]
) -> None:
    now = utcnow()
    chile = [people.make() for _ in range(5)]
    for person in chile:
        follow(db, person.id, "country", "CL")
    for person in (*followers["japan"], *chile):
        _seen(db, person, now)
    sign_in(client, db, moderator)
    everyone = table(client.get("/admin/analytics").text, "members-table")[-1]
    japan = table(client.get("/admin/analytics?country=JP").text, "members-table")[-1]
    in_chile = table(client.get("/admin/analytics?country=CL").text, "members-table")[-1]
    assert japan[REGISTERED] == str(_registered_following(db, "JP")) == "6"
    assert in_chile[REGISTERED] == str(_registered_following(db, "CL")) == "5"
    assert int(everyone[REGISTERED]) >= 6 + 5 + 2
    assert japan[ACTIVE] == "6" and in_chile[ACTIVE] == "5"  # the focus's members seen
    assert int(everyone[ACTIVE]) >= 12  # and the moderator
    # South-east Asia holds neither: nobody here follows it.
    asean = table(client.get("/admin/analytics?country=g:asean").text, "members-table")[-1]
    assert asean[REGISTERED] == "0" and asean[ACTIVE] == "0"
    # A sector too: the Japan followers follow food; the Chile ones follow no sector.
    food = table(client.get("/admin/analytics?country=JP&sector=food").text, "members-table")
    assert food[-1][REGISTERED] == "6"
    assert table(client.get("/admin/analytics?sector=food").text, "members-table")[-1][
        REGISTERED
    ] == str(_following_sector(db, "food"))
    # The member lists follow the focus: Chile's followers follow Chile only.
    rows = _csv(client, "members-countries", "?country=CL")
    assert rows[1:] == [["CL", "Chile", "5"]]
    csv_week = _csv(client, "members", "?country=JP")[-1]
    assert csv_week[REGISTERED] == "6" and csv_week[ACTIVE] == "6"
    partnerships = _csv(client, "members-partnerships", "?country=JP")
    assert partnerships[1:] == [["alpha-cluster", "Alpha Cluster", "6"]]


SEARCHES = [  # text, countries as logged, sectors as logged, how many
    ("sushi", "JP", "food", 3),
    ("ramen", "g:east-asia", "", 2),
    ("copper", "CL", "", 4),
    ("anything", "", "", 1),
    ("pho", "VN", "food-innovation", 2),
    ("trade", "JP,g:asean", "food", 1),
]


def _in_focus(countries: str, sectors: str, codes: list[str], slugs: list[str]) -> bool:
    """The documented rule, in Python: a logged country names a focus country or a region
    group that holds one; a logged sector is one of the focus's sectors."""

    def holds(logged: str) -> bool:
        group = get_region_group(logged) if logged.startswith("g:") else None
        return logged in codes or (group is not None and bool(group.members & set(codes)))

    country_ok = not codes or any(holds(c) for c in countries.split(",") if c)
    sector_ok = not slugs or any(s in slugs for s in sectors.split(",") if s)
    return country_ok and sector_ok


@pytest.mark.parametrize(
    ("query", "codes", "slugs"),
    [
        ("country=JP", ["JP"], []),
        ("country=g:asean", expand_codes(["g:asean"]), []),
        ("sector=food", [], ["food"]),
        ("country=JP&sector=food", ["JP"], ["food"]),
    ],
)
def test_the_focus_counts_the_searches_filtered_by_it(
    client: Client, db: Session, admin: User, sectors: None, query: str, codes: list[str],
    slugs: list[str],
) -> None:  # fmt: skip
    for text, countries, sector, n in SEARCHES:
        for _ in range(n):
            db.add(
                SearchLogEntry(
                    text=text, countries=countries, sectors=sector, result_count=0, via="page"
                )
            )
    db.flush()
    sign_in(client, db, admin)
    page = client.get(f"/admin/analytics?{query}").text
    expected = [s for s in SEARCHES if _in_focus(s[1], s[2], codes, slugs)]
    assert expected and len(expected) < len(SEARCHES)
    week = table(page, "searches-table")[-1]
    assert week[1:3] == [str(sum(s[3] for s in expected))] * 2
    ranked = sorted(expected, key=lambda s: (-s[3], s[0]))
    assert table(page, "no-results-table") == [[s[0], s[1], str(s[3]), str(s[3])] for s in ranked]
    no_results = _csv(client, "no-results", f"?{query}")
    assert [r[0] for r in no_results[1:]] == [s[0] for s in ranked]


# --- who may see them ----------------------------------------------------------------------

NEW_SECTIONS = ("members-countries", "members-sectors", "members-partnerships")


def test_members_and_visitors_are_kept_out_of_the_new_downloads_and_api(
    client: Client, db: Session, member: User
) -> None:
    token, _ = create_api_token(db, member, name="not allowed")
    for section in NEW_SECTIONS:
        got = client.get(f"/admin/analytics/{section}.csv", follow_redirects=False)
        assert got.status_code in (302, 303) and "/login" in got.headers["location"], section
        assert client.get(f"/api/v1/admin/analytics/{section}").status_code == 401, section
        refused = client.get(
            f"/api/v1/admin/analytics/{section}", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 403, section
    sign_in(client, db, member)
    for section in NEW_SECTIONS:
        assert client.get(f"/admin/analytics/{section}.csv").status_code == 403, section
