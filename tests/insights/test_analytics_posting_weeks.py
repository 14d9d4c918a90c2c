"""The record of the weeks each member wrote a post (`member_posting_week`, migration 0029)
and the count of members taking part with a focus, which reads it for whole weeks.

The record must always equal the posts: after every change here (a post written, deleted,
hidden, deleted by its author, moved to another thread or another week, a thread deleted,
a member erased either way, an account row deleted) the rows are compared with the (author,
Monday) pairs of the posts, and the figure of each focus and period with the count of
distinct authors the test takes from the posts themselves, before and after the job."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import make_engine, make_session_factory, utcnow
from forum.discussions.models import Category, Post, PostingWeek, Thread
from forum.insights import analytics, jobs
from forum.migrate import alembic_config
from forum.notifications.models import Follow
from forum.notifications.service import follow
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


def _from_posts(db: Session) -> set[tuple[int, dt.date]]:
    """The (author, Monday) pairs of every post, whatever its state."""
    return {(a, _week(c)) for a, c in _posts(db) if a is not None}


def _recorded(db: Session) -> set[tuple[int, dt.date]]:
    return {(u, w) for u, w in db.execute(select(PostingWeek.user_id, PostingWeek.week))}


def _followers(db: Session, code: str, sector: str) -> set[int]:
    """Who follows `code` (directly or through a region group holding it) and, when
    given, `sector`: the focus's rule, in Python."""
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
    """Members of the focus who wrote a post in each week of the period (its days only)."""
    start, end = period.bounds()
    people = _followers(db, code, sector)
    authors: dict[dt.date, set[int]] = {}
    for author, created in _posts(db):
        if author in people and start <= created < end:
            authors.setdefault(_week(created), set()).add(author)
    return [analytics.withhold_small(len(authors.get(w, ()))) for w in period.weeks]


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


FOCI = [("JP", ""), ("KR", ""), ("JP", "food")]


def _check(db: Session) -> None:
    """The record equals the posts; every figure equals the count from the posts."""
    db.flush()
    assert _recorded(db) == _from_posts(db)
    for period in _periods():
        for code, sector in FOCI:
            focus = analytics.Focus((code,), (sector,) if sector else ())
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
    db.flush()
    return {"japan": japan, "korea": korea, "nobody": [nobody], "threads": [opener]}


def test_the_record_and_the_figure_equal_the_posts_through_every_change(
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


def test_an_erased_member_leaves_the_record_as_their_posts_do(
    db: Session, posting: dict[str, list]
) -> None:
    blanked, kept, removed = posting["japan"][1:4]
    _check(db)
    jobs.roll_up(db)
    # Content deleted: the posts lose their author, and the weeks go.
    assert privacy.delete_account(db, blanked, keep_content=False) is False
    db.expire_all()
    assert not [w for u, w in _recorded(db) if u == blanked.id]
    _check(db)
    # Content kept: the posts stay with the "Former member", and so do their weeks; the
    # follows are gone, so no focus counts them.
    mine = {w for u, w in _from_posts(db) if u == kept.id}
    assert privacy.delete_account(db, kept, keep_content=True) is True
    db.expire_all()
    assert mine and {w for u, w in _recorded(db) if u == kept.id} == mine
    _check(db)
    # An account row deleted outright: its posts lose their author (SET NULL), its weeks go.
    db.execute(delete(User).where(User.id == removed.id))
    db.expire_all()
    assert not [w for u, w in _recorded(db) if u == removed.id]
    _check(db)
    jobs.roll_up(db)
    _check(db)


def test_the_member_download_holds_their_posting_weeks(
    db: Session, posting: dict[str, list]
) -> None:
    member = posting["japan"][2]
    data = privacy.export_user_data(db, member)
    weeks = [str(r["week"]) for r in data["discussions"]["posting_weeks"]]
    assert weeks == sorted({str(w) for u, w in _from_posts(db) if u == member.id})
    assert len(weeks) >= 5


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


def test_the_migration_fills_the_record_from_the_posts_there(scratch_url: str) -> None:
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
        db.commit()
        expected = _from_posts(db)
        assert _recorded(db) == expected  # the triggers
    config = alembic_config(scratch_url)
    command.downgrade(config, "0028")
    command.upgrade(config, "head")
    with factory() as db:
        assert _recorded(db) == expected and len(expected) == 5  # the backfill
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


@pytest.mark.parametrize("first", ["write", "delete"])
def test_a_post_written_while_another_of_its_week_is_deleted_keeps_the_week(
    scratch_engine: Engine, first: str
) -> None:
    """Two transactions at once on PostgreSQL: one writes a post of a member in a week,
    the other deletes the member's only other post of that week. The second waits for
    the first (the triggers lock the member's week), then sees what it did: the week stays
    recorded. On SQLite one writer at a time makes this so."""
    if scratch_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    factory = make_session_factory(scratch_engine)
    when = _at(2, 30)
    with factory() as db:
        (author,), thread = _thread(db, 1)
        old = _post(thread, author, when, opening=True)
        db.add(old)
        db.commit()
        old_id, author_id, thread_id = old.id, author.id, thread.id
    write, remove = factory(), factory()
    new = Post(thread_id=thread_id, author_id=author_id, body="y", body_html="y")
    new.created_at = when + dt.timedelta(hours=5)
    one, two = (write, remove) if first == "write" else (remove, write)
    finished = threading.Event()

    def act(db: Session) -> None:
        if db is write:
            db.add(new)
            db.flush()
        else:
            db.execute(delete(Post).where(Post.id == old_id))

    def second() -> None:
        act(two)
        two.commit()
        finished.set()

    act(one)  # not committed: the other waits
    worker = threading.Thread(target=second)
    worker.start()
    try:
        assert _waiting_for_a_lock(scratch_engine)
        assert not finished.is_set()
        one.commit()
        worker.join(timeout=10)
        assert finished.is_set()
    finally:
        one.close()
        two.close()
    with factory() as db:
        assert _recorded(db) == _from_posts(db) == {(author_id, _week(when))}
