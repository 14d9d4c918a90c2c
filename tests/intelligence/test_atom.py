"""The Atom feed of intelligence: valid Atom, published items only, the list's filters."""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.intelligence import writes
from tests.conftest import Client, sign_in
from tests.intelligence.factories import make
from tests.security.htmlcheck import script_risks

HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'


def parse(client: Client, query: str = "") -> feedparser.FeedParserDict:
    response = client.get(f"/feeds/intel.atom{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_feed_is_valid_atom_with_an_entry_per_item(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    item = make(
        db, member, "Tender: cold chain for Osaka <port>", kind="tender",
        summary="Bids by March & no later.", body="Read **section 3**.",
        url="https://example.eu/tender?id=1&lang=en", source_name="Example Tenders",
        published_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        deadline=dt.datetime(2027, 3, 1, tzinfo=dt.UTC), countries=["JP", "KR"],
    )  # fmt: skip
    parsed = parse(client)
    assert parsed.feed.title == "Cluster Forum: intelligence"
    [entry] = parsed.entries
    assert entry.id == f"http://testserver/intel/{item.id}"
    assert entry.title == "Tender: cold chain for Osaka <port>"
    assert entry.link == f"http://testserver/intel/{item.id}"
    related = [link.href for link in entry.links if link.rel == "related"]
    assert related == ["https://example.eu/tender?id=1&lang=en"]
    assert entry.author == "Example Tenders"
    assert entry.published.startswith("2026-11-20T00:00:00")
    assert entry.updated_parsed is not None
    terms = {t.term for t in entry.tags}
    assert {"tender", "country:JP", "country:KR", "sector:food"} <= terms
    assert entry.summary == "Bids by March & no later."
    html = entry.content[0].value
    assert "<strong>section 3</strong>" in html
    assert "Deadline: 1 Mar 2027" in html


def test_drafts_review_and_withdrawn_items_never_reach_the_feed(
    client: Client, db: Session, sectors: None, member: User, moderator: User
) -> None:
    make(db, member, "Public item")
    make(db, member, "Private draft", status="draft")
    review = make(db, member, "Waiting for review")
    withdrawn = make(db, member, "Withdrawn item")
    writes.set_status(db, moderator, review, "review")
    writes.set_status(db, moderator, withdrawn, "withdrawn", reason="Wrong figures")
    db.flush()
    # Whoever asks, even the author or a moderator with a session, gets the public feed.
    for who in (None, member, moderator):
        if who is not None:
            sign_in(client, db, who)
        assert [e.title for e in parse(client).entries] == ["Public item"]


def test_the_feed_holds_the_fifty_newest_items(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for n in range(53):
        make(db, member, f"Item {n:02d}", added_at=start + dt.timedelta(minutes=n))
    entries = parse(client).entries
    assert len(entries) == 50
    assert [e.title for e in entries[:2]] == ["Item 52", "Item 51"]
    assert entries[-1].title == "Item 03"


def test_the_feed_filters_like_the_list(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    make(db, member, "Japan food", countries=["JP"])
    make(db, member, "German health call", kind="funding_call", countries=["DE"],
         sectors=["healthcare"])  # fmt: skip
    make(db, member, "French regulation", kind="regulation", countries=["FR"])

    def titles(query: str) -> list[str]:
        return sorted(e.title for e in parse(client, query).entries)

    assert titles("?country=JP") == ["Japan food"]
    assert titles("?country=g:eu27") == ["French regulation", "German health call"]
    assert titles("?sector=healthcare") == ["German health call"]
    assert titles("?kind=regulation&kind=funding_call") == [
        "French regulation", "German health call"
    ]  # fmt: skip
    filtered = parse(client, "?country=g:eu27&sector=healthcare")
    assert filtered.feed.title == (
        "Cluster Forum: intelligence about European Union (27) · Healthcare"
    )
    [self_link] = [link.href for link in filtered.feed.links if link.rel == "self"]
    assert self_link == "http://testserver/feeds/intel.atom?country=g%3Aeu27&sector=healthcare"


@pytest.mark.parametrize(
    ("query", "named"),
    [("?country=XX", "'XX'"), ("?sector=plumbing", "'plumbing'"), ("?kind=gossip", "'gossip'")],
)
def test_an_unknown_filter_is_refused_naming_it(
    client: Client, db: Session, sectors: None, query: str, named: str
) -> None:
    response = client.get(f"/feeds/intel.atom{query}")
    assert response.status_code == 422
    assert named.replace("'", "&#39;") in response.text or named in response.text


def test_hostile_titles_are_escaped(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    make(db, member, HOSTILE, summary=HOSTILE, body=HOSTILE, source_name=HOSTILE)
    response = client.get("/feeds/intel.atom")
    raw = response.content
    assert b"<script>" not in raw and b"<img" not in raw
    [entry] = parse(client).entries
    assert entry.title == HOSTILE
    # The HTML content holds the text escaped, and only the notes' sanitized markup.
    assert "<script" not in entry.content[0].value
    assert script_risks(entry.content[0].value) == []


def test_an_empty_feed_is_still_valid_atom(client: Client, db: Session, sectors: None) -> None:
    parsed = parse(client, "?country=AQ")
    assert parsed.entries == []
    assert parsed.feed.id == "http://testserver/feeds/intel.atom?country=AQ"
    assert parsed.feed.updated_parsed is not None


def test_the_list_page_links_its_feed(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    make(db, member, "Japan food")
    page = client.get("/intel?country=JP&sector=food&kind=news").text
    [href] = re.findall(
        r'<link rel="alternate" type="application/atom\+xml"[^>]* href="([^"]+)"', page
    )
    assert href.replace("&amp;", "&") == "/feeds/intel.atom?country=JP&sector=food&kind=news"
    assert [
        e.title for e in parse(client, href.replace("&amp;", "&").split(".atom")[1]).entries
    ] == ["Japan food"]
    plain = client.get("/intel").text
    assert 'href="/feeds/intel.atom"' in plain
