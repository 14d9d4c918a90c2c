"""Operators typed with a country's name, and operator values that match nothing."""

from __future__ import annotations

import html

import pytest

from tests.discovery.test_search_page import Client, result_titles
from tests.discovery.test_search_page import food_items as food_items  # the fixture

pytestmark = pytest.mark.usefixtures("food_items")


@pytest.mark.parametrize("word", ["country:Japan", "country:japon", "country:JAPÓN", "Country:jp"])
def test_country_by_name_works_like_country_by_code(client: Client, word: str) -> None:
    by_code = client.get("/search", params={"q": "olive country:JP"})
    by_name = client.get("/search", params={"q": f"olive {word}"})
    assert by_name.status_code == 200
    assert (
        result_titles(by_name.text) == result_titles(by_code.text) == ["Olive oil demand in Japan"]
    )


def test_a_region_and_a_multi_word_name_are_found_by_name(client: Client) -> None:
    page = client.get("/search", params={"q": "olive country:maroc,south_korea"})
    assert page.status_code == 200
    assert result_titles(page.text) == ["Olive oil exporters in Morocco"]
    # ASEAN's name expands to its members: neither item is tagged with one.
    page = client.get("/search", params={"q": "olive country:ASEAN"})
    assert page.status_code == 200
    assert result_titles(page.text) == []


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("country:Narnia", "no country or region is called 'narnia'"),
        ("kind:banana", "unknown kind 'banana'"),
        ("after:soon", "'after:' must be followed by a date as YYYY-MM-DD, got 'soon'"),
        ("in:body", "unknown field 'body' after 'in:'"),
        ("sector:Food&Drink", "'Food&Drink' cannot follow 'sector:'"),
    ],
)
def test_an_operator_value_that_matches_nothing_says_so(
    client: Client, word: str, message: str
) -> None:
    page = client.get("/search", params={"q": f"olive {word}"})
    assert page.status_code == 422
    assert "This search cannot be run" in page.text
    assert message.lower() in html.unescape(page.text).lower()
    api = client.get("/api/v1/search", params={"q": f"olive {word}"})
    assert api.status_code == 422
    assert message in api.text


def test_every_bad_operator_word_is_named_at_once(client: Client) -> None:
    api = client.get("/api/v1/search", params={"q": "olive kind:banana after:soon"})
    assert api.status_code == 422
    assert "unknown kind 'banana'" in api.text and "got 'soon'" in api.text


def test_a_name_in_the_country_filter_of_the_url_works_too(client: Client) -> None:
    page = client.get("/search", params={"q": "olive", "country": "Japon"})
    assert page.status_code == 200
    assert result_titles(page.text) == ["Olive oil demand in Japan"]


def test_find_place_reads_names_in_every_known_language() -> None:
    from forum.taxonomy.names import find_place

    assert find_place("Allemagne") == find_place("Niemcy") == find_place("germany") == "DE"
    assert find_place("cote-d-ivoire") == find_place("Côte d’Ivoire") == "CI"
    assert find_place("asean") == "g:asean"
    assert find_place("narnia") is None


def test_the_way_out_of_a_bad_operator_drops_only_that_word(client: Client) -> None:
    page = client.get("/search", params={"q": "olive kind:banana country:JP"})
    assert page.status_code == 422
    assert '/search?q=olive+country%3AJP"' in page.text
