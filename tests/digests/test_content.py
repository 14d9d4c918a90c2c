"""What goes into a member's digest: sections by follows, visibility, caps, the subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests.builder import build_digest
from forum.digests.candidates import Candidates
from forum.digests.digest import Digest
from forum.digests.interests import load_member_interests
from forum.digests.news import load_candidates
from forum.discovery.saved import create_saved_search
from forum.discovery.sync import search_engine
from forum.discussions import writes as discussion_writes
from forum.discussions.models import Category, Thread
from forum.events import attendance as event_attendance
from forum.events import service as events
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.notifications.service import follow, notify
from forum.taxonomy.service import resolve_sectors
from search.engine import SearchEngine, SearchError, SearchQuery, SearchResults
from tests.conftest import People, Threads, start_good_practice

WEEK = dt.timedelta(days=7)


@pytest.fixture
def now() -> dt.datetime:
    return utcnow()


def add_item(
    db: Session,
    author: User,
    *,
    title: str = "Food market access in Japan",
    countries: Sequence[str] = ("JP",),
    sectors: Sequence[str] = ("food",),
    kind: str = "news",
    status: str = "published",
    deadline: dt.datetime | None = None,
    is_global: bool = False,
    added_at: dt.datetime | None = None,
    summary: str = "Import rules for processed food change in April.",
) -> IntelItem:
    return intel_writes.create_item(
        db,
        author,
        intel_writes.ItemInput(
            title=title,
            kind=kind,
            summary=summary,
            countries=list(countries),
            sectors=resolve_sectors(db, list(sectors)),
            deadline=deadline,
            is_global=is_global,
        ),
        status=status,
        added_at=added_at,
    )


def practice(
    db: Session,
    author: User,
    *,
    title: str,
    category: Category | None = None,
    countries: Sequence[str] = ("JP",),
) -> Thread:
    """A good practice, its approach the excerpt a digest shows."""
    return start_good_practice(
        db,
        author,
        category or db.scalars(select(Category).where(Category.slug == "good-practices")).one(),
        title=title,
        countries=countries,
        approach="We shared one stand at FOODEX.",
        results="Two distributors.",
    )


def digest_for(
    db: Session,
    settings: Settings,
    user: User,
    now: dt.datetime,
    *,
    candidates: Candidates | None = None,
) -> Digest:
    return build_digest(
        db,
        settings,
        user,
        period=now.date(),
        window_start=now - WEEK,
        window_end=now + dt.timedelta(minutes=1),
        now=now,
        candidates=candidates,
    )


def titles(digest: Digest, key: str | None = None) -> list[str]:
    return [e.title for s in digest.sections if key in (None, s.key) for e in s.entries]


def section(digest: Digest, key: str):  # type: ignore[no-untyped-def]
    found = [s for s in digest.sections if s.key == key]
    assert found, f"no {key} section in {[s.key for s in digest.sections]}"
    return found[0]


def test_member_following_japan_and_food_gets_a_new_item_tagged_with_them(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "food")
    item = add_item(db, writer)

    digest = digest_for(db, settings, reader, now)

    intel_section = section(digest, "intel")
    assert [e.title for e in intel_section.entries] == [item.title]
    entry = intel_section.entries[0]
    assert entry.url == f"{settings.base_url}/intel/{item.id}"
    assert "Japan" in entry.meta and "Food industry" in entry.meta
    assert entry.excerpt == "Import rules for processed food change in April."
    assert not digest.highlights and not digest.is_empty
    assert digest.counts()["intel"] == 1


def test_member_following_only_the_united_states_does_not_get_a_japanese_food_item(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "US")
    add_item(db, writer)

    digest = digest_for(db, settings, reader, now)

    assert digest.is_empty
    assert not digest.highlights


def test_region_group_follows_and_global_items_reach_the_member(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "region_group", "g:asean")
    add_item(db, writer, title="Vietnam textiles", countries=["VN"], sectors=["textile"])
    add_item(db, writer, title="WTO rules", countries=[], sectors=["media"], is_global=True)
    add_item(db, writer, title="Chile mining", countries=["CL"], sectors=["energy"])

    digest = digest_for(db, settings, reader, now)

    assert sorted(titles(digest, "intel")) == ["Vietnam textiles", "WTO rules"]
    labels = [label for label, _ in section(digest, "intel").follow_links]
    assert any(label.startswith("Mute ") for label in labels)


def test_drafts_withdrawn_items_old_items_and_own_items_never_appear(
    db: Session,
    settings: Settings,
    people: People,
    moderator: User,
    sectors: None,
    now: dt.datetime,
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    add_item(db, writer, title="A draft", status="draft")
    withdrawn = add_item(db, writer, title="Withdrawn later")
    intel_writes.set_status(db, moderator, withdrawn, "withdrawn", reason="Spam")
    add_item(db, writer, title="Last month", added_at=now - dt.timedelta(days=30))
    add_item(db, reader, title="My own item")
    add_item(db, writer, title="Visible")

    digest = digest_for(db, settings, reader, now)

    assert titles(digest) == ["Visible"]


def test_good_practices_follow_the_member_and_hidden_threads_never_appear(
    db: Session,
    settings: Settings,
    people: People,
    threads: Threads,
    members_only: Category,
    now: dt.datetime,
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    shown = practice(db, writer, title="Our Tokyo pavilion")
    staff = practice(db, writer, title="Staff-room practice", category=members_only)
    hidden = practice(db, writer, title="Hidden practice")
    hidden.hidden_at = utcnow()
    practice(db, writer, title="Brazil practice", countries=["BR"])
    threads.start(writer, title="A plain discussion")
    db.flush()

    digest = digest_for(db, settings, reader, now)

    # Members-only categories are for members, and every recipient is a member.
    assert sorted(titles(digest, "good_practices")) == sorted([shown.title, staff.title])
    entry = section(digest, "good_practices").entries[0]
    assert entry.url.startswith(f"{settings.base_url}/threads/")
    assert entry.excerpt == "We shared one stand at FOODEX.", "its first field only"


def test_followed_threads_show_the_count_and_newest_reply_but_not_hidden_ones(
    db: Session, settings: Settings, people: People, threads: Threads, now: dt.datetime
) -> None:
    reader, writer, replier = people.make(), people.make(), people.make(name="Rita Replier")
    thread = threads.start(writer, title="Certification costs")
    follow(db, reader.id, "thread", str(thread.id))
    threads.reply(replier, thread, "First answer.")
    threads.reply(replier, thread, "Second, newest answer.")
    hidden = threads.reply(replier, thread, "A hidden answer.")
    hidden.hidden_at = utcnow()
    threads.reply(reader, thread, "My own answer.")
    db.flush()

    digest = digest_for(db, settings, reader, now)

    entry = section(digest, "threads").entries[0]
    assert entry.title == "Certification costs"
    assert entry.meta.startswith("2 new replies · latest by Rita Replier")
    assert "hidden" not in entry.excerpt
    assert "newest answer" in entry.excerpt or "First answer" in entry.excerpt


def test_a_moderators_digest_holds_no_hidden_thread_or_reply_either(
    db: Session,
    settings: Settings,
    people: People,
    moderator: User,
    threads: Threads,
    now: dt.datetime,
) -> None:
    writer = people.make()
    follow(db, moderator.id, "country", "JP")
    hidden = practice(db, writer, title="Hidden practice")
    hidden.hidden_at = utcnow()
    thread = threads.start(writer, title="Certification costs")
    follow(db, moderator.id, "thread", str(thread.id))
    threads.reply(writer, thread, "A visible answer.")
    hidden_reply = threads.reply(writer, thread, "A hidden answer.")
    hidden_reply.hidden_at = utcnow()
    db.flush()

    digest = digest_for(db, settings, moderator, now)

    assert "good_practices" not in digest.counts()
    entry = section(digest, "threads").entries[0]
    assert entry.meta.startswith("1 new reply")
    assert entry.excerpt == "A visible answer."


def test_each_section_shows_eight_entries_and_says_how_many_more(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "sector", "food")
    for n in range(11):
        add_item(db, writer, title=f"Item {n}", added_at=now - dt.timedelta(hours=n + 1))

    digest = digest_for(db, settings, reader, now)

    intel_section = section(digest, "intel")
    assert len(intel_section.entries) == 8
    assert intel_section.more == 3
    assert digest.counts()["intel"] == 11
    assert intel_section.more_url is not None
    assert intel_section.more_url.startswith(f"{settings.base_url}/intel?")
    assert titles(digest, "intel")[0] == "Item 0"


def test_only_calls_and_tenders_closing_within_fourteen_days_are_listed(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    old = now - dt.timedelta(days=60)
    for title, days in (("Soon", 5), ("Later", 20), ("Closed", -1)):
        add_item(db, writer, title=title, kind="funding_call", added_at=old,
                 deadline=now + dt.timedelta(days=days))  # fmt: skip

    digest = digest_for(db, settings, reader, now)

    deadlines = section(digest, "deadlines")
    assert [e.title for e in deadlines.entries] == ["Soon"]
    assert "closes in 5 days" in deadlines.entries[0].meta
    assert "intel" not in digest.counts()  # added long ago: not new


def test_upcoming_events_within_sixty_days_say_who_is_going(
    db: Session, settings: Settings, people: People, demo_db: Session, now: dt.datetime
) -> None:
    db = demo_db
    reader, goer = people.make(), people.make()
    follow(db, reader.id, "country", "DE")
    today = now.date()
    soon = events.create_event(db, goer, events.EventInput(
        name="MEDICA", country="DE", city="Düsseldorf",
        starts_on=today + dt.timedelta(days=5), ends_on=today + dt.timedelta(days=8),
    ))  # fmt: skip
    # Issue 22: an event 45 days ahead in a followed country is in the events section
    # (it used to wait until 30 days before), with who is going.
    later = events.create_event(db, goer, events.EventInput(
        name="Anuga in six weeks", country="DE", starts_on=today + dt.timedelta(days=45),
    ))  # fmt: skip
    events.create_event(db, goer, events.EventInput(
        name="Far away fair", country="DE", starts_on=today + dt.timedelta(days=75),
    ))  # fmt: skip
    event_attendance.set_attendance(db, goer, soon, status="going")
    event_attendance.set_attendance(db, goer, later, status="going")
    db.flush()

    digest = digest_for(db, settings, reader, now)

    names = titles(digest, "events")
    assert "MEDICA" in names and "Anuga in six weeks" in names
    assert "Far away fair" not in names
    medica = next(e for e in section(digest, "events").entries if e.title == "MEDICA")
    assert "1 member" in medica.excerpt
    assert "in 5 days" in medica.meta
    anuga = next(e for e in section(digest, "events").entries if e.title == "Anuga in six weeks")
    assert "Going: 1 member" in anuga.excerpt
    assert "in 45 days" in anuga.meta
    assert "MEDICA in 5 days" in digest.subject or "in " in digest.subject


def test_unread_replies_and_mentions_appear_until_read(
    db: Session, settings: Settings, people: People, threads: Threads, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make(name="Wendy Writer")
    thread = threads.start(reader, title="Our question")
    threads.reply(writer, thread, "An answer to you.")
    hidden = threads.reply(writer, thread, "A reply a moderator hid.")
    hidden.hidden_at = utcnow()
    notify(db, user_id=reader.id, kind="membership", text="Something else", url="/x")
    db.flush()

    digest = digest_for(db, settings, reader, now)

    replies = section(digest, "replies")
    assert [e.title for e in replies.entries] == ["Wendy Writer replied in “Our question”"]
    assert replies.entries[0].url.startswith(f"{settings.base_url}/posts/")
    assert "1 unread reply" in digest.subject

    from forum.notifications.service import mark_all_read

    mark_all_read(db, reader.id)
    db.expire_all()
    assert "replies" not in digest_for(db, settings, reader, now).counts()


def test_saved_searches_match_new_content_through_the_search_engine(
    db: Session,
    settings: Settings,
    people: People,
    sectors: None,
    now: dt.datetime,
    sync_index: Callable[[], None],
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "US")
    create_saved_search(db, user=reader, name="Sake", query_string="q=sake&country=JP")
    add_item(db, writer, title="Sake exports grow", summary="Brewers look abroad.")
    add_item(db, writer, title="Wine exports grow", summary="No rice here.")
    sync_index()

    digest = digest_for(db, settings, reader, now)

    assert titles(digest, "saved_searches") == ["Sake exports grow"]
    assert "matches “Sake”" in section(digest, "saved_searches").entries[0].meta
    assert digest.subject.endswith("1 match for “Sake”")


def test_a_saved_search_forgives_a_typo_as_the_search_page_does(
    db: Session,
    settings: Settings,
    people: People,
    sectors: None,
    now: dt.datetime,
    sync_index: Callable[[], None],
) -> None:
    reader, writer = people.make(), people.make()
    create_saved_search(db, user=reader, name="Olives", query_string="q=Morrocco+olive")
    add_item(db, writer, title="Olive oil exporters in Morocco", countries=["MA"])
    add_item(db, writer, title="Olive oil exporters in Spain", countries=["ES"])
    old = add_item(db, writer, title="Olive groves of Morocco", countries=["MA"])
    old.added_at = now - dt.timedelta(days=30)  # found by the page, not new this week
    sync_index()

    digest = digest_for(db, settings, reader, now)

    assert titles(digest, "saved_searches") == ["Olive oil exporters in Morocco"]


def test_a_saved_search_skips_what_the_window_does_not_hold_and_hidden_replies(
    db: Session,
    settings: Settings,
    people: People,
    threads: Threads,
    members_only: Category,
    now: dt.datetime,
    sync_index: Callable[[], None],
) -> None:
    reader, writer = people.make(), people.make()
    create_saved_search(db, user=reader, name="Pangolins", query_string="q=pangolin")
    staff = threads.start(writer, title="Pangolin exports", category=members_only)
    threads.reply(writer, staff, "Pangolin leather rules changed.")
    hidden = threads.reply(writer, staff, "A pangolin reply a moderator hid.")
    hidden.hidden_at = utcnow()
    threads.start(reader, title="My own pangolin thread")
    sync_index()

    digest = digest_for(db, settings, reader, now)

    assert titles(digest, "saved_searches") == ["Pangolin exports", "Re: Pangolin exports"]


class _EngineDown:
    """The real engine, whose searches fail as an engine that went down does."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self.searches = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.engine, name)

    def search(self, query: SearchQuery) -> SearchResults:
        self.searches += 1
        raise SearchError("the engine is down")


