"""The busy manager's web path (issue 20), at 1280 px and at 390 px: join from the home
page, confirm from the email (signed in at once), choose Japan and Food industry with the
picker by typing, share a good practice with the picker, find it on the intelligence and
search pages by clicking facet values, and remove a filter by its chip. axe finds no
serious or critical violation on any page of the journey; screenshots are saved; on a
phone the intelligence list's first result starts within the first 900 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .axe import axe_violations, format_violations
from .conftest import LiveServer, pick, save_screenshot
from .test_accounts_journey import wait_for_link

PASSWORD = "a long day of trade fairs in Osaka"
SCREENS = {
    "wide": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
FIRST_SCREEN = 900


def _top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, "the element is not rendered"
    scroll_y: float = locator.page.evaluate("window.scrollY")
    return box["y"] + scroll_y


def _axe_clean(browser: Browser, page: Page, screen: dict[str, int]) -> None:
    violations = axe_violations(browser, page.url, signed_in_from=page.context, viewport=screen)
    assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"


def _open_filters(page: Page) -> None:
    """On a phone the filters wait behind "Filters (n)"; on a wide screen they are shown."""
    toggle = page.locator("summary.filter-panel-toggle")
    if toggle.is_visible():
        toggle.click()


def _click_facet(page: Page, facet: str, value: str) -> None:
    _open_filters(page)
    facet_list = page.get_by_role("list", name=facet).first
    link = facet_list.get_by_role("link", name=re.compile(rf"^{re.escape(value)}\b"))
    if not link.first.is_visible():  # behind "Show all"
        page.locator("details.facet-more > summary").first.click()
    link.first.click()


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_a_new_manager_joins_chooses_interests_shares_and_finds_a_good_practice(
    page: Page, browser: Browser, live_server: LiveServer, screen_name: str
) -> None:
    screen = SCREENS[screen_name]
    page.set_viewport_size(screen)
    email = f"kenji.{screen_name}.e2e@example.eu"
    title = f"Tasting days for Japanese buyers {screen_name}"

    # The home page's Join call to action is above the fold, on a phone too.
    page.goto("/")
    join = page.get_by_role("link", name="Join: it takes a minute")
    expect(join).to_be_visible()
    box = join.bounding_box()
    assert box is not None and box["y"] + box["height"] <= screen["height"], box
    save_screenshot(page, f"journey-{screen_name}-01-home")
    _axe_clean(browser, page, screen)
    join.click()

    expect(page.locator("h1")).to_have_text("Join Cluster Forum")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Your name").fill(f"Kenji {screen_name.title()}")
    page.get_by_label("Password").fill(PASSWORD)
    _axe_clean(browser, page, screen)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("h1")).to_have_text("Check your email")

    # The mailed link signs in at once and leads to the interests step.
    page.goto(wait_for_link(live_server, email, "/verify/"))
    _axe_clean(browser, page, screen)
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.locator("h1")).to_have_text("What should your digest bring you?")
    expect(page.locator(".site-account")).to_contain_text(f"Kenji {screen_name.title()}")

    pick(page, "Countries and regions you follow", "jap", "Japan")
    pick(page, "Sectors you follow", "food", "Food industry")
    save_screenshot(page, f"journey-{screen_name}-02-interests")
    _axe_clean(browser, page, screen)
    page.get_by_role("button", name="Save my interests").click()
    expect(page.locator(".flash-success")).to_contain_text("interests are saved")

    # A good practice, with the picker.
    page.goto("/discussions/new?kind=good_practice")
    expect(page.locator("h1")).to_have_text("Share a good practice")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Approach: what you did").fill(
        "Two tasting days with importers, prepared with the partnership's members."
    )
    page.get_by_label("Results: what came of it").fill("Three importers asked for samples.")
    pick(page, re.compile("^Countries or regions"), "jap", "Japan")
    pick(page, re.compile("^Sectors"), "food", "Food industry")
    save_screenshot(page, f"journey-{screen_name}-03-good-practice")
    _axe_clean(browser, page, screen)
    page.get_by_role("button", name="Share it").click()
    expect(page.locator("h1")).to_have_text(title)

    # Found on the intelligence list by clicking the country facet: served beside the items.
    page.goto("/intel")
    if screen_name == "phone":
        first = page.locator(".card-list > li.card").first
        top = _top(first)
        assert top <= FIRST_SCREEN, f"the first result starts {top:.0f} px down"
    _click_facet(page, "Country", "Japan")
    expect(page).to_have_url(re.compile(r"[?&]country=JP"))
    practices = page.get_by_role("region", name="Good practices on the same countries and sectors")
    expect(practices.get_by_role("link", name=title)).to_be_visible()
    if screen_name == "phone":
        assert _top(page.locator(".card-list > li.card").first) <= FIRST_SCREEN
    save_screenshot(page, f"journey-{screen_name}-04-intel-japan")
    _axe_clean(browser, page, screen)

    # Found by search, narrowed by clicking facet values; a chip removes one filter.
    page.goto("/search?q=tasting+importers")
    _click_facet(page, "Country", "Japan")
    expect(page).to_have_url(re.compile(r"[?&]country=JP"))
    _click_facet(page, "Sector", "Food industry")
    expect(page).to_have_url(re.compile(r"[?&]sector=food"))
    hits = page.locator(".search-hits > li")
    expect(hits.filter(has_text=title)).to_have_count(1)
    save_screenshot(page, f"journey-{screen_name}-05-search-filtered")
    _axe_clean(browser, page, screen)
    chips = page.get_by_role("list", name="Active filters")
    chips.get_by_role("link", name=re.compile("^Remove the filter Sector")).click()
    expect(page).not_to_have_url(re.compile(r"[?&]sector="))
    expect(page).to_have_url(re.compile(r"[?&]country=JP"))
    expect(page.locator(".search-hits > li").filter(has_text=title)).to_have_count(1)
    save_screenshot(page, f"journey-{screen_name}-06-chip-removed")
