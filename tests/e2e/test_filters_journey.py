"""Filters that apply where the member looks: on the intelligence list, the search page and
the events list a facet value is a link that applies at once, the active filters sit above
the results as chips that each remove one filter, and on a phone the filters wait behind one
"Filters (n)" control so that the first result is on the first screen."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from .axe import axe_violations, format_violations
from .conftest import LiveServer, PageLog, save_screenshot

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The first result card must start within this many pixels of the page's top on a phone.
FIRST_SCREEN = 900


def _top(locator: Locator) -> float:
    """The element's top edge in page coordinates (its box is relative to the viewport)."""
    box = locator.bounding_box()
    assert box is not None, "the element is not rendered"
    scroll_y: float = locator.page.evaluate("window.scrollY")
    return box["y"] + scroll_y


def _choose_then_remove_by_chip(
    page: Page, facet: Locator, results: str, chip_title: str = "Country"
) -> None:
    """Click the first value of `facet`, see it as a chip, remove it with the chip."""
    value = facet.get_by_role("link").first
    name = (value.inner_text().rsplit("(", 1)[0]).strip()
    value.click()
    expect(page).to_have_url(re.compile(r"[?&]country=[A-Za-z:]+"))
    chips = page.get_by_role("list", name="Active filters")
    chip = chips.get_by_role("link", name=f"Remove the filter {chip_title}: {name}")
    expect(chip).to_be_visible()
    expect(page.locator(results).first).to_be_visible()
    chosen = page.get_by_role("list", name="Country").get_by_role("link", name=re.compile(name))
    expect(chosen.first).to_have_attribute("aria-current", "true")
    save_screenshot(page, f"filters-{page.url.split('/')[3].split('?')[0]}-chip")
    chip.click()
    expect(page).not_to_have_url(re.compile(r"[?&]country="))
    expect(page.get_by_role("list", name="Active filters")).to_have_count(0)


def test_on_a_wide_screen_a_facet_value_applies_on_click_and_its_chip_removes_it_everywhere(
    page: Page, page_log: PageLog
) -> None:
    page.set_viewport_size(WIDE)
    page.goto("/intel")
    # Wide: the panel is open beside the results, its "Filters" control hidden.
    expect(page.get_by_text("Filters", exact=True)).to_be_hidden()
    countries = page.get_by_role("list", name="Country").first
    expect(countries).to_be_visible()
    _choose_then_remove_by_chip(page, countries, ".card-list > li.card")

    page.goto("/search?q=cluster")
    countries = page.get_by_role("list", name="Country").first
    expect(countries).to_be_visible()
    _choose_then_remove_by_chip(page, countries, ".search-hits > li")

    page.goto("/events")
    countries = page.get_by_role("list", name="Country").first
    expect(countries).to_be_visible()
    _choose_then_remove_by_chip(page, countries, "li.card", chip_title="Country or region")
    assert all(r.status == 200 for r in page_log.documents), [
        (r.url, r.status) for r in page_log.documents
    ]


def test_on_a_phone_the_first_result_is_on_the_first_screen_and_filters_wait_behind_one_control(
    page: Page,
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/intel")
    control = page.locator("summary.filter-panel-toggle")
    expect(control).to_be_visible()
    expect(control).to_have_text("Filters")
    expect(page.get_by_role("list", name="Country").first).to_be_hidden()
    first = page.locator(".card-list > li.card").first
    top = _top(first)
    save_screenshot(page, "filters-phone-01-intel")
    assert top <= FIRST_SCREEN, f"the first result starts {top:.0f} px down"

    # Open the panel with the keyboard, show every country, choose one with a single item.
    control.focus()
    page.keyboard.press("Enter")
    countries = page.get_by_role("list", name="Country")
    expect(countries.first).to_be_visible()
    more = page.locator("details.facet-more > summary", has_text=re.compile("^Show all"))
    more.first.click()
    single = countries.get_by_role("link", name=re.compile(r"\(1\)$")).last
    expect(single).to_be_visible()
    name = single.inner_text().rsplit("(", 1)[0].strip()
    single.click()
    expect(page).to_have_url(re.compile(r"[?&]country=[A-Z]{2}(&|$)"))
    expect(page.locator("summary.filter-panel-toggle")).to_have_text("Filters (1)")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text(f"Country: {name}")
    cards = page.locator(".card-list > li.card")
    expect(cards.first).to_be_visible()
    assert _top(cards.first) <= FIRST_SCREEN
    save_screenshot(page, "filters-phone-02-one-country")

    # The search page and the events list too, the search form above the results.
    for path, first_result in (("/search?q=cluster", ".search-hits > li"), ("/events", "li.card")):
        page.goto(path)
        expect(page.locator("summary.filter-panel-toggle")).to_be_visible()
        top = _top(page.locator(first_result).first)
        assert top <= FIRST_SCREEN, f"on {path} the first result starts {top:.0f} px down"
    save_screenshot(page, "filters-phone-03-events")


def test_the_filtered_pages_have_no_serious_or_critical_accessibility_violation(
    browser: Browser, live_server: LiveServer
) -> None:
    paths = (
        "/intel",
        "/intel?country=JP&kind=report",
        "/intel?country=JP&from=2030-01-01",
        "/search?q=cluster&country=MA",
        "/events",
        "/events?country=g:asean",
        "/events/month?m=2019-03&country=FR",
    )
    for viewport in (WIDE, PHONE):
        for path in paths:
            violations = axe_violations(browser, live_server.url + path, viewport=viewport)
            assert not violations, f"axe on {path} at {viewport}:\n{format_violations(violations)}"