def test_a_digest_leaves_saved_searches_out_while_the_engine_is_down(
    db: Session,
    settings: Settings,
    people: People,
    sectors: None,
    now: dt.datetime,
    sync_index: Callable[[], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader, other, writer = people.make(), people.make(), people.make()
    for member in (reader, other):
        follow(db, member.id, "country", "JP")
        create_saved_search(db, user=member, name="Sake", query_string="q=sake")
    add_item(db, writer, title="Sake exports grow", summary="Brewers look abroad.")
    sync_index()
    down = _EngineDown(search_engine(settings))
    end = now + dt.timedelta(minutes=1)
    candidates = load_candidates(db, window_start=now - WEEK, window_end=end, now=now)

    digests = [
        build_digest(
            db, settings, member, period=now.date(), window_start=now - WEEK, window_end=end,
            now=now, candidates=candidates, search=down,  # type: ignore[arg-type]
        )
        for member in (reader, other)
    ]  # fmt: skip

    for digest in digests:
        assert titles(digest, "intel") == ["Sake exports grow"]
        assert "saved_searches" not in digest.counts()
    assert "saved searches left out of the digest" in caplog.text
    assert down.searches == 1  # the second digest did not wait on the engine again


def test_events_of_a_followed_partnership_reach_the_member_and_links_keep_region_groups(
    db: Session, settings: Settings, people: People, demo_db: Session, now: dt.datetime
) -> None:
    from forum.partnerships.service import get_partnership_by_slug

    reader, goer = people.make(), people.make(partnership_slug="foodnet")
    foodnet = get_partnership_by_slug(demo_db, "foodnet")
    assert foodnet is not None
    follow(db, reader.id, "partnership", str(foodnet.id))
    follow(db, reader.id, "region_group", "g:asean")
    today = now.date()
    events.create_event(db, goer, events.EventInput(
        name="FoodNet mission", country="CL", starts_on=today + dt.timedelta(days=3),
        partnerships=[foodnet],
    ))  # fmt: skip
    events.create_event(db, goer, events.EventInput(
        name="Elsewhere", country="CL", starts_on=today + dt.timedelta(days=3),
    ))  # fmt: skip
    db.flush()

    digest = digest_for(db, settings, reader, now)

    entry = next(e for e in section(digest, "events").entries if e.title == "FoodNet mission")
    assert "Elsewhere" not in titles(digest, "events")
    assert entry.excerpt.startswith("Going: FoodNet")
    # The link keeps both follows, either of which brings an event (issue 22).
    assert section(digest, "events").more_url == (
        f"{settings.base_url}/events?country=g%3Aasean&partnership={foodnet.id}&match=any"
    )


def test_a_member_who_follows_nothing_gets_the_highlights(
    db: Session, settings: Settings, people: People, threads: Threads, now: dt.datetime
) -> None:
    newcomer, writer, fan = people.make(), people.make(), people.make()
    follow(db, fan.id, "country", "JP")
    add_item(db, writer, title="Popular in Japan")
    add_item(db, writer, title="Nobody follows Chile", countries=["CL"], sectors=["energy"])
    practice(db, writer, title="A fresh good practice")

    digest = digest_for(db, settings, newcomer, now)

    assert digest.highlights
    assert titles(digest, "highlights")[0] == "Popular in Japan"
    assert titles(digest, "good_practices") == ["A fresh good practice"]
    labels = [label for label, _ in section(digest, "highlights").follow_links]
    assert "Follow Japan" in labels
    assert all("/digests/interest/" in url for _, url in section(digest, "highlights").follow_links)
    assert digest.subject == "New on Cluster Forum · 2 new items · 1 good practice"


def test_nothing_new_makes_an_empty_digest(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader = people.make()
    follow(db, reader.id, "country", "JP")

    digest = digest_for(db, settings, reader, now)

    assert digest.is_empty
    assert digest.sections == []
    assert digest.counts() == {}


def test_the_subject_says_what_is_inside(
    db: Session, settings: Settings, people: People, threads: Threads, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    follow(db, reader.id, "sector", "food")
    for n in range(3):
        add_item(db, writer, title=f"Item {n}")
    practice(db, writer, title="Practice one")
    practice(db, writer, title="Practice two")

    digest = digest_for(db, settings, reader, now)

    assert digest.subject == "3 new on Japan and Food industry · 2 good practices"


def test_candidates_of_a_wider_window_are_narrowed_to_the_members_own(
    db: Session, settings: Settings, people: People, sectors: None, now: dt.datetime
) -> None:
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    add_item(db, writer, title="Three days ago", added_at=now - dt.timedelta(days=3))
    add_item(db, writer, title="Today")
    wide = load_candidates(db, window_start=now - WEEK, window_end=now + WEEK, now=now)

    digest = build_digest(
        db, settings, reader, period=now.date(), window_start=now - dt.timedelta(days=1),
        window_end=now + dt.timedelta(minutes=1), now=now, candidates=wide,
    )  # fmt: skip

    assert titles(digest) == ["Today"]


def test_building_fifty_digests_from_shared_candidates_costs_a_constant_number_of_queries(
    db: Session, settings: Settings, people: People, threads: Threads, now: dt.datetime
) -> None:
    writer = people.make()
    members = [people.make() for _ in range(50)]
    for n, member in enumerate(members):
        follow(db, member.id, "country", ("JP", "US", "BR")[n % 3])
        follow(db, member.id, "sector", "food")
    for n in range(20):
        add_item(db, writer, title=f"Item {n}", countries=[("JP", "US", "BR", "CL")[n % 4]])
    thread = practice(db, writer, title="Practice")
    threads.reply(members[0], thread, "Thanks!")
    db.flush()

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        window_start, window_end = now - WEEK, now + dt.timedelta(minutes=1)
        candidates = load_candidates(db, window_start=window_start, window_end=window_end,
                                     now=now)  # fmt: skip
        loaded = len(statements)
        interests = load_member_interests(db, [m.id for m in members], since=window_start)
        digests = [
            build_digest(
                db,
                settings,
                m,
                period=now.date(),
                window_start=window_start,
                window_end=window_end,
                now=now,
                candidates=candidates,
                interests=interests[m.id],
            )
            for m in members
        ]
        batched = len(statements) - loaded
        one_by_one = [digest_for(db, settings, m, now, candidates=candidates) for m in members[:10]]
    finally:
        event.remove(bind, "before_cursor_execute", count)

    assert loaded <= 25
    assert batched <= 3
    assert len(statements) - loaded - batched <= 3 * 10
    assert all(not d.is_empty for d in digests)
    assert [d.counts() for d in one_by_one] == [d.counts() for d in digests[:10]]


def test_good_practice_excerpt_is_its_own_first_field_not_its_opening_note(
    db: Session, settings: Settings, people: People, now: dt.datetime,
    categories: dict[str, Category],
) -> None:  # fmt: skip
    reader, writer = people.make(), people.make()
    follow(db, reader.id, "country", "JP")
    category = categories["good-practices"]
    note = "From the 2019 ECCP consultation report (section 3.2). A demo account posted it."
    for title, challenge in (("With a challenge", "Few buyers answered our mails."),
                             ("Without one", "")):  # fmt: skip
        discussion_writes.create_thread(
            db,
            writer,
            discussion_writes.ThreadInput(
                title=title, body=note, category=category, kind="good_practice",
                countries=["JP"], sectors=resolve_sectors(db, ["food"]),
                good_practice=discussion_writes.GoodPracticeInput(
                    challenge=challenge, approach="We shared one stand at FOODEX.",
                    results="Two distributors.",
                ),
            ),
            check_limits=False,
        )  # fmt: skip
    db.flush()

    entries = {e.title: e.excerpt for e in section(digest_for(db, settings, reader, now),
                                                    "good_practices").entries}  # fmt: skip

    assert entries == {
        "With a challenge": "Few buyers answered our mails.",
        "Without one": "We shared one stand at FOODEX.",
    }
