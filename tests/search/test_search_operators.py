"""Operators typed in the search box: parse_query() is pure and never raises."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from search.engine import SearchQuery
from search.query import ParsedQuery, parse_query
from search.text import split_text


def test_every_operator_becomes_a_filter_and_the_rest_stays_text() -> None:
    parsed = parse_query(
        "foodnet country:JP sector:food kind:intel type:funding_call "
        "category:good-practices after:2019-01-01 before:2019-06-30 in:title japan"
    )
    assert parsed == ParsedQuery(
        text="foodnet japan",
        countries=("JP",),
        sectors=("food",),
        kinds=("intel",),
        subkinds=("funding_call",),
        categories=("good-practices",),
        after=dt.date(2019, 1, 1),
        before=dt.date(2019, 6, 30),
        fields=("title",),
    )


def test_region_groups_are_returned_for_the_caller_to_expand() -> None:
    parsed = parse_query("country:g:ASEAN country:jp,kr")
    assert parsed.countries == ("g:asean", "JP", "KR")
    assert parsed.text == ""


def test_operator_names_ignore_case_and_values_are_normalised() -> None:
    parsed = parse_query("Country:jp SECTOR:Food Kind:Post")
    assert (parsed.countries, parsed.sectors, parsed.kinds) == (("JP",), ("food",), ("post",))


@pytest.mark.parametrize(
    "text",
    [
        "note:this",  # unknown operator
        "http://example.org/path",  # looks like one
        "type:",
        ":JP",
        '"country:JP"',  # quoted: always text
    ],
)
def test_unknown_operators_stay_text(text: str) -> None:
    parsed = parse_query(text)
    assert parsed.text == text
    assert not parsed.has_filters
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("country:J1", ("country", "J1")),
        ("country:g:", ("country", "g:")),  # an empty group
        ("kind:banana", ("kind", "banana")),  # not a kind
        ("in:body", ("in", "body")),  # not a restrictable field
        ("after:soon", ("after", "soon")),
        ("after:2019-13-01", ("after", "2019-13-01")),  # not a date
        ("before:2019-02-30", ("before", "2019-02-30")),
        ("after:20190101", ("after", "20190101")),  # ISO basic format is not accepted
        ("sector:Food&Drink", ("sector", "Food&Drink")),
        ("country:,", ("country", ",")),
    ],
)
def test_known_operators_with_a_value_they_cannot_take_are_problems_not_text(
    text: str, problem: tuple[str, str]
) -> None:
    parsed = parse_query(f"olive {text}")
    assert parsed.text == "olive "
    assert parsed.problems == (problem,)
    assert not parsed.has_filters


def test_country_names_are_values_for_the_caller_to_resolve() -> None:
    parsed = parse_query("country:Japan country:south_korea,côte_d'ivoire country:JP,")
    assert parsed.countries == ("japan", "south_korea", "côte_d'ivoire", "JP")
    assert parsed.problems == ()


def test_words_after_an_unclosed_quote_are_text() -> None:
    parsed = parse_query('japan "tariffs country:JP')
    assert parsed.text == 'japan "tariffs country:JP'
    assert parsed.countries == ()


def test_repeated_operators_add_values_and_dates_keep_the_last() -> None:
    parsed = parse_query("country:JP country:KR country:JP after:2019-01-01 after:2020-01-01")
    assert parsed.countries == ("JP", "KR")
    assert parsed.after == dt.date(2020, 1, 1)


def test_an_operator_at_the_end_keeps_the_last_word_complete() -> None:
    # "foodn" followed by an operator was typed in full: no prefix matching for it.
    assert not split_text(parse_query("foodn country:JP").text).last_is_prefix
    assert split_text(parse_query("country:JP foodn").text).last_is_prefix
    assert parse_query("country:JP foodn").text == "foodn"


def test_apply_merges_the_operators_into_a_search_query() -> None:
    base = SearchQuery(
        countries=("FR",),
        sectors=("textile",),
        visibilities=("public", "members"),
        sort="newest",
        page=2,
    )
    query = parse_query("cheese country:g:eu3 sector:food before:2019-06-30 in:title").apply(
        base, expand_country=lambda code: ["DE", "FR", "IT"] if code == "g:eu3" else [code]
    )
    assert query.text == "cheese "
    assert query.countries == ("FR", "DE", "IT")
    assert query.sectors == ("textile", "food")
    assert query.date_to == dt.datetime(2019, 6, 30, tzinfo=dt.UTC)
    assert query.date_from is None
    assert query.fields == ("title",)
    assert (query.visibilities, query.sort, query.page) == (("public", "members"), "newest", 2)


def test_after_is_inclusive_and_before_exclusive_at_midnight_utc() -> None:
    query = parse_query("after:2019-01-01 before:2019-07-01").apply(SearchQuery())
    assert query.date_from == dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    assert query.date_to == dt.datetime(2019, 7, 1, tzinfo=dt.UTC)


def _random_text(rng: random.Random) -> str:
    pieces = [
        "country:", "sector:", "kind:", "type:", "category:", "after:", "before:", "in:",
        "JP", "g:asean", "food", "intel", "title", "2019-01-01", "2019-02-30", ",", ":",
        '"', " ", "  ", "\t", "japan", "l'oréal", "C++", "*", "🙂", "日本", "\x00", "AND",
    ]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


def test_parsing_never_raises_and_never_loses_a_text_word() -> None:
    rng = random.Random(12)
    for _ in range(3000):
        text = _random_text(rng)
        parsed = parse_query(text)
        # Every word of the text left over was in the input, in order.
        remaining = parsed.text.split()
        position = 0
        for word in remaining:
            found = text.find(word, position)
            assert found >= 0, (text, parsed)
            position = found + len(word)
        # Parsing the left-over text again finds no operator: nothing valid was kept.
        assert not parse_query(parsed.text).has_filters or '"' in text, (text, parsed)
        # And the filters are what a SearchQuery accepts.
        parsed.apply(SearchQuery(), expand_country=lambda code: [code])
