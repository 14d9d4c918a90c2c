"""A visitor searches the demo data: Morocco by its Italian name from the header box, a
country facet, a result; search-as-you-type; the search page passes axe; typing "japan"
logs one search, not one per letter.

The demo is reindexed at the end of `forum demo`, so everything it loaded is searchable.
"""

from __future__ import annotations

import re
import sqlite3
import time

from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import LiveServer, PageLog, save_screenshot


def test_a_visitor_misspells_morocco_narrows_by_country_and_opens_a_result(
    page: Page, page_log: PageLog
) -> None:
    page.goto("/")
    header_box = page.get_by_role("search", name="Site search")
    # A typo (one letter too many): typo tolerance still finds Morocco.
    header_box.get_by_label("Search the forum").fill("Morrocco")
    header_box.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/search\?q=Morrocco$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    hits = page.locator(".search-hits > li")
    expect(hits.first).to_be_visible()
    expect(page.locator(".search-hits .tag-country", has_text="Morocco").first).to_be_visible()
    save_screenshot(page, "search-01-typo")

    countries = page.get_by_role("list", name="Country")
    countries.get_by_role("link", name=re.compile(r"^Morocco \(\d+\)")).click()
    expect(page).to_have_url(re.compile(r"[?&]country=MA(&|$)"))
    active = page.get_by_role("list", name="Country").get_by_role(
        "link", name=re.compile("Morocco")
    )
    expect(active).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("Country: Morocco")
    for tags in page.locator(".search-hits > li").all():
        expect(tags.locator(".tag-country", has_text="Morocco")).to_have_count(1)
    save_screenshot(page, "search-02-country-facet")

    first = page.locator(".search-hits .card-title a").first
    href = first.get_attribute("href")
    assert href and href.startswith("/")
    first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    save_screenshot(page, "search-03-result")
    assert all(r.status == 200 for r in page_log.documents), [
        (r.url, r.status) for r in page_log.documents
    ]


def test_results_follow_what_is_typed_without_reloading_the_page(
    page: Page, page_log: PageLog
) -> None:
    page.goto("/search")
    expect(page.get_by_role("heading", name="How to search")).to_be_visible()
    box = page.get_by_label("Search for")
    box.press_sequentially("laser", delay=30)

    expect(page).to_have_url(re.compile(r"/search\?q=laser$"))
    results = page.locator(".search-hits")
    expect(results.get_by_role("link", name="LASER-GO GLOBAL", exact=True)).to_be_visible()
    expect(box).to_be_focused()  # the box stays where it is; only the results change
    assert len(page_log.documents) == 1, "the results came without loading a new page"
    save_screenshot(page, "search-04-as-you-type")


def _logged(live_server: LiveServer) -> list[tuple[int, str, str]]:
    """The search log's rows, read from the live server's SQLite file."""
    database = live_server.data_dir / "forum.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT id, text, via FROM search_log ORDER BY id").fetchall()


def test_typing_japan_in_the_search_box_logs_one_search_not_five(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/search")
    before = {row[0] for row in _logged(live_server)}
    requests: list[str] = []
    page.on(
        "request",
        lambda request: requests.append(request.url) if "/search?" in request.url else None,
    )
    box = page.get_by_label("Search for")
    # Slower than the box's 300 ms pause: each letter asks for results on its own.
    box.press_sequentially("japan", delay=450)
    expect(page).to_have_url(re.compile(r"/search\?q=japan$"))
    expect(page.locator(".search-hits > li").first).to_be_visible()
    assert len(requests) >= 4, requests  # the burst really was several requests

    deadline = time.monotonic() + 5
    new = [row for row in _logged(live_server) if row[0] not in before]
    while not any(text == "japan" for _, text, _ in new) and time.monotonic() < deadline:
        time.sleep(0.05)
        new = [row for row in _logged(live_server) if row[0] not in before]
    assert [(text, via) for _, text, via in new] == [("japan", "page")]


def test_the_search_pages_have_no_serious_or_critical_accessibility_violation(
    browser: Browser, live_server: LiveServer
) -> None:
    for path in ("/search", "/search?q=Marocco", "/search?q=Marocco&country=MA", "/search?q=zzzq"):
        violations = axe_violations(browser, live_server.url + path)
        assert not violations, f"axe on {path}:\n{format_violations(violations)}"
