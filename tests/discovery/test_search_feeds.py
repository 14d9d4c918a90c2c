"""Atom feeds of searches: what they hold is what the search API finds (same filters,
newest first), their titles name their filters, and a saved search's private feed needs
its signed, revocable address."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.discovery import saved
from forum.discovery.sync import reindex, search_engine
from forum.discussions.models import Category
from tests.conftest import Client, Threads, sign_in


@pytest.fixture
def indexed(demo_db: Session, session_factory: sessionmaker[Session], settings: Settings) -> None:
    """The demo data, indexed as `forum demo` leaves it."""
    demo_db.commit()
    reindex(session_factory, search_engine(settings), settings)


def feed(client: Client, url: str, **params: Any) -> feedparser.FeedParserDict:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def api_urls(client: Client, **params: Any) -> list[str]:
    """Every hit's address the search API gives for `params`, newest first, up to 50."""
    urls: list[str] = []
    for page in range(1, 6):
        response = client.get("/api/v1/search", params={**params, "sort": "newest", "page": page})
        assert response.status_code == 200, response.text
        urls += [hit["url"] for hit in response.json()["hits"]]
        if page >= response.json()["pages"]:
            break
    return urls


@pytest.mark.parametrize(
    "params",
    [
        {"q": "partnership"},
        {"q": "food", "country": "JP"},
        {"q": "cluster", "kind": "intel", "sector": "food"},
        {"country": "MA"},
    ],
)
def test_the_search_feed_holds_what_the_search_api_finds_newest_first(
    client: Client, indexed: None, params: dict[str, str]
) -> None:
    expected = api_urls(client, **params)
    assert expected, "the demo data should find something"
    parsed = feed(client, "/feeds/search.atom", **params)
    assert [e.link for e in parsed.entries] == expected
    dates = [e.updated for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)


def test_the_intelligence_feed_honours_words_like_the_search(client: Client, indexed: None) -> None:
    everything = feed(client, "/feeds/intel.atom")
    with_words = feed(client, "/feeds/intel.atom", q="railway", country="MA")
    expected = api_urls(client, q="railway", country="MA", kind="intel")
    assert expected
    assert [e.link for e in with_words.entries] == expected
    assert len(with_words.entries) < len(everything.entries)
    # Words that find nothing give an empty feed, not the list's.
    assert feed(client, "/feeds/intel.atom", country="MA").entries
    assert feed(client, "/feeds/intel.atom", q="zzzzqqq", country="MA").entries == []
    assert feed(client, "/feeds/threads.atom", q="zzzzqqq").entries == []
    assert with_words.feed.title == "Cluster Forum: intelligence about Morocco · “railway”"


def test_the_threads_feed_honours_words_like_the_search(client: Client, indexed: None) -> None:
    expected = api_urls(client, q="japan", kind="thread")
    assert expected
    parsed = feed(client, "/feeds/threads.atom", q="japan")
    assert [e.link for e in parsed.entries] == expected
    assert parsed.feed.title == "Cluster Forum: threads · “japan”"
    refused = client.get("/feeds/threads.atom", params={"q": "japan", "partnership": "1"})
    assert refused.status_code == 422


def test_feed_titles_name_their_filters(client: Client, indexed: None) -> None:
    intel = feed(client, "/feeds/intel.atom", country="JP", sector="food")
    assert intel.feed.title == "Cluster Forum: intelligence about Japan · Food industry"
    threads = feed(client, "/feeds/threads.atom", country="JP", sector="food")
    assert threads.feed.title == "Cluster Forum: threads about Japan · Food industry"
    search = feed(client, "/feeds/search.atom", q="cold chain", country="JP", sector="food")
    assert search.feed.title == ("Cluster Forum: search for “cold chain” · Japan · Food industry")


def test_a_bad_filter_in_a_search_feed_is_a_422_naming_it(client: Client, indexed: None) -> None:
    response = client.get("/feeds/search.atom", params={"country": "ZZ"})
    assert response.status_code == 422
    assert "ZZ" in response.text
    assert client.get("/feeds/intel.atom", params={"q": "x", "kind": "gossip"}).status_code == 422


def test_the_search_page_offers_the_feed_of_its_own_search(client: Client, indexed: None) -> None:
    page = client.get("/search", params={"q": "olive", "country": "MA", "sort": "newest"}).text
    assert 'href="/feeds/search.atom?q=olive&amp;country=MA"' in page
    assert "Atom feed of this search" in page


def _feed_address(client: Client) -> str:
    page = client.get("/settings/searches").text
    found = re.search(r'value="(http://testserver/feeds/saved/[^"]+\.atom)"', page)
    assert found, "the saved-searches page shows the private feed address"
    return found.group(1).removeprefix("http://testserver")


def test_a_saved_search_has_a_private_feed_that_needs_its_token(
    client: Client,
    db: Session,
    sectors: None,
    member: User,
    threads: Threads,
    members_only: Category,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    public = threads.start(member, title="Quince jam exporters", body="Quince jam in Japan")
    private = threads.start(
        member, title="Quince paste buyers", body="Quince for members", category=members_only
    )
    hidden = threads.start(member, title="Quince hidden thread", body="Quince secret")
    hidden.hidden_at = public.created_at
    db.commit()
    reindex(session_factory, search_engine(settings), settings)
    saved.create_saved_search(db, user=member, name="Quince", query_string="q=quince")
    db.commit()
    sign_in(client, db, member)
    address = _feed_address(client)

    client.cookies.clear()  # a feed reader carries no session
    parsed = feed(client, address)
    titles = {e.title for e in parsed.entries}
    # What the owner finds as a member, and never hidden content.
    assert titles == {public.title, private.title}
    assert parsed.feed.title == "Cluster Forum: search for “quince”"
    response = client.get(address)
    assert response.headers["cache-control"] == "private, no-store"

    # Without the token, or with a forged one, there is nothing.
    assert client.get("/feeds/saved/.atom").status_code == 404
    assert client.get(address.replace(".atom", "x.atom")).status_code == 404
    assert client.get("/feeds/search.atom", params={"q": "quince"}).status_code == 200
    anonymous = feed(client, "/feeds/search.atom", q="quince")
    assert {e.title for e in anonymous.entries} == {public.title}


def test_a_new_feed_address_turns_the_old_one_off(
    client: Client, db: Session, sectors: None, member: User, other_member: User
) -> None:
    kept = saved.create_saved_search(db, user=member, name="Olives", query_string="q=olive")
    db.commit()
    sign_in(client, db, member)
    old = _feed_address(client)
    assert client.get(old).status_code == 200

    # Another member cannot reset it: 404, and the address still works.
    sign_in(client, db, other_member)
    refused = client.post(f"/search/saved/{kept.id}/feed", data={"csrf_token": client.csrf_token()})
    assert refused.status_code == 404
    assert client.get(old).status_code == 200

    sign_in(client, db, member)
    done = client.post(f"/search/saved/{kept.id}/feed", data={"csrf_token": client.csrf_token()})
    assert done.status_code == 303
    new = _feed_address(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200

    # Deleting the search, or suspending its owner, turns the feed off too.
    member.suspended_at = kept.created_at
    db.commit()
    assert client.get(new).status_code == 404
