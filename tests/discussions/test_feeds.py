"""The Atom feed of threads: valid Atom, public content only, the API's filters."""

from __future__ import annotations

import datetime as dt

import feedparser
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions import moderation
from forum.discussions.models import Category
from tests.conftest import Client, Threads, sign_in


def parse(client: Client, query: str = "") -> feedparser.FeedParserDict:
    response = client.get(f"/feeds/threads.atom{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_feed_is_valid_atom_with_an_entry_per_thread(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    thread = threads.start(
        member,
        title="Matchmaking at FOODEX <Japan>",
        body="We **met** buyers. <script>alert(1)</script> [site](https://example.eu)",
        kind="question",
        category="good-practices",
    )
    parsed = parse(client)
    assert parsed.feed.title == "Cluster Forum: threads"
    [entry] = [e for e in parsed.entries if e.id == f"http://testserver/threads/{thread.id}"]
    assert entry.title == "Matchmaking at FOODEX <Japan>"
    assert entry.link == f"http://testserver/threads/{thread.id}"
    assert entry.author == "Maria Member"
    terms = {t.term for t in entry.tags}
    assert {"question", "category:good-practices", "country:JP", "sector:food"} <= terms
    html = entry.content[0].value
    assert entry.content[0].type == "text/html"
    assert "<strong>met</strong>" in html
    assert "<script" not in html and "alert(1)" in html, "the post's sanitized HTML"
    assert entry.updated_parsed is not None and entry.published_parsed is not None


def test_a_good_practice_entry_carries_its_sections(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    from forum.discussions import writes
    from forum.taxonomy.service import resolve_sectors

    thread = writes.create_thread(
        db,
        member,
        writes.ThreadInput(
            title="Soft landing in Korea",
            body="",
            category=threads.categories["good-practices"],
            kind="good_practice",
            countries=["KR"],
            sectors=resolve_sectors(db, ["digital"]),
            good_practice=writes.GoodPracticeInput(
                approach="Shared office in Seoul.",
                results="Four SMEs incorporated.",
                contact="Ana <ana@example.eu>",
            ),
        ),
        check_limits=False,
    )
    db.flush()
    [entry] = [e for e in parse(client).entries if e.title == "Soft landing in Korea"]
    html = entry.content[0].value
    assert "Approach" in html and "Shared office in Seoul." in html
    assert "Four SMEs incorporated." in html
    assert "ana@example.eu" in html
    assert thread.id


def test_the_feed_holds_the_twenty_most_recently_active_threads(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for n in range(23):
        thread = threads.start(member, title=f"Future thread {n:02d}")
        thread.last_activity_at = start + dt.timedelta(minutes=n)
    db.flush()
    parsed = parse(client)
    assert len(parsed.entries) == 20
    assert [e.title for e in parsed.entries[:3]] == [
        "Future thread 22",
        "Future thread 21",
        "Future thread 20",
    ]
    assert parsed.feed.updated.startswith("2030-01-01T00:22:00")


def test_members_only_and_hidden_threads_never_reach_the_feed(
    client: Client,
    db: Session,
    member: User,
    moderator: User,
    threads: Threads,
    members_only: Category,
) -> None:
    threads.start(member, title="Open to all")
    threads.start(member, title="Staff only", category=members_only)
    hidden = threads.start(member, title="Spam thread")
    moderation.hide_thread(db, moderator, hidden, reason="spam")
    db.flush()
    for who in (None, member, moderator):
        if who is not None:
            sign_in(client, db, who)
        titles = [e.title for e in parse(client).entries]
        assert "Open to all" in titles
        assert "Staff only" not in titles and "Spam thread" not in titles
    refused = client.get("/feeds/threads.atom?category=staff-room")
    assert refused.status_code == 422


def test_the_feed_filters_like_the_api(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    threads.start(member, title="Japan food", countries=["JP"], sectors=["food"])
    threads.start(
        member,
        title="US health",
        countries=["US"],
        sectors=["healthcare"],
        kind="question",
        category="cooperation-opportunities",
    )
    ours = {"Japan food", "US health"}

    def titles(query: str) -> list[str]:
        return sorted(e.title for e in parse(client, query).entries if e.title in ours)

    assert titles("") == ["Japan food", "US health"]
    assert titles("?country=JP") == ["Japan food"]
    assert titles("?sector=healthcare") == ["US health"]
    assert titles("?kind=question") == ["US health"]
    assert titles("?category=cooperation-opportunities") == ["US health"]
    filtered = parse(client, "?category=cooperation-opportunities")
    assert filtered.feed.title == "Cluster Forum: threads in Cooperation opportunities"
    self_link = [link.href for link in filtered.feed.links if link.rel == "self"]
    assert self_link == ["http://testserver/feeds/threads.atom?category=cooperation-opportunities"]
    for bad in ("?country=XX", "?sector=nope", "?kind=rant", "?category=nope"):
        assert client.get(f"/feeds/threads.atom{bad}").status_code == 422, bad


def test_an_empty_feed_is_still_valid_atom(client: Client, categories: dict[str, Category]) -> None:
    parsed = parse(client, "?country=AQ")
    assert parsed.entries == []
    assert parsed.feed.id == "http://testserver/feeds/threads.atom?country=AQ"
    assert parsed.feed.updated_parsed is not None
