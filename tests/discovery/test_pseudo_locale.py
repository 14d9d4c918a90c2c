"""The search page and saved searches in the reader's language: labels, facet titles,
result counts with real plural rules, dates and country names through the formatter."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discovery import saved
from forum.intelligence.models import IntelItem
from tests.conftest import Client, sign_in
from tests.discovery.test_search_page import add_item
from tests.i18n.pseudo import pseudo

Sync = Callable[[], None]


@pytest.fixture
def two_items(db: Session, sectors: None, sync_index: Sync) -> list[IntelItem]:
    items = [
        add_item(db, "Saffron growers in Morocco", summary="Saffron exporters and buyers."),
        add_item(db, "Saffron demand in Korea", countries=("KR",), summary="Saffron buyers."),
    ]
    sync_index()
    return items


def test_result_counts_follow_plural_rules_in_the_pseudo_locale(
    client: Client, two_items: list[IntelItem], pseudo_locale: str
) -> None:
    client.cookies.set("forum_lang", pseudo_locale)
    one = html.unescape(client.get("/search?q=growers").text)
    assert pseudo("%(num)s result for “%(q)s”") % {"num": pseudo("1"), "q": "growers"} in one
    two = html.unescape(client.get("/search?q=saffron").text)
    assert pseudo("%(num)s results for “%(q)s”") % {"num": pseudo("2"), "q": "saffron"} in two
    assert pseudo("showing %(first)s–%(last)s") % {"first": pseudo("1"), "last": pseudo("2")} in two
    none = html.unescape(client.get("/search?q=zzzzqqq").text)
    assert pseudo("No results for “%(q)s”") % {"q": "zzzzqqq"} in none


def test_the_search_page_in_the_pseudo_locale(
    client: Client, two_items: list[IntelItem], pseudo_locale: str
) -> None:
    client.cookies.set("forum_lang", pseudo_locale)
    page = html.unescape(client.get("/search?q=saffron&from=2019-01-01").text)
    assert f"<h1>{pseudo('Search')}</h1>" in page
    assert pseudo("Newest first") in page, "a sort option"
    assert f">{pseudo('Country')}</h3>" in page, "a facet's title"
    assert f'<span class="badge badge-info">{pseudo("Intelligence")}</span>' in page
    assert f'<span class="badge">{pseudo("Market study")}</span>' in page
    assert pseudo("South Korea") in page, "a country through the formatter"
    # The active date filter: its day through the formatter, inside the sentence.
    assert pseudo("From %(day)s") % {"day": pseudo("1 Jan 2019")} in page
    help_page = client.get("/search").text
    assert pseudo("How to search") in help_page
    assert pseudo("a sector") in help_page, "an operator's meaning"


def test_the_empty_search_page_in_english_is_as_before(client: Client) -> None:
    page = client.get("/search").text
    assert "How to search" in page and "<code>country:JP</code>" in page


def test_country_facets_and_tags_use_cldr_names_in_the_readers_language(
    client: Client, two_items: list[IntelItem], french: str
) -> None:
    client.cookies.set("forum_lang", french)
    page = client.get("/search?q=saffron").text
    assert '<a class="tag tag-country" href="/countries/KR">Corée du Sud</a>' in page
    assert "Corée du Sud <span" in page, "the facet"
    assert "Maroc" in page


def test_saved_searches_in_the_pseudo_locale(
    client: Client, db: Session, sectors: None, member: User, pseudo_locale: str
) -> None:
    saved.create_saved_search(db, user=member, name="", query_string="q=olive&country=KR")
    db.commit()
    member.language = pseudo_locale
    sign_in(client, db, member)
    page = html.unescape(client.get("/settings/searches").text)
    assert f"<h1>{pseudo('Saved searches')}</h1>" in page
    assert (
        pseudo("%(filter)s: %(value)s")
        % {
            "filter": pseudo("Country"),
            "value": pseudo("South Korea"),
        }
        in page
    )
    assert pseudo("Run this search") in page
    assert "[" in page.split("<time", 1)[1].split("</time>", 1)[0], "the day through |date"
