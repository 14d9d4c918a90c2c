"""The intelligence list's filters: facet values are links that toggle themselves, every
country with an item can be chosen (the rare ones behind "Show all"), chips each remove one
filter, and an empty result names the filters that caused it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts.models import User
from tests.conftest import Client
from tests.filter_links import read_panel
from tests.intelligence.factories import make

# Nine countries with two items each, so that the top eight leave one, and Iceland's one
# item, behind "Show all".
BUSY = ("JP", "KR", "CN", "IN", "BR", "CA", "MX", "US", "AU")


def _repository(db: Session, author: User) -> None:
    for code in BUSY:
        make(db, author, f"{code} food news", countries=[code])
        make(db, author, f"{code} energy report", countries=[code], kind="report",
             sectors=["energy"])  # fmt: skip
    make(db, author, "Geothermal clusters in Iceland", countries=["IS"], kind="report")


def test_intel_facet_values_are_links_that_toggle_and_keep_the_other_filters(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    _repository(db, member)
    page = read_panel(client.get("/intel?kind=report&sort=published&page=2").text)
    japan = page.value("country", "Japan")
    assert not japan.current
    assert japan.path == "/intel"
    # Added to the other filters and the sort; a new filter starts at the first page.
    assert japan.query == [("kind", "report"), ("sort", "published"), ("country", "JP")]
    assert page.control == "Filters (1)"

    chosen = client.get(japan.href)
    assert "JP energy report" in chosen.text
    assert "JP food news" not in chosen.text  # the kind filter was kept
    assert "KR energy report" not in chosen.text
    again = read_panel(chosen.text).value("country", "Japan")
    assert again.current
    assert again.query == [("kind", "report"), ("sort", "published")]  # selecting it removes it
    for name in ("country", "sector", "kind"):
        assert read_panel(chosen.text).facet(name), name


def test_a_country_with_one_item_is_behind_show_all_and_can_be_chosen(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    _repository(db, member)
    page = read_panel(client.get("/intel").text)
    countries = page.facet("country")
    assert len([c for c in countries if not c.in_more]) == 8
    assert page.more_labels["country"] == "Show all 10 countries"
    iceland = page.value("country", "Iceland")
    assert iceland.in_more
    assert iceland.text == "Iceland (1)"

    chosen = client.get(iceland.href)
    assert chosen.status_code == 200
    assert "Geothermal clusters in Iceland" in chosen.text
    assert "JP food news" not in chosen.text
    assert "1 of 1" in chosen.text or "1–1 of 1" in chosen.text


def test_each_intel_chip_removes_exactly_one_filter(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    _repository(db, member)
    query = "country=JP&sector=energy&kind=report&from=2019-01-01&open=1&sort=deadline"
    page = read_panel(client.get(f"/intel?{query}").text)
    texts = [chip.text for chip in page.chips]
    assert texts == [
        "Remove the filter Country: Japan ✕",
        "Remove the filter Sector: Energy ✕",
        "Remove the filter Kind: Report ✕",
        "Remove the filter Published from 1 Jan 2019 ✕",
        "Remove the filter Only calls and tenders still open ✕",
        "Remove all filters",
    ]
    full = [("country", "JP"), ("sector", "energy"), ("kind", "report"),
            ("from", "2019-01-01"), ("open", "1"), ("sort", "deadline")]  # fmt: skip
    for chip, removed in zip(page.chips, [0, 1, 2, 3, 4], strict=False):
        assert chip.query == [pair for i, pair in enumerate(full) if i != removed], chip.text
    assert page.chips[-1].href == "/intel?sort=deadline"  # the sort is no filter
    assert page.control == "Filters (5)"


def test_an_empty_intel_result_names_the_filters_that_caused_it(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    _repository(db, member)
    answer = client.get("/intel?country=IS&kind=news")
    assert "Nothing matches these filters" in answer.text
    removes = read_panel(answer.text).removes
    assert [(r.text, r.href) for r in removes] == [
        ("Remove “Country: Iceland”", "/intel?kind=news"),
        ("Remove “Kind: News”", "/intel?country=IS"),
    ]
    assert '<a class="button button-primary" href="/intel">Remove all filters</a>' in answer.text
    # The chosen value stays in its facet, removable, where it matches nothing.
    assert read_panel(answer.text).value("country", "Iceland").current


def test_intel_from_after_to_answers_like_search_and_events(client: Client) -> None:
    dates = "from=2020-01-02&to=2020-01-01"
    answers = {
        path: client.get(f"{path}?{dates}{'&q=cluster' if path == '/search' else ''}")
        for path in ("/intel", "/search", "/events")
    }
    for path, answer in answers.items():
        assert answer.status_code == 422, path
        assert "&#39;from&#39; (2020-01-02) is after &#39;to&#39; (2020-01-01)" in answer.text, path
