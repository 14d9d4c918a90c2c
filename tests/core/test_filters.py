"""The shared filter links: addresses that toggle one value and drop the page number, and
facets that show their most frequent values first and keep every other one."""

from __future__ import annotations

from forum.core.filters import ListQuery, build_facet, normalized_places


def test_a_list_query_toggles_one_value_keeps_the_others_and_drops_the_page() -> None:
    query = ListQuery.of(
        "/intel", {"country": ["JP", "KR"], "from": "", "sort": "deadline", "page": "3"}
    )
    assert query.url() == "/intel?country=JP&country=KR&sort=deadline"
    assert query.toggled("country", "KR") == "/intel?country=JP&sort=deadline"
    assert query.toggled("country", "FR") == "/intel?country=JP&country=KR&sort=deadline&country=FR"
    assert query.without("country") == "/intel?sort=deadline"
    assert query.replaced("sort", "added") == "/intel?country=JP&country=KR&sort=added"
    assert query.keeping(["mine"]) == "/intel"


def test_a_facet_shows_the_top_values_and_the_chosen_ones_and_keeps_the_rest_behind() -> None:
    counts = {f"C{i}": 10 - i for i in range(10)} | {"RARE": 1}
    facet = build_facet(
        "country", "Country", counts, ["C9", "GONE"], label=str, url=lambda v: f"?c={v}", top=4
    )
    assert facet is not None
    # The chosen ones always show, even one that matches nothing; then the most frequent.
    assert [v.value for v in facet.top] == ["C0", "C1", "C9", "GONE"]
    assert [v.value for v in facet.more] == ["C2", "C3", "C4", "C5", "C6", "C7", "C8", "RARE"]
    assert facet.size == 12
    assert [v.active for v in facet.top] == [False, False, True, True]
    assert facet.more[-1].url == "?c=RARE"
    assert build_facet("kind", "Kind", {}, [], label=str, url=str) is None


def test_places_are_normalized_once_each() -> None:
    assert normalized_places(["jp", " JP", "G:ASEAN", ""]) == ["JP", "g:asean"]
