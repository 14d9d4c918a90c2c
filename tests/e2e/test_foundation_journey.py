"""A visitor's first journey: home, the partnerships directory, a filter, a profile.

Each page is screenshotted to test-results/screenshots/, every top-level document must carry
a nonce-based Content-Security-Policy, and the pages pass axe (no serious/critical issue).
"""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import LiveServer, PageLog, save_screenshot

AXE_PATHS = [
    "/",
    "/partnerships",
    "/partnerships/laser-go-global",
    "/countries",
    "/countries/JP",
    "/insights",
    "/insights/joint-missions",
    "/intel",
    "/intel?country=JP",
    "/sectors/healthcare",
    "/events",
    "/events/archive",
    "/events/month?m=2019-05",
    "/no-such-page",
]


def assert_every_document_has_a_nonce_csp(page_log: PageLog) -> None:
    assert page_log.documents, "no page was loaded"
    for response in page_log.documents:
        csp = response.header_value("content-security-policy")
        assert csp is not None, f"{response.url} ({response.status}) has no CSP header"
        assert "nonce-" in csp, f"{response.url} CSP has no nonce: {csp}"


def test_the_home_page_has_a_heading_and_a_skip_link_that_moves_focus_to_main(
    page: Page, page_log: PageLog
) -> None:
    response = page.goto("/")
    assert response is not None
    assert response.status == 200
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).not_to_be_empty()

    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    expect(skip_link).to_have_class(re.compile(r"\bskip-link\b"))
    expect(skip_link).to_have_attribute("href", "#main")
    expect(skip_link).to_be_visible()  # it appears on focus
    save_screenshot(page, "foundation-01-home-skip-link")

    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    save_screenshot(page, "foundation-01-home")
    assert_every_document_has_a_nonce_csp(page_log)


def test_the_main_navigation_leads_to_the_partnerships_directory(
    page: Page, page_log: PageLog
) -> None:
    page.goto("/")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Partnerships", exact=True
    )
    nav_link.click()

    expect(page).to_have_url(re.compile(r"/partnerships$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnerships")
    expect(nav_link).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="LASER-GO GLOBAL", exact=True)).to_be_visible()
    save_screenshot(page, "foundation-02-partnerships")
    assert_every_document_has_a_nonce_csp(page_log)


def test_filtering_by_target_country_united_states_lists_eight_partnerships(
    page: Page, page_log: PageLog
) -> None:
    page.goto("/partnerships")
    page.get_by_label("Target country").select_option(label="United States")
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"[?&]country=US(&|$)"))
    expect(page.get_by_label("Target country")).to_have_value("US")
    expect(page.locator(".card-list > li")).to_have_count(8)
    save_screenshot(page, "foundation-03-partnerships-us")
    assert_every_document_has_a_nonce_csp(page_log)


def test_the_laser_go_global_profile_lists_japan_among_its_target_countries(
    page: Page, page_log: PageLog
) -> None:
    page.goto("/partnerships")
    page.locator(".card-list").get_by_role("link", name="LASER-GO GLOBAL", exact=True).click()

    expect(page).to_have_url(re.compile(r"/partnerships/laser-go-global$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("LASER-GO GLOBAL")
    targets = page.locator("dl.facts dt", has_text="Target countries").locator("+ dd")
    expect(targets.get_by_role("link", name="Japan", exact=True)).to_be_visible()
    save_screenshot(page, "foundation-04-laser-go-global")
    assert_every_document_has_a_nonce_csp(page_log)


@pytest.mark.parametrize("path", AXE_PATHS)
def test_the_page_loads_under_its_nonce_csp_without_errors(
    page: Page, page_log: PageLog, path: str
) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == (404 if path == "/no-such-page" else 200)
    expect(page.locator("h1")).to_have_count(1)
    assert_every_document_has_a_nonce_csp(page_log)
    # CSP violations and page errors fail the test in the `page` fixture's teardown.


@pytest.mark.parametrize("path", AXE_PATHS)
def test_the_page_has_no_serious_or_critical_accessibility_violation(
    browser: Browser, live_server: LiveServer, path: str
) -> None:
    violations = axe_violations(browser, live_server.url + path)
    assert not violations, f"axe on {path}:\n{format_violations(violations)}"


def test_the_served_app_runs_the_background_loops_itself_when_no_worker_runs(
    live_server: LiveServer,
) -> None:
    # `forum serve` alone is the embedded mode: its fallback runner takes the lease.
    deadline = 100
    body: dict[str, object] = {}
    for _ in range(deadline):
        body = httpx.get(f"{live_server.url}/healthz", timeout=5).json()
        worker = body["worker"]
        assert isinstance(worker, dict)
        if worker["alive"]:
            break
        time.sleep(0.1)
    assert body["status"] == "ok"
    worker = body["worker"]
    assert isinstance(worker, dict)
    assert worker["alive"] is True
    assert worker["jobs_failed"] == 0
    # The demo's content waits in the search outbox until a search engine drains it.
    assert isinstance(worker["outbox_depth"], int)
