"""/admin/analytics in a browser: axe finds no serious or critical violation, with the
default period (its members by interest and partnership included) and with two dates
chosen through the form (no script needed), nor on the list of unanswered discussions it
links to."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import ADMIN_PASSWORD, LiveServer, sign_in


def test_the_analytics_page_is_accessible_and_its_form_chooses_dates(
    page: Page, browser: Browser, live_server: LiveServer, admin_account: str
) -> None:
    sign_in(page, admin_account, ADMIN_PASSWORD)
    page.goto("/admin/analytics")
    expect(page.locator("h1")).to_have_text("Analytics")
    expect(page.get_by_label("The last 4 weeks")).to_be_checked()
    # The sections of issue 23's content work: by source, and the harvesting health.
    expect(page.locator("#sources-heading")).to_have_text("Intelligence by source")
    expect(page.locator("#feeds-heading")).to_have_text("Harvesting health")
    # The members by interest and partnership: the demo's members follow countries.
    expect(page.get_by_role("heading", name="Members by interest and partnership")).to_be_visible()
    expect(page.locator("#members-countries-chart-title")).to_have_count(1)
    page.get_by_text("Show the numbers: Countries followed").click()
    expect(page.locator("#members-countries-table")).to_be_visible()
    violations = axe_violations(browser, page.url, signed_in_from=page.context)
    assert not violations, f"axe on /admin/analytics:\n{format_violations(violations)}"

    page.get_by_label("From").fill("2026-01-05")
    page.get_by_label("To", exact=True).fill("2026-01-18")
    page.get_by_role("button", name="Show the figures").click()
    expect(page.locator("#members-table tbody tr")).to_have_count(2)
    assert "from=2026-01-05" in page.url
    violations = axe_violations(browser, page.url, signed_in_from=page.context)
    assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"


def test_the_unanswered_list_is_reached_from_its_figure_and_is_accessible(
    page: Page, browser: Browser, live_server: LiveServer, admin_account: str
) -> None:
    sign_in(page, admin_account, ADMIN_PASSWORD)
    page.goto("/admin/analytics?period=12m")
    page.get_by_role("link", name="List the unanswered discussions").click()
    expect(page.locator("h1")).to_have_text("Unanswered discussions")
    assert "period=12m" in page.url
    violations = axe_violations(browser, page.url, signed_in_from=page.context)
    assert not violations, f"axe on {page.url}:\n{format_violations(violations)}"
