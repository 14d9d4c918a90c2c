"""The records of the weeks each member took part (`member_posting_week`,
`member_item_week`, `member_going_week`, migration 0029) and the count of members taking
part on /admin/analytics, which reads them for whole weeks (and the rollup without a
focus).

Taking part is posting (a thread's opening post or a reply), adding an intelligence item
(no feed) or marking an event "going" (one's own mark or a partnership's one sets). The
records must always equal the rows: after every change here (a post written, deleted,
hidden, moved; an item added, deleted, given a feed; a mark made, changed from interested
to going and back, withdrawn, set again by another member of the partnership; a member
erased either way; an account row deleted) each record is compared with the (member,
Monday) pairs of its rows, and the figure of each focus and period with the count of
distinct members the test takes from the rows themselves, before and after the job."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.db import make_engine, make_session_factory, utcnow
from forum.discussions.models import Category, Post, PostingWeek, Thread
from forum.events.attendance import set_attendance
from forum.events.models import Attendance, Event, GoingWeek
from forum.insights import analytics, jobs
from forum.insights.models import TakingPartWeek
from forum.intelligence.models import Feed, IntelItem, ItemWeek
from forum.migrate import alembic_config
from forum.notifications.models import Follow
from forum.notifications.service import follow
from forum.partnerships.models import Partnership
from forum.portal import privacy
from forum.taxonomy.regions import get_region_group
from tests.conftest import People, Threads


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _at(weeks_ago: int, hours: int) -> dt.datetime:
    """`hours` after the Monday `weeks_ago` weeks before this one, UTC."""
    monday = _monday(utcnow().date()) - dt.timedelta(weeks=weeks_ago)
    return dt.datetime.combine(monday, dt.time(), dt.UTC) + dt.timedelta(hours=hours)


def _week(moment: dt.datetime) -> dt.date:
    return _monday(moment.astimezone(dt.UTC).date())


def _posts(db: Session) -> list[tuple[int | None, dt.datetime]]:
    return [(a, c) for a, c in db.execute(select(Post.author_id, Post.created_at))]


def _items(db: Session) -> list[tuple[int | None, dt.datetime]]:
    """The items written by members (no feed), whatever their status: (author, added)."""
    rows = db.execute(
        select(IntelItem.author_id, IntelItem.added_at).where(IntelItem.feed_id.is_(None))
    )
    return [(a, t) for a, t in rows]


def _going(db: Session) -> list[tuple[int | None, dt.datetime]]:
    """The marks that say "going": (their member, or who set the partnership's, when)."""
    rows = db.execute(
        select(Attendance.user_id, Attendance.marked_by_id, Attendance.marked_at).where(
            Attendance.status == "going"
        )
    )
    return [(u if u is not None else m, t) for u, m, t in rows]


SOURCES = ((PostingWeek, _posts), (ItemWeek, _items), (GoingWeek, _going))


def _pairs(rows: list[tuple[int | None, dt.datetime]]) -> set[tuple[int, dt.date]]:
    return {(a, _week(c)) for a, c in rows if a is not None}


def _from_posts(db: Session) -> set[tuple[int, dt.date]]:
    """The (author, Monday) pairs of every post, whatever its state."""
    return _pairs(_posts(db))


def _recorded(db: Session, record: Any = PostingWeek) -> set[tuple[int, dt.date]]:
    return {(u, w) for u, w in db.execute(select(record.user_id, record.week))}


def _all_records(db: Session) -> set[tuple[int, dt.date]]:
    """The union of the three records: what `member_taking_part_week` must hold."""
    return set().union(*(_recorded(db, record) for record, _ in SOURCES))


def _followers(db: Session, code: str, sector: str) -> set[int] | None:
    """Who follows `code` (directly or through a region group holding it) and, when
    given, `sector`: the focus's rule, in Python; None (everyone) without a focus."""
    if not code:
        return None
    countries: set[int] = set()
    sectors: set[int] = set()
    for user_id, kind, target in db.execute(
        select(Follow.user_id, Follow.target_type, Follow.target)
    ):
        group = get_region_group(target) if kind == "region_group" else None
        if (kind == "country" and target == code) or (group and code in group.members):
            countries.add(user_id)
        if kind == "sector" and target == sector:
            sectors.add(user_id)
    return (countries & sectors) if sector else countries


def _expected(db: Session, period: analytics.Period, code: str, sector: str) -> list[int | None]:
    """Members of the focus who posted, added an item or marked going in each week of the
    period (its days only), each counted once a week."""
    start, end = period.bounds()
    people = _followers(db, code, sector)
    members: dict[dt.date, set[int]] = {}
    for member, moment in [*_posts(db), *_items(db), *_going(db)]:
        if member is None or (people is not None and member not in people):
            continue
        if start <= moment < end:
            members.setdefault(_week(moment), set()).add(member)
    return [analytics.withhold_small(len(members.get(w, ()))) for w in period.weeks]


def _shown(db: Session, period: analytics.Period, focus: analytics.Focus) -> list[int | None]:
    return [row.taking_part for row in analytics.members(db, period, focus)]


def _periods() -> Iterator[analytics.Period]:
    today = utcnow().date()
    yield analytics.choose_period(today)
    yield analytics.choose_period(today, "12w")
    yield analytics.choose_period(today, "12m")
    wednesday = _monday(today) - dt.timedelta(weeks=6, days=-2)
    for first, last in (
        (wednesday, wednesday + dt.timedelta(days=22)),  # cut weeks at both ends
        (wednesday, wednesday + dt.timedelta(days=1)),  # two days of one week
        (_monday(today) - dt.timedelta(weeks=5), _monday(today) - dt.timedelta(days=1)),
    ):
        yield analytics.choose_period(today, "", first.isoformat(), last.isoformat())


FOCI = [("", ""), ("JP", ""), ("KR", ""), ("JP", "food")]


def _check(db: Session) -> None:
    """Each record equals its rows; every figure equals the count from the rows."""
    db.flush()
    for record, rows in SOURCES:
        assert _recorded(db, record) == _pairs(rows(db)), record.__tablename__
    assert _recorded(db, TakingPartWeek) == _all_records(db)
    for period in _periods():
        for code, sector in FOCI:
            focus = analytics.Focus((code,) if code else (), (sector,) if sector else ())
            assert _shown(db, period, focus) == _expected(db, period, code, sector), (
                period,
                focus,
            )


def _write(threads: Threads, thread: Thread, author: User, when: dt.datetime) -> Post:
    post = threads.reply(author, thread)
    post.created_at = when
    return post


@pytest.fixture
def posting(db: Session, people: People, threads: Threads, sectors: None) -> dict[str, list]:
    """Eight followers of Japan (one through East Asia, four of food too) and three of
    Korea, writing replies and threads over a year: this week, last week, the weeks a
    period cuts, months ago; a member who follows nothing writes too."""
    japan = [people.make() for _ in range(8)]
    korea = [people.make() for _ in range(3)]
    nobody = people.make()
    for i, person in enumerate(japan):
        follow(
            db,
            person.id,
            "region_group" if i == 0 else "country",
            "g:east-asia" if i == 0 else "JP",
        )
        if i % 2:
            follow(db, person.id, "sector", "food")
    for person in korea:
        follow(db, person.id, "country", "KR")
    opener = threads.start(nobody, title="Where to start")
    opener.created_at = _at(40, 1)
    db.execute(update(Post).where(Post.thread_id == opener.id).values(created_at=_at(40, 1)))
    for weeks_ago in (0, 1, 2, 4, 5, 6, 7, 13, 30, 51):
        for n, person in enumerate([*japan, *korea, nobody]):
            if (n + weeks_ago) % 4 == 3:
                continue  # not everyone every week
            _write(threads, opener, person, _at(weeks_ago, 2 + 20 * (n % 8)))
            if n % 3 == 0:  # twice in some weeks
                _write(threads, opener, person, _at(weeks_ago, 3 + 20 * (n % 8)))
    for n, person in enumerate(japan[:6]):  # threads of their own, their opening posts
        own = threads.start(person, title=f"Osaka {n}")
        for post in db.scalars(select(Post).where(Post.thread_id == own.id)):
            post.created_at = _at(3, 10 + n)
        own.created_at = _at(3, 10 + n)
    # Six more followers of Japan who only add items (one a draft, one withdrawn), and six
    # who only mark events going (two for their partnership); interested marks and a
    # feed's items do not count.
    partnership = Partnership(slug="osaka-link", name="Osaka Link")
    db.add(partnership)
    db.flush()
    adders = [people.make() for _ in range(6)]
    goers = [people.make(partnership_slug="osaka-link") for _ in range(6)]
    for person in [*adders, *goers]:
        follow(db, person.id, "country", "JP")
    feed = Feed(url="https://example.eu/feed.xml", name="A feed")
    event = Event(name="Foodex", country_code="JP", created_at=_at(52, 1))
    others = [Event(name=f"Fair {n}", created_at=_at(52, 2)) for n in range(3)]
    db.add_all([feed, event, *others])
    db.flush()
    for weeks_ago in (0, 1, 2, 5, 6, 13):
        for n, person in enumerate(adders):
            db.add(_item(person, _at(weeks_ago, 5 + n), ("draft", "published", "withdrawn")[n % 3]))
        db.add(_item(None, _at(weeks_ago, 4), "published", feed_id=feed.id))
    for n, person in enumerate(goers):
        for weeks_ago, target in ((1, event), (5, others[0]), (6, others[1]), (13, others[2])):
            if (n, target) in ((0, event), (1, others[0])):  # their partnership's, by them
                db.add(_mark(target, None, weeks_ago, "going", by=(partnership, person)))
            else:
                db.add(_mark(target, person, weeks_ago, "going" if n != 5 else "interested"))
    for person in japan[1:4]:  # three posters who add an item and mark going too
        db.add(_item(person, _at(8, 3), "published"))
        db.add(_mark(others[0], person, 8, "going"))
    db.flush()
    return {
        "japan": japan,
        "korea": korea,
        "nobody": [nobody],
        "threads": [opener],
        "adders": adders,
        "goers": goers,
        "events": [event, *others],
        "feeds": [feed],
    }


def _item(
    author: User | None, when: dt.datetime, status: str, feed_id: int | None = None
) -> IntelItem:
    return IntelItem(
        title="An item",
        author_id=author.id if author else None,
        added_at=when,
        status=status,
        feed_id=feed_id,
        also_from=[],
    )


def _mark(
    event: Event,
    member: User | None,
    weeks_ago: int,
    status: str,
    by: tuple[Partnership, User] | None = None,
) -> Attendance:
    """A mark made long before it took its status `weeks_ago` weeks ago."""
    return Attendance(
        event_id=event.id,
        user_id=member.id if member else None,
        partnership_id=by[0].id if by else None,
        marked_by_id=by[1].id if by else None,
        status=status,
        created_at=_at(52, 3),
        marked_at=_at(weeks_ago, 7 + (member.id if member else 0) % 50),
    )


def test_the_records_and_the_figure_equal_the_posts_through_every_change(
    db: Session, people: People, threads: Threads, posting: dict[str, list]
) -> None:
    japan = posting["japan"]
    (opener,) = posting["threads"]
    _check(db)
    # Something to see: at least five of Japan's followers wrote in some whole week.
    twelve = analytics.choose_period(utcnow().date(), "12w")
    assert any(n and n >= 5 for n in _shown(db, twelve, analytics.Focus(("JP",))))
    jobs.roll_up(db)
    _check(db)
    # A new post this week, and one in a closed week, by a follower who had none there.
    quiet = next(
        (p, w) for p in japan for w in (0, 1, 2) if (p.id, _week(_at(w, 0))) not in _recorded(db)
    )
    _write(threads, opener, quiet[0], _at(quiet[1], 30))
    db.flush()
    assert (quiet[0].id, _week(_at(quiet[1], 0))) in _recorded(db)
    _check(db)
    # The only post of an author in a week deleted: the week goes; one of two: it stays.
    counts: dict[tuple[int, dt.date], list[Post]] = {}
    for post in db.scalars(select(Post).where(Post.author_id.in_([p.id for p in japan]))):
        counts.setdefault((post.author_id or 0, _week(post.created_at)), []).append(post)
    alone = next(k for k, v in counts.items() if len(v) == 1)
    pair = next(k for k, v in counts.items() if len(v) == 2)
    db.execute(delete(Post).where(Post.id == counts[alone][0].id))
    db.flush()
    assert alone not in _recorded(db)
    db.execute(delete(Post).where(Post.id == counts[pair][0].id))
    db.flush()
    assert pair in _recorded(db)
    _check(db)
    # Hidden, deleted by its author, moved to another thread: still written that week.
    kept = counts[pair][1]
    other = threads.start(posting["nobody"][0], title="Elsewhere")
    for change in (
        {"hidden_at": utcnow()},
        {"deleted_at": utcnow(), "body": ""},
        {"thread_id": other.id},
    ):
        db.execute(update(Post).where(Post.id == kept.id).values(**change))
        db.flush()
        assert pair in _recorded(db)
        _check(db)
    # Moved to another week (its time corrected), then given to another author.
    db.execute(update(Post).where(Post.id == kept.id).values(created_at=_at(9, 5)))
    _check(db)
    assert pair not in _recorded(db) and (pair[0], _week(_at(9, 5))) in _recorded(db)
    db.execute(update(Post).where(Post.id == kept.id).values(author_id=japan[-1].id))
    _check(db)
    # A thread deleted with its replies.
    db.execute(delete(Thread).where(Thread.id == opener.id))
    _check(db)
    jobs.roll_up(db)
    _check(db)


def test_items_and_going_marks_count_through_every_change(
    db: Session, people: People, posting: dict[str, list]
) -> None:
    event, fair = posting["events"][:2]
    (feed,) = posting["feeds"]
    _check(db)
    # Something to see: five members or more who only added items, or only marked going.
    twelve = analytics.choose_period(utcnow().date(), "12w")
    assert _shown(db, twelve, analytics.Focus(("JP",))) != _shown_posts_only(db, twelve)
    jobs.roll_up(db)
    _check(db)
    newcomers = [people.make(partnership_slug="osaka-link") for _ in range(6)]
    for person in newcomers:
        follow(db, person.id, "country", "JP")
    adder, goer, partner, changer, other_partner, withdrawer = newcomers
    # An item added in a closed week (stored by the job) by a member who only adds it.
    item = _item(adder, _at(2, 50), "draft")
    db.add(item)
    db.flush()
    assert (adder.id, _week(_at(2, 0))) in _recorded(db, ItemWeek)
    _check(db)
    # Going marks set now: their own, and their partnership's.
    set_attendance(db, goer, event, status="going")
    set_attendance(db, partner, fair, status="going", for_partnership=True)
    this_week = _monday(utcnow().date())
    assert {(goer.id, this_week), (partner.id, this_week)} <= _recorded(db, GoingWeek)
    _check(db)
    # Interested (made long ago), then going: counted in the week it became going.
    set_attendance(db, changer, event, status="interested")
    db.execute(
        update(Attendance)
        .where(Attendance.user_id == changer.id)
        .values(created_at=_at(4, 9), marked_at=_at(4, 9))
    )
    assert not [w for u, w in _recorded(db, GoingWeek) if u == changer.id]
    _check(db)
    set_attendance(db, changer, event, status="going")
    mark = db.scalars(select(Attendance).where(Attendance.user_id == changer.id)).one()
    assert mark.created_at < _at(0, 0) <= mark.marked_at
    assert {w for u, w in _recorded(db, GoingWeek) if u == changer.id} == {this_week}
    # The same mark set again by the same member changes nothing.
    before = mark.marked_at
    set_attendance(db, changer, event, status="going")
    assert mark.marked_at == before
    _check(db)
    # Going, then back to interested, and withdrawn: the week goes.
    set_attendance(db, withdrawer, fair, status="going")
    db.execute(
        update(Attendance).where(Attendance.user_id == withdrawer.id).values(marked_at=_at(1, 9))
    )
    assert (withdrawer.id, _week(_at(1, 0))) in _recorded(db, GoingWeek)
    _check(db)
    set_attendance(db, withdrawer, fair, status="interested")
    assert not [w for u, w in _recorded(db, GoingWeek) if u == withdrawer.id]
    _check(db)
    set_attendance(db, withdrawer, fair, status="going")
    set_attendance(db, withdrawer, fair, status="none")
    assert not [w for u, w in _recorded(db, GoingWeek) if u == withdrawer.id]
    _check(db)
    # The partnership's mark set again by another of its members: it counts for them now.
    db.execute(
        update(Attendance).where(Attendance.marked_by_id == partner.id).values(marked_at=_at(1, 8))
    )
    _check(db)
    set_attendance(db, other_partner, fair, status="going", for_partnership=True)
    assert not [w for u, w in _recorded(db, GoingWeek) if u == partner.id]
    assert (other_partner.id, this_week) in _recorded(db, GoingWeek)
    _check(db)
    jobs.roll_up(db)
    _check(db)
    # An item deleted: its week goes (it was the member's only one); an item given a feed
    # is no longer written by a member.
    db.delete(item)
    db.flush()
    assert not [w for u, w in _recorded(db, ItemWeek) if u == adder.id]
    _check(db)
    some = db.scalars(
        select(IntelItem).where(IntelItem.author_id == posting["adders"][0].id)
    ).first()
    assert some is not None
    some.feed_id = feed.id
    _check(db)
    # Moved to another week, then given to another member.
    some.feed_id = None
    some.added_at = _at(9, 1)
    _check(db)
    some.author_id = adder.id
    _check(db)
    # An event deleted with its marks.
    db.delete(event)
    db.flush()
    _check(db)
    jobs.roll_up(db)
    _check(db)


def _shown_posts_only(db: Session, period: analytics.Period) -> list[int | None]:
    """What the figure of Japan's followers would be counting posts alone."""
    start, end = period.bounds()
    people = _followers(db, "JP", "") or set()
    authors: dict[dt.date, set[int]] = {}
    for author, moment in _posts(db):
        if author in people and start <= moment < end:
            authors.setdefault(_week(moment), set()).add(author)
    return [analytics.withhold_small(len(authors.get(w, ()))) for w in period.weeks]


def test_an_erased_member_leaves_the_records_as_their_posts_items_and_marks_do(
    db: Session, posting: dict[str, list]
) -> None:
    blanked, kept, removed = posting["japan"][1:4]
    _check(db)
    jobs.roll_up(db)
    partnership_goer = posting["goers"][0]  # they set their partnership's marks
    records = [record for record, _ in SOURCES]

    def weeks_of(member: User) -> list[set[dt.date]]:
        return [{w for u, w in _recorded(db, r) if u == member.id} for r in records]

    assert all(weeks_of(blanked)) and all(weeks_of(kept)) and all(weeks_of(removed))
    # Content deleted: the posts lose their author, the items and marks go, and with
    # them every week.
    assert privacy.delete_account(db, blanked, keep_content=False) is False
    db.expire_all()
    assert weeks_of(blanked) == [set(), set(), set()]
    _check(db)
    # Content kept: the posts and items stay with the "Former member", and so do their
    # weeks; the marks are personal and go, with their weeks; the follows are gone, so
    # no focus counts them.
    posted, added, _ = weeks_of(kept)
    assert privacy.delete_account(db, kept, keep_content=True) is True
    db.expire_all()
    assert posted and added and weeks_of(kept) == [posted, added, set()]
    _check(db)
    # A partnership's marks stay, without who set them: their weeks go.
    assert weeks_of(partnership_goer)[2]
    assert privacy.delete_account(db, partnership_goer, keep_content=True) is False
    db.expire_all()
    assert weeks_of(partnership_goer) == [set(), set(), set()]
    assert db.scalar(select(func.count()).where(Attendance.partnership_id.is_not(None)))
    _check(db)
    # An account row deleted outright: its posts and items lose their author (SET NULL),
    # its marks go (CASCADE), and so do its weeks.
    db.execute(delete(User).where(User.id == removed.id))
    db.expire_all()
    assert weeks_of(removed) == [set(), set(), set()]
    _check(db)
    jobs.roll_up(db)
    _check(db)


def test_the_member_download_holds_the_weeks_they_took_part(
    db: Session, posting: dict[str, list]
) -> None:
    member = posting["japan"][2]
    data = privacy.export_user_data(db, member)
    for path, rows, least in (
        ("discussions.posting_weeks", _posts, 5),
        ("intelligence.item_weeks", _items, 1),
        ("events.going_weeks", _going, 1),
    ):
        part, name = path.split(".")
        weeks = [str(r["week"]) for r in data[part][name]]
        assert weeks == sorted({str(w) for u, w in _pairs(rows(db)) if u == member.id}), path
        assert len(weeks) >= least, path
    weeks = [str(r["week"]) for r in data["insights"]["taking_part_weeks"]]
    assert weeks == sorted({str(w) for u, w in _all_records(db) if u == member.id})


def _thread(db: Session, authors: int) -> tuple[list[User], Thread]:
    people = [User(email=f"p{n}@example.eu", name=f"P{n}") for n in range(authors)]
    category = Category(slug="c", name="C")
    db.add_all([*people, category])
    db.flush()
    thread = Thread(title="T", category_id=category.id, author_id=people[0].id)
    db.add(thread)
    db.flush()
    return people, thread


def _post(thread: Thread, author: User | None, when: dt.datetime, opening: bool = False) -> Post:
    return Post(
        thread_id=thread.id,
        author_id=author.id if author else None,
        body="x",
        body_html="x",
        is_opening=opening,
        created_at=when,
    )


def test_the_migration_fills_the_records_from_the_rows_there(scratch_url: str) -> None:
    engine = make_engine(scratch_url)
    factory = make_session_factory(engine)
    with factory() as db:
        authors, thread = _thread(db, 3)
        for n, (author, weeks_ago) in enumerate(
            [(0, 0), (0, 0), (0, 3), (1, 3), (1, 60), (2, 1), (None, 2)]
        ):
            who = authors[author] if author is not None else None
            # From Monday 23:00 on: a week's first day and its edge.
            db.add(_post(thread, who, _at(weeks_ago, 23 + n), opening=n == 0))
        event = Event(name="Fair")
        db.add_all([_item(authors[1], _at(1, 2), "draft"), _item(None, _at(1, 3), "published")])
        db.add(event)
        db.flush()
        # A mark made 5 weeks ago that became going last week; an interested one.
        going = _mark(event, authors[2], 1, "going")
        going.created_at = _at(5, 1)
        db.add_all([going, _mark(event, authors[0], 1, "interested")])
        db.commit()
        expected = _from_posts(db)
        assert _recorded(db) == expected  # the triggers
        assert _recorded(db, ItemWeek) == {(authors[1].id, _week(_at(1, 0)))}
        assert _recorded(db, GoingWeek) == {(authors[2].id, _week(_at(1, 0)))}
        ids = [a.id for a in authors]
        together = _all_records(db)
        assert _recorded(db, TakingPartWeek) == together > expected
    config = alembic_config(scratch_url)
    command.downgrade(config, "0028")
    command.upgrade(config, "head")
    with factory() as db:
        # The backfill of 0030: the union of the three records as 0029 filled them.
        assert _recorded(db, TakingPartWeek) == _all_records(db) != together
        assert (ids[2], _week(_at(5, 0))) in _recorded(db, TakingPartWeek)
        assert _recorded(db) == expected and len(expected) == 5  # the backfill
        assert _recorded(db, ItemWeek) == {(ids[1], _week(_at(1, 0)))}
        # The marks there took their status when they were made, as far as we know.
        assert _recorded(db, GoingWeek) == {(ids[2], _week(_at(5, 0)))}
    engine.dispose()


def _waiting_for_a_lock(engine: Engine) -> bool:
    """Whether a session of the database waits for a lock, polled for up to 10 s."""
    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return True
            conn.rollback()
            time.sleep(0.05)
    return False


def _race(engine: Engine, one: Session, two: Session, act: Callable[[Session], None]) -> None:
    """`one` acts and holds its transaction open while `two` acts in a thread: `two` must
    wait for `one`'s lock, and finish once `one` commits."""
    finished = threading.Event()

    def second() -> None:
        act(two)
        two.commit()
        finished.set()

    act(one)  # not committed: the other waits
    worker = threading.Thread(target=second)
    worker.start()
    try:
        assert _waiting_for_a_lock(engine)
        assert not finished.is_set()
        one.commit()
        worker.join(timeout=10)
        assert finished.is_set()
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("first", ["write", "delete"])
def test_a_post_written_while_another_of_its_week_is_deleted_keeps_the_week(
    scratch_engine: Engine, first: str
) -> None:
    """Two transactions at once on PostgreSQL: one writes a post of a member in a week,
    the other deletes the member's only other post of that week. The second waits for
    the first (the triggers lock the member's week), then sees what it did: the week stays
    recorded. On SQLite one writer at a time makes this so."""
    factory, when, (old_id, author_id, thread_id) = _one_post_to_race(scratch_engine)
    write, remove = factory(), factory()
    new = Post(thread_id=thread_id, author_id=author_id, body="y", body_html="y")
    new.created_at = when + dt.timedelta(hours=5)
    one, two = (write, remove) if first == "write" else (remove, write)

    def act(db: Session) -> None:
        if db is write:
            db.add(new)
            db.flush()
        else:
            db.execute(delete(Post).where(Post.id == old_id))

    _race(scratch_engine, one, two, act)
    with factory() as db:
        assert _recorded(db) == _from_posts(db) == {(author_id, _week(when))}


@pytest.mark.parametrize("first", ["mark", "withdraw"])
def test_a_going_mark_made_while_another_of_its_week_is_withdrawn_keeps_the_week(
    scratch_engine: Engine, first: str
) -> None:
    """The same race on the going marks (their triggers are made from the same text): one
    transaction marks a member going on an event in a week, the other changes the
    member's only other going mark of that week to "interested". The week stays."""
    if scratch_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    factory = make_session_factory(scratch_engine)
    with factory() as db:
        (member,), _ = _thread(db, 1)
        events = [Event(name="Fair A"), Event(name="Fair B")]
        db.add_all(events)
        db.flush()
        old = _mark(events[0], member, 2, "going")
        db.add(old)
        db.commit()
        old_id, member_id, other_id, when = old.id, member.id, events[1].id, old.marked_at
    mark, withdraw = factory(), factory()
    one, two = (mark, withdraw) if first == "mark" else (withdraw, mark)

    def act(db: Session) -> None:
        if db is mark:
            db.add(
                Attendance(
                    event_id=other_id,
                    user_id=member_id,
                    status="going",
                    marked_at=when + dt.timedelta(hours=1),
                )
            )
            db.flush()
        else:
            db.execute(
                update(Attendance).where(Attendance.id == old_id).values(status="interested")
            )

    _race(scratch_engine, one, two, act)
    with factory() as db:
        assert _recorded(db, GoingWeek) == _pairs(_going(db)) == {(member_id, _week(when))}


@pytest.mark.parametrize("first", ["add", "delete"])
def test_an_item_added_while_the_only_post_of_its_week_is_deleted_keeps_the_week(
    scratch_engine: Engine, first: str
) -> None:
    """The same race on the record of all three (migration 0030): one transaction adds an
    item by a member in a week, the other deletes the member's only post of that week.
    The second waits for the first (the triggers lock the member's week there), then sees
    what it did: the week stays in `member_taking_part_week`, from the item now."""
    factory, when, (old_id, author_id, _) = _one_post_to_race(scratch_engine)
    with factory() as db:
        assert _recorded(db, TakingPartWeek) == {(author_id, _week(when))}
    add, remove = factory(), factory()
    one, two = (add, remove) if first == "add" else (remove, add)

    def act(db: Session) -> None:
        if db is add:
            item = _item(None, when + dt.timedelta(hours=5), "draft")
            item.author_id = author_id
            db.add(item)
            db.flush()
        else:
            db.execute(delete(Post).where(Post.id == old_id))

    _race(scratch_engine, one, two, act)
    with factory() as db:
        assert _recorded(db) == set()  # the post went, and its week
        assert _recorded(db, TakingPartWeek) == _all_records(db) == {(author_id, _week(when))}


def _one_post_to_race(
    scratch_engine: Engine,
) -> tuple[sessionmaker[Session], dt.datetime, tuple[int, int, int]]:
    """For the PostgreSQL races: a member's one post in a week (skipped on SQLite, where
    one writer at a time makes the races impossible); the post's, author's, thread's ids."""
    if scratch_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    factory = make_session_factory(scratch_engine)
    when = _at(2, 30)
    with factory() as db:
        (author,), thread = _thread(db, 1)
        old = _post(thread, author, when, opening=True)
        db.add(old)
        db.commit()
        return factory, when, (old.id, author.id, thread.id)
