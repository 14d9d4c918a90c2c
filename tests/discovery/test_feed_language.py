"""Feeds take `?lang=`: a feed reader sends no cookie, so the address says in which
language the feed's own words are written (title, subtitle, labels; the entries stay as
their authors wrote them). A code the forum does not offer writes English, as a page does
for `Accept-Language: pt`."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import pytest
from icalendar import Calendar
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.i18n import _
from tests.conftest import Client, Threads
from tests.intelligence.factories import make


def in_language(code: str, message: str, **variables: Any) -> str:
    """`message` as the catalog of `code` writes it; the catalogs must be compiled."""
    with i18n.using(code):
        assert i18n.language() == code, (
            f"{code} is not offered: compile the catalogs (make install)"
        )
        return _(message, **variables)


def atom(client: Client, url: str, **params: Any) -> tuple[Any, str, Any]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed.feed, response.text, response


@pytest.fixture
def content(db: Session, sectors: None, member: User, threads: Threads) -> None:
    make(db, member, "Cold chain rules in Japan")
    threads.start(member, title="Olive oil in Osaka")
    db.commit()


@pytest.mark.parametrize("code", ["fr", "de", "es", "it", "pl"])
def test_the_intelligence_feed_is_written_in_the_language_asked(
    client: Client, content: None, code: str
) -> None:
    feed, body, response = atom(client, "/feeds/intel.atom", lang=code)
    title = in_language(code, "Cluster Forum: intelligence")
    assert title != "Cluster Forum: intelligence"
    assert feed.title == title
    assert feed.subtitle == in_language(
        code, "Market intelligence of the Cluster Forum, by country and sector"
    )
    assert re.search(rf'<title xml:lang="{code}">', body)
    assert response.headers["content-language"] == code
    # The self link keeps the language; the entries stay as written.
    assert f"lang={code}" in next(link.href for link in feed.links if link.rel == "self")
    assert "Cold chain rules in Japan" in body


def test_a_feed_names_its_filters_in_the_language_asked(client: Client, content: None) -> None:
    feed, body, _response = atom(
        client, "/feeds/intel.atom", country="JP", sector="food", lang="de"
    )
    assert "Japan" in feed.title and "Lebensmittelindustrie" in feed.title
    assert 'label="Lebensmittelindustrie"' in body, "the entries' sector categories"
    threads, _, _ = atom(client, "/feeds/threads.atom", sector="food", lang="fr")
    assert threads.title.startswith(in_language("fr", "Cluster Forum: threads"))
    assert "Agroalimentaire" in threads.title


def test_the_search_feed_takes_lang_too(client: Client, content: None) -> None:
    feed, _body, _response = atom(client, "/feeds/search.atom", q="olive", lang="it")
    assert feed.title == in_language("it", "Cluster Forum: search for “%(words)s”", words="olive")
    assert "lang=it" in next(link.href for link in feed.links if link.rel == "self")


@pytest.mark.parametrize("code", ["pt", "nl", "zz", "frx", "<b>"])
def test_a_language_the_forum_does_not_offer_writes_english(
    client: Client, content: None, code: str
) -> None:
    client.cookies.set("forum_lang", "fr")  # the address wins over a browser's cookie
    feed, body, response = atom(client, "/feeds/intel.atom", lang=code)
    assert feed.title == "Cluster Forum: intelligence"
    assert '<title xml:lang="en">' in body
    assert response.headers["content-language"] == "en"


def test_a_region_subtag_is_the_language(client: Client, content: None) -> None:
    feed, _body, _response = atom(client, "/feeds/threads.atom", lang="pl-PL")
    assert feed.title == in_language("pl", "Cluster Forum: threads")


def test_without_lang_a_feed_is_in_the_requests_language(client: Client, content: None) -> None:
    assert atom(client, "/feeds/intel.atom")[0].title == "Cluster Forum: intelligence"
    client.cookies.set("forum_lang", "es")
    assert atom(client, "/feeds/intel.atom")[0].title == in_language(
        "es", "Cluster Forum: intelligence"
    )


def test_an_over_long_lang_is_refused_with_a_message(client: Client) -> None:
    response = client.get("/feeds/intel.atom", params={"lang": "x" * 36})
    assert response.status_code == 422
    assert "lang" in response.text


def test_the_events_calendar_takes_lang(client: Client) -> None:
    response = client.get("/events.ics", params={"lang": "fr"})
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == in_language("fr", "Cluster Forum: events")
    assert str(calendar["X-WR-CALNAME"]) != "Cluster Forum: events"


def test_pages_offer_their_feeds_in_the_readers_language(client: Client, content: None) -> None:
    english = client.get("/intel?country=JP").text
    assert 'href="/feeds/intel.atom?country=JP"' in english, "English: the address as is"
    client.cookies.set("forum_lang", "fr")
    french = client.get("/intel?country=JP").text
    assert 'href="/feeds/intel.atom?country=JP&amp;lang=fr"' in french
    sector = client.get("/sectors/food").text
    assert re.search(r'href="/feeds/intel\.atom\?sector=food&amp;lang=fr"', sector)
    assert re.search(r'href="/events\.ics\?sector=food&amp;lang=fr"', sector)
    search = client.get("/search?q=olive").text
    assert re.search(r'href="/feeds/search\.atom\?q=olive&amp;lang=fr"', search)
