"""The signed-in pages (profile, admin area) pass axe and work with the CSP in force."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .axe import axe_violations, format_violations
from .conftest import ADMIN_PASSWORD, LiveServer, save_screenshot


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/profile",
        "/profile/delete",
        "/settings/digest",
        "/settings/digest/preview",
        "/admin",
        "/admin/users",
        "/admin/audit",
        "/admin/partnerships",
        "/admin/partnerships/1",  # its sectors and countries pickers
        "/admin/feeds",  # the new feed's pickers
        "/admin/sectors",
        "/admin/region-groups",
        "/admin/invite",
        "/admin/inbound",  # refused inbound mail (its empty state here)
    ],
)
def test_signed_in_pages_have_no_serious_accessibility_violation(
    page: Page, browser: Browser, live_server: LiveServer, admin_account: str, path: str
) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(admin_account)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".site-account")).to_contain_text("Ada Admin")
    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    expect(page.locator("h1")).to_have_count(1)
    save_screenshot(page, "account" + path.replace("/", "-"))
    violations = axe_violations(browser, f"{live_server.url}{path}", signed_in_from=page.context)
    assert not violations, format_violations(violations)
