"""The search page's filters in the shared panel: every country with a result can be chosen
(the rare ones behind "Show all"), each chip removes one filter, and the panel travels with
the results region that search-as-you-type swaps."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from tests.conftest import Client
from tests.discovery.test_search_page import add_item, result_titles
from tests.filter_links import read_panel

BUSY = ("JP", "KR", "CN", "IN", "BR", "CA", "MX", "US", "AU")


def _olive_items(db: Session, sync_index: Callable[[], None]) -> None:
    for code in BUSY:
        for n in (1, 2):
            add_item(db, f"Olive oil market {code} {n}", countries=(code,))
    add_item(db, "Olive oil in Iceland", countries=("IS",), sectors=("energy",))
    sync_index()


def test_a_country_with_one_result_is_behind_show_all_and_can_be_chosen(
    client: Client, db: Session, sectors: None, sync_index: Callable[[], None]
) -> None:
    _olive_items(db, sync_index)
    page = read_panel(client.get("/search?q=olive").text)
    assert len([c for c in page.facet("country") if not c.in_more]) == 8
    assert page.more_labels["country"] == "Show all 10 countries"
    iceland = page.value("country", "Iceland")
    assert iceland.in_more and iceland.text == "Iceland (1)"
    assert iceland.query == [("q", "olive"), ("country", "IS")]
    assert result_titles(client.get(iceland.href).text) == ["Olive oil in Iceland"]


def test_each_search_chip_removes_exactly_one_filter(
    client: Client, db: Session, sectors: None, sync_index: Callable[[], None]
) -> None:
    _olive_items(db, sync_index)
    answer = client.get("/search?q=olive&country=IS&sector=energy&from=2000-01-01")
    page = read_panel(answer.text)
    assert [chip.text for chip in page.chips] == [
        "Remove the filter Country: Iceland ✕",
        "Remove the filter Sector: Energy ✕",
        "Remove the filter From 1 Jan 2000 ✕",
        "Remove all filters",
    ]
    assert [chip.query for chip in page.chips] == [
        [("q", "olive"), ("sector", "energy"), ("from", "2000-01-01")],
        [("q", "olive"), ("country", "IS"), ("from", "2000-01-01")],
        [("q", "olive"), ("country", "IS"), ("sector", "energy")],
        [("q", "olive")],
    ]
    assert page.control == "Filters (3)"
    # The chips come above the results.
    assert answer.text.index('class="tag-list active-filters"') < answer.text.index("search-hits")


def test_the_filter_panel_is_inside_the_region_search_as_you_type_replaces(
    client: Client, db: Session, sectors: None, sync_index: Callable[[], None]
) -> None:
    _olive_items(db, sync_index)
    partial = client.get("/search?q=olive&country=JP", headers={"HX-Request": "true"})
    page = read_panel(partial.text)
    assert page.control == "Filters (1)"
    assert page.value("country", "Japan").current
    assert '<details class="filter-panel">' in partial.text
