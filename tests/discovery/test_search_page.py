"""The search page: results, facets, pages, empty and error states, search-as-you-type.

Real database, real embedded engine: content is written through the services, the outbox
is drained into the engine (`sync_index`), and the page is asked as a browser would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.discovery.sync import search_engine
from forum.discussions.models import Category
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.taxonomy.service import resolve_sectors
from search.engine import SearchError, SearchQuery, SearchResults
from tests.conftest import Client, Threads, sign_in
from tests.security.htmlcheck import script_risks

Sync = Callable[[], None]


def add_item(
    db: Session,
    title: str,
    *,
    countries: tuple[str, ...] = ("MA",),
    sectors: tuple[str, ...] = ("food",),
    summary: str = "",
    kind: str = "market_study",
) -> IntelItem:
    return intel_writes.create_imported_item(
        db,
        intel_writes.ItemInput(
            title=title,
            kind=kind,
            summary=summary,
            countries=list(countries),
            sectors=resolve_sectors(db, list(sectors)),
        ),
        status="published",
    )


def links(page_html: str) -> dict[str, str]:
    """Each link's text (tags removed, spaces collapsed) -> its href, unescaped."""
    found = {}
    for href, inner in re.findall(r'<a\b[^>]*?\bhref="([^"]*)"[^>]*>(.*?)</a>', page_html, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", inner).split())
        found[html.unescape(text)] = html.unescape(href)
    return found


def facet_link(page_html: str, label: str) -> tuple[str, bool]:
    """The facet link for `label` in the sidebar: its href and whether it is active."""
    sidebar = page_html.split('<aside class="filters"', 1)[1].split("</aside>", 1)[0]
    for match in re.finditer(r'<a href="([^"]*)"([^>]*)>(.*?)</a>', sidebar, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", match.group(3)).split())
        if text.lstrip("✓ ").startswith(label + " ("):
            return html.unescape(match.group(1)), 'aria-current="true"' in match.group(2)
    raise AssertionError(f"no facet link for {label!r}")


def result_titles(page_html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", "", title).split())
        for title in re.findall(
            r'<h3 class="card-title"[^>]*><a href="[^"]*">(.*?)</a></h3>', page_html
        )
    ]


@pytest.fixture
def food_items(db: Session, sectors: None, sync_index: Sync) -> dict[str, IntelItem]:
    items = {
        "MA": add_item(
            db,
            "Olive oil exporters in Morocco",
            summary="Distributors of olive oil and the import rules for EU producers.",
        ),
        "JP": add_item(
            db,
            "Olive oil demand in Japan",
            countries=("JP",),
            summary="Retail chains buying olive oil from Mediterranean clusters.",
            kind="report",
        ),
    }
    sync_index()
    return items


def test_results_show_marked_titles_snippets_kinds_countries_and_sectors(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    page = client.get("/search?q=distributors")
    assert page.status_code == 200
    assert result_titles(page.text) == ["Olive oil exporters in Morocco"]
    item = food_items["MA"]
    assert f'<a href="/intel/{item.id}">' in page.text
    assert "<mark>Distributors</mark> of olive oil" in page.text  # the engine's snippet
    assert '<span class="badge badge-info">Intelligence</span>' in page.text
    assert '<span class="badge">Market study</span>' in page.text
    assert '<a class="tag tag-country" href="/countries/MA">Morocco</a>' in page.text
    assert '<a class="tag tag-sector" href="/sectors/food">Food industry</a>' in page.text
    assert "1 result for “distributors”" in page.text
    assert 'aria-current="page">Search</a>' in page.text  # the main navigation's item


def test_the_title_is_marked_where_it_matched(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    page = client.get("/search?q=morocco")
    assert "Olive oil exporters in <mark>Morocco</mark>" in page.text


def test_a_facet_link_adds_its_filter_and_a_second_click_removes_it(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    both = client.get("/search?q=olive")
    assert sorted(result_titles(both.text)) == [
        "Olive oil demand in Japan",
        "Olive oil exporters in Morocco",
    ]
    # Country names, not codes; sector names, not slugs.
    href, active = facet_link(both.text, "Japan")
    assert not active
    assert "country=JP" in href and "q=olive" in href
    assert facet_link(both.text, "Food industry")[0].endswith("sector=food")

    japan = client.get(href)
    assert result_titles(japan.text) == ["Olive oil demand in Japan"]
    again, active = facet_link(japan.text, "Japan")
    assert active
    assert "country=JP" not in again
    # The chosen filter travels with the next search typed in the box.
    assert '<input type="hidden" name="country" value="JP">' in japan.text

    removed = client.get(again)
    assert len(result_titles(removed.text)) == 2


def test_kind_and_type_facets_use_labels(client: Client, food_items: dict[str, IntelItem]) -> None:
    page = client.get("/search?q=olive")
    href, _ = facet_link(page.text, "Intelligence")
    assert href.endswith("kind=intel")
    report, _ = facet_link(page.text, "Report")
    assert result_titles(client.get(report).text) == ["Olive oil demand in Japan"]


def test_pagination_links_keep_every_parameter(
    client: Client, db: Session, sectors: None, sync_index: Sync
) -> None:
    for n in range(23):
        add_item(db, f"Saffron market note {n}")
    sync_index()
    first = client.get("/search?q=saffron&sector=food&sort=newest&from=2000-01-01")
    assert "23 results for “saffron” · showing 1–10" in first.text
    nav = first.text.split('aria-label="Pages of results"', 1)[1].split("</nav>", 1)[0]
    pages = links(nav)
    assert set(pages) == {"Page 1", "Page 2", "Page 3", "Next →"}
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in nav
    second = pages["Page 2"]
    for part in ("q=saffron", "sector=food", "sort=newest", "from=2000-01-01", "page=2"):
        assert part in second
    assert pages["Next →"] == second

    page_two = client.get(second)
    assert "showing 11–20" in page_two.text
    assert 'start="11"' in page_two.text
    assert "page=1" not in links(page_two.text)["← Previous"]
    last = client.get(links(page_two.text)["Page 3"])
    assert "showing 21–23" in last.text
    assert "Next →" not in links(last.text)


def test_a_page_past_the_last_says_so_and_links_back(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    page = client.get("/search?q=olive&page=9")
    assert page.status_code == 200
    assert "No results on this page" in page.text
    assert links(page.text)["Go to the first page"] == "/search?q=olive"


def test_no_results_suggests_removing_each_filter(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    page = client.get("/search?q=distributors&country=JP&sector=food")
    assert page.status_code == 200
    assert "<h3>No results</h3>" in page.text
    found = links(page.text)
    assert found["Remove “Country: Japan”"] == "/search?q=distributors&sector=food"
    assert found["Remove “Sector: Food industry”"] == "/search?q=distributors&country=JP"
    assert found["Search without filters"] == "/search?q=distributors"
    assert result_titles(client.get(found["Remove “Country: Japan”"]).text) == [
        "Olive oil exporters in Morocco"
    ]


def test_no_results_without_filters_suggests_other_words(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    page = client.get("/search?q=zeppelin")
    assert "Nothing matches “zeppelin”. Check the spelling" in page.text
    assert "Search without filters" not in page.text


def test_an_empty_search_shows_the_form_and_the_operators_without_asking_the_engine(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_asked(query: SearchQuery) -> SearchResults:
        raise AssertionError("an empty search must not reach the engine")

    monkeypatch.setattr(search_engine(settings), "search", not_asked)
    page = client.get("/search")
    assert page.status_code == 200
    assert '<input type="search" id="search-q" name="q"' in page.text
    assert "How to search" in page.text
    for operator in (
        "country:JP", "sector:food", "kind:intel", "type:funding_call",
        "category:good-practices", "after:2019-01-01", "before:2019-06-30", "in:title",
    ):  # fmt: skip
        assert f"<code>{operator}</code>" in page.text
    assert client.get("/search?sort=newest&page=2").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=olive&country=XX", "Unknown country or region group: &#39;XX&#39;"),
        ("q=olive&sector=knitting", "Unknown sector: &#39;knitting&#39;"),
        ("q=olive sector:knitting", "Unknown sector: &#39;knitting&#39;"),
        ("q=olive&kind=banana", "Unknown kind &#39;banana&#39;"),
        ("q=olive&from=yesterday", "&#39;from&#39; must be a date as YYYY-MM-DD"),
        ("q=olive&from=2020-01-02&to=2020-01-01", "&#39;from&#39; (2020-01-02) is after"),
        ("q=olive&page=0", "Page must be between 1 and 100"),
        ("q=olive&sort=random", "Unknown sort"),
    ],
)
def test_invalid_input_answers_422_with_the_message_on_the_styled_page(
    client: Client, sectors: None, query: str, message: str
) -> None:
    page = client.get(f"/search?{query}")
    assert page.status_code == 422
    assert message in page.text
    assert "<h1>Search</h1>" in page.text  # the search page itself, not a bare error
    assert "This search cannot be run" in page.text
    raw_q = query.split("&", 1)[0].removeprefix("q=")
    without = links(page.text)[f"Search for “{raw_q}” without filters"]
    assert without == "/search?" + urlencode({"q": raw_q})


def test_an_engine_failure_answers_503_saying_search_is_unavailable(
    client: Client, settings: Settings, food_items: dict[str, IntelItem],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    engine = search_engine(settings)

    def broken(query: SearchQuery) -> SearchResults:
        raise SearchError("the index is locked")

    monkeypatch.setattr(engine, "search", broken)
    page = client.get("/search?q=olive")
    assert page.status_code == 503
    assert "Search is unavailable right now" in page.text
    assert "the index is locked" not in page.text  # engine details stay in the log
    assert page.headers["retry-after"] == "30"
    assert '<input type="search" id="search-q" name="q" value="olive"' in page.text


def test_an_htmx_request_gets_only_the_results_region(
    client: Client, food_items: dict[str, IntelItem]
) -> None:
    full = client.get("/search?q=olive")
    partial = client.get("/search?q=olive", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    for page in (partial, full):
        assert [v.strip() for v in page.headers["vary"].split(",")] == [
            "HX-Request", "Accept-Language", "Cookie"
        ]  # fmt: skip
    assert "<html" not in partial.text and "<h1>" not in partial.text
    assert len(result_titles(partial.text)) == 2
    assert 'id="search-results"' in full.text
    assert partial.text.strip() in full.text  # the page includes the very same partial
    # The address bar gets the search as a link to it reads, not the form's empty fields.
    typed = client.get(
        "/search?q=olive&from=&to=&sort=relevance&country=JP", headers={"HX-Request": "true"}
    )
    assert typed.headers["hx-push-url"] == "/search?q=olive&country=JP"
    assert "hx-push-url" not in full.headers
    # The box that asks for it: search-as-you-type, into the region, with the filters.
    box = re.search(r'<input type="search" id="search-q"[^>]*>', full.text)
    assert box is not None
    for attribute in (
        'data-hx-get="/search"', 'data-hx-trigger="input changed delay:300ms, search"',
        'data-hx-target="#search-results"', 'data-hx-push-url="true"', 'data-hx-include="closest form"',
    ):  # fmt: skip
        assert attribute in box.group(0)
    # The back button after htmx's history cache forgot the page needs the whole page.
    restore = client.get(
        "/search?q=olive", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_members_only_content_is_found_by_members_but_not_by_visitors(
    client: Client, db: Session, threads: Threads, members_only: Category, member: User,
    sync_index: Sync,
) -> None:  # fmt: skip
    threads.start(
        member, title="Staff room: tariff quotas", body="Quinoa tariff quotas.",
        category=members_only,
    )  # fmt: skip
    threads.start(member, title="Public quinoa thread", body="Quinoa in the open.")
    sync_index()
    visitor = client.get("/search?q=quinoa")
    assert result_titles(visitor.text) == ["Public quinoa thread"]
    assert "tariff" not in visitor.text
    sign_in(client, db, member)
    signed_in = client.get("/search?q=quinoa")
    assert sorted(result_titles(signed_in.text)) == [
        "Public quinoa thread",
        "Staff room: tariff quotas",
    ]


def test_what_members_wrote_is_escaped_and_only_marked_by_the_engine(
    client: Client, db: Session, sectors: None, sync_index: Sync
) -> None:
    add_item(
        db,
        '<img src=x onerror="alert(1)"> Mango <b>imports</b>',
        summary='Mango <script>alert("x")</script> importers.',
    )
    sync_index()
    page = client.get("/search?q=mango")
    assert len(result_titles(page.text)) == 1
    assert script_risks(page.text) == []
    assert "&lt;img src=x" in page.text
    assert "<mark>Mango</mark>" in page.text


def test_signed_in_members_see_the_save_form_and_visitors_a_login_link(
    client: Client, db: Session, member: User, food_items: dict[str, IntelItem]
) -> None:
    visitor = client.get("/search?q=olive&country=MA")
    assert 'action="/search/saved"' not in visitor.text
    assert (
        links(visitor.text)["Log in to save this search"]
        == "/login?next=%2Fsearch%3Fq%3Dolive%26country%3DMA"
    )
    sign_in(client, db, member)
    page = client.get("/search?q=olive&country=MA&page=1")
    form = page.text.split('action="/search/saved"', 1)[1].split("</form>", 1)[0]
    assert 'name="csrf_token"' in form
    assert '<input type="hidden" name="query" value="q=olive&amp;country=MA">' in form
